/**
 * Timers and React effects: which calls start a timer, where the handle goes, which handles the
 * file clears, whether an effect returns a cleanup, and what an `await sleep(ms)` looks like.
 * Shared by the memory-leak rules (`interval-never-cleared`, `race-timeout-not-cleared`,
 * `listener-added-per-event`) and `fixed-interval-polling`.
 */
import { lazyKinds, ts } from './compiler';
import {
  chainText,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from './model';
import {
  declarationOf,
  forEachOwnDescendant,
  identifiersNamed,
  isFunctionWithBody,
} from './name-resolution';

export type TimerFunction = 'setInterval' | 'setTimeout';

/** Objects whose `setInterval`/`setTimeout` are the global timers. */
const GLOBAL_OBJECTS = new Set(['window', 'globalThis', 'global', 'self']);
const PROMISE_TIMER_MODULES = new Set(['timers/promises', 'node:timers/promises']);
const CLEAR_FUNCTIONS = new Set(['clearInterval', 'clearTimeout']);

/** Whether `call` is the global callback timer `name` (not the promise form from `timers/promises`). */
export function isTimerCall(model: TsModel, call: TsCall, name: TimerFunction): boolean {
  if (call.isNew || call.isTaggedTemplate || call.name !== name) return false;
  if (call.receiverText !== undefined) return GLOBAL_OBJECTS.has(call.receiverText);
  const imported = model.imports.get(name);
  return !imported || !PROMISE_TIMER_MODULES.has(imported.module);
}

/** `setTimeout(ms)` / `setInterval(ms)` imported from `timers/promises` (no callback, a promise). */
export function isPromiseTimerCall(model: TsModel, call: TsCall): boolean {
  if (call.isNew || call.receiverText !== undefined) return false;
  const imported = model.imports.get(call.callee);
  return (
    !!imported &&
    PROMISE_TIMER_MODULES.has(imported.module) &&
    (imported.imported === 'setTimeout' || imported.imported === 'setInterval')
  );
}

/** Whether `call` is `clearInterval(...)`/`clearTimeout(...)` (either clears either kind in Node and browsers). */
export function isClearTimerCall(call: TsCall): boolean {
  if (call.isNew || !CLEAR_FUNCTIONS.has(call.name)) return false;
  return call.receiverText === undefined || GLOBAL_OBJECTS.has(call.receiverText);
}

/**
 * The name a handle is kept under: the chain (`timer`, `this.timer`, `timerRef.current`), or
 * `intervals[]` for an element of `intervals`; '' when there is none.
 */
export function handleKey(node: ts.Expression): string {
  const inner = unwrap(node);
  if (ts.isElementAccessExpression(inner) && !ts.isStringLiteralLike(inner.argumentExpression)) {
    const object = chainText(inner.expression);
    return object ? `${object}[]` : '';
  }
  return chainText(inner);
}

/**
 * Whether two handle keys name the same handle: equal chains, or properties with the same last
 * name (`this.pollTimer` and `service.pollTimer`), since the object is often reached two ways.
 */
export function sameHandle(a: string, b: string): boolean {
  if (a === b) return true;
  if (!a.includes('.') || !b.includes('.')) return false;
  return a.slice(a.lastIndexOf('.')) === b.slice(b.lastIndexOf('.'));
}

/** The keys of every handle the file passes to `clearInterval`/`clearTimeout`. */
export function clearedHandleKeys(model: TsModel): string[] {
  const keys: string[] = [];
  for (const call of model.calls) {
    if (!isClearTimerCall(call) || call.args.length === 0) continue;
    const key = handleKey(call.args[0]);
    if (key) keys.push(key);
  }
  return keys;
}

export function isClearedIn(keys: readonly string[], key: string): boolean {
  return keys.some((cleared) => sameHandle(cleared, key));
}

/** Where a timer's handle goes. */
export type TimerHandle =
  /** `setInterval(...);` or `setInterval(...).unref();` as a statement. */
  | { kind: 'discarded'; statement: ts.ExpressionStatement; unref: boolean }
  /** Kept in a variable or property: `const id = ...`, `this.timer = ...`, `ref.current = ...`. */
  | { kind: 'stored'; key: string; target: ts.Node; unref: boolean }
  /** Returned, passed to a call, put in a collection: code this rule cannot follow. */
  | { kind: 'escapes' };

const ASSIGNMENTS = lazyKinds(() => [
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
]);

/** Where the handle returned by the timer call `node` goes. */
export function timerHandle(node: ts.Expression): TimerHandle {
  let expression: ts.Expression = node;
  let unref = false;
  let parent = semanticParent(expression);
  // `setInterval(...).unref()` returns the same handle.
  if (
    parent &&
    ts.isPropertyAccessExpression(parent) &&
    (parent.name.text === 'unref' || parent.name.text === 'ref') &&
    parent.parent &&
    ts.isCallExpression(parent.parent) &&
    parent.parent.expression === parent
  ) {
    unref = parent.name.text === 'unref';
    expression = parent.parent;
    parent = semanticParent(expression);
  }
  if (!parent) return { kind: 'escapes' };
  if (ts.isExpressionStatement(parent)) return { kind: 'discarded', statement: parent, unref };
  if (ts.isVoidExpression(parent) && ts.isExpressionStatement(parent.parent))
    return { kind: 'discarded', statement: parent.parent, unref };
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return { kind: 'stored', key: parent.name.text, target: parent.name, unref };
  // A class field: `private timer = setInterval(...)` is `this.timer` in the methods.
  if (ts.isPropertyDeclaration(parent) && parent.initializer && ts.isIdentifier(parent.name))
    return { kind: 'stored', key: `this.${parent.name.text}`, target: parent.name, unref };
  if (
    ts.isBinaryExpression(parent) &&
    ASSIGNMENTS().has(parent.operatorToken.kind) &&
    unwrap(parent.right) === unwrap(expression)
  ) {
    const key = handleKey(parent.left);
    return key ? { kind: 'stored', key, target: parent.left, unref } : { kind: 'escapes' };
  }
  return { kind: 'escapes' };
}

/**
 * Whether this occurrence of a stored handle hands it to other code (returned, passed to a call
 * other than a clear, put in an object or array, assigned elsewhere), which may clear it.
 */
export function handleEscapesAt(occurrence: ts.Expression): boolean {
  const parent = semanticParent(occurrence);
  if (!parent) return false;
  if (ts.isCallExpression(parent) || ts.isNewExpression(parent)) {
    if (!parent.arguments?.some((arg) => unwrap(arg) === unwrap(occurrence))) return false;
    const callee = chainText(parent.expression);
    return !CLEAR_FUNCTIONS.has(callee.split('.').pop() ?? '');
  }
  if (ts.isBinaryExpression(parent))
    return ASSIGNMENTS().has(parent.operatorToken.kind) && unwrap(parent.right) === occurrence;
  if (ts.isArrowFunction(parent)) return parent.body === occurrence;
  return (
    ts.isReturnStatement(parent) ||
    ts.isArrayLiteralExpression(parent) ||
    ts.isShorthandPropertyAssignment(parent) ||
    ts.isPropertyAssignment(parent) ||
    ts.isSpreadElement(parent) ||
    ts.isSpreadAssignment(parent) ||
    ts.isVariableDeclaration(parent) ||
    ts.isExportAssignment(parent) ||
    ts.isJsxExpression(parent) ||
    ts.isConditionalExpression(parent)
  );
}

/** Every expression in the file that names the handle `key` (besides `except`). */
export function handleOccurrences(
  sourceFile: ts.SourceFile,
  key: string,
  except: ts.Node,
): ts.Expression[] {
  const last = key.replace(/\[\]$/, '').split('.').pop() ?? '';
  const found: ts.Expression[] = [];
  for (const id of identifiersNamed(sourceFile, last)) {
    // The whole chain the name ends: `timer`, `this.timer`, `intervals[id]`.
    let node: ts.Expression = id;
    if (ts.isPropertyAccessExpression(id.parent) && id.parent.name === id) node = id.parent;
    if (
      key.endsWith('[]') &&
      ts.isElementAccessExpression(node.parent) &&
      node.parent.expression === node
    )
      node = node.parent;
    if (node === except || id === except) continue;
    const own = handleKey(node);
    if (own && sameHandle(own, key)) found.push(node);
  }
  return found;
}

const EFFECT_HOOKS = new Set(['useEffect', 'useLayoutEffect', 'useInsertionEffect']);

/** The hook (`useEffect`, `useLayoutEffect`) `fn` is the effect callback of, if it is one. */
export function effectHookOf(fn: TsFunction | undefined): string | undefined {
  const call = fn?.callbackOf;
  if (!call || call.isNew || !EFFECT_HOOKS.has(call.name)) return undefined;
  if (call.receiverText !== undefined && call.receiverText !== 'React') return undefined;
  return unwrap(call.args[0] ?? call.node) === fn.node ? call.name : undefined;
}

/** Whether an effect callback returns something (a cleanup) on some path. */
export function effectReturnsCleanup(fn: TsFunction): boolean {
  const body = (fn.node as ts.SignatureDeclaration & { body?: ts.Node }).body;
  if (!body) return false;
  if (!ts.isBlock(body)) return true; // `useEffect(() => subscribe(...))` returns its result
  let returns = false;
  forEachOwnDescendant(body, (node) => {
    if (ts.isReturnStatement(node) && node.expression) returns = true;
  });
  return returns;
}

/** Names sleep helpers usually have: `await sleep(1000)`, `await delay(ms)`, `await wait(5_000)`. */
const SLEEP_NAMES =
  /^(?:sleep|delay|wait|pause|snooze|timeout|setTimeoutAsync|waitFor(?:Ms|Millis)?)$/i;

/**
 * The delay argument when `expression` (the operand of an `await`) sleeps: a sleep helper
 * (`sleep(ms)`, `delay(ms)`), `setTimeout(ms)` from `timers/promises`, `scheduler.wait(ms)`, or
 * `new Promise((r) => setTimeout(r, ms))`.
 */
export function sleepDelay(model: TsModel, expression: ts.Expression): ts.Expression | undefined {
  const inner = unwrap(expression);
  if (ts.isCallExpression(inner)) {
    const callee = chainText(inner.expression);
    const name = callee.split('.').pop() ?? '';
    const imported = model.imports.get(callee.split('.')[0]);
    const fromTimers = !!imported && PROMISE_TIMER_MODULES.has(imported.module);
    if ((fromTimers && /setTimeout|wait/.test(name)) || SLEEP_NAMES.test(name))
      return inner.arguments[0];
    return undefined;
  }
  if (ts.isNewExpression(inner) && chainText(inner.expression) === 'Promise') {
    const executor = inner.arguments?.[0] && unwrap(inner.arguments[0]);
    if (!executor || !isFunctionWithBody(executor)) return undefined;
    let delay: ts.Expression | undefined;
    forEachOwnDescendant(executor, (node) => {
      if (
        !delay &&
        ts.isCallExpression(node) &&
        chainText(node.expression) === 'setTimeout' &&
        node.arguments.length >= 2
      )
        delay = node.arguments[1];
    });
    return delay;
  }
  return undefined;
}

/**
 * The function a callback expression stands for: an inline function, or a name bound in this
 * file to one (`function poll() {}`, `const poll = async () => {}`, `const load = useCallback(fn)`),
 * looked through `.bind(...)` and `() => poll()` wrappers are left to the caller.
 */
export function callbackFunction(
  expression: ts.Expression,
): (ts.SignatureDeclaration & { body: ts.Node }) | undefined {
  let inner = unwrap(expression);
  // `this.poll.bind(this)`, `poll.bind(null, x)`
  if (
    ts.isCallExpression(inner) &&
    ts.isPropertyAccessExpression(inner.expression) &&
    inner.expression.name.text === 'bind'
  )
    inner = unwrap(inner.expression.expression);
  if (isFunctionWithBody(inner)) return inner;
  if (!ts.isIdentifier(inner)) return undefined;
  const declaration = declarationOf(inner);
  const holder = declaration?.parent;
  if (!holder) return undefined;
  if (ts.isFunctionDeclaration(holder) && holder.body)
    return holder as ts.FunctionDeclaration & { body: ts.Node };
  if (ts.isVariableDeclaration(holder) && holder.initializer) {
    let init = unwrap(holder.initializer);
    // `const load = useCallback(async () => {...}, [deps])`
    if (ts.isCallExpression(init) && /^(?:React\.)?useCallback$/.test(chainText(init.expression)))
      init = init.arguments[0] ? unwrap(init.arguments[0]) : init;
    if (isFunctionWithBody(init)) return init;
  }
  return undefined;
}

/** A constant number of milliseconds: literals, arithmetic on them, and module/local constants. */
export function constantNumber(
  expression: ts.Expression | undefined,
  depth = 0,
): number | undefined {
  if (!expression || depth > 4) return undefined;
  const inner = unwrap(expression);
  if (ts.isNumericLiteral(inner)) return Number(inner.text.replace(/_/g, ''));
  if (ts.isBinaryExpression(inner)) {
    const left = constantNumber(inner.left, depth + 1);
    const right = constantNumber(inner.right, depth + 1);
    if (left === undefined || right === undefined) return undefined;
    switch (inner.operatorToken.kind) {
      case ts.SyntaxKind.AsteriskToken:
        return left * right;
      case ts.SyntaxKind.PlusToken:
        return left + right;
      case ts.SyntaxKind.MinusToken:
        return left - right;
      case ts.SyntaxKind.SlashToken:
        return left / right;
      default:
        return undefined;
    }
  }
  if (ts.isIdentifier(inner)) {
    const declaration = declarationOf(inner)?.parent;
    if (
      declaration &&
      ts.isVariableDeclaration(declaration) &&
      (declaration.parent.flags & ts.NodeFlags.Const) !== 0
    )
      return constantNumber(declaration.initializer, depth + 1);
  }
  return undefined;
}

/** A short quotation of a call for messages: the call itself, or its callee with short arguments. */
export function quoteCall(
  sourceFile: ts.SourceFile,
  node: ts.CallExpression | ts.NewExpression,
): string {
  const oneLine = (n: ts.Node): string =>
    n.getText(sourceFile).replace(/\s+/g, ' ').replace(/`/g, "'");
  const text = oneLine(node);
  if (text.length <= 60) return text;
  const args = (node.arguments ?? []).map((arg) => {
    const argText = oneLine(arg);
    if (argText.length <= 24) return argText;
    return isFunctionWithBody(unwrap(arg)) ? '() => {...}' : '...';
  });
  const prefix = ts.isNewExpression(node) ? 'new ' : '';
  return `${prefix}${oneLine(node.expression)}(${args.join(', ')})`;
}
