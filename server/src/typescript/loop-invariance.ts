/**
 * Calls a loop repeats without reading anything the loop changes (`prisma.rule.findMany({ where:
 * { organizationId } })` in `for (const doc of docs)`, `organizationId` a parameter): they send the
 * same query on every pass, so batching by the items or `Promise.all` does not apply, running it
 * once before the loop does. Asked by `await-in-loop` for its advice (the TypeScript counterpart of
 * the Python `loop-invariance`).
 */
import { ts } from './compiler';
import type { TsCall, TsLoop } from './model';
import { assignmentsIn, declaredNamesIn, readNames } from './references';

/**
 * Methods that change the object they are called on (`ids.push(x)`, `params.set(k, v)`), or
 * whose answer differs per call (`pages.next()`).
 */
const MUTATORS =
  /^(?:push|unshift|splice|pop|shift|set|add|delete|clear|sort|reverse|fill|copyWithin|append|next)$/;

/**
 * Every name a loop binds or changes: its variables (destructured too), a callback's parameters,
 * anything declared or assigned in it (`cursor = page.next`), and identifiers whose object a
 * mutating method changes (`seen.add(id)`, `Object.assign(filters, ...)`). `this` stands for
 * fields assigned through it; `?` for a target that is no name.
 */
function collectChangedNames(loop: TsLoop): Set<string> {
  const names = declaredNamesIn(loop.node, true);
  const callback = loop.kind === 'callback' ? loop.body.parent : undefined;
  if (callback && ts.isFunctionLike(callback))
    for (const name of declaredNamesIn(callback, true)) names.add(name);
  for (const assignment of assignmentsIn(loop.node, true))
    for (const root of assignment.roots) names.add(root);
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const { expression, name } = node.expression;
      if (MUTATORS.test(name.text) && ts.isIdentifier(expression)) names.add(expression.text);
      if (name.text === 'assign' && ts.isIdentifier(expression) && expression.text === 'Object') {
        const target = node.arguments[0];
        if (target && ts.isIdentifier(target)) names.add(target.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(loop.node);
  return names;
}

/** Asked once per awaited call of a loop: each walks the whole loop. */
const changedNamesOfLoop = new WeakMap<ts.Node, ReadonlySet<string>>();

function namesTheLoopChanges(loop: TsLoop): ReadonlySet<string> {
  let names = changedNamesOfLoop.get(loop.node);
  if (!names) changedNamesOfLoop.set(loop.node, (names = collectChangedNames(loop)));
  return names;
}

/**
 * The whole expression a call belongs to: the chain built on it (`db('t').where(...).first()` for
 * `db('t')`), whose later steps may read the item too.
 */
function wholeChain(node: ts.Node): ts.Node {
  let current = node;
  for (;;) {
    const parent = current.parent;
    if (
      parent &&
      ((ts.isPropertyAccessExpression(parent) && parent.expression === current) ||
        (ts.isElementAccessExpression(parent) && parent.expression === current) ||
        (ts.isCallExpression(parent) && parent.expression === current) ||
        ts.isNonNullExpression(parent) ||
        ts.isParenthesizedExpression(parent) ||
        ts.isAsExpression(parent))
    )
      current = parent;
    else return current;
  }
}

function mentionsThis(node: ts.Node): boolean {
  if (node.kind === ts.SyntaxKind.ThisKeyword) return true;
  return !!ts.forEachChild(node, (child) => (mentionsThis(child) ? true : undefined));
}

/**
 * Whether the call's whole chain (receiver, arguments, spreads and later steps) reads nothing
 * `loop` binds or changes, so every pass sends the same query.
 */
export function readsNothingTheLoopChanges(call: TsCall, loop: TsLoop): boolean {
  const changed = namesTheLoopChanges(loop);
  if (changed.has('?')) return false;
  const chain = wholeChain(call.node);
  for (const name of readNames(chain)) if (changed.has(name)) return false;
  return !(changed.has('this') && mentionsThis(chain));
}
