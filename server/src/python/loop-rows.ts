/**
 * The variable of a loop over rows, as the receiver of a method call: `parent` in `for parent in
 * parents: parent.get_rels()`. When the loop says which class the rows are (a query of the model,
 * a parameter annotated `list[Model]`), the call names that class's method; otherwise only the
 * method name is known, which the workspace index may tie to the one model defining it.
 */
import type { Node } from 'web-tree-sitter';
import { classNamed } from './instances';
import { isDjangoManagerName, paramOf } from './knowledge';
import { localFlow } from './local-flow';
import { loopTarget, singleBinding } from './loop-analysis';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { NOT_ROWS_METHODS, readChainIn } from './orm';
import { positionalArgumentNodes } from './scope-analysis';

/** Chain methods whose result is no sequence of model instances. */
const NOT_INSTANCES = new Set([...NOT_ROWS_METHODS, 'values', 'values_list', 'mappings', 'tuples']);

/** `list[Pkg]`, `Sequence["Pkg"]`, `tuple[Pkg, ...]`: a collection of one class. */
const COLLECTION_OF =
  /^(?:typing\.|t\.|collections\.abc\.)?(?:list|List|Sequence|MutableSequence|Iterable|Iterator|Collection|set|Set|frozenset|FrozenSet|AbstractSet|tuple|Tuple)\[\s*(["']?)([\w.]+)\1\s*(?:,\s*\.\.\.\s*)?\]$/;
/** `Optional[X]` or `X | None` around an annotation. */
const OPTIONAL = /^(?:typing\.|t\.)?Optional\[([\s\S]+)\]$|^([\s\S]+?)\s*\|\s*None$/;

/** The loop of `call` (innermost first) whose variable is `name`, and the expression it iterates. */
interface RowLoop {
  loop: PyLoop;
  /** What the loop iterates, without an `enumerate(...)` around it. */
  rows: Node;
  /** `rowClasses`'s answer, once asked: a loop's calls share their receiver. */
  classes?: string[];
}

const loopVariables = new OwnedCache<PythonModel, Map<PyLoop, Map<string, RowLoop>>>(
  'loop row variables',
);

/**
 * The names a loop binds to its rows, with the rows: `row` in `for row in rows`, `row` in `for i,
 * row in enumerate(rows)`. Other patterns (`for a, b in pairs`) bind parts of the items.
 */
function rowVariables(loop: PyLoop, model: PythonModel): Map<string, RowLoop> {
  let byLoop = loopVariables.get(model);
  if (!byLoop) loopVariables.set(model, (byLoop = new Map()));
  let names = byLoop.get(loop);
  if (!names) {
    names = new Map();
    const target = loopTarget(loop);
    const iterable = loop.iterable;
    if (target?.type === 'identifier' && iterable) names.set(target.text, { loop, rows: iterable });
    const enumerated = enumeratedRows(loop);
    if (enumerated) names.set(enumerated.row.text, { loop, rows: enumerated.rows });
    byLoop.set(loop, names);
  }
  return names;
}

/** `row` and `rows` of a loop `for i, row in enumerate(rows)`: the variable that holds each item. */
export function enumeratedRows(loop: PyLoop): { row: Node; rows: Node } | undefined {
  const target = loopTarget(loop);
  const iterable = loop.iterable;
  if (target?.type !== 'pattern_list' && target?.type !== 'tuple_pattern') return undefined;
  if (target.namedChildCount !== 2 || iterable?.type !== 'call') return undefined;
  if (iterable.childForFieldName('function')?.text !== 'enumerate') return undefined;
  const row = target.namedChild(1);
  const args = iterable.childForFieldName('arguments');
  const rows = args ? positionalArgumentNodes(args)[0] : undefined;
  return row?.type === 'identifier' && rows ? { row, rows } : undefined;
}

/**
 * The loop around `call` whose variable `name` is, when the function never rebinds that name
 * otherwise (`parent = parent.parent` would hold another object).
 */
export function rowLoopOf(name: string, call: PyCall, model: PythonModel): RowLoop | undefined {
  for (let i = call.loops.length - 1; i >= 0; i--) {
    const loop = call.loops[i];
    const rows = rowVariables(loop, model).get(name);
    if (!rows) continue;
    return isBoundInside(name, call.fn) ? undefined : rows;
  }
  return undefined;
}

/**
 * The qualified names of the class of the rows a loop's variable holds, most specific first, when
 * the loop says: it iterates a query of one model (`db.query(Pkg)...`, `Pkg.query...`,
 * `Pkg.objects...`, `session.scalars(select(Pkg)...)`), directly or through a local assigned it
 * once, or a parameter annotated as a collection of a class (`parents: list[Pkg]`).
 */
export function rowClasses(rows: RowLoop, model: PythonModel): string[] {
  rows.classes ??= findRowClasses(rows, model);
  return rows.classes;
}

function findRowClasses(rows: RowLoop, model: PythonModel): string[] {
  const fn = rows.loop.fn;
  let expression: Node | null = rows.rows;
  if (expression.type === 'identifier') {
    const name = expression.text;
    const param = fn ? paramOf(fn, name) : undefined;
    if (param) return isBoundInside(name, fn) ? [] : annotatedRowClasses(param.annotation, model);
    expression = singleBinding(model, fn, name);
  }
  const className = expression ? queriedClass(expression, fn, model) : undefined;
  return className ? classNamed(className, model) : [];
}

/** Whether the loop's function assigns the name: then it may hold other than what was passed. */
function isBoundInside(name: string, fn: PyFunction | undefined): boolean {
  return !!fn && localFlow(fn).assignments.has(name);
}

/** The class a parameter annotation lists (`list[Pkg]`, `Optional[Sequence[Pkg]]`). */
function annotatedRowClasses(annotation: string, model: PythonModel): string[] {
  let text = annotation.trim();
  const optional = OPTIONAL.exec(text);
  if (optional) text = (optional[1] ?? optional[2]).trim();
  const name = COLLECTION_OF.exec(text)?.[2];
  return name && /^[A-Z]/.test(name.slice(name.lastIndexOf('.') + 1))
    ? classNamed(name, model)
    : [];
}

/**
 * The model class (as written) whose instances a query chain hands out: `Pkg` of
 * `db.query(Pkg).filter(...).all()`, `Pkg.query.filter_by(...)`, `Pkg.objects.filter(...)`,
 * `session.scalars(select(Pkg).where(...))`, `session.execute(select(Pkg)).scalars()`.
 */
function queriedClass(
  expression: Node,
  fn: PyFunction | undefined,
  model: PythonModel,
): string | undefined {
  const { root, links } = readChainIn(expression, model);
  if (links.some((link) => link.kind === 'call' && NOT_INSTANCES.has(link.name))) return undefined;
  const query = links.findIndex((link) => link.name === 'query');
  if (query !== -1) {
    // `db.query(Pkg)`, or Flask-SQLAlchemy's `Pkg.query`.
    if (links[query].kind === 'call') return onlyClassArgument(links[query].args);
    return query === 0 && isClassName(root) ? root.text : undefined;
  }
  const objects = links.findIndex(
    (link) => link.kind === 'attribute' && isDjangoManagerName(link.name),
  );
  if (objects !== -1) {
    const owner = objects === 0 ? root : links[objects - 1].node;
    return isClassName(owner) ? owner.text : undefined;
  }
  const scalars = links.findIndex((link) => link.kind === 'call' && link.name === 'scalars');
  if (scalars === -1) return undefined;
  const own = links[scalars].args ? positionalArgumentNodes(links[scalars].args!)[0] : undefined;
  const execute = links[scalars - 1];
  const statement =
    own ??
    (execute?.kind === 'call' && execute.name === 'execute' && execute.args
      ? positionalArgumentNodes(execute.args)[0]
      : undefined);
  return statement ? selectedClass(statement, fn, model) : undefined;
}

/** `Pkg` of `select(Pkg).where(...)`, also through a local assigned the statement once. */
function selectedClass(
  statement: Node,
  fn: PyFunction | undefined,
  model: PythonModel,
): string | undefined {
  let { root } = readChainIn(statement, model);
  if (root.type === 'identifier') {
    const bound = singleBinding(model, fn, root.text);
    if (bound) root = readChainIn(bound, model).root;
  }
  if (root.type !== 'call') return undefined;
  const callee = root.childForFieldName('function')?.text ?? '';
  if (callee !== 'select' && !callee.endsWith('.select')) return undefined;
  return onlyClassArgument(root.childForFieldName('arguments'));
}

/** The one positional argument of a call when it names a class (`Pkg`, `models.Pkg`). */
function onlyClassArgument(args: Node | null): string | undefined {
  const entities = args ? positionalArgumentNodes(args) : [];
  return entities.length === 1 && isClassName(entities[0]) ? entities[0].text : undefined;
}

/** A name or dotted name whose last part is spelled like a class (`Pkg`, `models.Pkg`). */
function isClassName(node: Node): boolean {
  if (node.type !== 'identifier' && node.type !== 'attribute') return false;
  const text = node.text;
  return /^[\w.]+$/.test(text) && /^[A-Z]/.test(text.slice(text.lastIndexOf('.') + 1));
}

/**
 * Method names too common to tie a call to one class by the name alone: builtin collections and
 * strings have them, and so do ORM rows, querysets, forms, serializers and files.
 */
const COMMON_METHODS = new Set([
  // dict, list, set, str
  'get',
  'items',
  'keys',
  'values',
  'update',
  'setdefault',
  'pop',
  'popitem',
  'copy',
  'clear',
  'append',
  'extend',
  'insert',
  'remove',
  'index',
  'count',
  'sort',
  'reverse',
  'add',
  'discard',
  'union',
  'intersection',
  'difference',
  'issubset',
  'issuperset',
  'split',
  'rsplit',
  'splitlines',
  'strip',
  'lstrip',
  'rstrip',
  'lower',
  'upper',
  'title',
  'replace',
  'startswith',
  'endswith',
  'format',
  'join',
  'encode',
  'decode',
  'find',
  'isdigit',
  // ORM rows and querysets, forms, serializers
  'save',
  'delete',
  'refresh',
  'refresh_from_db',
  'all',
  'filter',
  'exclude',
  'first',
  'last',
  'one',
  'exists',
  'create',
  'order_by',
  'to_dict',
  'as_dict',
  'dict',
  'json',
  'model_dump',
  'model_dump_json',
  'to_json',
  'from_dict',
  'serialize',
  'validate',
  'clean',
  'full_clean',
  'is_valid',
  'get_absolute_url',
  // files, streams, tasks, handlers
  'open',
  'close',
  'read',
  'write',
  'flush',
  'load',
  'dump',
  'run',
  'start',
  'stop',
  'execute',
  'process',
  'handle',
  'render',
  'send',
]);

/**
 * The method a call makes on a loop's row variable of unknown class (`parent.get_rels()` in `for
 * parent in parents:`), or on a local the loop assigns once per item, when its name is distinctive
 * enough to look up by name alone (not a dunder, not one of `COMMON_METHODS`); the workspace index
 * may find the one model defining it.
 */
export function rowMethodName(call: PyCall, model: PythonModel): string | undefined {
  const { callee } = call;
  const dot = callee.indexOf('.');
  if (dot <= 0 || callee.includes('.', dot + 1) || call.loops.length === 0) return undefined;
  const method = callee.slice(dot + 1);
  if (method.startsWith('__') || COMMON_METHODS.has(method)) return undefined;
  const receiver = callee.slice(0, dot);
  return rowLoopOf(receiver, call, model) || assignedPerItem(receiver, call) ? method : undefined;
}

/**
 * Whether `name` holds an object of the loop's item: the function assigns it once, inside a loop
 * around the call (`parent = rel.parent`, then `parent.get_rels()`).
 */
function assignedPerItem(name: string, call: PyCall): boolean {
  if (!call.fn) return false;
  const flow = localFlow(call.fn);
  const values = flow.assignments.get(name);
  if (values?.length !== 1 || flow.opaque.has(name)) return false;
  const at = values[0].startIndex;
  return call.loops.some((loop) => loop.node.startIndex < at && at < loop.node.endIndex);
}
