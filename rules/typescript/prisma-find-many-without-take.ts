import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import type { TableFact } from '../../server/src/workspace/facts';
import { ts } from '../../server/src/typescript/compiler';
import { rowsOnlyCounted, type CountedRows } from '../../server/src/typescript/counted-rows';
import { isIdsOfPagedRows, rowsFeedInList } from '../../server/src/typescript/id-lists';
import { findProperty, propertyName } from '../../server/src/typescript/object-literals';
import { appendObjectProperty, fillEmptyArguments } from '../../server/src/typescript/edits';
import {
  isScriptOrTestPath,
  modelOfDelegate,
  prismaQuery,
} from '../../server/src/typescript/knowledge';
import { HelperIoFinder } from '../../server/src/typescript/helper-io';
import { calleeDisplay, unwrap, type TsCall } from '../../server/src/typescript/model';
import type { PrismaClientHolders } from '../../server/src/typescript/prisma-clients';
import {
  describeRequestPath,
  onCronRoute,
  RequestPaths,
  type RequestPath,
} from '../../server/src/typescript/request-paths';
import { fanOutAdvice, rowsFanOut } from '../../server/src/typescript/row-fan-out';
import { endlessTake } from '../../server/src/typescript/unbounded-take';

/** The unique ways to pick one row of a model: single key fields, and composite keys. */
interface ModelKeys {
  single: ReadonlySet<string>;
  composite: readonly (readonly string[])[];
}

/**
 * Keys of a Prisma model from the indexed schema; just `id` when the schema is not in the
 * workspace. A model picked at run time (`model` undefined, `prisma[model].findMany()`) may be any
 * of them: a key of any model counts.
 */
function modelKeys(ctx: FileContext, model: string | undefined): ModelKeys {
  const candidates = model === undefined ? ctx.index.allTables() : ctx.index.tablesOfClass(model);
  const tables = candidates.filter(({ table }) => table.source === 'prisma');
  if (tables.length === 0) return { single: new Set(['id']), composite: [] };
  const single = new Set<string>();
  const composite: string[][] = [];
  for (const { table } of tables) {
    for (const column of table.columns)
      if (column.primaryKey || column.unique) single.add(column.name);
    for (const index of ctx.index.indexesOn(table.name))
      if (index.unique && index.columns.length > 1) composite.push(index.columns);
  }
  return { single, composite };
}

/**
 * Whether a `where` filter value pins the field to known values: `id: x`, `{ id }`,
 * `id: { equals: x }`, or `id: { in: ids }` (as many rows as the caller passed ids).
 */
function pinsField(property: ts.ObjectLiteralElementLike): boolean {
  if (ts.isShorthandPropertyAssignment(property)) return true;
  if (!ts.isPropertyAssignment(property)) return false;
  const value = unwrap(property.initializer);
  if (!ts.isObjectLiteralExpression(value)) return true;
  return !!findProperty(value, 'equals') || !!findProperty(value, 'in');
}

/** A `where` literal that selects rows by a unique key, so at most a known number come back. */
function selectsByKey(where: ts.Expression, keys: ModelKeys): boolean {
  const literal = unwrap(where);
  if (!ts.isObjectLiteralExpression(literal)) return false;
  const pinned = new Set(
    literal.properties
      .filter(pinsField)
      .map(propertyName)
      .filter((name): name is string => !!name),
  );
  return (
    [...keys.single].some((field) => pinned.has(field)) ||
    keys.composite.some((fields) => fields.every((field) => pinned.has(field)))
  );
}

/** Reads that return at most `take` rows when given one: `findMany`, and `groupBy`'s groups. */
const PAGED_READS = new Set(['findMany', 'groupBy']);

/** `<client>.<model>.findMany({ take, ... })` or `.groupBy({ take, ... })`: one page of rows. */
function isPagedRead(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || !PAGED_READS.has(callee.name.text)) return false;
  if (!ts.isPropertyAccessExpression(unwrap(callee.expression))) return false;
  const [args] = call.arguments;
  const literal = args && unwrap(args);
  return !!literal && ts.isObjectLiteralExpression(literal) && !!findProperty(literal, 'take');
}

/**
 * A `where` that keeps to the children of one page of parents read in the same function:
 * `threadId: { in: threads.map((t) => t.id) }` after `const threads = await
 * prisma.thread.findMany({ take: 50 })`. A hand-written include: every child of the page is
 * needed, and there are as many as the page makes them.
 */
function filtersByPageIds(where: ts.Expression): boolean {
  const literal = unwrap(where);
  if (!ts.isObjectLiteralExpression(literal)) return false;
  return literal.properties.some((property) => {
    if (!ts.isPropertyAssignment(property)) return false;
    const value = unwrap(property.initializer);
    const list = ts.isObjectLiteralExpression(value) ? findProperty(value, 'in') : undefined;
    return (
      !!list && ts.isPropertyAssignment(list) && isIdsOfPagedRows(list.initializer, isPagedRead)
    );
  });
}

/**
 * Whether a read's rows are bounded or cannot be judged: `args` are the options of `findMany` (or
 * of a fluent relation read), `model` the Prisma model whose rows it reads (undefined: any).
 */
function boundedOrOpaque(
  args: ts.Expression | undefined,
  model: string | undefined,
  ctx: FileContext,
): boolean {
  if (!args) return false;
  const literal = unwrap(args);
  // Arguments built elsewhere (`findMany(args)`, `findMany(buildQuery(req))`) may carry `take`.
  if (!ts.isObjectLiteralExpression(literal)) return true;
  if (literal.properties.some(ts.isSpreadAssignment)) return true;
  const take = findProperty(literal, 'take');
  if (take) return !endlessTake(take);
  const where = findProperty(literal, 'where');
  if (!where) return false;
  if (ts.isShorthandPropertyAssignment(where)) return false;
  if (!ts.isPropertyAssignment(where)) return true;
  return (
    selectsByKey(where.initializer, modelKeys(ctx, model)) || filtersByPageIds(where.initializer)
  );
}

/** How the read's `take` bounds nothing (`take: Infinity`), when it has one that does not. */
function endlessTakeOf(call: TsCall): string | undefined {
  const [args] = call.args;
  const literal = args && unwrap(args);
  if (!literal || !ts.isObjectLiteralExpression(literal)) return undefined;
  const take = findProperty(literal, 'take');
  return take && endlessTake(take);
}

/** `take: n` added to the options of the read `call` (`findMany`, or a fluent relation read). */
function takeFix(ctx: FileContext, call: TsCall): Fix {
  const limit = ctx.options.defaultLimit;
  const node = call.node as ts.CallExpression;
  const [args] = call.args;
  const sourceFile = ctx.typescript!.sourceFile;
  const edits = args
    ? appendObjectProperty(
        ctx.text,
        sourceFile,
        unwrap(args) as ts.ObjectLiteralExpression,
        `take: ${limit}`,
      )
    : fillEmptyArguments(node, `{ take: ${limit} }`);
  return { title: `Add \`take: ${limit}\``, safety: 'unsafe', edits };
}

/**
 * How often the query runs, and the advice: a cron route is called by a scheduler and needs every
 * row, so it should read them in pages rather than stop at the first ones.
 */
function cadence(path: RequestPath): { when: string; advice: string } {
  return onCronRoute(path)
    ? {
        when: 'on each call of the cron route',
        advice: 'read them in pages with `take` and a `cursor`',
      }
    : { when: 'on each request', advice: 'bound it with `take` and page with a `cursor`' };
}

const IN_LIST_ADVICE =
  'its rows become the `in` list of another query: give that query the same `where` instead of ' +
  'loading every id';

/** The advice for rows only counted: let the database count them, per key or in total. */
function countAdvice({ perKey, keys }: CountedRows): string {
  if (!perKey)
    return (
      'its rows are only counted: `count()` with the same `where` returns the number without ' +
      'loading them, where a `take` would cap it'
    );
  const by = keys.map((key) => `'${key}'`).join(', ');
  return (
    `its rows are only counted per ${keys.map((key) => `\`${key}\``).join(', ')}: ` +
    `\`groupBy({ by: [${by}], _count: true })\` with the same \`where\` returns the counts ` +
    'without loading the rows, where a `take` would cap them'
  );
}

/**
 * Why every row is needed, when the code shows it: its rows become another query's `in` list, are
 * only counted, or each get a side effect (an email, a write). A bound would drop some, so no
 * `take` fix is offered and the advice differs.
 */
function needsEveryRow(call: TsCall, ctx: FileContext, models: HelperIoFinder): string | undefined {
  if (rowsFeedInList(call)) return IN_LIST_ADVICE;
  const counted = rowsOnlyCounted(call);
  if (counted) return countAdvice(counted);
  const fanOut = rowsFanOut(ctx.typescript!, call, models);
  return fanOut && fanOutAdvice(fanOut, '`take`', 'a `cursor`');
}

/** Prisma reads that return one row, on which the fluent API reads a relation of that row. */
const SINGLE_ROW_READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
]);

/** A read of a to-many relation through Prisma's fluent API, and the models involved. */
interface FluentListRead {
  /** The model whose row is found (`Project`). */
  parent: string;
  /** The relation field read (`contacts`). */
  relation: string;
  /** The model the relation lists (`Contact`). */
  model: string;
}

/**
 * `prisma.project.findUnique({ where: { id } }).contacts({ ... })` (also after `findFirst` and
 * the `OrThrow` forms, and after hops through to-one relations: `prisma.post.findUnique(...)
 * .author().posts()`) where `contacts` is a to-many relation of `Project` in the indexed
 * `schema.prisma` (`contacts Contact[]`): every related row comes back, as from `findMany`. A
 * to-one relation (`.owner()`) is one row; without the schema the relation's kind is unknown.
 */
function fluentListRead(
  ctx: FileContext,
  call: TsCall,
  holders: PrismaClientHolders,
): FluentListRead | undefined {
  const receiver = call.receiver && unwrap(call.receiver);
  if (call.isNew || !receiver || !ts.isCallExpression(receiver)) return undefined;
  const parent = fluentRowModel(ctx, receiver, holders);
  if (!parent) return undefined;
  for (const table of prismaTables(ctx, parent)) {
    const model = table.toManyRelations?.[call.name];
    if (model) return { parent, relation: call.name, model };
  }
  return undefined;
}

/** The Prisma models of the schema in the index named `model`. */
function prismaTables(ctx: FileContext, model: string): TableFact[] {
  return ctx.index
    .tablesOfClass(model)
    .map(({ table }) => table)
    .filter((table) => table.source === 'prisma');
}

/**
 * The model of the one row `node` resolves to, through the fluent API: a single-row read
 * (`prisma.post.findUnique(...)`), or a to-one relation read on one (`.author()` of it, `User`
 * when the schema declares `author User`), hop after hop. Undefined for anything else.
 */
function fluentRowModel(
  ctx: FileContext,
  node: ts.CallExpression,
  holders: PrismaClientHolders,
): string | undefined {
  const call = ctx.typescript!.callAt(node);
  if (!call || call.isNew) return undefined;
  if (SINGLE_ROW_READS.has(call.name)) {
    const query = prismaQuery(ctx.typescript!, call, holders);
    // A delegate picked at run time has no schema model whose relations could be looked up.
    return query?.delegate ? modelOfDelegate(query.delegate) : undefined;
  }
  const receiver = call.receiver && unwrap(call.receiver);
  if (!receiver || !ts.isCallExpression(receiver)) return undefined;
  const parent = fluentRowModel(ctx, receiver, holders);
  if (!parent) return undefined;
  for (const table of prismaTables(ctx, parent)) {
    const model = table.toOneRelations?.[call.name];
    if (model) return model;
  }
  return undefined;
}

/**
 * Whether the file may read a relation through the fluent API: every `SINGLE_ROW_READS` name
 * contains one of these, and without one no call needs the relation lookup.
 */
function mayReadFluentRelations(text: string): boolean {
  return text.includes('findUnique') || text.includes('findFirst');
}

/**
 * The rows a read returns without a bound, for the message. `holders` confirm clients that
 * workspace classes declare (`this.repo.model.user.findMany()`).
 */
function unboundedRows(
  call: TsCall,
  ctx: FileContext,
  fluent: boolean,
  holders: PrismaClientHolders,
): string | undefined {
  if (call.name === 'findMany') {
    const query = prismaQuery(ctx.typescript!, call, holders);
    if (!query) return undefined;
    const model = query.delegate === undefined ? undefined : modelOfDelegate(query.delegate);
    if (boundedOrOpaque(call.args[0], model, ctx)) return undefined;
    return model ? `matching \`${model}\` row` : 'matching row';
  }
  // Any other name may be a relation read: only a method called on a call's result is asked.
  if (!fluent || !call.receiverText?.endsWith(')')) return undefined;
  const read = fluentListRead(ctx, call, holders);
  if (!read || boundedOrOpaque(call.args[0], read.model, ctx)) return undefined;
  return `\`${read.model}\` row of the \`${read.parent}\` (its \`${read.relation}\` relation)`;
}

/** `prisma.<model>.findMany()` with no `take`, run per request. */
export const prismaFindManyWithoutTake: Rule = {
  meta: {
    id: 'prisma-find-many-without-take',
    language: 'typescript',
    category: 'unbounded-query',
    severity: 'warning',
    summary:
      '`prisma.<model>.findMany()` without `take` on a request path loads every matching row',
    fix: { title: 'Add `take: n`', safety: 'unsafe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds Prisma `findMany` calls with no `take` (also with the model picked at run time: ' +
        '`prisma[model].findMany()`) that run per request (on a client named ' +
        '`prisma`, `db`, `this.prisma`, ..., declared `PrismaClient` or with a workspace class that ' +
        'extends it, or reached through a repository wrapper whose field is declared with such a ' +
        "class: `this._posts.model.post.findMany()` of `_posts: PrismaRepository<'post'>` with " +
        '`model: Pick<PrismaService, T>`): inside an Express, ' +
        'Fastify, Hono (also `app.openapi(route, handler)` of `@hono/zod-openapi`) or NestJS ' +
        'route handler, a Next.js route handler (also the function an ' +
        'exported `GET`/`POST`/... of a `route.ts` wraps: `export const GET = withAuth(async (req) => ...)`, ' +
        '`export const POST = withSession(handler)`, with `handler` written in the file or imported ' +
        'from another: `export const POST = withWorkspace(createLink)`; also a function a route file ' +
        "exports from an export list: `export { handler as GET, handler as POST } from './tasks'`, " +
        "`export { GET } from '@/lib/route'`, `export { listProjects as GET }`, also one written " +
        'inside a wrapper of its own module that hands it each request: `export const DELETE = ' +
        'withAudit(async (req) => ...)` where `withAudit(handle)` returns `(req) => handle(req)`), API route (also ' +
        "one re-exported as `default`: `export { default } from '@/lib/legacy'`), server component, " +
        '`getServerSideProps` or server action, a Remix `loader`/`action`, a tRPC procedure (its ' +
        'resolver written inline, or given by name, `.query(getLinksHandler)`, with the handler ' +
        'written in the router file or imported from a controller that calls a service, or given ' +
        'as a member of a controller: `.query(linksController.list)` of an object or instance ' +
        'another module exports, `.query(ctrl.list)` of `const ctrl = new LinksController()`; also ' +
        'through a wrapper, `.query(withAudit(ctrl.list))`, `.query(withAudit(async () => ...))`; ' +
        "also a handler an inline resolver loads on first use, `const { getHandler } = await import('./get.handler')`, " +
        'resolved to the module of the import in that resolver, or kept in a handler cache: ' +
        "`cache.list = await import('./list.handler').then((mod) => mod.listHandler)`, then `cache.list(opts)`), or a " +
        'GraphQL resolver method (`@Query()`, `@Mutation()`, `@ResolveField()` of `@nestjs/graphql` ' +
        'or TypeGraphQL); in a ' +
        'function such a handler calls in the same file; or in an exported function, or a public ' +
        'method of an exported class, that a route handler in another file calls (through up to four ' +
        'calls, followed with the workspace index): a NestJS controller or resolver calling the ' +
        'service injected into it (`constructor(private readonly items: ItemService)`, or an ' +
        '`@Inject()`ed field) reaches the service method that queries, and so does an Express ' +
        'controller calling `leadsService.list()` of a module that exports `{ list, create }`, or ' +
        'a method of a service it constructs (`new RoleService()`) or another module exports an ' +
        'instance of (`export const roles = new RoleService()`, `export { svc as roles }`, ' +
        '`exports.roles = new RoleService()`, `module.exports = new RoleService()`). ' +
        "Imports of the workspace's own packages are followed in a monorepo " +
        "(`import { getPeople } from '@acme/lib/people'` where a `package.json` under the workspace " +
        "is named `@acme/lib`), and a service memoised with React's `cache` or Next.js's " +
        '`unstable_cache` (`export const getPeople = cache(async (envId) => ...)`) is the function it ' +
        'wraps, since it runs whenever the memo misses. ' +
        "Reads of a to-many relation through Prisma's fluent API count as `findMany`: " +
        '`prisma.project.findUnique({ where: { id } }).contacts({ select })` (also after `findFirst`, ' +
        '`findUniqueOrThrow` and `findFirstOrThrow`) returns every contact of the project when ' +
        '`contacts` is a list field (`contacts Contact[]`) of the model in `schema.prisma`, and so ' +
        'does one reached through to-one relations first: `prisma.post.findUnique({ where: { id } })' +
        '.author().posts()` reads every post of the one author (`author User`, `posts Post[]`). ' +
        'Routes under a `cron/` folder (`app/api/cron/<job>/route.ts`) are handlers a scheduler calls: ' +
        'their message says the query runs on each call of the cron route, and to read the rows in ' +
        'pages, since a job usually needs them all.',
      whyIsThisBad:
        '`findMany` without `take` returns every row the filter matches. A list endpoint that returns ' +
        '40 orders in development returns 400,000 for a large customer: the query holds a connection ' +
        'for seconds, Prisma builds one object per row, the JSON response is megabytes, and Node runs ' +
        'out of heap. The cost grows with the table, so it shows up in production, not in review.',
      example: [
        "app.get('/orders', async (req, res) => {",
        '  const orders = await prisma.order.findMany({',
        '    where: { customerId: req.user.customerId },',
        "    orderBy: { createdAt: 'desc' },",
        '  });',
        '  res.json(orders);',
        '});',
      ].join('\n'),
      useInstead: [
        "app.get('/orders', async (req, res) => {",
        '  const cursor = req.query.cursor ? { id: String(req.query.cursor) } : undefined;',
        '  const orders = await prisma.order.findMany({',
        '    where: { customerId: req.user.customerId },',
        "    orderBy: { createdAt: 'desc' },",
        '    take: 50,',
        '    ...(cursor && { cursor, skip: 1 }),',
        '  });',
        '  res.json({ orders, next: orders.at(-1)?.id });',
        '});',
      ].join('\n'),
      notFlagged: [
        'Calls with `take` (any value, `take: limit` included), except a `take` that bounds nothing: ' +
          '`take: Infinity` or `Number.MAX_SAFE_INTEGER`, `take ?? Number.MAX_SAFE_INTEGER`, or a `take` ' +
          'parameter that defaults to such a value and is not written again (`{ take = ' +
          'Number.MAX_SAFE_INTEGER }`: a caller that passes none reads every row). That is reported, ' +
          "with no fix: the read already has its `take`, and the page size is the app's to choose.",
        '`where` filters that pin a unique field of the model (`@id`, `@unique`, or every field of an ' +
          '`@@id`/`@@unique`) to a value or an `in` list: at most one row per value comes back. The keys ' +
          'come from `schema.prisma` in the workspace; without it, only `id` counts as a key. A model ' +
          'picked at run time (`prisma[model].findMany(...)`, reported as loading every matching row) may ' +
          'be any of them: a key of any model of the schema counts.',
        '`where` filters that keep to the children of one page of parents read in the same function: ' +
          'an `in` list of the ids of a `findMany` or `groupBy` with `take` (`threadId: { in: ' +
          'threads.map((t) => t.id) }` after `const threads = await prisma.thread.findMany({ take: 50 })`, ' +
          'directly, through a `const ids = threads.map(...)`, or with the page read in its place in ' +
          'a `const [threads, total] = await Promise.all([...])`). There are as many as the page makes ' +
          'them, and a `take` would drop some. An `in` list from a parameter, from rows read without ' +
          '`take`, or built with `flatMap` is no page and is reported.',
        'Arguments Perflens cannot see: a variable or call (`findMany(args)`, `findMany(buildQuery(req))`), ' +
          'or an object that spreads another (`{ ...pagination, where }`), since those may carry `take`.',
        'Code not on a request path: functions no handler reaches, startup code (`main()`, module top ' +
          'level, `onModuleInit`, `app.listen` callbacks), and Next.js build-time functions ' +
          '(`getStaticProps`, `generateStaticParams`). A service method only a startup hook calls ' +
          '(`onModuleInit() { await this.posts.everyPublishedPost() }`) is not on one either.',
        'Imports of a package no `package.json` of the workspace names (installed dependencies, a ' +
          'folder without a `package.json`), and names two `package.json` files declare (a template ' +
          "copy): which files they mean is a guess. A function passed to another memo than React's " +
          "`cache` or Next.js's `unstable_cache` (an app's own once-per-process loader) is left alone.",
        'Functions passed to a wrapper that no Next.js handler export holds: a wrapped `const` not named for an HTTP method (`export const config = withAuth(...)`, also of an imported function: `export const stats = withWorkspace(linkStats)`), not exported, or outside an `app/**/route.ts` file. Outside one, a route re-exporting the `const` is followed only into a wrapper of the same module that calls the function with what it is called with (`(req) => handle(req)`): one from a package, or a memo calling it once (`answer ??= load()`), may not run it per request.',
        'Functions exported from an export list under a name Next.js never calls (`export { summarize ' +
          'as summary }` in a `route.ts`), and a function named for an HTTP method (`export async ' +
          'function GET`) outside a route file that no route file exports (a barrel that is no route ' +
          'does not make it one). Not yet followed: a function written inside a wrapper in a module ' +
          'that is no route file (`export const DELETE = withAudit(async (req) => ...)` in `lib/`), ' +
          're-exported by a route.',
        'A function named like a tRPC handler (`getArchivedHandler`) that no procedure is given, and ' +
          'the members of a controller object or class that no procedure names (`noteController.listAll` ' +
          'beside the `noteController.list` a procedure is given): only ' +
          'the function a `.query()`, `.mutation()` or `.subscription()` of a procedure builder ' +
          '(`publicProcedure`, `protectedProcedure.input(schema)`) names runs per request. A function ' +
          'written in a wrapper call that is not given to a procedure (`const warmed = withAudit(async () => ...)`) ' +
          'is not a resolver either.',
        'Scripts, seeds, migrations and tests (`scripts/`, `prisma/seed.ts`, `*.test.ts`, `__tests__/`).',
        'Prisma-shaped calls on objects that are no Prisma client: a wrapper field declared with a class ' +
          'that does not extend `PrismaClient` (an in-memory table with the same methods, ' +
          "`model: Pick<MemoryStore, T>`), or with another package's client (`model: CatalogClient`).",
        '`findFirst`, `findUnique`, `count`, `aggregate` and `groupBy`, which return one row or a summary.',
        'Fluent reads of a to-one relation (`prisma.project.findUnique(...).owner()`, also after other ' +
          'to-one hops: `.author().team()`), which return one ' +
          'row, and fluent relation reads when no `schema.prisma` in the workspace declares the model: ' +
          'whether the relation is a list is not known. A `take`, a `where` on a key of the related ' +
          'model, or options built elsewhere (`.contacts(options)`) leave a relation read alone as they ' +
          'do a `findMany`.',
      ],
      fixSafety:
        'Unsafe: `take` changes how many rows the code receives. It is the right bound for lists shown ' +
        'to people (add a `cursor` for the next page), wrong for code that needs every row, which ' +
        'should page through the table instead. No fix is offered when the rows (or their ids, ' +
        '`rows.map((r) => r.id)`, also assigned to a `let` declared before the `if` that reads the ' +
        'rows: `eventIds = rows.map(...)`) become the `in`/`notIn` list of another query in the function: ' +
        'that code needs every one, and the message says to filter the other query directly. Nor when the ' +
        'rows are only counted (`rows.length`, or a `forEach`, `reduce` or `for...of` that only bumps a ' +
        'counter per key of each row, `counts.set(row.objectId, (counts.get(row.objectId) ?? 0) + 1)`): ' +
        'a `take` would silently cap the counts, and the message says to count in the database ' +
        '(`count()`, or `groupBy({ by: [...], _count: true })`). Rows counted and also used otherwise ' +
        'keep the fix. Nor when a loop over the rows (`for...of`, `forEach`, a `map` whose promises ' +
        '`Promise.all` awaits, also over `rows.filter(...)`) makes a side effect for each one: sends ' +
        'an email or a message (`sendMail`, `queueTemplate`, `publish`, `notify...`), adds a job to ' +
        'a queue (`emailQueue.add(...)`), makes an HTTP request that writes, writes the database, ' +
        'or calls a workspace function that does (a function of this file by what its body does, ' +
        'whatever its name: `queueRefresh(id)` that pushes onto an array sends nothing; a ' +
        'send-named call whose result is used as a value, `names.push(queueName(job))`, is none ' +
        'either): a `take` would silently skip the rest (a watcher ' +
        'never notified), so the finding stays, for the fan-out over an unbounded set, with advice ' +
        'to process the rows in batches (`take` with a `cursor`, looping until none are left) or to ' +
        'move the fan-out to a background job. Rows only returned, mapped to a response, or ' +
        'iterated to compute or to read more keep the fix. The value is `defaultLimit` (default ' +
        '1000). `take` is ' +
        'added as the last property of the arguments object in its own formatting (one line, or a ' +
        'new line indented like its neighbours, keeping a trailing comma), or as `{ take: n }` when ' +
        '`findMany()` has no arguments; for a fluent relation read, to the options of the relation ' +
        'call (`.contacts({ select, take: n })`, `.contacts({ take: n })`).',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    const paths = new RequestPaths(model, ctx.index, ctx.file, ctx.relativePath);
    const fluent = mayReadFluentRelations(model.text);
    // The index is read only for a query on a client a workspace class declares.
    const holders = new HelperIoFinder(() => ctx.index, model);
    for (const call of model.calls) {
      const rows = unboundedRows(call, ctx, fluent, holders);
      if (!rows) continue;
      const path = paths.reaching(call.fn);
      if (!path) continue;
      const node = call.node as ts.CallExpression;
      const { when, advice } = cadence(path);
      const endless = endlessTakeOf(call);
      if (endless) {
        // The `take` is there: adding one would repeat it, and the right default is the app's.
        ctx.report({
          start: call.start,
          end: node.expression.end,
          message:
            `\`${calleeDisplay(call, 60)}()\` reads with ${endless}, which bounds nothing: ` +
            `it loads every ${rows} ${when} (${describeRequestPath(path)}); give \`take\` a ` +
            'page-sized default and cap what callers pass',
        });
        continue;
      }
      const everyRow = needsEveryRow(call, ctx, holders);
      ctx.report({
        start: call.start,
        end: node.expression.end,
        message:
          `\`${calleeDisplay(call, 60)}()\` has no \`take\`: it loads every ${rows} ${when} ` +
          `(${describeRequestPath(path)}); ${everyRow ?? advice}`,
        fixes: everyRow ? [] : [takeFix(ctx, call)],
      });
    }
  },
};
