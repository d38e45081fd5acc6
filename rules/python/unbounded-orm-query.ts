import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { PythonModel } from '../../server/src/python/model';
import { readsSchemaSizedModels } from '../../server/src/python/schema-sized-models';
import type { WorkspaceIndex } from '../../server/src/workspace/index';
import type { Fix } from '../../server/src/engine/types';
import { asyncOrmReads, asyncRowsOfOneParent } from '../../server/src/python/async-orm-reads';
import { deletesEachQuerySetRow } from '../../server/src/python/django-round-trips';
import { djangoShortcutListReads } from '../../server/src/python/django-shortcut-reads';
import { isOneOffCode } from '../../server/src/python/loop-analysis';
import {
  isGetHandler,
  pagedByEndpointFix,
  RETURNS_READ,
  rowsOnlyForUnpagedEndpoints,
} from '../../server/src/python/list-endpoints';
import { flowsToReturn } from '../../server/src/python/local-flow';
import {
  boundText,
  customManagerReads,
  EVALUATING,
  unboundedOrmReads,
  type OrmRead,
} from '../../server/src/python/orm';
import {
  growsWithoutBound,
  readsByKey,
  rowsOfOneParent,
  type Growth,
} from '../../server/src/python/orm-keys';
import {
  customManagerEmptinessTests,
  querySetEmptinessTests,
  type QuerySetEmptinessTest,
} from '../../server/src/python/queryset-truthiness';
import { loopFed, mustSeeAll, type MustSeeAll } from '../../server/src/python/must-see-all';
import { isBulkWriteFallback } from '../../server/src/python/bulk-write-fallbacks';
import { querySetLengths, type QuerySetLength } from '../../server/src/python/queryset-length';
import { aggregatesRows, type RowAggregate } from '../../server/src/python/row-aggregates';
import { isBatchCode } from '../../server/src/python/scope-analysis';
import { boundPlacement } from '../../server/src/python/bound-placement';
import { groupsRowsPerParent, type RowGrouping } from '../../server/src/python/grouped-rows';
import { passLoopAround } from '../../server/src/python/per-pass-reads';

function message(read: OrmRead): string {
  switch (read.kind) {
    case 'sqlalchemy-query':
      return `\`${read.head}\` loads every matching row into memory: the query has no \`.limit()\``;
    case 'sqlalchemy-select':
      return `\`${read.head}\` loads every matching row into memory: the statement has no \`.limit()\``;
    case 'django':
      return `\`${read.head}\` is evaluated whole: every matching row is loaded, the queryset is not sliced`;
    case 'tortoise':
      return `\`${read.head}\` is awaited whole: every matching row is loaded, the queryset has no \`.limit()\``;
    case 'beanie':
      return `\`${read.head}\` loads every matching document into memory: the find has no \`.limit()\` and \`to_list()\` no length`;
  }
}

/** How a batch command that needs every row reads them without holding them all at once. */
const STREAMING_ADVICE: Record<OrmRead['kind'], string> = {
  'sqlalchemy-query': '`.yield_per(n)`',
  'sqlalchemy-select': '`.execution_options(yield_per=n)`',
  django: '`.iterator()`',
  // Tortoise has no server-side cursor: pages ordered by a key are its stream.
  tortoise: 'key-ordered pages (`.filter(id__gt=last_id).order_by("id").limit(n)`)',
  // `async for` over a find reads Motor's cursor a batch at a time.
  beanie: '`async for doc in Model.find(...)`',
};

/**
 * How to stream this read's rows: `STREAMING_ADVICE`, except that a Django queryset with
 * `prefetch_related(...)` needs `.iterator(chunk_size=n)`: Django 4.1+ prefetches per chunk only
 * with a `chunk_size`, and Django 5.0 raises without one. A queryset the function iterates again
 * must stay one pass: the second loop reuses the rows Django cached, and `.iterator()` caches none.
 */
function streamingAdvice(read: OrmRead): string {
  const advice =
    read.kind === 'django' && read.prefetches
      ? '`.iterator(chunk_size=n)` (with `prefetch_related`, `.iterator()` needs a `chunk_size`)'
      : STREAMING_ADVICE[read.kind];
  if (read.evaluatedAgainAt === undefined) return advice;
  return `${advice} in a single pass: the queryset is iterated again on line ${read.evaluatedAgainAt}, which reuses the rows this pass cached, and with \`.iterator()\` that loop would run the query again and lose anything set on the rows`;
}

/** For a batch command: it may need every row, so the advice is to stream them, not to cut them. */
function batchMessage(read: OrmRead): string {
  return (
    `\`${read.head}\` holds every matching row in memory at once: batch code (a command or a ` +
    `background job) that needs every row should stream them with ${streamingAdvice(read)}`
  );
}

/**
 * For a statement given its `.limit(...)` only under an `if` (`if limit and include_failed:`): a
 * `.limit(n)` added at the read would override that bound where it applies, so the advice is to
 * bound every path.
 */
function boundOnSomePathsMessage(read: OrmRead): string {
  return `\`${read.head}\` loads every matching row into memory whenever the \`if\` around its \`.limit()\` is false: bound that path too (a page size, or pages by key); a \`.limit(n)\` added at the read would override the bound where it applies`;
}

/**
 * For `get_list_or_404(Model, ...)`: the shortcut lists every row itself, and a sliced queryset
 * cannot be filtered, so the cure is a page of a queryset written out.
 */
function unsliceableMessage(read: OrmRead): string {
  const model = read.models[0] ?? 'Model';
  return `\`${read.head}\` loads every matching row into one list, which no slice can bound: read a page of a queryset instead (\`${model}.objects.filter(...)[:n]\`, raising \`Http404\` when it is empty)`;
}

/** How to write every row in one statement, per ORM. */
const ONE_WRITE_ADVICE: Record<OrmRead['kind'], string> = {
  'sqlalchemy-query': 'one `update(...)` on the query',
  'sqlalchemy-select': 'one `update(...)` statement',
  django: 'one `update(...)` on the queryset or `bulk_update(rows, fields)`',
  tortoise: 'one `.update(...)` on the queryset or `Model.bulk_update(rows, fields=[...])`',
  beanie: 'one `find(...).update(...)` command',
};

/** How to delete the rows a loop deletes one by one in one statement, per ORM. */
const ONE_DELETE_ADVICE: Record<OrmRead['kind'], string> = {
  'sqlalchemy-query':
    'one `.delete()` on the query (it skips ORM cascades and events; database `ON DELETE` rules still run)',
  'sqlalchemy-select':
    'one `delete(...)` statement (it skips ORM cascades and events; database `ON DELETE` rules still run)',
  django: 'one `.delete()` on the queryset',
  tortoise: 'one `.delete()` on the queryset',
  beanie: 'one `find(...).delete()` command',
};

/**
 * For code that must see every row (a signal handler, a loop that writes each row back or folds
 * every row into what it stores): a bound would silently leave rows out, so the advice is to stream.
 */
function mustSeeAllMessage(
  read: OrmRead,
  why: MustSeeAll,
  savesOverride: boolean,
  afterBulkWriteFailed: boolean,
): string {
  const head = `\`${read.head}\` holds every matching row in memory at once: `;
  const stream = `stream them with ${streamingAdvice(read)}`;
  switch (why.reason) {
    case 'signal-handler':
      return `${head}a signal handler that must update every row should ${stream}`;
    case 'writes-back':
      // The one-statement write is what just failed: streaming is the advice left.
      if (afterBulkWriteFailed)
        return `${head}the loop writes the rows one by one because their bulk write failed, so it needs all of them; ${stream}`;
      // `update(...)` / `bulk_update` skip an overridden `save()`: streaming is the advice left.
      if (why.deletes)
        return `${head}the loop deletes every row, so it needs all of them; ${stream}, or delete them in ${ONE_DELETE_ADVICE[read.kind]}`;
      return savesOverride
        ? `${head}the loop saves every row through the overridden \`save()\`, so it needs all of them; ${stream}`
        : `${head}the loop writes every row back, so it needs all of them; ${stream}, or write them in ${ONE_WRITE_ADVICE[read.kind]}`;
    case 'folds':
      return `${head}the loop folds every row into \`${why.into}\`, which is kept whole, so it needs all of them; ${stream}`;
    case 'writes-each':
      return `${head}the loop writes for every row (\`${why.write}\`), so it needs all of them; ${stream}`;
    case 'keys-feed-write':
      return `${head}\`${why.write}\` writes every row its list names (\`${why.keys}\`), so it needs all of them; if they can be very many, send that write in chunks of the list rather than cut it`;
  }
}

/**
 * Whether a read is the rows a service function returns to unpaged list endpoints alone
 * (`rowsOnlyForUnpagedEndpoints`), which `unpaginated-list-endpoint` reports instead. A read in a
 * route handler keeps its finding beside the handler's.
 */
function leftToListEndpoints(read: OrmRead, model: PythonModel, ctx: FileContext): boolean {
  const fn = read.fn;
  // A view both called by other views and answering requests itself is a handler too.
  if (!fn || isGetHandler(fn, model) || !flowsToReturn(fn, read.node)) return false;
  const service = ctx.index
    .get(ctx.file)
    ?.functions.find((facts) => facts.start === fn.node.startIndex);
  if (!service || service.isRouteHandler || !service.traits.includes(RETURNS_READ)) return false;
  return rowsOnlyForUnpagedEndpoints({ file: ctx.file, fn: service }, ctx.index);
}

/**
 * Whether the read feeds the row-by-row fallback of a bulk write that failed (`try:
 * qs.update(...)`, `except IntegrityError: for row in qs: ...`).
 */
function feedsBulkWriteFallback(read: OrmRead, model: PythonModel): boolean {
  const loop = loopFed(read, model);
  return !!loop && isBulkWriteFallback(loop, model);
}

/**
 * Reasons to see every row that hold wherever the rows come from: the rows of one parent the
 * domain sizes stay exempt there (also folded into a collection kept whole: one learner's scores
 * in a cache). A loop that writes each row back is reported even then (query-in-loop's advice
 * applies).
 */
const SIZED_PARENT_EXEMPT: ReadonlySet<MustSeeAll['reason']> = new Set([
  'signal-handler',
  'folds',
  'writes-each',
  'keys-feed-write',
]);

/** Whether a Django read's model overrides `save()`, which a queryset's `update()` skips. */
function overridesSave(read: OrmRead, index: WorkspaceIndex): boolean {
  return (
    read.kind === 'django' &&
    read.models.some((name) => index.djangoOverriddenWrites(name).has('save'))
  );
}

/**
 * The methods on the receiver spine of the expression that loads the rows, outermost first
 * (`distinct`, `values_list`, `order_by`, `filter` of `X.objects.filter(...).order_by()
 * .values_list("k", flat=True).distinct()`), through `list(...)`/`sorted(...)`; arguments, where
 * a subquery may sit, are not looked into; also through `tuple(...)`, `set(...)`, `dict(...)`.
 */
function spineMethods(node: Node): string[] {
  const methods: string[] = [];
  let at: Node | null = node;
  while (at?.type === 'call') {
    const fn = at.childForFieldName('function');
    if (fn?.type === 'identifier' && EVALUATING.has(fn.text)) {
      at = at.childForFieldName('arguments')?.namedChildren[0] ?? null;
      continue;
    }
    if (fn?.type !== 'attribute') break;
    methods.push(fn.childForFieldName('attribute')?.text ?? '');
    at = fn.childForFieldName('object');
  }
  return methods;
}

/**
 * A Django read of the distinct values of columns (`.values_list("key", flat=True).distinct()`,
 * `.values("a", "b").distinct()`); distinct whole rows (`.filter(...).distinct()` after a join)
 * are rows like any other.
 */
function readsDistinctValues(read: OrmRead): boolean {
  if (read.kind !== 'django' || !read.node.text.includes('distinct')) return false;
  const methods = spineMethods(read.node);
  return (
    methods.includes('distinct') && (methods.includes('values_list') || methods.includes('values'))
  );
}

/**
 * For a `.distinct()` read: only the distinct values come back, the cost is the scan, and a slice
 * would truncate a set the caller needs whole.
 */
function distinctMessage(read: OrmRead): string {
  return `\`${read.head}\` scans every matching row to collect the distinct values: only those come back, but the database reads every row the filter matches; an index that covers the filter and the column, or a list of the values kept up to date, makes it cheap (a bound would cut the list)`;
}

/** How to count, sum or group the rows in the database, per ORM (`X`: the model, `key`: the grouping). */
const AGGREGATE_ADVICE: Record<OrmRead['kind'], (model: string, key: string) => string> = {
  'sqlalchemy-query': (x, key) =>
    `\`db.query(${x}.${key}, func.count()).group_by(${x}.${key})\`, \`func.sum(...)\``,
  'sqlalchemy-select': (x, key) =>
    `\`select(${x}.${key}, func.count()).group_by(${x}.${key})\`, \`func.sum(...)\``,
  django: (_x, key) => `\`.values("${key}").annotate(n=Count("id"))\`, \`.aggregate(Sum(...))\``,
  tortoise: (_x, key) =>
    `\`.annotate(n=Count("id")).group_by("${key}").values("${key}", "n")\`, \`Sum(...)\``,
  beanie: (_x, key) =>
    `an aggregation pipeline (\`{"$group": {"_id": "$${key}", "n": {"$sum": 1}}}\`)`,
};

/** How to total the rows in the database when no key groups them (`total += row.size`), per ORM. */
const TOTAL_ADVICE: Record<OrmRead['kind'], (model: string) => string> = {
  'sqlalchemy-query': (x) => `\`db.query(func.sum(${x}.<column>), func.count())\``,
  'sqlalchemy-select': (x) => `\`select(func.sum(${x}.<column>), func.count())\``,
  django: () => '`.aggregate(total=Sum("<field>"), n=Count("id"))`',
  tortoise: () => '`.annotate(total=Sum("<field>")).values("total")`',
  beanie: () =>
    'an aggregation pipeline (`{"$group": {"_id": None, "total": {"$sum": "$<field>"}}}`)',
};

/** How to read one row per key in the database, per ORM. */
const LATEST_ADVICE: Record<OrmRead['kind'], string> = {
  'sqlalchemy-query':
    '`.order_by(key, ...).distinct(key)` on PostgreSQL, or a `row_number()` window',
  'sqlalchemy-select':
    '`.order_by(key, ...).distinct(key)` on PostgreSQL, or a `row_number()` window',
  django:
    '`.order_by("key", ...).distinct("key")` on PostgreSQL, or a `Subquery` of the best row per key',
  tortoise: 'one row per key from a subquery, or a `row_number()` window in raw SQL',
  beanie: 'an aggregation pipeline with `$sort` and `$group` taking `$first`',
};

/** How to ask the database for the number of rows, per ORM. */
const COUNT_ADVICE: Record<OrmRead['kind'], string> = {
  'sqlalchemy-query': '`.count()`',
  'sqlalchemy-select': '`select(func.count()).select_from(...)` with the same filters',
  django: '`.count()`',
  tortoise: '`.count()`',
  beanie: '`.count()`',
};

/**
 * For rows only counted, summed or grouped in Python (or only measured with `len()`): the
 * database answers in one query, and a bound would make the answer silently wrong.
 */
function aggregateMessage(read: OrmRead, aggregate: RowAggregate): string {
  if (aggregate.kind === 'latest')
    return `\`${read.head}\` loads every matching row only to keep one per \`${aggregate.key ?? 'key'}\` in Python: ask the database for one row per key instead (${LATEST_ADVICE[read.kind]}); a bound would silently drop keys`;
  if (aggregate.kind === 'length')
    return `\`${read.head}\` loads every matching row only to count them: ask for the number with ${COUNT_ADVICE[read.kind]}; a bound would make the count silently wrong`;
  const model = read.models[0] ?? 'Model';
  // Sums with no key (`sum(s.tokens for s in steps)`) need no `group_by`.
  const advice = aggregate.key
    ? AGGREGATE_ADVICE[read.kind](model, aggregate.key)
    : TOTAL_ADVICE[read.kind](model);
  return `\`${read.head}\` loads every matching row only to count, sum or group them in Python: aggregate in the database instead (${advice}); a bound would make the results silently wrong`;
}

/** For the rows of one tenant or the log of one parent: read whole, and they keep growing. */
function oneParentMessage(read: OrmRead, growth: Growth): string {
  const what =
    growth.kind === 'tenant'
      ? `every \`${growth.table}\` row of one \`${growth.parent}\` row at once, and they grow with that tenant`
      : `every row one parent has in \`${growth.table}\` at once, and a log grows for as long as its parent lives`;
  return (
    `\`${read.head}\` loads ${what}: page them (order by a key, continue after the last one ` +
    `seen) or stream them with ${streamingAdvice(read)}; a bare bound would drop the rest`
  );
}

/**
 * For a Django GROUP BY (`values(...).annotate(Count(...))`, inline or inside a method of the
 * model's QuerySet): one row per group, which a report usually needs whole.
 */
function groupsMessage(read: OrmRead, grouping: string): string {
  return (
    `\`${read.head}\` reads every group of ${grouping} at once (one row per distinct key, and ` +
    `the keys grow with the table): page the groups (order by the keys, continue after the last ` +
    `one seen) or stream them with ${streamingAdvice(read)}; a bare bound would drop groups`
  );
}

/**
 * For rows grouped per parent in Python (a join to a to-many relation folded into one list per
 * parent): a row bound ends the read inside a group, and the last parent's list comes back short.
 */
function groupedPerParentMessage(read: OrmRead, grouping: RowGrouping): string {
  return (
    `\`${read.head}\` loads every matching row into memory, and line ${grouping.line} groups them ` +
    `per \`${grouping.key}\`: page the parents (order by their key, continue after the last one ` +
    `seen), then load the children of each page; a bound on the rows would silently cut the ` +
    `last group short`
  );
}

/**
 * How a Django read groups its rows, for the message: `values(...)` + `annotate(...)` written in
 * the chain, or a method of the model's QuerySet class that does it (`authors_list()`).
 */
function groupingOf(read: OrmRead, index: WorkspaceIndex): string | undefined {
  if (read.kind !== 'django') return undefined;
  if (read.groupedBy) return `\`${read.groupedBy}\` + \`annotate(...)\``;
  const owner = read.models[0];
  if (!owner || !read.customCalls) return undefined;
  const grouping = index.djangoQuerySetGroupingMethods(owner);
  const method = read.customCalls.find((name) => grouping.has(name));
  return method ? `\`${method}()\`` : undefined;
}

/** `.limit(n)` / `[:n]` where the read is. */
function boundFix(read: OrmRead, at: number, limit: number): Fix {
  const text = boundText(read, limit);
  return {
    title: `Add \`${text}\``,
    safety: 'unsafe',
    edits: [{ start: at, end: at, newText: text }],
  };
}

/** `if qs:` → `if qs.exists():`, `bool(qs)` → `qs.exists()`: the same answer from one row. */
function existsFix(test: QuerySetEmptinessTest): Fix {
  const name = test.variable.text;
  const title = test.inline ? 'Use `.exists()`' : `Use \`${name}.exists()\``;
  const edit =
    test.node.id === test.variable.id
      ? { start: test.variable.endIndex, end: test.variable.endIndex, newText: '.exists()' }
      : { start: test.node.startIndex, end: test.node.endIndex, newText: `${name}.exists()` };
  return { title, safety: 'safe', edits: [edit] };
}

/**
 * `len(qs)` → `qs.count()`; an emptiness question (`len(qs) > 0`, `if len(qs):`) →
 * `qs.exists()` / `not qs.exists()`: the same answer from `COUNT(*)` or one row.
 */
function lengthFix(length: QuerySetLength): Fix {
  const query = length.query.text;
  const emptiness = length.emptiness;
  const method = emptiness ? 'exists' : 'count';
  const target = emptiness?.node ?? length.node;
  const newText = `${emptiness?.empty ? 'not ' : ''}${query}.${method}()`;
  return {
    title: `Use \`.${method}()\``,
    safety: 'safe',
    edits: [{ start: target.startIndex, end: target.endIndex, newText }],
  };
}

function lengthMessage(length: QuerySetLength): string {
  const advice = length.emptiness
    ? '`.exists()` asks the database for one row'
    : '`.count()` asks the database for the number';
  const what =
    length.query.type === 'identifier'
      ? `\`len(${length.query.text})\` loads every row of \`${length.read.head}\``
      : `\`len(${length.read.head})\` loads every matching row`;
  return `${what} only to count them; ${advice}`;
}

/** ORM reads (SQLAlchemy, Django, Tortoise, Beanie) that load every matching row. */
export const unboundedOrmQuery: Rule = {
  meta: {
    id: 'unbounded-orm-query',
    language: 'python',
    category: 'unbounded-query',
    severity: 'warning',
    summary: 'ORM query loads every matching row: `.all()` with no `.limit()`, or a whole queryset',
    fix: {
      title: 'Add `.limit(n)` / `[:n]`, or use `.exists()` / `.count()`',
      safety: 'unsafe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds ORM reads that load every row their query matches: SQLAlchemy `session.query(X)...all()` and ' +
        'Flask-SQLAlchemy `X.query...all()` with no `.limit()`; `session.execute(select(X)...).scalars().all()`, ' +
        '`session.scalars(stmt).all()` and `(await session.execute(stmt)).scalars().all()` whose `select(...)` ' +
        'has no `.limit()` (also when the statement or the query is built in a local variable first, ' +
        '`q = q.filter(...)` included); Django querysets evaluated whole by `list(...)`, `sorted(...)`, ' +
        '`tuple(...)`, `set(...)`, `dict(...)` (an id-to-value map of `values_list("id", "name")`), a `for` ' +
        'loop (also through a progress or counting wrapper: `tqdm(...)`, `track(...)`, `enumerate(...)`) ' +
        "or a comprehension with no slice (`[:n]`), from `Model.objects` or from a manager the workspace's " +
        'model declares under a name of its own (`Cart.open.filter(...)` after `open = OpenCartManager()`); and Django querysets tested for emptiness ' +
        '(`if qs:`, `if not qs:`, `bool(qs)` on a variable built from `Model.objects` or from such a ' +
        'custom manager (`carts = Cart.open.filter(...)`), or on the queryset written in the test: ' +
        '`if Model.objects.filter(...):`, `if Cart.open.filter(...):`), which loads every row ' +
        'where `qs.exists()` asks for one, when the function never uses those rows. Also the async ' +
        'ORMs, on a model class (its module imports the base from `tortoise`/`beanie` and extends ' +
        'it, or it extends a workspace class that does): Tortoise querysets awaited whole ' +
        '(`await Model.all()`, `await Model.filter(...).order_by(...)`, `for x in await ' +
        'Model.exclude(...)`) with no `.limit()`, and Beanie finds read into a list ' +
        '(`await Model.find(...).to_list()`, `find_all()`) with no `.limit(n)`, no `limit=` and ' +
        'no `to_list(length)`. And `len()` of a Django queryset (`len(Model.objects.filter(...))`, ' +
        '`len(qs)` of a variable built from one, or `len(queryset.filter(...))` on a parameter ' +
        'named `queryset`/`qs` in a file that imports Django, as in a filter hook), which loads ' +
        'every row only to count them, where `.count()` asks for the number (and `.exists()` ' +
        "for one row when the length is compared with 0 or used as a truth value). And Django's " +
        '`get_list_or_404(Model, **lookups)` (imported from `django.shortcuts`, also its async twin) ' +
        'on a model or a `Model.objects...` queryset, which lists every row the lookups match; it ' +
        'gets advice only, since the shortcut filters the queryset it is given and a sliced one ' +
        'cannot be filtered.',
      whyIsThisBad:
        'The number of rows grows with the table, and each becomes a Python object: an identity-map entry ' +
        'for SQLAlchemy, a model instance for Django, often ten times the row size. The page that loaded ' +
        '200 rows in development loads 2 million for the largest tenant, holds a connection for seconds and ' +
        'runs the worker out of memory.',
      example: [
        'def open_orders(db: Session):',
        '    return db.query(Order).filter(Order.status == "open").order_by(Order.created_at).all()',
      ].join('\n'),
      useInstead: [
        'def open_orders(db: Session, limit: int = 100):',
        '    return (',
        '        db.query(Order).filter(Order.status == "open").order_by(Order.created_at).limit(limit).all()',
        '    )',
      ].join('\n'),
      notFlagged: [
        'A read a service function returns whose rows only unpaged list endpoints return in turn ' +
          '(`return MemberList(items=await accounts.list_members(db))` in a GET handler with no page ' +
          'parameters, also through up to three service calls): `unpaginated-list-endpoint` reports each ' +
          'endpoint and names the call, and the page belongs there (a bound in the service would silently ' +
          'cut their answers). Callers in tests and migrations do not count. The read keeps its finding ' +
          'when any other function calls the service (a job, a command, an endpoint that counts or pages ' +
          'the rows itself), when nothing calls it, and when a handler makes the read itself (both rules ' +
          'report it there, the page fix on the handler).',
        '`get_list_or_404(...)` in commands and background jobs, on a related manager or a queryset held in a variable (what those hold is not read), or whose lookups pin a key or one parent as for a queryset (`get_list_or_404(Listing, shelf=shelf)`).',
        'A Django queryset variable evaluated again in the same function (`for a in docs: for b in docs:`): the rows are cached on the queryset, so only its first evaluation is reported.',
        '`if qs:` / `bool(qs)` when the function also uses the rows of `qs` (iterates it, `len(qs)`, ' +
          'returns it or passes it on, e.g. to a template): the test caches the rows the function ' +
          'loads anyway. Only mentions that run a query of their own (`qs.update(...)`, ' +
          '`qs.count()`, `qs[:1]`) leave the test reported. Tests of lists, of querysets bounded ' +
          'or looked up by key (`filter(pk=...)`), of a chain already evaluated in the test ' +
          '(`if Model.objects.filter(...).first():`, `[:1]`, `.exists()`) and of a manager itself ' +
          '(`if Model.objects:`, no query) are not flagged either.',
        '`len()` of a list (`rows = list(qs[:200])`, then `len(rows)`), of a queryset variable ' +
          'whose rows the function also uses (iterated, passed on or returned, before or after ' +
          'the `len()`: one load serves both), of a sliced or keyed queryset ' +
          '(`filter(pk=...)`), and of a queryset parameter itself (`len(queryset)`: the caller ' +
          'may have evaluated it already).',
        'Reads of one row or a scalar: `.first()`, `.one()`, `.one_or_none()`, `.scalar()`, `.scalar_one()`, `.get()`, `session.get(X, id)`, Django `.get()`, `.first()`, `.last()`.',
        'Counts, existence checks and aggregates: `.count()`, `.exists()`, `.aggregate()`, `session.query(func.count(X.id))` and `select(func.sum(...))` without `group_by`.',
        'Lookups by primary key or a unique column: `filter(X.id == ...)`, `filter_by(id=...)`, `where(X.id == ...)`, Django `filter(pk=...)`, and `==` on columns the models declare `primary_key` or `unique` (not `== None`: it matches every row without a value).',
        'Batch loads by a list of keys the code already holds: `filter(X.id.in_(ids))`, `where(X.owner_id.in_(ids))`, ' +
          '`tuple_(X.a_id, X.b_id).in_(pairs)`, Django `filter(id__in=ids)`, `filter(customer__in=customers)`, and ' +
          'the same list written as an OR of one `==` clause per key (`or_(*[X.parent_id == k for k in keys])`, ' +
          'or a clause list built in the function by a comprehension or `append`, every clause pinning the ' +
          'column, alone or in an `and_(...)`: DataLoader batches); for Django, a `Q` that starts empty ' +
          'and is ORed in a loop, one clause per key (`q = Q()`, `for k in keys: q |= Q(shelf_id=k.shelf_id, ' +
          'reader_id=k.reader_id)`, also `& ~Q(id=...)` beside), then `filter(q)` inside `if q:`, on ' +
          'the fields every clause pins without a lookup (`title__icontains` pins nothing). Without ' +
          'the `if q:` test, an empty `Q()` reads every row, and it stays reported; so does an OR that ' +
          'starts from another filter (`q = Q(returned=False)`). Their ' +
          'size follows the list, which comes from a bounded read, and they are the fix the `n-plus-one` rules ' +
          'recommend. The column is a key by name (`id`, `pk`, `uuid`, `*_id`), or the models declare it primary ' +
          'key, unique or foreign key, or a unique index covers it with the `==` filters (`X.project_id == p, ' +
          'X.name.in_(names)` under `UniqueConstraint("project_id", "name")`); for a model the workspace does not ' +
          'declare, or a column a declared model does not declare (inherited from a base outside the ' +
          'workspace: `username__in=names` on a model extending `AbstractUser`), any column ' +
          'whose name is not a category. Also grouped counts by the listed column ' +
          '(`filter(X.status.in_(s)).group_by(X.status)`: one row per item). Lists of values are flagged: a ' +
          'plain column of a declared model, or a categorical name (`status`, `state`, `type`, `kind`, `*_type`, ...) ' +
          'of any model (`X.status.in_(statuses)`, `status__in=[...]`), and negated lists (`~X.id.in_(ids)`, `~Q(id__in=ids)`).',
        "The child rows of one parent: `==` on a column the workspace's models declare a foreign key " +
          '(`where(Stage.pipeline_id == p)`, Django `filter(member=m)`, `member_id=...`; a Django ' +
          'foreign key may be declared with a subclass of `ForeignKey` or `OneToOneField`, one the ' +
          'workspace declares (followed through its bases in any module: `class FlexibleForeignKey(' +
          "models.ForeignKey)`) or one of a package named `...ForeignKey` / `...OneToOneField` (django-mptt's " +
          '`TreeForeignKey`) on a field not named `..._id` (such a field of such a class is a plain ' +
          'integer column named like a key); a workspace class named like a key that derives from ' +
          'another field (`models.BigIntegerField`) declares none; a ' +
          'many-to-one relationship compared to one object, `filter(Note.pipeline == p)`, when the ' +
          'model declares its `<relationship>_id` key; through a ' +
          "single-table-inheritance subclass too, which maps its parent's table and keys, its parent " +
          'in the same module or imported from another, and through a Django multi-table-inheritance ' +
          'child, a key declared on a concrete parent model (`Crate.objects.filter(container=c)` when ' +
          '`container` is a field of `Item`, `Crate(Item)`, in any module), whose table the query joins; ' +
          '`cls.objects` in a classmethod reads the model of its class; also when the query pins a tenant key beside ' +
          'it, an access guard that only narrows the set: `where(Step.task_id == t, Step.org_id == o)`), ' +
          'or a SQLAlchemy `with_parent(...)` filter, which compares that key for a one-to-many relationship ' +
          '(`Talk.query.with_parent(conference)`, `query(Talk).with_parent(c, "talks")`, ' +
          '`select(Talk).where(with_parent(c, Conference.talks))`): the key to the class the code names ' +
          '(`Conference.talks`, `self` in a method of `Conference`), else, among the keys to parents that ' +
          "declare the relationship named, the key the instance's name ends with (`conference`, " +
          '`g.current_conference` → `conference_id`) or the only parent they reference; a many-to-many ' +
          'relationship (no key of the queried model to the parent: its link table is not followed) and ' +
          'keys to several parents the name does not tell apart keep the finding; ' +
          'or on every column ' +
          'but the last of a composite primary key or unique constraint (`a == x, b == y` under `(a, b, c)`), ' +
          'also through a Django one-to-one relation to a model with such a key (`score__user_id=u, ' +
          'score__quiz_id=q` where `score` is a `OneToOneField` to a model whose `unique_together` is ' +
          '`(quiz_id, user_id, question)`: one row per related row; a `ForeignKey` relation path keeps ' +
          'the finding, since each related row may have any number of rows), ' +
          'or read through a many-to-many link class the query joins, on its foreign key to the parent when ' +
          'another of its foreign keys references the queried table (`select(Tag).join(CollectionTag)' +
          '.where(CollectionTag.collection_id == c)`; a filter on another link column exempts nothing, and ' +
          'a link table that keeps growing, below, keeps the finding). ' +
          'Such a set is sized by the domain (the mutes of one user, the inputs of one task) and callers ' +
          'usually need it whole (an access check, a graph walk), where a bound is a silent bug. Still ' +
          'reported, with no bound to add and advice to page or stream: the rows of one tenant (a key to an ' +
          'organization, tenant, workspace, project, company, team or realm), the rows of a table that ' +
          'keeps growing under its parent (orders, invoices, payments, events, logs, messages, history, ' +
          'audit, notifications, activity, transactions, metrics), and reads in loops that write each ' +
          'row back or fold every row into what they keep (below). A Django signal receiver counts as the code around it, not as such a read, for the ' +
          'rows of one parent: it runs inside the request that saved the instance, so the children of ' +
          'that instance (`Rack.objects.filter(group=instance)`, `virtual_chassis=instance.pk`) are ' +
          'left alone there too, even when the receiver saves each one. So is a read of the rows of one ' +
          'parent in batch code when a loop around it runs it once per pass (`for suggestion in ' +
          'suggestions:` then `Suggestion.objects.filter(unit=suggestion.unit, ...)`, as Weblate ' +
          "cleans up duplicate suggestions): each pass reads one parent's children, and the query " +
          "per pass is `query-in-loop`'s finding, not a read to stream; a read of one parent's rows " +
          'made once in batch code is still told to stream them. So are the rows of one parent ' +
          'folded into a collection that is kept whole (`for s in scores: by_question[s.question] = s`, ' +
          "then `cache.set(key, by_question)`): one parent's rows are what a per-request cache holds. " +
          'A log of one parent read over a recent window (also `>` / `>=` on a column of now minus a ' +
          'span: `X.created > utcnow() - timedelta(minutes=30)`, `func.now() - ...`, Django ' +
          '`created__gte=timezone.now() - timedelta(...)`: a rate limit, a duplicate check) is sized ' +
          'by how much the parent writes in that span and is not reported; a window on the whole ' +
          "table, over a tenant's rows, or older than a moment (`<`) stays reported. " +
          "`== None` pins no parent, and neither does `==` inside a relationship's `.any(...)` / " +
          '`.has(...)` (`Event.persons.any(Person.user_id == u)`: an EXISTS tested on every row of ' +
          'the queried table, which pins no key of it). Django filters written with `Q` objects count the same way: ' +
          'the fields an AND pins (`filter(Q(environment=e) & Q(admin=True))`, a `Q` built in a ' +
          'local and narrowed with `&=`), or both sides of an OR (`Q(environment=e, a=1) | ' +
          'Q(environment=e, b=2)`); an OR with anything else (`Q(environment=e) | ' +
          'Q(public=True)`, also `query |= ...` other than the key list above) and a negation (`~Q(...)`) pin nothing. ' +
          "So do the filters of the model's own QuerySet or Manager methods (a method that only " +
          'returns `self.filter(...)`, declared in any module of the workspace) on a field they pin ' +
          'to a parameter, with a keyword or a `Q` built in a local ' +
          '(`def live_for(self, environment): return self.filter(environment=environment)`), when ' +
          'the call passes that parameter, by name or at its place, with a value other than `None` ' +
          '(`FlagState.objects.live_for(environment=env)`); a method that filters by a constant ' +
          '(`enabled()`), by a range (`updated_at__gte=moment`) or with `exclude(...)` pins nothing. ' +
          'Models the workspace does not declare keep the finding. A Django ' +
          'model is declared when it extends `models.Model` or a model of the workspace, a ' +
          "well-known abstract model (Django's `AbstractUser`, `TimeStampedModel` of " +
          'django-model-utils or django-extensions, `LifecycleModel`, `SafeDeleteModel`, ...), or ' +
          'any base when its body declares Django model fields (`models.ForeignKey(...)`, ' +
          '`ForeignKey` imported from `django.db.models`): its abstract base may be in a package. ' +
          'Batch code (commands, scripts, background jobs) keeps the finding too, with streaming advice; a ' +
          '`tasks.py` or `tasks/` / `jobs/` module is batch code only when it shows a task framework, ' +
          'so the repository of a Task entity (`repositories/tasks.py`) gets the exemption.',
        'Queries that already bound or page: `.limit()`, `.slice()`, `.paginate()`, `.fetch()`, `[:n]`, `[i]`, and streaming reads that never hold every row at once (`.yield_per()`, `execution_options(yield_per=...)` / `stream_results=True`, `.partitions()`, Django `.iterator()` and `.aiterator()`).',
        'Bulk operations that return no rows: `.delete()`, `.update()`, `.bulk_update()` (a count), and ' +
          '`.bulk_create(objs)` / `.abulk_create(objs)`, whose result is the list of objects it was given: ' +
          'iterating it (`created = Note.objects.bulk_create(notes)`, then `for note in created:`) reads ' +
          'nothing, and a bound there would skip objects. `in_bulk(ids)` returns the rows of the given keys.',
        'Tortoise and Beanie reads on a class no module shows extending their model base (a ' +
          'plain class with an `all()` or `find()` of its own); querysets not awaited where they ' +
          'are built (`return Model.filter(...)`) or awaited through a variable (`qs = ' +
          'Model.filter(...)`, `await qs`), which are not followed yet; Tortoise chains ending in ' +
          'one row, a count or a write (`.first()`, `.get()`, `.count()`, `.exists()`, ' +
          '`.update()`, `.delete()`) or with a `.limit(n)`; Beanie `async for` over a find (a ' +
          "cursor read in batches). The key exemptions above apply by the filters' names (`id=`, " +
          '`pk=`, `id__in=ids`, `Model.id == x`, `In(Model.id, ids)`); the index holds no tables ' +
          'for these models, so `*_id` equality (`filter(author_id=a)`, `Model.agency_id == a`) ' +
          'stands for a foreign key: the rows of one parent, with the same tenant and log ' +
          'exceptions.',
        'A Django queryset a `for` loop reads to delete each row (`for row in qs: row.delete()`, ' +
          "`await row.adelete()`, also through a narrowing method of the model's own QuerySet or " +
          'Manager class, wherever the workspace declares it or its base: ' +
          '`for job in Job.objects.filter(...).is_finished(): job.delete()`): `query-in-loop` reports the DELETE per row, and its cure (one ' +
          '`delete()` on the queryset, or paging when the model overrides `delete()`) ends the read ' +
          'too. Loops that save each row, or delete something other than the row, stay reported.',
        "Django's own tables sized by the schema, the class imported from Django: `ContentType` (one " +
          "row per model class) and `Permission` (a few per model), as in NetBox's dashboard listing " +
          'the content types that support export templates (`ContentType.objects.filter(...)`). Like ' +
          'a database catalog, they stay as large as the app has models. `Group` and a workspace ' +
          'class of the same name are judged as usual.',
        "`objects` of something that is not a model: a boto3 S3 bucket's `bucket.objects.filter(Prefix=...)` " +
          'lists keys (a Django manager hangs off a class, `cls`, or a name that says model: `Order`, ' +
          '`model_class`, `apps.get_model(...)`).',
        'Attributes of a capitalised name that no model of the workspace declares as a manager ' +
          '(`Config.settings.all()`), and custom managers of an instance (`courier.pending.all()`). ' +
          'A custom manager is recognised when its queryset is written inline (evaluated whole or ' +
          'tested for emptiness) or, for an emptiness test only, held in a variable assigned from it ' +
          '(`qs = Cart.open.filter(...)`, then `if qs:`); a loop over such a variable is not followed.',
        'Emptiness tests of a variable that may hold something other than the queryset at the ' +
          'test (also assigned from another origin, `qs = fallback`, or bound by a loop).',
        'Querysets that are not evaluated where they are built: `return Order.objects.filter(...)`, a DRF `queryset = ...` that the paginator slices.',
        'Queries a function is handed by its caller (`def with_labels(self, qry): return qry.all()`, ' +
          'also `qry.filter(...)` on it) and queries that read their rows from a subquery of one ' +
          '(`self.db.query(X, ...).select_entity_from(qry.subquery())`, `select(X).select_from(sq)` ' +
          'after `sq = stmt.subquery()`): the caller bounds them (a `.limit()`, a key filter), and a ' +
          "`.limit(n)` added in the helper would replace the caller's own. A variable is read as the " +
          'assignments before the use (or in a loop around it) left it: a parameter rebound further ' +
          "down is still the caller's query where it is read above.",
        'Raw SQL strings: `unbounded-select` checks those. A `query("...")` on something named like a ' +
          'session is not SQLAlchemy\'s either (which takes mapped classes and columns): `tags.query("category")`.',
        'Tests (`tests/`, `test_*.py`, `conftest.py`) and files under migration folders (`migrations/`, ' +
          '`alembic/versions/`, Django data migrations with `RunPython` included): a test reads the rows it ' +
          'made, and a data migration must rewrite every row, which a bound would leave unmigrated. The ' +
          '`n-plus-one` rules skip the same files.',
      ],
      fixSafety:
        'Unsafe: the bound changes how many rows the code receives. It is right for lists shown to people, ' +
        'wrong for code that needs every row (exports, batch jobs), which should page or stream instead. ' +
        'SQLAlchemy queries get `.limit(n)` before `.all()` (legacy `Query`), or at the end of the `select(...)` ' +
        'chain passed to `execute`/`scalars` (`stmt.limit(n)` when the statement is a variable, which may ' +
        'also feed a count); Django querysets get `[:n]`. A queryset variable read inside a loop that ' +
        'does not build it (GlitchTip reads `hash_queryset`, built before the loop, on every pass) is ' +
        'sliced where it is built, since Django caches its rows after the first pass and a slice in the ' +
        'loop would query on every pass; it gets no bound when it is built more than once or used through ' +
        'an attribute elsewhere (`qs.filter(...)`: a sliced queryset cannot be filtered). ' +
        'The one read an unpaged FastAPI list endpoint returns gets no bound: `unpaginated-list-endpoint` ' +
        'offers `.offset(skip).limit(limit)` there, and a `.limit(n)` after it would override the page size. ' +
        'n comes from the `defaultLimit` setting (default 1000). Without an `order_by` the rows kept are arbitrary. ' +
        'A SQLAlchemy statement or query given its `.limit(...)` only inside an `if` without ' +
        '`elif`/`else` that does not also hold the read, whose condition reads a name the bound ' +
        "does not (`if limit and include_failed_chats: stmt = stmt.limit(limit)`, as Onyx's " +
        '`get_chat_sessions_by_user` slices in Python on the default path), is reported as ' +
        'unbounded with no fix: a `.limit(n)` at the read would override the bound where it applies, ' +
        "so the finding asks to bound the other path too. A test of the bound's own value " +
        '(`if limit:`, `if limit is not None and limit > 0:`) and a bound on every arm count as bounds. ' +
        'Reads in Django management commands (`<app>/management/commands/*.py`), under `scripts/` and in ' +
        'background jobs (`@shared_task`, `@app.task`, `@periodic_task`, `@huey.db_task`, `@dramatiq.actor`, ' +
        "`@scheduler.scheduled_job`, Prefect/Airflow `@task`; the whole module that defines one, its helpers included; Celery's `tasks.py` modules and modules of a `tasks/` or `jobs/` package that import a task framework (Celery, Dramatiq, RQ, ARQ, APScheduler, ...) or use an app's own job decorator (`@scheduled_task(...)`, fastapi-utils' `@repeat_every`); a `tasks.py` that shows neither, like the repository of a Task entity, is ordinary code) get no fix: such batch code usually needs every row, so the finding asks to stream them (`.iterator()`, `.iterator(chunk_size=n)` on a queryset with `prefetch_related(...)`, which Django 4.1+ prefetches per chunk only with a `chunk_size`, " +
        '`.yield_per(n)`, `execution_options(yield_per=n)`) rather than hold them all, and a bound would ' +
        'silently skip the rest. A queryset the function iterates again keeps to one pass: the second ' +
        'loop reuses the rows (and any attributes set on them) Django cached in the first, which `.iterator()` ' +
        'would not keep, so the finding says to stream in a single pass. ' +
        'Nor do Django GROUP BY reads (`values(...)` or `values_list(...)` then `annotate(Count(...))` ' +
        "or another aggregate, written in the chain or in a method of the model's own QuerySet class, " +
        '`Edit.objects.filter(...).per_editor()`): they hand out one row per group, the lines of a ' +
        'report, and the finding asks to page the groups or stream them instead. ' +
        'Nor do reads that must see every row wherever they run: in Django signal handlers ' +
        '(`@receiver(...)`, a function passed to `signal.connect(...)`, or named after a model signal: ' +
        '`*_pre_delete`, `*_post_save`), which push a change to every dependent row (a read of the rows ' +
        'of one parent there is exempt, above); and loops that write ' +
        'each row back (`row.save()`, `row.delete()`, `Model.objects.filter(pk=row.pk).update(...)`, ' +
        'also as `for i, row in enumerate(rows)`; for ' +
        "SQLAlchemy, `session.delete(row)`, `session.merge(row)` or an assignment to the row's attribute, " +
        '`row.active = False`, which the unit of work flushes, unless the loop also collects the row to ' +
        'show it; also a SQLAlchemy loop over the name the read is assigned to, when every later use ' +
        'of the name is such a loop: `orphaned = q.all()`, then `for doc in orphaned: ' +
        'session.delete(doc)`, as Onyx deletes orphaned search docs; a loop that only deletes is ' +
        'told to delete in one statement, noting that it skips ORM cascades) or ' +
        'fold every row into a collection that starts empty and is then stored whole (`cache.set(key, ids)`, ' +
        '`bulk_update`) or, for a set or dict (an index), returned (the rows of one parent folded so are ' +
        'exempt, above); by the row itself or by its key ' +
        '(`roles[row.event_id].add("owner")`), and also into a collection of the enclosing ' +
        'function when the loop is in a nested function (a closure variable the nested function ' +
        'neither takes nor assigns), which the enclosing function starts empty before calling the ' +
        'nested one and stores or returns whole after the call (`data = defaultdict(set); ' +
        'add_contrib_data(); return data`). A nested function that is only handed out, or a ' +
        'collection the enclosing function only reads, keeps the bound. Their finding asks to stream the rows ' +
        '(or, for write-backs, to write them in one `update(...)` / `bulk_update`, unless the Django ' +
        'model overrides `save()`, which those skip, or the loop is the row-by-row fallback of that ' +
        'bulk write, in the `except` handler of a `try` that sent it). Nor do Django reads whose rows feed writes that ' +
        'must reach all of them: a loop over the rows that makes a Django write for each one with ' +
        'something of the row, or of a name its body assigns from the row (`Shipment.objects.create(' +
        'item=item)`, `Other.objects.filter(owner=row).update(...)`, `target = Member.objects.get(' +
        'user_id=row.user_id)` then `Link.objects.create(member=target)`, or `copy = Item(sku=row.sku)` ' +
        'then `copy.save()`), asked to stream the rows; and rows or keys assigned to a name (`ids = ' +
        'list(qs.values_list("id", flat=True))`) that a later `update()` / `delete()` of the function ' +
        'takes as a list (`Other.objects.filter(item_id__in=ids).delete()`), asked to send that write ' +
        'in chunks of the list if it can be very long. A bound would leave rows unwritten. (The rows ' +
        'of one parent the domain sizes stay exempt there, as above.) Nor do reads whose rows the code only counts, ' +
        'sums or groups in Python: every `for` loop over the rows (written over the read, or over ' +
        'the variable it is assigned to, with `len(rows)` allowed beside) only folds them into counts, ' +
        'sums or a per-key map (`counts[row.status] += 1`, `c[k] = c.get(k, 0) + 1`, `total += ' +
        'row.size`, `latest[row.key] = row`), next to locals and calls that are not handed the row ' +
        'itself; or the variable is only measured with `len()`, or only folded whole by `sum(...)`, ' +
        '`max(...)`, `min(...)` or `reduce(add, ...)` over a generator or comprehension of its rows ' +
        '(`sum(s.total_tokens or 0 for s in steps)`, as Letta totals the usage of a job), with ' +
        '`if not rows:` tests allowed beside (a `max` over the rows themselves picks a row, and keeps ' +
        'the bound). A bound would make those answers ' +
        'silently wrong, so the finding asks to aggregate in the database (`select(X.key, ' +
        'func.count()).group_by(X.key)`, Django `.values("key").annotate(n=Count("id"))`, a total ' +
        '(`select(func.sum(X.<column>), func.count())`) when no key groups the rows, or a count). ' +
        'For a per-key pick (`latest[row.key] = row`) it asks for one row per key (`DISTINCT ON`). ' +
        'Rows also handed on whole (`shown.append(row)`, the variable returned), and values built ' +
        'up other than by `+`/`-`/`max`/`min` (`keys = keys.union({...})`), keep the bound. ' +
        'Nor do Django reads of distinct column values (`.values_list("key", flat=True).distinct()`, ' +
        '`.values(...).distinct()` on the chain that is read, not in a subquery): only the distinct ' +
        'values come back, so the finding says the cost is the scan of the matching rows, and a ' +
        'slice would cut a set the caller needs whole. Distinct whole rows keep the bound. ' +
        'Nor do reads whose rows the code groups per parent in Python, typically a join to a ' +
        'to-many relation folded into one list per parent: a loop over the rows (over the read, or ' +
        'over the name it is assigned to, also through `cast(T, ...)` or `list(...)`, with the row ' +
        'unpacked or not) that adds a part of the row to an entry keyed by something of the row ' +
        '(`by_set[ds.id][1].append(cc_pair)`, as Onyx groups connector pairs per document set; ' +
        '`by_chat[m.chat_id].append(m)`, `groups.setdefault(row.order_id, []).append(row)`), or ' +
        '`itertools.groupby(rows, key=...)`. A bound would end the read inside a group and silently ' +
        "cut the last parent's list, so the finding asks to page the parents, then load the " +
        'children of each page. One row kept per key (`firsts[ds.id] = (ds, cc_pair)`), a flat ' +
        'list (`ids.append(row.id)`) and a group keyed by anything not of the row keep the bound. ' +
        'A list filled from the ' +
        'rows and returned keeps the bound: it is usually a page shown to people. ' +
        'Tortoise querysets get `.limit(n)` at the end of the awaited chain and Beanie finds ' +
        '`.limit(n)` before `.to_list()` (both builders have that method); batch code and reads ' +
        'that must see every row are told to page Tortoise by key (it has no server-side cursor) ' +
        'and to iterate a Beanie find with `async for`. ' +
        'Emptiness tests get a safe fix, `if qs:` → `if qs.exists():` (`bool(qs)` → `qs.exists()`), ' +
        'when the function mentions `qs` nowhere else but in its assignments: `exists()` gives the ' +
        'same answer, and no later use could have been served by the rows the test cached; a ' +
        'queryset written in the test gets `.exists()` appended (`if Model.objects.filter(...):` → ' +
        '`if Model.objects.filter(...).exists():`, `if Cart.open.filter(...).exists():`). ' +
        '`len()` of a queryset gets a safe fix, `len(qs)` → `qs.count()` (`len(qs) > 0` → ' +
        '`qs.exists()`, `len(qs) == 0` and `not len(qs)` → `not qs.exists()`), under the same ' +
        'condition: when `qs` is a variable mentioned elsewhere only by queries of its own ' +
        '(`qs.update(...)`), the finding gives advice only.',
    },
  },
  check(ctx) {
    const model = ctx.python;
    // Tests and migrations: a test reads the handful of rows it made; a data migration must
    // rewrite every row, and a bound would leave the rest unmigrated.
    if (!model || isOneOffCode(ctx.relativePath)) return;
    // Management commands and scripts often must see every row: cutting them off is a bug, but
    // holding millions of rows at once still runs the process out of memory.
    const batch = isBatchCode(model, ctx.relativePath);
    // `Cart.open.filter(...)`: the index is asked only about chains of a custom manager's shape.
    const isCustomManager = (owner: string, manager: string): boolean =>
      ctx.index.djangoCustomManagers(owner).has(manager);
    const customReads = customManagerReads(model, isCustomManager);
    // `Job.objects.filter(...).is_finished()`: a method of the model's own QuerySet class keeps
    // the model's rows, as query-in-loop sees them; the index is asked only for such links.
    const isQuerySetMethod = (owner: string, method: string): boolean =>
      ctx.index.djangoQuerySetMethods(owner).has(method);
    // `await Book.all()` on a Tortoise model, `await Doc.find(...).to_list()` on a Beanie one: the
    // index says which classes are their models.
    const asyncReads = asyncOrmReads(model, (targets) => ctx.index.ormModelOf(targets, true));
    // `get_list_or_404(Model, ...)` answers a request with a 404: commands do not call it.
    const shortcutReads = batch ? [] : djangoShortcutListReads(model);
    const reported = new Set<string>();
    for (const read of [
      ...unboundedOrmReads(model),
      ...customReads,
      ...asyncReads,
      ...shortcutReads,
    ]) {
      if (readsByKey(read, ctx.index)) continue;
      // `ContentType.objects.filter(...)`: one row per model class, sized by the schema.
      if (readsSchemaSizedModels(read, model)) continue;
      // `for row in qs: row.delete()`: query-in-loop reports the DELETE per row, whose cure ends
      // this read too; streaming advice here would keep those round trips.
      if (deletesEachQuerySetRow(read, model, isQuerySetMethod)) continue;
      // Code that must see every row gets streaming advice and no bound, which would drop rows.
      const whole = batch ? undefined : mustSeeAll(read, model);
      // A signal receiver runs inside the request that saved the instance: the children of one
      // parent (`Rack.objects.filter(group=instance)`) are a set the domain sizes there too, and
      // so are they folded into a collection kept whole (one learner's scores in a cache).
      // In batch code too, a read the loop around it runs once per pass (the suggestions of each
      // suggestion's unit) reads the children of one parent each time: the domain sizes them, and
      // the round trip per pass is query-in-loop's finding, not a read to stream.
      const parent =
        (batch && !passLoopAround(read, model)) || (whole && !SIZED_PARENT_EXEMPT.has(whole.reason))
          ? undefined
          : (rowsOfOneParent(read, ctx.index) ?? asyncRowsOfOneParent(read));
      const growing = parent && growsWithoutBound(parent, read.recentWindow);
      // The children of one user, one task, one chat: a set the domain sizes, which the caller
      // usually needs whole (an access check, a graph walk); a bound would silently cut it.
      if (parent && !growing) continue;
      // Rows only counted, summed or grouped: a bound would make the answer wrong. A fold into
      // a collection kept whole is told to aggregate too when it only counts.
      const aggregate =
        batch || growing || (whole && whole.reason !== 'folds') ? undefined : aggregatesRows(read);
      // `.values_list("key", flat=True).distinct()`: a set of values the caller needs whole.
      const distinct = !batch && !whole && !growing && !aggregate && readsDistinctValues(read);
      // A GROUP BY hands out one row per group (a report's lines): a bound silently drops some.
      const grouping =
        batch || whole || growing || aggregate || distinct
          ? undefined
          : groupingOf(read, ctx.index);
      // Rows grouped per parent in Python: a bound would end the read inside a group.
      const perParent =
        batch || whole || growing || aggregate || distinct || grouping
          ? undefined
          : groupsRowsPerParent(read, model);
      // A service whose rows only unpaged list endpoints return: `unpaginated-list-endpoint`
      // reports each of them, naming the call; the page belongs there, and a bound here would
      // silently cut their answers.
      const plain = !(batch || whole || growing || aggregate || distinct || grouping || perParent);
      if (plain && !read.unsliceable && leftToListEndpoints(read, model, ctx)) continue;
      const text = batch
        ? batchMessage(read)
        : aggregate
          ? aggregateMessage(read, aggregate)
          : distinct
            ? distinctMessage(read)
            : whole
              ? mustSeeAllMessage(
                  read,
                  whole,
                  overridesSave(read, ctx.index),
                  feedsBulkWriteFallback(read, model),
                )
              : growing
                ? oneParentMessage(read, growing)
                : grouping
                  ? groupsMessage(read, grouping)
                  : perParent
                    ? groupedPerParentMessage(read, perParent)
                    : read.unsliceable
                      ? unsliceableMessage(read)
                      : read.boundOnSomePaths
                        ? boundOnSomePathsMessage(read)
                        : message(read);
      // The same read written twice on one line (`set(qs) | set(qs)`) is one finding.
      const key = `${read.node.startPosition.row}:${read.node.text}:${text}`;
      if (reported.has(key)) continue;
      reported.add(key);
      // `for h in hashes[:1000]:` inside a loop would query on every pass: the slice goes where
      // the queryset is built, or nowhere.
      const boundAt = boundPlacement(read, model);
      ctx.report({
        start: read.node.startIndex,
        end: read.node.endIndex,
        message: text,
        // A bound on the rows of one parent silently drops the children the caller asked for;
        // the read an unpaged list endpoint returns gets `unpaginated-list-endpoint`'s page fix,
        // and a `.limit(n)` after its `.limit(limit)` would override the page size.
        fixes:
          batch ||
          read.unsliceable ||
          whole ||
          growing ||
          aggregate ||
          distinct ||
          grouping ||
          perParent ||
          read.boundOnSomePaths ||
          pagedByEndpointFix(read, model, ctx.sqlUnits, ctx.index) ||
          boundAt === undefined
            ? []
            : [boundFix(read, boundAt, ctx.options.defaultLimit)],
      });
    }
    const tests = [
      ...querySetEmptinessTests(model),
      ...customManagerEmptinessTests(model, isCustomManager),
    ];
    for (const test of tests) {
      if (readsByKey(test.read, ctx.index)) continue;
      const name = test.inline ? test.read.head : test.variable.text;
      const advice = test.inline ? 'append `.exists()`' : `use \`${name}.exists()\``;
      ctx.report({
        start: test.node.startIndex,
        end: test.node.endIndex,
        message: `\`${name}\` is evaluated whole to test whether it is empty; ${advice}`,
        // Once the variable is used again, `__bool__`'s cached rows may serve that use.
        fixes: test.mentionedElsewhere ? [] : [existsFix(test)],
      });
    }
    for (const length of querySetLengths(model)) {
      if (readsByKey(length.read, ctx.index)) continue;
      ctx.report({
        start: length.node.startIndex,
        end: length.node.endIndex,
        message: lengthMessage(length),
        // Once the variable is used again, the rows `len()` cached may serve that use.
        fixes: length.mentionedElsewhere ? [] : [lengthFix(length)],
      });
    }
  },
};
