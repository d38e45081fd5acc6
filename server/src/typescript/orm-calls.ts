/**
 * Queries through the ORMs Node back ends use beside Prisma: a TypeORM repository, entity manager
 * or data source, a Mongoose model, a Sequelize instance, a MikroORM repository or entity manager.
 * A receiver is recognised by the type it is declared with (a NestJS-injected field, a typed
 * parameter or variable, or a `new X()` initializer) and the package the file imports that type
 * from, so a `find()` on anything else is never taken for a query. Sequelize model classes
 * (`User.findByPk(id)`) are recognised by what they extend (`model-classes.ts`).
 */
import { declaredTypeName } from './declared-types';
import type { TsCall, TsModel } from './model';
import { localModelQuery } from './model-classes';

/** Repository and entity-manager methods that run a query (the builders do not). */
const TYPEORM_QUERIES = new Set([
  'find',
  'findBy',
  'findAndCount',
  'findAndCountBy',
  'findOne',
  'findOneBy',
  'findOneOrFail',
  'findOneByOrFail',
  'findByIds',
  'count',
  'countBy',
  'exist',
  'exists',
  'existsBy',
  'sum',
  'average',
  'minimum',
  'maximum',
  'save',
  'remove',
  'softRemove',
  'recover',
  'insert',
  'update',
  'upsert',
  'delete',
  'softDelete',
  'restore',
  'increment',
  'decrement',
  'preload',
  'query',
]);

/** Mongoose model statics that run a query (awaited directly or through `.exec()`). */
const MONGOOSE_QUERIES = new Set([
  'find',
  'findOne',
  'findById',
  'findByIdAndUpdate',
  'findByIdAndDelete',
  'findOneAndUpdate',
  'findOneAndDelete',
  'findOneAndReplace',
  'updateOne',
  'updateMany',
  'deleteOne',
  'deleteMany',
  'replaceOne',
  'countDocuments',
  'estimatedDocumentCount',
  'exists',
  'distinct',
  'aggregate',
  'create',
  'insertMany',
  'bulkWrite',
]);

const MIKRO_ORM_QUERIES = new Set([
  'find',
  'findAll',
  'findOne',
  'findOneOrFail',
  'findAndCount',
  'count',
  'nativeInsert',
  'nativeUpdate',
  'nativeDelete',
  'upsert',
  'flush',
  'persistAndFlush',
  'removeAndFlush',
]);

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
  '@mikro-orm/core': { EntityRepository: MIKRO_ORM_QUERIES, EntityManager: MIKRO_ORM_QUERIES },
};

/** The package a MikroORM driver package stands for: they re-export the core's classes. */
function ormPackage(module: string): string {
  return module.startsWith('@mikro-orm/') ? '@mikro-orm/core' : module;
}

/** ORM methods that write (or may: raw `query` runs any SQL). */
const WRITES =
  /^(?:save|remove|softRemove|recover|insert|update|upsert|delete|softDelete|restore|increment|decrement|create|insertMany|bulkWrite|replaceOne|updateOne|updateMany|deleteOne|deleteMany|findByIdAndUpdate|findByIdAndDelete|findOneAndUpdate|findOneAndDelete|findOneAndReplace|nativeInsert|nativeUpdate|nativeDelete|flush|persistAndFlush|removeAndFlush|query|destroy|bulkCreate|findOrCreate|findCreateFind|\$set|\$add|\$remove|\$create)$/;

/** Whether an ORM query method writes, or may. */
export function ormWrites(method: string): boolean {
  return WRITES.test(method);
}

/** Methods that run the query a Mongoose model call built: `Model.findById(id).exec()`. */
const QUERY_RUNNERS = new Set(['exec', 'lean', 'orFail']);

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
  if (!ORM_METHODS.has(call.name) && !QUERY_RUNNERS.has(call.name)) return undefined;
  const direct = queryThroughDeclaredType(model, call.receiver, call.name);
  if (direct || !QUERY_RUNNERS.has(call.name)) return direct;
  // `.exec()` on a Mongoose query: the receiver is the model call.
  const inner = model.calls.find((other) => other.node === call.receiver);
  return inner?.receiver ? queryThroughDeclaredType(model, inner.receiver, inner.name) : undefined;
}

function queryThroughDeclaredType(
  model: TsModel,
  receiver: TsCall['receiver'],
  method: string,
): string | undefined {
  const typeName = receiver && declaredTypeName(receiver);
  if (!typeName) return undefined;
  const imported = model.imports.get(typeName);
  if (!imported || imported.imported === '*' || imported.imported === 'default') return undefined;
  const module = ormPackage(imported.module);
  return ORM_TYPES[module]?.[imported.imported]?.has(method) ? module : undefined;
}
