/**
 * What await-in-loop suggests instead of a round trip per loop item: the batched form of the
 * call (Prisma, TypeORM, Sequelize, Mongoose, Redis, HTTP), naming the field the call filters by
 * when the code shows it (`findAll({ where: { videoId: ids } })`).
 */
import { ts } from './compiler';
import type { IoCall } from './io-calls';
import { isScalarLiteral, loopBinding } from './loop-repetition';
import { unwrap, type TsCall, type TsLoop } from './model';
import { declarationOf } from './name-resolution';
import { ormWrites } from './orm-calls';

/**
 * What to suggest for a direct round trip made once per item of `loop`, by what it is. The
 * batched form filters the same field; its values are named for the loop's collection when the
 * call filters by the loop's item itself (`where: { email }` in `for (const email of emails)`).
 */
export function batchAdvice(io: IoCall, loop: TsLoop): string {
  const filter = filterOf(io);
  const ids = valuesName(filter, loop);
  return adviceFor(io, filter?.field, ids);
}

/** The advice for `io`, filtering `field` (when known) by the values `ids`. */
function adviceFor(io: IoCall, filterField: string | undefined, ids: string): string {
  if (io.driver === 'prisma') {
    const operation = io.call.name;
    if (operation === '$transaction')
      return 'do the work for every item in one transaction with batched queries (`createMany`, `updateMany`, `in`)';
    if (operation === 'count' || operation === 'aggregate')
      return 'compute them in one `groupBy({ by: [...], _count: true })` before the loop';
    const field = filterField ?? 'id';
    if (operation.startsWith('find'))
      return `load them in one query (\`findMany({ where: { ${field}: { in: ${ids} } } })\`) before the loop`;
    if (operation === 'create') return 'insert them in one `createMany({ data: [...] })`';
    if (operation === 'delete')
      return `delete them in one \`deleteMany({ where: { ${field}: { in: ${ids} } } })\``;
    if (operation === 'update')
      return 'use one `updateMany` when the data is the same, else send the writes together in `prisma.$transaction([...])`';
    return 'batch them in one query, or send them together in `prisma.$transaction([...])`';
  }
  if (io.driver === 'redis')
    return io.writes
      ? 'pass every key to one command (`del(...keys)`), or send them in one pipeline (`redis.pipeline()`)'
      : redisReadAdvice(io.call.name);
  if (io.kind === 'http')
    return 'use a batch endpoint, or run the requests together with `Promise.all` (limit concurrency for large lists)';
  if (io.driver === 'orm' && io.call.name !== 'query') return ormAdvice(io, filterField, ids);
  if (io.driver === 'drizzle') {
    if (!io.writes)
      return 'load them in one query (`where: inArray(table.id, ids)`) before the loop';
    return /^(?:this\.)?\w+\.insert\(/.test(io.call.callee)
      ? 'insert them in one statement (`insert(table).values([...])`)'
      : 'write them in one statement (`where(inArray(table.id, ids))`)';
  }
  if (io.driver === 'kysely')
    return io.writes
      ? "write them in one statement (`insertInto(table).values([...])`, or `.where('id', 'in', ids)` for updates and deletes)"
      : "load them in one query (`.where('id', 'in', ids)`) before the loop";
  return 'load the rows in one query (`WHERE id = ANY($1)` / `IN (...)`) before the loop';
}

/**
 * The batched form of a Redis read. `mget` takes many string keys and `hmget` many fields of one
 * hash, so neither fits `hget` on a different hash per item: a pipeline always does.
 */
function redisReadAdvice(command: string): string {
  const pipeline = 'send them in one pipeline (`redis.pipeline()`)';
  const name = command.toLowerCase();
  if (name === 'get') return `use one \`mget(...keys)\`, or ${pipeline}`;
  if (name === 'hget') return `${pipeline}, or one \`hmget\` when the fields are in one hash`;
  return pipeline;
}

/**
 * The batched form of a Sequelize model call. A `where` value that is an array becomes `IN`, so
 * one `findAll`, `update` or `destroy` covers every id; inserts go in one `bulkCreate`.
 */
function sequelizeAdvice(method: string, field: string, ids: string): string {
  if (/^(?:count|max|min|sum|aggregate|\$count|\$has)$/.test(method))
    return `compute them in one query grouped by the key (\`count({ where: { ${field}: ${ids} }, group: ["${field}"] })\`) before the loop`;
  if (method === 'create' || method === 'bulkCreate' || method === '$create')
    return 'insert them in one `bulkCreate([...])`';
  if (method === 'findOrCreate' || method === 'findCreateFind' || method === 'upsert')
    return 'load the existing rows in one `findAll({ where: { key: keys } })` and write the rest in one `bulkCreate([...], { updateOnDuplicate: [...] })`';
  if (method === 'destroy')
    return `delete them in one \`destroy({ where: { ${field}: ${ids} } })\` on the model`;
  if (method === 'update')
    return `change them in one \`update(values, { where: { ${field}: ${ids} } })\` on the model when the values are the same, else one \`bulkCreate([...], { updateOnDuplicate: [...] })\``;
  if (method === 'increment' || method === 'decrement')
    return `change them in one \`${method}(fields, { by, where: { ${field}: ${ids} } })\` on the model when the amount is the same`;
  if (method === 'save')
    return 'write them in one `bulkCreate([...], { updateOnDuplicate: [...] })`, or one `update(values, { where: { id: ids } })` on the model when the values are the same';
  if (method.startsWith('$') && method !== '$get')
    return 'change the associations of every item in one query on the join model (`bulkCreate`, `destroy({ where: { id: ids } })`)';
  return `load them in one \`findAll({ where: { ${field}: ${ids} } })\` before the loop (an array value becomes \`IN\`), or \`include\` them in the query that loaded the items`;
}

/** The batched form of a TypeORM, Mongoose, MikroORM or Sequelize model call. */
function ormAdvice(io: IoCall, field: string | undefined, ids: string): string {
  if (io.orm === 'sequelize') return sequelizeAdvice(io.call.name, field ?? 'id', ids);
  if (io.orm === 'mongoose') return mongooseAdvice(io, field ?? '_id', ids);
  if (io.orm === 'typeorm') return typeormAdvice(io.call, field ?? 'id', ids);
  return io.writes
    ? 'persist them all and `flush()` once after the loop'
    : 'load them in one query (`find({ id: { $in: ids } })`) before the loop';
}

/** The batched form of a Mongoose model call: counts in one `$group`, reads in one `$in`. */
function mongooseAdvice(io: IoCall, field: string, ids: string): string {
  if (io.writes) return 'send the writes in one `bulkWrite([...])` (or `insertMany`)';
  if (io.call.name === 'countDocuments')
    return `count them in one \`aggregate([{ $match: { ${field}: { $in: ${ids} } } }, { $group: { _id: '$${field}', count: { $sum: 1 } } }])\` before the loop`;
  return `load them in one query (\`find({ ${field}: { $in: ${ids} } })\`) before the loop`;
}

/** The batched form of a TypeORM repository or entity-manager call; `In` comes from `typeorm`. */
function typeormAdvice(call: TsCall, field: string, ids: string): string {
  const method = call.name;
  // An entity manager takes the entity class first: `manager.findOneBy(Order, { id })`.
  const first = call.args[0] && unwrap(call.args[0]);
  const entity =
    call.args.length > 1 && first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text)
      ? `${first.text}, `
      : '';
  if (method === 'delete' || method === 'softDelete')
    return `delete them in one \`${method}(${entity}{ ${field}: In(${ids}) })\``;
  if (method === 'remove' || method === 'softRemove')
    return `pass them all to one \`${method}([...])\``;
  if (method === 'update')
    return `change them in one \`update(${entity}{ ${field}: In(${ids}) }, values)\` when the values are the same, else one \`save([...])\``;
  if (ormWrites(method))
    return 'write them in one call (`save([...])`, `insert([...])`, `upsert([...])`)';
  if (/^(?:count|countBy|sum|average|minimum|maximum)$/.test(method))
    return `compute them in one query grouped by \`${field}\` (a query builder with \`where({ ${field}: In(${ids}) })\` and \`groupBy\`) before the loop`;
  return `load them in one query (\`findBy(${entity}{ ${field}: In(${ids}) })\`) before the loop`;
}

/**
 * Literal property names of the `where` filter a query passes: `videoId` of
 * `findOne({ where: { videoId: id } })` (Sequelize, Prisma, TypeORM's `find*`), of
 * `findOneBy({ videoId: id })`, `delete({ videoId: id })`, `manager.findBy(Video, { videoId })`
 * (TypeORM's criteria) and of `findOne({ videoId: id })` (Mongoose), so the batched form the
 * message suggests filters the same field. With several fields, the first one whose value is not
 * a literal (the one that varies per item); undefined when the call does not say (`findByPk`).
 */
function filterOf(io: IoCall): { field: string; value?: ts.Expression } | undefined {
  const objects = io.call.args
    .map(objectLiteralOf)
    .filter((arg): arg is ts.ObjectLiteralExpression => !!arg);
  // `update(values, { where })` in Sequelize: the options come second.
  const options = io.orm === 'sequelize' && io.call.name === 'update' ? objects[1] : objects[0];
  if (!options) return undefined;
  const where = propertyValue(options, 'where');
  const criteria =
    where ?? (io.driver === 'prisma' || io.orm === 'sequelize' ? undefined : options);
  if (!criteria || !ts.isObjectLiteralExpression(criteria)) return undefined;
  const fields = criteria.properties.filter(
    (property): property is ts.PropertyAssignment | ts.ShorthandPropertyAssignment =>
      (ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)),
  );
  // A nested object is an operator (`{ gte: x }`) or a compound key (`orgId_userId: {...}`),
  // which an `in` list of ids does not replace.
  const plain = fields.filter(
    (property) =>
      !ts.isPropertyAssignment(property) ||
      !ts.isObjectLiteralExpression(unwrap(property.initializer)),
  );
  const varying = plain.find(
    (property) =>
      !ts.isPropertyAssignment(property) || !isScalarLiteral(unwrap(property.initializer)),
  );
  const chosen = varying ?? plain[0];
  const name = chosen?.name;
  if (!name || !(ts.isIdentifier(name) || ts.isStringLiteral(name))) return undefined;
  const value = ts.isShorthandPropertyAssignment(chosen) ? chosen.name : chosen.initializer;
  return { field: name.text, value: unwrap(value) };
}

/**
 * How the batched form names its values: the loop's collection when the call filters by the
 * loop's item itself (`{ email }` for each `email` of `emails`), else `ids`.
 */
function valuesName(filter: { value?: ts.Expression } | undefined, loop: TsLoop): string {
  const value = filter?.value;
  const item = loopBinding(loop);
  const collection = loop.iterable && unwrap(loop.iterable);
  if (!value || !item || !collection || !ts.isIdentifier(collection)) return 'ids';
  return ts.isIdentifier(value) && ts.isIdentifier(item) && value.text === item.text
    ? collection.text
    : 'ids';
}

/**
 * An argument's object literal: written in place, or held by a `const` the argument names
 * (`const options = { chatId }; await repo.delete(options)`).
 */
function objectLiteralOf(arg: ts.Expression): ts.ObjectLiteralExpression | undefined {
  let node = unwrap(arg);
  if (ts.isIdentifier(node)) {
    const holder = declarationOf(node)?.parent;
    const constant =
      holder &&
      ts.isVariableDeclaration(holder) &&
      ts.isVariableDeclarationList(holder.parent) &&
      holder.parent.flags & ts.NodeFlags.Const;
    if (!constant || !holder.initializer) return undefined;
    node = unwrap(holder.initializer);
  }
  return ts.isObjectLiteralExpression(node) ? node : undefined;
}

/** The value of a literal-named property of an object literal, unwrapped. */
function propertyValue(
  object: ts.ObjectLiteralExpression,
  name: string,
): ts.Expression | undefined {
  for (const property of object.properties)
    if (
      ts.isPropertyAssignment(property) &&
      (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) &&
      property.name.text === name
    )
      return unwrap(property.initializer);
  return undefined;
}
