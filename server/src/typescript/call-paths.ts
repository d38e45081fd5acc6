/**
 * How a function is reached within its file: from a request handler (so it runs per request),
 * or only at startup (module top level, `main()`, `app.listen` callbacks, plugin registration).
 * Rules that flag costs paid per request ask here instead of each walking callers themselves.
 */
import { ts } from './compiler';
import { exportedThroughObjectOrList, exportsInstanceOf } from './module-exports';
import { stringPropertyValue } from './object-literals';
import { isWrappedExport } from './wrapped-exports';
import {
  HTTP_METHOD_REGISTRATIONS,
  isProcedureResolverCall,
  isRequestHandler,
  isRouteRegistration,
  openApiRouteLabel,
  wrappedNextHandlerName,
  wrappingProcedure,
} from './knowledge';
import {
  accessRoot,
  hasModifier,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from './model';

/**
 * Names of functions that run once: entry points, Nest lifecycle hooks, and Next.js functions that
 * run at build time (`getStaticProps`, `generateStaticParams`).
 */
const STARTUP_NAMES =
  /^(?:main|bootstrap|(?:re)?start|(?:re)?startServer|startApp|init|initialize|setup|onModuleInit|onApplicationBootstrap|getStaticProps|getStaticPaths|generateStaticParams)$/;

/**
 * Config loaders (`loadConfig`, `resolveConfig`, `loadDotenv`, `findConfigFile`), and tools'
 * loaders of their formatters and plugins (`loadFormatter`, `loadPlugins`, `resolvePreset`): by
 * convention they run while the process starts, and reading files synchronously there is the norm.
 */
const CONFIG_LOADER =
  /^(?:load|read|resolve|find)\w*(?:Config|Configuration|Dotenv|Env|Settings|Formatters?|Plugins?|Presets?)(?:[A-Z]\w*)?$/;

/** Calls whose callback runs once when the server starts or registers its routes and plugins. */
const STARTUP_CALLBACK_METHODS = new Set(['listen', 'register', 'ready', 'after']);

/** Fastify plugin wrappers: the function they wrap runs once, at registration. */
const PLUGIN_WRAPPERS = new Set(['fp', 'fastifyPlugin']);

/** Calls in the file that call `fn` by name: `load()`, or `this.load()` inside its class. */
export function callersInFile(model: TsModel, fn: TsFunction): TsCall[] {
  if (!fn.name || fn.name === 'default') return [];
  return model.calls.filter((call) => {
    if (call.isNew || call.isTaggedTemplate) return false;
    if (fn.className !== undefined)
      return call.callee === `this.${fn.name}` && enclosingClass(call.fn) === fn.className;
    return call.callee === fn.name;
  });
}

function enclosingClass(fn: TsFunction | undefined): string | undefined {
  for (let current = fn; current; current = current.parent)
    if (current.className !== undefined) return current.className;
  return undefined;
}

/**
 * A function passed by name to a route registration (`router.get('/users', auth, listUsers)`) or
 * given as a route's `handler: listUsers` option.
 */
export function isRegisteredAsHandler(model: TsModel, fn: TsFunction): boolean {
  if (!fn.name || fn.parent) return false;
  const names = (node: ts.Expression): boolean => {
    const inner = unwrap(node);
    return ts.isIdentifier(inner) && inner.text === fn.name;
  };
  return model.calls.some((call) => {
    if (!isRouteRegistration(call) && !(call.name === 'route' && call.receiverText)) return false;
    return call.args.some((arg) => {
      if (names(arg)) return true;
      const options = unwrap(arg);
      return (
        ts.isObjectLiteralExpression(options) &&
        options.properties.some(
          (property) =>
            ts.isPropertyAssignment(property) &&
            ts.isIdentifier(property.name) &&
            property.name.text === 'handler' &&
            names(property.initializer),
        )
      );
    });
  });
}

/** A request handler by its own shape or by being registered by name on a route. */
export function handlesRequests(model: TsModel, fn: TsFunction): boolean {
  return isRequestHandler(model, fn) || isRegisteredAsHandler(model, fn);
}

/**
 * What a request handler is called in messages: its route for handlers registered on a path
 * (`GET /users`, also Fastify `route({ method, url, handler })`), the procedure name of a tRPC
 * procedure, else its own name, or the Next.js handler export a wrapper makes of it (`GET` of
 * `export const GET = withAuth(async (req) => ...)`); undefined for anonymous handlers none of these name.
 */
export function handlerLabel(fn: TsFunction): string | undefined {
  const registration = fn.callbackOf;
  // Any `<x>.get('/path', ...)`: a handler known by its parameters may be on a router named freely.
  if (registration && !registration.isNew && HTTP_METHOD_REGISTRATIONS.has(registration.name)) {
    const [path] = registration.args;
    if (path && ts.isStringLiteralLike(path) && path.text.startsWith('/'))
      return `${registration.name.toUpperCase()} ${path.text}`;
  }
  // `app.openapi(listRoute, ...)`: the method and path of the route, or its name.
  if (registration && !registration.isNew && registration.name === 'openapi') {
    const label = openApiRouteLabel(registration);
    if (label) return label;
  }
  const parent = semanticParent(fn.node);
  if (fn.name === 'handler' && parent?.parent && ts.isObjectLiteralExpression(parent.parent)) {
    // Fastify's `route({ method, url, handler })`, read under plain keys only.
    const route = parent.parent;
    const plain = { identifierKeysOnly: true };
    const method = stringPropertyValue(route, 'method', plain);
    const url =
      stringPropertyValue(route, 'url', plain) ?? stringPropertyValue(route, 'path', plain);
    if (method && url) return `${method.toUpperCase()} ${url}`;
  }
  if (registration && isProcedureResolverCall(registration)) {
    const key = procedureKey(registration);
    if (key) return key;
  }
  // `getAll: publicProcedure.query(withAudit(async () => ...))`: named like the procedure.
  const procedure = registration && !registration.isNew && wrappingProcedure(registration.node);
  if (procedure) {
    const key = procedureKeyAt(procedure);
    if (key) return key;
  }
  return fn.name || wrappedNextHandlerName(fn);
}

/**
 * The name a tRPC procedure is written under: the router key (`getAll` of `getAll:
 * publicProcedure.query(...)`), or the variable holding it (`export const listByProject =
 * t.procedure.input(schema).query(...)`, merged into a router elsewhere).
 */
export function procedureKey(call: TsCall): string | undefined {
  return procedureKeyAt(call.node);
}

function procedureKeyAt(procedure: ts.Node): string | undefined {
  for (let node: ts.Node | undefined = procedure; node; node = node.parent) {
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) return node.name.text;
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name)) return node.name.text;
    if (ts.isFunctionLike(node)) break;
  }
  return undefined;
}

/** `(async () => { ... })()`: a function expression called where it is written. */
function isImmediatelyInvoked(fn: TsFunction): boolean {
  const parent = semanticParent(fn.node);
  return !!parent && ts.isCallExpression(parent) && unwrap(parent.expression) === fn.node;
}

/**
 * Whether `fn` runs once while the process starts, not per request: named like an entry point
 * (`main`, `bootstrap`, `onModuleInit`), a top-level IIFE, an `app.listen`/`fastify.register`/
 * `fp(...)` callback, or a function the file only calls from its top level or startup code, or
 * only through a memo (`ready ??= loadAll()`).
 */
export function isStartupFunction(
  model: TsModel,
  fn: TsFunction,
  visiting = new Set<TsFunction>(),
): boolean {
  if (STARTUP_NAMES.test(fn.name) || CONFIG_LOADER.test(fn.name)) return true;
  if (visiting.has(fn)) return false;
  visiting.add(fn);
  if (isImmediatelyInvoked(fn)) return !fn.parent || isStartupFunction(model, fn.parent, visiting);
  const callback = fn.callbackOf;
  if (callback && !callback.isNew) {
    if (STARTUP_CALLBACK_METHODS.has(callback.name) && callback.receiverText) return true;
    if (PLUGIN_WRAPPERS.has(callback.callee)) return true;
    if (callback.callee === 'process.on' || callback.callee === 'process.once') return true;
  }
  if (fn.parent) return false;
  // Called only from the top level or from startup code, or only through a memo (`x ??= fn()`).
  const callers = callersInFile(model, fn);
  return (
    callers.length > 0 &&
    callers.every((call) => !call.fn || isMemoised(call) || runsAtStartup(model, call.fn, visiting))
  );
}

/**
 * `cached ??= fs.readFileSync(...)`, `ready ??= loadAll()`, `if (!cached) cached = load()`: the
 * result is kept in an outer variable or property, so the call happens once, not per call of the
 * function around it.
 */
export function isMemoised(call: TsCall): boolean {
  const { value, parent } = resultOf(call);
  if (isKeyedCacheFill(call, value, parent)) return true;
  if (!parent || !ts.isBinaryExpression(parent) || unwrap(parent.right) !== value) return false;
  const operator = parent.operatorToken.kind;
  const assigns =
    operator === ts.SyntaxKind.EqualsToken ||
    operator === ts.SyntaxKind.QuestionQuestionEqualsToken ||
    operator === ts.SyntaxKind.BarBarEqualsToken;
  if (!assigns) return false;
  // Kept beyond the call: an outer variable, `this.x`, or a property of an outer object (not of
  // `req`, `res.locals` or another parameter or local, which live one request).
  const root = accessRoot(parent.left);
  if (root.kind === ts.SyntaxKind.ThisKeyword) return true;
  return ts.isIdentifier(root) && !declaredWithin(call.fn, root.text);
}

/**
 * The expression holding a call's result, through wrappers of it (`JSON.parse(readFileSync(p))`,
 * `readFileSync(p).toString()`), and what takes that expression.
 */
function resultOf(call: TsCall): { value: ts.Node; parent: ts.Node | undefined } {
  let value: ts.Node = call.node;
  let parent = semanticParent(value);
  while (
    parent &&
    ((ts.isCallExpression(parent) && parent.arguments.some((arg) => unwrap(arg) === value)) ||
      (ts.isPropertyAccessExpression(parent) && parent.expression === value) ||
      (ts.isCallExpression(parent) && parent.expression === value))
  ) {
    // `cache.set(key, value)` keeps the value: it is where the result goes, not a wrapper.
    if (ts.isCallExpression(parent) && isMapSet(parent)) break;
    value = parent;
    parent = semanticParent(value);
  }
  return { value, parent };
}

/** `<map>.set(key, value)`. */
function isMapSet(node: ts.CallExpression): boolean {
  return (
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === 'set' &&
    node.arguments.length === 2
  );
}

/** Whether `cache` (a map or object, by its text) outlives a call of `fn`: module level or `this`. */
function outlives(fn: TsFunction | undefined, cache: ts.Expression): boolean {
  const root = accessRoot(cache);
  if (root.kind === ts.SyntaxKind.ThisKeyword) return true;
  return ts.isIdentifier(root) && !declaredWithin(fn, root.text);
}

/**
 * A keyed cache filled on a miss: `if (!cache.has(k)) cache.set(k, readFileSync(...))`, or
 * `let t = cache.get(k); if (t === undefined) { t = readFileSync(...); cache.set(k, t); }` for a
 * map (or `cache[k] = t` for an object) that outlives the call. The read happens once per key,
 * not once per call. The miss must be tested: an `if` around the call names the cache or the local.
 */
function isKeyedCacheFill(call: TsCall, value: ts.Node, parent: ts.Node | undefined): boolean {
  if (!parent || !call.fn) return false;
  let cache: ts.Expression | undefined;
  let local: string | undefined;
  if (ts.isCallExpression(parent) && isMapSet(parent) && unwrap(parent.arguments[1]) === value)
    cache = (parent.expression as ts.PropertyAccessExpression).expression;
  else if (
    ts.isBinaryExpression(parent) &&
    parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
    unwrap(parent.right) === value &&
    ts.isIdentifier(parent.left)
  )
    local = parent.left.text;
  else if (ts.isVariableDeclaration(parent) && parent.initializer && ts.isIdentifier(parent.name))
    local = parent.name.text;
  else return false;
  const body = (call.fn.node as { body?: ts.Node }).body;
  if (!body) return false;
  // Most results go to a local that no cache stores: the function's text says so without a walk.
  if (local && !mayStoreInCache(body)) return false;
  if (local) cache = cacheStoring(body, local);
  if (!cache || !outlives(call.fn, cache)) return false;
  const names = [cache.getText(), ...(local ? [local] : [])];
  for (
    let node: ts.Node | undefined = call.node.parent;
    node && node !== body;
    node = node.parent
  ) {
    if (ts.isIfStatement(node) && names.some((name) => node.expression.getText().includes(name)))
      return true;
  }
  return false;
}

const storesInCache = new WeakMap<ts.Node, boolean>();

/**
 * Whether `body`'s text has a map's `.set(` or an element assignment (`cache[k] =`); read once
 * per function body, however many of its calls ask.
 */
function mayStoreInCache(body: ts.Node): boolean {
  let stores = storesInCache.get(body);
  if (stores === undefined) {
    stores = bodyTextHasStore(body);
    storesInCache.set(body, stores);
  }
  return stores;
}

function bodyTextHasStore(body: ts.Node): boolean {
  const text = body.getSourceFile().text.slice(body.pos, body.end);
  return text.includes('.set(') || ELEMENT_ASSIGNMENT.test(text);
}

const ELEMENT_ASSIGNMENT = /\]\s*=(?![=>])/;

/** The map (`cache.set(k, local)`) or object (`cache[k] = local`) a function stores `local` in. */
function cacheStoring(body: ts.Node, local: string): ts.Expression | undefined {
  let cache: ts.Expression | undefined;
  const visit = (node: ts.Node): void => {
    if (cache) return;
    if (
      ts.isCallExpression(node) &&
      isMapSet(node) &&
      ts.isIdentifier(unwrap(node.arguments[1])) &&
      (unwrap(node.arguments[1]) as ts.Identifier).text === local
    )
      cache = (node.expression as ts.PropertyAccessExpression).expression;
    else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isElementAccessExpression(node.left) &&
      ts.isIdentifier(unwrap(node.right)) &&
      (unwrap(node.right) as ts.Identifier).text === local
    )
      cache = node.left.expression;
    else if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return cache;
}

/** `fn` or a function around it is startup code. */
function runsAtStartup(model: TsModel, fn: TsFunction, visiting: Set<TsFunction>): boolean {
  for (let current: TsFunction | undefined = fn; current; current = current.parent) {
    if (isRequestHandler(model, current)) return false;
    if (isStartupFunction(model, current, visiting)) return true;
  }
  return false;
}

/**
 * A class the file exports (`export class`, `export default class`, or `export { Name }`), or
 * whose instance it exports (`export const mailer = new Mailer(cfg)`).
 */
function isExportedClass(model: TsModel, node: ts.ClassLikeDeclaration): boolean {
  if (hasModifier(node, ts.SyntaxKind.ExportKeyword)) return true;
  const name = node.name?.text;
  if (!name || !ts.isClassDeclaration(node) || node.parent !== model.sourceFile) return false;
  if (exportsInstanceOf(model, name)) return true;
  return model.sourceFile.statements.some(
    (statement) =>
      (ts.isExportAssignment(statement) &&
        ts.isIdentifier(statement.expression) &&
        statement.expression.text === name) ||
      (ts.isExportDeclaration(statement) &&
        !statement.moduleSpecifier &&
        !!statement.exportClause &&
        ts.isNamedExports(statement.exportClause) &&
        statement.exportClause.elements.some(
          (element) => (element.propertyName ?? element.name).text === name,
        )),
  );
}

/**
 * Whether code in other files can call `fn` by its name: an exported top-level function (also
 * through an export list or an exported object: `export default { list }`, as Express services
 * export themselves), or a method of an exported class that is not `private`/`protected`/
 * `#private` (how a NestJS controller calls the service injected into it: `this.users.list()`).
 */
export function callableFromOtherFiles(model: TsModel, fn: TsFunction): boolean {
  if (fn.parent) return false;
  if (fn.exported || exportedThroughObjectOrList(model, fn) || isWrappedExport(model, fn))
    return true;
  const node = fn.node;
  if (!ts.isMethodDeclaration(node) || !ts.isIdentifier(node.name)) return false;
  if (
    hasModifier(node, ts.SyntaxKind.PrivateKeyword) ||
    hasModifier(node, ts.SyntaxKind.ProtectedKeyword)
  )
    return false;
  return ts.isClassLike(node.parent) && isExportedClass(model, node.parent);
}

/** How a function is reached from an entry point: the entry first, the function itself last. */
export interface EntryPath {
  entry: TsFunction;
  /** Functions from the entry down to the one asked about. */
  chain: TsFunction[];
  /** For an entry found beyond the file: how it reaches the chain's first function. */
  beyond?: string;
}

export interface EntrySearch {
  /** Whether a function is an entry the caller cares about (a request handler, an async function). */
  isEntry(fn: TsFunction): boolean;
  /**
   * For named top-level functions no entry in the file reaches: a look beyond the file, returning
   * a description of the entry found there.
   */
  beyondFile?(fn: TsFunction): string | undefined;
}

/**
 * Finds an entry (per `search.isEntry`) that runs `fn`: `fn` itself, a function enclosing it, or a
 * caller in the same file, transitively. Startup functions end the search: what they run, runs
 * once. Callbacks are run by the function that passes them; named functions by their callers.
 */
export function findEntry(
  model: TsModel,
  fn: TsFunction | undefined,
  search: EntrySearch,
  visited = new Set<TsFunction>(),
): EntryPath | undefined {
  for (let current = fn; current; current = current.parent) {
    if (visited.has(current)) return undefined;
    visited.add(current);
    if (handlesRequests(model, current) && search.isEntry(current))
      return { entry: current, chain: [current] };
    if (isStartupFunction(model, current)) return undefined;
    if (search.isEntry(current)) return { entry: current, chain: [current] };
    if (current.name && !current.callbackOf) {
      for (const call of callersInFile(model, current)) {
        const found = call.fn && findEntry(model, call.fn, search, visited);
        // Keeps `beyond`: a nested function of an exported helper is reached from the handler
        // in the other file, not from the helper.
        if (found) return { ...found, chain: [...found.chain, current] };
      }
      const beyond = current.parent ? undefined : search.beyondFile?.(current);
      if (beyond) return { entry: current, chain: [current], beyond };
      // A named function declaration runs only when called.
      if (!ts.isFunctionExpression(current.node) && !ts.isArrowFunction(current.node))
        return undefined;
    } else if (isWrappedExport(model, current)) {
      // `export const DELETE = withAudit(async (req) => ...)`: other modules call it as `DELETE`.
      const beyond = search.beyondFile?.(current);
      if (beyond) return { entry: current, chain: [current], beyond };
    }
  }
  return undefined;
}

/** Whether `name` is declared (as a variable or parameter) inside `fn` or functions around it. */
export function declaredWithin(fn: TsFunction | undefined, name: string): boolean {
  for (let current = fn; current; current = current.parent) {
    if (current.params.includes(name)) return true;
    let found = false;
    const visit = (node: ts.Node): void => {
      if (found) return;
      if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name)
        found = true;
      else if (!ts.isFunctionLike(node)) ts.forEachChild(node, visit);
    };
    const body = (current.node as { body?: ts.Node }).body;
    if (body) ts.forEachChild(body, visit);
    if (found) return true;
  }
  return false;
}
