/**
 * Where a list query's rows go inside the function that loads them, for
 * large-column-in-list-query: returned or handed to a call (another reader may use every column),
 * only counted or checked (no row is read), or read here for some columns, and which schemas are
 * built from them. Read from the source and the model's calls, in one function.
 */
import type { Node } from 'web-tree-sitter';
import { localFlow } from './local-flow';
import { loopTarget } from './loop-analysis';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { readChainIn } from './orm';
import { statementsStartingWith } from './returned-calls';
import { positionalArguments, withoutProgressWrapper } from './scope-analysis';

/** `list(x)` and `(x)` around a value: they hand out the same rows. */
function unwrap(node: Node): Node {
  let current = node;
  for (;;) {
    if (current.type === 'parenthesized_expression' && current.firstNamedChild)
      current = current.firstNamedChild;
    else if (
      current.type === 'call' &&
      current.childForFieldName('function')?.text === 'list' &&
      current.childForFieldName('arguments')?.namedChildCount === 1
    )
      current = current.childForFieldName('arguments')!.firstNamedChild!;
    else return current;
  }
}

/** Whether `node` is `list(x)`, `tuple(x)` or `sorted(x, ...)`: the same rows in a new list. */
function isRowsCopy(node: Node): boolean {
  const callee = node.childForFieldName('function')?.text;
  return callee === 'list' || callee === 'tuple' || callee === 'sorted';
}

/**
 * The name the rows of `call` are bound to: `rows` in `rows = q.all()`, `rows = (q.all())`,
 * `rows: list[Note] = list(q.all())`, `rows = await q.all()` (an async wrapper's chain); '' when
 * they are not assigned to a plain name.
 */
export function boundName(call: PyCall): string {
  // `parent` walks down from the root: read only for the rare list query.
  let node = call.node;
  for (let parent = node.parent; parent; parent = node.parent) {
    if (parent.type === 'parenthesized_expression' || parent.type === 'await') node = parent;
    else if (parent.type === 'argument_list' && parent.parent && isRowsCopy(parent.parent))
      node = parent.parent;
    else break;
  }
  const assignment = node.parent;
  // `if rows := (await session.scalars(stmt)).all():`, the "return [] when empty" idiom.
  if (assignment?.type === 'named_expression') {
    if (assignment.childForFieldName('value')?.id !== node.id) return '';
    return assignment.childForFieldName('name')?.text ?? '';
  }
  if (assignment?.type !== 'assignment') return '';
  if (assignment.childForFieldName('right')?.id !== node.id) return '';
  const left = assignment.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : '';
}

/**
 * Queryset methods that send their own SQL and load no model rows (`COUNT(*)`, `EXISTS`, ...) or
 * one at most (`get`, `first`, ...: a lookup, not a list).
 */
const ROWLESS_USE =
  /^\.(?:a?count|a?exists|a?aggregate|a?update|a?delete|values|values_list|a?explain|a?get|a?first|a?last|a?earliest|a?latest)\s*\(/;

/**
 * Whether every use of the queryset bound to `name` in `fn` is a method that loads no rows or a
 * single one (`matching.count()`, `all_docs.get(pk=pk)`): the `.all()` then never runs as a list
 * query.
 */
export function onlyRowlessUses(fn: PyFunction, name: string, source: string): boolean {
  const body = source.slice(fn.node.startIndex, fn.node.endIndex);
  let uses = 0;
  for (const use of body.matchAll(new RegExp(`\\b${name}\\b`, 'g'))) {
    const after = body.slice(use.index + name.length);
    if (/^\s*(?::[^=\n]+)?=(?!=)/.test(after)) continue; // the assignment itself
    if (!ROWLESS_USE.test(after)) return false;
    uses++;
  }
  return uses > 0;
}

/**
 * Django queryset methods that return the same model rows, narrowed, ordered or joined: no Python
 * list has them, so on a list query's rows they mean a lazy queryset handed on.
 */
const QUERYSET_REFINEMENTS = new Set([
  'filter',
  'exclude',
  'select_related',
  'prefetch_related',
  'annotate',
  'alias',
  'order_by',
  'distinct',
  'using',
]);

/**
 * Whether the value of `node` ends up whole in `holder`: only wrapped in parentheses, a list,
 * tuple, set or dict display, a conditional, a copy (`list(rows)`, `rows[:10]`), a Django queryset
 * narrowed from it (`rows.filter(...)`, `rows.select_related(...)`), or an object
 * built from it (`Page(items=rows)`). `rows[0].id`, `len(rows)` or a comprehension over `rows`
 * build other values.
 */
function handedOnWhole(node: Node, holder: { start: number; end: number }): boolean {
  let current = node;
  for (;;) {
    if (current.startIndex === holder.start && current.endIndex === holder.end) return true;
    const parent = current.parent;
    if (!parent || parent.endIndex > holder.end || parent.startIndex < holder.start) return false;
    switch (parent.type) {
      case 'parenthesized_expression':
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'dictionary':
      case 'conditional_expression':
      case 'boolean_operator':
        break;
      case 'pair':
      case 'keyword_argument':
      case 'subscript':
        // The value of `"items": rows`, `items=rows`, `rows[:10]`; not a key or an index.
        if (parent.childForFieldName('value')?.id !== current.id) return false;
        break;
      case 'attribute': {
        // `qs.select_related("project")`: a Django queryset narrowed or joined is still the
        // same rows, loaded by whoever evaluates it (GlitchTip's `get_queryset` helper).
        const call = parent.parent;
        if (
          parent.childForFieldName('object')?.id !== current.id ||
          call?.type !== 'call' ||
          call.childForFieldName('function')?.id !== parent.id ||
          !QUERYSET_REFINEMENTS.has(parent.childForFieldName('attribute')?.text ?? '')
        )
          return false;
        current = call;
        continue;
      }
      case 'argument_list': {
        // The rows as an argument of a copy (`list(rows)`) or of a class (`Page(rows, total)`).
        const call = parent.parent;
        const callee = call?.childForFieldName('function');
        const name = callee?.type === 'attribute' ? callee.childForFieldName('attribute') : callee;
        if (!call || !name || !(isRowsCopy(call) || /^[A-Z]/.test(name.text))) return false;
        current = call;
        continue;
      }
      default:
        return false;
    }
    current = parent;
  }
}

/**
 * Whether the function returns the loaded rows themselves (`return q.all()`, `rows = ...; return
 * rows`, `return {"items": rows, "total": n}`), rather than values it builds from them: then its
 * caller or serializer decides what is read. `name` is what the rows are bound to (`boundName`).
 */
export function returnsRows(call: PyCall, name: string, fn: PyFunction, source: string): boolean {
  const values = returnedValues(fn, source);
  const start = call.node.startIndex;
  const end = call.node.endIndex;
  if (values.some((value) => value.start <= start && end <= value.end)) return true;
  if (!name) return false;
  if (values.some((value) => value.name === name)) return true;
  // The name inside what the function returns, directly or through other variables.
  const word = new RegExp(`\\b${name}\\b`, 'g');
  for (const range of localFlow(fn).returned) {
    const text = source.slice(range.start, range.end);
    for (const match of text.matchAll(word)) {
      const at = range.start + match.index;
      const use = fn.body.namedDescendantForIndex(at, at + name.length);
      if (use?.type === 'identifier' && handedOnWhole(use, range)) return true;
    }
  }
  return false;
}

/** Pydantic class methods that build a schema object from an ORM row, reading its attributes. */
const SCHEMA_FROM_ROW = new Set(['model_validate', 'from_orm', 'parse_obj']);

/**
 * The schema classes the rows of `call` are handed to: `Out` in `[Out.model_validate(r) for r in
 * rows]`, `Out.from_orm(row)` in a loop over them, `Out.parse_obj(rows)`. Each such class reads
 * whichever columns it declares.
 */
export function schemasOfRows(
  call: PyCall,
  calls: readonly PyCall[],
  name: string,
  rowParts: readonly number[] = [],
): string[] {
  /** Whether an expression is the rows: the bound name, or the list query itself. */
  const isRows = (node: Node | null | undefined): boolean => {
    if (!node) return false;
    if (node.startIndex <= call.start && call.end <= node.endIndex) return true;
    const inner = unwrap(node);
    return !!name && inner.type === 'identifier' && inner.text === name;
  };
  const schemas = new Set<string>();
  for (const other of calls) {
    if (!SCHEMA_FROM_ROW.has(other.method) || !other.callee) continue;
    // `Out` in `Out.model_validate`, `schemas.Out.from_orm`.
    const schema = other.callee.split('.').at(-2) ?? '';
    if (!/^[A-Z]/.test(schema)) continue;
    const row = positionalArguments(other)[0];
    if (row?.type !== 'identifier') continue;
    const fromRows =
      row.text === name ||
      other.loops.some((loop) => rowsOfLoop(loop, isRows, rowParts).includes(row.text));
    if (fromRows) schemas.add(schema);
  }
  return [...schemas];
}

/** Builtins that take the rows or a row without reading any column: `len(rows)`, `type(row)`. */
const READS_NO_COLUMN = new Set(['len', 'isinstance', 'id', 'type', 'bool', 'hash']);
/** Builtins that only walk the rows (`enumerate(rows)`): what they yield is followed instead. */
const ITERATES = new Set(['enumerate', 'zip', 'reversed', 'iter', 'list', 'tuple', 'sorted']);
/** `map(fn, rows)`, `filter(fn, rows)`: the rows go to `fn`, read here when it is a lambda. */
const APPLIES = new Set(['map', 'filter']);
/**
 * Django query builders: a row given as a filter or field value (`Q(agent=agent)`,
 * `Entry.objects.filter(agent=agent)`) stands for its primary key, no other column is read.
 */
const KEY_ONLY = new Set([
  'Q',
  'filter',
  'exclude',
  'get',
  'aget',
  'create',
  'acreate',
  'get_or_create',
  'aget_or_create',
  'update_or_create',
  'aupdate_or_create',
  'update',
  'aupdate',
]);

/** Queryset methods that give the same kind of rows, fewer or reordered (`qs.distinct()`). */
const SAME_ROWS = new Set([
  'all',
  'filter',
  'exclude',
  'distinct',
  'order_by',
  'reverse',
  'select_related',
  'prefetch_related',
  'annotate',
  'iterator',
  'using',
]);

/** An argument's values: itself, the items of a list or tuple display, the values of a dict's. */
function argumentValues(arg: Node): Node[] {
  const value = arg.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
  if (!value) return [];
  if (value.type === 'list' || value.type === 'tuple')
    return value.namedChildren.flatMap((n) => n ?? []);
  if (value.type === 'dictionary')
    return value.namedChildren.flatMap((pair) => pair?.childForFieldName('value') ?? []);
  return [value];
}

/**
 * The names a loop binds to rows when it walks the rows: `row` in `for row in rows`, `for row
 * in tqdm(rows)`, `for i, row in enumerate(rows)`, and, when each result is a tuple
 * (`select(Task, Task.owner_name)`), the names at `rowParts`, the tuple positions that hold a
 * whole row: `task` in `for task, owner_name in results`.
 */
function rowsOfLoop(
  loop: PyLoop,
  isRows: (node: Node | null | undefined) => boolean,
  rowParts: readonly number[],
): string[] {
  const target = loopTarget(loop);
  const iterable = loop.iterable;
  if (!target || !iterable || !isRows(withoutProgressWrapper(iterable))) return [];
  if (target.type === 'identifier') return [target.text];
  const parts = target.namedChildren;
  const names = /\benumerate\s*\(/.test(iterable.text)
    ? parts.length === 2
      ? [parts[1]]
      : []
    : rowParts.map((at) => parts[at]);
  return names.flatMap((part) => (part?.type === 'identifier' ? [part.text] : []));
}

/** Whether a call takes what is given to it without reading a column of the rows. */
function readsNoRowColumn(other: PyCall): boolean {
  const callee = other.callee || other.method;
  if (SCHEMA_FROM_ROW.has(other.method) || KEY_ONLY.has(other.method)) return true;
  if (READS_NO_COLUMN.has(callee) || ITERATES.has(callee)) return true;
  return APPLIES.has(callee) && positionalArguments(other)[0]?.type === 'lambda';
}

/**
 * Pydantic / SQLModel methods that serialize a whole row, every column included: `flow.model_dump()`
 * in a loop over the rows reads the large column as surely as `flow.data` would.
 */
const DUMPS_WHOLE_ROW = new Set(['model_dump', 'model_dump_json', 'dict', 'json']);

/** The row a method is called on: `flow` in `flow.model_dump()`; '' for any other receiver. */
function receiverName(other: PyCall): string {
  const dot = other.callee.lastIndexOf('.');
  const receiver = dot > 0 ? other.callee.slice(0, dot) : '';
  return /^\w+$/.test(receiver) ? receiver : '';
}

/**
 * Whether the function hands the rows, or a row of them, to another call: `add_to_index(writer,
 * paper)` in a loop over them, `notify(users=rows)`, `signal.send(instance=row)`, or to the row's
 * own serializer (`[strip(flow.model_dump()) for flow in flows]`). The callee (in the workspace or
 * not) may read any column, as the caller of a function returning the rows may.
 * Schema builders (`Out.model_validate(row)`) are judged by the fields they declare instead;
 * `len(rows)`, a lambda given to `map`/`filter` (read here) and Django filters read no column.
 */
export function handsRowsToCall(
  call: PyCall,
  calls: readonly PyCall[],
  name: string,
  fn: PyFunction,
  model: PythonModel,
  rowParts: readonly number[] = [],
): boolean {
  /** The rows: the list query, its name, or a queryset made from it (`qs.distinct()`). */
  const isRows = (node: Node | null | undefined): boolean => {
    if (!node) return false;
    const inner = unwrap(node);
    if (inner.startIndex === call.start && inner.endIndex === call.end) return true;
    if (!name || inner.type !== 'identifier') return false;
    if (inner.text === name) return true;
    const values = localFlow(fn).assignments.get(inner.text);
    const chain = values?.length === 1 ? readChainIn(values[0], model) : undefined;
    return (
      chain?.root.type === 'identifier' &&
      chain.root.text === name &&
      chain.links.every((link) => link.kind === 'call' && SAME_ROWS.has(link.name))
    );
  };
  for (const other of calls) {
    if (other === call || readsNoRowColumn(other)) continue;
    const rows = new Set(other.loops.flatMap((loop) => rowsOfLoop(loop, isRows, rowParts)));
    if (DUMPS_WHOLE_ROW.has(other.method) && rows.has(receiverName(other))) return true;
    for (const arg of other.args.namedChildren) {
      for (const value of arg ? argumentValues(arg) : []) {
        if (isRows(value)) return true;
        if (value.type === 'identifier' && rows.has(value.text)) return true;
      }
    }
  }
  return false;
}

/** What a `return` statement returns: its range, and its name when it is a plain identifier. */
interface ReturnedValue {
  start: number;
  end: number;
  name: string | null;
}

const returnedValuesCache = new OwnedCache<PyFunction, ReturnedValue[]>('returned values');

const RETURN_KEYWORD = /\breturn\b/g;

/** The values of the `return` statements in a function's body, read once per function. */
function returnedValues(fn: PyFunction, source: string): ReturnedValue[] {
  let values = returnedValuesCache.get(fn);
  if (!values) {
    values = [];
    const statements = statementsStartingWith(fn, source, RETURN_KEYWORD, 'return_statement');
    for (const statement of statements) {
      const value = statement.firstNamedChild ? unwrap(statement.firstNamedChild) : null;
      if (!value) continue;
      values.push({
        start: value.startIndex,
        end: value.endIndex,
        name: value.type === 'identifier' ? value.text : null,
      });
    }
    returnedValuesCache.set(fn, values);
  }
  return values;
}
