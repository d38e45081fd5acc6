/**
 * The methods of ORM objects that run a query, shared by the recognisers of TypeORM repositories
 * and managers (`orm-calls.ts`) and of model classes and Mongoose models (`model-classes.ts`).
 */

/** Repository and entity-manager methods that run a query (the builders do not). */
export const TYPEORM_QUERIES = new Set([
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
export const MONGOOSE_QUERIES = new Set([
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

/**
 * Methods of a Mongoose query that return the query (or, `exec`, its promise): the query runs when
 * the chain is awaited, `await User.findById(id).lean()`, `await Post.find(q).sort(s).limit(n)`.
 */
export const MONGOOSE_QUERY_MODIFIERS = new Set([
  'lean',
  'exec',
  'populate',
  'select',
  'sort',
  'limit',
  'skip',
  'where',
  'orFail',
  'session',
  'collation',
  'hint',
  'maxTimeMS',
  'allowDiskUse',
  'read',
  'comment',
  'setOptions',
  'projection',
  'batchSize',
]);
