/**
 * Whether the rows a query loads become the `in` list of another query in the same function:
 * `const ids = (await prisma.link.findMany({ where, select: { id: true } })).map((l) => l.id)`,
 * then `updateMany({ where: { id: { in: ids } } })`. Such code needs every row (a bound would
 * silently leave the rest unchanged), and the cure is to give the other query the same filter.
 */
import { ts } from './compiler';
import { semanticParent, unwrap, type TsCall } from './model';

/** The name a value is declared under, when its expression is a `const`/`let` initializer. */
export function declaredName(expression: ts.Expression): string | undefined {
  const parent = semanticParent(expression);
  if (!parent || !ts.isVariableDeclaration(parent) || parent.initializer === undefined)
    return undefined;
  return ts.isIdentifier(parent.name) ? parent.name.text : undefined;
}

/** `rows.map(...)` (also `rows.flatMap(...)`): the call, when `expression` is mapped. */
function mappedOf(expression: ts.Expression): ts.CallExpression | undefined {
  const access = semanticParent(expression);
  if (!access || !ts.isPropertyAccessExpression(access) || unwrap(access.expression) !== expression)
    return undefined;
  if (access.name.text !== 'map' && access.name.text !== 'flatMap') return undefined;
  const call = access.parent;
  return call && ts.isCallExpression(call) && call.expression === access ? call : undefined;
}

/** Whether `node` is `name` or `name.map(...)`. */
function isNameOrItsMap(node: ts.Expression, names: ReadonlySet<string>): boolean {
  const value = unwrap(node);
  if (ts.isIdentifier(value)) return names.has(value.text);
  if (!ts.isCallExpression(value) || !ts.isPropertyAccessExpression(value.expression)) return false;
  const receiver = unwrap(value.expression.expression);
  return ts.isIdentifier(receiver) && names.has(receiver.text);
}

/**
 * Whether the rows of the awaited `call` (bound to a name, or mapped and then bound) are the
 * value of an `in`/`notIn` filter anywhere in the function that makes it.
 */
export function rowsFeedInList(call: TsCall): boolean {
  const body = call.fn?.node;
  const awaited = semanticParent(call.node);
  if (!body || !awaited || !ts.isAwaitExpression(awaited)) return false;
  const names = new Set<string>();
  const direct = declaredName(awaited);
  if (direct) names.add(direct);
  const mapped = mappedOf(awaited);
  const mappedName = mapped && declaredName(mapped);
  if (mappedName) names.add(mappedName);
  if (names.size === 0) return false;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    // `const ids = rows.map((r) => r.id)`: the ids are the rows' too.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      const initializer = unwrap(node.initializer);
      if (isNameOrItsMap(initializer, names) && ts.isCallExpression(initializer))
        names.add(node.name.text);
    }
    if (
      ts.isPropertyAssignment(node) &&
      ts.isIdentifier(node.name) &&
      (node.name.text === 'in' || node.name.text === 'notIn') &&
      isNameOrItsMap(node.initializer, names)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}
