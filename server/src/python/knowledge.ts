/**
 * What Perflens knows about Python libraries: names of sessions, connections and HTTP clients, and
 * which calls reach a database or the network. Local rules and cross-file facts both classify calls
 * here, so a helper that queries is recognised the same way whether it is called directly or from
 * another file. What blocks an event loop is in `blocking.ts`, built on these.
 */
import type { Node } from 'web-tree-sitter';
import type { PyCall, PyClass, PyFunction, PythonModel } from './model';
import { djangoShortcutOf } from './django-shortcuts';
import { OwnedCache } from './memo';

/** `requests.<anything>` is the sync requests library. */
export const HTTP_MODULE_PREFIXES = ['requests.'];

/** Sync database drivers: `sqlite3.connect(...)`, `duckdb.sql(...)` and friends. */
export const DB_DRIVER_MODULES = [
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
  // The async twins (Django 4.1+): `await Model.objects.acreate(...)` is the same round trip.
  'aget',
  'acount',
  'aexists',
  'afirst',
  'alast',
  'acreate',
  'aget_or_create',
  'aupdate_or_create',
  'aaggregate',
]);

export const HTTP_CLIENT_METHODS = new Set([
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

/** Whether `name` is one of `modules` or a name inside one (`sqlite3.connect` for `sqlite3`). */
export function startsWithModule(name: string, modules: readonly string[]): boolean {
  // Runs for every call of every file: no closures or template strings.
  for (let i = 0; i < modules.length; i++) {
    const module = modules[i];
    if (
      name.startsWith(module) &&
      (name.length === module.length || name.charCodeAt(module.length) === 46) // '.'
    )
      return true;
  }
  return false;
}

/** Whether `name` starts with one of `prefixes`. */
export function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (name.startsWith(prefixes[i])) return true;
  return false;
}

/** The leftmost name of a receiver chain: `db` for `db.query(X).filter(...)`. */
export function receiverRoot(call: PyCall): string {
  // A dotted callee (`self.db.query`) spells the whole chain: no node needs to be read.
  const callee = call.callee;
  if (callee) {
    const first = callee.indexOf('.');
    if (first === -1) return ''; // no receiver
    const head = callee.slice(0, first);
    if (head !== 'self') return head;
    const second = callee.indexOf('.', first + 1);
    return second === -1 ? head : callee.slice(0, second);
  }
  let root = receiverRoots.get(call);
  if (root === undefined) {
    root = receiverRootOfChain(call);
    receiverRoots.set(call, root);
  }
  return root;
}

const receiverRoots = new OwnedCache<PyCall, string>('receiver root');

function receiverRootOfChain(call: PyCall): string {
  let node = call.receiver;
  while (node) {
    const type = node.type; // one WASM call per step, not one per comparison
    if (type === 'identifier') return node.text;
    if (type === 'attribute') {
      const object = node.childForFieldName('object');
      if (object?.type === 'identifier' && object.text === 'self') {
        return `self.${node.childForFieldName('attribute')?.text ?? ''}`;
      }
      node = object;
    } else if (type === 'call') node = node.childForFieldName('function');
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
export function isAsyncDbName(fn: PyFunction | undefined, name: string): boolean {
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

/**
 * Django's own names for a model's managers whatever the model calls them: reusable apps query
 * through them (`Line._default_manager.create(...)`), as custom managers may be renamed.
 */
const META_MANAGERS = new Set(['_default_manager', '_base_manager']);

/**
 * Whether an attribute of a model is a Django manager: `objects`, a custom manager named like
 * it (`all_objects`, `issue_objects = IssueManager()` in the model's body), or Django's
 * `_default_manager` / `_base_manager`.
 */
export function isDjangoManagerName(name: string): boolean {
  return (
    name === 'objects' || (name.length > 8 && name.endsWith('_objects')) || META_MANAGERS.has(name)
  );
}

/** Text every use of a Django manager contains: `.objects`, `.issue_objects`, `._default_manager`. */
export const DJANGO_MANAGER_TEXT = /\.(?:\w+_)?objects\b|\._(?:default|base)_manager\b/;

/**
 * Whether the name `.objects` is read from may be a Django model: a class (`Order`,
 * `models.Order`), `cls`/`klass` in a model's classmethods, or a name that says model (`model`,
 * `self.model`, `model_class`). Other lower-case names own other `objects`: a boto3 S3 bucket's
 * `bucket.objects.filter(Prefix=...)` is a collection of keys, which cannot even be sliced.
 */
export function mayOwnDjangoManager(name: string): boolean {
  return /^_*[A-Z]/.test(name) || /^(?:cls|klass)$|model/i.test(name);
}

/** The same for the node `.objects` is read from; a call (`apps.get_model(...)`) may return a model. */
export function mayOwnDjangoManagerNode(owner: Node | null | undefined): boolean {
  if (!owner) return false;
  if (owner.type === 'identifier') return mayOwnDjangoManager(owner.text);
  if (owner.type === 'attribute')
    return mayOwnDjangoManager(owner.childForFieldName('attribute')?.text ?? '');
  return true;
}

/** Whether the method is one a Django manager or queryset answers with a query (`get`, `filter`). */
export function isDjangoQueryMethod(method: string): boolean {
  return DJANGO_QUERY_METHODS.has(method);
}

/** The call is a Django ORM query: `Model.objects.<method>(...)`. */
export function isDjangoQuery(call: PyCall): boolean {
  if (!DJANGO_QUERY_METHODS.has(call.method)) return false;
  return hasObjectsManager(call);
}

/** The receiver chain goes through a Django manager: `User.objects.filter(...)...`. */
export function hasObjectsManager(call: PyCall): boolean {
  // A dotted callee (`User.objects.get`) names every attribute of the chain.
  const callee = call.callee;
  if (callee) {
    const parts = callee.split('.');
    for (let i = 1; i < parts.length - 1; i++)
      if (isDjangoManagerName(parts[i])) return mayOwnDjangoManager(parts[i - 1]);
    return false;
  }
  let found = objectsManagers.get(call);
  if (found === undefined) {
    found = chainHasObjectsManager(call);
    objectsManagers.set(call, found);
  }
  return found;
}

const objectsManagers = new OwnedCache<PyCall, boolean>('Django objects manager');

function chainHasObjectsManager(call: PyCall): boolean {
  // The attribute would be in the call's text: one read of it instead of a walk down the chain.
  const text = call.node.text;
  if (!text.includes('objects') && !text.includes('_manager')) return false;
  let node = call.receiver;
  // Walk down `.objects.filter(...).exclude(...)` chains to find `.objects`.
  while (node) {
    const type = node.type;
    if (
      type === 'attribute' &&
      isDjangoManagerName(node.childForFieldName('attribute')?.text ?? '')
    )
      return mayOwnDjangoManagerNode(node.childForFieldName('object'));
    if (type === 'call') node = node.childForFieldName('function');
    else if (type === 'attribute') node = node.childForFieldName('object');
    else return false;
  }
  return false;
}

/**
 * pymongo and Motor collection methods that run a command. The names are the drivers' own
 * (snake_case, `_one`/`_many`), and the collection must be reached through a name that says
 * database or collection (`db.users.find_one`, `self.orders_collection.insert_one`).
 */
const MONGO_COMMANDS = new Set([
  'find',
  'find_one',
  'find_one_and_update',
  'find_one_and_delete',
  'find_one_and_replace',
  'insert_one',
  'insert_many',
  'update_one',
  'update_many',
  'replace_one',
  'delete_one',
  'delete_many',
  'count_documents',
  'estimated_document_count',
  'distinct',
  'aggregate',
  'bulk_write',
]);
const MONGO_RECEIVER = /^(?:db|database|mongo\w*|\w*_db|\w*collection\w*|coll|col)$/i;

/** A pymongo / Motor command on a collection: `db.users.find_one(...)`. */
export function isMongoCommand(call: PyCall): boolean {
  if (!MONGO_COMMANDS.has(call.method) || !call.callee) return false;
  const parts = call.callee.split('.');
  // Every name before the method but the last (the collection) may say database; the last may
  // say collection. `str.find` and `list.count` never match.
  return parts.slice(0, -1).some((part) => MONGO_RECEIVER.test(part));
}

/**
 * Keyword arguments only HTTP clients take (requests, httpx): `session.get(url, timeout=5)` is a
 * request, never SQLAlchemy's `Session.get(Model, id)`.
 */
const HTTP_KEYWORD_ARGUMENT =
  /[(,]\s*(?:headers|params|timeout|stream|json|data|cookies|auth|allow_redirects|follow_redirects|verify|proxies)\s*=/;
/** A URL literal, or an f-string that starts with one or with a placeholder (`f"{BASE}/users"`). */
const URL_ARGUMENT = /^[rbu]*["']https?:\/\/|^[rbu]*f[rb]*["'](?:https?:\/\/|\{)/i;
const STRING_ARGUMENT = /^[rbuf]*["']/i;
/**
 * A name that holds a URL (`url`, `page.url`, `next_link`, `self.base_uri`, `BASE_URL`): a
 * database's `get` takes a mapped class first, in CapWords (`Link`, `URL`), which never matches.
 */
const URL_NAME = /^[\w.]*(?:(?:^|[._])(?:url|uri|href|link)s?|_UR[LI]S?)$/;

/**
 * What the arguments of a call on something named like a session say it is: `'http'` for a URL
 * or an HTTP-only keyword (an HTTP session whose maker the file does not show, such as a
 * parameter), `'string'` for another string first (`session.get("user_id")` on a dict-like web
 * session), undefined when they say nothing (`session.get(User, 1)`).
 */
export function sessionCallArguments(call: PyCall): 'http' | 'string' | undefined {
  const args = call.args;
  // `firstNamedChild`: `namedChildren` would bring every argument over from WASM.
  const first = args.firstNamedChild?.text ?? '';
  if (URL_ARGUMENT.test(first) || URL_NAME.test(first) || HTTP_KEYWORD_ARGUMENT.test(args.text))
    return 'http';
  return STRING_ARGUMENT.test(first) ? 'string' : undefined;
}

/** A call sends a database statement and waits for the answer (sync or awaited). */
export function isDbRoundTrip(call: PyCall, model: PythonModel): boolean {
  if (isDjangoQuery(call)) return true;
  // `get_object_or_404(Model, pk=pk)`: a `Model.objects.get(...)` behind a function.
  if (djangoShortcutOf(call)) return true;
  if (isMongoCommand(call)) return true;
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
  if (call.method === 'get') {
    if (!isSyncDbName(call.fn, root) && !isAsyncDbName(call.fn, root)) return false;
    // A database `get` takes a mapped class first, never a string or HTTP options.
    if (sessionCallArguments(call)) return false;
  }
  return (
    (isSyncDbName(call.fn, root) ||
      isAsyncDbName(call.fn, root) ||
      /session|conn|cursor|db$/i.test(root)) &&
    !buildsSqlOnly(call, model)
  );
}

/**
 * SQLAlchemy calls that turn a query into part of another statement instead of running it:
 * `.subquery()`, `.cte()`, `.scalar_subquery()`, `.exists()` (an EXISTS clause).
 */
const SQL_CONSTRUCTS = new Set(['subquery', 'cte', 'scalar_subquery', 'as_scalar', 'exists']);

/** Attributes ending a chain that make it a piece of SQL without a call: `q.statement`. */
const SQL_CONSTRUCT_ATTRIBUTE = /\s*\.\s*(?:statement|selectable)\b/y;

const callsOnResults = new OwnedCache<PythonModel, Map<number, PyCall[]>>('calls on call results');

/** The call made on the result of `call` (`.filter(...)` after `db.query(X)`), if any. */
function callOnResultOf(call: PyCall, model: PythonModel): PyCall | undefined {
  // By start: a chain's calls all start where its head does, so each list is short.
  let byStart = callsOnResults.get(model);
  if (!byStart) {
    byStart = new Map();
    for (const other of model.calls) {
      if (other.receiverEnd === -1) continue;
      const list = byStart.get(other.start);
      if (list) list.push(other);
      else byStart.set(other.start, [other]);
    }
    callsOnResults.set(model, byStart);
  }
  return byStart.get(call.start)?.find((other) => other.receiverEnd === call.end);
}

/**
 * Whether a query chain that starts with `call` ends as a piece of SQL, not a query run:
 * `db.session.query(Doc.dataset_id, ...).group_by(...).subquery()` sends nothing; the statement
 * it becomes part of does. Read from the model's calls, not the tree: a node's parent is a walk
 * down from the root in WASM.
 */
export function buildsSqlOnly(call: PyCall, model: PythonModel): boolean {
  let last = call;
  for (let next = callOnResultOf(call, model); next; next = callOnResultOf(next, model)) {
    if (SQL_CONSTRUCTS.has(next.method)) return true;
    last = next;
  }
  SQL_CONSTRUCT_ATTRIBUTE.lastIndex = last.end;
  return SQL_CONSTRUCT_ATTRIBUTE.test(model.source);
}

/** A string literal that is a plain name (`"http"`, `"DefinitionBody"`): not a path or a URL. */
const NAME_ARGUMENT = /^["'][\p{L}_][\p{L}\p{N}_-]*["']$/u;

/**
 * `spec.get("DefinitionBody")`: a value read out of a mapping by name. A request's first argument
 * is a URL or a path (`"/users"`); a plain name with no HTTP-only keyword reads a dict, a parsed
 * spec or a config, whatever the receiver is named (`api.properties.get("Auth")`). Awaited calls
 * are left to the other checks: an async client's `get` is a round trip of some kind.
 */
function readsMappingByName(call: PyCall): boolean {
  if (call.method !== 'get' || call.awaited) return false;
  const args = call.args;
  return (
    NAME_ARGUMENT.test(args.firstNamedChild?.text ?? '') && !HTTP_KEYWORD_ARGUMENT.test(args.text)
  );
}

/** A call makes an HTTP request (sync or async client). */
export function isHttpRequest(call: PyCall): boolean {
  const q = call.qualified;
  if (startsWithAny(q, HTTP_MODULE_PREFIXES) && HTTP_CLIENT_METHODS.has(call.method)) return true;
  if (
    q === 'urllib.request.urlopen' ||
    /^httpx\.(?:get|post|put|patch|delete|head|options|request|stream)$/.test(q)
  )
    return true;
  if (!HTTP_CLIENT_METHODS.has(call.method) || !call.hasReceiver) return false;
  const root = receiverRoot(call);
  // `client.get(...)` counts when `client` is clearly an HTTP client: awaited, or named so.
  if (!HTTP_CLIENT_NAME.test(root) || readsMappingByName(call)) return false;
  // A sync call on a `session` is a database session's unless its arguments say HTTP.
  if (/session/i.test(root) && !call.awaited) return sessionCallArguments(call) === 'http';
  return call.awaited || /http|client|api/i.test(root);
}

/** Decorators that make a function a web route handler. */
const ROUTE_DECORATOR =
  /^(?:\w+\.)*(?:get|post|put|patch|delete|head|options|route|api_route|websocket|api_view|action)\s*\(/;

/** Whether a function is a web route handler (FastAPI, Starlette, Flask, Django REST decorators). */
export function isRouteHandler(fn: PyFunction): boolean {
  return fn.decorators.some((decorator) => ROUTE_DECORATOR.test(decorator));
}

/**
 * Base names of a class whose methods may narrow a queryset: `models.QuerySet`, `JobManager`,
 * `models.Manager.from_queryset(JobQuerySet)`.
 */
const QUERYSET_OR_MANAGER_BASE =
  /(?:QuerySet|Manager)(?:\[[\s\S]*\])?$|Manager\.from_queryset\([\s\S]*\)$/;

/** Whether a class extends a QuerySet or a Manager class, by the names of its bases. */
export function isQuerySetOrManagerClass(cls: PyClass): boolean {
  return cls.bases.some((base) => QUERYSET_OR_MANAGER_BASE.test(base.trim()));
}

/** The class a method is defined in (`fn.className`), as the model reads it. */
export function classOfMethod(fn: PyFunction, model: PythonModel): PyClass | undefined {
  if (!fn.className) return undefined;
  const at = fn.node.startIndex;
  return model.classes.find(
    (cls) => cls.name === fn.className && cls.body.startIndex <= at && at < cls.body.endIndex,
  );
}
