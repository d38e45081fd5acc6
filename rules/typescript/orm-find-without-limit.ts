import type { FileContext, Rule } from '../../server/src/engine/rule';
import { HelperIoFinder } from '../../server/src/typescript/helper-io';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import { unwrap, type TsCall, type TsModel } from '../../server/src/typescript/model';
import {
  describeRequestPath,
  onCronRoute,
  RequestPaths,
} from '../../server/src/typescript/request-paths';
import { fanOutAdvice, rowsFanOut, type RowFanOut } from '../../server/src/typescript/row-fan-out';
import { ts } from '../../server/src/typescript/compiler';
import {
  drizzleRead,
  isDrizzleReadShape,
  mayReadDrizzle,
} from '../../server/src/typescript/unbounded-reads/drizzle';
import { knexRead, mayReadKnex } from '../../server/src/typescript/unbounded-reads/knex';
import { kyselyRead } from '../../server/src/typescript/unbounded-reads/kysely';
import {
  mayReadObjection,
  objectionRead,
} from '../../server/src/typescript/unbounded-reads/objection';
import {
  isMikroOrmRead,
  mikroOrmFind,
} from '../../server/src/typescript/unbounded-reads/mikro-orm';
import { mongodbFind, mongooseFind } from '../../server/src/typescript/unbounded-reads/mongo';
import type { UnboundedRead } from '../../server/src/typescript/unbounded-reads/read';
import {
  SEQUELIZE_READS,
  sequelizeFindAll,
} from '../../server/src/typescript/unbounded-reads/sequelize';
import { strapiFindMany } from '../../server/src/typescript/unbounded-reads/strapi';
import {
  BUILDER_READS,
  builderRead,
} from '../../server/src/typescript/unbounded-reads/typeorm-builders';
import {
  TYPEORM_FINDS,
  typeormFind,
} from '../../server/src/typescript/unbounded-reads/typeorm-finds';

/**
 * Reads of every matching row, by method (Kysely's by the `selectFrom` they start with): a file that
 * names none of them has nothing to report.
 */
const READ_METHODS =
  /\b(?:find(?:By|AndCount(?:By)?)?|findAll|findAndCountAll|get(?:Raw)?Many(?:AndCount)?|selectFrom)\b/;

/**
 * The message: what has no bound, what it loads, how often and from where, and the advice (for
 * rows each handed to a side effect, `fanOut`: to go through all of them in batches).
 */
function message(
  read: UnboundedRead,
  when: string,
  path: string,
  cron: boolean,
  fanOut: RowFanOut | undefined,
): string {
  const what = read.documents ? 'document' : 'row';
  const rows = read.entity ? `\`${read.entity}\` ${what}` : what;
  const { bound, paging } = read.wording;
  const advice = fanOut
    ? fanOutAdvice(fanOut, bound, paging)
    : cron
      ? `read them in pages with ${bound} and ${paging}`
      : `bound it with ${bound} and page with ${paging}`;
  return `\`${read.quoted}\` has no ${bound}: it loads every matching ${rows} ${when} (${path}); ${advice}`;
}

/** Which reads a file's text may hold, by the cheap sniffs that name their libraries. */
interface Sniffs {
  strapi: boolean;
  knex: boolean;
  drizzle: boolean;
  objection: boolean;
}

/** The unbounded read `call` runs, of whichever ORM it is, or undefined. */
function unboundedRead(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
  { strapi, knex, drizzle, objection }: Sniffs,
  models: () => HelperIoFinder,
): UnboundedRead | undefined {
  // `await db('users')`: a knex table read with no steps is the only read with no receiver.
  if (!call.receiver) return knex ? knexRead(ctx, model, call) : undefined;
  // An Objection chain may end in any step (`where`, `orderBy`, the `query()` itself); one that
  // is not a model's goes on to the reads below (`strapi.db.query(uid).findMany()`).
  const objectionQuery = objection ? objectionRead(ctx, model, call, models) : undefined;
  if (objectionQuery) return objectionQuery;
  if (drizzle && isDrizzleReadShape(call)) {
    // `db.select('*').from('users')` is also knex's builder-first read, on a knex instance.
    const read = drizzleRead(ctx, model, call);
    if (read) return read;
  }
  if (isMikroOrmRead(model, call)) return mikroOrmFind(ctx, model, call);
  if (TYPEORM_FINDS.has(call.name)) {
    // `items.find((item) => ...)`: an array's, never a repository's.
    if (call.args[0] && ts.isFunctionLike(unwrap(call.args[0]))) return undefined;
    return (
      typeormFind(ctx, model, call, models()) ??
      mongooseFind(ctx, model, call, models()) ??
      mongodbFind(ctx, model, call, models()) ??
      mikroOrmFind(ctx, model, call, models())
    );
  }
  if (SEQUELIZE_READS.has(call.name))
    return sequelizeFindAll(ctx, model, call, models()) ?? mikroOrmFind(ctx, model, call, models());
  if (BUILDER_READS.has(call.name)) return builderRead(ctx, model, call);
  if (call.name === 'execute') return kyselyRead(ctx, call);
  if (strapi && call.name === 'findMany') return strapiFindMany(ctx, model, call);
  return knex ? knexRead(ctx, model, call) : undefined;
}

/**
 * TypeORM, Sequelize, Mongoose, MongoDB, Kysely, knex, Objection, Strapi, MikroORM and Drizzle reads
 * with no limit, run per request.
 */
export const ormFindWithoutLimit: Rule = {
  meta: {
    id: 'orm-find-without-limit',
    language: 'typescript',
    category: 'unbounded-query',
    severity: 'warning',
    summary:
      'A TypeORM `find()`/`getMany()`, Sequelize `findAll()`, Mongoose or MongoDB `find()`, Kysely `selectFrom()…execute()`, awaited knex or Objection `query()` chain or Drizzle `findMany()`/`select()…from()` with no limit on a request path loads every matching row',
    fix: { title: 'Add `take`/`limit`', safety: 'unsafe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds reads through TypeORM, Sequelize, Mongoose, the native MongoDB driver, Kysely, knex, Objection.js, Strapi, MikroORM and Drizzle that return every matching row and run ' +
        'per request: a TypeORM repository or entity manager `find`, `findBy`, `findAndCount` or ' +
        '`findAndCountBy` without `take`; a TypeORM query builder (`repo.createQueryBuilder(...)`, ' +
        'inline or kept in a variable) read with `getMany()`, `getManyAndCount()` or `getRawMany()` ' +
        "with no `.take()` or `.limit()` on it; a Sequelize model's `findAll` or `findAndCountAll` " +
        "(also after `scope()`/`unscoped()`) without `limit`; a Mongoose model's `find` with no " +
        "`.limit()` in its chain; a native MongoDB collection's `find(...)` read with `.toArray()` " +
        'and no `.limit()` before it nor `limit` in its options (a collection as `await-in-loop` ' +
        "recognises it: declared `Collection<T>` from `mongodb`, `client.db().collection('x')` of a " +
        "`MongoClient`, a module-level collection another module exports, or `db.collection('x')` " +
        'of a `Db` or `getDb()` another module exports); a Kysely `db.selectFrom(...)` chain run with `execute()` and no ' +
        '`.limit()` in it (inline, in a `$if`/`$call` callback on the builder, or kept in a variable ' +
        'only reassigned with chains on itself: `query = query.where(...)`); a knex chain awaited (or ' +
        "returned from an `async` function) whose steps only read (`await db('orders').select(...)" +
        '.where(...).orderBy(...)`, `.pluck(...)`, `.distinct(...)`) with no `.limit()` or `.first()`, ' +
        "or a table named by a string and awaited with no step at all (`await db('users')`: every row), " +
        'or a chain written builder-first whose steps only read and name the table ' +
        "(`await db.select('id').from('users').orderBy('name')`, `await db.from('users').pluck('id')`), on " +
        'a knex instance: a name declared `Knex` (`private readonly database: Knex`, then ' +
        '`this.database(TABLE)...`), a module variable made by the factory (`const db = knex({...})`), ' +
        'or one another module exports (`export const db = knex({...})`, `export default connection`, ' +
        '`module.exports = knex({...})`, `module.exports = { db }`) and this one imports under any ' +
        'name; or on a transaction of one (the ' +
        'parameter of `db.transaction(async (trx) => ...)`, `const trx = await db.transaction()`, ' +
        'a name declared `Knex.Transaction`); an Objection.js query of a model class (a class ' +
        "extending `Model` imported or required from `objection`, directly or through the app's " +
        'own base classes in any file) started with its static `query()` (also `this.query()` in ' +
        'a static method) and awaited, returned from an `async` function or run in an awaited `Promise.all([...])`, whose steps only read ' +
        "(knex's read steps above, and `withGraphFetched`, `withGraphJoined`, `joinRelated` and " +
        'the like) with no `.limit()`, `.first()`, `.page()`, `.range()`, `.findById()`, ' +
        '`.findByIds()`, `.findOne()` or `.resultSize()` (`await Person.query()`, `await ' +
        "Person.query().where('team_id', id)`); a Strapi `findMany` with no " +
        '`limit`, `pageSize` or `pagination` in its params (`strapi.db.query(uid).findMany(params)`, ' +
        '`strapi.entityService.findMany(uid, params)`, `strapi.documents(uid).findMany(params)`) in a ' +
        'controller action or service method (a member of the object the factory given to ' +
        '`factories.createCoreController(uid, ...)` / `createCoreService(uid, ...)` returns, or that ' +
        '`module.exports = ({ strapi }) => ({ ... })` / `export default` returns in ' +
        "`src/api/*/controllers|services/` or a plugin's `server/controllers|services/`). Repositories are recognised as Perflens recognises TypeORM calls " +
        '(`@InjectRepository(User) private repo: Repository<User>`, `dataSource.getRepository(User)`, ' +
        '`getDataSource().getRepository(User)`, a custom repository class extending `Repository<User>` ' +
        'in any file, a repository another module exports (`export const users = ' +
        'AppDataSource.getRepository(User)`), a data source another module exports under any name ' +
        '(`databaseConnection.getRepository(User)`), a repository getter a module exports ' +
        '(`export const userRepo = repoFactory(User)`, then `userRepo().find()`), the statics of an ' +
        'Active Record entity extending ' +
        '`BaseEntity`: ' +
        "`User.find()`, `User.findBy()`, `dataSource.manager`, a query runner's or transaction's " +
        'manager), Sequelize models by the ' +
        'class they extend (through other files too), Mongoose models by a `Model<T>` declaration ' +
        '(`@InjectModel(Cat.name) private cats: Model<Cat>`; also `mongoose.Model<T>`, an interface ' +
        'extending it or a type alias of it, declared in any file: `private columns: IColumnModel` ' +
        'with `interface IColumnModel extends Model<IColumn>`; a member of an interface typed so, ' +
        '`models.Cards` of `models: IModels`, also destructured or asserted, `res.locals.models as ' +
        'IModels`) or as made by `mongoose.model(...)` ' +
        '(in the file, or exported by another: `export default mongoose.model(...)`, ' +
        '`module.exports = mongoose.model(...)`). The request path is the one ' +
        '`prisma-find-many-without-take` follows: a route handler, resolver or server function, a ' +
        'function it calls in the same file, or an exported function or public method of an exported ' +
        'class (a NestJS service injected into a controller, a function of a service module that ' +
        'exports `{ list, create }`, a method of a service the handler constructs) that a handler in ' +
        'another file reaches (a NestJS controller → service → Kysely repository method, ' +
        '`this.assetRepository.getAll()`; a repository field a service inherits from a base ' +
        'class in another file is followed with `typescript.typeAware`). ' +
        'A MikroORM entity manager or repository (as `await-in-loop` recognises one: declared ' +
        '`EntityManager`/`SqlEntityManager`/`EntityRepository<T>` from `@mikro-orm/*`, injected by ' +
        '`@mikro-orm/nestjs`, `orm.em`, `em.fork()`, `em.getRepository(T)`, the manager of ' +
        '`em.transactional()`, `RequestContext.getEntityManager()`, a member of a module object ' +
        'typed with one (`DI.em`, `DI.books` of `export const DI = {} as { em: EntityManager; ' +
        'books: EntityRepository<Book> }`, and `DI.orm.em` of a member typed `MikroORM`), also ' +
        'imported from another module, and a repository ' +
        'another module exports: `export const bookRepo = orm.em.getRepository(Book)`) read with `find`, `findAll` or `findAndCount` and no `limit` in its ' +
        'options (`em.find(Ticket, where, options)`, `em.findAll(Ticket, options)`, ' +
        '`repo.find(where, options)`, `repo.findAll(options)`). ' +
        'A Drizzle relational query `db.query.cards.findMany({...})` with no `limit` in its ' +
        'options (or none at all), and a Drizzle core query `db.select(...).from(cards)` (also ' +
        '`selectDistinct`) awaited, returned from an `async` function or run in an awaited ' +
        '`Promise.all([...])`, made only of read steps (`where`, joins, `orderBy`, `groupBy`, ' +
        "`having`, `offset`, `execute`) with no `.limit()`, also ended by the SQLite drivers' " +
        '`.all()` or `.values()` (they run it and return every row, awaited or not), on a Drizzle database: a name ' +
        'Drizzle code uses (`db`, `tx`, `database`, `drizzle`, `this.db`, the `ctx.db` of a tRPC context, also as `opts.ctx.db`) in a file that imports ' +
        'anything from `drizzle-orm` (its operators, a database type such as `NodePgDatabase`, ' +
        'the `drizzle` factory) or from a workspace package that re-exports it (a monorepo db ' +
        "package's `export * from 'drizzle-orm'`, followed through its barrels), or imported from " +
        'a module that makes it with `drizzle(...)` (`export const db = drizzle(pool, { schema })`, ' +
        'also with the `drizzle` such a package re-exports), or a transaction of one (`db.transaction(' +
        'async (tx) => ...)`). ' +
        'An options object kept in a `const` that only the read uses (`const query = { where }; ' +
        'return Model.findAll(query)`) is read like one written in the call.',
      whyIsThisBad:
        'A read with no limit returns every row its filter matches. An endpoint that lists 30 ' +
        'records in development lists 300,000 for the largest tenant: the database sends them all, ' +
        'the ORM builds an entity per row, the response is megabytes, and Node runs out of heap ' +
        'under a few concurrent requests. The cost grows with the table, so it appears in production.',
      example: [
        '@Injectable()',
        'export class OrdersService {',
        '  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}',
        '',
        '  forCustomer(customerId: string) {',
        "    return this.orders.find({ where: { customerId }, order: { createdAt: 'DESC' } });",
        '  }',
        '}',
      ].join('\n'),
      useInstead: [
        '@Injectable()',
        'export class OrdersService {',
        '  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}',
        '',
        '  forCustomer(customerId: string, page = 0, size = 50) {',
        '    return this.orders.find({',
        '      where: { customerId },',
        "      order: { createdAt: 'DESC' },",
        '      skip: page * size,',
        '      take: size,',
        '    });',
        '  }',
        '}',
      ].join('\n'),
      notFlagged: [
        'Reads with a bound: `take` in TypeORM find options, `.take()` or `.limit()` anywhere on a ' +
          'query builder, `limit` in Sequelize options, `.limit()` in a Mongoose chain or before `toArray()` on a MongoDB cursor (or `limit` in its `find` options), `.limit()` ' +
          '(or `.top()`, `.fetch()`) anywhere in a Kysely chain, a `$if` callback included (any value); ' +
          '`.limit()` or `.first()` anywhere in a knex chain (`.limit(n).offset(m)` pages).',
        'Filters that pin the primary key to values: `where: { id }`, `id: In(ids)`, `findBy({ id })`, ' +
          "`.whereInIds(ids)`, `.where('user.id = :id', { id })`, Sequelize `id: ids` or " +
          "`id: { [Op.in]: ids }`, Mongoose or MongoDB `_id: { $in: ids }`, Kysely `.where('id', '=', id)` or " +
          "`.where('asset.id', 'in', ids)`, knex `.where({ id })`, `.where('id', id)`, " +
          "`.where('orders.id', '=', id)` or `.whereIn('id', ids)` with no `orWhere*` beside it (the table read or its alias; a joined table's `id`, or a " +
          'condition only a `$if` adds, does not pin the rows). No entity metadata is read, so only ' +
          'a key named `id` (`_id` for Mongoose and MongoDB) counts, and for knex, whose schemas ' +
          "often key rows on uuids, also `uuid` and the table's own `<row>_uuid`/`<row>_id` when the " +
          "table is named by a string (`db('spaces').where({ space_uuid })`, `db('saved_queries')" +
          ".where('saved_query_id', id)`; `org_uuid` on `members` is a foreign key, many rows, and " +
          'is flagged); and a Kysely link table read for one owner ' +
          "and a list of the other side, the table named for both (`selectFrom('album_asset')" +
          ".where('albumId', '=', albumId).where('assetId', 'in', assetIds)`): one row per pair, so " +
          'at most one per listed id. The same list on another table (`comment` by `albumId` and ' +
          '`userId` in a list) is flagged.',
        'Options Perflens cannot see: a variable used elsewhere too, a call (`find(this.options(q))`), ' +
          'an object that spreads another, a query builder that comes from a parameter or a helper or ' +
          'is handed to one (`paginate(qb)`), a Mongoose query kept in a variable before it runs, a ' +
          'Kysely builder a helper makes (`this.baseQuery(id).execute()`) or is handed to ' +
          '(`.$call((qb) => paginate(qb, page))`, `.$call(withFilters)`, `query = paginate(query)`), ' +
          'a knex builder kept in a variable, returned by a function that is not `async`, handed to ' +
          'a helper or given a step Perflens does not read as one (`.modify(fn)`, `.paginate()` of ' +
          'knex-paginate, `.then(...)`, `.stream()`, writes such as `insert`, `update`, `del`): ' +
          'code there may add the bound. (`findBy(where)` takes no options, so a `where` built ' +
          'elsewhere is still flagged.)',
        'Reads that do not load the rows: `findOne*`, `count`, `getCount()`, `getOne()`, ' +
          '`getRawOne()`, `exists`, and Mongoose `find()` followed by `.cursor()`, `.stream()`, ' +
          '`.eachAsync()`, `.countDocuments()` or `.distinct()`, a MongoDB cursor read one document ' +
          'at a time (`for await`, `next()`) or kept in a variable before `toArray()` (it may be ' +
          'limited there), Kysely `executeTakeFirst()`, ' +
          '`executeTakeFirstOrThrow()` and `stream()`. Reads that select only aggregates ' +
          'and group nothing: a query builder whose every `select` is `COUNT(...)`, `SUM(...)`, ' +
          "`AVG`, `MIN` or `MAX`, a Sequelize `findAll` whose `attributes` are all `[fn('COUNT', ...), " +
          "'alias']` pairs with no `group`, a Kysely chain whose every `select` is aggregates " +
          "(`(eb) => eb.fn.countAll().as('n')`, `fn.sum(...)`, `` sql`count(*)`.as('n') ``) with no " +
          '`groupBy` (with `groupBy`/`group`, one row per group comes back, and they are flagged; so ' +
          'is a window count, `.over()`, one value per row); a knex chain of aggregates (`.count()`, ' +
          '`.sum()`, `.min()`, `.max()`, `.avg()`) with no `groupBy`.',
        'Methods of other objects named `find` (arrays, in-memory stores, a class of your own ' +
          'with such a method): only receivers known to be a TypeORM repository or manager, a Sequelize model or a ' +
          'Mongoose model or a native MongoDB collection count (a type that extends a `Model` of ' +
          "another package or of the app's own, or an object type with a `find` of its own, such as " +
          '`previews: PreviewTable`, is no Mongoose model), and for knex only an instance recognised ' +
          "as above: a function of your own called `db` or `knex` (`db('settings')` in a file that " +
          'imports no knex) is none, nor a `trx` parameter of a function nothing ties to knex, nor ' +
          'an object with `select(...)`/`from(...)` methods of its own (an in-memory catalog, ' +
          "another client's `supabase.from('t').select()`), nor `db.raw(sql)` (the SQL rules read it), nor " +
          "the parameter of another library's `transaction(async (store) => ...)` callback (an " +
          'exported object with a ' +
          '`collection()` method of its own is no `Db`).',
        'Objection.js queries with a bound or a key: `.limit()`, `.first()`, `.page()`, `.range()`, ' +
          "`.findById()`, `.findByIds()`, `.findOne()`, `.resultSize()`, a key pinned as for knex (`.where('id', id)`, " +
          "`.whereIn('id', ids)`), aggregates with no `groupBy`; writes (`patch`, `update`, `delete`, " +
          '`insert`, `relate`, ...); a builder kept in a variable, handed to a helper, returned by a ' +
          "function that is not `async`, or given a step Perflens does not read (`.modify('named')`, " +
          "`.then()`): code there may bound it; relation queries (`person.$relatedQuery('pets')`, " +
          "`Person.relatedQuery('pets').for(id)`), whose relation may be to-one, and an instance's " +
          "`$query()` (its own row); `query()` of a class that does not extend `objection`'s `Model` " +
          "(a search client's static `query`, a `Model` of another package).",
        'Code not on a request path: functions no handler reaches, startup code (`main()`, module top ' +
          'level, `onModuleInit`, `app.listen` callbacks), and a service method only a startup hook ' +
          'calls. Scripts, seeds, migrations and tests (`scripts/`, `migrations/`, `seeds/`, ' +
          '`*.spec.ts`, `__tests__/`). Reads of small lookup tables are not exempt: nothing says a ' +
          'table stays small.',
        'Strapi code that runs outside requests: `register`/`bootstrap` of `src/index`, cron tasks, ' +
          'lifecycle hooks, and the body of a controller or service factory (it runs once, when ' +
          'Strapi loads it). A Strapi `findMany` whose `where`/`filters` pins `id`, or whose params ' +
          'are a variable used elsewhere or spread another object; `findOne`/`findFirst`/`count`; ' +
          'a `findMany` of an object that is not reached from `strapi`.',
        'Drizzle reads with a bound or a key: `limit` in `findMany` options, `.limit()` anywhere in ' +
          'a `select` chain, `findFirst`, a SQLite `.get()` (the first row); a `where` that pins the key with `eq(cards.id, id)` or ' +
          '`inArray(cards.id, ids)` (alone or inside `and(...)`, also spread into it from a `const` array of conditions, not `or(...)`; in a relational ' +
          'query also as a callback, `(c, { eq }) => eq(c.id, id)`, or an object, `{ id }`): the key ' +
          "is `id`, `uuid` or the table's own prefixed key (`deploymentId` of `deployments`), of the " +
          'table read in `from(...)` for a core query. Core reads that select only aggregates ' +
          '(`count()`, `sum(...)`, `` sql<number>`count(*)` ``) with no `groupBy` (grouped, they ' +
          'return one row per group and are flagged). Writes (`insert`, `update`, `delete`). A ' +
          '`select` builder kept in a variable, returned by a function that is not `async`, or ' +
          'given a step Perflens does not read (`$dynamic()`, `as()`, `union`, `prepare`): code ' +
          'there may bound it; a `findMany` chained with `prepare`/`toSQL`; options kept in a ' +
          'variable used elsewhere or spreading another object. A `db` with no Drizzle evidence (an ' +
          "object of the app's own with a `query` field or a `select` method, in a file that " +
          'imports nothing from `drizzle-orm` nor from a package re-exporting it, or imported from ' +
          'a module that makes no Drizzle database), `ctx.db` included; a package that re-exports ' +
          "only `drizzle-orm`'s types (`export type { InferSelectModel } from 'drizzle-orm'`) is no " +
          "evidence, nor is a `drizzle` function of a package that does not re-export Drizzle's.",
        'MikroORM reads with `limit` in their options, a `where` (for `findAll`, the `where` of its ' +
          'options) that pins `id` (`{ id }`, `{ id: ids }`, `{ id: { $in: ids } }`), options kept ' +
          'in a variable used elsewhere or spreading another object, `findOne`, `count`, and a ' +
          '`find` on anything not recognised as a MikroORM entity manager or repository (an ' +
          "object of the app's own with a `find`/`findAll`).",
      ],
      fixSafety:
        'Unsafe: a bound changes how many rows the code receives. It is right for lists shown to ' +
        'people (add paging for the next page), wrong for code that needs every row, which should ' +
        'read them in pages instead. No fix is offered when a loop over the rows (`for...of`, ' +
        '`forEach`, a `map` whose promises `Promise.all` awaits, also over `rows.filter(...)`) makes ' +
        'a side effect for each one: sends an email or a message (`sendMail`, `publish`, ' +
        '`notify...`), adds a job to a queue (`emailQueue.add(...)`), makes an HTTP request that ' +
        'writes, writes the database, or calls a workspace function that does (a function of this ' +
        'file by what its body does, whatever its name: `queueRefresh(id)` that pushes onto an ' +
        'array sends nothing; a send-named call whose result is used as a value, ' +
        '`names.push(queueName(job))`, is none either). A bound would ' +
        'silently skip the rest, so the finding stays, for the fan-out over an unbounded set, with ' +
        'advice to process the rows in batches (the bound with the paging, looping until none are ' +
        'left) or to move the fan-out to a background job. ' +
        'The value is `defaultLimit` (default 1000). TypeORM finders get ' +
        '`take: n` as the last option (options are created when there are none: `find({ take: n })`, ' +
        '`manager.find(User, { take: n })`, and `findBy(where)` becomes `find({ where, take: n })`); ' +
        'Sequelize reads get `limit: n` the same way (in the `const` the options are kept in, when ' +
        'that is where they are); a query builder gets `.take(n)` before `getMany()` or ' +
        '`getManyAndCount()`, and `.limit(n)` before `getRawMany()`; a Mongoose `find(...)` gets ' +
        '`.limit(n)` right after it, and so does a MongoDB `find(...)` read with `toArray()`; a Kysely chain gets `.limit(n)` before `.execute()`; a Strapi `findMany` gets ' +
        '`limit: n` in its params literal (created when there are none: `findMany({ limit: n })`, ' +
        '`entityService.findMany(uid, { limit: n })`; no fix for params kept in a variable); a MikroORM ' +
        'read gets `limit: n` in its options (created when there are none: `em.find(Ticket, where, ' +
        '{ limit: n })`, `repo.findAll({ limit: n })`; no fix for a `find` written with no `where`). No fix is ' +
        'offered for a callback-style Mongoose `find`. A knex or Objection chain gets `.limit(n)` appended at its ' +
        'end (knex builds the SQL from the whole chain, so the order of its steps does not matter). ' +
        'A Drizzle `findMany` gets `limit: n` in its options (created when there are none: ' +
        '`findMany({ limit: n })`); a Drizzle `select` chain gets `.limit(n)` before `.offset()` or ' +
        '`.execute()` (`.all()`, `.values()`), else at its end, and `.limit(1)` when only its first row is kept (`const ' +
        '[latest] = await db.select()...`: the same row comes back).',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    const sniffs: Sniffs = {
      strapi: ctx.text.includes('strapi') && ctx.text.includes('findMany'),
      knex: mayReadKnex(ctx.text),
      drizzle: mayReadDrizzle(ctx.text),
      objection: mayReadObjection(ctx.text),
    };
    if (!Object.values(sniffs).some(Boolean) && !READ_METHODS.test(ctx.text)) return;
    let paths: RequestPaths | undefined;
    let finder: HelperIoFinder | undefined;
    const models = (): HelperIoFinder => (finder ??= new HelperIoFinder(() => ctx.index, model));
    for (const call of model.calls) {
      if (call.isNew || call.isTaggedTemplate) continue;
      const read = unboundedRead(ctx, model, call, sniffs, models);
      if (!read) continue;
      paths ??= new RequestPaths(model, ctx.index, ctx.file, ctx.relativePath);
      const path = paths.reaching(call.fn);
      if (!path) continue;
      const cron = onCronRoute(path);
      const when = cron ? 'on each call of the cron route' : 'on each request';
      // Rows each handed to a side effect are all needed: a bound would silently skip some.
      const fanOut = rowsFanOut(model, call, models());
      ctx.report({
        start: read.start,
        end: read.end,
        message: message(read, when, describeRequestPath(path), cron, fanOut),
        fixes: read.fix && !fanOut ? [read.fix] : [],
      });
    }
  },
};
