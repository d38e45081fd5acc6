/**
 * Timeout promises: `new Promise((_, reject) => setTimeout(...))`, as `Promise.race` timeouts are
 * built, and helpers returning one (`const rejectAfter = (ms) => new Promise(...)`). Shared by
 * `race-timeout-not-cleared` and the workspace facts, which record helpers that return a timer
 * nobody can clear so that races in other files see through the import.
 */
import { ts } from './compiler';
import { chainText, unwrap, type TsCall, type TsFunction, type TsModel } from './model';
import { isFunctionWithBody } from './name-resolution';
import { isTimerCall, timerHandle } from './timers';

type FunctionWithBody = ts.SignatureDeclaration & { body: ts.Node };

/** The trait of a function that returns a timeout promise whose timer handle it throws away. */
export const UNCLEARED_TIMEOUT_TRAIT = 'returns-uncleared-timeout';

/** The `setTimeout` started directly by a `new Promise(executor)`. */
export function timerOfPromise(model: TsModel, promise: ts.NewExpression): TsCall | undefined {
  if (chainText(promise.expression) !== 'Promise') return undefined;
  const executor = promise.arguments?.[0] && unwrap(promise.arguments[0]);
  if (!executor || !isFunctionWithBody(executor)) return undefined;
  return model.calls.find(
    (call) => call.fn?.node === executor && isTimerCall(model, call, 'setTimeout'),
  );
}

/** The `new Promise(...)` a helper function returns (`(ms) => new Promise(...)`, `return new Promise(...)`). */
export function returnedPromise(fn: FunctionWithBody): ts.NewExpression | undefined {
  if (!ts.isBlock(fn.body)) {
    const body = unwrap(fn.body as ts.Expression);
    return ts.isNewExpression(body) ? body : undefined;
  }
  let found: ts.NewExpression | undefined;
  for (const statement of fn.body.statements)
    if (ts.isReturnStatement(statement) && statement.expression) {
      const value = unwrap(statement.expression);
      if (ts.isNewExpression(value)) found = value;
    }
  return found;
}

/**
 * The timer's statement when its handle is thrown away: `setTimeout(...)` as the executor's
 * body, or a statement of it.
 */
export function discardedTimer(executor: FunctionWithBody, timer: TsCall): ts.Node | undefined {
  const node = timer.node as ts.CallExpression;
  if (!ts.isBlock(executor.body) && unwrap(executor.body as ts.Expression) === node)
    return executor.body;
  const handle = timerHandle(node);
  return handle.kind === 'discarded' ? handle.statement : undefined;
}

/**
 * Whether `fn` returns a timeout promise whose timer handle it throws away: once raced, nothing
 * can clear that timer. A handle it keeps may be cleared through code it is handed to, which the
 * facts of one function cannot tell, so only a discarded one counts.
 */
export function returnsUnclearedTimeout(model: TsModel, fn: TsFunction): boolean {
  if (!isFunctionWithBody(fn.node)) return false;
  const promise = returnedPromise(fn.node);
  const timer = promise && timerOfPromise(model, promise);
  if (!promise || !timer) return false;
  return !!discardedTimer(unwrap(promise.arguments![0]) as unknown as FunctionWithBody, timer);
}
