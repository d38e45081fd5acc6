/**
 * Batch loads written as an OR of one `==` clause per key: `or_(*[X.parent_id == k for k in
 * keys])`, or a clause list built in the function (`clauses = [...]`, `clauses.append(X.parent_id
 * == k)` in a loop) and spread into `or_(*clauses)`; for Django, a `Q` ORed in a loop, one clause
 * per key (`q = Q()`, `for k in keys: q |= Q(addon=k.addon, user=k.user)`, then `filter(q)`).
 * DataLoaders, batch resolvers and sync jobs write them where `X.parent_id.in_(keys)` would do;
 * they read the same rows, as many as the keys hold.
 * Read by `orm.ts` as list matches, so the key-list exemptions treat them like `in_()`.
 */
import type { Node } from 'web-tree-sitter';
import { qPins } from './django-q';
import { dottedName, type PyFunction } from './model';

/** A column an OR-of-keys clause pins: `X.parent_id` → owner `X`, column `parent_id`. */
export interface KeyClauseColumn {
  owner: string;
  column: string;
}

/** Scopes whose statements belong to another function. */
const NESTED_SCOPES = new Set(['function_definition', 'class_definition', 'lambda']);

/**
 * The column lists of the `or_(*...)` calls in a filter's arguments whose every clause pins
 * columns by `==`: per `or_`, the columns every clause pins (each clause reads the rows of one
 * key of them, as `in_()` over them would). An `or_` with a clause that pins none of them (a
 * range, a `LIKE`, a list the function fills in ways not followed) gives none.
 */
export function orOfKeyClauses(args: Node): KeyClauseColumn[][] {
  const found: KeyClauseColumn[][] = [];
  for (const call of args.descendantsOfType('call')) {
    if (!call || !/(?:^|\.)or_$/.test(dottedName(call.childForFieldName('function')))) continue;
    const spread = call.childForFieldName('arguments')?.namedChildren ?? [];
    if (spread.length !== 1 || spread[0]?.type !== 'list_splat') continue;
    const clauses = clausesOf(spread[0].namedChildren[0], call);
    const common = clauses && clauses.length > 0 ? commonColumns(clauses.map(keyColumnsOf)) : [];
    if (common.length > 0) found.push(common);
  }
  return found;
}

/**
 * The clauses a spread holds: a comprehension's element, or, for a variable, the elements of
 * the comprehensions assigned to it and the arguments appended to it in the enclosing function.
 * Undefined when the list is filled any other way (`extend`, `+=`, a call's result).
 */
function clausesOf(spread: Node | null | undefined, at: Node): Node[] | undefined {
  if (spread?.type === 'list_comprehension') {
    const body = spread.childForFieldName('body');
    return body ? [body] : undefined;
  }
  if (spread?.type !== 'identifier') return undefined;
  const body = enclosingFunction(at)?.childForFieldName('body');
  return body ? clausesFilledIn(body, spread.text) : undefined;
}

function enclosingFunction(node: Node): Node | null {
  let current = node.parent;
  while (current && current.type !== 'function_definition') current = current.parent;
  return current;
}

/** The clauses a function puts in list `name`: `name = [...]` and `name.append(clause)`. */
function clausesFilledIn(body: Node, name: string): Node[] | undefined {
  const clauses: Node[] = [];
  const stack: Node[] = [body];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node !== body && NESTED_SCOPES.has(node.type)) continue;
    const filled = listFill(node, name);
    if (filled === null) return undefined;
    if (filled) clauses.push(...filled);
    for (const child of node.namedChildren) if (child) stack.push(child);
  }
  return clauses;
}

/**
 * What one node puts in list `name`: clauses, nothing relevant (undefined), or null when it fills
 * the list in a way not followed (`name += ...`, `name.extend(...)`, `name = other`).
 */
function listFill(node: Node, name: string): Node[] | null | undefined {
  if (node.type === 'assignment' || node.type === 'augmented_assignment') {
    if (node.childForFieldName('left')?.text !== name) return undefined;
    const right = node.childForFieldName('right');
    if (node.type === 'augmented_assignment' || !right) return null;
    if (right.type === 'list') return right.namedChildren.filter((child) => !!child);
    if (right.type !== 'list_comprehension') return null;
    const element = right.childForFieldName('body');
    return element ? [element] : null;
  }
  if (node.type !== 'call') return undefined;
  const callee = node.childForFieldName('function');
  if (callee?.type !== 'attribute' || callee.childForFieldName('object')?.text !== name)
    return undefined;
  const method = callee.childForFieldName('attribute')?.text;
  if (method !== 'append') return method === 'extend' || method === 'insert' ? null : undefined;
  const args = node.childForFieldName('arguments')?.namedChildren ?? [];
  return args.length === 1 && args[0] ? [args[0]] : null;
}

/**
 * The columns a clause pins by `==` to a value: `X.a == k`, or each `==` of `and_(X.a == k,
 * ...)` (the rest of an `and_` only narrows). Empty when it pins none.
 */
function keyColumnsOf(clause: Node): KeyClauseColumn[] {
  if (clause.type === 'comparison_operator') {
    const column = pinnedColumn(clause);
    return column ? [column] : [];
  }
  if (
    clause.type !== 'call' ||
    !/(?:^|\.)and_$/.test(dottedName(clause.childForFieldName('function')))
  )
    return [];
  const parts = clause.childForFieldName('arguments')?.namedChildren ?? [];
  return parts.flatMap((part) =>
    part?.type === 'comparison_operator' ? (pinnedColumn(part) ?? []) : [],
  );
}

/** `X.a == value` (either side): the column, when exactly one side is a model's column. */
function pinnedColumn(comparison: Node): KeyClauseColumn | undefined {
  if (!comparison.children.some((token) => token?.type === '==')) return undefined;
  const sides = comparison.namedChildren.filter((side) => !!side);
  if (sides.length !== 2 || sides.some((side) => side.type === 'none')) return undefined;
  const columns = sides.flatMap((side) => {
    const column = modelColumn(side);
    return column ? [column] : [];
  });
  return columns.length === 1 ? columns[0] : undefined;
}

/** `X.a`, `models.X.a`: a capitalised class's attribute, read as a mapped column. */
function modelColumn(node: Node): KeyClauseColumn | undefined {
  if (node.type !== 'attribute') return undefined;
  const object = node.childForFieldName('object');
  const owner = object?.type === 'attribute' ? object.childForFieldName('attribute') : object;
  const column = node.childForFieldName('attribute')?.text;
  if (!owner || owner.type !== 'identifier' || !column || !/^[A-Z]/.test(owner.text))
    return undefined;
  return { owner: owner.text, column };
}

/** The columns every clause pins. */
function commonColumns(pinned: readonly KeyClauseColumn[][]): KeyClauseColumn[] {
  const keyOf = ({ owner, column }: KeyClauseColumn) => `${owner}.${column}`;
  const [first, ...rest] = pinned;
  return first.filter(
    (column, at) =>
      first.findIndex((other) => keyOf(other) === keyOf(column)) === at &&
      rest.every((clause) => clause.some((other) => keyOf(other) === keyOf(column))),
  );
}

/** Loops whose body runs once per item: an `|=` there adds one clause per key. */
const LOOPS = new Set(['for_statement', 'while_statement']);
/** A Django field compared by itself: no lookup (`name__icontains`) and no relation path. */
const EXACT_FIELD = /^(?!.*__)\w+$/;

/**
 * The fields a Django `Q` local ORs one clause per key over, when `arg` (a filter's positional
 * argument) is such a local of `fn`: it starts as the empty `Q()` and only grows by `name |=
 * Q(...)` inside a loop, every clause pinning the fields to values (`Q(entity_id=e,
 * locale_id=l) & ~Q(id=t)` pins `entity_id` and `locale_id`). The fields are the ones every
 * clause pins, without lookups (`name__icontains`) or `None`. Undefined for any other shape.
 *
 * An empty `Q()` matches every row, so the filter must sit under a test that the local is not
 * empty (`if q:`): with no key to load, the unguarded filter reads the whole table.
 */
export function djangoOrOfKeyQ(arg: Node, fn: PyFunction | undefined): string[] | undefined {
  if (arg.type !== 'identifier' || !fn) return undefined;
  const name = arg.text;
  let common: string[] | undefined;
  let started = false;
  for (const assignment of fn.assignmentNodes) {
    if (assignment.target !== name) continue;
    const node = assignment.node;
    const value = node.childForFieldName('right');
    if (!value) return undefined;
    if (!assignment.augmented) {
      if (!isEmptyQ(value)) return undefined;
      started = true;
      continue;
    }
    if (node.childForFieldName('operator')?.text !== '|=' || !insideLoop(node, fn))
      return undefined;
    const pins = qPins(value, undefined);
    const fields = pins.columns.filter(
      (column) => EXACT_FIELD.test(column) && !pins.nullColumns.includes(column),
    );
    common = common ? common.filter((field) => fields.includes(field)) : fields;
    if (common.length === 0) return undefined;
  }
  return started && common && isTestedNotEmpty(arg, name, fn) ? common : undefined;
}

/** `Q()`: the empty filter an OR of clauses starts from. */
function isEmptyQ(value: Node): boolean {
  if (value.type !== 'call') return false;
  const callee = dottedName(value.childForFieldName('function'));
  const args = value.childForFieldName('arguments');
  return (callee === 'Q' || callee.endsWith('.Q')) && args?.namedChildren.length === 0;
}

/** Whether `node` runs in a loop of `fn`'s own body. */
function insideLoop(node: Node, fn: PyFunction): boolean {
  for (let at = node.parent; at && at.id !== fn.body.id; at = at.parent)
    if (LOOPS.has(at.type)) return true;
  return false;
}

/** Whether `at` is in the body of an `if name:` (or `if name and ...:`) of `fn`. */
function isTestedNotEmpty(at: Node, name: string, fn: PyFunction): boolean {
  for (let node = at.parent; node && node.id !== fn.body.id; node = node.parent) {
    if (node.type !== 'if_statement') continue;
    const condition = node.childForFieldName('condition');
    const consequence = node.childForFieldName('consequence');
    if (condition && consequence && isWithin(at, consequence) && testsTruth(condition, name))
      return true;
  }
  return false;
}

function isWithin(inner: Node, outer: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/** `name`, or `name and ...` / `... and name`: true only when `name` is. */
function testsTruth(condition: Node, name: string): boolean {
  if (condition.type === 'identifier') return condition.text === name;
  if (condition.type !== 'boolean_operator') return false;
  if (condition.childForFieldName('operator')?.text !== 'and') return false;
  return [condition.childForFieldName('left'), condition.childForFieldName('right')].some(
    (side) => !!side && testsTruth(side, name),
  );
}
