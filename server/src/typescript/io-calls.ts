/**
 * What an awaited call costs and what it touches: a database query, an HTTP request or a file
 * read/write, whether it writes, and on what (a Prisma model, a URL). The rules about awaits
 * (`await-in-loop`, `sequential-independent-awaits`) share this so that "is this I/O" and "does
 * this write" are decided once for Node code.
 */
import { ts } from './compiler';
import {
  chainHead,
  knexHeadOperands,
  databaseCall,
  drizzleWrites,
  importedFrom,
  kyselyWrites,
  type DatabaseDriver,
  isHttpCall,
  isPrismaClient,
  PRISMA_WRITE_OPERATIONS,
  prismaQuery,
  startsOnMethodResult,
} from './knowledge';
import {
  isTypedKnexTransaction,
  transactionStartedOn,
  type KnexInstanceSources,
} from './knex-instances';
import { knexBuilderChain } from './knex-builders';
import { accessRoot, chainText, semanticParent, unwrap, type TsCall, type TsModel } from './model';
import { localModelQuery, modelReceiver } from './model-classes';
import type { PrismaClientHolders } from './prisma-clients';
import { OBJECTION, objectionChainOf, objectionChainWrites } from './objection';
import { onOneMikroOrmConnection } from './mikro-orm';
import { onOneTypeormConnection, ormQuery, ormWrites } from './orm-calls';
import { MONGOOSE_QUERIES, MONGOOSE_QUERY_MODIFIERS } from './orm-methods';
import { cursorStartOf, MONGODB, MONGODB_CURSOR_STARTS } from './mongodb-collections';
import { STRAPI, strapiQueryOf, strapiWrites } from './strapi';
import { usesTransactionHandle } from './transaction-wrappers';

export type IoKind = 'db' | 'http' | 'fs';

export interface IoCall {
  call: TsCall;
  kind: IoKind;
  /** More precise than `kind` for databases: `prisma`, `sql`, `redis`, `knex`, `orm`. */
  driver?: DatabaseDriver;
  /** The package of an `orm` query: `typeorm`, `mongoose`, `sequelize`, `@mikro-orm/core`. */
  orm?: string;
  /** Changes data: a Prisma write, a raw `$executeRaw`, an HTTP POST/PUT/PATCH/DELETE, a file write. */
  writes: boolean;
  /** What it reads or writes when known: the Prisma delegate (`user`), the Sequelize model class. */
  target?: string;
}

/**
 * Answers only the workspace index has: whether a call queries a model class of another file,
 * whether a Prisma client is one by declarations of workspace classes (`this.repo.model`), and
 * whether an imported name is a knex instance another module exports.
 */
export interface WorkspaceModels extends PrismaClientHolders, KnexInstanceSources {
  /** The ORM (`sequelize`) of a query on an imported model class or one with an imported base. */
  modelQuery(call: TsCall): string | undefined;
  /** Whether a name is a property of an imported object type that declares it an array. */
  iteratesImportedArray?(iterable: ts.Expression): boolean;
}

/** A query through an ORM: writes by method name; a Sequelize model's class is its target. */
function ormIoCall(call: TsCall, orm: string | undefined): IoCall {
  const target = modelTarget(call, orm);
  return {
    call,
    kind: 'db',
    driver: 'orm',
    orm,
    writes: ormWrites(call.name),
    ...(target ? { target } : {}),
  };
}

/**
 * The model class a query reaches, when the receiver names it: a Sequelize or Mongoose model,
 * or a TypeORM Active Record entity called statically (`User.findOneBy`). A TypeORM repository or
 * an entity instance names no table here: two repositories may serve one entity.
 */
function modelTarget(call: TsCall, orm: string | undefined): string | undefined {
  if (orm !== 'sequelize' && orm !== 'mongoose' && orm !== 'typeorm') return undefined;
  const receiver = modelReceiver(call);
  if (orm === 'typeorm' && receiver?.kind !== 'static') return undefined;
  return receiver?.className;
}

const FS_PROMISE_MODULES = new Set(['fs/promises', 'node:fs/promises']);
const FS_MODULES = new Set(['fs', 'node:fs', 'fs-extra', 'graceful-fs']);
const FS_WRITES =
  /^(?:writeFile|appendFile|mkdir|mkdtemp|rm|rmdir|unlink|rename|copyFile|cp|symlink|link|truncate|chmod|chown|utimes|outputFile|outputJson|writeJson|writeJSON|remove|emptyDir|ensureDir|ensureFile|move|copy)$/;
const FS_OPERATIONS =
  /^(?:readFile|readdir|stat|lstat|access|realpath|readlink|open|opendir|readJson|readJSON|pathExists)$/;

/** `fs.promises.readFile`, `fsp.readFile` (from `fs/promises`), `readFile` imported from it. */
function isFsPromiseCall(model: TsModel, call: TsCall): boolean {
  if (call.isNew || call.isTaggedTemplate) return false;
  if (!FS_WRITES.test(call.name) && !FS_OPERATIONS.test(call.name)) return false;
  const parts = call.callee.split('.');
  const module = importedFrom(model, parts[0]);
  if (parts.length === 1) return !!module && FS_PROMISE_MODULES.has(module);
  if (parts.length === 3 && parts[1] === 'promises')
    return module ? FS_MODULES.has(module) : parts[0] === 'fs';
  if (parts.length !== 2 || !module) return false;
  // fs-extra's functions return promises when called without a callback.
  if (module === 'fs-extra') return !call.args.some((arg) => ts.isFunctionLike(arg));
  return FS_PROMISE_MODULES.has(module);
}

/** The `method` of a `fetch(url, { method: 'POST' })` options literal, upper-cased; GET when absent. */
function fetchMethod(call: TsCall): string {
  const options = call.args[1] && unwrap(call.args[1]);
  if (!options || !ts.isObjectLiteralExpression(options)) return 'GET';
  for (const property of options.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) continue;
    if (property.name.text !== 'method') continue;
    const value = unwrap(property.initializer);
    return ts.isStringLiteralLike(value) ? value.text.toUpperCase() : 'UNKNOWN';
  }
  return 'GET';
}

const READ_VERBS = new Set(['GET', 'HEAD', 'OPTIONS']);

function httpWrites(call: TsCall): boolean {
  if (['post', 'put', 'patch', 'delete'].includes(call.name)) return true;
  if (['get', 'head', 'options'].includes(call.name)) return false;
  return !READ_VERBS.has(fetchMethod(call));
}

const SQL_WRITE =
  /^\s*(?:insert|update|delete|merge|upsert|create|drop|alter|truncate|begin|commit)\b/i;
const REDIS_READS =
  /^(?:get|mget|exists|ttl|hget|hmget|hgetall|lrange|smembers|sismember|zrange|zrangebyscore|zscore|json\.get)$/i;

/** Whether a SQL call's first argument (a string or template) is a write statement. */
function sqlWrites(call: TsCall): boolean {
  const [first] = call.args;
  const sql = first && unwrap(first);
  if (sql && ts.isStringLiteralLike(sql)) return SQL_WRITE.test(sql.text);
  if (sql && ts.isTemplateExpression(sql)) return SQL_WRITE.test(sql.head.text);
  if (ts.isTaggedTemplateExpression(call.node)) {
    const template = call.node.template;
    const head = ts.isNoSubstitutionTemplateLiteral(template) ? template.text : template.head.text;
    return SQL_WRITE.test(head);
  }
  // Unknown SQL: assume it may write.
  return true;
}

/**
 * Builder methods of a knex chain that only read: a chain of these on a table
 * (`db('users').select('*').where(...)`) is a read. Anything else (`update`, `insert`, `del`,
 * `raw`, `modify`, `forUpdate`, ...) may write, or must keep its place, and counts as a write.
 */
export const KNEX_READS = new Set([
  'select',
  'column',
  'columns',
  'distinct',
  'from',
  'as',
  'where',
  'andWhere',
  'orWhere',
  'whereNot',
  'whereIn',
  'whereNotIn',
  'whereNull',
  'whereNotNull',
  'whereBetween',
  'whereLike',
  'whereILike',
  'join',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'orderBy',
  'groupBy',
  'limit',
  'offset',
  'first',
  'pluck',
  'count',
  'countDistinct',
  'min',
  'max',
  'sum',
  'avg',
]);

/** `db().select().where` → `select`, `where`: the methods after the call that names the table. */
const KNEX_CHAIN = /^(?:this\.#?)?[\w$]+\(\)\.(.+)$/;

/**
 * The methods after the call that names the table, read from the nodes: for a head the callee
 * text cannot spell (`(tx || db)('users').where({ id }).first()`, callee '') or `KNEX_CHAIN`
 * does not (`db.replicaNode()('users').where({ id }).first()`).
 */
function methodsAfterHead(call: TsCall): string[] | undefined {
  if (call.callee !== '' && !startsOnMethodResult(call)) return undefined;
  if (!ts.isCallExpression(call.node)) return undefined;
  const head = chainHead(call.node);
  const methods: string[] = [];
  let node: ts.Expression = call.node;
  while (node !== head && ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    methods.unshift(callee.name.text);
    node = unwrap(callee.expression);
  }
  return methods.length > 0 ? methods : undefined;
}

/** Whether a knex chain may write: any method but the reads above, or a shape not understood. */
function knexWrites(call: TsCall): boolean {
  const methods = KNEX_CHAIN.exec(call.callee)?.[1];
  if (methods) return methods.split('.').some((part) => !KNEX_READS.has(part.replace(/\(\)$/, '')));
  const afterHead = methodsAfterHead(call);
  if (afterHead) return afterHead.some((method) => !KNEX_READS.has(method));
  // Builder-first (`trx.select('id').from(t).first()`): the step naming the table reads nothing.
  const builder = knexBuilderChain(call);
  if (!builder) return true;
  return builder.steps.some((step) => step !== builder.table && !KNEX_READS.has(step.name));
}

/**
 * The I/O a call performs, if the engine recognises it. With `models` (the workspace index, read
 * only for a query-named method on a class or an instance of one, or a Prisma-shaped query on a
 * client declared with a workspace class), queries on model classes of other files count too, and
 * Prisma queries through workspace wrappers (`this.repo.model.user.update(...)`).
 */
export function ioCallOf(
  model: TsModel,
  call: TsCall,
  models?: WorkspaceModels,
): IoCall | undefined {
  // An interactive or batch transaction: several round trips, and writes.
  if (call.name === '$transaction' && call.receiverText && isPrismaClient(model, call.receiverText))
    return { call, kind: 'db', driver: 'prisma', writes: true };
  const objection = objectionQuery(model, call, models);
  if (objection) return objection;
  const strapi = strapiQueryOf(model, call);
  if (strapi)
    return { call, kind: 'db', driver: 'orm', orm: STRAPI, writes: strapiWrites(strapi.method) };
  const driver = databaseCall(model, call, models);
  if (driver === 'prisma') {
    const query = prismaQuery(model, call, models)!;
    const writes =
      PRISMA_WRITE_OPERATIONS.has(query.operation) || query.operation.startsWith('$execute');
    return { call, kind: 'db', driver, writes, target: query.delegate || undefined };
  }
  if (driver === 'redis')
    return { call, kind: 'db', driver, writes: !REDIS_READS.test(call.name), target: undefined };
  if (driver === 'sql') return { call, kind: 'db', driver, writes: sqlWrites(call) };
  if (driver === 'knex') return { call, kind: 'db', driver, writes: knexWrites(call) };
  if (driver === 'drizzle')
    return {
      call,
      kind: 'db',
      driver,
      writes: drizzleWrites(call),
    };
  if (driver === 'kysely') return { call, kind: 'db', driver, writes: kyselyWrites(call) };
  if (driver === 'orm') return ormIoCall(call, ormQuery(model, call));
  const throughModel = models?.modelQuery(call);
  // A MongoDB `find()` only builds a cursor: the read of the cursor is the round trip.
  if (throughModel && !(throughModel === MONGODB && MONGODB_CURSOR_STARTS.has(call.name)))
    return ormIoCall(call, throughModel);
  if (models && importedCursorRead(model, call, models)) return ormIoCall(call, MONGODB);
  if (isHttpCall(model, call)) return { call, kind: 'http', writes: httpWrites(call) };
  if (isFsPromiseCall(model, call)) return { call, kind: 'fs', writes: FS_WRITES.test(call.name) };
  return undefined;
}

/**
 * An Objection query as the round trip it is: the last call of a builder chain that starts on a
 * model class or instance (`await Provider.query().patch(v).where('key', k)`), writing when a
 * builder method does. Its target is the class a `query()` starts on; a relation's table is not
 * known here.
 */
function objectionQuery(
  model: TsModel,
  call: TsCall,
  models: WorkspaceModels | undefined,
): IoCall | undefined {
  const chain = objectionChainOf(model, call);
  if (!chain) return undefined;
  const orm = localModelQuery(model, chain.start) ?? models?.modelQuery(chain.start);
  if (orm !== OBJECTION) return undefined;
  const receiver = modelReceiver(chain.start);
  const target = receiver?.kind === 'static' && chain.start.name === 'query';
  return {
    call,
    kind: 'db',
    driver: 'orm',
    orm,
    writes: objectionChainWrites(chain.methods),
    ...(target ? { target: receiver.className } : {}),
  };
}

/**
 * Whether `call` reads the cursor of a `find()`/`aggregate()` on a MongoDB collection another
 * module exports (`users.find({ rid }).toArray()`, `users` imported).
 */
function importedCursorRead(model: TsModel, call: TsCall, models: WorkspaceModels): boolean {
  const start = cursorStartOf(call);
  const startCall = start && model.callAt(start);
  return !!startCall && models.modelQuery(startCall) === MONGODB;
}

/** Names a transaction client goes by: `tx.user.update(...)`, `trx('users')`. */
const TRANSACTION_CLIENT = /^(?:tx|trx|transaction)$/;

/**
 * Whether a call runs on a transaction: through a transaction client (`tx.user.update(...)`),
 * with one in its options, through a TypeORM query runner or transaction manager (or MikroORM's
 * `transactional` one), or on (or handing on) the handle of one the app opens through a helper of
 * its own (`dbTransactionWrap(async (manager) => ...)`, see `transaction-wrappers.ts`). Its
 * queries share the transaction's one connection, in turn.
 */
export function runsOnTransaction(call: TsCall, model: TsModel): boolean {
  // The chain's first name, also before a computed key (`tx[model].update(...)`).
  const chain = call.receiverText || (call.receiver ? chainText(accessRoot(call.receiver)) : '');
  const root = chain.split('.')[0];
  return (
    TRANSACTION_CLIENT.test(root) ||
    passesTransaction(call) ||
    onKnexTransaction(model, call) ||
    onOneTypeormConnection(model, call) ||
    onOneMikroOrmConnection(model, call) ||
    usesTransactionHandle(model, call)
  );
}

/** A transaction, knex's or Objection's: named as one, started on a knex instance, or so typed. */
function isTransaction(model: TsModel, expression: ts.Expression | undefined): boolean {
  const node = expression && unwrap(expression);
  if (!node || !ts.isIdentifier(node)) return false;
  return (
    TRANSACTION_CLIENT.test(node.text) ||
    !!transactionStartedOn(node) ||
    isTypedKnexTransaction(model, node)
  );
}

/**
 * Whether a knex chain runs on a transaction (`trx('users').where(...)`, `t(...)` of a
 * `const t = await db.transaction()`), or an Objection query is given one (`Person.query(trx)`,
 * `page.$relatedQuery('tags', trx)`).
 */
function onKnexTransaction(model: TsModel, call: TsCall): boolean {
  if (!ts.isCallExpression(call.node)) return false;
  const objection = objectionChainOf(model, call);
  if (objection) {
    const { name, args } = objection.start;
    return isTransaction(model, name.endsWith('relatedQuery') ? args[1] : args[0]);
  }
  const builder = knexBuilderChain(call);
  if (builder) return isTransaction(model, builder.instance);
  // `(tx || db)('users')`: on the transaction whenever the caller hands one in.
  const operands = knexHeadOperands(call);
  if (operands) return operands.some((operand) => isTransaction(model, operand));
  if (!/^[\w$]+\(\)/.test(call.callee)) return false;
  return isTransaction(model, chainHead(call.node).expression);
}

/**
 * Whether a call passes a transaction in its options (`User.create(data, { transaction: t })`,
 * `{ where, transaction }`): its queries share that transaction's one connection and run in turn.
 * `transaction: false` (TypeORM's save option) passes none.
 */
function passesTransaction(call: TsCall): boolean {
  return call.args.some((arg) => {
    const options = unwrap(arg);
    if (!ts.isObjectLiteralExpression(options)) return false;
    return options.properties.some((property) => {
      if (ts.isShorthandPropertyAssignment(property)) return property.name.text === 'transaction';
      if (!ts.isPropertyAssignment(property) || !ts.isIdentifier(property.name)) return false;
      const value = unwrap(property.initializer);
      const boolean =
        value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword;
      return property.name.text === 'transaction' && !boolean;
    });
  });
}

const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);

/**
 * The expression whose settling is waited for when `call` is: the call itself, or the outermost
 * `.then()`/`.catch()`/`.finally()` chained on it (`await fetch(url).then((r) => r.json())`), past
 * the modifiers of a query named like a Mongoose one (whether it is one is `ioCallOf`'s to say).
 */
export function promiseChainOf(call: TsCall): ts.Expression {
  let node: ts.Expression = call.node as ts.Expression;
  let buildingQuery = MONGOOSE_QUERIES.has(call.name);
  for (;;) {
    const access = semanticParent(node);
    if (!access || !ts.isPropertyAccessExpression(access)) return node;
    const method = access.name.text;
    if (PROMISE_METHODS.has(method)) buildingQuery = false;
    else if (!buildingQuery || !MONGOOSE_QUERY_MODIFIERS.has(method)) return node;
    const chained = access.parent;
    if (!chained || !ts.isCallExpression(chained) || chained.expression !== access) return node;
    node = chained;
  }
}

export const PROMISE_COMBINATORS = new Set(['all', 'allSettled', 'any', 'race']);

/** `Promise.all(...)` and friends. */
export function isPromiseCombinator(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node)) return false;
  const callee = unwrap(node.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise' &&
    PROMISE_COMBINATORS.has(callee.name.text)
  );
}

/**
 * How the function that makes `call` waits for it: `'direct'` when its promise (or a
 * `.then()` chain on it) is awaited, `'combined'` when it is an element of an array handed to an
 * awaited `Promise.all([...])` (it still runs once per pass of a loop, together with its
 * siblings), or undefined when nothing waits for it here.
 */
export function awaitedHow(call: TsCall): 'direct' | 'combined' | undefined {
  const chain = promiseChainOf(call);
  const parent = semanticParent(chain);
  if (parent && ts.isAwaitExpression(parent)) return 'direct';
  if (!parent || !ts.isArrayLiteralExpression(parent)) return undefined;
  const combinator = semanticParent(parent);
  if (!combinator || !isPromiseCombinator(combinator)) return undefined;
  const outer = semanticParent(combinator);
  return outer && ts.isAwaitExpression(outer) ? 'combined' : undefined;
}

const SLEEP_NAMES =
  /^(?:sleep|sleepMs|delay|wait|waitMs|pause|backoff|exponentialBackoff|setTimeout|setTimeoutPromise)$/i;

/** An awaited pause: `await sleep(ms)`, `await setTimeout(ms)` (timers/promises), `await new Promise((r) => setTimeout(r, ms))`. */
export function isAwaitedSleep(call: TsCall, model: TsModel): boolean {
  if (!call.awaited) return false;
  if (call.isNew)
    return (
      call.callee === 'new Promise' &&
      call.args.some((arg) => /\bsetTimeout\s*\(/.test(arg.getText(model.sourceFile)))
    );
  return SLEEP_NAMES.test(call.name);
}
