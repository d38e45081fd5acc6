/**
 * `in` lists and the rows they come from, both ways round:
 * - Whether the rows a query loads become the `in` list of another query in the same function:
 *   `const ids = (await prisma.link.findMany({ where, select: { id: true } })).map((l) => l.id)`,
 *   then `updateMany({ where: { id: { in: ids } } })`. Such code needs every row (a bound would
 *   silently leave the rest unchanged), and the cure is to give the other query the same filter.
 * - Whether an `in` list holds the ids of one page of rows read just before: the children of
 *   those parents are as many as the page makes them, so their query is bounded by it.
 */
import { ts } from './compiler';
import { chainText, semanticParent, unwrap, type TsCall } from './model';
import { declarationOf, enclosingFunctionNode, localConstInitializer } from './name-resolution';

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
 * The list a de-duplicating or copying wrapper passes on: `new Set(ids)`, `Array.from(ids)`,
 * `[...ids]` hold the same ids as `ids` (undefined for anything else).
 */
function passedThrough(expression: ts.Expression): ts.Expression | undefined {
  const value = unwrap(expression);
  if (ts.isNewExpression(value) && ts.isIdentifier(value.expression)) {
    return value.expression.text === 'Set' && value.arguments?.length === 1
      ? value.arguments[0]
      : undefined;
  }
  if (ts.isCallExpression(value) && value.arguments.length === 1) {
    return chainText(value.expression) === 'Array.from' ? value.arguments[0] : undefined;
  }
  if (ts.isArrayLiteralExpression(value) && value.elements.length === 1) {
    const [element] = value.elements;
    return ts.isSpreadElement(element) ? element.expression : undefined;
  }
  return undefined;
}

/** `expression` with every `new Set(...)` / `Array.from(...)` / `[...]` around it taken off. */
function withoutPassThrough(expression: ts.Expression): ts.Expression {
  let value = unwrap(expression);
  for (let inner = passedThrough(value); inner; inner = passedThrough(value)) value = unwrap(inner);
  return value;
}

/**
 * Whether the rows of the awaited `call` (bound to a name, or mapped and then bound) are the
 * value of an `in`/`notIn` filter anywhere in the function that makes it, also after
 * de-duplication (`Array.from(new Set(rows.map((r) => r.id)))`).
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
  // A wrapper around the rows' name (`new Set(ids)`) holds their ids too; the bare name is
  // another name for the rows, which the walk does not follow.
  const holdsTheirIds = (value: ts.Expression): boolean => {
    const initializer = unwrap(value);
    const inner = withoutPassThrough(initializer);
    return isNameOrItsMap(inner, names) && (ts.isCallExpression(inner) || inner !== initializer);
  };
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    // `const ids = rows.map((r) => r.id)`: the ids are the rows' too.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      if (holdsTheirIds(node.initializer)) names.add(node.name.text);
    }
    // `ids = rows.map((r) => r.id)` into a `let` declared before the `if` that reads the rows:
    // an optional filter, `...(ids && { eventId: { in: ids } })`.
    if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(node.left) &&
      holdsTheirIds(node.right)
    )
      names.add(node.left.text);
    if (
      ts.isPropertyAssignment(node) &&
      ts.isIdentifier(node.name) &&
      (node.name.text === 'in' || node.name.text === 'notIn') &&
      isNameOrItsMap(withoutPassThrough(node.initializer), names)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** How many `const` hops (`ids` → `rows` → `await ...`) a page's ids are followed through. */
const MAX_HOPS = 3;

/**
 * The query whose result `id` is bound to from `const [pages, total] = await Promise.all([q0,
 * q1])` in the function that uses it: `q0` for `pages`. Undefined for any other binding.
 */
function promiseAllElement(id: ts.Identifier): ts.Expression | undefined {
  const element = declarationOf(id)?.parent;
  if (!element || !ts.isBindingElement(element) || element.dotDotDotToken) return undefined;
  const pattern = element.parent;
  const holder = pattern.parent;
  if (!ts.isArrayBindingPattern(pattern) || !ts.isVariableDeclaration(holder)) return undefined;
  const list = holder.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  if (enclosingFunctionNode(holder) !== enclosingFunctionNode(id)) return undefined;
  const awaited = holder.initializer && unwrap(holder.initializer);
  if (!awaited || !ts.isAwaitExpression(awaited)) return undefined;
  const all = unwrap(awaited.expression);
  if (!ts.isCallExpression(all) || chainText(all.expression) !== 'Promise.all') return undefined;
  const [queries] = all.arguments;
  if (!queries || !ts.isArrayLiteralExpression(queries)) return undefined;
  const query = queries.elements[pattern.elements.indexOf(element)];
  return query && !ts.isSpreadElement(query) ? query : undefined;
}

/** Whether `expression` is a call of a paged read. */
function isPagedCall(
  expression: ts.Expression,
  isPagedRead: (call: ts.CallExpression) => boolean,
): boolean {
  const call = unwrap(expression);
  return ts.isCallExpression(call) && isPagedRead(call);
}

/**
 * Whether `expression` is the rows of an awaited paged read: directly, through `const`s, or
 * bound from its place in an awaited `Promise.all([...])`.
 */
function isPagedRows(
  expression: ts.Expression,
  isPagedRead: (call: ts.CallExpression) => boolean,
  hops: number,
): boolean {
  const value = unwrap(expression);
  if (ts.isAwaitExpression(value)) return isPagedCall(value.expression, isPagedRead);
  if (!ts.isIdentifier(value) || hops >= MAX_HOPS) return false;
  const initializer = localConstInitializer(value);
  if (initializer) return isPagedRows(initializer, isPagedRead, hops + 1);
  const query = promiseAllElement(value);
  return !!query && isPagedCall(query, isPagedRead);
}

/**
 * Whether an `in` list is one value per row of a paged read in the same function:
 * `threads.map((t) => t.id)` (or a `const` holding it) where `const threads = await
 * prisma.thread.findMany({ take: 50 })` (or `const [threads, total] = await Promise.all([...])`
 * with the paged read in its place). Only `map` counts: `flatMap` may spread each row's own
 * list, which the page does not bound. A parameter, or rows read without a bound, are no page.
 */
export function isIdsOfPagedRows(
  list: ts.Expression,
  isPagedRead: (call: ts.CallExpression) => boolean,
  hops = 0,
): boolean {
  const value = unwrap(list);
  if (ts.isIdentifier(value)) {
    const initializer = hops < MAX_HOPS ? localConstInitializer(value) : undefined;
    return !!initializer && isIdsOfPagedRows(initializer, isPagedRead, hops + 1);
  }
  if (!ts.isCallExpression(value) || !ts.isPropertyAccessExpression(value.expression)) return false;
  if (value.expression.name.text !== 'map') return false;
  return isPagedRows(value.expression.expression, isPagedRead, hops + 1);
}
