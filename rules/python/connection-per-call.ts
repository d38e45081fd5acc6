import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import { isRouteHandler } from '../../server/src/python/knowledge';
import type { PyCall, PyFunction, PythonModel } from '../../server/src/python/model';
import {
  contains,
  decoratorName,
  globalNames,
  isTestPath,
  moduleAssignments,
  rootName,
} from '../../server/src/python/scope-analysis';

/** Calls that open a connection, pool or client, and what each creates (for the message). */
const CONNECTORS = new Map<string, string>([
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
const HTTP_CLIENTS = new Set([
  'httpx.Client',
  'httpx.AsyncClient',
  'requests.Session',
  'requests.session',
  'aiohttp.ClientSession',
]);

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

/**
 * Names of functions the file hands to an app as lifespan or startup handlers. Read from the text
 * (one scan per file with a candidate): a mention in a comment only makes the rule quieter.
 */
function lifecycleHandlers(model: PythonModel): Set<string> {
  const names = new Set<string>();
  const source = model.source;
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

/** Whether `fn` runs once (setup, cache, startup hook) rather than per call. */
function runsOnce(fn: PyFunction, handlers: Set<string>): boolean {
  if (SETUP_FUNCTION_NAMES.has(fn.name) || fn.name.startsWith('test_') || handlers.has(fn.name))
    return true;
  if (isStartMethod(fn)) return true;
  return fn.decorators.some(
    (decorator) =>
      RUNS_ONCE_DECORATOR.test(decoratorName(decorator)) || STARTUP_EVENT.test(decorator),
  );
}

/** A lazy-once guard and the name it tests: `if _engine is None:`, `if not self._client:`. */
const LAZY_GUARD = /^(?:not\s+([\w.]+)|([\w.]+)\s+is\s+None)\s*$/;

/** Whether a guarded name outlives the call: a `self`/`cls` attribute, a module-level or `global` name. */
function isLongLived(name: string, fn: PyFunction, model: PythonModel): boolean {
  return (
    /^(?:self|cls)\./.test(name) ||
    globalNames(model, fn).has(name) ||
    moduleAssignments(model).has(name)
  );
}

/**
 * Whether the created object is kept beyond the call: assigned to a `global` name, to an attribute
 * of `self`/`cls`/`app.state`, or created under an `is None` guard (a lazy singleton).
 */
function isCachedCreation(call: PyCall, fn: PyFunction, model: PythonModel): boolean {
  for (
    let node: Node | null = call.node.parent;
    node && node.id !== fn.body.id;
    node = node.parent
  ) {
    if (node.type === 'if_statement') {
      const guard = LAZY_GUARD.exec(node.childForFieldName('condition')?.text ?? '');
      const guarded = guard?.[1] ?? guard?.[2];
      if (guarded && isLongLived(guarded, fn, model)) return true;
    }
    if (node.type === 'assignment') {
      const left = node.childForFieldName('left');
      if (left?.type === 'identifier' && globalNames(model, fn).has(left.text)) return true;
      if (left?.type === 'attribute') {
        const root = rootName(left);
        if (root === 'self' || root === 'cls' || /(?:^|\.)state\./.test(left.text)) return true;
      }
      // `_clients[tenant] = httpx.Client()`: a module-level registry keeps one per key.
      if (left?.type === 'subscript' && moduleAssignments(model).has(rootName(left))) return true;
    }
  }
  return false;
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
function servesBatch(call: PyCall, model: PythonModel): boolean {
  const statement = withStatementOf(call);
  if (!statement) return false;
  const body = statement.childForFieldName('body');
  return (
    !!body && model.loops.some((loop) => !loop.overConstantLiteral && contains(body, loop.node))
  );
}

/** A connection, pool or client created on every call of a function. */
export const connectionPerCall: Rule = {
  meta: {
    id: 'connection-per-call',
    language: 'python',
    category: 'connection-churn',
    severity: 'warning',
    summary:
      'Database connection, engine or HTTP client (`duckdb.connect()`, `create_engine()`, `httpx.AsyncClient()`) created on every call',
    docs: {
      whatItDoes:
        'Finds database connections (`duckdb.connect`, `sqlite3.connect`, `psycopg.connect`, `psycopg2.connect`, ' +
        '`pymysql.connect`, `asyncpg`), engines and pools (`create_engine`, `redis.Redis(...)`, `redis.from_url`), ' +
        'and HTTP or API clients (`httpx.Client()`, `httpx.AsyncClient()`, `requests.Session()`, ' +
        '`aiohttp.ClientSession()`, `anthropic.Anthropic()`, `openai.OpenAI()`) created inside a function that ' +
        'runs once per call or request, rather than once per process.',
      whyIsThisBad:
        'Each creation pays the full setup cost again: a TCP and TLS handshake and authentication for network ' +
        'clients, opening and attaching the database file for DuckDB and SQLite, and a fresh, empty pool for ' +
        'engines and clients, so no connection is ever reused. Under load the handshakes dominate latency, ' +
        'sockets pile up in `TIME_WAIT`, and the database runs out of connection slots.',
      example: [
        'import httpx',
        '',
        '@app.get("/weather/{city}")',
        'async def weather(city: str):',
        '    async with httpx.AsyncClient() as client:',
        '        response = await client.get(f"{API}/weather", params={"q": city})',
        '    return response.json()',
      ].join('\n'),
      useInstead: [
        'import httpx',
        'from contextlib import asynccontextmanager',
        '',
        '@asynccontextmanager',
        'async def lifespan(app: FastAPI):',
        '    app.state.http = httpx.AsyncClient()',
        '    yield',
        '    await app.state.http.aclose()',
        '',
        '@app.get("/weather/{city}")',
        'async def weather(city: str, request: Request):',
        '    response = await request.app.state.http.get(f"{API}/weather", params={"q": city})',
        '    return response.json()',
      ].join('\n'),
      notFlagged: [
        'Creation at module level, in class bodies and in `if __name__ == "__main__":` blocks.',
        'App lifespan and startup hooks: functions passed as `lifespan=` or `on_startup=`, registered with ' +
          '`add_event_handler("startup", ...)`, decorated with `@app.on_event("startup")`, or named `lifespan`.',
        'Functions that run once: decorated with `@lru_cache`, `@cache` or `@cached_property` (a factory whose ' +
          'result is reused), `main()`/`cli()` and click/typer commands, `create_app`/`init_app`, `__init__`, ' +
          "`__enter__`/`__aenter__`, undecorated `start()` methods (an application's entry, as in IPython's and " +
          "Jupyter's command-line apps) and test setup (`setUp`, `@pytest.fixture`, `test_*` functions and " +
          'test files).',
        'Lazy singletons: the object assigned to a `global` name, to `self.x`/`cls.x`/`app.state.x`, to an item ' +
          'of a module-level registry (`_clients[tenant] = ...`), or created under a guard on a long-lived ' +
          'name (`if _engine is None:` for a module-level `_engine`, `if not self._client:`).',
        'An HTTP client opened with `with`/`async with` whose block loops over many requests (a batch job that ' +
          'reuses one client for the batch), unless the function is a route handler, which runs per request.',
        'Session factories that take a connection from a pool (`SessionLocal()`, `async_session()`), including ' +
          'FastAPI dependencies that `yield` such a session.',
        'Lambdas, and calls whose module cannot be resolved through the imports (a local `connect()` helper).',
        'Flask-style per-request caching (`if "db" not in g: g.db = sqlite3.connect(...)`) is flagged: it still ' +
          'connects once per request.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    let handlers: Set<string> | undefined;
    for (const call of model.calls) {
      const what = CONNECTORS.get(call.qualified);
      if (!what || !call.fn || call.inLambda) continue;
      handlers ??= lifecycleHandlers(model);
      let once = false;
      for (let fn: PyFunction | undefined = call.fn; fn && !once; fn = fn.parent)
        once = runsOnce(fn, handlers);
      if (once || isCachedCreation(call, call.fn, model)) continue;
      if (HTTP_CLIENTS.has(call.qualified) && !isRouteHandler(call.fn) && servesBatch(call, model))
        continue;
      const callee = call.callee || call.qualified;
      ctx.report({
        start: call.node.startIndex,
        end: call.node.endIndex,
        message: `\`${callee}()\` creates a new ${what} on every call of \`${call.fn.name}\`; create it once (module level or app lifespan) and reuse it`,
      });
    }
  },
};
