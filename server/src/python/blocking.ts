/**
 * What blocks an event loop: calls that sleep, send HTTP requests through sync clients, read files,
 * ask the file system, run processes or wait for a sync database driver, told apart by what made
 * the object a method is called on; and whether such a call is awaited, consumed by `async with` /
 * `async for`, or handed to a thread. Local rules and cross-file facts classify calls here, so a
 * helper that sleeps is recognised the same way whether it is called directly or from another file.
 */
import type { Node } from 'web-tree-sitter';
import type { FileContext, ReportInput } from '../engine/rule';
import type { EffectKind } from '../workspace/facts';
import {
  buildsSqlOnly,
  DB_DRIVER_MODULES,
  HTTP_CLIENT_METHODS,
  HTTP_MODULE_PREFIXES,
  hasObjectsManager,
  isMongoCommand,
  isRouteHandler,
  isSyncDbName,
  paramOf,
  receiverRoot,
  sessionCallArguments,
  startsWithAny,
  startsWithModule,
} from './knowledge';
import {
  bindingKey,
  classOfFunction,
  dottedName,
  qualify,
  type PyCall,
  type PyFunction,
  type PythonModel,
} from './model';
import { OwnedCache } from './memo';
import { conditionalModuleCalls } from './module-branches';
import {
  buildsBoto3Iterable,
  importsNetworkSdk,
  NETWORK_SDK_MAKERS,
  networkSdkAdvice,
  networkSdkRequest,
  type NetworkSdk,
} from './network-sdks';
import { isOnDjangoQuerySet } from './orm';
import { makesSyncRedisClient, sendsRedisCommand } from './redis-clients';
import { chainTop } from './scope-analysis';

const SLEEP = new Set(['time.sleep']);

/** Module-level functions of sync HTTP libraries that send a request. */
const HTTP_FUNCTIONS = new Set([
  'urllib.request.urlopen',
  'urllib3.request',
  'httpx.get',
  'httpx.post',
  'httpx.put',
  'httpx.patch',
  'httpx.delete',
  'httpx.head',
  'httpx.options',
  'httpx.request',
  'httpx.stream',
]);

/**
 * Constructors of sync network clients, and the async client to suggest instead. Creating one does
 * no I/O; calling its request methods does.
 */
const SYNC_CLIENT_ALTERNATIVE = new Map([
  ['httpx.Client', 'httpx.AsyncClient'],
  ['requests.Session', 'httpx.AsyncClient'],
  ['requests.session', 'httpx.AsyncClient'],
  ['urllib3.PoolManager', 'httpx.AsyncClient'],
  ['anthropic.Anthropic', 'anthropic.AsyncAnthropic'],
  ['anthropic.AnthropicBedrock', 'anthropic.AsyncAnthropicBedrock'],
  ['anthropic.AnthropicVertex', 'anthropic.AsyncAnthropicVertex'],
  ['openai.OpenAI', 'openai.AsyncOpenAI'],
  ['openai.AzureOpenAI', 'openai.AsyncAzureOpenAI'],
]);

/** SDK clients whose resources (`client.messages`, `client.chat.completions`) make the requests. */
const LLM_CLIENTS = new Set([
  'anthropic.Anthropic',
  'anthropic.AnthropicBedrock',
  'anthropic.AnthropicVertex',
  'openai.OpenAI',
  'openai.AzureOpenAI',
]);
const LLM_REQUEST_METHODS = new Set([
  'create',
  'stream',
  'parse',
  'list',
  'retrieve',
  'delete',
  'update',
  'upload',
  'count_tokens',
  'cancel',
  'content',
]);

/** Constructors of async clients and connections: their methods never block. */
const ASYNC_MAKERS = [
  'httpx.AsyncClient',
  'aiohttp.ClientSession',
  'anthropic.AsyncAnthropic',
  'anthropic.AsyncAnthropicBedrock',
  'anthropic.AsyncAnthropicVertex',
  'openai.AsyncOpenAI',
  'openai.AsyncAzureOpenAI',
  'asyncpg',
  'aiosqlite',
  'aiomysql',
  'aiopg',
  'motor',
  'redis.asyncio',
  'aioredis',
  'psycopg.AsyncConnection',
  'sqlalchemy.ext.asyncio',
  'AsyncSession',
  'async_sessionmaker',
  'anyio',
  'aiofiles',
  'trio',
];

const FILE_FUNCTIONS = new Set([
  'open',
  'io.open',
  'codecs.open',
  'gzip.open',
  'bz2.open',
  'lzma.open',
  'shelve.open',
]);
/**
 * Pillow's `Image.open`: given a file name it opens the file and reads its header on the spot;
 * given a file object (`io.BytesIO(data)`, an upload's `file`) it reads memory or a file opened
 * elsewhere, so only a path argument makes it file I/O (`opensFilePath`).
 */
const IMAGE_OPEN = 'PIL.Image.open';
/** Names that say file name: `filename`, `image_file_name` (paths are `PATH_NAME`'s). */
const FILE_NAME = /(?:^|_)file_?name$/i;
/** Readers that wrap an already opened file: the `open(...)` inside is where the I/O is reported. */
const FILE_READERS = new Set([
  'json.load',
  'json.dump',
  'pickle.load',
  'pickle.dump',
  'yaml.safe_load',
  'yaml.load',
  'tomllib.load',
  'csv.reader',
  'csv.DictReader',
]);
const PATH_IO_METHODS = new Set(['read_text', 'write_text', 'read_bytes', 'write_bytes']);
/** `pathlib.Path` methods that ask the file system (stat, list, create, delete). */
const PATH_FS_METHODS = new Set([
  'exists',
  'is_file',
  'is_dir',
  'is_symlink',
  'stat',
  'lstat',
  'mkdir',
  'iterdir',
  'glob',
  'rglob',
  'unlink',
  'rmdir',
  'rename',
  'replace',
  'touch',
  'chmod',
  'samefile',
]);

const FS_FUNCTIONS = new Set([
  'os.path.exists',
  'os.path.isfile',
  'os.path.isdir',
  'os.path.islink',
  'os.path.getsize',
  'os.path.getmtime',
  'os.path.getctime',
  'os.path.getatime',
  'os.path.samefile',
  'os.listdir',
  'os.scandir',
  'os.stat',
  'os.lstat',
  'os.remove',
  'os.unlink',
  'os.rename',
  'os.replace',
  'os.makedirs',
  'os.mkdir',
  'os.rmdir',
  'os.removedirs',
  'os.walk',
  'os.chmod',
  'os.access',
  'glob.glob',
  'glob.iglob',
]);
const FS_MODULE_PREFIXES = ['shutil.'];

const PROCESS_FUNCTIONS = new Set([
  'subprocess.run',
  'subprocess.call',
  'subprocess.check_call',
  'subprocess.check_output',
  'subprocess.getoutput',
  'subprocess.getstatusoutput',
  'os.system',
  'os.popen',
  'os.wait',
  'os.waitpid',
  'os.wait3',
  'os.wait4',
  'os.waitid',
  'input',
]);
/** Methods of a `subprocess.Popen` object that wait for the process. */
const POPEN_WAIT_METHODS = new Set(['wait', 'communicate']);

/** Module-level functions of those drivers that connect or run a statement. */
const DB_DRIVER_FUNCTIONS = new Set([
  'connect',
  'sql',
  'query',
  'execute',
  'executemany',
  'read_csv',
  'read_parquet',
  'read_json',
  'from_csv_auto',
  'from_parquet',
]);

/**
 * The methods of a sync session or connection that block when called on it directly. Fetching
 * (`cur.fetchall()`) follows an `execute` that is already reported, and `delete`/`add` only mark
 * objects until the next flush or commit, so they are left out to report each round trip once.
 */
const DB_BLOCKING_METHODS = new Set([
  'query',
  'exec',
  'execute',
  'executemany',
  'executescript',
  'exec_driver_sql',
  'scalars',
  'scalar',
  'get',
  'commit',
  'rollback',
  'flush',
  'refresh',
  'merge',
  'sql',
  'read_csv',
  'read_parquet',
]);

/**
 * Django queryset methods that run their query right away. `filter()`, `all()` and friends only
 * build a lazy queryset, which async code may consume with `async for` or `a`-prefixed methods.
 * Each of these has an `a`-prefixed async twin (Django 4.1+): `aget()`, `acount()`, ...
 */
export const DJANGO_EVALUATING_METHODS = new Set([
  'get',
  'count',
  'exists',
  'first',
  'last',
  'earliest',
  'latest',
  'create',
  'get_or_create',
  'update_or_create',
  'aggregate',
  'update',
  'delete',
  'bulk_create',
  'bulk_update',
  'in_bulk',
]);

/** Methods of SQLAlchemy's `Inspector` (`inspect(engine)`): each one queries the catalogue. */
const INSPECTOR_METHODS = new Set([
  'get_schema_names',
  'get_table_names',
  'get_temp_table_names',
  'get_view_names',
  'get_temp_view_names',
  'get_materialized_view_names',
  'get_sequence_names',
  'get_sorted_table_and_fkc_names',
  'get_columns',
  'get_pk_constraint',
  'get_foreign_keys',
  'get_indexes',
  'get_unique_constraints',
  'get_check_constraints',
  'get_table_comment',
  'get_table_options',
  'get_view_definition',
  'get_multi_columns',
  'get_multi_pk_constraint',
  'get_multi_foreign_keys',
  'get_multi_indexes',
  'get_multi_unique_constraints',
  'get_multi_check_constraints',
  'get_multi_table_comment',
  'get_multi_table_options',
  'has_table',
  'has_schema',
  'has_index',
  'has_sequence',
]);
/**
 * What `inspect(...)` is given when it returns an `Inspector`: an engine or a connection
 * (`engine`, `self.engine`, `conn`, `session.get_bind()`). Mapped classes and instances give
 * other objects, without these methods.
 */
const INSPECTED_BIND = /engine|conn|bind/i;

/** Request methods of sync client objects (`urllib3.PoolManager` adds `urlopen`). */
function isSyncClientMethod(method: string): boolean {
  return method === 'urlopen' || HTTP_CLIENT_METHODS.has(method);
}
/** A name that by convention holds a file-system path (`path`, `config_path`, `data_dir`). */
const PATH_NAME = /(?:^|_)(?:path|dir|directory|folder)$/i;

// ---------------------------------------------------------------------------------------------
// What a receiver is: tracing `client` in `client.messages.create(...)` to the call that made it.

/** The call bound to `name` (`client = OpenAI()`, `with open(p) as f`) visible from `fn`. */
export function bindingOf(
  model: PythonModel,
  fn: PyFunction | undefined,
  name: string,
): PyCall | undefined {
  const bindings = model.bindings;
  if (!bindings || !name) return undefined;
  if (name.startsWith('self.')) {
    const className = classOfFunction(fn);
    return (className && bindings.get(bindingKey(name, undefined, className))) || undefined;
  }
  for (let f = fn; f; f = f.parent) {
    const bound = bindings.get(bindingKey(name, f));
    // A local assignment or a parameter of that name hides the module-level binding.
    if (bound !== undefined) return bound ?? undefined;
    if (f.params.some((param) => param.name === name)) return undefined;
  }
  return bindings.get(bindingKey(name)) ?? conditionalModuleClient(model, name);
}

/**
 * The call that made a module-level name created only in some branches of module-level `if`/`try`
 * statements and `None` otherwise (`if settings.KEY: sg = SendGridAPIClient(key) else: sg = None`),
 * when every branch calls the same constructor: a method called on it runs on that client.
 */
function conditionalModuleClient(model: PythonModel, name: string): PyCall | undefined {
  const calls = conditionalModuleCalls(model).get(name);
  if (!calls) return undefined;
  const [first, ...rest] = calls;
  return first.qualified && rest.every((call) => call.qualified === first.qualified)
    ? first
    : undefined;
}

/** The qualified name of the call a node is (`httpx.Client` for `httpx.Client(timeout=5)`). */
function qualifiedCallee(node: Node, model: PythonModel): string {
  return qualify(dottedName(node.childForFieldName('function')), model.imports);
}

/**
 * The qualified name of the call that made the object a method is called on: `httpx.Client` for
 * `httpx.Client().get(u)`, or for `client.get(u)` after `client = httpx.Client()`; the annotation
 * of a parameter (`client: httpx.Client`) counts too. Follows at most a few bindings
 * (`cur = conn.cursor()` after `conn = sqlite3.connect(p)` gives `sqlite3.connect`).
 */
export function receiverMaker(call: PyCall, model: PythonModel, via?: string[]): string {
  let node: Node | null;
  let fn = call.fn;
  let hops = 0;
  const callee = call.callee;
  if (callee.includes('.')) {
    // A dotted callee spells the receiver (`self.client.messages` in `self.client.messages.create`):
    // start at its root without reading a node. The walk down the attributes would have taken one
    // hop per attribute.
    const parts = callee.split('.');
    const segments = parts.length - 1;
    let bound: PyCall | undefined;
    if (parts[0] === 'self' && segments >= 2) {
      hops = segments - 2;
      if (hops >= 8) return '';
      bound = bindingOf(model, fn, `self.${parts[1]}`);
      if (!bound) return '';
    } else {
      hops = segments - 1;
      if (hops >= 8) return '';
      bound = bindingOf(model, fn, parts[0]);
      if (!bound) return annotatedMaker(fn, parts[0], model);
    }
    node = bound.node;
    fn = bound.fn;
    hops++;
  } else node = call.receiver;
  for (; node && hops < 8; hops++) {
    const type = node.type;
    if (type === 'call') {
      const qualified = qualifiedCallee(node, model);
      if (qualified && isKnownMaker(qualified)) return qualified;
      node = node.childForFieldName('function');
      if (via && node) via.push(calledName(node));
      continue;
    }
    if (type === 'attribute') {
      const object = node.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === 'self') {
        const bound = bindingOf(model, fn, `self.${node.childForFieldName('attribute')?.text}`);
        if (!bound) return '';
        node = bound.node;
        fn = bound.fn;
        continue;
      }
      node = object;
      continue;
    }
    if (type === 'identifier') {
      const name = node.text;
      const bound = bindingOf(model, fn, name);
      if (bound) {
        node = bound.node;
        fn = bound.fn;
        continue;
      }
      return annotatedMaker(fn, name, model);
    }
    return '';
  }
  return '';
}

/** The name a call's function ends in: `get_item` for `table.get_item`, `f` for `f`. */
function calledName(fn: Node): string {
  if (fn.type === 'attribute') return fn.childForFieldName('attribute')?.text ?? '';
  return fn.type === 'identifier' ? fn.text : '';
}

/**
 * The qualified name of the call a method's receiver was bound to, known maker or not:
 * `app.cache.cache_session` for `cache.get(k)` under `with cache_session() as cache:`,
 * `redis.Redis` after `r = redis.Redis()`; '' when it is not bound to a call.
 */
export function receiverOrigin(call: PyCall, model: PythonModel): string {
  return bindingOf(model, call.fn, receiverRoot(call))?.qualified ?? '';
}

/**
 * The call of a named function that made the object a method is called on: `get_redis()` for
 * `r.get(k)` after `r = get_redis()` (or `with get_redis() as r:`), and in `get_redis().get(k)`.
 * Undefined for any other receiver: an attribute chain, `self`, a parameter, a name not bound to a
 * call.
 */
export function receiverFactoryCall(call: PyCall, model: PythonModel): PyCall | undefined {
  const callee = call.callee;
  let made: PyCall | undefined;
  if (callee) {
    const dot = callee.indexOf('.');
    // Exactly `name.method`: further attributes are the object's parts, not the object.
    if (dot <= 0 || callee.includes('.', dot + 1)) return undefined;
    const head = callee.slice(0, dot);
    if (head === 'self' || head === 'cls') return undefined;
    made = bindingOf(model, call.fn, head);
  } else if (call.receiverEnd >= 0)
    made = model.callsByRange.get(`${call.start}:${call.receiverEnd}`);
  return made?.callee ? made : undefined;
}

/** The known maker a parameter's annotation names (`client: httpx.Client`), or ''. */
function annotatedMaker(fn: PyFunction | undefined, name: string, model: PythonModel): string {
  const param = paramOf(fn, name);
  if (param?.annotation) {
    const annotation = qualify(param.annotation.replace(/^Optional\[(.*)\]$/, '$1'), model.imports);
    if (isKnownMaker(annotation)) return annotation;
  }
  return '';
}

function isKnownMaker(qualified: string): boolean {
  return (
    SYNC_CLIENT_ALTERNATIVE.has(qualified) ||
    qualified === 'subprocess.Popen' ||
    isAsyncMaker(qualified) ||
    isSyncDbMaker(qualified) ||
    qualified === 'pathlib.Path' ||
    qualified === 'pathlib.PurePath' ||
    NETWORK_SDK_MAKERS.has(qualified) ||
    makesSyncRedisClient(qualified)
  );
}

function isAsyncMaker(qualified: string): boolean {
  if (startsWithModule(qualified, ASYNC_MAKERS)) return true;
  const last = qualified.slice(qualified.lastIndexOf('.') + 1);
  return last.startsWith('Async') || last.startsWith('async_');
}

function isSyncDbMaker(qualified: string): boolean {
  return startsWithModule(qualified, DB_DRIVER_MODULES) && qualified.endsWith('.connect');
}

/**
 * What to use instead of a blocking HTTP call: the SDK's async variant, or the async client for
 * the sync client (or module) it uses, then `asyncio.to_thread`.
 */
export function asyncAdvice(call: PyCall, model: PythonModel): string {
  const sdk = networkSdkOf(call, model);
  if (sdk) return networkSdkAdvice(sdk, describeCall(call));
  const maker = receiverMaker(call, model);
  const client = SYNC_CLIENT_ALTERNATIVE.get(maker) ?? 'httpx.AsyncClient';
  return `use \`${client}\` or \`await asyncio.to_thread(...)\``;
}

/** The network SDK whose request the call sends (`stripe.Customer.retrieve(...)`), if any. */
export function networkSdkOf(call: PyCall, model: PythonModel): NetworkSdk | undefined {
  if (!importsNetworkSdk(model)) return undefined;
  const via: string[] = [];
  const maker = call.hasReceiver ? receiverMaker(call, model, via) : '';
  // Only what builds a boto3 paginator's pages or a collection pays for the look at its uses.
  const iterated =
    maker.startsWith('boto3.') &&
    buildsBoto3Iterable(call.method) &&
    isIteratedInFunction(call, model);
  return networkSdkRequest(call, maker, via, iterated);
}

/** Builtins that run through the whole iterable they are given (`list(pages)`). */
const DRAINING_BUILTINS = new Set([
  'list',
  'tuple',
  'set',
  'frozenset',
  'sorted',
  'sum',
  'any',
  'all',
]);
/** Builtins whose result iterates their argument when it is iterated (`enumerate(pages)`). */
const WRAPPING_BUILTINS = new Set(['enumerate', 'iter', 'reversed']);

/**
 * Whether the call's value is iterated in its function: as a sync `for` loop's or a
 * comprehension's iterable, drained by `list(...)` and the like, or kept in a variable
 * (`pages = paginator.paginate(...)`) that a later loop, comprehension or `list(...)` iterates.
 */
function isIteratedInFunction(call: PyCall, model: PythonModel): boolean {
  if (isIteratedValue(call.node)) return true;
  const assignment = call.node.parent;
  const target = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
  if (target?.type !== 'identifier' || !call.fn) return false;
  const name = target.text;
  const isName = (node: Node | null | undefined): boolean =>
    node?.type === 'identifier' && node.text === name && node.startIndex > call.end;
  if (
    model.loops.some(
      (loop) => loop.fn === call.fn && isName(loop.iterable) && isIteratedValue(loop.iterable!),
    )
  )
    return true;
  return model.calls.some(
    (other) =>
      other.fn === call.fn &&
      !other.hasReceiver &&
      (DRAINING_BUILTINS.has(other.callee) || WRAPPING_BUILTINS.has(other.callee)) &&
      isName(other.args.namedChildren[0]) &&
      isIteratedValue(other.args.namedChildren[0]!),
  );
}

/** Whether a value is iterated where it stands: `for x in <node>`, `list(<node>)`, `enumerate(<node>)` in a loop. */
function isIteratedValue(node: Node): boolean {
  let value = node;
  let parent = value.parent;
  while (parent?.type === 'parenthesized_expression') {
    value = parent;
    parent = value.parent;
  }
  if (!parent) return false;
  const type = parent.type;
  if (type === 'for_statement' || type === 'for_in_clause') {
    const right = parent.childForFieldName('right');
    return right?.id === value.id && parent.child(0)?.type !== 'async';
  }
  if (type !== 'argument_list' || parent.namedChildren[0]?.id !== value.id) return false;
  const outer = parent.parent;
  const callee = outer?.type === 'call' ? outer.childForFieldName('function') : null;
  if (callee?.type !== 'identifier') return false;
  if (DRAINING_BUILTINS.has(callee.text)) return true;
  return WRAPPING_BUILTINS.has(callee.text) && isIteratedValue(outer!);
}

// ---------------------------------------------------------------------------------------------
// Offloading: work handed to a thread does not block the loop, but only what runs in the thread.

/** Offloading callees (by method name) and the position of the callable they run in a thread. */
const OFFLOAD_CALLABLE_INDEX = new Map([
  ['to_thread', 0],
  ['run_sync', 0],
  ['run_in_threadpool', 0],
  ['sync_to_async', 0],
  ['run_in_executor', 1],
]);

function offloadCallableIndex(call: PyCall): number | undefined {
  const index = OFFLOAD_CALLABLE_INDEX.get(call.method);
  if (index !== undefined) return index;
  // `executor.submit(fn, ...)` on a thread pool.
  if (call.method === 'submit' && /executor|pool/i.test(receiverRoot(call))) return 0;
  return undefined;
}

/**
 * How a call relates to a thread offload around it: `'offloaded'` when it runs in the thread (in a
 * lambda passed to `run_in_executor`) or only computes an argument for it, `'misused'` when it is
 * the callable itself, called too early (`to_thread(fetch())` runs `fetch()` on the loop and hands
 * its result to the thread), and null when no offload surrounds it.
 */
export function offloadState(call: PyCall): 'offloaded' | 'misused' | null {
  for (let inner = call, outer = call.outer; outer; inner = outer, outer = outer.outer) {
    const index = offloadCallableIndex(outer);
    if (index === undefined) continue;
    if (inner === call && !call.inLambda && positionalIndex(outer, chainTop(call.node)) === index)
      return 'misused';
    return 'offloaded';
  }
  return null;
}

/** The position of `node` among the positional arguments of `call`, or -1. */
function positionalIndex(call: PyCall, node: Node): number {
  let index = 0;
  for (const arg of call.args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument' || arg.type === 'dictionary_splat') return -1;
    if (arg.startIndex === node.startIndex && arg.endIndex === node.endIndex) return index;
    index++;
  }
  return -1;
}

/** The node that takes a call's value, past `as` patterns and parentheses, with its type. */
function consumerOf(call: PyCall): { node: Node | null; type: string | undefined } {
  // `parent` walks down from the root and `type` crosses into WASM: each is read once per step.
  let node = call.node.parent;
  let type = node?.type;
  while (node && (type === 'as_pattern' || type === 'parenthesized_expression')) {
    node = node.parent;
    type = node?.type;
  }
  return { node, type };
}

/** Whether `withItem` belongs to an `async with` statement. */
function isAsyncWith(withItem: Node): boolean {
  const statement = withItem.parent?.parent;
  return statement?.type === 'with_statement' && statement.child(0)?.type === 'async';
}

/**
 * Whether the call's function uses `async with` or `async for` at all (the model notes it as it
 * notes `await`): most calls are in functions that do not, and need no climb up the tree.
 */
function mayBeAsyncConsumed(call: PyCall): boolean {
  return !!call.fn?.usesAwait && !call.inLambda;
}

/** Within an `async with` item: aiohttp's `async with session.get(url)` performs the request there. */
export function isAsyncWithItem(call: PyCall): boolean {
  if (!mayBeAsyncConsumed(call)) return false;
  const { node, type } = consumerOf(call);
  return type === 'with_item' && isAsyncWith(node!);
}

/** The call is the value of an `async with` item or the iterable of an `async for`. */
export function isAsyncConsumed(call: PyCall): boolean {
  if (!mayBeAsyncConsumed(call)) return false;
  const { node: parent, type } = consumerOf(call);
  if (type === 'with_item') return isAsyncWith(parent!);
  if (parent && (type === 'for_statement' || type === 'for_in_clause')) {
    const right = parent.childForFieldName('right');
    return (
      parent.child(0)?.type === 'async' &&
      !!right &&
      right.startIndex === call.node.startIndex &&
      right.endIndex === call.node.endIndex
    );
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Classification.

/** A receiver that holds a file-system path: `Path(...)`, a `Path` variable, or `config_path`. */
function isPathLike(call: PyCall, maker: string): boolean {
  if (maker === 'pathlib.Path' || maker === 'pathlib.PurePath') return true;
  const receiver = call.receiver;
  if (!receiver) return false;
  if (receiver.type === 'call')
    return /(?:^|\.)Path$/.test(dottedName(receiver.childForFieldName('function')));
  // `(base / "name").exists()`: only paths divide into something with file-system methods.
  if (receiver.type === 'parenthesized_expression') {
    const inner = receiver.namedChildren[0];
    return inner?.type === 'binary_operator' && inner.childForFieldName('operator')?.text === '/';
  }
  const root = receiverRoot(call);
  const param = paramOf(call.fn, root);
  if (param && /\bPath\b/.test(param.annotation)) return true;
  return PATH_NAME.test(root.startsWith('self.') ? root.slice(5) : root);
}

/**
 * Whether a call's first argument is a file's path rather than a file object: a string (Pillow
 * opens a `str` argument as a file name), a `Path(...)` or `base / "name"`, or a name annotated
 * `str` or `Path` or named like a path (`image_path`, `filename`). Anything else may be a stream.
 */
function opensFilePath(call: PyCall): boolean {
  const arg = call.args.namedChildren.find((child) => child?.type !== 'comment');
  switch (arg?.type) {
    case 'string':
    case 'concatenated_string':
      return true;
    case 'call':
      return /(?:^|\.)(?:Pure)?Path$/.test(dottedName(arg.childForFieldName('function')));
    case 'binary_operator':
      return arg.childForFieldName('operator')?.text === '/';
    case 'identifier': {
      const annotation = paramOf(call.fn, arg.text)?.annotation ?? '';
      if (/^(?:str|(?:\w+\.)*(?:Pure)?Path|(?:os\.)?PathLike)$/.test(annotation)) return true;
      return PATH_NAME.test(arg.text) || FILE_NAME.test(arg.text);
    }
    default:
      return false;
  }
}

function httpEffect(call: PyCall, maker: string): boolean {
  if (!SYNC_CLIENT_ALTERNATIVE.has(maker)) return false;
  return LLM_CLIENTS.has(maker)
    ? LLM_REQUEST_METHODS.has(call.method)
    : isSyncClientMethod(call.method);
}

/**
 * The last name of a callable that makes a sync database session (`get_session`,
 * `session_scope`, `reports_session`, `db_session`, `get_db`, `sessionmaker`; `Session`,
 * `SessionLocal`, `ReportsSession`): a session or database word, after a verb or a qualifier,
 * before a scope or factory word.
 */
const SESSION_FACTORY_SNAKE =
  /^(?:\w+_)?(?:session|db)(?:_?(?:scope|local|context|factory|maker))?$/;
const SESSION_FACTORY_CAMEL =
  /^(?:[A-Z][A-Za-z0-9]*)?(?:Session|DB|Db)(?:Local|Scope|Context|Factory|Maker)?$/;

/**
 * Whether `name` is bound by a sync `with` over a call that makes a session
 * (`with reports_session() as rdb:`, `with Session(engine) as s:`, `with sessionmaker(bind=e)()
 * as s:`): the name says nothing, the context manager does. `async with` gives an async session.
 */
function isSessionFromWith(model: PythonModel, fn: PyFunction | undefined, name: string): boolean {
  if (!name || name.startsWith('self.')) return false;
  const bound = bindingOf(model, fn, name);
  if (!bound) return false;
  const { node, type } = consumerOf(bound);
  if (type !== 'with_item' || isAsyncWith(node!)) return false;
  return namesSessionFactory(bound.node.childForFieldName('function'));
}

/**
 * Statement methods only a SQLAlchemy session (or connection) has: an HTTP or web session, which
 * a factory's name (`ClientSession()`, `requests.Session()`) may also say, has none of them.
 */
const SESSION_STATEMENT_METHODS = new Set(['query', 'execute', 'scalars', 'scalar', 'exec']);

/**
 * Whether `receiver`, the call a statement method is called on, makes a sync session used once
 * (`SessionLocal().query(User).count()`): a session factory by name, as for `with` (see
 * `isSessionFromWith`), and a method that only a database session has.
 */
function opensThrowawaySession(call: PyCall, receiver: Node): boolean {
  return (
    SESSION_STATEMENT_METHODS.has(call.method) &&
    namesSessionFactory(receiver.childForFieldName('function'))
  );
}

function namesSessionFactory(callee: Node | null): boolean {
  // `sessionmaker(bind=engine)()`: the factory is the inner call's.
  if (callee?.type === 'call') return namesSessionFactory(callee.childForFieldName('function'));
  const name = dottedName(callee);
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (/async/i.test(last)) return false;
  return SESSION_FACTORY_SNAKE.test(last) || SESSION_FACTORY_CAMEL.test(last);
}

/**
 * Whether a call is an `Inspector` method on `sqlalchemy.inspect(<engine or connection>)`, inline
 * or through a name bound to it (`insp = inspect(engine)`): a sync catalogue query.
 */
function isInspectorQuery(call: PyCall, model: PythonModel): boolean {
  if (!INSPECTOR_METHODS.has(call.method)) return false;
  let receiver = call.receiver;
  const type = receiver?.type;
  if (type === 'identifier' || (type === 'attribute' && receiver!.text.startsWith('self.')))
    receiver = bindingOf(model, call.fn, receiver!.text)?.node ?? null;
  if (receiver?.type !== 'call' || qualifiedCallee(receiver, model) !== 'sqlalchemy.inspect')
    return false;
  const bind = receiver.childForFieldName('arguments')?.firstNamedChild?.text ?? '';
  return INSPECTED_BIND.test(bind);
}

/**
 * Whether the method chain the call heads is awaited as a whole (`await db.query(X).all()`):
 * a sync session's chain ends in rows or a count, which cannot be awaited, so the session is
 * an async wrapper's whatever its name says.
 */
function awaitsWholeChain(call: PyCall): boolean {
  const top = chainTop(call.node);
  if (top.id === call.node.id) return false; // the call alone: `awaited` says it
  let parent = top.parent;
  while (parent?.type === 'parenthesized_expression') parent = parent.parent;
  return parent?.type === 'await';
}

function dbEffect(call: PyCall, maker: string, model: PythonModel): boolean {
  if (!DB_BLOCKING_METHODS.has(call.method)) return false;
  if (hasObjectsManager(call)) return false; // Django: only evaluating methods, checked above
  if (!call.receiver) return false;
  // A method on a call's result belongs to the chain whose head is reported: `db.query(X).all()`,
  // unless that call opens the session the statement runs on: `SessionLocal().query(X)`.
  if (call.receiver.type === 'call')
    return (
      opensThrowawaySession(call, call.receiver) &&
      !awaitsWholeChain(call) &&
      !buildsSqlOnly(call, model)
    );
  if (awaitsWholeChain(call)) return false;
  // `session.get("https://...")` or `session.get(url, timeout=5)` is an HTTP session's, and
  // `session.get("key")` a dict's: a database `get` takes a model first.
  if (call.method === 'get' && sessionCallArguments(call)) return false;
  if (isSyncDbMaker(maker)) return true;
  if (maker) return false;
  const root = receiverRoot(call);
  if (!isSyncDbName(call.fn, root) && !isSessionFromWith(model, call.fn, root)) return false;
  // `db.query(...).subquery()` builds part of another statement: that one runs the query.
  return !buildsSqlOnly(call, model);
}

/**
 * What a call blocks on when it runs on an event loop, or null if it does not block (or is awaited,
 * consumed by `async with` / `async for`, or runs in a thread).
 */
export function blockingEffect(call: PyCall, model: PythonModel): EffectKind | null {
  // Classifying mostly compares names; `awaited` reads the node's parent, so it goes second.
  const kind = classify(call, model);
  return kind && runsOnEventLoop(call) ? kind : null;
}

/**
 * Whether a call, made in an `async def`, runs on the event loop: it is not awaited, not consumed
 * by `async with` / `async for`, and not handed to a thread.
 */
export function runsOnEventLoop(call: PyCall): boolean {
  if (call.awaited || isAsyncConsumed(call)) return false;
  return !((call.outer || call.inLambda) && offloadState(call) === 'offloaded');
}

/**
 * Method names the receiver-based checks below care about; other method calls are skipped early.
 * Built on first use: it includes `knowledge.ts`'s HTTP methods, and that module re-exports
 * `blockingEffect` from this one, so neither may read the other while loading.
 */
let receiverMethods: Set<string> | undefined;

function isReceiverMethod(method: string): boolean {
  receiverMethods ??= new Set([
    ...HTTP_CLIENT_METHODS,
    'urlopen',
    ...LLM_REQUEST_METHODS,
    ...POPEN_WAIT_METHODS,
    ...PATH_IO_METHODS,
    ...PATH_FS_METHODS,
    ...DB_BLOCKING_METHODS,
    ...DJANGO_EVALUATING_METHODS,
    ...INSPECTOR_METHODS,
    'open',
  ]);
  return receiverMethods.has(method);
}

function classify(call: PyCall, model: PythonModel): EffectKind | null {
  const q = call.qualified;
  // Module-level functions first: set lookups on the qualified name.
  if (SLEEP.has(q)) return 'sleep';
  if (
    HTTP_FUNCTIONS.has(q) ||
    (startsWithAny(q, HTTP_MODULE_PREFIXES) && HTTP_CLIENT_METHODS.has(call.method))
  )
    return 'http';
  if (q === IMAGE_OPEN) return opensFilePath(call) ? 'file' : null;
  if (PROCESS_FUNCTIONS.has(q) || FILE_FUNCTIONS.has(q)) {
    if (!q.includes('.') && topLevelFunctionNames(model).has(q)) return null;
    return PROCESS_FUNCTIONS.has(q) ? 'process' : 'file';
  }
  if (FS_FUNCTIONS.has(q) || startsWithAny(q, FS_MODULE_PREFIXES)) return 'fs';
  // Any method of a boto3 client may send a request: the SDK decides, not the method's name.
  if (networkSdkOf(call, model)) return 'http';
  if (startsWithModule(q, DB_DRIVER_MODULES))
    return DB_DRIVER_FUNCTIONS.has(q.slice(q.lastIndexOf('.') + 1)) ? 'db' : null;
  if (isMongoCommand(call) && usesSyncMongoDriverOnly(model)) return 'db';
  // Redis commands have hundreds of names: the receiver decides before any name is looked up.
  if (call.hasReceiver && importsRedis(model)) {
    const command = syncRedisCommand(call, model);
    if (command !== undefined) return command ? 'db' : null;
  }
  // Methods: what the receiver is decides. The name first: reading the receiver touches nodes.
  if (!isReceiverMethod(call.method) || !call.receiver) return null;
  if (
    DJANGO_EVALUATING_METHODS.has(call.method) &&
    (hasObjectsManager(call) || isOnDjangoQuerySet(call, model))
  )
    return 'db';
  if (isInspectorQuery(call, model)) return 'db';
  const maker = receiverMaker(call, model);
  if (maker && isAsyncMaker(maker)) return null;
  if (httpEffect(call, maker)) return 'http';
  if (maker === 'subprocess.Popen' && POPEN_WAIT_METHODS.has(call.method)) return 'process';
  if (PATH_IO_METHODS.has(call.method) || call.method === 'open') {
    if (/\b(?:anyio|trio|aiofiles|aiopath)\b/.test(call.receiver.text)) return null;
    if (PATH_IO_METHODS.has(call.method) || isPathLike(call, maker)) return 'file';
  }
  if (PATH_FS_METHODS.has(call.method) && isPathLike(call, maker)) return 'fs';
  if (dbEffect(call, maker, model)) return 'db';
  return null;
}

const importsRedisCache = new OwnedCache<PythonModel, boolean>('imports redis');

/** Whether the file imports redis-py (`import redis`, `from redis import Redis`). */
export function importsRedis(model: PythonModel): boolean {
  let imports = importsRedisCache.get(model);
  if (imports === undefined) {
    imports = false;
    for (const qualified of model.imports.values())
      if (qualified === 'redis' || qualified.startsWith('redis.')) imports = true;
    importsRedisCache.set(model, imports);
  }
  return imports;
}

/**
 * Whether a method call on a sync redis-py client made in this file (`r = redis.Redis(...)` at
 * module level, in the function or on `self`; a parameter annotated `redis.Redis`), or on a
 * pipeline made from one, sends a command (see `sendsRedisCommand`); undefined when the receiver
 * is not known to be such a client.
 */
export function syncRedisCommand(call: PyCall, model: PythonModel): boolean | undefined {
  const via: string[] = [];
  if (!makesSyncRedisClient(receiverMaker(call, model, via))) return undefined;
  // `r.connection_pool.disconnect()`: a dotted callee goes through attributes of the client that
  // `receiverMaker` skips on its way to the root; their methods are no commands.
  const callee = call.callee;
  if (callee) {
    const dots = callee.split('.').length - 1;
    if (dots > (callee.startsWith('self.') ? 2 : 1)) return false;
  }
  return sendsRedisCommand(call.method, via);
}

/**
 * Whether the file imports pymongo and not Motor: its collection commands then block the event
 * loop. (Motor's are coroutines; with both imported, which one a name holds is not known.)
 */
function usesSyncMongoDriverOnly(model: PythonModel): boolean {
  let sync = false;
  for (const qualified of model.imports.values()) {
    if (startsWithModule(qualified, ['motor'])) return false;
    if (startsWithModule(qualified, ['pymongo'])) sync = true;
  }
  return sync;
}

const topLevelNames = new OwnedCache<PythonModel, Set<string>>('top-level function names');

/** Names of the file's module-level functions: a bare `open()` or `input()` may be one of them. */
function topLevelFunctionNames(model: PythonModel): Set<string> {
  let names = topLevelNames.get(model);
  if (!names) {
    names = new Set(
      model.functions.filter((fn) => !fn.parent && !fn.className).map((fn) => fn.name),
    );
    topLevelNames.set(model, names);
  }
  return names;
}

/** The call wraps an opened file (`json.load(open(p))`), so a finding on the `open` covers it. */
export function fileReaderAround(call: PyCall): PyCall | undefined {
  const outer = call.outer;
  if (!outer || !FILE_READERS.has(outer.qualified)) return undefined;
  return call.node.parent?.startIndex === outer.args.startIndex ? outer : undefined;
}

/** A blocking call made in the body of an `async def`, as the local rules of this family see it. */
export interface BlockingCallInAsync {
  call: PyCall;
  kind: EffectKind;
  /** The call is the callable of a thread offload, called too early: `to_thread(fetch())`. */
  misusedOffload: boolean;
}

const blockingCallsCache = new OwnedCache<PythonModel, BlockingCallInAsync[]>('blocking calls');

const LIFECYCLE_NAME = /^(?:lifespan|\w+_lifespan|startup|shutdown|on_startup|on_shutdown)$/;
const LIFECYCLE_DECORATOR =
  /\bon_event\(\s*["'](?:startup|shutdown)|\b(?:on_startup|on_shutdown|before_serving|after_serving)\b/;

/**
 * An app startup or shutdown hook (`lifespan`, `@app.on_event("startup")`) or a pytest test: code
 * that runs while no requests are waiting, so blocking in it stalls nobody.
 */
export function isOutsideRequests(fn: PyFunction): boolean {
  for (let f: PyFunction | undefined = fn; f; f = f.parent) {
    if (LIFECYCLE_NAME.test(f.name)) return true;
    if (f.name.startsWith('test_') && !isRouteHandler(f)) return true;
    if (f.decorators.some((decorator) => LIFECYCLE_DECORATOR.test(decorator))) return true;
  }
  return false;
}

/**
 * The blocking calls made directly in `async def` bodies (not in nested plain functions or
 * lambdas, nor in startup hooks and tests), classified once per model and shared by the rules of
 * the `blocking-in-async` family.
 */
export function blockingCallsInAsync(model: PythonModel): BlockingCallInAsync[] {
  let result = blockingCallsCache.get(model);
  if (result) return result;
  result = [];
  for (const call of model.calls) {
    if (!call.fn?.isAsync || call.inLambda || isOutsideRequests(call.fn)) continue;
    const kind = blockingEffect(call, model);
    if (kind)
      result.push({ call, kind, misusedOffload: !!call.outer && offloadState(call) === 'misused' });
  }
  blockingCallsCache.set(model, result);
  return result;
}

/** The call as users would quote it: `requests.get()`, or `Path(...).read_text()` for chains. */
export function describeCall(call: PyCall): string {
  if (call.callee) return `${call.callee}()`;
  return `${shortExpression(call.node.childForFieldName('function'))}()`;
}

/** A callee expression with inner argument lists elided: `httpx.Client(...).get`. */
function shortExpression(node: Node | null): string {
  if (!node) return '…';
  switch (node.type) {
    case 'identifier':
      return node.text;
    case 'attribute':
      return `${shortExpression(node.childForFieldName('object'))}.${node.childForFieldName('attribute')?.text ?? ''}`;
    case 'call': {
      const args = node.childForFieldName('arguments');
      const empty = !args || args.namedChildren.length === 0;
      return `${shortExpression(node.childForFieldName('function'))}(${empty ? '' : '...'})`;
    }
    default: {
      const text = node.text.replace(/\s+/g, ' ');
      return text.length <= 32 ? text : '…';
    }
  }
}

/** The message for `to_thread(fetch(url))`: the call runs before the thread does. */
export function misusedOffloadMessage(call: PyCall): string {
  const advice =
    call.callee && chainTop(call.node).id === call.node.id
      ? `pass \`${call.callee}\` and its arguments instead of calling it`
      : 'pass a function instead (`lambda: ...`)';
  return `\`${describeCall(call)}\` runs on the event loop before the thread starts; ${advice}`;
}

/**
 * The `check` of a `blocking-in-async` rule: reports each blocking call of `kind` made in an
 * `async def` body. A call that is the callable of a thread offload, called too early, gets
 * `misusedOffloadMessage`; any other gets what `findingFor` makes of it: a message (reported on the
 * call) or a whole finding.
 */
export function reportBlockingCalls(
  ctx: FileContext,
  kind: EffectKind,
  findingFor: (call: PyCall, model: PythonModel) => string | ReportInput,
): void {
  const model = ctx.python;
  if (!model) return;
  for (const blocking of blockingCallsInAsync(model)) {
    if (blocking.kind !== kind) continue;
    const call = blocking.call;
    const finding = blocking.misusedOffload ? misusedOffloadMessage(call) : findingFor(call, model);
    ctx.report(
      typeof finding === 'string'
        ? { start: call.node.startIndex, end: call.node.endIndex, message: finding }
        : finding,
    );
  }
}
