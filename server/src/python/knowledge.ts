/**
 * What Perflens knows about Python libraries: which calls block an event loop, which reach a
 * database or the network. Local rules and cross-file facts both classify calls here, so a helper
 * that sleeps is recognised the same way whether it is called directly or from another file.
 */
import type { EffectKind } from '../workspace/facts';
import type { PyCall, PyFunction, PythonModel } from './model';

const SLEEP = new Set(['time.sleep']);

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
  'httpx.Client',
  'requests.Session',
  'requests.session',
  'anthropic.Anthropic',
  'openai.OpenAI',
  'openai.AzureOpenAI',
  'boto3.client',
  'boto3.resource',
]);

/** `requests.<anything>` is the sync requests library. */
const HTTP_MODULE_PREFIXES = ['requests.'];

const FILE_FUNCTIONS = new Set([
  'open',
  'io.open',
  'json.load',
  'json.dump',
  'pickle.load',
  'pickle.dump',
  'csv.reader',
]);
const PATH_IO_METHODS = new Set(['read_text', 'write_text', 'read_bytes', 'write_bytes']);

const FS_FUNCTIONS = new Set([
  'os.path.exists',
  'os.path.isfile',
  'os.path.isdir',
  'os.path.getsize',
  'os.path.getmtime',
  'os.path.getctime',
  'os.path.getatime',
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
  'os.walk',
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

/** Sync database drivers: `sqlite3.connect(...)`, `duckdb.sql(...)` and friends. */
const DB_DRIVER_MODULES = [
  'sqlite3',
  'psycopg2',
  'psycopg',
  'duckdb',
  'pymysql',
  'MySQLdb',
  'mysql.connector',
  'cx_Oracle',
  'oracledb',
  'pyodbc',
];

/** Methods that send a statement to the database and wait for it. */
const DB_ROUND_TRIP_METHODS = new Set([
  'query',
  'execute',
  'executemany',
  'executescript',
  'exec_driver_sql',
  'scalars',
  'scalar',
  'get',
  'commit',
  'flush',
  'refresh',
  'merge',
  'delete',
  'sql',
  'fetchall',
  'fetchone',
  'fetchmany',
  'fetchdf',
  'df',
]);

/** Methods on a session that cost a round trip whenever they run (not `add`, which is buffered). */
const DB_QUERY_METHODS = new Set([
  'query',
  'execute',
  'scalars',
  'scalar',
  'get',
  'exec_driver_sql',
  'sql',
  'executescript',
  'refresh',
]);

/** Names people give to sessions, connections and cursors. */
const DB_RECEIVER_NAME =
  /^(?:db|session|sess|db_session|dbsession|async_session|conn|connection|con|cursor|cur|duck|duckdb_conn|database)$/i;
const DB_ANNOTATION = /\b(?:Session|scoped_session|Connection|DuckDBPyConnection|Cursor|Engine)\b/;
const ASYNC_DB_ANNOTATION = /\bAsync(?:Session|Connection|Engine)\b/;

/** Django queryset methods that hit the database when called. */
const DJANGO_QUERY_METHODS = new Set([
  'get',
  'filter',
  'exclude',
  'all',
  'count',
  'exists',
  'first',
  'last',
  'create',
  'get_or_create',
  'update_or_create',
  'values',
  'values_list',
  'aggregate',
  'raw',
]);

const HTTP_CLIENT_METHODS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'request',
  'send',
  'stream',
]);
const HTTP_CLIENT_NAME =
  /^(?:self\.)?(?:_?client|_?http|http_client|httpx_client|session|_?http_session|api|api_client)$/i;

function startsWithModule(name: string, modules: readonly string[]): boolean {
  return modules.some((module) => name === module || name.startsWith(`${module}.`));
}

/** The leftmost name of a receiver chain: `db` for `db.query(X).filter(...)`. */
export function receiverRoot(call: PyCall): string {
  let node = call.receiver;
  while (node) {
    if (node.type === 'identifier') return node.text;
    if (node.type === 'attribute') {
      const object = node.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === 'self') {
        return `self.${node.childForFieldName('attribute')?.text ?? ''}`;
      }
      node = object;
    } else if (node.type === 'call') node = node.childForFieldName('function');
    else return '';
  }
  return '';
}

/** The parameter of the call's function (or an enclosing one) named `name`, if any. */
export function paramOf(fn: PyFunction | undefined, name: string) {
  for (let f = fn; f; f = f.parent) {
    const param = f.params.find((p) => p.name === name);
    if (param) return param;
  }
  return undefined;
}

/** Whether `name` (a receiver root) is an async DB session by its annotation. */
function isAsyncDbName(fn: PyFunction | undefined, name: string): boolean {
  const param = paramOf(fn, name);
  return (
    !!param &&
    (ASYNC_DB_ANNOTATION.test(param.annotation) ||
      /AsyncSession|async_session/.test(param.defaultText))
  );
}

/** Whether `name` is a sync DB session, connection or cursor, judged by its annotation or name. */
export function isSyncDbName(fn: PyFunction | undefined, name: string): boolean {
  if (!name) return false;
  const param = paramOf(fn, name);
  if (param?.annotation) {
    if (ASYNC_DB_ANNOTATION.test(param.annotation)) return false;
    if (DB_ANNOTATION.test(param.annotation)) return true;
  }
  if (isAsyncDbName(fn, name)) return false;
  const bare = name.startsWith('self.') ? name.slice(5) : name;
  return DB_RECEIVER_NAME.test(bare);
}

/** The call is a Django ORM query: `Model.objects.<method>(...)`. */
export function isDjangoQuery(call: PyCall): boolean {
  if (!DJANGO_QUERY_METHODS.has(call.method)) return false;
  let node = call.receiver;
  // Walk down `.objects.filter(...).exclude(...)` chains to find `.objects`.
  while (node) {
    if (node.type === 'attribute' && node.childForFieldName('attribute')?.text === 'objects')
      return true;
    if (node.type === 'call') node = node.childForFieldName('function');
    else if (node.type === 'attribute') node = node.childForFieldName('object');
    else return false;
  }
  return false;
}

/** A call sends a database statement and waits for the answer (sync or awaited). */
export function isDbRoundTrip(call: PyCall): boolean {
  if (isDjangoQuery(call)) return true;
  if (
    startsWithModule(call.qualified, DB_DRIVER_MODULES) &&
    /\.(?:execute|sql|query|executemany|fetchall|fetchone)$/.test(call.qualified)
  ) {
    return true;
  }
  if (!DB_QUERY_METHODS.has(call.method)) return false;
  // Only the head of a chain costs the round trip: `db.query(X).filter(...)` is one query.
  const receiver = call.receiver;
  if (!receiver || (receiver.type !== 'identifier' && receiver.type !== 'attribute')) return false;
  const root = receiverRoot(call);
  if (call.method === 'get' && !isSyncDbName(call.fn, root) && !isAsyncDbName(call.fn, root))
    return false;
  return (
    isSyncDbName(call.fn, root) ||
    isAsyncDbName(call.fn, root) ||
    /session|conn|cursor|db$/i.test(root)
  );
}

/** A call makes an HTTP request (sync or async client). */
export function isHttpRequest(call: PyCall): boolean {
  const q = call.qualified;
  if (
    HTTP_MODULE_PREFIXES.some((prefix) => q.startsWith(prefix)) &&
    HTTP_CLIENT_METHODS.has(call.method)
  )
    return true;
  if (
    q === 'urllib.request.urlopen' ||
    /^httpx\.(?:get|post|put|patch|delete|head|options|request|stream)$/.test(q)
  )
    return true;
  if (!HTTP_CLIENT_METHODS.has(call.method) || !call.receiver) return false;
  const root = receiverRoot(call);
  // `client.get(...)` counts when `client` is clearly an HTTP client: awaited, or named so.
  if (!HTTP_CLIENT_NAME.test(root)) return false;
  if (/session/i.test(root) && !call.awaited) return false; // a DB session's `get` is handled as a query
  return call.awaited || /http|client|api/i.test(root);
}

/** A bare name like `open` or `input` that the file redefines is not the builtin. */
function shadowsBuiltin(name: string, model: PythonModel): boolean {
  return model.functions.some((fn) => fn.name === name && !fn.parent && !fn.className);
}

/**
 * What a call blocks on when it runs on an event loop, or null if it does not block (or is awaited,
 * or is handed to a thread).
 */
export function blockingEffect(call: PyCall, model: PythonModel): EffectKind | null {
  if (call.awaited) return null;
  const q = call.qualified;
  if (SLEEP.has(q)) return 'sleep';
  if (HTTP_FUNCTIONS.has(q)) return 'http';
  if (
    HTTP_MODULE_PREFIXES.some((prefix) => q.startsWith(prefix)) &&
    HTTP_CLIENT_METHODS.has(call.method)
  ) {
    return 'http';
  }
  if (!q.includes('.') && shadowsBuiltin(q, model)) return null;
  if (PROCESS_FUNCTIONS.has(q)) return 'process';
  if (
    q === 'subprocess.Popen' ||
    (call.method === 'wait' && /Popen\(/.test(call.receiver?.text ?? ''))
  )
    return 'process';
  if (FILE_FUNCTIONS.has(q)) return 'file';
  if (PATH_IO_METHODS.has(call.method) && call.receiver) return 'file';
  if (call.method === 'open' && call.receiver && /Path\(|path/i.test(call.receiver.text))
    return 'file';
  if (FS_FUNCTIONS.has(q) || FS_MODULE_PREFIXES.some((prefix) => q.startsWith(prefix))) return 'fs';
  if (startsWithModule(q, DB_DRIVER_MODULES)) return 'db';
  if (DB_ROUND_TRIP_METHODS.has(call.method) && call.receiver) {
    const root = receiverRoot(call);
    if (isSyncDbName(call.fn, root) && call.receiver.type !== 'call') return 'db';
  }
  if (isDjangoQuery(call)) return 'db';
  return null;
}

/** Calls that hand work to a thread: what is inside them does not block the loop. */
export const OFFLOAD_CALLS = new Set([
  'asyncio.to_thread',
  'to_thread',
  'run_in_executor',
  'run_in_threadpool',
  'starlette.concurrency.run_in_threadpool',
  'anyio.to_thread.run_sync',
  'loop.run_in_executor',
]);

/** Decorators that make a function a web route handler. */
const ROUTE_DECORATOR =
  /^(?:\w+\.)*(?:get|post|put|patch|delete|head|options|route|api_route|websocket|api_view|action)\s*\(/;

export function isRouteHandler(fn: PyFunction): boolean {
  return fn.decorators.some((decorator) => ROUTE_DECORATOR.test(decorator));
}
