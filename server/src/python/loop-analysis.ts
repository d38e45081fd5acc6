/**
 * Which loops really run a call once per item, and what such a call costs. The `n-plus-one` rules
 * share this so that a loop over a constant tuple, a retry loop that returns on success, a
 * paginating loop that follows the previous response and a polling loop are judged the same way
 * whether the round trip is made directly or through a helper in another file.
 */
import type { Node } from 'web-tree-sitter';
import type { FileContext } from '../engine/rule';
import { isMigrationPath } from '../sql/helpers';
import { isAsyncWithItem, networkSdkOf } from './blocking';
import {
  HTTP_CLIENT_METHODS,
  isDbRoundTrip,
  isDjangoQuery,
  isHttpRequest,
  receiverRoot,
} from './knowledge';
import {
  bindingKey,
  classOfFunction,
  CONSTANT_LITERAL_TYPES,
  qualify,
  type PyCall,
  type PyFunction,
  type PyLoop,
  type PythonModel,
} from './model';
import {
  evaluatesQuerySetVariable,
  isEvaluatedThroughVariable,
  isSubqueryOfOuterQuery,
  writesQuerySetRow,
} from './django-round-trips';
import { localFlow } from './local-flow';
import {
  callsNamed,
  isTestPath,
  moduleAssignments,
  noneTestedName,
  unwrap,
  withoutProgressWrapper,
} from './scope-analysis';
import { OwnedCache } from './memo';
import { drainsInLimitedBatches, statementsBuiltInLoop } from './batch-drains';
import { boundedSliceIn, queriesOncePerPage } from './batch-pages';
import { sendsRowFetchSql } from './embedded-sql';
import { holdsEnumMembers } from './enum-members';

/**
 * Tests and migrations: they run once, or against a handful of rows, so a round trip per item
 * there costs nobody and reporting it would only be noise.
 */
export function isOneOffCode(relativePath: string): boolean {
  return isTestPath(relativePath) || isMigrationPath(relativePath);
}

/** What one call costs when it runs per item. */
export type RoundTrip = 'db' | 'http';

/** Bulk APIs: one call sends every row, which is the cure for an N+1, not an instance of it. */
const BULK_METHODS = new Set([
  'executemany',
  'bulk_save_objects',
  'bulk_insert_mappings',
  'bulk_update_mappings',
  'add_all',
  'bulk_create',
  'bulk_update',
  'in_bulk',
  'abulk_create',
  'abulk_update',
  'ain_bulk',
  'copy_records_to_table',
  'copy_expert',
  'copy_from',
]);

/** Constructors of HTTP clients: a name bound to one of these makes HTTP calls, not queries. */
const HTTP_CLIENT_CONSTRUCTORS = new Set([
  'requests.Session',
  'requests.session',
  'httpx.Client',
  'httpx.AsyncClient',
  'aiohttp.ClientSession',
  'urllib3.PoolManager',
]);
const SYNC_HTTP_CLIENT_CONSTRUCTORS = new Set([
  'requests.Session',
  'requests.session',
  'httpx.Client',
  'urllib3.PoolManager',
]);

/** Web framework session objects that share database sessions' names. */
const WEB_SESSIONS = new Set(['flask.session', 'quart.session']);

/** asyncpg's reads, always awaited on a connection or pool. */
const ASYNCPG_READS = new Set(['fetch', 'fetchrow', 'fetchval']);
const ASYNCPG_RECEIVER = /(?:^|_|\.)(?:conn|connection|pool|db)$/i;
/** Flask-SQLAlchemy `Model.query` methods that run the query. */
const MODEL_QUERY_TERMINALS = new Set([
  'get',
  'get_or_404',
  'first',
  'first_or_404',
  'one',
  'one_or_none',
  'all',
  'count',
  'scalar',
  'paginate',
]);

/** Calls that start work concurrently: a coroutine handed to them is not awaited in the loop. */
const SPAWN_METHODS = new Set([
  'create_task',
  'ensure_future',
  'gather',
  'start_soon',
  'spawn',
  'run_coroutine_threadsafe',
]);

const SLEEPS = new Set([
  'time.sleep',
  'asyncio.sleep',
  'anyio.sleep',
  'trio.sleep',
  'gevent.sleep',
]);

/** A literal `range(...)` (or display) this short is a fixed handful of iterations, not a loop over data. */
const SMALL_RANGE = 10;
/** Collections written out element by element (`for v in a, b:` is an `expression_list`). */
const DISPLAYS = new Set(['list', 'tuple', 'set', 'expression_list']);
/** Elements that spread another collection into a display: its length is unknown. */
const STARRED = new Set(['list_splat', 'dictionary_splat', 'parenthesized_list_splat']);

/** The literals of a constant literal collection, and negative numbers (`-1`). */
const CONSTANT_TYPES = new Set([...CONSTANT_LITERAL_TYPES, 'unary_operator']);

const EXITS = new Set(['return_statement', 'break_statement', 'raise_statement']);
const EXITS_OF_OUTER_LOOP = new Set(['return_statement', 'raise_statement']);

interface FileCache {
  /** Loop node id -> names assigned in its body, with where. */
  assigned: Map<number, { name: string; at: number }[]>;
  /** Node ids of `while` loops whose body sleeps: polling, a category of its own. */
  sleepingLoops?: Set<number>;
  /** Node id -> call, for walking receiver chains. */
  callsById?: Map<number, PyCall>;
  /** `while` loop node id -> whether it drains a queryset in slices. */
  sliceDrains: Map<number, boolean>;
}

const caches = new OwnedCache<PythonModel, FileCache>('loop analysis');

function cacheOf(model: PythonModel): FileCache {
  let cache = caches.get(model);
  if (!cache) {
    cache = { assigned: new Map(), sliceDrains: new Map() };
    caches.set(model, cache);
  }
  return cache;
}

function within(node: Node, outer: Node | null | undefined): boolean {
  return !!outer && outer.startIndex <= node.startIndex && node.endIndex <= outer.endIndex;
}

/**
 * The single value bound to `name` where the code at `fn` reads it: the innermost function that
 * assigns it (or declares it as a parameter), else the module. Null when that scope binds it more
 * than once, or in a way not followed (a loop target, `+=`), or as a parameter.
 */
export function singleBinding(
  model: PythonModel,
  fn: PyFunction | undefined,
  name: string,
): Node | null {
  for (let scope = fn; scope; scope = scope.parent) {
    // Shared with the ORM rules: one walk of each function body for all of them.
    const flow = localFlow(scope);
    const values = flow.assignments.get(name);
    if (values || flow.opaque.has(name))
      return values?.length === 1 && !flow.opaque.has(name) ? values[0] : null;
    if (scope.params.some((param) => param.name === name)) return null;
  }
  const assignments = moduleAssignments(model).get(name);
  if (assignments?.length !== 1) return null;
  const left = assignments[0].childForFieldName('left');
  return left?.type === 'identifier' ? assignments[0].childForFieldName('right') : null;
}

/** What a receiver name was made by: a parameter's annotation or the call bound to it, qualified. */
function makerOf(call: PyCall, model: PythonModel): string | undefined {
  // `self.session = requests.Session()` in `__init__` makes `self.session.get(...)` a request.
  const className = classOfFunction(call.fn);
  const selfAttribute = className ? selfAttributeOf(call) : undefined;
  if (selfAttribute)
    return model.bindings?.get(bindingKey(selfAttribute, undefined, className))?.qualified;
  const name = receiverRootName(call);
  if (name === undefined) return undefined;
  for (let f = call.fn; f; f = f.parent) {
    const param = f.params.find((p) => p.name === name);
    if (param) return qualify(param.annotation, model.imports);
    const bound = model.bindings?.get(bindingKey(name, f));
    if (bound) return bound.qualified;
  }
  return model.bindings?.get(bindingKey(name))?.qualified ?? model.imports.get(name);
}

/** `'async'`/`'sync'` when the receiver of `call` is an HTTP client by construction or annotation. */
function httpClientOf(call: PyCall, model: PythonModel): 'sync' | 'async' | undefined {
  const maker = makerOf(call, model);
  if (!maker || !HTTP_CLIENT_CONSTRUCTORS.has(maker)) return undefined;
  return SYNC_HTTP_CLIENT_CONSTRUCTORS.has(maker) ? 'sync' : 'async';
}

function callsById(model: PythonModel): Map<number, PyCall> {
  const cache = cacheOf(model);
  if (!cache.callsById) {
    cache.callsById = new Map();
    for (const call of model.calls) cache.callsById.set(call.node.id, call);
  }
  return cache.callsById;
}

/** Whether a Django query call is the first query method of its chain (`objects.filter` in `objects.filter().exclude()`). */
function isFirstDjangoQueryOfChain(call: PyCall, model: PythonModel): boolean {
  const byId = callsById(model);
  let node = call.receiver;
  while (node) {
    if (node.type === 'call') {
      const inner = byId.get(node.id);
      if (inner && isDjangoQuery(inner)) return false;
      node = node.childForFieldName('function');
    } else if (node.type === 'attribute') node = node.childForFieldName('object');
    else return true;
  }
  return true;
}

/** A sync HTTP library call: it performs the request whether or not the function is async. */
function isSyncHttpLibrary(call: PyCall, model: PythonModel): boolean {
  const q = call.qualified;
  return (
    q.startsWith('requests.') ||
    q.startsWith('httpx.') ||
    q.startsWith('urllib.') ||
    httpClientOf(call, model) === 'sync'
  );
}

// A dotted callee spells the receiver (`client.api` in `client.api.get`): the two functions
// below read it instead of the receiver's nodes, which most calls then never need.

/** `self.<attr>` when the call is a method of that attribute (`self.session.get(...)`). */
function selfAttributeOf(call: PyCall): string | undefined {
  if (call.callee) {
    const parts = call.callee.split('.');
    return parts.length === 3 && parts[0] === 'self' ? `self.${parts[1]}` : undefined;
  }
  const receiver = call.receiver;
  return receiver?.type === 'attribute' && receiver.childForFieldName('object')?.text === 'self'
    ? receiver.text
    : undefined;
}

/** The name the receiver is rooted in: `client` in `client.api.get(...)`; undefined if none. */
function receiverRootName(call: PyCall): string | undefined {
  if (call.callee) {
    const dot = call.callee.indexOf('.');
    return dot === -1 ? undefined : call.callee.slice(0, dot);
  }
  let root = call.receiver;
  while (root?.type === 'attribute') root = root.childForFieldName('object');
  return root?.type === 'identifier' ? root.text : undefined;
}

/**
 * Queries `isDbRoundTrip` does not know yet: asyncpg's `await conn.fetchrow(...)`, SQLModel's
 * `session.exec(...)`, and Flask-SQLAlchemy's `Model.query...first()` (reported at the method that
 * runs it, since the chain before it only builds the query).
 */
function isOtherQuery(call: PyCall): boolean {
  if (!call.hasReceiver) return false;
  if (ASYNCPG_READS.has(call.method))
    return call.awaited && ASYNCPG_RECEIVER.test(receiverRoot(call));
  if (call.method === 'exec') return isSqlModelExec(call);
  return runsModelQuery(call);
}

/** SQLModel's `session.exec(select(...))`: `exec` on a receiver named like a session. */
export function isSqlModelExec(call: PyCall): boolean {
  return (
    call.method === 'exec' &&
    call.hasReceiver &&
    /(?:^|_|\.)(?:session|db)$/i.test(receiverRoot(call))
  );
}

/**
 * Whether a call runs a Flask-SQLAlchemy model's `query`: a method that runs it (`first`, `all`,
 * `get`, ...) at the end of a chain on `<Class>.query`, a capitalised name
 * (`Reading.query.filter_by(...).first()`). With `clsToo`, also on `cls.query` (in a classmethod,
 * where `cls` is the model the method is called on, or one inheriting it from a mixin).
 */
export function runsModelQuery(call: PyCall, clsToo = false): boolean {
  if (!MODEL_QUERY_TERMINALS.has(call.method) || !call.hasReceiver) return false;
  let node: Node | null = call.receiver;
  while (node?.type === 'call') {
    const fn = node.childForFieldName('function');
    node = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
  }
  if (node?.type !== 'attribute' || node.childForFieldName('attribute')?.text !== 'query')
    return false;
  const model = node.childForFieldName('object');
  if (model?.type !== 'identifier') return false;
  return /^[A-Z]/.test(model.text) || (clsToo && model.text === 'cls');
}

/** How an effect names a query chain: `Reading.query.filter_by(...).first`. */
export function chainCallee(call: PyCall): string {
  return brief(chainShape(call.node).replace(/\(\.\.\.\)$/, ''), 60);
}

/**
 * The round trip a call makes when it runs, or undefined: a query (reported once per chain, at
 * its head), or an HTTP request. Bulk APIs and names bound to HTTP clients are told apart here.
 */
export function roundTripOf(call: PyCall, model: PythonModel): RoundTrip | undefined {
  // Several rules ask about every call in a loop: classify each once.
  let known = roundTrips.get(model);
  if (!known) {
    known = new Map();
    roundTrips.set(model, known);
  }
  let kind = known.get(call);
  if (kind === undefined) {
    kind = classifyRoundTrip(call, model) ?? null;
    known.set(call, kind);
  }
  return kind ?? undefined;
}

/** Each call's round trip (null: none), in one map per file rather than one cache per call. */
const roundTrips = new OwnedCache<PythonModel, Map<PyCall, RoundTrip | null>>('round trips');

function classifyRoundTrip(call: PyCall, model: PythonModel): RoundTrip | undefined {
  if (BULK_METHODS.has(call.method)) return undefined;
  if (call.hasReceiver) {
    const maker = makerOf(call, model);
    // `session = requests.Session()` makes `session.get(url)` a request, not an ORM lookup.
    if (maker && HTTP_CLIENT_CONSTRUCTORS.has(maker))
      return HTTP_CLIENT_METHODS.has(call.method) ? 'http' : undefined;
    // Flask's `session` is a signed cookie, not a database session.
    if (WEB_SESSIONS.has(maker ?? '')) return undefined;
  }
  if (isDbRoundTrip(call, model)) {
    if (isDjangoQuery(call)) {
      if (!isFirstDjangoQueryOfChain(call, model)) return undefined;
      // Compiled into the enclosing query, or run where a variable holding it is evaluated.
      if (isSubqueryOfOuterQuery(call, model) || isEvaluatedThroughVariable(call, model))
        return undefined;
    }
    return 'db';
  }
  if (evaluatesQuerySetVariable(call, model) || writesQuerySetRow(call, model)) return 'db';
  if (isHttpRequest(call) || networkSdkOf(call, model)) return 'http';
  return isOtherQuery(call) || sendsRowFetchSql(call, model) ? 'db' : undefined;
}

/**
 * Whether the request of an HTTP call is started concurrently rather than waited for in the loop:
 * a coroutine handed to `create_task`/`gather`, or built un-awaited in an `async def` (collected
 * for `asyncio.gather`). Sync libraries and aiohttp's `async with session.get()` do wait.
 */
export function isStartedConcurrently(call: PyCall, model: PythonModel): boolean {
  if (call.awaited) return false;
  // A call directly in an argument list has an `outer` call; `parent` walks down from the root.
  const parent = call.outer ? call.node.parent : null;
  const holder = parent?.parent;
  if (parent?.type === 'argument_list' && holder?.type === 'call') {
    const fnNode = holder.childForFieldName('function');
    const name =
      fnNode?.type === 'attribute'
        ? (fnNode.childForFieldName('attribute')?.text ?? '')
        : (fnNode?.text ?? '');
    if (SPAWN_METHODS.has(name)) return true;
  }
  if (!call.fn?.isAsync || isAsyncWithItem(call)) return false;
  return !isSyncHttpLibrary(call, model);
}

/** A literal dict, list, tuple or set holding only literals and such collections. */
export function isConstantCollection(node: Node | null): boolean {
  if (!node) return false;
  if (node.type === 'dictionary') {
    return node.namedChildren.every(
      (pair) =>
        !!pair &&
        (pair.type === 'comment' ||
          (pair.type === 'pair' &&
            isConstantValue(pair.childForFieldName('key')) &&
            isConstantValue(pair.childForFieldName('value')))),
    );
  }
  if (node.type !== 'list' && node.type !== 'tuple' && node.type !== 'set') return false;
  return node.namedChildren.every((child) => !!child && isConstantValue(child));
}

/**
 * A list, tuple or set written out with a handful of elements and nothing starred
 * (`("5.2", newest)`): the loop runs that many times, whatever the elements hold.
 */
function isShortDisplay(node: Node): boolean {
  if (!DISPLAYS.has(node.type)) return false;
  const elements = node.namedChildren.filter((child) => child?.type !== 'comment');
  return (
    elements.length <= SMALL_RANGE && elements.every((child) => !!child && !STARRED.has(child.type))
  );
}

function isConstantValue(node: Node | null): boolean {
  return !!node && (CONSTANT_TYPES.has(node.type) || isConstantCollection(node));
}

/** Methods that add elements to a list, set or dict in place. */
const GROWING_METHODS = ['append', 'extend', 'insert', 'add', 'update'];
/** Methods that add one element in place, and which argument it is (`insert(i, x)`). */
const ONE_ELEMENT_METHODS = new Map([
  ['append', 0],
  ['add', 0],
  ['insert', 1],
]);

/**
 * Whether the function (or one it is nested in) adds to the collection `name` in place beyond a
 * fixed handful: `items = []` filled with `items.append(row)` in an earlier loop holds as many
 * elements as that loop ran. A display (`bound`) grown only by one-element additions outside any
 * loop (`to_update.append((Country, q))` under an `if`) still holds at most its elements plus
 * one per addition; it stays fixed while that is ten or fewer.
 */
function isGrown(
  name: string,
  bound: Node,
  model: PythonModel,
  fn: PyFunction | undefined,
): boolean {
  const growths = GROWING_METHODS.flatMap((method) =>
    callsNamed(model, `${name}.${method}`).filter((call) => {
      // In the reading function, one it is nested in, or at module level.
      for (let f = fn; f; f = f.parent) if (call.fn === f) return true;
      return call.fn === undefined;
    }),
  );
  if (growths.length === 0) return false;
  const display = unwrap(bound);
  if (!display || !isShortDisplay(display) || display.type === 'expression_list') return true;
  if (!growths.every(addsOneElementOnce)) return true;
  return elementsOf(display).length + growths.length > SMALL_RANGE;
}

/** `items.append(x)` (or `.add(x)`, `.insert(i, x)`) with no loop around it: one element, once. */
function addsOneElementOnce(call: PyCall): boolean {
  const index = ONE_ELEMENT_METHODS.get(call.method);
  if (index === undefined || call.loops.length > 0 || call.inLambda) return false;
  const args = elementsOf(call.args);
  return (
    args.length === index + 1 &&
    args.every((arg) => !STARRED.has(arg.type) && arg.type !== 'keyword_argument')
  );
}

/** The named children of a display or argument list, comments left out. */
function elementsOf(node: Node): Node[] {
  return node.namedChildren.filter((child): child is Node => !!child && child.type !== 'comment');
}

const WRAPPERS = new Set(['enumerate', 'sorted', 'reversed', 'list', 'tuple', 'set']);
const DICT_VIEWS = new Set(['items', 'keys', 'values']);
/** Comprehensions, whose items number at most those of the iterable they walk. */
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'generator_expression']);
/** Lists of a Django model's fields or relations on its `_meta` options. */
const META_FIELD_LISTS = new Set([
  'fields',
  'concrete_fields',
  'local_fields',
  'local_concrete_fields',
  'many_to_many',
  'local_many_to_many',
  'related_objects',
  'private_fields',
]);

/** `X._meta`: the options object Django gives every model class and instance. */
function isModelOptions(node: Node | null | undefined): boolean {
  return node?.type === 'attribute' && node.childForFieldName('attribute')?.text === '_meta';
}

/**
 * A Django model's own fields or relations (`Model._meta.get_fields()`, `obj._meta.fields`,
 * `obj._meta.related_objects`): the schema, not the data, sets how many there are.
 */
function listsModelSchema(value: Node): boolean {
  if (value.type === 'attribute')
    return (
      META_FIELD_LISTS.has(value.childForFieldName('attribute')?.text ?? '') &&
      isModelOptions(value.childForFieldName('object'))
    );
  const fnNode = value.type === 'call' ? value.childForFieldName('function') : null;
  return (
    fnNode?.type === 'attribute' &&
    fnNode.childForFieldName('attribute')?.text === 'get_fields' &&
    isModelOptions(fnNode.childForFieldName('object'))
  );
}

/**
 * The iterable is fixed in the code: a literal collection, a name bound once to one, a short
 * literal `range`, the members of an Enum the module declares, a model's own fields; also a
 * comprehension with one `for` over such an iterable (`[f for f in fields if f.unique]`).
 */
function isFixedIterable(
  node: Node | null,
  model: PythonModel,
  fn: PyFunction | undefined,
  depth = 0,
): boolean {
  const value = unwrap(node);
  if (!value || depth > 3) return false;
  if (isConstantCollection(value) || isShortDisplay(value) || listsModelSchema(value)) return true;
  if (COMPREHENSIONS.has(value.type)) {
    const clauses = value.namedChildren.filter((child) => child?.type === 'for_in_clause');
    return (
      clauses.length === 1 &&
      isFixedIterable(clauses[0]?.childForFieldName('right') ?? null, model, fn, depth + 1)
    );
  }
  if (value.type === 'identifier') {
    // `for tf in TimeFrame`, `list(TimeFrame)`, a parameter `frames: list[TimeFrame]`.
    if (holdsEnumMembers(value.text, model, fn)) return true;
    const bound = singleBinding(model, fn, value.text);
    return (
      !!bound &&
      isFixedIterable(bound, model, fn, depth + 1) &&
      !isGrown(value.text, bound, model, fn)
    );
  }
  if (value.type !== 'call') return false;
  const fnNode = value.childForFieldName('function');
  const args = (value.childForFieldName('arguments')?.namedChildren ?? []).filter(
    (arg): arg is Node => !!arg && arg.type !== 'comment',
  );
  if (fnNode?.type === 'identifier') {
    if (fnNode.text === 'range') return isSmallRange(args);
    if (WRAPPERS.has(fnNode.text)) return isFixedIterable(args[0] ?? null, model, fn, depth + 1);
    return false;
  }
  if (
    fnNode?.type === 'attribute' &&
    DICT_VIEWS.has(fnNode.childForFieldName('attribute')?.text ?? '')
  )
    return isFixedIterable(fnNode.childForFieldName('object'), model, fn, depth + 1);
  return false;
}

function isSmallRange(args: Node[]): boolean {
  if (args.length === 0 || args.length > 3 || args.some((arg) => arg.type !== 'integer'))
    return false;
  const [a, b, step] = args.map((arg) => Number(arg.text.replace(/_/g, '')));
  const [start, stop] = args.length === 1 ? [0, a] : [a, b];
  return Math.ceil((stop - start) / (step || 1)) <= SMALL_RANGE;
}

/** Functions that split a collection into batches (`more_itertools.chunked`, `itertools.batched`). */
const BATCHING =
  /^(?:chunks?|chunked|chunkify|batch(?:es|ed)?|in_batches|iter_batches|grouper|partition(?:_all)?)$/;
/** Loop variables named for a batch: `batch`, `chunk`, `id_batch`, `chunk_of_rows`. */
const BATCH_VARIABLE = /(?:^|_)(?:batch|chunk)(?:es|s)?(?:_|$)/;

/**
 * A loop over batches rather than items: one round trip per batch of 500 is the cure for an N+1.
 * Recognised by a batching function, a stepped `range(0, n, size)`, or the loop variable's name.
 */
function isBatchLoop(loop: PyLoop): boolean {
  const iterable = withoutProgressWrapper(unwrap(loop.iterable));
  if (iterable?.type === 'call') {
    const fnNode = iterable.childForFieldName('function');
    const name =
      fnNode?.type === 'attribute' ? fnNode.childForFieldName('attribute')?.text : fnNode?.text;
    if (name && BATCHING.test(name)) return true;
    const args = iterable.childForFieldName('arguments')?.namedChildren ?? [];
    const stepped = name === 'range' || name === 'trange';
    if (stepped && args.filter((arg) => arg && arg.type !== 'comment').length === 3) return true;
  }
  const target = loopTarget(loop);
  return target?.type === 'identifier' && BATCH_VARIABLE.test(target.text);
}

function loopBody(loop: PyLoop): Node | null {
  return loop.kind === 'comprehension' ? loop.node : loop.node.childForFieldName('body');
}

/**
 * Whether, once `call` has run, control unconditionally leaves `loop` (a `return`, `raise` or
 * `break` after it in the same block, or in the body of the `with` whose header makes the call):
 * the call then runs once per entry, as in a retry loop that returns on success or a `while True:`
 * that breaks at the end.
 */
function leavesLoopAfter(call: PyCall, loop: PyLoop): boolean {
  if (loop.kind === 'comprehension') return false;
  // Statement loops nested inside `loop` that still enclose the current node: their `break`s are theirs.
  let innerLoops = call.loops.filter(
    (other) => other !== loop && other.kind !== 'comprehension' && within(other.node, loop.node),
  ).length;
  // From the call up to the loop, each node with its parent. The path is read downwards from the
  // loop: tree-sitter's `parent` and sibling steps walk down from the root, so in a module of
  // thousands of definitions each step scanned them all.
  const path = pathDown(loop.node, call.node);
  const types = path.map((node) => node.type);
  for (let i = path.length - 1; i >= 1; i--) {
    const type = types[i];
    if (type === 'return_statement' || type === 'raise_statement') return true;
    const parentType = types[i - 1];
    const exits = innerLoops > 0 ? EXITS_OF_OUTER_LOOP : EXITS;
    if (parentType === 'block' || parentType === 'module') {
      const siblings = path[i - 1].namedChildren;
      const id = path[i].id;
      let after = siblings.findIndex((sibling) => sibling?.id === id) + 1;
      while (after > 0 && after < siblings.length) {
        if (exits.has(siblings[after++]!.type)) return true;
      }
    }
    // `with client.stream(...) as resp:` runs its whole body after the call in its header: an
    // exit among the body's statements leaves the loop after the call, as one after it would.
    if (type === 'with_clause' && parentType === 'with_statement') {
      const body = path[i - 1].childForFieldName('body');
      if (body?.namedChildren.some((statement) => !!statement && exits.has(statement.type)))
        return true;
    }
    if ((parentType === 'for_statement' || parentType === 'while_statement') && innerLoops > 0)
      innerLoops--;
  }
  return false;
}

/** The nodes from the child of `ancestor` that holds `descendant` down to `descendant` itself. */
function pathDown(ancestor: Node, descendant: Node): Node[] {
  const path: Node[] = [];
  const id = descendant.id;
  for (let node = ancestor.childWithDescendant(descendant); node;) {
    path.push(node);
    node = node.id === id ? null : node.childWithDescendant(descendant);
  }
  return path;
}

function assignedIn(loop: PyLoop, model: PythonModel): { name: string; at: number }[] {
  const cache = cacheOf(model);
  let found = cache.assigned.get(loop.node.id);
  if (found) return found;
  found = [];
  cache.assigned.set(loop.node.id, found);
  const body = loopBody(loop);
  if (!body) return found;
  // The model lists every assignment node: those in the body are picked by range, which costs
  // far less than walking the body's nodes (each visit crosses into WASM).
  const start = body.startIndex;
  const end = body.endIndex;
  // Only the loop's own function's assignments can be in its body: a large module's loops each
  // went through every assignment and definition of the file.
  const inBody = (loop.fn ? loop.fn.assignmentNodes : model.assignmentNodes)
    .map(({ node }) => node)
    .filter((node) => start <= node.startIndex && node.startIndex < end);
  if (inBody.length === 0) return found;
  // Functions and classes defined in the body bind names of their own. A function's list already
  // leaves out the assignments of functions nested in it, not those of classes defined in it.
  const nested = [...(loop.fn ? [] : model.functions), ...model.classes]
    .filter(({ node }) => start <= node.startIndex && node.startIndex < end)
    .map(({ node }) => ({ start: node.startIndex, end: node.endIndex }));
  for (const node of inBody) {
    const at = node.startIndex;
    if (nested.some((scope) => scope.start <= at && at < scope.end)) continue;
    const left = node.childForFieldName('left');
    const leftType = left?.type;
    if (leftType === 'identifier') found.push({ name: left!.text, at });
    else if (leftType === 'pattern_list' || leftType === 'tuple_pattern') {
      for (const part of left!.namedChildren)
        if (part?.type === 'identifier') found.push({ name: part.text, at });
    }
  }
  return found;
}

/**
 * Whether the call's arguments use a name the loop reassigns after the call: each round trip
 * needs the previous one's answer (a `next` link, a cursor, the last id of a page), so the
 * requests cannot be batched or run together. Pagination is sequential by nature.
 */
function dependsOnPreviousIteration(call: PyCall, loop: PyLoop, model: PythonModel): boolean {
  const later = assignedIn(loop, model).filter((entry) => entry.at > call.end);
  const names = new Set(later.map((entry) => entry.name));
  for (const name of chainedAnswerNames(call, loop)) names.add(name);
  if (names.size === 0) return false;
  if (usesAny(call.args, names)) return true;
  // `stmt = select(X).where(X.id > last_id)...` built in the loop, then `session.execute(stmt)`.
  return statementsBuiltInLoop(call, loop).some((statement) => usesAny(statement, names));
}

/**
 * In a `while` loop, the name the call's own answer is assigned to (`node = Port.objects.get(peer=
 * node)`, `frontier = db.execute(stmt).scalars().all()`) and the names the loop's body derives
 * from it (`peer = node.get_peer()`). A query reading one of them follows the previous pass's
 * answer: a pointer chase hop by hop, or a tree walked level by level with one `IN (...)` per
 * level. Neither has its keys before the loop to batch; the statements grow with the depth.
 */
function chainedAnswerNames(call: PyCall, loop: PyLoop): string[] {
  const body = loop.kind === 'while' ? loop.node.childForFieldName('body') : null;
  if (!body || !loop.fn) return [];
  const start = body.startIndex;
  const end = body.endIndex;
  const inBody = loop.fn.assignmentNodes.filter(
    ({ node, target, augmented }) =>
      !!target &&
      !target.includes('.') &&
      !augmented &&
      start <= node.startIndex &&
      node.startIndex < end,
  );
  const own = inBody.find(({ node }) => {
    const value = node.childForFieldName('right');
    return !!value && within(call.node, value) && answers(value, call);
  });
  if (!own?.target) return [];
  const names = new Set([own.target]);
  // A few rounds reach `peer = node.get_peer()`, then `key = peer.pk`: derivations are short.
  for (let round = 0; round < 3; round++) {
    const size = names.size;
    for (const { node, target } of inBody)
      if (target && !names.has(target) && usesAny(node.childForFieldName('right'), names))
        names.add(target);
    if (names.size === size) break;
  }
  return [...names];
}

/** Whether an expression reads one of `names` as a variable. */
function usesAny(node: Node | null, names: ReadonlySet<string>): boolean {
  if (!node) return false;
  if (node.type === 'identifier') return names.has(node.text);
  // Keyword names and attribute names are not variables.
  if (node.type === 'keyword_argument') return usesAny(node.childForFieldName('value'), names);
  if (node.type === 'attribute') return usesAny(node.childForFieldName('object'), names);
  return node.namedChildren.some((child) => usesAny(child, names));
}

/** Expressions a `while` condition may wrap its deciding call in: `not`, `and`, `is not None`, `:=`. */
const CONDITION_WRAPPERS = new Set([
  'parenthesized_expression',
  'await',
  'not_operator',
  'boolean_operator',
  'comparison_operator',
  'named_expression',
]);

/**
 * Whether the call's answer decides whether a `while` loop runs another pass: the condition is
 * the call (or a chain it heads), alone or under `not`, `and`/`or`, a comparison or a walrus
 * (`while claim_one():`, `while not stopping and handle_one():`, `while (job := next_job()) is
 * not None:`). Such a loop drains a work queue: no collection exists before it to fetch in one
 * batch, and the call only answers differently because the previous pass changed the data
 * (claimed a row, marked it done), so each call depends on the one before, like pagination. Job
 * workers claim one row at a time on purpose, so that several of them can run side by side.
 */
function drivesWhileLoop(call: PyCall, loop: PyLoop): boolean {
  if (loop.kind !== 'while') return false;
  const condition = loop.node.childForFieldName('condition');
  if (condition && within(call.node, condition)) return answers(condition, call);
  return drainsBeforeBreak(call, loop);
}

/**
 * Whether `expression` is the call's answer: the call, or a chain it heads
 * (`Job.objects.filter(...).first()`), under the condition wrappers (`not`, `and`, `:=`, ...).
 */
function answers(expression: Node, call: PyCall): boolean {
  if (expression.id === call.node.id) return true;
  const path = [expression, ...pathDown(expression, call.node)];
  for (let i = 0; i < path.length - 1; i++) {
    const type = path[i].type;
    if (CONDITION_WRAPPERS.has(type)) continue;
    const field = type === 'call' ? 'function' : type === 'attribute' ? 'object' : undefined;
    if (!field || path[i].childForFieldName(field)?.id !== path[i + 1].id) return false;
  }
  return true;
}

/**
 * The drain written before the walrus operator: `while True: job = claim(); if job is None:
 * break`. The call's answer, assigned at the top of the body, decides in the next statement
 * whether the loop goes on, as it would in the condition. A `with` block around them (`with
 * transaction.atomic():`, a lock, a tracing span: one transaction per claimed row) is looked
 * through: its `break` still ends the loop.
 */
function drainsBeforeBreak(call: PyCall, loop: PyLoop): boolean {
  let statements = loop.node.childForFieldName('body')?.namedChildren ?? [];
  let index = statements.findIndex((statement) => statement && within(call.node, statement));
  for (let block = statements[index]; block?.type === 'with_statement'; block = statements[index]) {
    statements = block.childForFieldName('body')?.namedChildren ?? [];
    index = statements.findIndex((statement) => statement && within(call.node, statement));
  }
  const assignment = statements[index]?.namedChildren[0];
  if (statements[index]?.type !== 'expression_statement' || assignment?.type !== 'assignment')
    return false;
  const target = assignment.childForFieldName('left');
  const value = assignment.childForFieldName('right');
  if (target?.type !== 'identifier' || !value || !answers(value, call)) return false;
  return endsLoopOnNothing(statements[index + 1], target.text);
}

/** `if job is None: break`, `if not ids: return`: the test that ends a drain when `name` holds nothing. */
function endsLoopOnNothing(test: Node | null | undefined, name: string): boolean {
  if (test?.type !== 'if_statement' || test.childForFieldName('alternative')) return false;
  const condition = test.childForFieldName('condition')?.text.trim() ?? '';
  const consequence = test.childForFieldName('consequence')?.namedChildren ?? [];
  return (
    noneTestedName(condition) === name &&
    consequence.length === 1 &&
    (consequence[0]?.type === 'break_statement' || consequence[0]?.type === 'return_statement')
  );
}

/**
 * A `while` loop that drains a queryset in slices: each pass takes the first `n` rows (or their
 * ids) and handles them as one batch (`ids = list(qs.values_list("id", flat=True)[:500])`, then
 * `Model.objects.filter(id__in=ids).delete()`), until `qs.exists()` (the loop's condition, on the
 * sliced queryset) finds none left or the slice comes back empty (`if not ids: break`). One round
 * trip per batch is the cure for an N+1. A pass that takes no slice (`row = qs.first()`) handles
 * one row, and its queries are judged as usual.
 */
function drainsInSlices(loop: PyLoop, model: PythonModel): boolean {
  if (loop.kind !== 'while') return false;
  const cache = cacheOf(model).sliceDrains;
  let drains = cache.get(loop.node.id);
  if (drains === undefined) {
    drains = takesSlicePerPass(loop.node);
    cache.set(loop.node.id, drains);
  }
  return drains;
}

function takesSlicePerPass(whileNode: Node): boolean {
  const body = whileNode.childForFieldName('body');
  // A slice needs a colon inside brackets: most loop bodies are ruled out by their text.
  if (!body || !SLICE_TEXT.test(body.text)) return false;
  const tested = existenceTestedRoot(whileNode.childForFieldName('condition'));
  const statements = body.namedChildren;
  for (let i = 0; i < statements.length; i++) {
    const batch = slicedBatch(statements[i]);
    if (!batch) continue;
    if (tested !== undefined && batch.root === tested) return true;
    if (statements.slice(i + 1).some((statement) => endsLoopOnNothing(statement, batch.name)))
      return true;
  }
  return false;
}

const SLICE_TEXT = /\[[^\]\n]*:/;
const EXISTENCE_TESTS = new Set(['exists', 'aexists']);

/** The name `while qs.exists():` (or `await qs.aexists()`) tests: the root of the queryset. */
function existenceTestedRoot(condition: Node | null): string | undefined {
  const test = unwrap(condition);
  if (test?.type !== 'call') return undefined;
  const fnNode = test.childForFieldName('function');
  if (fnNode?.type !== 'attribute') return undefined;
  if (!EXISTENCE_TESTS.has(fnNode.childForFieldName('attribute')?.text ?? '')) return undefined;
  return chainRootName(fnNode.childForFieldName('object'));
}

/** The name a chain of calls, attributes and subscripts starts from: `qs` in `qs.values("id")[:9]`. */
function chainRootName(node: Node | null): string | undefined {
  let current = unwrap(node);
  for (;;) {
    const type = current?.type;
    if (type === 'identifier') return current!.text;
    if (type === 'attribute') current = unwrap(current!.childForFieldName('object'));
    else if (type === 'call') current = unwrap(current!.childForFieldName('function'));
    else if (type === 'subscript') current = unwrap(current!.childForFieldName('value'));
    else return undefined;
  }
}

/**
 * `batch = <expression taking a slice [:n] of a chain>`: the name bound and the chain's root
 * (`ids` and `qs` for `ids = list(qs.values_list("id", flat=True)[:500])`).
 */
function slicedBatch(statement: Node | null): { name: string; root: string } | undefined {
  const assignment = statement?.type === 'expression_statement' ? statement.firstNamedChild : null;
  if (assignment?.type !== 'assignment') return undefined;
  const target = assignment.childForFieldName('left');
  const value = assignment.childForFieldName('right');
  if (target?.type !== 'identifier' || !value || !SLICE_TEXT.test(value.text)) return undefined;
  const sliced = boundedSliceIn(value, 0);
  const root = sliced && chainRootName(sliced.childForFieldName('value'));
  return root ? { name: target.text, root } : undefined;
}

/**
 * Whether a `while` loop around a drain loop (`while not stopping: while claim_one(): pass`)
 * only repeats the drain: the drain call's receiver and arguments read no name the outer loop
 * binds on each pass. When they do (`while queue: job = queue.pop(); while claim(job): ...`),
 * the outer loop runs the call once per item and is judged as usual.
 */
function repeatsDrainOnly(call: PyCall, loop: PyLoop, model: PythonModel): boolean {
  if (loop.kind !== 'while') return false;
  const names = new Set(assignedIn(loop, model).map((entry) => entry.name));
  for (const bound of walrusNames(loop.node.childForFieldName('condition'))) names.add(bound);
  if (names.size === 0) return true;
  const root = receiverRootName(call);
  return !(root !== undefined && names.has(root)) && !usesAny(call.args, names);
}

/** Names a `while` condition binds with `:=` (`while (job := queue.pop()) is not None`). */
function walrusNames(node: Node | null): string[] {
  if (!node) return [];
  if (node.type === 'named_expression') {
    const name = node.childForFieldName('name');
    return [...(name ? [name.text] : []), ...walrusNames(node.childForFieldName('value'))];
  }
  return node.namedChildren.flatMap((child) => walrusNames(child));
}

function sleepingLoops(model: PythonModel): Set<number> {
  const cache = cacheOf(model);
  if (!cache.sleepingLoops) {
    cache.sleepingLoops = new Set();
    for (const call of model.calls) {
      const innermost = call.loops[call.loops.length - 1];
      if (innermost?.kind === 'while' && SLEEPS.has(call.qualified))
        cache.sleepingLoops.add(innermost.node.id);
    }
  }
  return cache.sleepingLoops;
}

/**
 * The loops around `call` that run it once per item, innermost last. Left out: loops over fixed
 * literal collections (or names bound once to one, or a literal `range` of ten or fewer), the
 * first iterable of a comprehension and a loop's `else` (both run once), loops over batches
 * (and `while` loops that drain a queryset in slices or a table with `.limit(n)`, and loops over
 * pages whose query takes the whole page in an `IN (...)`),
 * loops the code leaves right after the call, loops whose next call needs this one's answer,
 * `while` loops whose condition is the call (draining a queue) and `while` loops that only repeat
 * such a drain, and `while` loops that sleep (polling, reported elsewhere).
 */
export function repeatingLoops(call: PyCall, model: PythonModel): PyLoop[] {
  if (call.loops.length === 0 || call.inLambda) return [];
  const result: PyLoop[] = [];
  // The `while` loop whose condition the call is (a call sits in one condition at most).
  const drained = call.loops.findIndex((loop) => drivesWhileLoop(call, loop));
  for (const [depth, loop] of call.loops.entries()) {
    // Iterables run once. The model means to keep `for` iterables out of `loops`, but compares
    // nodes with `===`, which web-tree-sitter's fresh wrappers never satisfy; comprehensions
    // (whose first iterable also runs once) need the check anyway.
    if (within(call.node, loop.iterable)) continue;
    if (
      loop.kind !== 'comprehension' &&
      within(call.node, loop.node.childForFieldName('alternative'))
    )
      continue;
    if (loop.overConstantLiteral || isFixedIterable(loop.iterable ?? null, model, call.fn))
      continue;
    if (loop.kind === 'while' && sleepingLoops(model).has(loop.node.id)) continue;
    if (isBatchLoop(loop) || drainsInSlices(loop, model)) continue;
    if (queriesOncePerPage(call, loop, model)) continue;
    if (drainsInLimitedBatches(loop, model)) continue;
    if (leavesLoopAfter(call, loop)) continue;
    if (dependsOnPreviousIteration(call, loop, model)) continue;
    if (depth === drained || (depth < drained && repeatsDrainOnly(call, loop, model))) continue;
    result.push(loop);
  }
  return result;
}

/**
 * The calls of a file that make a `kind` round trip a loop repeats, each with the innermost loop
 * that repeats it; none in tests and migrations. Calls `skip` accepts are passed over before their
 * loops are examined; calls `also` accepts count as such round trips too (what only the workspace
 * index tells, which `roundTripOf` does not read).
 */
export function* repeatedRoundTrips(
  ctx: FileContext,
  kind: RoundTrip,
  skip?: (call: PyCall, model: PythonModel) => boolean,
  also?: (call: PyCall, model: PythonModel) => boolean,
): Generator<{ call: PyCall; loop: PyLoop }> {
  const model = ctx.python;
  if (!model || isOneOffCode(ctx.relativePath)) return;
  for (const call of model.calls) {
    if (call.loops.length === 0) continue;
    if (roundTripOf(call, model) !== kind && !also?.(call, model)) continue;
    if (skip?.(call, model)) continue;
    const loops = repeatingLoops(call, model);
    if (loops.length > 0) yield { call, loop: loops[loops.length - 1] };
  }
}

/** The loop's variable pattern: `user` in `for user in users`; null for `while`. */
export function loopTarget(loop: PyLoop): Node | null {
  if (loop.kind === 'for') return loop.node.childForFieldName('left');
  if (loop.kind === 'comprehension')
    return (
      loop.node.namedChildren.find((c) => c?.type === 'for_in_clause')?.childForFieldName('left') ??
      null
    );
  return null;
}

/** Source text shortened to one line for a message. */
export function brief(text: string, max = 40): string {
  const line = text.split('\n')[0].trim();
  if (line.length > max) return `${line.slice(0, max - 1)}…`;
  return line === text.trim() ? line : `${line}…`;
}

/** A call chain with its arguments elided: `Reading.query.filter_by(...).first(...)`. */
function chainShape(node: Node | null): string {
  if (!node) return '…';
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute')
    return `${chainShape(node.childForFieldName('object'))}.${node.childForFieldName('attribute')?.text ?? ''}`;
  if (node.type === 'call') return `${chainShape(node.childForFieldName('function'))}(...)`;
  return '…';
}

/**
 * What to do about one HTTP request per item, as `http-call-in-loop` and `query-in-loop-via-helper`
 * advise it: requests to other services cannot be folded into one query, only sent together (or
 * to a batch endpoint). `awaited`: the request is awaited (or an `async with` item), so
 * `asyncio.gather` can start them together; otherwise a blocking call in an `async def` wants an
 * async client, and in a plain `def` (a Celery task, a script), with no event loop, threads.
 */
export function httpInLoopAdvice(awaited: boolean, inAsyncFunction: boolean): string {
  if (awaited) return 'send them together with `asyncio.gather` or use a batch endpoint';
  return inAsyncFunction
    ? 'use a batch endpoint, or an async client with `asyncio.gather`'
    : 'use a batch endpoint, or send them from a thread pool (`concurrent.futures.ThreadPoolExecutor().map`)';
}

/** How a message quotes a call: `db.query(...)`, `Reading.query.filter_by(...).first(...)`. */
export function quoteCall(call: PyCall): string {
  return call.callee ? `${call.callee}(...)` : brief(chainShape(call.node), 60);
}

/** How a message names the loop: "for each `user` in `users`" or "on every pass of the `while` loop". */
export function describeLoop(loop: PyLoop): string {
  const target = loopTarget(loop);
  if (target && loop.iterable)
    return `for each \`${brief(target.text, 20)}\` in \`${brief(loop.iterable.text)}\``;
  return 'on every pass of the `while` loop';
}
