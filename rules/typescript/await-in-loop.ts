import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { ts } from '../../server/src/typescript/compiler';
import { batchAdvice } from '../../server/src/typescript/batch-advice';
import { helperAccess, HelperIoFinder, type HelperIo } from '../../server/src/typescript/helper-io';
import type { IndexedFunction } from '../../server/src/workspace/index';
import {
  awaitedHow,
  ioCallOf,
  runsOnTransaction,
  type IoCall,
} from '../../server/src/typescript/io-calls';
import { limiterCallAround } from '../../server/src/typescript/concurrency-limit';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { flushesMikroOrm } from '../../server/src/typescript/mikro-orm';
import { indentationAt } from '../../server/src/typescript/name-resolution';
import { dispatchesPerItem } from '../../server/src/typescript/per-item-dispatch';
import { indentUnitAt, reindentedText } from '../../server/src/typescript/reindent';
import { readsNothingTheLoopChanges } from '../../server/src/typescript/loop-invariance';
import {
  concurrentMapAround,
  describeLoop,
  findDeclaration,
  isEvidentlyArray,
  repeatingLoop,
} from '../../server/src/typescript/loop-repetition';
import {
  calleeDisplay,
  enclosingFunctions,
  type TsCall,
  type TsFunction,
  type TsLoop,
  type TsModel,
} from '../../server/src/typescript/model';
import {
  assignedRoot,
  assignmentsIn,
  boundNames,
  declaredNamesIn,
} from '../../server/src/typescript/references';

const RULE_ID = 'await-in-loop';
const FIX_TITLE = 'Run the iterations concurrently with `Promise.all`';
/** The advice for a read that sends the same query on every pass (the house wording of Python's). */
const HOIST =
  'it reads nothing the loop changes: if its answer is the same on every pass, run it once before the loop';
/** The same for the callbacks of a used `xs.map(async ...)`, which send their queries at once. */
const HOIST_CONCURRENT =
  'it reads nothing the callback changes, so every item sends the same query, concurrently, each taking a connection from the pool: if its answer is the same for every item, run it once before the `map`';

/**
 * Callbacks run inside a transaction: its queries share one connection and run one at a time.
 * `tx` is pg-promise's (`db.tx(async (t) => ...)`) and that of Prisma services wrapping
 * `$transaction` (`this.prismaService.$tx(async (prisma) => ...)`).
 */
const TRANSACTION = /^\$?(?:transaction|tx)$/;
/** Methods that change a collection (or stream) in an order-dependent way. */
const MUTATORS =
  /^(?:push|unshift|splice|pop|shift|set|add|delete|clear|sort|reverse|fill|copyWithin|append|write|emit|end)$/;

function costOf(io: IoCall): string {
  if (io.kind === 'http') return 'an HTTP request';
  return 'a database round trip';
}

/** The file a helper lives in, relative to the workspace root when the paths allow it. */
function displayFile(ctx: FileContext, file: string): string {
  const normalized = file.replace(/\\/g, '/');
  const own = ctx.file.replace(/\\/g, '/');
  if (own.endsWith(ctx.relativePath)) {
    const root = own.slice(0, own.length - ctx.relativePath.length);
    if (root && normalized.startsWith(root)) return normalized.slice(root.length);
  }
  return normalized;
}

/** The named function whose facts a call belongs to (anonymous callbacks belong to their parent). */
function namedOwner(call: TsCall): TsFunction | undefined {
  let fn = call.fn;
  while (fn && !fn.name && fn.parent) fn = fn.parent;
  return fn?.name ? fn : undefined;
}

/**
 * The message for an awaited helper that reaches a query or request. `serial`: the helper queries
 * through a transaction the call hands it, on one connection, so `Promise.all` gains nothing.
 * `hoist`: the advice for a call that is the same on every pass; `concurrent`: the callbacks run
 * together, and only such a call is worth a message (undefined otherwise).
 */
function helperMessage(
  ctx: FileContext,
  call: TsCall,
  io: HelperIo,
  loop: TsLoop,
  serial: boolean,
  model: TsModel,
  hoist: string | undefined,
  concurrent: boolean,
): string | undefined {
  const where = describeLoop(loop, model);
  const last = io.chain[io.chain.length - 1];
  const cost = io.effect.kind === 'http' ? 'an HTTP request' : 'a query';
  const through =
    io.chain.length > 1
      ? ` through ${io.chain
          .slice(1)
          .map((step) => `\`${step.fn.name}()\``)
          .join(' → ')}`
      : '';
  const caller = namedOwner(call);
  const isCaller = (step: IndexedFunction): boolean =>
    !!caller && step.file === ctx.file && step.fn.start === caller.start;
  const recursive = io.chain.some(isCaller);
  // A batch overload calling its single-item path per item recurses once, over no tree.
  const dispatch = !!caller && isCaller(io.chain[0]) && dispatchesPerItem(call, loop, caller);
  const effect = `\`${io.effect.callee}(...)\` in ${displayFile(ctx, last.file)}`;
  if (dispatch && helperAccess(io).writes)
    return (
      `\`${call.callee}()\` calls the single-item \`${io.chain[0].fn.name}()\` ${where}: each ` +
      `call runs its own writes (${effect}); a batch write path (one multi-row statement) would ` +
      'avoid a round trip per item'
    );
  const what = `\`${call.callee}()\` makes ${cost}${through} (${effect})`;
  // Concurrent callbacks are reported only for the same query per item, which recursion is not.
  if (concurrent && (recursive || dispatch)) return undefined;
  if (hoist && !recursive && !dispatch) return `${what} and is awaited ${where}; ${hoist}`;
  const fix =
    !recursive || dispatch
      ? serial
        ? 'give the helper a batch variant that takes every id (its queries share the transaction, so `Promise.all` gains nothing)'
        : 'give the helper a batch variant that takes every id, or run the calls together with `Promise.all`'
      : io.effect.kind === 'http'
        ? "request each level's children together with `Promise.all`, or use an endpoint that returns the whole tree"
        : 'load the whole tree in one query (a recursive CTE) or one query per level';
  return `${what} and is awaited ${where}; ${fix}`;
}

/** Whether a call node is a query or request (`prisma.user.delete` is not a collection's `delete`). */
function isIoNode(model: TsModel, node: ts.CallExpression): boolean {
  const call = model.callAt(node);
  return !!call && !!ioCallOf(model, call);
}

/** Why a body cannot simply become a `Promise.all` callback, or undefined if it can. */
function bodyBlocker(
  model: TsModel,
  body: ts.Statement,
  binding: ts.BindingName,
): string | undefined {
  let blocker: string | undefined;
  const visit = (node: ts.Node, inFunction: boolean, innerBreakables: number): void => {
    if (blocker) return;
    if (ts.isFunctionLike(node)) inFunction = true;
    if (!inFunction) {
      if (ts.isReturnStatement(node) || ts.isYieldExpression(node)) blocker = 'exits';
      else if (ts.isBreakOrContinueStatement(node) && (node.label || innerBreakables === 0))
        blocker = 'exits';
      else if (
        ts.isVariableDeclarationList(node) &&
        !(node.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))
      )
        blocker = 'var';
    }
    const breakable = ts.isIterationStatement(node, false) || ts.isSwitchStatement(node);
    ts.forEachChild(node, (child) =>
      visit(child, inFunction, innerBreakables + (breakable ? 1 : 0)),
    );
  };
  visit(body, false, 0);
  if (blocker) return blocker;
  const local = declaredNamesIn(body, true);
  boundNames(binding, local);
  for (const assignment of assignmentsIn(body, true))
    if (assignment.roots.some((root) => !local.has(root))) return 'assigns outside';
  let mutates = false;
  const findMutation = (node: ts.Node): void => {
    if (mutates) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      MUTATORS.test(node.expression.name.text)
    ) {
      const root = assignedRoot(node.expression.expression);
      if ((!root || !local.has(root)) && !isIoNode(model, node)) mutates = true;
    }
    ts.forEachChild(node, findMutation);
  };
  findMutation(body);
  return mutates ? 'mutates outside' : undefined;
}

/** Whether `call` runs on a transaction (see `runsOnTransaction`) or inside a transaction callback. */
function inTransaction(model: TsModel, call: TsCall): boolean {
  if (runsOnTransaction(call, model)) return true;
  for (const fn of enclosingFunctions(call.fn))
    if (fn.callbackOf && TRANSACTION.test(fn.callbackOf.name)) return true;
  return false;
}

/** Whether the iterable is (or may well be) something other than an array: a Map, Set, iterator. */
function mayNotBeArray(iterable: ts.Expression, binding: ts.BindingName, from: ts.Node): boolean {
  if (isEvidentlyArray(iterable, from)) return false;
  const value = ts.isParenthesizedExpression(iterable) ? iterable.expression : iterable;
  if (ts.isNewExpression(value)) return true;
  if (ts.isCallExpression(value) && ts.isPropertyAccessExpression(value.expression)) {
    if (/^(?:keys|values|entries|matchAll)$/.test(value.expression.name.text)) return true;
  }
  if (ts.isIdentifier(value)) {
    const declaration = findDeclaration(value.text, from);
    if (declaration && !ts.isEnumDeclaration(declaration)) {
      const type = declaration.type?.getText() ?? '';
      if (
        /^(?:Readonly)?(?:Set|Map|Iterable|AsyncIterable|Generator|IterableIterator)\b/.test(type)
      )
        return true;
      const init = declaration.initializer;
      if (init && ts.isNewExpression(init)) return true;
    }
  }
  // `for (const [key, value] of x)` usually walks a Map's entries.
  return ts.isArrayBindingPattern(binding);
}

function needsParentheses(expression: ts.Expression): boolean {
  return !(
    ts.isIdentifier(expression) ||
    ts.isPropertyAccessExpression(expression) ||
    ts.isElementAccessExpression(expression) ||
    ts.isCallExpression(expression) ||
    ts.isArrayLiteralExpression(expression) ||
    ts.isParenthesizedExpression(expression) ||
    expression.kind === ts.SyntaxKind.ThisKeyword
  );
}

/**
 * A lone loop statement as a block body, on its own line one step in from the loop. A statement
 * already on a line of its own keeps its lines; one written on the loop's line moves one step in
 * (string and template literal text excepted).
 */
function blockOf(
  sourceFile: ts.SourceFile,
  statement: ts.Statement,
  indent: string,
  unit: string,
): string {
  const text = sourceFile.text;
  const start = statement.getStart(sourceFile);
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const onOwnLine = text.slice(lineStart, start).trim() === '';
  const body = onOwnLine
    ? statement.getText(sourceFile)
    : reindentedText(statement, sourceFile, unit);
  return `{\n${indent}${unit}${body}\n${indent}}`;
}

/**
 * `for (const x of xs) { ... }` → `await Promise.all(xs.map(async (x) => { ... }));`, when the
 * body is independent per item: no `break`/`continue`/`return`/`yield`, no `var`, no assignment
 * to or order-dependent mutation (`push`, `set`) of anything declared outside the body.
 */
function promiseAllFix(model: TsModel, call: TsCall, loop: TsLoop): Fix | undefined {
  const node = loop.node;
  if (!ts.isForOfStatement(node) || node.awaitModifier || call.fn !== loop.fn) return undefined;
  if (ts.isLabeledStatement(node.parent) || inTransaction(model, call)) return undefined;
  if (flushesMikroOrm(model, node.statement)) return undefined;
  const init = node.initializer;
  if (!ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return undefined;
  if (!(init.flags & (ts.NodeFlags.Const | ts.NodeFlags.Let))) return undefined;
  const binding = init.declarations[0].name;
  if (bodyBlocker(model, node.statement, binding)) return undefined;
  const { text, sourceFile } = model;
  const start = node.getStart(sourceFile);
  const iterableText = node.expression.getText(sourceFile);
  const iterable = needsParentheses(node.expression) ? `(${iterableText})` : iterableText;
  const parameter = binding.getText(sourceFile);
  const indent = indentationAt(text, start);
  const body = ts.isBlock(node.statement)
    ? node.statement.getText(sourceFile)
    : blockOf(sourceFile, node.statement, indent, indentUnitAt(sourceFile, node));
  const callback = `async (${parameter}) => ${body}`;
  const mapped = mayNotBeArray(node.expression, binding, node)
    ? `Array.from(${iterableText}, ${callback})`
    : `${iterable}.map(${callback})`;
  return {
    title: FIX_TITLE,
    safety: 'unsafe',
    edits: [{ start, end: node.end, newText: `await Promise.all(${mapped});` }],
  };
}

/** An awaited round trip (or an awaited call to a helper that makes one) once per loop item. */
export const awaitInLoop: Rule = {
  meta: {
    id: RULE_ID,
    language: 'typescript',
    category: 'n-plus-one',
    severity: 'warning',
    summary:
      '`await` of a query or HTTP request (`prisma.user.findUnique`, `fetch`) once per loop item',
    fix: { title: FIX_TITLE, safety: 'unsafe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds database queries and HTTP requests awaited once per item of a loop: in `for`, ' +
        '`for...of`, `for...in`, `while` and `do` bodies, in `for await` over arrays, and in ' +
        '`.forEach(async ...)` (and `reduce`/`filter`/`some` callbacks, or a `map` whose result is ' +
        'thrown away). A read that takes nothing from the loop (`findMany({ where: { organizationId } })` ' +
        'in `for (const doc of docs)`, `organizationId` a parameter or constant) sends the same query ' +
        'on every pass: the advice is to run it once before the loop, and such a read is also ' +
        'reported in the callbacks of `await Promise.all(docs.map(async (doc) => ...))`, which send ' +
        'it once per item all at once. Queries are Prisma Client calls (`prisma.user.findUnique`, `$queryRaw`; also ' +
        'with the model picked at run time, `prisma[model].update(...)`, `prisma.client[model]`; also ' +
        'on a client declared `PrismaClient` or with a workspace class that extends it, under any ' +
        'name, and through a repository wrapper whose field is declared with such a class: ' +
        "`this._users.model.user.update(...)` of `_users: PrismaRepository<'user'>` with `model: " +
        'Pick<PrismaService, T>`), ' +
        '`pool.query`/`client.query`, knex chains (on `knex`, `db` or `trx`, or on any name declared ' +
        "with knex's `Knex` or `Knex.Transaction` type: a field `this.database('users')...`, a " +
        'parameter; on an instance another module exports, imported under any name: ' +
        "`database('users')` of `import database from './db'` where `./db` says `export default " +
        "connection` of a `const connection = Knex({...})`, `const { db: conn } = require('./conn')` " +
        'of `module.exports = { db }`, a whole `require` of `module.exports = knex({...})`; ' +
        'or on a transaction of a knex instance, whatever it is called: the parameter of ' +
        '`db.transaction(async (t) => ...)` or `const t = await db.transaction()`, when `db` is ' +
        'declared `Knex`, made by the `knex` factory in the file, imported as above, or named ' +
        "`knex`/`db`; on whichever of such instances is there, `(tx || db)('users')...` or " +
        '`(tx ?? db)(...)` when every operand is one; also ' +
        'written builder-first on such an instance or transaction, the table named by a step: ' +
        "`trx.insert(row).into('events')`, `this.knex.select('id').from(t).first()`, " +
        '`knex.update(v).table(t).where(...)`, on a name `knex` or one recognised as above; ' +
        "awaited, or returned by an async helper, `return db('users').where({ id }).first()`, " +
        'which runs when the caller awaits the helper), ' +
        'Drizzle (`db.query.users.findFirst`, also on `this.db` and `ctx.db`, and ' +
        '`db.select()...` chains when awaited), Kysely builders run by `execute()`/`executeTakeFirst()` ' +
        "(`db.selectFrom('asset')...`, `trx.updateTable(...)...`, and ``sql`...`.execute(db)``), " +
        'postgres.js `sql` templates, Redis commands, and ' +
        'the query methods of a TypeORM `Repository`/`EntityManager`/`DataSource`, a Mongoose `Model` ' +
        '(also through the query built on it: `.lean()`, `.sort().limit()`, `.exec()`), a MikroORM ' +
        '`EntityManager`/`EntityRepository` (`find`, `findOne`, `count`, `native*`, `upsert`, ' +
        '`populate`, `flush`, `persistAndFlush`, ...; also one `@InjectRepository`/' +
        '`@InjectEntityManager` of `@mikro-orm/nestjs` injects, `orm.em`, `em.fork()`, ' +
        '`em.getRepository(Book)`, the manager of an `em.transactional(async (em) => ...)` ' +
        'callback, `RequestContext.getEntityManager()`, `DI.em` of a module object typed with ' +
        'one (or `DI.orm.em` of a member typed `MikroORM`), also imported from another module, a ' +
        'repository another module exports, and a variable holding one) and a Sequelize instance, ' +
        'when the receiver is declared with that type (a NestJS-injected field, a typed parameter ' +
        'or variable, or one initialised with `new Sequelize(...)`) imported from the ORM, or is ' +
        'a TypeORM object another one hands out: `ds.getRepository(Order)`, ' +
        '`manager.withRepository(orderRepository)`, `ds.manager`, ' +
        '`queryRunner.manager`, `ds.createQueryRunner()`, the manager of a `ds.transaction(async ' +
        '(manager) => ...)` callback, a variable holding one, and the repositories and manager of a ' +
        'data source declared in another file under its conventional name (`app.AppDataSource`, ' +
        '`dataSource`) or got from a getter (`getDataSource().getRepository(User)`), the ' +
        'repositories of an entity manager known only by its name in a file that imports TypeORM ' +
        '(`this.activeManager_.getRepository(Item)` or `.withRepository(this.orderRepository_)` in a ' +
        'Medusa service, whose base class declares ' +
        'the manager); TypeORM ' +
        'Active Record entities (a class extending `BaseEntity`, in any file, directly or through ' +
        'a base class): their statics (`User.findOneBy`, `find`, `save`, `delete`, ...; not ' +
        '`create`, which only builds an entity) and `save`/`remove`/`reload` on an instance a ' +
        'static loaded; custom repositories (a class extending `Repository<User>`): `this.find()` ' +
        'in its methods and its finders on a field declared with it; a repository a module ' +
        'exports (`export const users = AppDataSource.getRepository(User)`, or its ' +
        '`.extend({...})`), queried where it is imported; the repositories of a data source another ' +
        'module exports under any name (`export const databaseConnection = new DataSource(...)`, or a ' +
        'function declared to return one; `databaseConnection.getRepository(Flow)`), and of repository ' +
        'getters a factory another module exports makes (a function declared to return `(manager?) => ' +
        'Repository<T>`: `const flowRepo = repoFactory(FlowEntity)` here or exported from another ' +
        'module, then `flowRepo().findOneBy(...)`); ' +
        'and Sequelize models: the query statics (`User.findByPk`, `findAll`, `count`, `create`, ' +
        '`bulkCreate`, `update`, `destroy`, `upsert`, `findOrCreate`, ...) of a class that extends ' +
        '`Model` from `sequelize`, `sequelize-typescript` or `@sequelize/core`, directly or through ' +
        'base classes in any file (`class User extends ParanoidModel`), also as `this.findOne()` in ' +
        "its static methods and under scopes (`User.scope('full').findOne()`, " +
        '`User.unscoped().findAll()`), and `save`/`reload`/`destroy`/`update` on an instance whose class the ' +
        'code says (`user: User`, `users: User[]`, `const user = await User.findByPk(id)`, a loop over ' +
        '`await User.findAll()`); ' +
        'Mongoose models made with `mongoose.model(...)` or `model(...)` from `mongoose` (also ' +
        '`mongoose.models.X || mongoose.model(...)`, and `db.model(...)` of a connection: ' +
        '`mongoose.connection`, `mongoose.createConnection(...)`, its `useDb(...)`, or a name ' +
        'declared `Connection`), in the file or in another one that exports ' +
        'them (`export default mongoose.model(...)`, `export const X = model(...)`, ' +
        '`module.exports = mongoose.model(...)`, `exports.X = ...`), imported or `require`d: their ' +
        'query statics (`User.findById`, `updateOne`, `create`, ...) and `save`/`deleteOne` on a ' +
        'document such a static loaded; the statics such a model gets from a class its schema ' +
        'loads in the same file (`userSchema.loadClass(UserStatics)`, or a function of the file ' +
        "that loads one and returns the schema: `model('users', loadUserClass())`), followed into " +
        'their queries (`this.find(...)` in the static); Mongoose models known by their declared type, in any file: ' +
        '`Model<T>` from `mongoose` (or `mongoose.Model<T>`), an interface extending it or a type ' +
        "alias of it (Mongoose's way to type statics: `interface IBoardModel extends Model<IBoard> " +
        '{ ... }`), on a parameter, variable or field (also a field a base class declares: ' +
        '`this.MongooseModel.updateOne(...)` in a subclass of a repository base), and a member of an ' +
        'interface typed with one (`models.Boards.find()` of `models: IModels`, also through a ' +
        'request context, `{ models }: IContext`, or destructured from it, `{ models: { Boards } }: ' +
        "IContext`); a count or `distinct` chained on such a model's `find` " +
        '(`await Pipelines.find(q).countDocuments()`) is the round trip, advised as one `aggregate` ' +
        'grouped by the filtered field; ' +
        'native MongoDB driver collections (the `mongodb` package): a receiver declared ' +
        '`Collection<T>` imported from `mongodb` (a variable, parameter or class field), ' +
        "`db.collection('users')` of a `Db` (declared so, or `client.db(...)` of a `MongoClient` made " +
        'with `new MongoClient(url)`, declared, or got from `await MongoClient.connect(url)`), a ' +
        'variable holding one, a module-level collection another module exports (`export const ' +
        "users = client.db().collection('users')`), or `x.collection('orders')` of a `Db` another " +
        "module exports (`export const db = client.db('app')`, `export default client.db()`, " +
        '`module.exports = { db }`, or a function returning one, `getDb()`/`await getDb()`, declared ' +
        '`Promise<Db>` or returning `client.db()` or a module variable holding a `Db`): their commands (`findOne`, `countDocuments`, ' +
        '`estimatedDocumentCount`, `distinct`, `insertOne`, `updateOne`/`Many`, `deleteOne`/`Many`, ' +
        '`replaceOne`, `findOneAnd*`, `insertMany`, `bulkWrite`) and the read of a cursor that ' +
        '`find(...)`/`aggregate(...)` made (`.toArray()`, `.next()`, `.forEach()`), the advice ' +
        'being one `$in` query, `bulkWrite`/`insertMany`, or a `$lookup`; ' +
        'Strapi queries from the `strapi` object (a global, or the `{ strapi }` of a factory ' +
        "parameter) naming a content type (a uid string such as `'api::article.article'`, or a " +
        "variable): the Query Engine's `strapi.db.query(uid)` (and `strapi.query(uid)`) " +
        '`findOne`/`findMany`/`findPage`/`findWithCount`/`count`/`create`/`update`/`delete`/' +
        '`createMany`/`updateMany`/`deleteMany`, `strapi.entityService.<method>(uid, ...)` and ' +
        "Strapi 5's `strapi.documents(uid)` methods (also `findFirst`, `publish`, `unpublish`), " +
        'the advice being one `findMany` over the ids (`where`/`filters: { id: { $in: ids } }`), ' +
        '`populate` for a relation, or the bulk writes; ' +
        'Objection.js models (a class extending `Model` imported or `require`d from `objection`, ' +
        'directly or through base classes in any file, also `module.exports = class Group extends ' +
        "Model`): an awaited query chain started by the class's `query()` or `relatedQuery(...)` " +
        "(`Page.query().findById(id)`, `.patch(v).where('key', k)`, `.insert(row)`, " +
        '`.deleteById(id)`), or by `$query()`/`$relatedQuery(...)` on an instance whose class the ' +
        'code says (`const page = await Page.query().findById(id)`, `page: Page`, an item of a ' +
        'loop over `await Page.query().where(...)`, also when the answer is written into it: ' +
        "`page.tags = await page.$relatedQuery('tags')`); " +
        'requests are `fetch`, axios, got, ky and undici. An awaited call to a workspace function ' +
        'that makes such a call, directly or through further helpers in any file, counts too ' +
        '(also a method of a module-level instance another module exports: `export const mailer = ' +
        'new Mailer()`, `export { gateway as pushService }`, `exports.webhooks = new Sender()`, ' +
        '`module.exports = new Pager()` then `require`d whole; or a closure of a factory that ' +
        'returns an object of them, Infisical-style: `userDAL.findById(id)` where `userDAL` is ' +
        'declared `ReturnType<typeof userDALFactory>`, an alias of it, a `Pick`/`Omit` of one, or a ' +
        'property of an object type holding one, `{ userDAL }: TDeps`, in this file or another, and ' +
        'the factory returns `{ findById }` or `{ findById: async (id) => ... }`, or the same ' +
        "object bound by `@corentinth/chisels`'s `injectArguments({ findById }, { db })`, " +
        'Papra-style, which calls each function with the bound arguments; also a module-level ' +
        '`export const repo = injectArguments({ findById }, { db })`); the message names the helper and ' +
        'the query it reaches. A method that calls itself in the loop is told apart by what it ' +
        'hands the call: a child of the current node is a tree walk (one query for the whole tree, ' +
        'a recursive CTE), an item of the array the method was itself given (`for (const item of ' +
        'toArray(data)) await this.update(item, key)`) is a batch overload running its single-item ' +
        'path per item (a batch write path when that path writes).',
      whyIsThisBad:
        'Each `await` waits for a full round trip before the next item starts: 200 orders cost 200 ' +
        'sequential queries, so the handler takes 200 × the latency (2 ms to a local database, ' +
        '50–300 ms to an external API) and holds its connection all the while. It is invisible with ' +
        'five rows in development and the slowest endpoint in production.',
      example: [
        "app.get('/orders/:id/items', async (request, reply) => {",
        '  const items = await prisma.orderItem.findMany({ where: { orderId: request.params.id } });',
        '  const result = [];',
        '  for (const item of items) {',
        '    const product = await prisma.product.findUnique({ where: { id: item.productId } });',
        '    result.push({ ...item, product });',
        '  }',
        '  return result;',
        '});',
      ].join('\n'),
      useInstead: [
        "app.get('/orders/:id/items', async (request, reply) => {",
        '  // One query for the relation...',
        '  return prisma.orderItem.findMany({',
        '    where: { orderId: request.params.id },',
        '    include: { product: true },',
        '  });',
        '});',
        '',
        '// ...writes in one statement over the whole set (one multi-row insert for inserts)...',
        "await knex('users').whereIn('id', ids).update({ seenAt: new Date() });",
        '',
        '// ...or, for requests that cannot be batched, run them together:',
        'const users = await Promise.all(ids.map((id) => fetch(`${API}/users/${id}`).then((r) => r.json())));',
      ].join('\n'),
      notFlagged: [
        '`await Promise.all(xs.map(async (x) => ...))` and any `xs.map(async ...)` whose result is ' +
          'used: the callbacks run concurrently. Only a read that takes nothing from the callback is ' +
          "reported there: one that reads the item, the callback's parameters (destructured too), or " +
          'a name the callback declares or assigns (`const { organizationId } = doc`) is each ' +
          "item's own query, and so is a write. The loops around such a `map` are not flagged either " +
          '(`for (const chunk of chunks) await Promise.all(chunk.map(...))` limits concurrency on purpose).',
        'Loops over a constant literal (`for (const key of ["a", "b"])`), a `const` bound to one, ' +
          '`Object.keys`/`values`/`entries` of a literal object or enum, and `for (let i = 0; i < 3; i++)` ' +
          'with a literal bound of ten or fewer: the number of round trips does not grow with the data. ' +
          'A `const` array the code fills (an empty `const copies = []` pushed to in an earlier loop, ' +
          'or a literal later given `push`/`unshift`/`splice`) is as long as the data and is flagged.',
        'Retry and back-off loops: the call is in a `return` or followed by an unconditional ' +
          '`return`/`break`/`throw`, the loop counts attempts (`for (let attempt = 1; ...)`), or it ' +
          'sleeps between passes (`await sleep(ms)`, `await new Promise((r) => setTimeout(r, ms))`). A ' +
          'loop that sleeps is throttled or polling on purpose (`fixed-interval-polling` judges polls).',
        'Pagination, search and worklist loops whose next request depends on the previous answer: the ' +
          'loop condition or a guarded `break`/`return <result>` reads an awaited value (`while ' +
          '(cursor)`, `if (!page.hasMore) break`, `if (res.ok) return res`), or the call reads a name ' +
          'the loop reassigns from one (`cursor = page.nextCursor`, `queue.push(...children)`), also ' +
          'through a function declared in the loop that reads it (`const data = () => ({ parentId: ' +
          'posts[posts.length - 1]?.id })` with `posts.push(await ...)`: a chain of rows, each ' +
          'pointing at the one before). The item a `for...of` pass is given carries nothing to ' +
          "the next pass (`person.pets = await person.$relatedQuery('pets')` is flagged), unless " +
          'the body pushes to the list it walks (a worklist over a tree). An ' +
          'early `return reply.code(404).send()` that does not return the result does not count: ' +
          'validating each id with a query is still an N+1.',
        'Calls under an `if` that compares the length of a list the loop adds to with a number ' +
          '(`if (posts.length === 1)` in a loop that pushes a post per pass): the test holds on one ' +
          'pass, or once per batch when the loop empties the list. `>`/`<` comparisons hold on many ' +
          'passes and are flagged.',
        'Batch loops, where one round trip per batch is the cure: the iterable is a batching call ' +
          '(`chunk(ids, 500)`, `_.chunk`, `splitEvery`), the loop variable or the iterated variable is ' +
          'named `batch`/`chunk` (`for (const keys of chunks)`), ' +
          'or a `for` loop steps by more than one (`i += BATCH_SIZE`).',
        'Loops that run a list of statements or migrations in order: the loop variable is named for a ' +
          'migration (`for (const migration of pending) await applyMigration(client, migration)`), or ' +
          'the SQL call runs the item itself (`await tx.execute(sql.raw(stmt))`, `await trx.raw(ddl)`, ' +
          '`await this.query(q.query, q.parameters)`). Each item is a different statement, not a query ' +
          'per row, and the order matters.',
        'Raw statements on the client a Prisma service hands out (`this.prismaService.txClient()' +
          '.$executeRawUnsafe(sql)`): code that runs them one by one mostly does schema work per table ' +
          '(copying a base: a `CREATE TABLE`, `ALTER TABLE` and `CREATE INDEX` per table), not a query ' +
          'per row. Model queries on that client (`txClient().field.create(...)`) are reported.',
        '`fetch` bound in the file to something else: a parameter (`async function load(key, fetch)`, ' +
          '`createFetcher({ fetch })`) or a local function. A parameter typed or defaulted as the ' +
          'platform fetch (`fetch: typeof globalThis.fetch`) and SvelteKit `load({ fetch })` still count.',
        '`for await` over streams, cursors, async generators and message consumers ' +
          '(`for await (const msg of consumer)`), and `while` loops that pull a message per pass ' +
          '(`await queue.receive()`, `brpop`): items arrive one at a time and awaiting each is the ' +
          'back-pressure. `for await` over an evident array is flagged: a literal, a `map` result ' +
          '(`for await (const id of ids.map(...))`), a name declared `T[]` (also a property of an ' +
          'imported object type declared `T[]` in its module: `userIds` of `{ userIds }: ' +
          'TSyncUsersDTO`), the rows an awaited ' +
          'query returned (`const logs = await repo.find(...)`, `findBy`, `findAll`, `findMany`, ' +
          '`getMany`, `toArray()`), or what a function of the file declared to return ' +
          '`Promise<T[]>` gave (`await this.pendingLogs()`).',
        'Loops in generators that `yield` per item: the consumer pulls one item at a time.',
        'Calls not awaited in the loop (`promises.push(fetch(url))`, then `await Promise.all(promises)`, ' +
          "or a knex builder kept to run later, `queries.push(trx.select('id').from(t))`), " +
          'and calls in callbacks that are not iteration callbacks (`setTimeout`, event handlers, `limit(() => ...)`). ' +
          'The one exception: a read that takes nothing from the item, in the callback of a `p-limit` limiter (`const limit = pLimit(10)`) ' +
          'that a used `xs.map(async (x) => limit(async () => ...))` callback calls: the same query per item, a few at a time.',
        'Knex look-alikes and non-queries: builder-first chains (`select(...).from(t)`) on an object ' +
          'that is no knex instance by the evidence above (an in-memory table, another client with ' +
          '`from(...)`/`select(...)` methods), chains on an imported name whose module exports no ' +
          "knex instance (`memory('users').where({ id }).first()` of a `function database(table)` " +
          'returning an in-memory query, whatever it is imported as), a chain on `(a || b)(...)` where an ' +
          "operand is none (`(cache || db)('users')`: the head may pick the cache), and knex's DDL (`knex.schema.table(name, fn)`, " +
          '`knex.schema.createTable(...)`), which is no query builder.',
        'Tests, seeds, scripts and migrations (`*.test.ts`, `prisma/seed.ts`, `scripts/`): they run ' +
          'once, on a handful of rows.',
        'Prisma-shaped calls on objects that are no Prisma client: a wrapper field declared with a class ' +
          'that does not extend `PrismaClient` (an in-memory table with the same methods, ' +
          "`model: Pick<MemoryStore, T>`), or with another package's client (`model: CatalogClient`).",
        'Loops whose item picks the Prisma model (`for (const model of models) await ' +
          'prisma[model].deleteMany(...)`, `prisma[entry.model]`): they walk models, as many as the ' +
          'schema has rather than rows, often in the order foreign keys need, and no one query covers ' +
          'several models. A loop over rows around such a query is still flagged.',
        'Memoised getters (`if (db) return db;` first, then the set-up query): they query once per ' +
          'process, so the calls through them in a loop do not count.',
        'Helpers the index cannot resolve to one workspace function (methods of a field typed as an ' +
          "interface or object type no factory returns, `lookup: Pick<TUserLookup, 'findById'>`; " +
          "members a factory's object gets from a spread of anything but a factory's object " +
          '(`...userDefaults`, an object of constants; `...ormify(db, TableName.Users)`, ' +
          '`...userOrm` of `const userOrm = ormify(db, TableName.Users)` and `...softDeletable(db)` ' +
          'of a factory in the same file are followed, a later member of the same name winning; ' +
          'members of an object some other function builds from an object of functions, a ' +
          "workspace helper (`bindDatabase({ getTags }, { db })`) or another package's " +
          '`injectArguments`, whose result may be anything); ' +
          'names defined in several places, or by two modules a barrel ' +
          '`export *`s), and helpers that make no query or request within five calls. Imports ' +
          'through barrel files (`export * from`, `export { a as b } from`, `export * as ns from`) ' +
          'and methods of a field declared with an imported class (`constructor(private users: ' +
          'UsersService)`, NestJS injection) are followed, also a field a base class declares ' +
          '(`class UserService extends BaseService`, whose constructor injects the repositories).',
        'ORM-looking methods (`find`, `save`) on receivers not declared with an ORM type imported ' +
          'from the ORM package: a workspace class named `Repository`, an object type, an untyped ' +
          'variable, an in-memory store built with `new InMemoryRepository()`, the `getRepository()` ' +
          'or `manager` of an object declared with a type of the workspace (`source: FixtureSource`), ' +
          'or of an imported object the workspace does not show to be a TypeORM data source; the ' +
          '`getRepository()` of a manager-named object (`this.manager_`) in a file that does not ' +
          'import TypeORM, or of one declared with another type (`manager: PluginManager`); a getter ' +
          'call (`store()`) whose factory is not declared to return repository getters. ' +
          'Query builders (`createQueryBuilder()`) until they run.',
        'A called parameter of a callback given to the `transaction(...)` of anything else than ' +
          'a knex instance (`ledger.transaction(async (t) => ...)`, an object of the app): nothing ' +
          'says `t` runs queries.',
        "MikroORM's `persist(entity)`/`remove(entity)` in a loop with one `flush()` after it: they " +
          'only queue changes, and the one flush writes them all. `fork()` and `getRepository()` ' +
          'hand out objects without a query.',
        '`.query()` on anything but an Objection model class: a GraphQL client (`apollo.query(...)`), ' +
          'a class of the workspace with a static `query`, a class taken from a list in a loop ' +
          '(`for (const table of [Page, Tag])`). Objection models reached through a runtime registry ' +
          '(`WIKI.models.pages.query()`, `app.models.x.query()`) are not recognised: the registry is ' +
          'filled at run time (by requiring every file of a folder), and its property names are a ' +
          'convention the index cannot check.',
        'Strapi look-alikes: other members of `strapi` (`strapi.log.info()`, ' +
          "`strapi.config.get()`, `strapi.service(...)`), a chain that does not start at Strapi's " +
          '`strapi` (a local variable of that name, a remote CMS client with `documents(uid)`), a ' +
          "`query(...)` or `documents(...)` whose argument is a string that is no uid (`'api::'`, " +
          "`'plugin::'`, `'admin::'`). Strapi's `queryBuilder(uid)…execute()` is not recognised yet.",
        'MongoDB look-alikes: `find`/`findOne`/`countDocuments` on a receiver with no evidence of ' +
          'the `mongodb` package (an array, a `Collection` type of the workspace, a `collection()` ' +
          'of an object that is no `Db`), and `find()`/`aggregate()` themselves, which only build a ' +
          'cursor. An exported object with a `collection()` method of its own (an in-memory ' +
          'store, a search client) is no `Db`: only an export the index knows holds or returns ' +
          'one counts.',
        'Types that only look like Mongoose models: an interface extending a `Model` of another ' +
          "package or of the app's own (`interface IDraftModel extends Model<IDraft>` with the " +
          "store's `Model`), a member typed with an object type whose finders are its own " +
          '(`search.Cards.countDocuments()`), a field a base class declares with such a type. The ' +
          "app's own statics on a model known only by its declared type (`models.Boards.getBoard(id)` " +
          'of `models: IModels`, added with `schema.loadClass(...)` where another file registers ' +
          'the model) are not followed into their queries, nor statics of a class another file ' +
          'loads into the schema.',
        'A `model(...)` that is not imported from `mongoose` (a registry of the workspace), a ' +
          '`.model(...)` on an object that is no Mongoose connection (`registry.model(name, schema)`), ' +
          'a static of a class no schema loads (`Catalog.findActive()`, whose `this.find()` is its own), and a ' +
          'method of another ORM on a Mongoose model (`Account.findByPk()`). TypeORM-named ' +
          'statics (`findOneBy`) on a class that does not extend `BaseEntity`, and the static ' +
          '`create` of an Active Record entity (it builds the entity in memory). ' +
          'Sequelize-named methods (`findByPk`, `create`, `save`) on a class that does not extend ' +
          "Sequelize's `Model`: a plain class with a static `findByPk` (an in-memory cache), a class " +
          'extending a `Model` imported from another package or from the workspace. Instance methods ' +
          'on a value whose class the code does not say (an untyped parameter, the items of an ' +
          'untyped array), and models imported through path aliases the index does not resolve ' +
          '(declared neither in a `tsconfig.json`/`jsconfig.json` `paths` nor as `@/`, `~/`, `#`).',
      ],
      fixSafety:
        'Unsafe, and offered only for a `for...of` loop whose body has no `break`, `continue`, ' +
        '`return`, `yield` or `var`, assigns nothing declared outside the body, and does not call an ' +
        'order-dependent method (`push`, `set`, `splice`, ...) on anything declared outside it. The ' +
        'iterations then run concurrently: side effects may interleave, errors reject the whole ' +
        '`Promise.all` while other iterations keep running, and a long list opens as many requests ' +
        'or connections at once (add a limit such as `p-limit` for large lists). Not offered inside ' +
        '`$transaction` callbacks or on a TypeORM query runner or transaction manager (or the ' +
        "manager of MikroORM's `transactional`), whose queries share one connection and gain " +
        'nothing; the same holds for a transaction the app opens through a helper of its own: the ' +
        'first parameter, typed `EntityManager` or named `manager`/`em`/`tx`/`trx`, of a callback ' +
        'given to a function named for transactions (`dbTransactionWrap(async (manager: ' +
        'EntityManager) => ...)`, `runInTransaction`, `withTx`), a parameter of a function of the ' +
        'file that a call hands such a manager to (`this.copyRows(manager, ...)`), anything typed ' +
        '`Prisma.TransactionClient` or `Knex.Transaction`, and a helper call given one as an ' +
        'argument; and `this.activeManager_` (and the repositories it hands out) inside the callback ' +
        "of Medusa's `atomicPhase_`, which points the manager at the phase's transaction, like the " +
        'manager the phase hands its callback (`atomicPhase_(async (manager) => ...)`). ' +
        "Nor is it offered for a loop that flushes a MikroORM entity manager (one manager's unit of " +
        'work must not be flushed from several items at once). Maps, Sets and ' +
        'iterators are wrapped with `Array.from(xs, async (x) => ...)`. Not offered for a read that ' +
        'takes nothing from the loop (no argument, receiver or spread reads the loop variables or ' +
        'a name the loop declares or changes, like a `cursor` it advances): `Promise.all` would ' +
        'still send the same query once per item. Batching into one query ' +
        '(`findMany` with `in`, `createMany`) is usually better still and is left to you.',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    // The index is read only when a loop awaits a call that might be a workspace helper.
    const helpers = new HelperIoFinder(() => ctx.index, model);
    for (const call of model.calls) {
      // In a `limit(async () => ...)` callback, the call repeats with the loop around the limiter.
      if ((call.loops.length === 0 && !call.fn?.callbackOf) || !awaitedHow(call)) continue;
      const limited = call.loops.length === 0 ? limiterCallAround(model, call) : undefined;
      if (call.loops.length === 0 && !limited) continue;
      const io = ioCallOf(model, call, helpers);
      // File operations in a loop are serialized too, but they are not round trips to a server.
      if (io?.kind === 'fs') continue;
      if (!io && (call.isNew || call.isTaggedTemplate || !helpers.mayBeHelper(call))) continue;
      const serialLoop = limited ? undefined : repeatingLoop(model, call, helpers);
      // Callbacks run together are the cure for an item's query, not for the same query per item.
      const sameQuery = (around: TsLoop): boolean => readsNothingTheLoopChanges(call, around);
      const loop = serialLoop ?? concurrentMapAround(model, limited ?? call, sameQuery, helpers);
      if (!loop) continue;
      const sameEveryPass = !serialLoop || sameQuery(loop);
      // A helper is looked up in the index before the message and fix are written.
      const reach = io ? undefined : helpers.reach(call);
      if (!io && !reach) continue;
      const reads = io ? !io.writes : !!reach && !helperAccess(reach).writes;
      if (!serialLoop && !reads) continue;
      const hoist = sameEveryPass && reads ? (serialLoop ? HOIST : HOIST_CONCURRENT) : undefined;
      const where = describeLoop(loop, model);
      let message: string;
      if (io) {
        const forEach =
          loop.kind === 'callback' && loop.method === 'forEach'
            ? ' (and `forEach` does not wait for them)'
            : '';
        message =
          `\`${calleeDisplay(call, 60)}(...)\` makes ${costOf(io)} ${where}${forEach}; ` +
          (hoist ??
            batchAdvice(io, loop, inTransaction(model, call), () => ctx.index.prismaProvider()));
      } else if (reach) {
        const serial = reach.effect.kind !== 'http' && runsOnTransaction(call, model);
        const text = helperMessage(ctx, call, reach, loop, serial, model, hoist, !serialLoop);
        if (!text) continue;
        message = text;
      } else continue;
      // `Promise.all` would still send the same query once per item.
      const fix = hoist ? undefined : promiseAllFix(model, call, loop);
      ctx.report({ start: call.start, end: call.end, message, fixes: fix ? [fix] : undefined });
    }
  },
};
