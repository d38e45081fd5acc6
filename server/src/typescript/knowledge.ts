/**
 * What the engine knows about Node libraries: which calls query a database, call over HTTP, block
 * the event loop, or create clients, and which functions handle requests. Shared by the rules so
 * each does not re-decide it; extend it here rather than in a rule.
 */
import { isStrapiApiMethod } from './strapi';
import { ts } from './compiler';
import { declarationOf, enclosingFunctionNode, localUnchangedInitializer } from './name-resolution';
import { stringPropertyValue } from './object-literals';
import { ormQuery } from './orm-calls';
import { declaredPrismaClient, type PrismaClientHolders } from './prisma-clients';
import {
  isKnexInstance,
  isTypedKnexInstance,
  transactionStartedOn,
  type KnexInstanceSources,
} from './knex-instances';
import { knexBuilderChain, knexBuilderQuery } from './knex-builders';
import {
  chainText,
  fieldName,
  importsModule,
  isImportedValue,
  semanticParent,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsModel,
} from './model';

export const PRISMA_READ_OPERATIONS = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'findUnique',
  'findUniqueOrThrow',
  'count',
  'aggregate',
  'groupBy',
]);

export const PRISMA_WRITE_OPERATIONS = new Set([
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
]);

export const PRISMA_RAW_OPERATIONS = new Set([
  '$queryRaw',
  '$queryRawUnsafe',
  '$executeRaw',
  '$executeRawUnsafe',
  '$queryRawTyped',
  '$runCommandRaw',
]);

/**
 * Names a Prisma client is usually bound to (`prisma`, `db`, `ctx.prisma`, `this.prisma`, `tx`),
 * also in an ES private field (`this.#prismaClient`, compared without its `#`).
 */
const PRISMA_CLIENT_NAME = /^(?:prisma\w*|\w*Prisma|db|database|client|prismaClient|tx|trx|orm)$/;

/** The module an identifier was imported from, if it was. */
export function importedFrom(model: TsModel, name: string): string | undefined {
  return model.imports.get(name)?.module;
}

/** The initializer of a module-level variable, unwrapped (`const prisma = new PrismaClient()`). */
export function moduleInitializer(model: TsModel, name: string): ts.Expression | undefined {
  const init = model.moduleVariables.get(name)?.initializer;
  return init ? unwrap(init) : undefined;
}

/** `new PrismaClient(...)`, possibly extended (`new PrismaClient().$extends(...)`). */
function isPrismaClientExpression(node: ts.Expression | undefined): boolean {
  if (!node) return false;
  const inner = unwrap(node);
  if (ts.isNewExpression(inner)) return chainText(inner.expression).endsWith('PrismaClient');
  if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression))
    return (
      inner.expression.name.text === '$extends' &&
      isPrismaClientExpression(inner.expression.expression)
    );
  // `globalForPrisma.prisma ?? new PrismaClient()`
  if (ts.isBinaryExpression(inner)) return isPrismaClientExpression(inner.right);
  return false;
}

/** Whether the dotted chain `client` names a Prisma client in this file. */
export function isPrismaClient(model: TsModel, client: string): boolean {
  const last = fieldName(client.split('.').pop() ?? '');
  if (PRISMA_CLIENT_NAME.test(last)) return true;
  if (!client.includes('.')) {
    if (isPrismaClientExpression(moduleInitializer(model, client))) return true;
    const imported = model.imports.get(client);
    if (imported && /prisma|db/i.test(imported.imported === 'default' ? client : imported.imported))
      return true;
  }
  return false;
}

/** Methods of a Prisma service that hand out the client of the transaction in progress, if any. */
const CLIENT_HANDING_METHOD = /^(?:txClient|getTxClient|getClient)$/;

/**
 * Whether `node` is the client a method of a Prisma client hands out, called with no arguments:
 * `this.prismaService.txClient()` (Teable), the transaction's client inside one, else itself.
 * Only its model queries count (`txClient().field.create(...)`): raw statements through it
 * (`txClient().$executeRawUnsafe(sql)`) are mostly schema work per table there (copying a base
 * runs one `CREATE TABLE`, `ALTER` and `CREATE INDEX` after another), not one query per row.
 */
function handedOutClient(model: TsModel, node: ts.Expression): boolean {
  const call = unwrap(node);
  if (!ts.isCallExpression(call) || call.arguments.length > 0) return false;
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !CLIENT_HANDING_METHOD.test(callee.name.text))
    return false;
  const owner = chainText(callee.expression);
  return !!owner && isPrismaClient(model, owner);
}

export interface PrismaQuery {
  call: TsCall;
  /** The client as written: `prisma`, `ctx.prisma`, `tx`, `prisma.client` of `prisma.client[model]`. */
  client: string;
  /**
   * The model delegate as written: `user` for `prisma.user.findMany()` (and `prisma['user']`); ''
   * for raw queries; undefined when the code picks it at run time (`prisma[model].findMany()`), so
   * the query may be on any model.
   */
  delegate: string | undefined;
  operation: string;
  /**
   * The client's expression when only the workspace confirmed it (`this.repo.model`, see
   * `prisma-clients.ts`): a file's facts record what holds it for the index.
   */
  held?: ts.Expression;
}

/**
 * A Prisma Client query (`prisma.user.findMany(...)`, `prisma.$queryRaw\`...\``), if `call` is one.
 * With `holders`, also one on a client that workspace classes declare (`this.repo.model.user`).
 */
export function prismaQuery(
  model: TsModel,
  call: TsCall,
  holders?: PrismaClientHolders,
): PrismaQuery | undefined {
  if (call.isNew || !call.receiver) return undefined;
  if (PRISMA_RAW_OPERATIONS.has(call.name)) {
    if (!call.receiverText) return undefined;
    const query = { call, client: call.receiverText, delegate: '', operation: call.name };
    if (isPrismaClient(model, call.receiverText) || model.types?.isPrismaClient(call.receiver))
      return query;
    const declared = declaredPrismaClient(model, call.receiver, holders);
    if (!declared) return undefined;
    return declared === 'held' ? { ...query, held: call.receiver } : query;
  }
  if (!PRISMA_READ_OPERATIONS.has(call.name) && !PRISMA_WRITE_OPERATIONS.has(call.name))
    return undefined;
  const access = delegateAccess(call);
  if (!access) return undefined;
  const { client, delegate, clientNode } = access;
  const query = { call, client, delegate, operation: call.name };
  if (isPrismaClient(model, client)) return query;
  if (!clientNode) return undefined;
  if (handedOutClient(model, clientNode)) return query;
  // The type oracle's answer for the client under the delegate (`store` in `store.user.findMany()`).
  if (model.types?.isPrismaClient(clientNode)) return query;
  const declared = declaredPrismaClient(model, clientNode, holders);
  if (!declared) return undefined;
  return declared === 'held' ? { ...query, held: clientNode } : query;
}

/**
 * The client and model delegate a delegate-shaped call is made on: `prisma` and `user` of
 * `prisma.user.findMany()` (or `prisma['user']`), with the client's expression when the delegate is
 * a member of it. A key computed at run time (`prisma.client[model]`, as generic paging and CRUD
 * helpers write it) names no delegate: undefined, any model. Undefined for other shapes.
 */
function delegateAccess(
  call: TsCall,
): { client: string; delegate: string | undefined; clientNode?: ts.Expression } | undefined {
  const receiver = delegateReceiver(call.receiver!);
  const receiverText =
    receiver === unwrap(call.receiver!) ? call.receiverText : chainText(receiver);
  const clientNode =
    ts.isPropertyAccessExpression(receiver) || ts.isElementAccessExpression(receiver)
      ? receiver.expression
      : undefined;
  if (receiverText) {
    const dot = receiverText.lastIndexOf('.');
    if (dot === -1) return undefined;
    const delegate = receiverText.slice(dot + 1);
    // Delegates are the model name with a lower-case first letter; `db.query.users` is Drizzle.
    if (!/^[a-z]\w*$/.test(delegate) || delegate === 'query') return undefined;
    return { client: receiverText.slice(0, dot), delegate, clientNode };
  }
  // `chainText` stops at a computed key; a number indexes a list, which holds no delegates.
  if (!ts.isElementAccessExpression(receiver) || ts.isNumericLiteral(receiver.argumentExpression))
    return undefined;
  const client = chainText(receiver.expression);
  return client ? { client, delegate: undefined, clientNode } : undefined;
}

/**
 * The keyed delegate a local `const` holds (`const delegate = prisma[model]`, then
 * `delegate.findMany()`), as generic CRUD handlers pick it once and query it several times. A
 * `let` counts only when nothing assigns it again: otherwise it may be anything by the call.
 */
function heldDelegate(receiver: ts.Expression): ts.ElementAccessExpression | undefined {
  const initializer = ts.isIdentifier(receiver) ? localUnchangedInitializer(receiver) : undefined;
  const value = initializer && unwrap(initializer);
  return value && ts.isElementAccessExpression(value) ? value : undefined;
}

/** The expression a delegate-shaped call's receiver stands for: the held keyed delegate, or itself. */
export function delegateReceiver(receiver: ts.Expression): ts.Expression {
  const inner = unwrap(receiver);
  return heldDelegate(inner) ?? inner;
}

/** The Prisma model a delegate name refers to: `orderItem` → `OrderItem`. */
export function modelOfDelegate(delegate: string): string {
  return delegate.charAt(0).toUpperCase() + delegate.slice(1);
}

const SQL_CLIENT_NAME =
  /(?:pool|client|db|conn|connection|pg|sql|knex|database|tx|trx|mysql|sqlite)$/i;
const SQL_METHODS = new Set([
  'query',
  'execute',
  'raw',
  'one',
  'oneOrNone',
  'many',
  'any',
  'manyOrNone',
  'none',
]);
const REDIS_COMMANDS = new Set([
  'get',
  'set',
  'setex',
  'mget',
  'mset',
  'del',
  'exists',
  'expire',
  'ttl',
  'incr',
  'incrby',
  'decr',
  'hget',
  'hset',
  'hmget',
  'hgetall',
  'hincrby',
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'lrange',
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'zadd',
  'zrange',
  'zrangebyscore',
  'zscore',
  'publish',
  'xadd',
  'eval',
  'json.get',
]);

/**
 * What may hold a Drizzle database before its name: the class (`this.db`: repository and model
 * classes holding it, as lobe-chat's do) or a tRPC procedure's context (`ctx.db`, as t3 apps hand
 * it to every procedure, also reached through the resolver's parameter: `async (opts) =>
 * opts.ctx.db...`; not `this.ctx.db`, a Koa/Egg context).
 */
const DRIZZLE_DATABASE_HOLDER = String.raw`(?:this\.#?|(?:(?!this\.)\w+\.)?ctx\.)?`;

/** The names a Drizzle database goes by: `db`, `tx`, `database`, `drizzle`, also held as above. */
export const DRIZZLE_DATABASE = String.raw`${DRIZZLE_DATABASE_HOLDER}(?:db|tx|database|drizzle)`;
/** Drizzle's relational queries: `db.query.users.findFirst(...)`. */
const DRIZZLE_RELATIONAL = new RegExp(String.raw`^${DRIZZLE_DATABASE}\.query\.\w+$`);
/** Drizzle's query builder, run when awaited: `db.select().from(users).where(...)`. */
const DRIZZLE_BUILDER = new RegExp(
  String.raw`^${DRIZZLE_DATABASE}\.(?:select|selectDistinct|insert|update|delete)\(\)`,
);

/** A write builder on a database of any name, held as above: `db.insert(`, `this.tx.delete(`. */
const DRIZZLE_WRITE = new RegExp(
  String.raw`^${DRIZZLE_DATABASE_HOLDER}\w+\.(?:insert|update|delete)\(`,
);

/** Whether a Drizzle builder chain writes: `db.insert(t)...`, `db.update(t)...`, `db.delete(t)...`. */
export function drizzleWrites(call: TsCall): boolean {
  return DRIZZLE_WRITE.test(call.callee);
}

/**
 * Kysely's query builder, run by its `execute*()`: `db.selectFrom('asset')...executeTakeFirst()`,
 * `trx.updateTable('user').set(v).where(...).execute()`, with `$if(...)`/`$call(...)` steps. The
 * builder's first methods name it (no other client has them), whatever the receiver is called.
 */
const KYSELY_BUILDER =
  /(?:^|\.)(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\(\)(?:\.[\w$]+\(\))*\.execute(?:TakeFirst(?:OrThrow)?)?$/;

/** Whether a Kysely builder chain writes: it starts with anything but `selectFrom`. */
export function kyselyWrites(call: TsCall): boolean {
  return KYSELY_BUILDER.exec(call.callee)?.[1] !== 'selectFrom';
}

/** The database drivers a call may be a round trip of. */
export type DatabaseDriver = 'prisma' | 'sql' | 'redis' | 'knex' | 'orm' | 'drizzle' | 'kysely';

/**
 * What the workspace index confirms for `databaseCall`: Prisma clients workspace classes declare,
 * and knex instances other modules export.
 */
export type DatabaseHolders = PrismaClientHolders & Partial<KnexInstanceSources>;

/**
 * Why a call is a database round trip (`prisma`, `sql`, `redis`, `knex`, `orm`), or undefined.
 * `holders` confirm Prisma clients that workspace classes declare (see `prismaQuery`) and knex
 * instances imported from other modules (see `queriesImportedKnex`).
 */
export function databaseCall(
  model: TsModel,
  call: TsCall,
  holders?: DatabaseHolders,
): DatabaseDriver | undefined {
  if (prismaQuery(model, call, holders)) return 'prisma';
  if (ormQuery(model, call)) return 'orm';
  if (call.isNew) return undefined;
  const receiver = call.receiverText ?? '';
  if (call.isTaggedTemplate) {
    // postgres.js / @vercel/postgres / neon: awaiting `sql\`...\`` runs it; `Prisma.sql` only builds.
    return call.callee === 'sql' && call.awaited ? 'sql' : undefined;
  }
  if (
    SQL_METHODS.has(call.name) &&
    receiver &&
    SQL_CLIENT_NAME.test(receiver.split('.').pop() ?? '')
  )
    return 'sql';
  if (REDIS_COMMANDS.has(call.name.toLowerCase()) && /redis/i.test(receiver)) return 'redis';
  if (sendsKnexChain(call)) {
    // Knex query chains: `knex('users').where(...)`, `db('orders').select()` awaited, and the
    // same on any name declared `Knex` (`this.database('users')...` of a `database: Knex` field).
    if (/^(?:knex|trx|db)\(\)/.test(call.callee)) return 'knex';
    if (isTypedKnexChain(model, call)) return 'knex';
    if (isKnexTransactionChain(model, call)) return 'knex';
    // Builder-first, on an instance or transaction of one: `await trx.insert(row).into('events')`.
    if (knexBuilderQuery(model, call)) return 'knex';
    // `(tx || db)('users')...`: every instance the head may pick is knex (trusted names included).
    if (isKnexAlternativesChain(model, call, knexSourceOf(model, holders))) return 'knex';
    // `db.replicaNode()('users')...`: on the node picked from an instance.
    if (isPickedNodeChain(model, call, knexSourceOf(model, holders))) return 'knex';
    // The same on an instance imported under any name (`database('users')`, `conn.select(...)`),
    // which only the index can confirm; before Drizzle, whose builder shares knex's method names.
    if (
      holders?.importsKnexInstance &&
      queriesImportedKnex(model, call, (instance) => holders.importsKnexInstance!(instance))
    )
      return 'knex';
  }
  if (
    (DRIZZLE_RELATIONAL.test(receiver) && /^find(?:First|Many)$/.test(call.name)) ||
    (call.awaited && DRIZZLE_BUILDER.test(call.callee))
  )
    return 'drizzle';
  if (KYSELY_BUILDER.test(call.callee)) return 'kysely';
  // Kysely's raw SQL: `sql\`...\`.execute(db)`.
  if (call.name === 'execute' && call.receiver && isSqlTemplate(unwrap(call.receiver)))
    return 'sql';
  return undefined;
}

/**
 * Whether a knex chain is sent: awaited, or the value an async function returns (`return
 * db('users').where({ id }).first()`, `async (id) => db('users')...`), whose promise adopts the
 * builder by calling its `then`: the query runs once per call, as an awaited one does. A builder
 * a plain function returns may be extended before it runs, and is left alone.
 */
export function sendsKnexChain(call: TsCall): boolean {
  if (call.awaited) return true;
  if (!call.fn?.isAsync) return false;
  const parent = semanticParent(call.node);
  return (
    !!parent &&
    (ts.isReturnStatement(parent) || (parent === call.fn.node && ts.isArrowFunction(parent)))
  );
}

/** `x('users')...` or `this.x('users')...`: a chain that starts by calling a name. */
const CALLED_NAME_CHAIN = /^(?:this\.#?)?[\w$]+\(\)/;

/** The first call of a method chain: `db('users')` of `db('users').where(...).first()`. */
export function chainHead(node: ts.CallExpression): ts.CallExpression {
  let head = node;
  for (;;) {
    const callee = unwrap(head.expression);
    if (!ts.isPropertyAccessExpression(callee)) return head;
    const inner = unwrap(callee.expression);
    if (!ts.isCallExpression(inner)) return head;
    head = inner;
  }
}

/**
 * A knex query chain on a name declared with knex's `Knex` type: a class field (`private readonly
 * database: Knex`, also a constructor parameter property), a parameter or a variable, whatever it
 * is called (`this.database('pinned_chart').select('*').where(...)`), or `Knex.Transaction`. Only
 * files that import `Knex` from `knex` are asked.
 */
function isTypedKnexChain(model: TsModel, call: TsCall): boolean {
  if (!CALLED_NAME_CHAIN.test(call.callee) || !ts.isCallExpression(call.node)) return false;
  return isTypedKnexInstance(model, chainHead(call.node).expression);
}

/** Names a knex instance goes by when nothing else says: the chains `databaseCall` trusts. */
const KNEX_NAME = /^(?:knex|trx|db)$/;

/**
 * What `databaseCall` takes for a knex instance a name holds besides the evidence
 * `knex-instances.ts` reads: a trusted name, or an import the index confirms (with `holders`).
 */
function knexSourceOf(
  model: TsModel,
  holders: DatabaseHolders | undefined,
): (instance: ts.Identifier) => boolean {
  return (instance) =>
    KNEX_NAME.test(instance.text) ||
    (!!holders?.importsKnexInstance &&
      isImportedValue(model, instance) &&
      holders.importsKnexInstance(instance));
}

/** `a || b`, `a ?? b`: an expression that picks one of its operands. */
function isAlternatives(node: ts.Expression): node is ts.BinaryExpression {
  if (!ts.isBinaryExpression(node)) return false;
  const operator = node.operatorToken.kind;
  return operator === ts.SyntaxKind.BarBarToken || operator === ts.SyntaxKind.QuestionQuestionToken;
}

/** The operands `node` may pick: `tx`, `db` of `tx || db` (and of `(tx ?? trx) || db`, all three). */
function operandsOf(node: ts.Expression): ts.Expression[] {
  const inner = unwrap(node);
  return isAlternatives(inner) ? [...operandsOf(inner.left), ...operandsOf(inner.right)] : [inner];
}

/**
 * The instances a chain's head picks from, `tx` and `db` of `(tx || db)('users').where({ id })`,
 * or undefined for any other chain. The chain text stops at such a head (callee ''), so other
 * calls pay one comparison.
 */
export function knexHeadOperands(call: TsCall): ts.Expression[] | undefined {
  if (call.callee !== '' || !ts.isCallExpression(call.node)) return undefined;
  const head = unwrap(chainHead(call.node).expression);
  return isAlternatives(head) ? operandsOf(head) : undefined;
}

/**
 * A knex query chain on whichever instance is there: `(tx || db)('users').where({ id })`, the way
 * a helper runs on the transaction it was handed or else on the shared instance (Infisical's
 * DALs). Only when every operand is one (`isSource`, or the evidence `knex-instances.ts` reads):
 * `(cache || fallback)('users')` is not.
 */
function isKnexAlternativesChain(
  model: TsModel,
  call: TsCall,
  isSource: (instance: ts.Identifier) => boolean,
): boolean {
  const operands = knexHeadOperands(call);
  return !!operands && operands.every((operand) => isKnexInstance(model, operand, isSource));
}

/**
 * `db.replicaNode()('users')...`: a chain whose head calls what a method returned. The callee
 * text says so before any node is looked at.
 */
const CALLED_METHOD_RESULT_CHAIN = /^(?:this\.#?)?[\w$.]+\(\)\(\)/;

/** Whether a chain starts by calling what a method returned (`db.replicaNode()('users')`). */
export function startsOnMethodResult(call: TsCall): boolean {
  return CALLED_METHOD_RESULT_CHAIN.test(call.callee);
}

/**
 * A knex query chain on one node of a replicated database, `db.replicaNode()('users').where(...)`
 * (Infisical's DALs), the node picked from an instance `isSource` accepts or
 * `knex-instances.ts` recognises.
 */
function isPickedNodeChain(
  model: TsModel,
  call: TsCall,
  isSource: (instance: ts.Identifier) => boolean,
): boolean {
  if (!startsOnMethodResult(call) || !ts.isCallExpression(call.node)) return false;
  return isKnexInstance(model, chainHead(call.node).expression, isSource);
}

/**
 * A knex query chain on a transaction, whatever it is called: `t('users').where(...)` in
 * `db.transaction(async (t) => ...)` or after `const t = await db.transaction()`, the transaction
 * started on a knex instance (by the evidence `knex-instances.ts` reads, or named `knex`/`db`).
 */
function isKnexTransactionChain(
  model: TsModel,
  call: TsCall,
  isSource: (instance: ts.Identifier) => boolean = (source) => KNEX_NAME.test(source.text),
): boolean {
  if (!CALLED_NAME_CHAIN.test(call.callee) || !ts.isCallExpression(call.node)) return false;
  if (!model.text.includes('transaction')) return false;
  const instance = unwrap(chainHead(call.node).expression);
  const started = ts.isIdentifier(instance) ? transactionStartedOn(instance) : undefined;
  if (!started) return false;
  return isKnexInstance(model, started, isSource);
}

/** `database('users')...`: a chain that starts by calling a plain name (an import, never `this.x`). */
const CALLED_IMPORT_CHAIN = /^([\w$]+)\(\)/;

/**
 * Whether a sent call (`sendsKnexChain`) is a knex query on an instance the file imports and
 * `isImported` accepts (the workspace index, or a file's facts recording the import for it): a chain on the
 * called instance (`database('users').where({ id }).first()`), builder-first
 * (`database.select('id').from('users')`), or on a transaction started on it
 * (`database.transaction(async (t) => t('users')...)`). Only a chain whose head is imported by
 * name is looked at closer, or one in a file that mentions transactions.
 */
export function queriesImportedKnex(
  model: TsModel,
  call: TsCall,
  isImported: (instance: ts.Identifier) => boolean,
): boolean {
  if (!sendsKnexChain(call) || !ts.isCallExpression(call.node)) return false;
  const source = (instance: ts.Identifier): boolean =>
    isImportedValue(model, instance) && isImported(instance);
  // `(tx || database)('users')`: the imported operand is the one asked about.
  if (call.callee === '')
    return isKnexAlternativesChain(
      model,
      call,
      (instance) => KNEX_NAME.test(instance.text) || source(instance),
    );
  if (isPickedNodeChain(model, call, source)) return true;
  const called = CALLED_IMPORT_CHAIN.exec(call.callee)?.[1];
  if (called !== undefined) {
    if (model.imports.has(called)) {
      const head = unwrap(chainHead(call.node).expression);
      if (ts.isIdentifier(head) && source(head)) return true;
    }
    return isKnexTransactionChain(model, call, source);
  }
  // The builder's shape is read before the file's text: most awaited calls have another.
  const builder = knexBuilderChain(call);
  if (!builder) return false;
  const instance = unwrap(builder.instance);
  const imported = ts.isIdentifier(instance) && model.imports.has(instance.text);
  if (!imported && !model.text.includes('transaction')) return false;
  return isKnexInstance(model, instance, source);
}

function isSqlTemplate(node: ts.Expression): boolean {
  return (
    ts.isTaggedTemplateExpression(node) && ts.isIdentifier(node.tag) && node.tag.text === 'sql'
  );
}

const HTTP_VERBS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'request']);
const HTTP_CLIENTS = new Set(['axios', 'got', 'ky', 'superagent', 'undici', 'needle', 'ofetch']);

/** Module variables created by `axios.create()` / `ky.create()` / `got.extend()`. */
function isHttpClientInstance(model: TsModel, name: string): boolean {
  const init = moduleInitializer(model, name);
  if (!init || !ts.isCallExpression(init)) return false;
  const callee = chainText(init.expression);
  return /^(?:axios\.create|ky\.create|ky\.extend|got\.extend)$/.test(callee);
}

/** Text that says a binding holds the platform's fetch (`typeof fetch`, `= globalThis.fetch`). */
const MENTIONS_FETCH = /\bfetch\b/i;

/**
 * Whether a bare `fetch(...)` calls a function this file binds under that name rather than the
 * global: a parameter (`async function fetchContextData(key, fetch)` in Directus, kafkajs's
 * `createFetcher({ fetch })`), a local function, or a variable holding a function literal. An
 * import (`node-fetch`, `undici`), a value mentioning fetch (`fetch: typeof fetch = globalThis.fetch`,
 * `const fetch = options.fetch ?? globalThis.fetch`) and SvelteKit's `load({ fetch })` stay HTTP.
 */
function callsLocalFetch(call: TsCall): boolean {
  const node = call.node;
  if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression)) return false;
  const declaration = declarationOf(node.expression);
  const holder = declaration?.parent;
  if (!holder) return false;
  if (ts.isFunctionDeclaration(holder)) return true;
  if (ts.isVariableDeclaration(holder)) {
    const init = holder.initializer && unwrap(holder.initializer);
    return !!init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init));
  }
  if (!ts.isParameter(holder) && !ts.isBindingElement(holder)) return false;
  const typeAndDefault = [holder.initializer, ts.isParameter(holder) ? holder.type : undefined];
  if (typeAndDefault.some((part) => part && MENTIONS_FETCH.test(part.getText()))) return false;
  return !(ts.isBindingElement(holder) && functionName(enclosingFunctionNode(holder)) === 'load');
}

/** A function's name, or the name of the variable it is assigned to (`const load = async () => ...`). */
function functionName(fn: ts.SignatureDeclaration | undefined): string {
  if (!fn) return '';
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const parent = semanticParent(fn);
  return parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)
    ? parent.name.text
    : '';
}

/** Whether `call` makes an HTTP request (`fetch`, axios, got, ky, undici). */
export function isHttpCall(model: TsModel, call: TsCall): boolean {
  if (call.isNew || call.isTaggedTemplate) return false;
  const { callee, name } = call;
  if (callee === 'fetch' && callsLocalFetch(call)) return false;
  if (
    callee === 'fetch' ||
    callee === '$fetch' ||
    callee === 'ofetch' ||
    callee === 'globalThis.fetch'
  )
    return true;
  if (HTTP_CLIENTS.has(callee)) return true;
  if (callee === 'request' && importedFrom(model, 'request') === 'undici') return true;
  const receiver = call.receiverText;
  if (!receiver || !HTTP_VERBS.has(name)) return false;
  if (HTTP_CLIENTS.has(receiver)) return true;
  return !receiver.includes('.') && isHttpClientInstance(model, receiver);
}

const FS_MODULES = new Set(['fs', 'node:fs', 'fs-extra', 'graceful-fs']);
const CHILD_PROCESS_MODULES = new Set(['child_process', 'node:child_process']);
const ZLIB_MODULES = new Set(['zlib', 'node:zlib']);
const CRYPTO_MODULES = new Set(['crypto', 'node:crypto']);
const BLOCKING_CRYPTO = new Set(['pbkdf2Sync', 'scryptSync', 'generateKeyPairSync']);

export type BlockingKind = 'fs' | 'process' | 'zlib' | 'crypto';

/** Synchronous I/O or CPU-heavy calls that block the event loop (`fs.readFileSync`, `execSync`). */
export function blockingCall(model: TsModel, call: TsCall): BlockingKind | undefined {
  if (call.isNew || call.isTaggedTemplate || !call.name.endsWith('Sync')) return undefined;
  const root = call.receiverText ?? call.callee;
  const module = importedFrom(model, root.split('.')[0]);
  const from = (modules: Set<string>, fallbackName: string): boolean =>
    module ? modules.has(module) : root === fallbackName;
  if (call.receiverText) {
    if (from(FS_MODULES, 'fs')) return 'fs';
    if (from(CHILD_PROCESS_MODULES, 'child_process')) return 'process';
    if (from(ZLIB_MODULES, 'zlib')) return 'zlib';
    if (from(CRYPTO_MODULES, 'crypto') && BLOCKING_CRYPTO.has(call.name)) return 'crypto';
    return undefined;
  }
  if (!module) return undefined;
  if (FS_MODULES.has(module)) return 'fs';
  if (CHILD_PROCESS_MODULES.has(module)) return 'process';
  if (ZLIB_MODULES.has(module)) return 'zlib';
  if (CRYPTO_MODULES.has(module) && BLOCKING_CRYPTO.has(call.name)) return 'crypto';
  return undefined;
}

/** Methods that register a handler for one HTTP method on a path (`app.get('/x', handler)`). */
export const HTTP_METHOD_REGISTRATIONS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'del',
  'all',
  'head',
  'options',
]);
const ROUTE_METHODS = new Set([...HTTP_METHOD_REGISTRATIONS, 'route']);
const APP_NAME = /^(?:app|router|server|fastify|instance|api|routes|hono|express)$/i;
const NEXT_ROUTE_FILE = /(?:^|\/)app\/(?:.*\/)?route\.[mc]?[jt]sx?$/;
const NEXT_PAGES_API = /(?:^|\/)pages\/api\//;
const NEXT_HANDLER_NAMES = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const NEST_ROUTE_DECORATORS = /^(?:Get|Post|Put|Patch|Delete|All|Head|Options)$/;
/** Next.js app-router server components rendered per request (unless statically built). */
const NEXT_PAGE_FILE = /(?:^|\/)app\/(?:.*\/)?(?:page|layout)\.[mc]?[jt]sx?$/;
const REMIX_ROUTE_FILE = /(?:^|\/)app\/routes\//;

/** A `'use client'` / `'use server'` directive as the file's first statement. */
export function fileDirective(model: TsModel): string | undefined {
  const first = model.sourceFile.statements[0];
  if (!first || !ts.isExpressionStatement(first) || !ts.isStringLiteral(first.expression))
    return undefined;
  return first.expression.text;
}

/** A `'use server'` directive at the top of a function body: an inline Next.js server action. */
function hasUseServerDirective(fn: TsFunction): boolean {
  const body = (fn.node as { body?: ts.Node }).body;
  if (!body || !ts.isBlock(body)) return false;
  const first = body.statements[0];
  return (
    !!first &&
    ts.isExpressionStatement(first) &&
    ts.isStringLiteral(first.expression) &&
    first.expression.text === 'use server'
  );
}

/** `export default function Page()`, `export default () => ...`, or `export default Page`. */
function isDefaultExport(model: TsModel, fn: TsFunction): boolean {
  if (fn.name === 'default') return true;
  const node = fn.node;
  if (ts.canHaveModifiers(node) && ts.getModifiers(node)?.some(isDefaultKeyword)) return true;
  return model.sourceFile.statements.some(
    (statement) =>
      ts.isExportAssignment(statement) &&
      !statement.isExportEquals &&
      ts.isIdentifier(statement.expression) &&
      statement.expression.text === fn.name,
  );
}

function isDefaultKeyword(modifier: ts.ModifierLike): boolean {
  return modifier.kind === ts.SyntaxKind.DefaultKeyword;
}

/**
 * Framework entry points that run per request without a `(req, res)` signature: Next.js server
 * components (`app/**\/page.tsx`, `layout.tsx`) and `generateMetadata`, `getServerSideProps`,
 * server actions (`'use server'`), and Remix `loader`/`action` exports.
 */
function isFrameworkRequestEntry(model: TsModel, fn: TsFunction): boolean {
  if (hasUseServerDirective(fn)) return true;
  if (fn.parent) return false;
  const path = model.relativePath;
  const directive = fileDirective(model);
  if (NEXT_PAGE_FILE.test(path) && directive !== 'use client' && isDefaultExport(model, fn))
    return true;
  if (!fn.exported) return false;
  if (fn.name === 'getServerSideProps') return true;
  if (directive === 'use server' && fn.isAsync) return true;
  if (NEXT_PAGE_FILE.test(path) && directive !== 'use client')
    return fn.name === 'generateMetadata';
  return REMIX_ROUTE_FILE.test(path) && (fn.name === 'loader' || fn.name === 'action');
}

/** `app.get('/path', ...)`, `router.post(...)`, `fastify.route(...)`: a call that registers a route. */
export function isRouteRegistration(call: TsCall | undefined): boolean {
  if (!call || call.isNew || !ROUTE_METHODS.has(call.name) || !call.receiverText) return false;
  const last = call.receiverText.split('.').pop() ?? '';
  if (!APP_NAME.test(last)) return false;
  if (call.name === 'route') return true;
  const [path] = call.args;
  return !!path && (ts.isStringLiteralLike(path) || ts.isTemplateExpression(path));
}

function isHonoOpenApiModule(module: string): boolean {
  return module === '@hono/zod-openapi';
}

/**
 * `app.openapi(route, handler)`: a route of an `OpenAPIHono` app (`@hono/zod-openapi`), in a file
 * that imports that package (for `createRoute`, `OpenAPIHono`, `z`). Zod schemas there have an
 * `.openapi(...)` method too, so the receiver must be named like an app (`app`, `api`) or be made
 * here by `new OpenAPIHono()` (`const incidentsApi = new OpenAPIHono()`).
 */
function isOpenApiRouteRegistration(model: TsModel, call: TsCall | undefined): boolean {
  if (!call || call.isNew || call.name !== 'openapi' || call.args.length < 2) return false;
  if (!importsModule(model, isHonoOpenApiModule)) return false;
  const last = call.receiverText?.split('.').pop() ?? '';
  return APP_NAME.test(last) || isOpenApiHonoInstance(model, call);
}

/** Whether the receiver of `call` is a variable of the file made by `new OpenAPIHono(...)`. */
function isOpenApiHonoInstance(model: TsModel, call: TsCall): boolean {
  const callee = unwrap((call.node as ts.CallExpression).expression);
  const receiver = ts.isPropertyAccessExpression(callee) ? unwrap(callee.expression) : undefined;
  const declaration = receiver && ts.isIdentifier(receiver) ? declarationOf(receiver) : undefined;
  const variable = declaration?.parent;
  const made =
    variable && ts.isVariableDeclaration(variable) && variable.initializer
      ? unwrap(variable.initializer)
      : undefined;
  if (!made || !ts.isNewExpression(made) || !ts.isIdentifier(made.expression)) return false;
  const imported = model.imports.get(made.expression.text);
  return imported?.imported === 'OpenAPIHono' && isHonoOpenApiModule(imported.module);
}

/**
 * `GET /incidents` for the handler of `app.openapi(listRoute, ...)` when `listRoute` is a
 * `createRoute({ method: 'get', path: '/incidents' })` of the file; else the route's name.
 */
export function openApiRouteLabel(call: TsCall): string | undefined {
  const route = call.args[0] && unwrap(call.args[0]);
  if (!route || !ts.isIdentifier(route)) return undefined;
  const declaration = declarationOf(route)?.parent;
  const made = declaration && ts.isVariableDeclaration(declaration) && declaration.initializer;
  const config = made && ts.isCallExpression(made) ? made.arguments[0] : undefined;
  if (config && ts.isObjectLiteralExpression(config)) {
    const method = stringPropertyValue(config, 'method');
    const path = stringPropertyValue(config, 'path');
    if (method && path) return `${method.toUpperCase()} ${path}`;
  }
  return route.text;
}

function hasNestRouteDecorator(node: ts.Node): boolean {
  if (!ts.canHaveDecorators(node)) return false;
  return (ts.getDecorators(node) ?? []).some((decorator) => {
    const expression = decorator.expression;
    const callee = ts.isCallExpression(expression) ? expression.expression : expression;
    return ts.isIdentifier(callee) && NEST_ROUTE_DECORATORS.test(callee.text);
  });
}

/**
 * Method decorators of GraphQL resolvers (`@nestjs/graphql`, TypeGraphQL): each decorated method
 * answers part of a request. `@ResolveField()` / `@FieldResolver()` run once per parent object.
 */
const GRAPHQL_OPERATION_DECORATORS = new Set([
  'Query',
  'Mutation',
  'Subscription',
  'ResolveField',
  'ResolveProperty',
  'FieldResolver',
]);
const GRAPHQL_MODULES = new Set(['@nestjs/graphql', 'type-graphql']);

/**
 * A decorator's name as its module exports it, and the module: `Query` from `@nestjs/graphql` for
 * `@Query(() => [User])`, `@GqlQuery()` (imported as an alias) or `@graphql.Query()`.
 */
export function decoratorOrigin(
  model: TsModel,
  decorator: ts.Decorator,
): { name: string; module?: string } | undefined {
  const expression = decorator.expression;
  const callee = ts.isCallExpression(expression) ? expression.expression : expression;
  if (ts.isIdentifier(callee)) {
    const imported = model.imports.get(callee.text);
    return imported && imported.imported !== '*' && imported.imported !== 'default'
      ? { name: imported.imported, module: imported.module }
      : { name: callee.text };
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    const namespace = model.imports.get(callee.expression.text);
    return { name: callee.name.text, module: namespace?.module };
  }
  return undefined;
}

function decoratorOrigins(model: TsModel, node: ts.Node): { name: string; module?: string }[] {
  if (!ts.canHaveDecorators(node)) return [];
  return (ts.getDecorators(node) ?? [])
    .map((decorator) => decoratorOrigin(model, decorator))
    .filter((origin): origin is { name: string; module?: string } => !!origin);
}

/**
 * A GraphQL resolver method: `@Query()`, `@Mutation()`, `@Subscription()` or `@ResolveField()`
 * imported from `@nestjs/graphql` (or TypeGraphQL), or in a class decorated `@Resolver(...)`.
 * Only method decorators count: `@Query() filter` on a parameter of a REST controller method
 * (`@nestjs/common`) reads the query string and does not make a resolver.
 */
function isGraphqlResolverMethod(model: TsModel, method: ts.MethodDeclaration): boolean {
  const operations = decoratorOrigins(model, method).filter((origin) =>
    GRAPHQL_OPERATION_DECORATORS.has(origin.name),
  );
  if (operations.length === 0) return false;
  if (operations.some((origin) => origin.module && GRAPHQL_MODULES.has(origin.module))) return true;
  const owner = method.parent;
  return (
    ts.isClassLike(owner) &&
    decoratorOrigins(model, owner).some(
      (origin) =>
        origin.name === 'Resolver' && (!origin.module || GRAPHQL_MODULES.has(origin.module)),
    )
  );
}

/**
 * The handler a Next.js route file exports through a wrapper call holding `call`: `GET` for
 * `export const GET = withWorkspace(async ({ workspace }) => ...)` and for `handler` in
 * `export const POST = withAuth(withRateLimit(handler))` (wrappers may nest). Only a top-level
 * exported `const` named for an HTTP method counts: that is the function Next.js calls per request.
 */
function wrappedHandlerExport(call: ts.CallExpression): string | undefined {
  let node: ts.Node = call;
  let parent = semanticParent(node);
  while (
    parent &&
    ts.isCallExpression(parent) &&
    parent.arguments.some((arg) => unwrap(arg) === node)
  ) {
    node = parent;
    parent = semanticParent(node);
  }
  if (!parent || !ts.isVariableDeclaration(parent) || !ts.isIdentifier(parent.name)) return;
  if (!NEXT_HANDLER_NAMES.has(parent.name.text)) return;
  const statement = parent.parent?.parent;
  if (!statement || !ts.isVariableStatement(statement) || !ts.isSourceFile(statement.parent))
    return;
  const exported = ts
    .getModifiers(statement)
    ?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword);
  return exported ? parent.name.text : undefined;
}

/**
 * For a function written as an argument of a wrapper (`withWorkspace(async (...) => ...)`): the
 * Next.js handler export the wrapper makes, `GET` in `export const GET = withWorkspace(...)`.
 */
export function wrappedNextHandlerName(fn: TsFunction): string | undefined {
  const call = fn.callbackOf;
  if (!call || call.isNew || !ts.isCallExpression(call.node) || fn.parent) return undefined;
  if (!call.args.some((arg) => unwrap(arg) === fn.node)) return undefined;
  return wrappedHandlerExport(call.node);
}

/**
 * A function of a Next.js route file that an exported handler wraps: written inside the wrapper
 * call, or a top-level function of the file passed to it by name (`withAuth(handler)`).
 */
function isWrappedNextRouteHandler(model: TsModel, fn: TsFunction): boolean {
  if (fn.parent || !NEXT_ROUTE_FILE.test(model.relativePath)) return false;
  if (wrappedNextHandlerName(fn)) return true;
  if (!fn.name || fn.callbackOf) return false;
  return model.calls.some(
    (call) =>
      !call.fn &&
      !call.isNew &&
      ts.isCallExpression(call.node) &&
      call.args.some((arg) => {
        const inner = unwrap(arg);
        return ts.isIdentifier(inner) && inner.text === fn.name;
      }) &&
      wrappedHandlerExport(call.node) !== undefined,
  );
}

/** A Next.js route handler export made of functions written elsewhere: `GET` and `listLinks`. */
export interface RouteExportOfNames {
  declaration: ts.VariableDeclaration & { name: ts.Identifier };
  /** The names the export's wrappers are given (`listLinks` of `withWorkspace(listLinks)`). */
  names: ts.Identifier[];
}

/**
 * The exported route handlers of a Next.js route file that name the function they run rather
 * than write it: `export const GET = withWorkspace(listLinks)`, `export const POST =
 * withAuth(withRateLimit(createLink))` (wrappers may nest) or `export const GET = listLinks`. With
 * the function imported from another module, only the index can tell that it runs per request.
 * Empty for any other file.
 */
export function routeExportsOfNames(model: TsModel): RouteExportOfNames[] {
  if (!NEXT_ROUTE_FILE.test(model.relativePath)) return [];
  const found: RouteExportOfNames[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !NEXT_HANDLER_NAMES.has(declaration.name.text))
        continue;
      const names = declaration.initializer ? wrappedNames(declaration.initializer) : [];
      if (names.length > 0)
        found.push({ declaration: declaration as RouteExportOfNames['declaration'], names });
    }
  }
  return found;
}

/**
 * A request handler a Next.js route file or API route exports from an export list: under an HTTP
 * method name (`export { handler as GET, handler as POST } from './links'`, `export { GET } from
 * '@/lib/route'`, `export { listLinks as GET }`) or, for an API route, as `default` (`export {
 * default } from '@/lib/legacy-handler'`).
 */
export interface ListedRouteExport {
  element: ts.ExportSpecifier;
  /** The module named by `from`; undefined for names of this file (declared or imported). */
  specifier?: string;
}

const listedRouteExportsCache = new WeakMap<TsModel, ListedRouteExport[]>();

/** The file's request handlers exported from export lists; empty outside route files. */
export function listedRouteExports(model: TsModel): ListedRouteExport[] {
  let found = listedRouteExportsCache.get(model);
  if (found) return found;
  found = [];
  const route = NEXT_ROUTE_FILE.test(model.relativePath);
  if (route || NEXT_PAGES_API.test(model.relativePath)) {
    for (const statement of model.sourceFile.statements) {
      if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
      const clause = statement.exportClause;
      if (!clause || !ts.isNamedExports(clause)) continue;
      const from = statement.moduleSpecifier;
      const specifier = from && ts.isStringLiteral(from) ? from.text : undefined;
      if (from && !specifier) continue;
      for (const element of clause.elements) {
        const exported = element.name.text;
        if (element.isTypeOnly) continue;
        if (route ? NEXT_HANDLER_NAMES.has(exported) : exported === 'default')
          found.push({ element, specifier });
      }
    }
  }
  listedRouteExportsCache.set(model, found);
  return found;
}

/** A top-level function of a route file exported as a handler by an export list of the file. */
function isListedRouteHandler(model: TsModel, fn: TsFunction): boolean {
  if (fn.parent || !fn.name) return false;
  return listedRouteExports(model).some(
    ({ element, specifier }) =>
      !specifier && (element.propertyName ?? element.name).text === fn.name,
  );
}

/** The names a wrapper chain is given: `handler` of `withAuth(withRateLimit(handler), opts)`. */
function wrappedNames(expression: ts.Expression): ts.Identifier[] {
  const node = unwrap(expression);
  if (ts.isIdentifier(node)) return [node];
  if (!ts.isCallExpression(node)) return [];
  return node.arguments.flatMap(wrappedNames);
}

/** The methods of a tRPC procedure builder that take its resolver. */
const PROCEDURE_RESOLVER_METHODS = new Set(['query', 'mutation', 'subscription']);

/**
 * `publicProcedure.input(schema).query(resolver)` (also `.mutation`, `.subscription`): the call
 * that gives a tRPC procedure the function run for each call of it.
 */
export function isProcedureResolverCall(call: TsCall): boolean {
  return (
    !call.isNew &&
    PROCEDURE_RESOLVER_METHODS.has(call.name) &&
    /procedure/i.test(call.receiverText ?? call.callee)
  );
}

/**
 * A tRPC procedure whose resolver is named rather than written: `.query(getLinksHandler)`, or a
 * member of an object or instance (`.query(linksController.list)`), also handed through a wrapper
 * (`.query(withAudit(getLinksHandler))`).
 */
export interface ProcedureResolverName {
  call: TsCall;
  /** The function's name, or the object's for a member (`linksController`). */
  name: ts.Identifier;
  /** The member given, `list` of `linksController.list`; undefined for a plain name. */
  member?: string;
}

const procedureResolverNamesCache = new WeakMap<TsModel, ProcedureResolverName[]>();

/**
 * The file's tRPC procedures given a function by name, `getAll:
 * publicProcedure.input(schema).query(getLinksHandler)` (the router -> controller -> service
 * layout of T3 apps), whether the function is written in the file or imported, or given as a
 * member of a controller object or instance (`.query(linksController.list)`). Computed once per
 * file: `isRequestHandler` asks it for each function.
 */
export function procedureResolverNames(model: TsModel): ProcedureResolverName[] {
  let found = procedureResolverNamesCache.get(model);
  if (found) return found;
  found = [];
  for (const call of model.calls) {
    if (!isProcedureResolverCall(call)) continue;
    const [resolver] = call.args;
    if (resolver) found.push(...resolverReferences(call, resolver));
  }
  procedureResolverNamesCache.set(model, found);
  return found;
}

/**
 * The functions a resolver argument names: `getLinks`, `linksController.list`, or those a
 * wrapper is given (`withAudit(getLinks)`, wrappers may nest): the wrapper calls them per call of
 * the procedure. A function written in place is the resolver itself, not a reference.
 */
function resolverReferences(call: TsCall, argument: ts.Expression): ProcedureResolverName[] {
  const node = unwrap(argument);
  if (ts.isIdentifier(node)) return [{ call, name: node }];
  if (ts.isPropertyAccessExpression(node)) {
    const object = unwrap(node.expression);
    return ts.isIdentifier(object) ? [{ call, name: object, member: node.name.text }] : [];
  }
  if (!ts.isCallExpression(node)) return [];
  return node.arguments.flatMap((inner) => resolverReferences(call, inner));
}

/**
 * `.query(withAudit(async ({ input }) => ...))`: the procedure resolver call that `wrapper` (a
 * call a function is written in) is handed to as the resolver, through nested wrappers; the
 * wrapper calls the function per call of the procedure. Read from the syntax, as a callback's
 * wrapper may be any call.
 */
export function wrappingProcedure(wrapper: ts.Node): ts.CallExpression | undefined {
  let node = wrapper;
  for (let parent = semanticParent(node); parent; parent = semanticParent(node)) {
    if (!ts.isCallExpression(parent) || !parent.arguments.some((arg) => unwrap(arg) === node))
      return undefined;
    if (isProcedureResolverNode(parent))
      return unwrap(parent.arguments[0]) === node ? parent : undefined;
    node = parent;
  }
  return undefined;
}

/** `<procedure builder>.query(...)` by its syntax, as `isProcedureResolverCall` reads a call. */
function isProcedureResolverNode(node: ts.CallExpression): boolean {
  const callee = unwrap(node.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    PROCEDURE_RESOLVER_METHODS.has(callee.name.text) &&
    /procedure/i.test(callee.expression.getText())
  );
}

/**
 * A top-level function of the file that a tRPC procedure is given by name (`.query(getLinks)`
 * with `const getLinks = async ({ input }) => ...` above): the name must resolve to this very
 * declaration, not to an import or a shadowing local.
 */
function isNamedProcedureResolver(model: TsModel, fn: TsFunction): boolean {
  if (!fn.name || fn.parent || fn.className || fn.callbackOf) return false;
  return procedureResolverNames(model).some(
    ({ name, member }) =>
      !member && name.text === fn.name && declarationOf(name)?.getStart() === fn.nameStart,
  );
}

/**
 * Whether `fn` handles a request: a callback registered on an Express/Fastify/Hono app or router
 * (also an `OpenAPIHono` one's `app.openapi(route, handler)`),
 * a Fastify `handler:` option, a Next.js route handler (also one an exported `GET`/`POST`/...
 * wraps: `export const GET = withAuth(handler)`, or one of the file exported by an export list:
 * `export { handler as GET }`) or API route, a tRPC procedure's resolver
 * (written inline, also inside a wrapper it is given, `.query(withAudit(async () => ...))`, or a
 * function of the file it is given by name: `.query(getLinks)`), a NestJS
 * route method, a GraphQL resolver method (NestJS, TypeGraphQL), a Next.js server component, `getServerSideProps` or server action, a Remix
 * `loader`/`action`, a Strapi controller action or service method, or a `(req, res)` /
 * `(request, reply)` callback.
 */
export function isRequestHandler(model: TsModel, fn: TsFunction): boolean {
  if (isRouteRegistration(fn.callbackOf)) return true;
  if (isOpenApiRouteRegistration(model, fn.callbackOf)) return true;
  const parent = semanticParent(fn.node);
  if (parent && ts.isPropertyAssignment(parent) && propertyName(parent) === 'handler') {
    const call = parent.parent?.parent;
    if (call && ts.isCallExpression(call)) {
      const method = ts.isPropertyAccessExpression(call.expression)
        ? call.expression.name.text
        : '';
      if (ROUTE_METHODS.has(method)) return true;
    }
  }
  if (fn.exported && !fn.parent) {
    if (NEXT_ROUTE_FILE.test(model.relativePath) && NEXT_HANDLER_NAMES.has(fn.name)) return true;
    if (NEXT_PAGES_API.test(model.relativePath) && fn.name === 'default') return true;
  }
  if (isListedRouteHandler(model, fn)) return true;
  if (isWrappedNextRouteHandler(model, fn)) return true;
  const callback = fn.callbackOf;
  if (callback && isProcedureResolverCall(callback)) return true;
  if (callback && wrappingProcedure(callback.node)) return true;
  if (isNamedProcedureResolver(model, fn)) return true;
  if (
    ts.isMethodDeclaration(fn.node) &&
    (hasNestRouteDecorator(fn.node) || isGraphqlResolverMethod(model, fn.node))
  )
    return true;
  if (isFrameworkRequestEntry(model, fn)) return true;
  if (isStrapiApiMethod(model, fn)) return true;
  const [first, second] = fn.params;
  return /^_?(?:req|request)$/.test(first ?? '') && /^_?(?:res|response|reply)$/.test(second ?? '');
}

function propertyName(node: ts.PropertyAssignment): string {
  return ts.isIdentifier(node.name) || ts.isStringLiteralLike(node.name) ? node.name.text : '';
}

/**
 * Test code only (`__tests__/`, `test/`, `e2e/`, `*.spec.ts`, `*.test.ts`), not scripts,
 * migrations or config: what it sets up (a database type, an index) exists only in the tests.
 */
export function isTestFilePath(relativePath: string): boolean {
  return (
    /(?:^|\/)(?:__tests__|tests?|e2e|cypress)\//.test(relativePath) ||
    /\.(?:test|spec|e2e)\.[mc]?[jt]sx?$/.test(relativePath)
  );
}

/**
 * Files that are not request paths: tests, seeds, scripts, command-line tools (`bin/`, `cli/`,
 * `cli.ts`), migrations, build config and task files. A monorepo package named `cli`
 * (`packages/cli/`, n8n's server) is a package like any other: only a `cli/` folder within one
 * holds command-line code.
 */
export function isScriptOrTestPath(relativePath: string): boolean {
  return (
    /(?:^|\/)(?:__tests__|tests?|scripts?|bin|migrations?|seeds?|e2e|cypress|fixtures?)\//.test(
      relativePath,
    ) ||
    /(?:^|\/)(?<!(?:^|\/)(?:packages|apps|libs)\/)cli\//.test(relativePath) ||
    /(?:^|\/)cli\.[mc]?[jt]s$/.test(relativePath) ||
    /\.(?:test|spec|e2e|stories)\.[mc]?[jt]sx?$/.test(relativePath) ||
    /(?:^|\/)(?:seed|[\w.-]*\.config)\.[mc]?[jt]s$/.test(relativePath) ||
    /(?:^|\/)(?:gulpfile|gruntfile|jakefile)(?:\.[\w-]+)?\.[mc]?[jt]s$/i.test(relativePath)
  );
}
