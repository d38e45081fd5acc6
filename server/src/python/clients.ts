/**
 * What Python code creates connections, pools and clients with, and when a creation runs once
 * rather than per call: the knowledge `connection-per-call` judges creation sites with, shared by
 * its per-file check, the traits it records for the workspace index, and its cross-file check.
 */
import type { Node } from 'web-tree-sitter';
import { OwnedCache } from './memo';
import type { PyAssignmentNode, PyCall, PyFunction, PythonModel } from './model';
import {
  contains,
  decoratorName,
  functionOf,
  globalNames,
  keywordArgument,
  moduleAssignments,
  noneTestedName,
  rootName,
} from './scope-analysis';

/** Calls that open a connection, pool or client, and what each creates (for the message). */
export const CONNECTORS = new Map<string, string>([
  ['duckdb.connect', 'DuckDB connection'],
  ['sqlite3.connect', 'SQLite connection'],
  ['psycopg.connect', 'PostgreSQL connection'],
  ['psycopg.AsyncConnection.connect', 'PostgreSQL connection'],
  ['psycopg2.connect', 'PostgreSQL connection'],
  ['pymysql.connect', 'MySQL connection'],
  ['MySQLdb.connect', 'MySQL connection'],
  ['mysql.connector.connect', 'MySQL connection'],
  ['asyncpg.connect', 'PostgreSQL connection'],
  ['asyncpg.create_pool', 'PostgreSQL connection pool'],
  ['sqlalchemy.create_engine', 'SQLAlchemy engine and its pool'],
  ['sqlalchemy.ext.asyncio.create_async_engine', 'SQLAlchemy engine and its pool'],
  ['redis.Redis', 'Redis client and its pool'],
  ['redis.StrictRedis', 'Redis client and its pool'],
  ['redis.from_url', 'Redis client and its pool'],
  ['redis.Redis.from_url', 'Redis client and its pool'],
  ['redis.asyncio.Redis', 'Redis client and its pool'],
  ['redis.asyncio.from_url', 'Redis client and its pool'],
  ['redis.asyncio.Redis.from_url', 'Redis client and its pool'],
  ['pymongo.MongoClient', 'MongoDB client and its pool'],
  ['httpx.Client', 'HTTP client and its connection pool'],
  ['httpx.AsyncClient', 'HTTP client and its connection pool'],
  ['requests.Session', 'HTTP session and its connection pool'],
  ['requests.session', 'HTTP session and its connection pool'],
  ['aiohttp.ClientSession', 'HTTP session and its connection pool'],
  ['anthropic.Anthropic', 'Anthropic client and its connection pool'],
  ['anthropic.AsyncAnthropic', 'Anthropic client and its connection pool'],
  ['openai.OpenAI', 'OpenAI client and its connection pool'],
  ['openai.AsyncOpenAI', 'OpenAI client and its connection pool'],
]);

/** HTTP clients: a `with` block that loops over requests with one of them reuses it properly. */
export const HTTP_CLIENTS = new Set([
  'httpx.Client',
  'httpx.AsyncClient',
  'requests.Session',
  'requests.session',
  'aiohttp.ClientSession',
]);

/**
 * Clients that can sit on a pool or transport handed to them, and the argument that hands it over:
 * `redis.Redis(connection_pool=pool)` opens no connection and builds no pool of its own, and an
 * `httpx.Client(transport=transport)` keeps its connections in the transport.
 */
const POOL_ARGUMENTS = new Map([
  ['redis.Redis', 'connection_pool'],
  ['redis.StrictRedis', 'connection_pool'],
  ['redis.asyncio.Redis', 'connection_pool'],
  ['httpx.Client', 'transport'],
  ['httpx.AsyncClient', 'transport'],
]);

/**
 * Whether a client is a thin facade over a pool or transport made elsewhere: the argument names
 * one (a module-level, imported or `global` name, a parameter, an attribute such as `self.pool`, an
 * item of a registry). A pool built in the same call (`connection_pool=ConnectionPool(...)`), or
 * bound to a local from a call in the same function, is made per call and still counts.
 */
export function sharesPool(call: PyCall, model: PythonModel): boolean {
  const keyword = POOL_ARGUMENTS.get(call.qualified);
  const value = keyword && keywordArgument(call, keyword);
  if (!value) return false;
  if (value.type === 'attribute' || value.type === 'subscript') return true;
  if (value.type !== 'identifier') return false;
  const fn = call.fn;
  if (!fn || globalNames(model, fn).has(value.text)) return true;
  return !fn.assignmentNodes.some(
    (assignment) =>
      assignment.target === value.text &&
      unwrapAwait(assignment.node.childForFieldName('right'))?.type === 'call',
  );
}

function unwrapAwait(node: Node | null): Node | null {
  return node?.type === 'await' ? node.firstNamedChild : node;
}

/** Decorators of functions that run once: caches, startup hooks, CLI commands, test fixtures. */
const RUNS_ONCE_DECORATOR =
  /^(?:functools\.)?(?:lru_cache|cache|cached_property)$|(?:^|\.)(?:before_first_request|before_serving|on_startup|fixture|command|group|callback)$/;
const STARTUP_EVENT = /\.on_event\(\s*["']startup["']|\.listener\(\s*["']before_server_start["']/;

/** Functions that set a process or an object up: they run once per process or instance. */
const SETUP_FUNCTION_NAMES = new Set([
  'main',
  '_main',
  'cli',
  '__init__',
  '__post_init__',
  '__enter__',
  '__aenter__',
  'setUp',
  'setUpClass',
  'asyncSetUp',
  'setup_module',
  'init_app',
  'create_app',
  'lifespan',
]);

/** `lifespan=handler`, `on_startup=[a, b]`, `add_event_handler("startup", handler)` in source text. */
const LIFESPAN_ARGUMENT = /\blifespan\s*=\s*(\w+)/g;
const ON_STARTUP_ARGUMENT = /\bon_startup\s*=\s*\[([^\]]*)\]/g;
const STARTUP_HANDLER = /\badd_event_handler\(\s*["']startup["']\s*,\s*(\w+)/g;

const handlersCache = new OwnedCache<PythonModel, Set<string>>('lifecycle handlers');
const runsOnceCache = new OwnedCache<PyFunction, boolean>('runs once');

/**
 * Names of functions the file hands to an app as lifespan or startup handlers. Read from the text,
 * once per file: a mention in a comment only makes the rule quieter.
 */
function lifecycleHandlers(model: PythonModel): ReadonlySet<string> {
  let names = handlersCache.get(model);
  if (names) return names;
  names = new Set<string>();
  handlersCache.set(model, names);
  const source = model.source;
  // Most files name no handler: plain searches rule them out before the patterns run.
  if (
    !source.includes('lifespan') &&
    !source.includes('on_startup') &&
    !source.includes('add_event_handler')
  )
    return names;
  for (const match of source.matchAll(LIFESPAN_ARGUMENT)) names.add(match[1]);
  for (const match of source.matchAll(STARTUP_HANDLER)) names.add(match[1]);
  for (const match of source.matchAll(ON_STARTUP_ARGUMENT))
    for (const name of match[1].split(',')) names.add(name.trim());
  return names;
}

/**
 * Whether `fn` is an undecorated `start` method: an application's or a server's entry (traitlets
 * and Jupyter apps, `Thread`-like workers), run once per process or object. A decorated `start`
 * may be a route, run per request.
 */
function isStartMethod(fn: PyFunction): boolean {
  return fn.name === 'start' && fn.className !== undefined && fn.decorators.length === 0;
}

/** Whether `fn` itself runs once (setup, cache, startup hook) rather than per call. */
function runsOnceItself(fn: PyFunction, handlers: ReadonlySet<string>): boolean {
  if (SETUP_FUNCTION_NAMES.has(fn.name) || fn.name.startsWith('test_') || handlers.has(fn.name))
    return true;
  if (isStartMethod(fn)) return true;
  return fn.decorators.some(
    (decorator) =>
      RUNS_ONCE_DECORATOR.test(decoratorName(decorator)) || STARTUP_EVENT.test(decorator),
  );
}

/**
 * Whether `fn` runs once per process or object rather than per call or request: it, or a function
 * it is nested in, is setup code, a cache, a startup hook or a test.
 */
export function runsOncePerProcess(fn: PyFunction, model: PythonModel): boolean {
  let once = runsOnceCache.get(fn);
  if (once === undefined) {
    once =
      runsOnceItself(fn, lifecycleHandlers(model)) ||
      (!!fn.parent && runsOncePerProcess(fn.parent, model));
    runsOnceCache.set(fn, once);
  }
  return once;
}

/**
 * Whether a guarded name outlives the call: a `self`/`cls` attribute, a `global` name, or a
 * module-level name the function does not shadow with a parameter or local.
 */
function isLongLived(name: string, fn: PyFunction, model: PythonModel): boolean {
  if (/^(?:self|cls)\./.test(name)) return true;
  if (globalNames(model, fn).has(name)) return true;
  return !name.includes('.') && !isLocal(name, fn) && moduleAssignments(model).has(name);
}

/** Where a function keeps what it creates: ranges of its own code, read once per function. */
interface Range {
  start: number;
  end: number;
}

const keptRangesCache = new OwnedCache<PyFunction, Range[]>('kept ranges');

/** `if _engine is None:` or `if not self._client:` as written, to find lazy guards by text. */
const LAZY_GUARD_STATEMENT = /\bif\s+(?:not\s+[\w.]+|[\w.]+\s+is\s+None)\s*:/g;

/** Whether an assignment keeps its value beyond the call (see `keepsCreation`). */
function keepsValue(assignment: PyAssignmentNode, fn: PyFunction, model: PythonModel): boolean {
  if (assignment.augmented) return false;
  const target = assignment.target;
  // `name` or `self.attr`, read from the source by the model: no need to ask the tree.
  if (target !== undefined) return target.startsWith('self.') || globalNames(model, fn).has(target);
  const left = assignment.node.childForFieldName('left');
  if (left?.type === 'attribute') {
    const root = rootName(left);
    return root === 'self' || root === 'cls' || /(?:^|\.)state\./.test(left.text);
  }
  // `_clients[tenant] = httpx.Client()`: a module-level registry keeps one per key.
  if (left?.type !== 'subscript') return false;
  const root = rootName(left);
  if (root === 'self' || model.imports.has(root) || isLocal(root, fn)) return false;
  return moduleAssignments(model).has(root);
}

/** Whether `name` is a parameter of `fn` or a name it assigns (callers ask about `global` first). */
function isLocal(name: string, fn: PyFunction): boolean {
  return (
    fn.params.some((param) => param.name === name) ||
    fn.assignmentNodes.some((assignment) => assignment.target === name)
  );
}

const lazyGuardsCache = new OwnedCache<PythonModel, number[]>('lazy guards');
/** Where the file's text has a lazy guard (`if _engine is None:`), found once per file. */
function lazyGuardOffsets(model: PythonModel): number[] {
  let offsets = lazyGuardsCache.get(model);
  if (!offsets) {
    offsets = [...model.source.matchAll(LAZY_GUARD_STATEMENT)].map((match) => match.index);
    lazyGuardsCache.set(model, offsets);
  }
  return offsets;
}

/**
 * The ranges of `fn`'s code whose creations outlive the call: assignments that keep their value,
 * and `if` statements guarded by a long-lived name being unset (a lazy singleton). Found from the
 * model's assignments and the guards' text, so judging a call costs no walk up the tree.
 */
function keptRanges(fn: PyFunction, model: PythonModel): Range[] {
  let ranges = keptRangesCache.get(fn);
  if (ranges) return ranges;
  ranges = [];
  for (const assignment of fn.assignmentNodes) {
    if (keepsValue(assignment, fn, model))
      ranges.push({ start: assignment.node.startIndex, end: assignment.node.endIndex });
  }
  const guards = lazyGuardOffsets(model);
  const body = guards.length > 0 ? fn.body : undefined;
  const bodyStart = body?.startIndex ?? 0;
  for (const at of guards) {
    if (!body || at < bodyStart || at >= fn.end) continue;
    const statement = body.namedDescendantForIndex(at, at + 2);
    if (statement?.type !== 'if_statement' || statement.startIndex !== at) continue;
    if (functionOf(model, statement) !== fn) continue;
    // `LAZY_GUARD_STATEMENT` finds guards on names of ASCII word characters and dots only.
    const guarded = noneTestedName(statement.childForFieldName('condition')?.text ?? '');
    if (guarded && isLongLived(guarded, fn, model))
      ranges.push({ start: statement.startIndex, end: statement.endIndex });
  }
  keptRangesCache.set(fn, ranges);
  return ranges;
}

/**
 * Whether the created object is kept beyond the call: assigned to a `global` name, to an attribute
 * of `self`/`cls`/`app.state`, to an item of a module-level registry, or created under an
 * `is None` guard on a long-lived name (a lazy singleton).
 */
export function keepsCreation(call: PyCall, fn: PyFunction, model: PythonModel): boolean {
  return keptRanges(fn, model).some((range) => range.start <= call.start && call.end <= range.end);
}

/** The `with` statement that opens the call as its context manager, if any. */
function withStatementOf(call: PyCall): Node | undefined {
  let node = call.node.parent;
  if (node?.type === 'as_pattern') node = node.parent;
  if (node?.type !== 'with_item') return undefined;
  const statement = node.parent?.parent;
  return statement?.type === 'with_statement' ? statement : undefined;
}

/** An HTTP client opened by `with` around a loop of requests: one client serves the whole batch. */
export function servesBatch(call: PyCall, model: PythonModel): boolean {
  const statement = withStatementOf(call);
  if (!statement) return false;
  const body = statement.childForFieldName('body');
  return (
    !!body && model.loops.some((loop) => !loop.overConstantLiteral && contains(body, loop.node))
  );
}
