/**
 * Queries through the ORMs Node back ends use beside Prisma: a TypeORM repository, entity manager
 * or data source, a Mongoose model, a Sequelize instance, a MikroORM repository or entity manager.
 * A receiver is recognised by the type it is declared with (a NestJS-injected field, a typed
 * parameter or variable, or a `new X()` initializer) and the package the file imports that type
 * from, so a `find()` on anything else is never taken for a query (MikroORM's objects: see
 * `mikro-orm.ts`). TypeORM objects are also
 * followed from one to the next (`ds.getRepository(User)`, `queryRunner.manager`, the manager of a
 * `transaction` callback, a variable holding one). Sequelize model classes (`User.findByPk(id)`)
 * are recognised by what they extend (`model-classes.ts`).
 */
import { ts } from './compiler';
import { declaredTypeName } from './declared-types';
import {
  calleeName,
  callbackMethodReceiver,
  semanticParent,
  unwrap,
  type TsCall,
  type TsModel,
} from './model';
import { declarationOf } from './name-resolution';
import { isTransactionHandle } from './transaction-wrappers';
import { localModelQuery } from './model-classes';
import { mikroOrmQuery } from './mikro-orm';
import { isMongodbCommand, isMongodbCursorRead, MONGODB } from './mongodb-collections';
import { isLocallyTypedMongooseModel } from './mongoose-model-types';
import { MONGOOSE_QUERIES, MONGOOSE_QUERY_MODIFIERS, TYPEORM_QUERIES } from './orm-methods';

/** Per package, the declared types whose methods run queries, and which methods. */
const ORM_TYPES: Record<string, Record<string, ReadonlySet<string>>> = {
  typeorm: {
    Repository: TYPEORM_QUERIES,
    TreeRepository: TYPEORM_QUERIES,
    MongoRepository: TYPEORM_QUERIES,
    EntityManager: TYPEORM_QUERIES,
    DataSource: new Set(['query']),
    QueryRunner: new Set(['query']),
  },
  mongoose: { Model: MONGOOSE_QUERIES },
  sequelize: { Sequelize: new Set(['query']) },
};

/** ORM methods that write (or may: raw `query` runs any SQL). */
const WRITES =
  /^(?:save|remove|softRemove|recover|insert|update|upsert|delete|softDelete|restore|increment|decrement|create|insertOne|insertMany|bulkWrite|replaceOne|updateOne|updateMany|deleteOne|deleteMany|findByIdAndUpdate|findByIdAndDelete|findOneAndUpdate|findOneAndDelete|findOneAndReplace|nativeInsert|nativeUpdate|nativeDelete|flush|persistAndFlush|removeAndFlush|query|destroy|bulkCreate|findOrCreate|findCreateFind|\$set|\$add|\$remove|\$create)$/;

/** Whether an ORM query method writes, or may. */
export function ormWrites(method: string): boolean {
  return WRITES.test(method);
}

/**
 * Methods of a Mongoose query that send it as another command: a count or the distinct values of
 * the documents the `find(...)` before them matches (`Pipelines.find({ boardId }).countDocuments()`).
 */
const MONGOOSE_CHAIN_TERMINALS = new Set(['countDocuments', 'count', 'distinct']);

/**
 * The `find(...)` whose query a chained count or `distinct` sends (the `find` of
 * `Pipelines.find(q).countDocuments()`, also past modifiers: `.find(q).where(w).distinct('_id')`);
 * undefined for other calls. The chain is one round trip: the `find` alone is not awaited, the
 * terminal is (`.exec()` and `.lean()` are modifiers: the query is awaited through them).
 */
export function mongooseChainFind(call: TsCall): ts.CallExpression | undefined {
  if (!MONGOOSE_CHAIN_TERMINALS.has(call.name) || !call.receiver) return undefined;
  let node = unwrap(call.receiver);
  while (ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    const method = callee.name.text;
    if (method === 'find') return node;
    if (!MONGOOSE_QUERY_MODIFIERS.has(method)) return undefined;
    node = unwrap(callee.expression);
  }
  return undefined;
}

/** As `mongooseChainFind`, the model's call. */
export function mongooseChainStart(model: TsModel, call: TsCall): TsCall | undefined {
  const find = mongooseChainFind(call);
  return find && model.callAt(find);
}

/** Every method name above: a call named otherwise needs no look at its receiver's type. */
const ORM_METHODS = new Set(
  Object.values(ORM_TYPES).flatMap((types) =>
    Object.values(types).flatMap((methods) => [...methods]),
  ),
);

/** Which ORM a call queries through (`typeorm`, `mongoose`, ...), or undefined. */
export function ormQuery(model: TsModel, call: TsCall): string | undefined {
  if (call.isNew || call.isTaggedTemplate || !call.receiver) return undefined;
  // A Sequelize model class declared in this file (`User.findByPk(id)`, `user.save()`).
  const throughModel = localModelQuery(model, call);
  if (throughModel) return throughModel;
  // A native MongoDB collection's command, or the read of a cursor its `find()` made.
  if (isMongodbCommand(model, call) || isMongodbCursorRead(model, call)) return MONGODB;
  // A MikroORM entity manager or repository, however the file came by it (`mikro-orm.ts`).
  const mikroOrm = mikroOrmQuery(model, call);
  if (mikroOrm) return mikroOrm;
  // A count or `distinct` chained on a Mongoose `find(...)`: the query is the model's.
  const start = mongooseChainStart(model, call);
  if (start) return ormQuery(model, start) === 'mongoose' ? 'mongoose' : undefined;
  if (!ORM_METHODS.has(call.name)) return undefined;
  // `.exec()`/`.lean()` after a query are not asked about: the query call itself is the round
  // trip, awaited through them (`promiseChainOf`).
  return queryThroughDeclaredType(model, call.receiver, call.name);
}

function queryThroughDeclaredType(
  model: TsModel,
  receiver: TsCall['receiver'],
  method: string,
): string | undefined {
  if (!receiver) return undefined;
  const typeName = declaredTypeName(receiver);
  const imported = typeName ? model.imports.get(typeName) : undefined;
  if (imported && imported.imported !== '*' && imported.imported !== 'default') {
    const module = imported.module;
    if (ORM_TYPES[module]?.[imported.imported])
      return ORM_TYPES[module][imported.imported].has(method) ? module : undefined;
  }
  // A Mongoose model by its type declared in this file (`models.Boards` of `models: IModels`,
  // `IModels { Boards: IBoardModel }`, `IBoardModel extends Model<IBoard>`).
  if (MONGOOSE_QUERIES.has(method) && isLocallyTypedMongooseModel(model, receiver))
    return 'mongoose';
  // Declared with a type of its own (`cache: Cache`): what that type is, the import said above.
  if (typeName || !TYPEORM_QUERIES.has(method) || !mentionsTypeormObjects(model)) return undefined;
  const kind = typeormObject(model, receiver, 0);
  return kind && ORM_TYPES.typeorm[kind].has(method) ? 'typeorm' : undefined;
}

/** The TypeORM objects whose methods run queries, by the class that declares them. */
export type TypeormObject = 'Repository' | 'EntityManager' | 'DataSource' | 'QueryRunner';

/** TypeORM's classes (0.3 and 0.2's `Connection`) as the objects above. */
const TYPEORM_CLASSES: Record<string, TypeormObject> = {
  Repository: 'Repository',
  TreeRepository: 'Repository',
  MongoRepository: 'Repository',
  EntityManager: 'EntityManager',
  MongoEntityManager: 'EntityManager',
  DataSource: 'DataSource',
  Connection: 'DataSource',
  QueryRunner: 'QueryRunner',
};

/**
 * Methods of a data source or entity manager that return a repository of the entity passed, or
 * (`withRepository`, TypeORM 0.3's manager method) the custom repository passed, bound to it.
 */
const REPOSITORY_GETTERS = new Set([
  'getRepository',
  'getTreeRepository',
  'getMongoRepository',
  'withRepository',
]);

/**
 * A data source named as the TypeORM docs name it (`AppDataSource`, `dataSource`,
 * `app.AppDataSource`), for receivers whose declared type is in another file: only ever asked
 * together with a `getRepository(Entity)` or `.manager` after it.
 */
const DATA_SOURCE_NAME = /^(?:\w*DataSource|dataSource)$/;

const mentionsTypeorm = new WeakMap<TsModel, boolean>();

/** Whether the file's text can hold a TypeORM object the declared type alone does not give. */
function mentionsTypeormObjects(model: TsModel): boolean {
  let found = mentionsTypeorm.get(model);
  if (found === undefined) {
    found =
      /getRepository|getTreeRepository|getMongoRepository|withRepository|\.manager\b|createQueryRunner|\.transaction\(/.test(
        model.text,
      );
    mentionsTypeorm.set(model, found);
  }
  return found;
}

/** The TypeORM class an expression's declared type names, through the file's imports. */
function declaredTypeormClass(
  model: TsModel,
  expression: ts.Expression,
): TypeormObject | undefined {
  const typeName = declaredTypeName(expression);
  const imported = typeName ? model.imports.get(typeName) : undefined;
  return imported?.module === 'typeorm' ? TYPEORM_CLASSES[imported.imported] : undefined;
}

/**
 * What TypeORM object an expression is, when the syntax says: declared with a TypeORM class
 * (`ds: DataSource`, `@InjectRepository(User) repo: Repository<User>`), a repository a data source
 * or manager hands out (`ds.getRepository(User)`), the manager of a data source or query runner
 * (`qr.manager`), a query runner a data source creates (`ds.createQueryRunner()`), the manager a
 * transaction callback receives (`ds.transaction(async (manager) => ...)`), or a variable holding
 * one of those. A name alone (`app.AppDataSource`) says it is a data source only when a
 * repository or manager is taken from it.
 */
function typeormObject(
  model: TsModel,
  expression: ts.Expression,
  depth: number,
): TypeormObject | undefined {
  if (depth > 3) return undefined;
  const node = unwrap(expression);
  const declared = declaredTypeormClass(model, node);
  if (declared) return declared;
  if (ts.isPropertyAccessExpression(node) && node.name.text === 'manager') {
    const owner =
      typeormObject(model, node.expression, depth + 1) ?? namedDataSource(node.expression);
    return owner === 'DataSource' || owner === 'QueryRunner' ? 'EntityManager' : undefined;
  }
  if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    const method = node.expression.name.text;
    const owner = node.expression.expression;
    if (REPOSITORY_GETTERS.has(method) && node.arguments.length === 1) {
      const kind =
        typeormObject(model, owner, depth + 1) ??
        namedDataSource(owner) ??
        namedEntityManager(model, owner);
      return kind === 'DataSource' || kind === 'EntityManager' ? 'Repository' : undefined;
    }
    if (method === 'createQueryRunner')
      return typeormObject(model, owner, depth + 1) === 'DataSource' ? 'QueryRunner' : undefined;
    // `ds.getRepository(User).extend({ ... })`: TypeORM 0.3's custom repository is a repository.
    if (method === 'extend' && node.arguments.length === 1)
      return typeormObject(model, owner, depth + 1) === 'Repository' ? 'Repository' : undefined;
    return undefined;
  }
  if (!ts.isIdentifier(node)) return undefined;
  const holder = declarationOf(node)?.parent;
  if (holder && ts.isVariableDeclaration(holder) && !holder.type && holder.initializer)
    return typeormObject(model, holder.initializer, depth + 1);
  if (holder && ts.isParameter(holder) && !holder.type)
    return transactionManager(model, holder, depth);
  return undefined;
}

const repositoriesOfModel = new WeakMap<TsModel, string[]>();

/**
 * The module variables holding a TypeORM repository (`export const users =
 * AppDataSource.getRepository(User)`, or its `.extend({ ... })`), which other modules import and
 * query (`users.findOneBy({ id })`): recorded in the file's facts for the index.
 */
export function moduleRepositories(model: TsModel): string[] {
  let names = repositoriesOfModel.get(model);
  if (names) return names;
  names = [];
  if (mentionsTypeormObjects(model))
    for (const [name, declaration] of model.moduleVariables)
      if (
        !declaration.type &&
        declaration.initializer &&
        typeormObject(model, declaration.initializer, 0) === 'Repository'
      )
        names.push(name);
  repositoriesOfModel.set(model, names);
  return names;
}

/**
 * What TypeORM object an expression is, as `ormQuery` recognises a query's receiver (see
 * `typeormObject`); with `byName`, also a data source known only by its conventional name
 * (`AppDataSource.createQueryBuilder()`), for callers that ask only with such a method after it.
 */
export function typeormObjectOf(
  model: TsModel,
  expression: ts.Expression,
  byName = false,
): TypeormObject | undefined {
  return typeormObject(model, expression, 0) ?? (byName ? namedDataSource(expression) : undefined);
}

/**
 * Whether a TypeORM call runs on one connection, in turn with the others made there: through a
 * query runner (`queryRunner.query()`, `queryRunner.manager.findBy()`), or through the manager a
 * `transaction` callback receives. Running such calls together gains nothing.
 */
export function onOneTypeormConnection(model: TsModel, call: TsCall): boolean {
  if (!call.receiver || !mentionsTypeormObjects(model)) return false;
  return holdsOneConnection(model, call.receiver, 0);
}

function holdsOneConnection(model: TsModel, expression: ts.Expression, depth: number): boolean {
  if (depth > 3) return false;
  const node = unwrap(expression);
  if (ts.isPropertyAccessExpression(node) && node.name.text === 'manager')
    return typeormObject(model, node.expression, depth + 1) === 'QueryRunner';
  // A repository runs its queries where the manager that hands it out does.
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    REPOSITORY_GETTERS.has(node.expression.name.text)
  )
    return holdsOneConnection(model, node.expression.expression, depth + 1);
  if (isManagerInAtomicPhase(model, node)) return true;
  if (!ts.isIdentifier(node)) return typeormObject(model, node, depth) === 'QueryRunner';
  const holder = declarationOf(node)?.parent;
  if (holder && ts.isParameter(holder) && transactionManager(model, holder, depth)) return true;
  // The handle an app's own transaction helper gives its callback (`atomicPhase_(async (manager) =>`).
  if (holder && ts.isParameter(holder) && isTransactionHandle(model, node)) return true;
  if (holder && ts.isVariableDeclaration(holder) && !holder.type && holder.initializer)
    return holdsOneConnection(model, holder.initializer, depth + 1);
  return typeormObject(model, node, depth) === 'QueryRunner';
}

/**
 * A getter of the app's data source, called with no arguments: `getDataSource()`,
 * `db.getAppDataSource()`, TypeORM 0.2's `getConnection()`.
 */
const DATA_SOURCE_GETTER = /^(?:get\w*DataSource|getConnection)$/;

/**
 * `app.AppDataSource`, `dataSource`: a data source by its conventional name, unless the syntax
 * declares it with another type (`dataSource: ReportSource`); or what a getter of one returns
 * (`getDataSource()`).
 */
function namedDataSource(expression: ts.Expression): TypeormObject | undefined {
  const node = unwrap(expression);
  if (ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    const name = referencedName(callee);
    return node.arguments.length === 0 && DATA_SOURCE_GETTER.test(name) ? 'DataSource' : undefined;
  }
  if (declaredTypeName(node)) return undefined;
  const name = referencedName(node);
  return DATA_SOURCE_NAME.test(name) ? 'DataSource' : undefined;
}

/** The name an expression reads: `db` of `db`, `manager_` of `this.manager_`; '' for others. */
function referencedName(node: ts.Node): string {
  if (ts.isIdentifier(node)) return node.text;
  return ts.isPropertyAccessExpression(node) ? node.name.text : '';
}

/**
 * `this.activeManager_`, `manager`: an entity manager by its name, in a file that imports
 * TypeORM, when nothing declares it with another type. Medusa's services read it through a getter
 * their base class (`TransactionBaseService`) declares, so no declared type reaches the file.
 * Only asked with a `getRepository(Entity)` after it.
 */
const ENTITY_MANAGER_NAME = /^(?:\w*Manager_?|manager_?)$/;

function namedEntityManager(model: TsModel, expression: ts.Expression): TypeormObject | undefined {
  const node = unwrap(expression);
  if (declaredTypeName(node) || !importsTypeorm(model)) return undefined;
  const name = referencedName(node);
  return ENTITY_MANAGER_NAME.test(name) ? 'EntityManager' : undefined;
}

/**
 * `this.activeManager_` inside the callback of Medusa's `atomicPhase_`: the base class points its
 * manager at the transaction the phase opened, so the callback's queries share one connection.
 */
function isManagerInAtomicPhase(model: TsModel, node: ts.Expression): boolean {
  if (
    !ts.isPropertyAccessExpression(node) ||
    node.expression.kind !== ts.SyntaxKind.ThisKeyword ||
    namedEntityManager(model, node) !== 'EntityManager'
  )
    return false;
  for (let scope: ts.Node | undefined = node.parent; scope; scope = scope.parent) {
    if (!ts.isArrowFunction(scope) && !ts.isFunctionExpression(scope)) continue;
    const call = semanticParent(scope);
    if (call && ts.isCallExpression(call) && calleeName(call.expression) === 'atomicPhase_')
      return true;
  }
  return false;
}

function importsTypeorm(model: TsModel): boolean {
  for (const imported of model.imports.values()) if (imported.module === 'typeorm') return true;
  return false;
}

/** The first parameter of a callback given to `transaction()` of a data source or manager. */
function transactionManager(
  model: TsModel,
  parameter: ts.ParameterDeclaration,
  depth: number,
): TypeormObject | undefined {
  const source = callbackMethodReceiver(parameter, 'transaction');
  if (!source) return undefined;
  const owner = typeormObject(model, source, depth + 1) ?? namedDataSource(source);
  return owner === 'DataSource' || owner === 'EntityManager' ? 'EntityManager' : undefined;
}
