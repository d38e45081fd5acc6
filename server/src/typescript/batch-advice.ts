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
import { OBJECTION, OBJECTION_INSTANCE_QUERIES, OBJECTION_STATIC_QUERIES } from './objection';
import { mongooseChainFind, ormWrites } from './orm-calls';
import { MIKRO_ORM } from './mikro-orm';
import { cursorStartOf, MONGODB } from './mongodb-collections';
import { STRAPI, strapiAdvice, strapiQueryOfCall } from './strapi';

/**
 * What to suggest for a direct round trip made once per item of `loop`, by what it is. The
 * batched form filters the same field; its values are named for the loop's collection when the
 * call filters by the loop's item itself (`where: { email }` in `for (const email of emails)`).
 */
export function batchAdvice(
  io: IoCall,
  loop: TsLoop,
  inTransaction = false,
  prismaProvider: () => string | undefined = () => undefined,
): string {
  const filter = filterOf(io);
  const ids = valuesName(filter, loop);
  return adviceFor(io, filter?.field, ids, inTransaction, loop, prismaProvider);
}

/**
 * One statement that gives each row values of its own, in the SQL of the Prisma `provider`:
 * MySQL has no `UPDATE ... FROM`, but a `CASE` on the key works there.
 */
function perRowUpdateStatement(provider: string | undefined): string {
  return provider === 'mysql'
    ? '`UPDATE ... SET col = CASE id WHEN ... THEN ... END WHERE id IN (...)`'
    : '`UPDATE ... FROM (VALUES ...)`';
}

/**
 * The advice for `io`, filtering `field` (when known) by the values `ids`. Inside a transaction
 * the writes already go together: `prisma.$transaction([...])` is no advice there.
 */
function adviceFor(
  io: IoCall,
  filterField: string | undefined,
  ids: string,
  inTransaction: boolean,
  loop: TsLoop,
  prismaProvider: () => string | undefined,
): string {
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
      return inTransaction
        ? `use one \`updateMany\` when the data is the same, else one ${perRowUpdateStatement(prismaProvider())} statement (\`$executeRaw\`)`
        : 'use one `updateMany` when the data is the same, else send the writes together in `prisma.$transaction([...])`';
    return inTransaction
      ? 'batch them in one query (`createMany`, `updateMany`, `deleteMany`)'
      : 'batch them in one query, or send them together in `prisma.$transaction([...])`';
  }
  if (io.driver === 'redis')
    return io.writes ? redisWriteAdvice(io.call) : redisReadAdvice(io.call.name);
  if (io.kind === 'http')
    return 'use a batch endpoint, or run the requests together with `Promise.all` (limit concurrency for large lists)';
  if (io.orm === OBJECTION) return objectionAdvice(io.call);
  if (io.driver === 'orm' && io.call.name !== 'query') return ormAdvice(io, filterField, ids);
  if (io.driver === 'drizzle') return drizzleAdvice(io, loop, inTransaction);
  if (io.driver === 'kysely')
    return io.writes
      ? "write them in one statement (`insertInto(table).values([...])`, or `.where('id', 'in', ids)` for updates and deletes)"
      : "load them in one query (`.where('id', 'in', ids)`) before the loop";
  if (io.driver === 'knex') return knexWriteAdvice(io.call) ?? knexReadAdvice(io.call);
  return SQL_READ_ADVICE;
}

/**
 * The batched form of a Drizzle query made per item: the same chain over every item's value, on
 * the column its `where` compares (`.where(eq(monitorStatus.monitorId, row.id))` becomes
 * `.where(inArray(monitorStatus.monitorId, ids))`). An update whose `set` takes its values from
 * the item (`.set({ name: row.name })`) writes different values to each row, which one filtered
 * `update` cannot: an upsert or a `CASE` update can.
 */
function drizzleAdvice(io: IoCall, loop: TsLoop, inTransaction: boolean): string {
  const calls = chainCalls(io.call);
  const relational = /\.query\.\w+\.find(?:First|Many)$/.test(io.call.callee);
  const filter = drizzleFilter(calls, relational);
  const column = filter?.column ?? 'table.id';
  if (!io.writes) {
    if (!relational)
      return `load them in one query (\`.where(inArray(${column}, ids))\`) before the loop`;
    // The callback form keeps its table parameter: `(t, { inArray }) => inArray(t.id, ids)`.
    const where = filter?.parameter
      ? `(${filter.parameter}, { inArray }) => inArray(${column}, ids)`
      : `inArray(${column}, ids)`;
    return `load them in one query (\`findMany({ where: ${where} })\`) before the loop`;
  }
  if (/^(?:this\.#?)?\w+\.insert\(/.test(io.call.callee))
    return 'insert them in one statement (`insert(table).values([...])`)';
  const set = calls.find((node) => calledName(node) === 'set');
  if (set?.arguments.some((argument) => variesPerItem(argument, loop)))
    return (
      `change them in one statement (\`.where(inArray(${column}, ids))\`) when every row gets the same values; ` +
      'otherwise one upsert (`insert(table).values([...])` with `onConflictDoUpdate` or `onDuplicateKeyUpdate`) ' +
      `or a \`CASE\` update${inTransaction ? '' : ', or one transaction'}`
    );
  return `write them in one statement (\`.where(inArray(${column}, ids))\`)`;
}

/**
 * The column a Drizzle chain finds its rows by: `monitorStatus.monitorId` of
 * `.where(eq(monitorStatus.monitorId, row.id))`, also inside `and(...)` and in the `where` of a
 * relational query, with the table parameter of its callback form (`t` of `findFirst({ where:
 * (t, { eq }) => eq(t.id, id) })`). The first equality whose value is not a literal; undefined
 * when the chain shows none.
 */
function drizzleFilter(
  calls: readonly ts.CallExpression[],
  relational: boolean,
): { column: string; parameter?: string } | undefined {
  for (const node of calls) {
    let filter: ts.Expression | undefined;
    if (relational) {
      const options = node.arguments[0] && unwrap(node.arguments[0]);
      if (options && ts.isObjectLiteralExpression(options))
        filter = propertyValue(options, 'where');
    } else if (calledName(node) === 'where') filter = node.arguments[0];
    const column = filter && equalityColumn(filter);
    if (!column) continue;
    const first = filter && ts.isArrowFunction(filter) ? filter.parameters[0]?.name : undefined;
    const parameter = first && ts.isIdentifier(first) ? first.text : undefined;
    return parameter && column.startsWith(`${parameter}.`) ? { column, parameter } : { column };
  }
  return undefined;
}

/** The column of the first non-literal `eq(column, value)` in a filter, `and(...)` searched through. */
function equalityColumn(filter: ts.Expression): string | undefined {
  let node = unwrap(filter);
  if (ts.isArrowFunction(node) && !ts.isBlock(node.body)) node = unwrap(node.body);
  if (!ts.isCallExpression(node)) return undefined;
  const name = calledName(node);
  if (name === 'and') {
    for (const argument of node.arguments) {
      const column = equalityColumn(argument);
      if (column) return column;
    }
    return undefined;
  }
  const [column, value] = node.arguments;
  if (name !== 'eq' || !column || !value || isScalarLiteral(unwrap(value))) return undefined;
  const target = unwrap(column);
  return ts.isPropertyAccessExpression(target) ? target.getText() : undefined;
}

/** Whether `expression` reads a name the loop declares: its item, or a local of its body. */
function variesPerItem(expression: ts.Expression, loop: TsLoop): boolean {
  const { pos, end } = loop.node;
  let varies = false;
  const visit = (node: ts.Node): void => {
    if (varies) return;
    if (ts.isIdentifier(node) && !isMemberName(node)) {
      const declaration = declarationOf(node);
      if (declaration && declaration.pos >= pos && declaration.end <= end) varies = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(expression);
  return varies;
}

/** A name that is a member, not a value: `name` of `row.name` and of `{ name: row.name }`. */
function isMemberName(node: ts.Identifier): boolean {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
    (ts.isPropertyAssignment(parent) && parent.name === node)
  );
}

const SQL_READ_ADVICE =
  'load the rows in one query (`WHERE id = ANY($1)` / `IN (...)`) before the loop';

/** Knex's aggregates: one per item becomes one grouped query. */
const KNEX_AGGREGATES = /^(?:count|countDistinct|min|max|sum|avg)$/;

/**
 * The batched form of a knex read: one `whereIn` over every value the loop filters by, grouped
 * by that column when the chain aggregates (a `sum` per account is one `groupBy` query).
 */
function knexReadAdvice(call: TsCall): string {
  const calls = chainCalls(call);
  // `where('created_at', '>', t)` per item is no lookup by value that one `whereIn` could gather.
  if (comparesByRange(calls)) return SQL_READ_ADVICE;
  const column = builderFilterColumn(calls);
  if (calls.some((node) => KNEX_AGGREGATES.test(calledName(node))))
    return `compute them in one query (\`whereIn('${column}', ids).groupBy('${column}')\`) before the loop`;
  return `load the rows in one query (\`whereIn('${column}', ids)\`) before the loop`;
}

/** Knex filters that never compare for equality: `whereBetween`, `whereLike`, `whereNot...`. */
const KNEX_NON_EQUALITY = /^(?:and|or)?where(?:Not\w*|Between|Like|ILike)$/;

/** Whether a builder chain filters by other than equality: `where('at', '>', t)`, `whereBetween`. */
function comparesByRange(calls: readonly ts.CallExpression[]): boolean {
  return calls.some((node) => {
    const name = calledName(node);
    if (KNEX_NON_EQUALITY.test(name)) return true;
    if (!/^(?:and|or)?[wW]here$/.test(name) || node.arguments.length !== 3) return false;
    const operator = unwrap(node.arguments[1]);
    return ts.isStringLiteralLike(operator) && operator.text !== '=';
  });
}

/**
 * The batched form of a knex chain that writes, or undefined for a read: one statement over the
 * whole set (`whereIn(column, ids).update(values)`, one multi-row `insert`), since loading the
 * rows first does not batch a write.
 */
function knexWriteAdvice(call: TsCall): string | undefined {
  const calls = chainCalls(call);
  const methods = calls.map(calledName);
  const column = builderFilterColumn(calls);
  if (methods.includes('merge') || methods.includes('upsert'))
    return `write them in one multi-row upsert (\`insert([...]).onConflict('${column}').merge()\`)`;
  if (methods.includes('insert')) return 'insert them in one multi-row `insert([...])`';
  const updates = methods.some((name) => /^(?:update|increment|decrement)$/.test(name));
  const deletes = methods.includes('del') || methods.includes('delete');
  // `where('at', '<', cutoff)` per item picks rows by range, not by a value one `whereIn` gathers.
  if ((updates || deletes) && comparesByRange(calls))
    return `${updates ? 'change' : 'delete'} them in one statement whose \`where\` covers every item's range, or run them in one transaction`;
  if (updates)
    return `change them in one statement (\`whereIn('${column}', ids).update(values)\`) when every row gets the same values; otherwise one upsert (\`insert([...]).onConflict('${column}').merge()\`), a \`CASE\` update, or one transaction`;
  if (deletes) return `delete them in one statement (\`whereIn('${column}', ids).del()\`)`;
  return undefined;
}

/**
 * The methods of a builder chain, first to last, and the call that starts it: `query`, `patch`,
 * `where` of `Provider.query().patch(v).where('key', k)`; `knex`, `where`, `update` of
 * `knex('users').where({ id }).update(v)`.
 */
function chainCalls(call: TsCall): ts.CallExpression[] {
  const calls: ts.CallExpression[] = [];
  let node = unwrap(call.node as ts.Expression);
  while (ts.isCallExpression(node)) {
    calls.push(node);
    const callee = unwrap(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    node = unwrap(callee.expression);
  }
  return calls.reverse();
}

/** The name a chained call calls: `where` of `.where(...)`, `knex` of `knex('users')`. */
function calledName(node: ts.CallExpression): string {
  const callee = unwrap(node.expression);
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return ts.isIdentifier(callee) ? callee.text : '';
}

/**
 * The column a builder chain filters by, for the `whereIn` it should become: `key` of
 * `.where('key', k)`, `id` of `.where({ id })` (the first property whose value is not a literal)
 * and of `findById`/`deleteById`; `id` when the chain does not say.
 */
function builderFilterColumn(calls: readonly ts.CallExpression[]): string {
  for (const node of calls) {
    const name = calledName(node);
    if (!/^(?:where|andWhere|findOne|first)$/.test(name)) continue;
    const first = node.arguments[0] && unwrap(node.arguments[0]);
    if (!first) continue;
    if (ts.isStringLiteralLike(first) && node.arguments.length >= 2) return first.text;
    if (!ts.isObjectLiteralExpression(first)) continue;
    const varying = first.properties.find(
      (property) =>
        ts.isShorthandPropertyAssignment(property) ||
        (ts.isPropertyAssignment(property) && !isScalarLiteral(unwrap(property.initializer))),
    );
    const key = varying?.name;
    if (key && (ts.isIdentifier(key) || ts.isStringLiteral(key))) return key.text;
  }
  return 'id';
}

/**
 * The batched form of an Objection query: one `whereIn` read or write over every id, one insert
 * of many rows (or of a graph), and relations fetched with the items (`withGraphFetched`) or for
 * all of them at once (`relatedQuery(rel).for(ids)`).
 */
function objectionAdvice(call: TsCall): string {
  const calls = chainCalls(call);
  const methods = calls.map(calledName);
  const start = methods.find(
    (name) => OBJECTION_STATIC_QUERIES.has(name) || OBJECTION_INSTANCE_QUERIES.has(name),
  );
  const column = builderFilterColumn(calls);
  const has = (pattern: RegExp): boolean => methods.some((name) => pattern.test(name));
  if (has(/^(?:insertGraph|upsertGraph)/))
    return 'write them all in one `insertGraph([...])` / `upsertGraph([...])`';
  if (has(/^insert/))
    return 'insert them in one `insert([...])` (one multi-row INSERT on PostgreSQL), or one `insertGraph([...])` with their relations';
  if (has(/^(?:patch|update|increment|decrement)/))
    return `change them in one \`query().patch(values).whereIn('${column}', ids)\` when every row gets the same values, else write them in one transaction or one upsert`;
  if (has(/^delete/)) return `delete them in one \`query().delete().whereIn('${column}', ids)\``;
  if (has(/^unrelate$/)) return `unrelate them in one \`unrelate().whereIn('${column}', ids)\``;
  if (has(/^relate$/))
    return "relate them in one call (`Model.relatedQuery('relation').for(ids).relate(id)`, or `relate([...ids])` on a many-to-many relation on PostgreSQL)";
  if (start === 'relatedQuery' || start === '$relatedQuery')
    return "load the relation for every item in one query (`withGraphFetched('relation')` on the query that loaded them, or `Model.relatedQuery('relation').for(ids)`)";
  return `load them in one query (\`query().whereIn('${column}', ids)\`, \`findByIds(ids)\`) before the loop, or \`withGraphFetched\` for their relations`;
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

/** A string argument (`'NX'`) or a property of an options object (`{ NX: true }`) of a call. */
function hasRedisOption(call: TsCall, options: RegExp): boolean {
  return call.args.slice(2).some((arg) => {
    const value = unwrap(arg);
    if (ts.isStringLiteralLike(value)) return options.test(value.text);
    if (!ts.isObjectLiteralExpression(value)) return false;
    return value.properties.some(
      (property) =>
        ts.isPropertyAssignment(property) &&
        (ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name)) &&
        options.test(property.name.text) &&
        property.initializer.kind !== ts.SyntaxKind.FalseKeyword,
    );
  });
}

const REDIS_PIPELINE = 'send them in one pipeline (`redis.pipeline()`) or `multi()`';

/**
 * The batched form of a Redis write, by command. A `SET ... NX` (or `SETNX`) takes a key only
 * when it is free, usually a per-item lock whose reply decides whether the item is processed:
 * no multi-key command replaces it (`MSETNX` sets all keys or none), only a pipeline of the same
 * commands, and a loop that must hold each lock before it goes on has to pay the round trip.
 * `MSET` takes many keys but cannot set an expiry; deletes take many keys.
 */
function redisWriteAdvice(call: TsCall): string {
  const command = call.name.toLowerCase();
  const camel = /[A-Z]/.test(call.name); // node-redis v4 spells multi-key commands `mSet`
  if (command === 'setnx' || (command === 'set' && hasRedisOption(call, /^nx$/i)))
    return `take the locks together in one pipeline (\`redis.pipeline()\`) or \`multi()\` and read each reply, or keep one \`${call.name}\` per item if each item must hold its lock before the loop goes on`;
  if (command === 'del' || command === 'unlink')
    return `pass every key to one command (\`${call.name}(...keys)\`), or ${REDIS_PIPELINE}`;
  const expires =
    /^p?setex$/.test(command) || hasRedisOption(call, /^(?:ex|px|exat|pxat|keepttl)$/i);
  if (command === 'set' && !expires)
    return `write them in one \`${camel ? 'mSet' : 'mset'}\` (every key and value), or ${REDIS_PIPELINE}`;
  if (command === 'set' || /^p?setex$/.test(command))
    return `${REDIS_PIPELINE} (\`${camel ? 'mSet' : 'mset'}\` cannot set an expiry)`;
  if (command === 'hset' || command === 'hmset')
    return `${REDIS_PIPELINE}, or one \`${call.name}(key, { ... })\` when the fields are in one hash`;
  if (/^(?:sadd|srem|zadd|zrem|lpush|rpush)$/.test(command))
    return `${REDIS_PIPELINE}, or one \`${call.name}(key, ...)\` with every member when the key is the same`;
  return REDIS_PIPELINE;
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
  if (io.orm === MONGODB) return mongodbAdvice(io, field ?? '_id', ids);
  const strapi = io.orm === STRAPI ? strapiQueryOfCall(io.call) : undefined;
  if (strapi) return strapiAdvice(strapi, field ?? 'id', ids);
  if (io.orm === 'typeorm') return typeormAdvice(io.call, field ?? 'id', ids);
  if (io.orm === MIKRO_ORM) return mikroOrmAdvice(io.call, field ?? 'id', ids);
  return io.writes
    ? 'write them in one batched call after the loop'
    : 'load them in one query before the loop';
}

/** `Book, ` when an entity manager's call names the entity first (`em.findOne(Book, { id })`). */
function entityArgument(call: TsCall): string {
  const first = call.args[0] && unwrap(call.args[0]);
  return call.args.length > 1 && first && ts.isIdentifier(first) && /^[A-Z]/.test(first.text)
    ? `${first.text}, `
    : '';
}

/**
 * The batched form of a MikroORM entity-manager or repository call: reads in one `$in` query (or
 * `populate` with the query that loaded the items), writes queued with `persist` and sent by one
 * `flush()` after the loop (its unit of work batches them), or one native statement over the set.
 */
function mikroOrmAdvice(call: TsCall, field: string, ids: string): string {
  const method = call.name;
  const entity = entityArgument(call);
  if (method === 'flush' || method === 'persistAndFlush')
    return '`persist` each item in the loop and `flush()` once after it (one unit of work writes them all)';
  if (method === 'removeAndFlush')
    return '`remove` each item in the loop and `flush()` once after it (one unit of work deletes them all)';
  if (method === 'nativeDelete')
    return `delete them in one \`nativeDelete(${entity}{ ${field}: { $in: ${ids} } })\``;
  if (method === 'nativeUpdate')
    return `change them in one \`nativeUpdate(${entity}{ ${field}: { $in: ${ids} } }, values)\` when the values are the same, else \`persist\` the changes and \`flush()\` once after the loop`;
  if (method === 'nativeInsert' || method === 'upsert')
    return '`persist` each new entity in the loop and `flush()` once after it, or write them in one `insertMany([...])` / `upsertMany([...])`';
  if (method === 'populate')
    return 'populate them all in one call before the loop (`populate` takes an array of entities), or `populate` the relation in the query that loaded the items';
  if (method === 'count')
    return `count them in one query grouped by \`${field}\` (a query builder with \`where({ ${field}: { $in: ${ids} } })\` and \`groupBy\`) before the loop`;
  return `load them in one query (\`find(${entity}{ ${field}: { $in: ${ids} } })\`) before the loop, or \`populate\` the relation in the query that loaded the items`;
}

/**
 * The batched form of a Mongoose model call: counts and distinct values in one `$group` by the
 * filtered field, reads in one `$in`.
 */
function mongooseAdvice(io: IoCall, field: string, ids: string): string {
  if (io.writes) return 'send the writes in one `bulkWrite([...])` (or `insertMany`)';
  const match = `{ $match: { ${field}: { $in: ${ids} } } }`;
  if (io.call.name === 'countDocuments' || io.call.name === 'count')
    return `count them in one \`aggregate([${match}, { $group: { _id: '$${field}', count: { $sum: 1 } } }])\` before the loop`;
  const distinct = io.call.name === 'distinct' ? distinctField(io.call) : undefined;
  if (distinct)
    return `collect them in one \`aggregate([${match}, { $group: { _id: '$${field}', values: { $addToSet: '$${distinct}' } } }])\` before the loop`;
  return `load them in one query (\`find({ ${field}: { $in: ${ids} } })\`) before the loop`;
}

/** The field a `distinct('field', ...)` call collects, when written as a string. */
function distinctField(call: TsCall): string | undefined {
  const first = call.args[0] && unwrap(call.args[0]);
  return first && ts.isStringLiteralLike(first) ? first.text : undefined;
}

/**
 * The batched form of a native MongoDB collection call: as a Mongoose model's, and a read can
 * also join what it needs in the query that loaded the items.
 */
function mongodbAdvice(io: IoCall, field: string, ids: string): string {
  const batched = mongooseAdvice(io, field, ids);
  return io.writes
    ? batched
    : `${batched}, or join them with \`$lookup\` in the query that loaded the items`;
}

/** The batched form of a TypeORM repository or entity-manager call; `In` comes from `typeorm`. */
function typeormAdvice(call: TsCall, field: string, ids: string): string {
  const method = call.name;
  // An entity manager takes the entity class first: `manager.findOneBy(Order, { id })`.
  const entity = entityArgument(call);
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
  // A MongoDB cursor read (`find(filter).toArray()`) filters with its `find`'s arguments, and so
  // does a Mongoose count chained on one (`find(filter).countDocuments()`).
  const args =
    (io.orm === MONGODB && cursorStartOf(io.call)?.arguments) ||
    (io.orm === 'mongoose' && mongooseChainFind(io.call)?.arguments) ||
    io.call.args;
  const objects = args
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
