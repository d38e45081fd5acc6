import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule, WorkspaceContext } from '../../server/src/engine/rule';
import {
  CONNECTORS,
  HTTP_CLIENTS,
  keepsCreation,
  runsOncePerProcess,
  servesBatch,
  sharesPool,
} from '../../server/src/python/clients';
import { isRouteHandler } from '../../server/src/python/knowledge';
import { OwnedCache } from '../../server/src/python/memo';
import {
  dottedName,
  qualify,
  type PyCall,
  type PyFunction,
  type PythonModel,
} from '../../server/src/python/model';
import { isGenerator, returnedCalls } from '../../server/src/python/returned-calls';
import {
  isTestModuleName,
  isTestPath,
  keywordArgument,
  positionalArguments,
} from '../../server/src/python/scope-analysis';
import type { FunctionFacts } from '../../server/src/workspace/facts';
import type { IndexedFunction, WorkspaceIndex } from '../../server/src/workspace/index';

/*
 * Traits this rule records on functions (`FunctionFacts.traits`), for its cross-file check:
 * - `returns-new-client:<connector> <callee as written>`: a factory returns what a connector call
 *   creates (`def make_engine(url): return create_engine(url)`);
 * - `returns-call-result:<offset>`: a factory returns the result of the call site at `offset`
 *   (`return make_engine(URL)`), followed through the index to a factory further down;
 * - `runs-once-per-process`: the function is setup code, a cache, a startup hook or a test;
 * - `keeps-call-result:<offset>`: the call site's result outlives the call (a lazy singleton), or
 *   it runs inside a lambda;
 * - `call-serves-batch:<offset>`: the call site opens a `with` block that loops over requests.
 * And on files (`FileFacts.traits`):
 * - `depends-on:<start> <end> <qualified name> <marker> <name>`: FastAPI calls the function on
 *   every request (`Depends(make_client)`).
 */
const RETURNS_CLIENT = 'returns-new-client:';
const RETURNS_CALL = 'returns-call-result:';
const RUNS_ONCE = 'runs-once-per-process';
const KEEPS_RESULT = 'keeps-call-result:';
const SERVES_BATCH = 'call-serves-batch:';
const DEPENDS_ON = 'depends-on:';

/**
 * Whether what `fn` returns goes to callers the index sees: a top-level, undecorated function
 * that is not a generator. A decorator may register a function with a framework (`@celery.task`)
 * that calls it at times no call site shows; methods are called through objects
 * (`service.client()`) the index cannot follow.
 */
function isFactoryShaped(fn: PyFunction, model: PythonModel): boolean {
  return (
    !fn.parent &&
    fn.className === undefined &&
    fn.decorators.length === 0 &&
    !isGenerator(fn, model)
  );
}

/** FastAPI's dependency markers: `Depends(get_client)` calls `get_client` on every request. */
const DEPENDENCY_MARKERS = new Set([
  'fastapi.Depends',
  'fastapi.Security',
  'fastapi.params.Depends',
  'fastapi.params.Security',
]);

/** The function a `Depends(...)` marker calls, as written: its first argument or `dependency=`. */
function dependencyOf(call: PyCall): Node | undefined {
  const value = keywordArgument(call, 'dependency') ?? positionalArguments(call)[0];
  return value?.type === 'identifier' || value?.type === 'attribute' ? value : undefined;
}

/** A `Depends(...)` marker call and the function it calls, as written. */
interface DependencyUse {
  call: PyCall;
  dependency: Node;
}

const dependencyUsesCache = new OwnedCache<PythonModel, readonly DependencyUse[]>(
  'dependency uses',
);
const dependencyNodesCache = new OwnedCache<PythonModel, ReadonlySet<number>>('dependency nodes');

/** The file's `Depends(...)` markers with what each calls, in source order, found once per file. */
function dependencyUses(model: PythonModel): readonly DependencyUse[] {
  let uses = dependencyUsesCache.get(model);
  if (!uses) {
    const found: DependencyUse[] = [];
    for (const call of model.calls) {
      const dependency = DEPENDENCY_MARKERS.has(call.qualified) && dependencyOf(call);
      if (dependency) found.push({ call, dependency });
    }
    dependencyUsesCache.set(model, (uses = found));
  }
  return uses;
}

/** The nodes (by id) of the functions the file hands to `Depends(...)`. */
function dependencyNodes(model: PythonModel): ReadonlySet<number> {
  let nodes = dependencyNodesCache.get(model);
  if (!nodes) {
    nodes = new Set(dependencyUses(model).map(({ dependency }) => dependency.id));
    dependencyNodesCache.set(model, nodes);
  }
  return nodes;
}

const valueUsesCache = new OwnedCache<PythonModel, ReadonlySet<string>>('names used as values');

/**
 * The factories of the file whose name it uses other than by calling it, defining it, importing
 * it or handing it to `Depends(...)`: handed to a scheduler or kept in a dict of callbacks, they
 * may run at times no call site shows. One regex of the candidates' names finds them in the text
 * (a scan per name cost seconds on a generated module of thousands of functions); only
 * occurrences that are neither a call nor the definition are looked up in the tree.
 */
function namesUsedAsValues(model: PythonModel): ReadonlySet<string> {
  const known = valueUsesCache.get(model);
  if (known) return known;
  const used = new Set<string>();
  valueUsesCache.set(model, used);
  const definitions = new Map<string, number>();
  for (const fn of model.functions) {
    if (!isFactoryShaped(fn, model)) continue;
    const returned = [...returnedCalls(fn, model)];
    if (returned.some((call) => CONNECTORS.has(call.qualified) || mayCallFactory(call, model)))
      definitions.set(fn.name, fn.nameStart);
  }
  if (definitions.size === 0) return used;
  const { source } = model;
  const names = new RegExp(`(?<![\\w.])(?:${[...definitions.keys()].join('|')})(?!\\w)`, 'g');
  for (const match of source.matchAll(names)) {
    const name = match[0];
    const at = match.index;
    if (used.has(name) || definitions.get(name) === at) continue;
    let next = at + name.length;
    while (source[next] === ' ' || source[next] === '\t') next++;
    if (source[next] === '(') continue;
    const node = model.tree.rootNode.descendantForIndex(at, at + name.length);
    // ASCII word boundaries: the tree tells whether a non-ASCII neighbour is part of the name.
    if (node?.startIndex === at && node.text === name && isValueUse(node, model)) used.add(name);
  }
  return used;
}

/** Whether a name's occurrence reads it as a value (not in a comment, string or import). */
function isValueUse(node: Node | null, model: PythonModel): boolean {
  if (node?.type !== 'identifier') return false;
  const parent = node.parent;
  // `from x import make_engine as _make_engine` names another module's function.
  if (parent?.type === 'dotted_name') return false;
  if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id)
    return false;
  return !dependencyNodes(model).has(node.id);
}

/**
 * The calls whose result a factory hands to its callers: what it returns and does not keep
 * (`global _engine; _engine = create_engine(url); return _engine` is a singleton). Their cost is
 * judged at the factory's call sites. None when its callers cannot all be seen: the function runs
 * once anyway, or the file uses its name as a value.
 */
function handedBack(fn: PyFunction, model: PythonModel): PyCall[] {
  if (!isFactoryShaped(fn, model) || runsOncePerProcess(fn, model)) return [];
  const calls = [...returnedCalls(fn, model)].filter(
    (call) => !call.inLambda && !keepsCreation(call, fn, model),
  );
  return calls.length === 0 || namesUsedAsValues(model).has(fn.name) ? [] : calls;
}

const topLevelFunctionsCache = new OwnedCache<PythonModel, ReadonlyMap<string, PyFunction>>(
  'top-level functions',
);

/** The file's top-level functions (not methods) by name, the first of a name winning. */
function topLevelFunctions(model: PythonModel): ReadonlyMap<string, PyFunction> {
  let functions = topLevelFunctionsCache.get(model);
  if (!functions) {
    const byName = new Map<string, PyFunction>();
    for (const fn of model.functions)
      if (!fn.parent && !fn.className && !byName.has(fn.name)) byName.set(fn.name, fn);
    topLevelFunctionsCache.set(model, (functions = byName));
  }
  return functions;
}

/**
 * Whether a call may call a factory of the workspace: factories are top-level functions, so the
 * callee is imported (`make_engine`, `db.make_engine`) or a top-level function of this file. Not
 * methods (`self.client()`), builtins, locals or connectors.
 */
function mayCallFactory(call: PyCall, model: PythonModel): boolean {
  const callee = call.callee;
  if (!callee || CONNECTORS.has(call.qualified)) return false;
  const dot = callee.indexOf('.');
  if (model.imports.has(dot === -1 ? callee : callee.slice(0, dot))) return true;
  if (dot !== -1) return false;
  return topLevelFunctions(model).has(callee);
}

/** The traits `connection-per-call` records on a function (see the constants above). */
function clientTraits(fn: PyFunction, calls: readonly PyCall[], model: PythonModel): string[] {
  // Every trait is about a call that creates a client or may call a factory: most functions make
  // none, and the checks below (what runs once, what is handed back) read the function's body.
  const creates = (call: PyCall): boolean =>
    CONNECTORS.has(call.qualified) || mayCallFactory(call, model);
  if (!calls.some(creates)) return [];
  if (runsOncePerProcess(fn, model)) return [RUNS_ONCE];
  const traits: string[] = [];
  const handed = handedBack(fn, model);
  for (const call of handed) {
    if (CONNECTORS.has(call.qualified)) {
      if (!sharesPool(call, model))
        traits.push(`${RETURNS_CLIENT}${call.qualified} ${call.callee || call.qualified}`);
    } else if (mayCallFactory(call, model)) traits.push(`${RETURNS_CALL}${call.start}`);
  }
  const routeHandler = isRouteHandler(fn);
  for (const call of calls) {
    if (handed.includes(call) || !mayCallFactory(call, model)) continue;
    if (call.inLambda || keepsCreation(call, fn, model))
      traits.push(`${KEEPS_RESULT}${call.start}`);
    else if (!routeHandler && servesBatch(call, model)) traits.push(`${SERVES_BATCH}${call.start}`);
  }
  return traits;
}

/**
 * The module traits `connection-per-call` records: one `depends-on:` per `Depends(...)` of the
 * file (in parameter defaults and annotations, module-level `Annotated` aliases and any other
 * code), with the range of the dependency as written, its qualified name, the marker and the name.
 * A function of this file is recorded only when it hands a call's result back.
 */
function dependencyTraits(model: PythonModel): string[] {
  const traits: string[] = [];
  for (const { call, dependency } of dependencyUses(model)) {
    const name = dottedName(dependency);
    const qualified = qualify(name, model.imports);
    let target = qualified;
    if (qualified === name) {
      // Not imported: a function of this file (`obj.method` on an object is not followed).
      const local = topLevelFunctions(model).get(name);
      if (!local || handedBack(local, model).length === 0) continue;
      if (model.moduleName) target = `${model.moduleName}.${name}`;
    }
    traits.push(
      `${DEPENDS_ON}${dependency.startIndex} ${dependency.endIndex} ${target} ${call.callee} ${name}`,
    );
  }
  return traits;
}

/** A connector, called directly or returned by a workspace factory the call reaches. */
interface Creation {
  /** The connector's qualified name: a key of `CONNECTORS`. */
  connector: string;
  /** The factory that calls the connector and returns what it creates, and the call as written there. */
  factory?: { at: IndexedFunction; callee: string };
  /** How many factories lie between the function called and that factory (0: it is the one). */
  steps: number;
}

/** What workspace functions return that connectors created, read from their traits. */
class Factories {
  private readonly memo = new Map<FunctionFacts, Creation | null>();

  constructor(private readonly index: WorkspaceIndex) {}

  /** What `target` returns that a connector created, through factories of factories. */
  creationOf(target: IndexedFunction | undefined): Creation | undefined {
    if (!target) return undefined;
    const known = this.memo.get(target.fn);
    if (known !== undefined) return known ?? undefined;
    // Marked first: a cycle of factories returns nothing a connector made.
    this.memo.set(target.fn, null);
    const found = this.find(target);
    this.memo.set(target.fn, found ?? null);
    return found;
  }

  private find(target: IndexedFunction): Creation | undefined {
    const { traits } = target.fn;
    for (const trait of traits) {
      if (!trait.startsWith(RETURNS_CLIENT)) continue;
      const [connector, callee] = trait.slice(RETURNS_CLIENT.length).split(' ');
      if (CONNECTORS.has(connector))
        return { connector, factory: { at: target, callee }, steps: 0 };
    }
    for (const trait of traits) {
      if (!trait.startsWith(RETURNS_CALL)) continue;
      const start = Number(trait.slice(RETURNS_CALL.length));
      const site = target.fn.calls.find((candidate) => candidate.start === start);
      const found = site && this.creationOf(this.index.resolve(site.targets));
      if (found) return { ...found, steps: found.steps + 1 };
    }
    return undefined;
  }
}

/**
 * What a factory call creates, as written where it is created: ` (\`httpx.AsyncClient()\`)` when
 * the called function creates it, ` (\`create_engine()\` in \`app.db.make_engine\`)` when a
 * factory further down does (named in full when it is in another file than `file`).
 */
function createdWhere(creation: Creation, file: string): string {
  const factory = creation.factory;
  if (!factory) return '';
  if (creation.steps === 0) return ` (\`${factory.callee}()\`)`;
  const { fn } = factory.at;
  const label = factory.at.file === file ? fn.name : fn.qualifiedName;
  return ` (\`${factory.callee}()\` in \`${label}\`)`;
}

const ADVICE = 'create it once (module level or app lifespan) and reuse it';

/**
 * Whether a private method hands what it creates only to construction code of its class: it
 * returns the client, and every call of it in the file (`self._make_engine()`) runs once
 * (`__init__`, a startup method) or keeps the result (`self.engine = self._make_engine()`). As
 * for a client created in `__init__` directly, the class is taken to be built once (a service
 * made at startup), which the analysis does not check. A call may also sit in another such method
 * that returns its result (`def _make_with_retry(self): return self._make_engine()`). A public
 * method, or one the file also uses as a value (`on_reset=self._make_engine`), may be called per
 * request from elsewhere.
 */
function buildsOnlyForItsClass(
  fn: PyFunction,
  call: PyCall,
  model: PythonModel,
  depth = 0,
): boolean {
  const { className, name } = fn;
  if (!className || fn.parent || !name.startsWith('_') || name.startsWith('__')) return false;
  if (!returnedCalls(fn, model).has(call)) return false;
  if (new RegExp(`\\.${name}\\b(?!\\s*\\()`).test(model.source)) return false;
  let sites = 0;
  for (const site of model.calls) {
    if (site.callee !== `self.${name}` && site.callee !== `cls.${name}`) continue;
    const caller = site.fn;
    if (caller?.className !== className) return false;
    const once =
      runsOncePerProcess(caller, model) ||
      keepsCreation(site, caller, model) ||
      (depth < 3 && buildsOnlyForItsClass(caller, site, model, depth + 1));
    if (!once) return false;
    sites++;
  }
  return sites > 0;
}

/** A connector called in a function that runs per call, and that the function does not hand back. */
function checkConnector(ctx: FileContext, model: PythonModel, call: PyCall): void {
  const fn = call.fn;
  if (!fn || call.inLambda || sharesPool(call, model)) return;
  if (runsOncePerProcess(fn, model) || keepsCreation(call, fn, model)) return;
  if (HTTP_CLIENTS.has(call.qualified) && !isRouteHandler(fn) && servesBatch(call, model)) return;
  // A factory hands what it creates to its callers: the cross-file check judges their call sites.
  if (handedBack(fn, model).includes(call) || buildsOnlyForItsClass(fn, call, model)) return;
  const callee = call.callee || call.qualified;
  ctx.report({
    start: call.start,
    end: call.end,
    message: `\`${callee}()\` creates a new ${CONNECTORS.get(call.qualified)} on every call of \`${fn.name}\`; ${ADVICE}`,
  });
}

/** Offsets of the call sites of `fn` that carry a trait starting with `prefix`. */
function sitesMarked(fn: FunctionFacts, prefix: string): Set<number> {
  const sites = new Set<number>();
  for (const trait of fn.traits)
    if (trait.startsWith(prefix)) sites.add(Number(trait.slice(prefix.length)));
  return sites;
}

/**
 * Calls of workspace factories that run on every call of their function: in another file than
 * the factory, or in the same one.
 */
function checkFactoryCalls(ctx: WorkspaceContext): void {
  const factories = new Factories(ctx.index);
  // Names of the factories, to resolve only the call sites that may call one.
  const names = new Set<string>();
  for (const facts of ctx.index.allFacts()) {
    if (facts.language !== 'python') continue;
    for (const fn of facts.functions) {
      const candidate = fn.traits.some(
        (trait) => trait.startsWith(RETURNS_CLIENT) || trait.startsWith(RETURNS_CALL),
      );
      if (candidate && factories.creationOf({ file: facts.file, fn })) names.add(fn.name);
    }
  }
  if (names.size === 0) return;
  const lastName = (target: string): string => target.slice(target.lastIndexOf('.') + 1);
  for (const facts of ctx.index.allFacts()) {
    if (facts.language !== 'python' || isTestModuleName(facts.moduleName)) continue;
    for (const trait of facts.traits ?? []) {
      if (!trait.startsWith(DEPENDS_ON)) continue;
      const [start, end, target, marker, name] = trait.slice(DEPENDS_ON.length).split(' ');
      if (!names.has(lastName(target))) continue;
      const creation = factories.creationOf(ctx.index.resolve([target]));
      if (!creation) continue;
      ctx.report(facts.file, {
        start: Number(start),
        end: Number(end),
        message:
          `\`${marker}(${name})\` calls \`${name}()\` on every request, and each call creates a new ` +
          `${CONNECTORS.get(creation.connector)}${createdWhere(creation, facts.file)}; create the ` +
          'client once (module level or app lifespan) and have the dependency return it',
      });
    }
    for (const fn of facts.functions) {
      if (fn.traits.includes(RUNS_ONCE)) continue;
      let kept: Set<number> | undefined;
      let servingBatch: Set<number> | undefined;
      for (const site of fn.calls) {
        // By the name the target has where it is defined (`from x import make as m`: `x.make`).
        if (!site.targets.some((target) => names.has(lastName(target)))) continue;
        kept ??= new Set([...sitesMarked(fn, KEEPS_RESULT), ...sitesMarked(fn, RETURNS_CALL)]);
        if (kept.has(site.start)) continue;
        const creation = factories.creationOf(ctx.index.resolve(site.targets));
        if (!creation) continue;
        if (HTTP_CLIENTS.has(creation.connector)) {
          servingBatch ??= sitesMarked(fn, SERVES_BATCH);
          if (servingBatch.has(site.start)) continue;
        }
        ctx.report(facts.file, {
          start: site.start,
          end: site.end,
          message:
            `\`${site.callee}()\` creates a new ${CONNECTORS.get(creation.connector)}` +
            `${createdWhere(creation, facts.file)} on every call of \`${fn.name}\`; ${ADVICE}`,
        });
      }
    }
  }
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
        'runs once per call or request, rather than once per process. A factory that returns the client it ' +
        'creates (`def make_engine(url): return create_engine(url)`) is judged where it is called, in any file ' +
        'of the workspace: a call in a function that runs per call or request is flagged there, and so is ' +
        '`Depends(make_client)`, which calls the factory on every request.',
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
        'Factories: top-level, undecorated functions that return the client they create, directly, through a ' +
          'local or in a tuple (`engine = create_async_engine(url); return engine, async_sessionmaker(engine)`), ' +
          'or return what another factory returns. Their calls at module level, in startup code, in functions ' +
          'that run once or kept as singletons (`self.engine = make_engine(url)`) run once; a factory no code in ' +
          "the workspace calls (a library's) is not flagged. A factory the file also uses as a value (a dict of " +
          'callbacks, a scheduler job) is judged where it creates the client, as are generators (dependencies ' +
          'that `yield`), decorated functions and methods.',
        'Private methods that return the client they create (`def _make_engine(self): return create_engine(...)`) ' +
          'when every call of them in the file runs once or keeps the result: `self.engine = self._make_engine()` ' +
          'in `__init__`, a startup method or a `reload_engine()` that assigns it to `self`. Like a client ' +
          'created in `__init__` directly, this takes the class to be built once (a service made at startup). ' +
          'Public methods, and methods the file also uses as values, may be called per request from elsewhere ' +
          'and are flagged.',
        'Clients over a shared pool or transport: `redis.Redis(connection_pool=pool)` and ' +
          '`httpx.AsyncClient(transport=transport)` where the pool or transport is a module-level, imported or ' +
          '`global` name, a parameter or an attribute (`self.pool`): they open no connection and build no pool. ' +
          'A pool or transport built in the same function (`connection_pool=redis.ConnectionPool(...)`) is ' +
          'flagged.',
        'Lambdas, and calls whose module cannot be resolved through the imports (a local `connect()` helper).',
        'Flask-style per-request caching (`if "db" not in g: g.db = sqlite3.connect(...)`) is flagged: it still ' +
          'connects once per request.',
      ],
    },
  },
  pythonTraits: clientTraits,
  pythonModuleTraits: dependencyTraits,
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    for (const call of model.calls)
      if (CONNECTORS.has(call.qualified)) checkConnector(ctx, model, call);
  },
  checkWorkspace: checkFactoryCalls,
};
