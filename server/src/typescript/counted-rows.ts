/**
 * Whether the rows a query loads are only counted: `rows.length`, or a loop that bumps a counter
 * per key of each row (`rows.forEach(({ objectId }) => counts.set(objectId, (counts.get(objectId)
 * ?? 0) + 1))`, the same in a `reduce` or a `for...of`). Such code needs every row for the counts
 * to be right (a bound would silently cap them), and the cure is to let the database count.
 */
import { ts } from './compiler';
import { declaredName } from './id-lists';
import { semanticParent, unwrap, type TsCall } from './model';
import { identifiersNamed, isWithin } from './name-resolution';

export interface CountedRows {
  /** Counted per key of each row (a map of counts), not only in total (`rows.length`). */
  perKey: boolean;
  /** The row fields the counts are keyed by (`objectId`), when the code names them. */
  keys: string[];
}

/** Whether an expression adds one: `n + 1`, `1 + n`, somewhere inside it. */
function addsOne(node: ts.Node): boolean {
  if (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind === ts.SyntaxKind.PlusToken &&
    [node.left, node.right].some((side) => ts.isNumericLiteral(side) && side.text === '1')
  )
    return true;
  return !!ts.forEachChild(node, (child) => addsOne(child) || undefined);
}

/** `x[k]++`, `++x[k]`, `x[k] += 1`, `x[k] = ... + 1`: the counted object `x`, as written. */
function bumpedElementBase(node: ts.Node): string | undefined {
  let target: ts.Expression | undefined;
  if (
    (ts.isPostfixUnaryExpression(node) || ts.isPrefixUnaryExpression(node)) &&
    node.operator === ts.SyntaxKind.PlusPlusToken
  )
    target = node.operand;
  else if (ts.isBinaryExpression(node)) {
    const kind = node.operatorToken.kind;
    if (kind === ts.SyntaxKind.PlusEqualsToken && ts.isNumericLiteral(node.right))
      target = node.left;
    else if (kind === ts.SyntaxKind.EqualsToken && addsOne(node.right)) target = node.left;
  }
  const element = target && unwrap(target);
  return element && ts.isElementAccessExpression(element)
    ? element.expression.getText()
    : undefined;
}

/** The maps and objects the body counts in: receivers of `.set(k, ... + 1)` and bumped `x[k]`. */
function counters(body: ts.Node): Set<string> {
  const found = new Set<string>();
  const visit = (node: ts.Node): void => {
    const bumped = bumpedElementBase(node);
    if (bumped) found.add(bumped);
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'set' &&
      node.arguments.length === 2 &&
      addsOne(node.arguments[1])
    )
      found.add(node.expression.expression.getText());
    ts.forEachChild(node, visit);
  };
  visit(body);
  return found;
}

/** Whether `key` is used as a key into one of the counters: `c.get(key)`, `c.set(key, n)`, `c[key]`. */
function isCounterKey(key: ts.Expression, counted: ReadonlySet<string>): boolean {
  const parent = semanticParent(key);
  if (!parent) return false;
  if (ts.isElementAccessExpression(parent))
    return parent.argumentExpression === key && counted.has(parent.expression.getText());
  if (!ts.isCallExpression(parent) || parent.arguments[0] !== key) return false;
  const callee = parent.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    ['get', 'has', 'set'].includes(callee.name.text) &&
    counted.has(callee.expression.getText())
  );
}

/** Whether an identifier is a use of a value (not a property name or a declared name). */
function isValueUse(node: ts.Identifier): boolean {
  const parent = node.parent;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === node) return false;
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if (ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent))
    return parent.name !== node;
  return true;
}

/**
 * Every value use of one of `names` inside `root`, in source order, from the file's identifier
 * index rather than a walk of `root` per question. `isValueUse`, not `isReference`: a name in a
 * type (`typeof rows`) or a member declared with it counts as a use the counting cannot explain.
 */
function usesOf(root: ts.Node, names: ReadonlySet<string>): ts.Identifier[] {
  const sourceFile = root.getSourceFile();
  return [...names]
    .flatMap((name) => identifiersNamed(sourceFile, name))
    .filter((id) => isWithin(id, root) && isValueUse(id))
    .sort((a, b) => a.pos - b.pos);
}

/**
 * The names a row is bound to and the fields they stand for: `row` (fields read as `row.x`), or
 * `{ objectId }` / `{ objectId: id }` (the field `objectId`). Undefined for other shapes.
 */
function rowBindings(name: ts.BindingName): Map<string, string | undefined> | undefined {
  if (ts.isIdentifier(name)) return new Map([[name.text, undefined]]);
  if (!ts.isObjectBindingPattern(name)) return undefined;
  const bindings = new Map<string, string | undefined>();
  for (const element of name.elements) {
    if (element.dotDotDotToken || !ts.isIdentifier(element.name)) return undefined;
    const field = element.propertyName ?? element.name;
    if (!ts.isIdentifier(field)) return undefined;
    bindings.set(element.name.text, field.text);
  }
  return bindings;
}

/**
 * The fields a loop body keys its counts by, when it only counts rows bound as `binding`: it bumps
 * a counter, and every use of the row is a field of it (or a destructured field) used as a key of
 * that counter. Undefined when the row is used in any other way.
 */
function countingKeys(binding: ts.BindingName, body: ts.Node): string[] | undefined {
  const bindings = rowBindings(binding);
  const counted = counters(body);
  if (!bindings || counted.size === 0) return undefined;
  const keys = new Set<string>();
  for (const use of usesOf(body, new Set(bindings.keys()))) {
    const destructured = bindings.get(use.text);
    const access = use.parent;
    const field =
      destructured ??
      (ts.isPropertyAccessExpression(access) && access.expression === use
        ? access.name.text
        : undefined);
    const key = destructured ? use : (access as ts.Expression);
    if (!field || !isCounterKey(key, counted)) return undefined;
    keys.add(field);
  }
  return keys.size > 0 ? [...keys] : undefined;
}

/** The row parameter of a `forEach` (first) or `reduce` (second) callback, and its body. */
function callbackRow(
  method: string,
  callback: ts.Expression | undefined,
): { row: ts.BindingName; body: ts.Node } | undefined {
  const fn = callback && unwrap(callback);
  if (!fn || (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn))) return undefined;
  const row = fn.parameters[method === 'forEach' ? 0 : 1];
  if (!row || row.dotDotDotToken || row.initializer) return undefined;
  return { row: row.name, body: fn.body };
}

/** The keys one use of the rows counts by: [] for `rows.length`; undefined for any other use. */
function countingUse(use: ts.Identifier): string[] | undefined {
  const parent = semanticParent(use);
  if (parent && ts.isForOfStatement(parent) && unwrap(parent.expression) === use) {
    const list = parent.initializer;
    if (!ts.isVariableDeclarationList(list) || list.declarations.length !== 1) return undefined;
    return countingKeys(list.declarations[0].name, parent.statement);
  }
  if (!parent || !ts.isPropertyAccessExpression(parent) || unwrap(parent.expression) !== use)
    return undefined;
  const method = parent.name.text;
  if (method === 'length') return [];
  if (method !== 'forEach' && method !== 'reduce') return undefined;
  const call = parent.parent;
  if (!ts.isCallExpression(call) || call.expression !== parent) return undefined;
  const callback = callbackRow(method, call.arguments[0]);
  return callback && countingKeys(callback.row, callback.body);
}

/**
 * How the rows of the awaited `call`, bound to a name, are used when every use only counts them;
 * undefined when any use needs the rows themselves (returned, mapped, passed on, read for values).
 */
export function rowsOnlyCounted(call: TsCall): CountedRows | undefined {
  const body = call.fn?.node;
  const awaited = semanticParent(call.node);
  if (!body || !awaited || !ts.isAwaitExpression(awaited)) return undefined;
  const name = declaredName(awaited);
  if (!name) return undefined;
  const uses = usesOf(body, new Set([name]));
  if (uses.length === 0) return undefined;
  let perKey = false;
  const keys = new Set<string>();
  for (const use of uses) {
    const counted = countingUse(use);
    if (!counted) return undefined;
    if (counted.length > 0) perKey = true;
    for (const key of counted) keys.add(key);
  }
  return { perKey, keys: [...keys] };
}
