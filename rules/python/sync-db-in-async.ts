import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import { ensureImport } from '../../server/src/python/edits';
import {
  blockingCallsInAsync,
  describeCall,
  DJANGO_EVALUATING_METHODS,
  isOutsideRequests,
  misusedOffloadMessage,
  offloadState,
  receiverFactoryCall,
  receiverMaker,
  receiverOrigin,
  reportBlockingCalls,
  runsOnEventLoop,
  syncRedisCommand,
} from '../../server/src/python/blocking';
import { CONNECTORS } from '../../server/src/python/clients';
import {
  DJANGO_MANAGER_TEXT,
  isMongoCommand,
  isRouteHandler,
} from '../../server/src/python/knowledge';
import { isOnDjangoQuerySet } from '../../server/src/python/orm';
import type { PyCall, PyFunction, PythonModel } from '../../server/src/python/model';
import { callTargets } from '../../server/src/python/facts';
import {
  isSyncRedisClass,
  makesSyncRedisClient,
  returnsSyncRedisClient,
  sendsRedisCommand,
} from '../../server/src/python/redis-clients';
import { importedReceiver } from '../../server/src/python/redis-round-trips';
import { chainTop, positionalArguments } from '../../server/src/python/scope-analysis';

const PLAIN_DEF_TITLE = 'Make the endpoint a plain `def`';
const TO_THREAD_TITLE = 'Wrap in `await asyncio.to_thread(...)`';

/** The trait of a function that makes a Redis client (a `cache_session()` context manager). */
const MAKES_REDIS = 'sync-db-in-async:makes-redis';

const isRedisConnector = (qualified: string): boolean =>
  qualified.startsWith('redis.') && CONNECTORS.has(qualified);

/** The trait of a function that hands back a sync Redis client (`return redis.from_url(url)`). */
const RETURNS_REDIS = 'sync-db-in-async:returns-redis';

/**
 * Records the functions that create a Redis client and no SQLAlchemy object, and those that hand
 * back a sync one.
 */
function redisFactoryTraits(fn: PyFunction, calls: PyCall[], model: PythonModel): string[] {
  if (!calls.some((call) => isRedisConnector(call.qualified))) return [];
  const sql = calls.some((call) => /^(?:sqlalchemy|sqlmodel)\b/.test(call.qualified));
  if (sql) return [];
  return returnsSyncRedisClient(fn, calls, model) ? [MAKES_REDIS, RETURNS_REDIS] : [MAKES_REDIS];
}

/** What the receiver of a blocking call is, as far as the advice depends on it. */
type ClientKind = 'redis' | 'sqlalchemy' | 'driver' | 'unknown';

/** SQLAlchemy `Session` methods no driver connection or Redis client has. */
const SESSION_ONLY_METHODS = new Set([
  'query',
  'exec',
  'scalars',
  'scalar',
  'flush',
  'refresh',
  'merge',
]);
/** Statement builders whose result only a SQLAlchemy session or connection executes. */
const SQLALCHEMY_STATEMENT =
  /^(?:(?:sa|sqlalchemy|sqlmodel)\.)?(?:text|select|insert|update|delete)$/;

/**
 * Whether the receiver is a Redis client: a sync one made in this file (`r = redis.Redis(...)`),
 * one made by `redis.*` directly, or one bound by a `with` over (or assigned from) a workspace
 * function that makes one (`with cache_session() as cache:`).
 */
function isRedisClient(
  ctx: FileContext,
  call: PyCall,
  origin: string,
  model: PythonModel,
): boolean {
  if (syncRedisCommand(call, model)) return true;
  if (!origin) return false;
  if (origin.startsWith('redis.')) return true;
  const local = !origin.includes('.') && model.moduleName;
  const target = ctx.index.resolve([local ? `${model.moduleName}.${origin}` : origin]);
  return !!target?.fn.traits.includes(MAKES_REDIS);
}

/**
 * The kind of client a call blocks on: Redis; SQLAlchemy, when the call says so (a session-only
 * method, `get(Model, ...)`, a `text()`/`select()` statement, `commit`/`rollback` on a
 * session-like name, an `inspect(engine)` read); a sync driver connection; or unknown (a `with reports_session() as r:`
 * whose calls could be any client's).
 */
function clientKind(ctx: FileContext, call: PyCall, model: PythonModel): ClientKind {
  const origin = receiverOrigin(call, model);
  if (isRedisClient(ctx, call, origin, model)) return 'redis';
  if (receiverMaker(call, model)) return 'driver';
  // `inspect(engine).get_table_names()`: SQLAlchemy's catalogue reads.
  const inspected =
    origin === 'sqlalchemy.inspect' ||
    /^(?:sa\.|sqlalchemy\.)?inspect\(/.test(call.receiver?.text ?? '');
  if (inspected || SESSION_ONLY_METHODS.has(call.method)) return 'sqlalchemy';
  const first = positionalArguments(call)[0];
  if (call.method === 'get')
    return first?.type === 'identifier' && /^[A-Z]/.test(first.text) ? 'sqlalchemy' : 'unknown';
  if (call.method === 'execute' && first?.type === 'call') {
    const callee = first.childForFieldName('function')?.text ?? '';
    return SQLALCHEMY_STATEMENT.test(callee) ? 'sqlalchemy' : 'unknown';
  }
  return call.method === 'commit' || call.method === 'rollback' ? 'sqlalchemy' : 'unknown';
}

/** The async alternative to name for a client kind, after "make the endpoint a plain `def` or". */
const ASYNC_ALTERNATIVE: Record<ClientKind, string> = {
  redis: 'use `redis.asyncio`',
  sqlalchemy: 'use an `AsyncSession`',
  driver: 'use an async driver',
  unknown: 'use an async client',
};

/** Code that only works as a coroutine on the event loop thread. */
const LOOP_BOUND_CODE =
  /\b(?:yield|create_task|ensure_future|get_running_loop|get_event_loop|gather|wait_for)\b/;

/** Sync database sessions and drivers used inside `async def`. */
export const syncDbInAsync: Rule = {
  meta: {
    id: 'sync-db-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'warning',
    summary:
      'Sync database call (`db.query()`, `sqlite3`, `duckdb`, Django ORM, Redis) inside `async def`',
    fix: { title: PLAIN_DEF_TITLE, safety: 'unsafe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds synchronous database calls in the body of an `async def`: methods of a sync ' +
        'SQLAlchemy `Session` (a FastAPI `db: Session = Depends(get_db)` parameter, a variable ' +
        'named like a session, connection or cursor, or any name a `with` binds to what a session ' +
        'factory returns: `with reports_session() as rdb:`, `with Session(engine) as s:`, ' +
        '`with SessionLocal() as s:`, or a session such a factory makes in place: ' +
        '`SessionLocal().query(User).count()`) that run a statement (`query`, `execute`, ' +
        '`scalars`, `get`, `commit`, `flush`, `refresh`, ...), catalogue reads of SQLAlchemy ' +
        '`inspect(engine)` (`get_schema_names`, `get_table_names`, `get_columns`, `has_table`, ...), ' +
        'the sync drivers `sqlite3`, `psycopg2`, ' +
        '`psycopg`, `duckdb`, `pymysql` and their connections and cursors, Django queryset ' +
        'methods that run their query (`get`, `count`, `first`, `create`, ...), also on a queryset ' +
        'built in local variables (`q = Order.objects.filter(...)`, then `q.first()`), pymongo ' +
        'collection commands (`db.users.find_one`) in a file that imports pymongo and not Motor, and ' +
        'commands of a sync redis-py client (`r.get(k)`, `r.hgetall(k)`, the `execute()` of a ' +
        'pipeline): one made by `redis.Redis(...)`, `redis.StrictRedis(...)`, `redis.from_url(...)` or ' +
        '`Redis.from_url(...)` (also over a `ConnectionPool`) in the function, on `self`, at module ' +
        'level, or in another module of the workspace at module level and imported from there ' +
        '(`from app.cache import redis_client`), one a workspace function named for Redis ' +
        'returns (`r = get_redis()` where `get_redis` returns `redis.from_url(...)`, also a lazily ' +
        'made global), ' +
        'or a parameter annotated `redis.Redis`. A chain such as ' +
        '`db.query(User).filter(...).all()` is one round trip and one finding, on its head. The ' +
        'advice names the async client that fits: `redis.asyncio` for a Redis client (also one a ' +
        'workspace function makes, `with cache_session() as cache:`), an `AsyncSession` when the ' +
        'call shows a SQLAlchemy session (`query`, `scalars`, `get(Model, ...)`, `execute(text(...))`, ' +
        '`commit`), an async driver for a driver connection, and an async client otherwise.',
      whyIsThisBad:
        'The query waits for the database on the thread that runs the event loop, so every other ' +
        'request of the worker waits too: one slow report query turns a concurrent API into a ' +
        'sequential one. FastAPI runs plain `def` endpoints in a thread pool precisely so that sync ' +
        'sessions do not do this; declaring the endpoint `async def` opts out of that protection.',
      example: [
        '@router.get("/users/{user_id}")',
        'async def read_user(user_id: int, db: Session = Depends(get_db)):',
        '    user = db.query(User).filter(User.id == user_id).first()',
        '    return user',
      ].join('\n'),
      useInstead: [
        '# A plain def: FastAPI runs it in its thread pool.',
        '@router.get("/users/{user_id}")',
        'def read_user(user_id: int, db: Session = Depends(get_db)):',
        '    return db.query(User).filter(User.id == user_id).first()',
        '',
        '# Or an async session, awaited.',
        '@router.get("/users/{user_id}")',
        'async def read_user(user_id: int, db: AsyncSession = Depends(get_async_db)):',
        '    return await db.get(User, user_id)',
      ].join('\n'),
      notFlagged: [
        'Queries built as part of another statement: `db.query(...).subquery()`, `.cte()`, ' +
          '`.scalar_subquery()`, `.exists()`, `.statement` send nothing; the statement using them does.',
        'Awaited calls on async sessions and drivers: `await db.execute(...)` on an `AsyncSession`, ' +
          '`asyncpg`, `aiosqlite`, `psycopg.AsyncConnection`, and `async with`/`async for` over them.',
        'Query chains awaited as a whole (`await db.query(Memory).filter_by(user_id=u).all()` in ' +
          '`async with get_db() as db:`): a sync session ends such a chain in rows or a count, which ' +
          "cannot be awaited, so the session is an async wrapper's whatever its name says. A chain " +
          'passed to an awaited call (`await publish(db.query(Memory).count())`) is still reported.',
        '`session.get(...)` with a URL, HTTP options (`headers=`, `timeout=`, ...) or a string key: an ' +
          'HTTP or web session, not a database one (a database `get` takes a mapped class first).',
        'Buffered session calls that do not talk to the database: `db.add(obj)`, `db.delete(obj)` ' +
          '(the `commit()` that follows is the finding).',
        'The rest of a chain after its head (`.filter(...).all()`), and `cur.fetchall()` after the ' +
          '`cur.execute(...)` that is already reported.',
        'Redis calls that send nothing: commands queued on a pipeline (`pipe.set(...)` before ' +
          '`pipe.execute()`), and building a pipeline, lock or pub/sub (`r.pipeline()`, `r.lock(...)`, ' +
          "`r.pubsub()`) or reading the client's attributes (`r.connection_pool`). Awaited commands " +
          'of `redis.asyncio` and `aioredis` clients, and module-level names assigned more than ' +
          'once, whose client is not known. Methods called on what a workspace function returns ' +
          'when it does not hand back a sync Redis client it makes (`settings = ' +
          'cache_settings()`, a dict), or when its name does not say Redis.',
        'Lazy Django querysets (`Model.objects.filter(...)`, `.all()`), which `async for` consumes ' +
          'without blocking, and the async ORM methods (`aget`, `acount`, ...).',
        'Calls handed to a thread: `await asyncio.to_thread(db.commit)`, `run_in_executor(None, lambda: ' +
          'db.query(User).all())`, `run_in_threadpool(...)`, `sync_to_async(...)`.',
        'Sync database code in a plain `def`, including a sync function nested in an `async def`, and ' +
          'in lambdas.',
        'Methods called `get`/`execute` on objects that are not named or annotated as a database ' +
          'session, connection or cursor.',
        'On a session made in place, methods an HTTP session has too (`get`): only `query`, ' +
          '`execute`, `scalars`, `scalar` and `exec` say database, so `requests.Session().get(url)` ' +
          'is a request.',
        'Names bound by `async with` (`async with async_session() as s`, `async with ' +
          'AsyncSession(engine) as s`: an async session), and by a `with` over a context manager ' +
          'whose name does not say session or database (`with lock_manager() as lock: ' +
          'lock.refresh()`).',
        '`inspect(...)` of anything but an engine or connection (a mapped class or instance has ' +
          'no catalogue to read), and inspection run through `await conn.run_sync(lambda c: ' +
          'inspect(c).get_table_names())`.',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
      fixSafety:
        'All fixes are unsafe. "Make the endpoint a plain `def`" (offered for route handlers whose ' +
        'body has no `await`, `async for`, `async with`, `yield` or event-loop call such as ' +
        "`asyncio.create_task`) moves the whole endpoint to FastAPI's " +
        'thread pool, which is what sync sessions need, but code that awaited the function directly ' +
        '(tests, other handlers) must stop awaiting it. "Wrap in `await asyncio.to_thread(...)`" runs ' +
        'the call in a worker thread (adding a top-level `import asyncio` unless the module or the ' +
        'function before the call imports it); a sync `Session` is not thread-safe, which is fine while one ' +
        'coroutine uses it at a time and wrong if tasks share it; it is not offered for `sqlite3` ' +
        'objects, which refuse to be used from a thread other than the one that made them. For ' +
        'Django, "Use `await ….aget()`" switches to the async ORM method (Django 4.1+), which runs the same query in a thread of its own.',
    },
  },
  pythonTraits: redisFactoryTraits,
  check(ctx) {
    reportBlockingCalls(ctx, 'db', (call, model) => {
      const django = isDjangoCall(call, model);
      const mongo = isMongoCommand(call);
      const kind = django || mongo ? undefined : clientKind(ctx, call, model);
      return findingFor(call, model, { django, mongo, kind });
    });
    reportWorkspaceRedisCommands(ctx);
  },
};

/** What the advice of a finding depends on: the ORM or driver, or the kind of client. */
interface Client {
  django: boolean;
  mongo: boolean;
  kind?: ClientKind;
}

function findingFor(call: PyCall, model: PythonModel, { django, mongo, kind }: Client) {
  const plainDef = django ? undefined : plainDefFix(call.fn!);
  const alternative = mongo ? 'use Motor (`AsyncIOMotorClient`)' : ASYNC_ALTERNATIVE[kind!];
  const advice = django
    ? `use \`a${call.method}()\` or \`sync_to_async\``
    : plainDef
      ? `make the endpoint a plain \`def\` or ${alternative}`
      : `${alternative} or \`await asyncio.to_thread(...)\``;
  const what = kind === 'redis' ? 'Redis' : 'database';
  const fixes = [django ? asyncOrmFix(call) : plainDef, toThreadFix(call, model)].filter(
    (fix): fix is Fix => !!fix,
  );
  return {
    start: call.node.startIndex,
    end: call.node.endIndex,
    message: `\`${describeCall(call)}\` is a blocking ${what} call inside \`async def\`; ${advice}`,
    fixes,
  };
}

/**
 * Commands sent, in the body of an `async def`, through a sync Redis client that another module
 * of the workspace makes at module level and this one imports (`from app.cache import
 * redis_client`, then `redis_client.get(key)`, `cache.redis_client.get(key)` after `from app
 * import cache`, or the `execute()` of `pipe = redis_client.pipeline()`), or that a workspace
 * function hands back (`r = get_redis()`, then `r.get(key)`). The file's own clients are the
 * classification's (`blockingCallsInAsync`), which knows no other file.
 */
function reportWorkspaceRedisCommands(ctx: FileContext): void {
  const model = ctx.python;
  if (!model || model.imports.size === 0) return;
  let reported: Set<PyCall> | undefined;
  for (const call of model.calls) {
    if (!call.fn?.isAsync || call.inLambda || !call.hasReceiver) continue;
    if (!isWorkspaceRedisCommand(ctx, call, model)) continue;
    if (isOutsideRequests(call.fn) || !runsOnEventLoop(call)) continue;
    reported ??= new Set(blockingCallsInAsync(model).map((blocking) => blocking.call));
    if (reported.has(call)) continue;
    const misused = !!call.outer && offloadState(call) === 'misused';
    const finding = findingFor(call, model, { django: false, mongo: false, kind: 'redis' });
    const { start, end } = finding;
    ctx.report(misused ? { start, end, message: misusedOffloadMessage(call) } : finding);
  }
}

/**
 * Whether a call sends a command on a sync Redis client the index knows: a module-level one that
 * another module makes and this one imports, or one a workspace function hands back
 * (`r = get_redis()`, then `r.get(k)`; `get_redis().get(k)`).
 */
function isWorkspaceRedisCommand(ctx: FileContext, call: PyCall, model: PythonModel): boolean {
  const client = importedReceiver(call, model);
  if (client)
    return (
      sendsRedisCommand(call.method, client.via) &&
      !!ctx.index.instanceClassNames(client.holder)?.some(isSyncRedisClass)
    );
  if (!sendsRedisCommand(call.method, [])) return false;
  const factory = receiverFactoryCall(call, model);
  // A redis-py factory (`redis.from_url`) is the file's own client, classified already. Asking
  // the index while files are still being added is costly: only functions named for Redis
  // (`get_redis`, `redis_connection`) are looked up.
  if (!factory || makesSyncRedisClient(factory.qualified) || !/redis/i.test(factory.callee))
    return false;
  return !!ctx.index.resolve(callTargets(factory, model))?.fn.traits.includes(RETURNS_REDIS);
}

/**
 * `Model.objects...<method>()`, or the method on a queryset built in variables (`q.first()`), with
 * an async twin (every evaluating method has one).
 */
function isDjangoCall(call: PyCall, model: PythonModel): boolean {
  return (
    DJANGO_EVALUATING_METHODS.has(call.method) &&
    (DJANGO_MANAGER_TEXT.test(call.receiver?.text ?? '') || isOnDjangoQuerySet(call, model))
  );
}

/** Removes `async ` from a route handler whose body never awaits, so it stays valid Python. */
function plainDefFix(fn: PyFunction): Fix | undefined {
  if (!isRouteHandler(fn) || fn.usesAwait) return undefined;
  // With `yield` it is an async generator, and loop APIs need a running loop in the thread:
  // either way a plain `def` would change meaning.
  if (LOOP_BOUND_CODE.test(fn.body.text)) return undefined;
  const asyncKeyword = fn.node.child(0);
  const defKeyword = fn.node.child(1);
  if (asyncKeyword?.type !== 'async' || defKeyword?.type !== 'def') return undefined;
  return {
    title: PLAIN_DEF_TITLE,
    safety: 'unsafe',
    edits: [{ start: asyncKeyword.startIndex, end: defKeyword.startIndex, newText: '' }],
  };
}

/** `User.objects.get(...)` -> `await User.objects.aget(...)`, when the call ends its expression. */
function asyncOrmFix(call: PyCall): Fix | undefined {
  if (chainTop(call.node).id !== call.node.id) return undefined;
  const name = call.node.childForFieldName('function')?.childForFieldName('attribute');
  if (!name) return undefined;
  return {
    title: `Use \`await ….a${call.method}()\``,
    safety: 'unsafe',
    edits: [
      { start: call.node.startIndex, end: call.node.startIndex, newText: 'await ' },
      { start: name.startIndex, end: name.endIndex, newText: `a${call.method}` },
    ],
  };
}

/** Runs the chain in a worker thread: `await asyncio.to_thread(lambda: <chain>)`. */
function toThreadFix(call: PyCall, model: PythonModel): Fix | undefined {
  const top = chainTop(call.node);
  if (top.parent?.type === 'await' || /\b(?:await|yield)\b/.test(top.text)) return undefined;
  // Inside a generator expression, `await` would turn it into an async generator.
  for (let node = top.parent; node && node.id !== call.fn?.body.id; node = node.parent) {
    if (node.type === 'generator_expression' || node.type === 'lambda') return undefined;
  }
  // sqlite3 objects refuse to be used from a thread other than the one that made them.
  if (call.qualified.startsWith('sqlite3.') || receiverMaker(call, model).startsWith('sqlite3.'))
    return undefined;
  const edits: TextEdit[] = [
    {
      start: top.startIndex,
      end: top.endIndex,
      newText: `await asyncio.to_thread(${threadArguments(top)})`,
    },
  ];
  const importEdit = ensureImport(model, 'asyncio', top.startIndex);
  if (importEdit) edits.push(importEdit);
  return { title: TO_THREAD_TITLE, safety: 'unsafe', edits };
}

/** `db.commit` / `cursor.execute, sql` for a plain call, else a lambda around the chain. */
function threadArguments(top: Node): string {
  const fnNode = top.type === 'call' ? top.childForFieldName('function') : null;
  const args = top.childForFieldName('arguments');
  if (!fnNode || args?.type !== 'argument_list' || !/^[\w.]+$/.test(fnNode.text))
    return `lambda: ${top.text}`;
  const inner = args.text.slice(1, -1).trim().replace(/,$/, '');
  return inner ? `${fnNode.text}, ${inner}` : fnNode.text;
}
