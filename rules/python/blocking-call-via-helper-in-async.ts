import type { Rule, WorkspaceContext } from '../../server/src/engine/rule';
import {
  describeCall,
  isOutsideRequests,
  offloadState,
  receiverFactoryCall,
} from '../../server/src/python/blocking';
import { callTargets } from '../../server/src/python/facts';
import type { PyCall, PythonModel } from '../../server/src/python/model';
import {
  isSyncRedisClass,
  makesSyncRedisClient,
  returnsSyncRedisClient,
  sendsRedisCommand,
} from '../../server/src/python/redis-clients';
import { callRunsBody } from '../../server/src/workspace/facts';
import type { Effect, FileFacts, FunctionFacts } from '../../server/src/workspace/facts';
import type { IndexedFunction } from '../../server/src/workspace/index';

/** Traits this rule records on call sites (by start offset), so the index knows their context. */
const OFFLOADED = 'blocking-helper-offloaded@';
const IN_LAMBDA = 'blocking-helper-lambda@';
const MISUSED = 'blocking-helper-misused-offload@';
const OUTSIDE_REQUESTS = 'blocking-helper-outside-requests';
const CACHED = 'blocking-helper-cached';
/** The function hands back a sync redis-py client it makes (`def get_redis(): return redis.Redis()`). */
const RETURNS_REDIS = 'blocking-helper-returns-redis';
/**
 * A command-like method called on what a workspace function returned (`r = get_redis()`, then
 * `r.get(k)`): `<prefix><start> <end> <call as written> <targets of the function, comma-separated>`.
 * It blocks when that function returns a sync Redis client, which only the index can tell.
 */
const FACTORY_COMMAND = 'blocking-helper-factory-command@';

/** Memoising decorators: the helper's I/O runs on the first call only. */
const CACHE_DECORATOR = /^(?:functools\.)?(?:lru_cache|cache)\b/;

/** Helper chains longer than this are not followed (and are unlikely to be real). */
const MAX_DEPTH = 32;

/** A blocking call a sync function reaches, and the helpers on the way. */
interface Reach {
  effect: Effect;
  file: string;
  /** Functions between the called helper and the blocking call, outermost first. */
  via: string[];
}

/** `async def` calling a sync workspace function that blocks, directly or through more helpers. */
export const blockingCallViaHelperInAsync: Rule = {
  meta: {
    id: 'blocking-call-via-helper-in-async',
    language: 'python',
    category: 'blocking-in-async',
    severity: 'warning',
    summary: '`async def` calls a sync helper that sleeps, queries or does blocking I/O',
    docs: {
      whatItDoes:
        'Finds calls, inside an `async def`, to sync functions of the workspace (in any file) that ' +
        'block: they call `time.sleep`, a sync HTTP client, file or process I/O, a sync database ' +
        'session or a sync Redis client (`redis_client.get(key)` on a `redis.Redis` made in the ' +
        "helper's module or at module level in another module it imports, or `r.get(key)` on what " +
        'a workspace function that returns a sync client gave it: `r = get_redis()`), directly or ' +
        'through further sync helpers. Methods count too, called on an object ' +
        'whose class is known: an injected service (`stats: Stats = Depends(get_stats)`), ' +
        '`stats = Stats()`, a module-level instance, a repository kept on `self` ' +
        '(`self.repo.fetch()`). The finding sits on the call in the ' +
        'async function and names the blocking call it reaches and where. There is no automatic ' +
        'fix: whether the helper may run in a thread (`asyncio.to_thread`) or should get an async ' +
        'twin depends on what it shares with the rest of the program.',
      whyIsThisBad:
        'A blocking call hidden one or two calls deep blocks the event loop exactly like one written ' +
        'in the handler: a retry helper that backs off with `time.sleep` freezes every concurrent ' +
        'request of the process while it waits. Such helpers are written for sync code and reused ' +
        'from async code later, so the stall appears without anyone touching the helper.',
      example: [
        '# app/utils.py',
        'def retry_get(client, url, attempts=3):',
        '    for attempt in range(attempts):',
        '        response = client.get(url)',
        '        if response.status_code < 500:',
        '            return response',
        '        time.sleep(2 ** attempt)',
        '',
        '# app/stats.py',
        'class Stats:',
        '    def rows(self):',
        '        with duckdb.connect("stats.duckdb") as conn:',
        '            return conn.execute("SELECT kind, value FROM samples LIMIT 500").fetchall()',
        '',
        '# app/routes.py',
        'from app.stats import Stats',
        'from app.utils import retry_get',
        '',
        '@router.get("/status")',
        'async def status():',
        '    return retry_get(http, STATUS_URL).json()',
        '',
        '@router.get("/stats")',
        'async def stats_rows(stats: Stats = Depends(Stats)):',
        '    return stats.rows()',
      ].join('\n'),
      useInstead: [
        '# Run the sync helper in a worker thread...',
        '@router.get("/status")',
        'async def status():',
        '    response = await asyncio.to_thread(retry_get, http, STATUS_URL)',
        '    return response.json()',
        '',
        '@router.get("/stats")',
        'async def stats_rows(stats: Stats = Depends(Stats)):',
        '    return await asyncio.to_thread(stats.rows)',
        '',
        '# ...or give it an async twin that awaits `asyncio.sleep` and an async client.',
      ].join('\n'),
      notFlagged: [
        'Calls to `async def` helpers (awaited or not: a missing `await` is another bug), and ' +
          'anything reached only through an async function.',
        'Helpers handed to a thread: `await asyncio.to_thread(retry_get, client, url)`, ' +
          '`loop.run_in_executor(None, lambda: retry_get(client, url))`, `run_in_threadpool(...)`, ' +
          'and helpers called to compute the other arguments of such a call. ' +
          'Calling the helper inside the offload, `asyncio.to_thread(retry_get(client, url))`, is ' +
          'flagged: the helper runs on the loop and only its result reaches the thread.',
        'Helper calls inside lambdas in the async function (they run when, and where, the lambda is called).',
        'Helpers whose only I/O is itself offloaded to a thread, or whose blocking call is awaited.',
        'Sync helpers with no blocking call, including mutually recursive ones.',
        'Helpers that only build and return a lazy Django queryset (`Model.objects.filter(...)`), ' +
          'which `async for` consumes without blocking. A helper that evaluates one (`.first()`, ' +
          '`.count()`, `.update()`, also on a queryset built in variables) is flagged.',
        'Helpers memoised with `@lru_cache`/`@cache` (a settings loader reads its file once).',
        'Calls of a generator function (a plain `def` that `yield`s, in any file) whose generator ' +
          'the async function does not iterate: `return StreamingResponse(iter_file(path))` only ' +
          'builds it, and Starlette iterates a sync generator in its thread pool. Iterating it in ' +
          'the async function is flagged (`for chunk in iter_file(path):`, `list(...)`, `next(...)`, ' +
          'a list comprehension over it, a local bound to it and looped over), and so is a ' +
          'generator behind a decorator (`@contextmanager` runs the body when the `with` starts).',
        'Methods called on what a workspace function returns when that function does not hand ' +
          'back the sync Redis client it makes (`settings = cache_settings()`, a dict), on a ' +
          '`redis.asyncio` client (its commands are coroutines), and calls that only build a ' +
          'pipeline (`redis_client.pipeline()`) or hand the command to a thread.',
        'Calls the index cannot resolve to exactly one workspace function (ambiguous names, ' +
          'dynamic dispatch, methods called on objects of unknown class). Methods are followed on ' +
          '`self`, on a module-level `product_service = ProductService()` (used here or imported, ' +
          'also through a package `__init__.py`; also when made in the branches of module-level ' +
          '`if`/`try` statements and `None` otherwise, each branch a constructor call: then to ' +
          'the method of any of those classes), on a parameter annotated with a class ' +
          '(`stats: Stats = Depends(get_stats)`, `Annotated[Stats, Depends(...)]`, ' +
          '`Optional[Stats]`), on a local assigned once `stats = Stats()`, on `Stats().rows()`, ' +
          'and on an attribute of `self` whose class the class states: declared (`repo: Repo` in ' +
          'the class body, `self.repo: Repo = ...`), or assigned once in the class, directly in ' +
          '`__init__`, a constructor call (`self.repo = Repo(db)`) or an `__init__` parameter ' +
          'annotated with a class (`def __init__(self, repo: Repo): self.repo = repo`), ' +
          'to the method of that class or of its base classes in the workspace (every base and ' +
          'mixin, in method resolution order). Also on a local assigned once what a workspace ' +
          'function returns (`stats = get_stats()`) and through properties and methods ' +
          '(`self.repos.stats.rows()`), when that member names the class it returns in its ' +
          'annotation (`-> Stats`, `-> Self`) or ends its body in its one `return` of a ' +
          'constructor call or `self`, also when `__init__` keeps such a chain in an attribute of ' +
          '`self` (`self.stats = repos.stats`). A name ' +
          'assigned more than once, bound to what a function of unknown return type returns, ' +
          'bound by `with Stats() as stats`, or an unannotated parameter (`stats=Depends(...)`) is ' +
          'of unknown class, and so is an attribute of `self` assigned twice, under an `if`, ' +
          'outside `__init__`, or from an unannotated parameter.',
        'Direct blocking calls in the async function: the other rules of this family report those.',
        'App startup and shutdown hooks (`lifespan`, `@app.on_event("startup")`) and `test_*` ' +
          'functions, which run while no request is waiting.',
      ],
    },
  },
  pythonTraits(fn, calls, model) {
    const traits: string[] = [];
    if (fn.isAsync && isOutsideRequests(fn)) traits.push(OUTSIDE_REQUESTS);
    if (fn.decorators.some((decorator) => CACHE_DECORATOR.test(decorator))) traits.push(CACHED);
    if (returnsSyncRedisClient(fn, calls, model)) traits.push(RETURNS_REDIS);
    if (!fn.isAsync) traits.push(...factoryCommandTraits(calls, model));
    for (const call of calls) {
      if (!call.callee) continue; // only named calls become call sites
      const start = call.node.startIndex;
      if (call.inLambda) traits.push(`${IN_LAMBDA}${start}`);
      if (!call.outer && !call.inLambda) continue;
      const state = offloadState(call);
      if (state === 'offloaded') traits.push(`${OFFLOADED}${start}`);
      else if (state === 'misused') traits.push(`${MISUSED}${start}`);
    }
    return traits;
  },
  checkWorkspace(ctx) {
    const reaches = reachFinder(ctx);
    const locate = locator(ctx);
    for (const facts of ctx.index.allFacts()) {
      if (facts.language !== 'python') continue;
      for (const fn of facts.functions) {
        if (!fn.isAsync || fn.traits.includes(OUTSIDE_REQUESTS)) continue;
        const skipped = sitesMarked(fn, [OFFLOADED, IN_LAMBDA]);
        const misused = sitesMarked(fn, [MISUSED]);
        for (const site of fn.calls) {
          if (site.awaited || skipped.has(site.start)) continue;
          const target = ctx.index.resolve(site.targets);
          // A generator function's body runs where the generator is iterated, maybe in a thread.
          if (!target || target.fn.isAsync || !callRunsBody(site, target.fn)) continue;
          const reach = reaches(target);
          if (!reach) continue;
          const blocking = `\`${reach.effect.callee}()\` (${locate(reach.file, reach.effect.start)})`;
          const path = reach.via.length
            ? `it reaches ${blocking} through ${reach.via.map((name) => `\`${name}()\``).join(' → ')}`
            : `it calls ${blocking}`;
          const called = `\`${site.callee}()\``;
          const message = misused.has(site.start)
            ? `${called} runs on the event loop before the thread starts (pass \`${site.callee}\` itself) and blocks it: ${path}`
            : `${called} blocks the event loop: ${path}`;
          ctx.report(facts.file, { start: site.start, end: site.end, message });
        }
      }
    }
  },
};

/**
 * The `FACTORY_COMMAND` traits of a sync function: method calls that would send a Redis command,
 * on what a function that may be the workspace's returned (`r = get_redis()`; `get_redis().get(k)`),
 * when they run where they are written (not awaited, not handed to a thread). A factory that is a
 * redis-py one (`redis.from_url`) makes the call an effect already.
 */
function factoryCommandTraits(calls: readonly PyCall[], model: PythonModel): string[] {
  const traits: string[] = [];
  for (const call of calls) {
    if (!call.hasReceiver || !sendsRedisCommand(call.method, [])) continue;
    const factory = receiverFactoryCall(call, model);
    if (!factory || makesSyncRedisClient(factory.qualified)) continue;
    if (call.awaited || ((call.outer || call.inLambda) && offloadState(call) === 'offloaded'))
      continue;
    const targets = callTargets(factory, model);
    if (targets.length === 0) continue;
    traits.push(
      `${FACTORY_COMMAND}${call.start} ${call.end} ${describeCall(call).slice(0, -2)} ${targets.join(',')}`,
    );
  }
  return traits;
}

/**
 * The first Redis command a sync function sends on a client the index knows is a sync redis-py
 * one: a module-level client of another module it imports (`redis_client.get(k)` after `from
 * app.cache import redis_client`; its own module's clients are effects already), or what a
 * workspace function returning one gave it (`r = get_redis()`).
 */
function redisCommand(ctx: WorkspaceContext, fn: FunctionFacts): Effect | undefined {
  const offloaded = sitesMarked(fn, [OFFLOADED]);
  for (const site of fn.calls) {
    if (site.awaited || offloaded.has(site.start)) continue;
    const target = site.targets[0];
    const dot = target.lastIndexOf('.');
    if (dot <= 0 || !sendsRedisCommand(target.slice(dot + 1), [])) continue;
    if (ctx.index.instanceClassNames(target.slice(0, dot))?.some(isSyncRedisClass))
      return redisEffect(site.callee, site.start, site.end);
  }
  for (const trait of fn.traits) {
    if (!trait.startsWith(FACTORY_COMMAND)) continue;
    const [start, end, callee, targets] = trait.slice(FACTORY_COMMAND.length).split(' ');
    const factory = ctx.index.resolve(targets.split(','));
    if (factory?.fn.traits.includes(RETURNS_REDIS))
      return redisEffect(callee, Number(start), Number(end));
  }
  return undefined;
}

const redisEffect = (callee: string, start: number, end: number): Effect => ({
  kind: 'db',
  blocking: true,
  callee,
  start,
  end,
});

/** Start offsets of the call sites that carry one of `prefixes` as a trait. */
function sitesMarked(fn: FunctionFacts, prefixes: string[]): Set<number> {
  const starts = new Set<number>();
  for (const trait of fn.traits) {
    const prefix = prefixes.find((p) => trait.startsWith(p));
    if (prefix) starts.add(Number(trait.slice(prefix.length)));
  }
  return starts;
}

/**
 * Memoised search for the first blocking call a sync function reaches. Cycles end the search on
 * that path; a "no" found while a cycle was open is not memoised, since the open function may
 * still turn out to block through another call.
 */
function reachFinder(ctx: WorkspaceContext): (entry: IndexedFunction) => Reach | null {
  const memo = new Map<FunctionFacts, Reach | null>();
  const open = new Set<FunctionFacts>();
  let cycleHits = 0;
  const visit = (entry: IndexedFunction, depth: number): Reach | null => {
    const { fn } = entry;
    if (fn.traits.includes(CACHED)) return null;
    const known = memo.get(fn);
    if (known !== undefined) return known;
    if (open.has(fn) || depth > MAX_DEPTH) {
      cycleHits++;
      return null;
    }
    open.add(fn);
    const hitsBefore = cycleHits;
    let result: Reach | null = null;
    const direct = fn.effects.find((effect) => effect.blocking) ?? redisCommand(ctx, fn);
    if (direct) result = { effect: direct, file: entry.file, via: [] };
    else {
      const offloaded = sitesMarked(fn, [OFFLOADED]);
      for (const site of fn.calls) {
        if (site.awaited || offloaded.has(site.start)) continue;
        const target = ctx.index.resolve(site.targets);
        if (!target || target.fn.isAsync || !callRunsBody(site, target.fn)) continue;
        const inner = visit(target, depth + 1);
        if (inner) {
          result = { ...inner, via: [target.fn.name, ...inner.via] };
          break;
        }
      }
    }
    open.delete(fn);
    if (result || cycleHits === hitsBefore) memo.set(fn, result);
    return result;
  };
  return (entry) => visit(entry, 0);
}

/** `app/utils.py:12` for an offset in a workspace file, with line starts cached per file. */
function locator(ctx: WorkspaceContext): (file: string, offset: number) => string {
  const lineStarts = new Map<string, number[]>();
  return (file, offset) => {
    let starts = lineStarts.get(file);
    if (!starts) {
      starts = [0];
      const text = ctx.readText(file) ?? '';
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      lineStarts.set(file, starts);
    }
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return `${displayPath(ctx.index.get(file), file)}:${low + 1}`;
  };
}

/** The file's path from its source root (`app/utils.py`), judged by its module name. */
function displayPath(facts: FileFacts | undefined, file: string): string {
  const segments = file.split(/[\\/]/);
  const base = segments[segments.length - 1];
  if (!facts?.moduleName) return base;
  const count = facts.moduleName.split('.').length + (/^__init__\.pyi?$/.test(base) ? 1 : 0);
  return segments.slice(-count).join('/');
}
