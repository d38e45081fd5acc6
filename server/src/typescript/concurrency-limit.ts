/**
 * Callbacks handed to a `p-limit` limiter (`const limit = pLimit(10)`, then `limit(async () =>
 * ...)`): the limiter runs them later, a few at a time, so the calls inside belong to whatever
 * loop calls the limiter (`docs.map(async (doc) => limit(async () => ...))`).
 */
import { ts } from './compiler';
import { findDeclaration } from './loop-repetition';
import { unwrap, type TsCall, type TsModel } from './model';

const P_LIMIT = 'p-limit';

/** Whether `name` holds what a `p-limit` factory imported in the file returned. */
function isLimiter(model: TsModel, name: ts.Identifier): boolean {
  const declaration = findDeclaration(name.text, name);
  if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer)
    return false;
  const init = unwrap(declaration.initializer);
  if (!ts.isCallExpression(init) || !ts.isIdentifier(init.expression)) return false;
  return model.imports.get(init.expression.text)?.module === P_LIMIT;
}

/**
 * The limiter call whose callback `call` is directly in (`limit(async () => { await q(); })` for
 * `q()`), when the call is in no loop of its own; undefined otherwise.
 */
export function limiterCallAround(model: TsModel, call: TsCall): TsCall | undefined {
  const fn = call.fn;
  const limiter = fn?.callbackOf;
  if (!fn || !limiter || call.loops.length > 0 || !ts.isCallExpression(limiter.node))
    return undefined;
  const callee = unwrap(limiter.node.expression);
  if (!ts.isIdentifier(callee) || limiter.node.arguments[0] !== fn.node) return undefined;
  return isLimiter(model, callee) ? limiter : undefined;
}
