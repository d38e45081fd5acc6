import type { FileContext, Rule } from '../../server/src/engine/rule';
import {
  declaredWithin,
  findEntry,
  handlerLabel,
  handlesRequests,
  isStartupFunction,
} from '../../server/src/typescript/call-paths';
import { clientCreation } from '../../server/src/typescript/clients';
import { ts } from '../../server/src/typescript/compiler';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import {
  semanticParent,
  accessRoot,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from '../../server/src/typescript/model';
import { WorkspaceCallers } from '../../server/src/typescript/workspace-callers';

/** Factories whose job is to create the client; their callers decide how often that happens. */
const FACTORY_NAME = /^(?:create|make|build|new|init|setup|connect|open)(?:[A-Z_]|$)/;

/** React hooks (`useGitHub`): they run on every render of the component that calls them. */
const HOOK_NAME = /^use[A-Z]/;

/** React hooks whose callback or initializer runs once per component, not per render. */
const MEMO_HOOKS = new Set(['useMemo', 'useState', 'useRef', 'useCallback']);

/** Methods that keep a value for later: a cache `Map`, Fastify `decorate`, Express `app.set`. */
const STORING_METHODS = new Set(['set', 'decorate', 'decorateRequest', 'register', 'provide']);

/**
 * Whether a value is kept beyond this call, so later calls reuse it: assigned to an outer variable,
 * `this.x` or a property of an outer object (`globalThis.prisma ??= ...`, `if (!pool) pool = ...`),
 * or handed to a cache (`pools.set(tenant, ...)`, `fastify.decorate('db', ...)`). Properties of
 * parameters and locals (`req.db = ...`, `res.locals.db = ...`) live one request and do not count.
 */
function isKept(created: ts.Node, fn: TsFunction | undefined): boolean {
  const value = outermostValue(created);
  const parent = semanticParent(value);
  if (!parent) return false;
  if (ts.isBinaryExpression(parent) && unwrap(parent.right) === value) {
    const operator = parent.operatorToken.kind;
    if (
      operator !== ts.SyntaxKind.EqualsToken &&
      operator !== ts.SyntaxKind.QuestionQuestionEqualsToken &&
      operator !== ts.SyntaxKind.BarBarEqualsToken
    )
      return false;
    return isOuterReference(accessRoot(parent.left), fn);
  }
  if (ts.isCallExpression(parent) && parent.arguments.some((arg) => unwrap(arg) === value)) {
    const callee = unwrap(parent.expression);
    if (!ts.isPropertyAccessExpression(callee) || !STORING_METHODS.has(callee.name.text))
      return false;
    return callee.name.text !== 'set' || isOuterReference(accessRoot(callee.expression), fn);
  }
  return false;
}

function isOuterReference(root: ts.Expression, fn: TsFunction | undefined): boolean {
  if (root.kind === ts.SyntaxKind.ThisKeyword) return true;
  return ts.isIdentifier(root) && !declaredWithin(fn, root.text);
}

/** The creation itself is kept, or the local it initialises is kept later in the function. */
function isStored(call: TsCall): boolean {
  if (isKept(call.node, call.fn)) return true;
  const local = localBinding(call.node);
  if (!local) return false;
  const body = (call.fn?.node as { body?: ts.Node } | undefined)?.body;
  let kept = false;
  const visit = (node: ts.Node): void => {
    if (kept) return;
    if (ts.isIdentifier(node) && node.text === local.text && node !== local)
      kept = isKept(node, call.fn);
    else ts.forEachChild(node, visit);
  };
  if (body) visit(body);
  return kept;
}

/**
 * The expression whose value may be the creation: through conditional branches and `??` / `||`
 * fallbacks, so `client = url ? new PrismaClient({ datasourceUrl: url }) : prisma` counts as
 * storing the client.
 */
function outermostValue(node: ts.Node): ts.Node {
  let value = node;
  for (;;) {
    const parent = semanticParent(value);
    if (parent && ts.isConditionalExpression(parent) && unwrap(parent.condition) !== value)
      value = parent;
    else if (
      parent &&
      ts.isBinaryExpression(parent) &&
      (parent.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
        parent.operatorToken.kind === ts.SyntaxKind.BarBarToken)
    )
      value = parent;
    else return value;
  }
}

/** The local a creation initialises or is assigned to: `const pool = new Pool()`, `pool = new Pool()`. */
function localBinding(created: ts.Node): ts.Identifier | undefined {
  const value = outermostValue(created);
  const parent = semanticParent(value);
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return parent.name;
  if (
    parent &&
    ts.isBinaryExpression(parent) &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    ts.isIdentifier(unwrap(parent.left))
  )
    return unwrap(parent.left) as ts.Identifier;
  return undefined;
}

/**
 * Whether the value at `node` ends up in the function's return value: returned as is, or inside
 * the returned expression (`return construct(instance, config)`), or through a local that is
 * (`const db = construct(instance); return db`). Followed through `depth` locals.
 */
function flowsToReturn(node: ts.Node, body: ts.Node, depth = 0): boolean {
  let current = node;
  for (let parent = current.parent; parent && parent !== body; parent = parent.parent) {
    if (ts.isReturnStatement(parent)) return true;
    if (ts.isArrowFunction(parent) && parent.body === current) return parent === body.parent;
    if (ts.isFunctionLike(parent) || ts.isStatement(parent)) return false;
    // Using the client (`prisma.post.findMany()`) returns its results, not the client.
    if (
      (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) &&
      parent.expression === current
    )
      return false;
    if (
      (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
      parent.expression === current
    )
      return false;
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
      if (depth >= 2) return false;
      const local = parent.name;
      let found = false;
      const visit = (child: ts.Node): void => {
        if (found) return;
        if (ts.isIdentifier(child) && child.text === local.text && child !== local)
          found = flowsToReturn(child, body, depth + 1);
        else ts.forEachChild(child, visit);
      };
      visit(body);
      return found;
    }
    current = parent;
  }
  return false;
}

/**
 * A factory by what it does: the client it creates is returned (`drizzle(url)` returns a database
 * built on `new pg.Pool(...)`), so its caller owns it and decides how often to call it.
 */
function returnsCreation(call: TsCall): boolean {
  const fn = call.fn?.node as (ts.SignatureDeclaration & { body?: ts.Node }) | undefined;
  if (!fn?.body || HOOK_NAME.test(call.fn!.name)) return false;
  // `shared ?? new PrismaClient()`: a fallback made on every call that lacks the shared client.
  const value = outermostValue(call.node);
  if (value !== call.node && ts.isBinaryExpression(value)) return false;
  if (ts.isArrowFunction(fn) && !ts.isBlock(fn.body)) return true;
  return flowsToReturn(call.node, fn.body);
}

/** Inside a class field initializer (`private prisma = new PrismaClient()`): once per instance. */
function inClassField(call: TsCall): boolean {
  for (let node: ts.Node | undefined = call.node.parent; node; node = node.parent) {
    if (node === call.fn?.node) return false;
    if (ts.isPropertyDeclaration(node)) return true;
  }
  return false;
}

/** Why the function around a creation runs often: per request or per call; undefined if once. */
type Frequency = { perRequest: string } | { perCall: TsFunction };

function frequency(
  model: TsModel,
  fn: TsFunction,
  reachedByHandler: (factory: TsFunction) => string | undefined,
  returnsClient: boolean,
): Frequency | undefined {
  for (let current: TsFunction | undefined = fn; current; current = current.parent) {
    if (handlesRequests(model, current)) {
      const label = handlerLabel(current);
      return { perRequest: label ? `request handler \`${label}\`` : 'a request handler' };
    }
    if (ts.isConstructorDeclaration(current.node) || isStartupFunction(model, current))
      return undefined;
    const hook = current.callbackOf;
    if (hook && !hook.isNew && MEMO_HOOKS.has(hook.callee.replace(/^React\./, '')))
      return undefined;
    if (FACTORY_NAME.test(current.name) || (current === fn && returnsClient)) {
      const handler = reachedByHandler(current);
      return handler ? { perRequest: handler } : undefined;
    }
  }
  return { perCall: fn };
}

/** The named function a per-call message should name: the innermost one with a name. */
function namedFunction(fn: TsFunction): TsFunction | undefined {
  for (let current: TsFunction | undefined = fn; current; current = current.parent)
    if (current.name) return current;
  return undefined;
}

/** A React function component: a capitalised function in a `.tsx`/`.jsx` file. */
function isComponent(ctx: FileContext, fn: TsFunction): boolean {
  return /\.[jt]sx$/.test(ctx.relativePath) && /^[A-Z][a-z]/.test(fn.name) && !fn.className;
}

/** A handler reaching a factory, in this file or (for exported ones) from another file. */
function handlerReaching(
  ctx: FileContext,
  model: TsModel,
  callers: () => WorkspaceCallers,
  factory: TsFunction,
): string | undefined {
  const local = findEntry(model, factory, {
    isEntry: (fn) => handlesRequests(model, fn),
  });
  if (local && local.entry !== factory) {
    const label = handlerLabel(local.entry);
    return label ? `request handler \`${label}\`` : 'a request handler';
  }
  if (!factory.exported || factory.parent) return undefined;
  const path = callers().handlerReaching(ctx.file, factory.start);
  if (!path) return undefined;
  const root = ctx.file.slice(0, ctx.file.length - ctx.relativePath.length);
  const file = path.chain[0].file;
  return `request handler \`${path.chain[0].fn.name}\` in ${file.startsWith(root) ? file.slice(root.length) : file}`;
}

/** Database clients, pools and HTTP clients created per request or per call. */
export const clientPerRequest: Rule = {
  meta: {
    id: 'client-per-request',
    language: 'typescript',
    category: 'connection-churn',
    severity: 'warning',
    summary:
      '`new PrismaClient()`, `new Pool()`, `new Redis()`, `axios.create()` created per request or per call',
    docs: {
      whatItDoes:
        'Finds database clients, pools and connections, and HTTP client instances, created inside a ' +
        'function that runs per request or per call: `new PrismaClient()`, `new Redis()`/`new IORedis()` ' +
        '(ioredis), `createClient()` from `redis`, `new Pool()`/`new Client()` from `pg`, ' +
        '`mysql.createPool()`/`createConnection()` (mysql, mysql2), `new MongoClient()` and ' +
        '`MongoClient.connect()`, `knex({...})`, `postgres(url)`, `new Sequelize()`, ' +
        "TypeORM's `new DataSource()` and `createConnection()`, " +
        '`mongoose.createConnection()` and `axios.create()`. Factories (`createDbClient()`) are flagged ' +
        'only when a request handler calls them, in the same file or (through the workspace index) ' +
        'another one.',
      whyIsThisBad:
        'A client is meant to live as long as the process. Creating one per call pays TCP, TLS and ' +
        'authentication again every time (tens of milliseconds to a remote database), and every ' +
        '`PrismaClient` or `Pool` opens its own pool of connections: under load the database runs ' +
        'out of connection slots (`too many clients already`) long before it runs out of CPU. Even ' +
        '`new Client()` followed by `await client.end()` costs a full connection setup per request.',
      example: [
        "app.get('/users/:id', async (req, res) => {",
        '  const prisma = new PrismaClient();',
        '  const user = await prisma.user.findUnique({ where: { id: req.params.id } });',
        '  res.json(user);',
        '});',
      ].join('\n'),
      useInstead: [
        '// lib/prisma.ts: one client per process, reused across hot reloads in development',
        'const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };',
        'export const prisma = globalForPrisma.prisma ?? new PrismaClient();',
        "if (process.env.NODE_ENV !== 'production') globalForPrisma.prisma = prisma;",
        '',
        "app.get('/users/:id', async (req, res) => {",
        '  res.json(await prisma.user.findUnique({ where: { id: req.params.id } }));',
        '});',
      ].join('\n'),
      notFlagged: [
        'Clients created at module top level or in a class field.',
        'Singletons and memoised clients: the client is assigned to an outer variable, `this.x` or a ' +
          'property of an outer object (`globalThis.prisma ??= new PrismaClient()`, ' +
          '`if (!pool) pool = new Pool()`, `return (cached ??= createClient())`), or kept in a cache or ' +
          'registry (`pools.set(tenantId, pool)`, `fastify.decorate("db", pool)`). Assigning it to ' +
          '`req`, `res.locals` or another parameter does not count: those live one request.',
        'Class constructors (NestJS providers are singletons), `onModuleInit`, and startup code: ' +
          '`main()`, `bootstrap()`, top-level IIFEs, `app.listen` callbacks, `fastify.register` and ' +
          '`fp(...)` plugin callbacks, and functions the file only calls from its top level or startup code.',
        'Factories (`createPool()`, `makeClient()`, `buildServer()`, `connectDb()`), and functions that ' +
          'return the client they create (`drizzle(url)` returning a database over `new Pool()`), when no ' +
          'request handler reaches them: they create the client once for whoever calls them at startup.',
        'React `useMemo`/`useState`/`useRef` initialisers, which run once per component.',
        'Tests and scripts (`*.test.ts`, `__tests__/`, `scripts/`, `bin/`, files starting with `#!`).',
        'Calls not known to create a client: the module must be imported (`pg`, `ioredis`, `redis`, ' +
          '`mysql2`, `mongodb`, `knex`, `axios`, ...); `createClient` from other packages (Supabase, ' +
          'which is meant to be created per request with the user’s cookies) is left alone.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath) || model.text.startsWith('#!')) return;
    let callers: WorkspaceCallers | undefined;
    const workspaceCallers = (): WorkspaceCallers => (callers ??= new WorkspaceCallers(ctx.index));
    for (const call of model.calls) {
      if (!call.fn) continue;
      const creation = clientCreation(model, call);
      if (!creation || isStored(call) || inClassField(call)) continue;
      const often = frequency(
        model,
        call.fn,
        (factory) => handlerReaching(ctx, model, workspaceCallers, factory),
        returnsCreation(call),
      );
      if (!often) continue;
      const fn = 'perCall' in often ? namedFunction(often.perCall) : undefined;
      const when =
        'perRequest' in often
          ? `runs on every request (${often.perRequest})`
          : fn && isComponent(ctx, fn)
            ? `runs on every render of \`${fn.name}\``
            : fn
              ? `runs on every call of \`${fn.name}()\``
              : 'runs on every call of the function around it';
      ctx.report({
        start: call.start,
        end: call.end,
        message:
          `\`${creation.label}\` ${when} and ${creation.cost} each time; ` +
          'create it once at module level (or in a singleton) and reuse it',
      });
    }
  },
};
