import type { WorkspaceContext, Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { addPrismaIndexEdits, hasIndexOnFields, widenEdits } from '../../server/src/prisma/edits';
import {
  parsePrismaSchema,
  type PrismaField,
  type PrismaModel,
  type PrismaSchemaModel,
} from '../../server/src/prisma/schema';
import { confirmsPrismaClient } from '../../server/src/typescript/prisma-clients';
import type { ColumnFact, QueryColumnUse, TableFact } from '../../server/src/workspace/facts';
import type { IndexedTable, KnownIndex } from '../../server/src/workspace/index';

/** A query's use of a model field, resolved to the schema. */
interface ResolvedUse {
  /** The `.ts` file of the query. */
  file: string;
  use: QueryColumnUse;
  entry: IndexedTable;
  column: ColumnFact;
}

/** The uses of one field that no index serves, across the workspace. */
interface FieldUses {
  entry: IndexedTable;
  column: ColumnFact;
  /** Where to report: the queries for which this field is the one to index. */
  sites: ResolvedUse[];
  /** Keys (`file#queryId`) of the queries that filter, and that sort, on the field. */
  filters: Set<string>;
  sorts: Set<string>;
}

/**
 * The equality filter fields and the sort field of one model used together, which no index
 * returns in order. The first filter field leads an index, and so does the sort field.
 */
interface Pair {
  entry: IndexedTable;
  filters: ColumnFact[];
  sort: ColumnFact;
  /** The filter key of each query that uses the pair. */
  sites: ResolvedUse[];
}

const UNINDEXABLE_TYPES = new Set(['Boolean', 'Json', 'Bytes']);

const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
const lower = (name: string): string => name.toLowerCase();
const queries = (n: number): string => `${n} ${n === 1 ? 'query' : 'queries'}`;
const baseName = (file: string): string => file.replace(/\\/g, '/').split('/').pop() ?? file;

/** Length of the common folder prefix of two paths: how close a schema is to a query file. */
function closeness(a: string, b: string): number {
  const left = a.replace(/\\/g, '/').split('/').slice(0, -1);
  const right = b.replace(/\\/g, '/').split('/').slice(0, -1);
  let i = 0;
  while (i < left.length && i < right.length && left[i] === right[i]) i++;
  return i;
}

/**
 * Prisma models by delegate name (`orderItem` for `OrderItem`, and for an introspected
 * `order_items`). A monorepo may hold several schemas: the one nearest the query file wins.
 */
function prismaModels(
  ctx: WorkspaceContext,
): (model: string, file: string) => IndexedTable | undefined {
  const byDelegate = new Map<string, IndexedTable[]>();
  for (const entry of ctx.index.allTables()) {
    const { table } = entry;
    if (table.source !== 'prisma' || !table.className) continue;
    const key = lowerFirst(table.className);
    const list = byDelegate.get(key);
    if (list) list.push(entry);
    else byDelegate.set(key, [entry]);
  }
  return (model, file) => {
    const candidates = byDelegate.get(lowerFirst(model)) ?? [];
    let best: IndexedTable | undefined;
    for (const entry of candidates)
      if (!best || closeness(entry.file, file) > closeness(best.file, file)) best = entry;
    return best;
  };
}

/** The relation field (`author User @relation(...)`, `posts Post[]`) of a model, by name. */
function relationField(
  read: SchemaReader,
  entry: IndexedTable,
  name: string,
): PrismaField | undefined {
  if (!entry.table.relationships.includes(name)) return undefined;
  const models = read(entry.file)?.schema.models;
  return models
    ?.find((model) => model.name === entry.table.className)
    ?.fields.find((field) => field.name === name);
}

/**
 * The relation's own key fields, when a filter through it compares exactly the fields they
 * reference by equality: `user: { id: userId }` is `userId = $1` (composite keys need every
 * referenced field). Undefined for any other relation filter: a join on another model's rows.
 */
function foreignKeyEquality(
  entry: IndexedTable,
  field: PrismaField,
  use: QueryColumnUse,
): ColumnFact[] | undefined {
  const keys = use.relation?.keys;
  const relation = field.relation;
  if (!keys || !relation || field.list || relation.fields.length === 0) return undefined;
  const references = new Set(relation.references);
  if (keys.length !== references.size || !keys.every((key) => references.has(key)))
    return undefined;
  const columns = relation.fields.map((name) => entry.table.columns.find((c) => c.name === name));
  return columns.every((column) => column !== undefined) ? (columns as ColumnFact[]) : undefined;
}

/**
 * Each Prisma query's field uses, resolved to schema fields, keyed by file and query id. A filter
 * through a relation on its referenced key reads as equality on the relation's key fields; any
 * other relation filter joins another model's rows, which may drive the query as a hidden filter
 * does (see prisma-queries.ts), so its query records nothing.
 */
function resolveQueries(ctx: WorkspaceContext, read: SchemaReader): Map<string, ResolvedUse[]> {
  const modelOf = prismaModels(ctx);
  const byQuery = new Map<string, ResolvedUse[]>();
  const joined = new Set<string>();
  const add = (key: string, resolved: ResolvedUse): void => {
    const list = byQuery.get(key);
    if (list) list.push(resolved);
    else byQuery.set(key, [resolved]);
  };
  for (const facts of ctx.index.allFacts()) {
    if (facts.language !== 'typescript') continue;
    for (const use of facts.queryColumns) {
      // A query through a workspace wrapper (`this.repo.model.user`) once the index confirms it.
      if (use.prismaClient && !confirmsPrismaClient(ctx.index, use.prismaClient)) continue;
      const entry = modelOf(use.model, facts.file);
      if (!entry) continue;
      const key = `${facts.file}#${use.queryId}`;
      const relation = relationField(read, entry, use.column);
      if (relation) {
        const keyColumns = foreignKeyEquality(entry, relation, use);
        if (!keyColumns) joined.add(key);
        for (const column of keyColumns ?? []) {
          const keyUse = { ...use, column: column.name, equality: true };
          add(key, { file: facts.file, use: keyUse, entry, column });
        }
        continue;
      }
      // Fields the model does not have, and relation-shaped filters of a scalar field.
      const column = entry.table.columns.find((c) => c.name === use.column);
      if (!column || use.relation) continue;
      add(key, { file: facts.file, use, entry, column });
    }
  }
  for (const key of joined) byQuery.delete(key);
  return byQuery;
}

/**
 * Two-valued fields: an index rarely beats a scan. `Json` and `Bytes`: a B-tree index on the whole
 * value serves no realistic filter. Relation fields: the schema rule reports them.
 */
function mayNeedIndex({ column }: ResolvedUse): boolean {
  return !UNINDEXABLE_TYPES.has(column.type) && !column.foreignKey;
}

/**
 * The fields of each query that no index serves, and the uses of each such field. A query one of
 * whose filter fields leads an index, or is a relation field, is served: the other conditions only
 * sift the rows that index found. A sort counts only in queries that filter nothing (indexing the
 * filter, reported itself, comes first) and return a bounded number of rows: a query that reads
 * every row is cheaper as a scan and a sort, and the database would not use the index.
 */
function unservedFields(
  byQuery: Map<string, ResolvedUse[]>,
  leadsIndex: (use: ResolvedUse) => boolean,
): { fields: Map<ColumnFact, FieldUses>; unserved: Map<string, ResolvedUse[]> } {
  const fields = new Map<ColumnFact, FieldUses>();
  const unserved = new Map<string, ResolvedUse[]>();
  for (const [query, uses] of byQuery) {
    const filters = uses.filter((use) => use.use.role === 'filter');
    // A relation field's index is the fix when it is missing (`prisma-relation-without-index`).
    if (filters.some((use) => leadsIndex(use) || use.column.foreignKey)) continue;
    const candidates = (filters.length > 0 ? filters : uses.filter(sortsFirstRows)).filter(
      (use) => mayNeedIndex(use) && !leadsIndex(use),
    );
    if (candidates.length === 0) continue;
    unserved.set(query, candidates);
    for (const use of candidates) {
      let field = fields.get(use.column);
      if (!field) {
        field = {
          entry: use.entry,
          column: use.column,
          sites: [],
          filters: new Set(),
          sorts: new Set(),
        };
        fields.set(use.column, field);
      }
      (use.use.role === 'filter' ? field.filters : field.sorts).add(query);
    }
  }
  return { fields, unserved };
}

/** A sort of a query that returns its first rows only (`take`, `findFirst`, a `cursor`). */
const sortsFirstRows = ({ use }: ResolvedUse): boolean =>
  use.role === 'sort' && use.bounded !== false;

const queryCount = (field: FieldUses): number => new Set([...field.filters, ...field.sorts]).size;

/**
 * Picks one field per query to report, so a query with two unindexed filters gets one finding:
 * the field most queries use (one index on it serves them all), else the first written.
 */
function chooseSites(
  fields: Map<ColumnFact, FieldUses>,
  unserved: Map<string, ResolvedUse[]>,
): void {
  const counts = new Map<ColumnFact, number>();
  for (const [column, field] of fields) counts.set(column, queryCount(field));
  for (const candidates of unserved.values()) {
    let best = candidates[0];
    for (const use of candidates) {
      const count = counts.get(use.column)!;
      const bestCount = counts.get(best.column)!;
      if (count > bestCount || (count === bestCount && use.use.start < best.use.start)) best = use;
    }
    fields.get(best.column)!.sites.push(best);
  }
}

/**
 * Parsed schemas by file, kept while their text is unchanged: the workspace rules run after every
 * edit, and an edit elsewhere should not cost a parse of the schema. Bounded: a few schemas at most
 * are live in one process.
 */
const parsedSchemas = new Map<string, { text: string; schema: PrismaSchemaModel }>();
const MAX_PARSED_SCHEMAS = 16;

/** The current text and parse of each schema, for the fixes. */
function schemaReader(ctx: WorkspaceContext) {
  return (file: string): { text: string; schema: PrismaSchemaModel } | undefined => {
    const text = ctx.readText(file);
    if (text === undefined) return undefined;
    const cached = parsedSchemas.get(file);
    if (cached?.text === text) return cached;
    if (parsedSchemas.size >= MAX_PARSED_SCHEMAS) parsedSchemas.clear();
    const parsed = { text, schema: parsePrismaSchema(text) };
    parsedSchemas.set(file, parsed);
    return parsed;
  };
}

type SchemaReader = ReturnType<typeof schemaReader>;

/**
 * Adds `@@index([fields])` to the model in its schema file (a cross-file edit), or widens the plain
 * `@@index` that is a strict prefix of them; none when an index on exactly these fields exists
 * already (a hash or other non-B-tree one).
 */
function addIndexFix(read: SchemaReader, entry: IndexedTable, fields: string[]): Fix[] {
  const schema = read(entry.file);
  const model = schema?.schema.models.find((m) => m.name === entry.table.className);
  if (!schema || !model || hasIndexOnFields(model, fields)) return [];
  const widen = widenPrefixFix(schema.text, model, fields, entry.file);
  if (widen) return [widen];
  return [
    {
      title: `Add \`@@index([${fields.join(', ')}])\` to \`${model.name}\` in ${baseName(entry.file)}`,
      safety: 'safe',
      edits: addPrismaIndexEdits(schema.text, model, fields, entry.file),
    },
  ];
}

/**
 * Widens the longest plain `@@index` whose fields begin `fields` (`[projectId, queueId, status]`
 * for `[projectId, queueId, status, createdAt]`): kept beside the new index it would serve no
 * lookup the wider one does not, and only cost writes. An `@@id` or `@@unique` prefix is left as
 * it is (widening it changes what it enforces), and so is a hash or other non-B-tree index.
 */
function widenPrefixFix(
  text: string,
  model: PrismaModel,
  fields: readonly string[],
  file: string,
): Fix | undefined {
  const prefixes = model.indexes
    .filter(
      (index) =>
        index.fields.length < fields.length &&
        index.fields.every((field, i) => field === fields[i]),
    )
    .sort((a, b) => b.fields.length - a.fields.length);
  for (const index of prefixes) {
    const widen = widenEdits(text, index, fields, file);
    if (!widen) continue;
    return {
      title:
        `Widen \`@@index([${index.fields.join(', ')}])\` of \`${model.name}\` to ` +
        `\`@@index([${widen.widened.join(', ')}])\` in ${baseName(file)}`,
      safety: 'safe',
      edits: widen.edits,
    };
  }
  return undefined;
}

function usage(field: FieldUses): string {
  const count = queries(queryCount(field));
  if (field.sorts.size === 0) return `is filtered in ${count}`;
  if (field.filters.size === 0) return `is sorted on in ${count}`;
  return `is filtered or sorted on in ${count}`;
}

function consequence(field: FieldUses, table: TableFact): string {
  return field.filters.size === 0
    ? `each one sorts every matching row of \`${table.className}\` to return the first ones`
    : `each one scans \`${table.className}\``;
}

/**
 * Why the field's own indexes do not count, when it leads some that are not B-trees: `(a hash
 * index serves only equality)`.
 */
function otherMethods(ctx: WorkspaceContext, field: FieldUses): string {
  const methods = new Set(
    schemaIndexes(ctx, field.entry)
      .filter((index) => index.method && lower(index.columns[0] ?? '') === lower(field.column.name))
      .map((index) => index.method!),
  );
  if (methods.size === 0) return '';
  const [method] = methods;
  return method === 'hash' && methods.size === 1
    ? ' (a hash index serves only equality)'
    : ` (a ${[...methods].join(' or ')} index does not return rows in order)`;
}

/**
 * Whether the column is the model's row key: its `@id`, or the first field of a composite `@@id`
 * (`@@id([id, projectId])`, the multi-tenant key whose `id` is a generated id of its own). Ordering
 * by it after a filter is the usual "stable order" idiom, and its key index walks rows in its order.
 */
function isRowKey(read: SchemaReader, entry: IndexedTable, column: ColumnFact): boolean {
  if (column.primaryKey) return true;
  const model = read(entry.file)?.schema.models.find((m) => m.name === entry.table.className);
  return !!model?.indexes.some((index) => index.kind === 'id' && index.fields[0] === column.name);
}

/**
 * The field queries most often sort by after an equality filter on `field`: then the index to add
 * is `(field, sort)`, which serves the plain filters as well and returns the sorted ones in order
 * (an index on the filter alone would leave a filter + sort pair to report next).
 */
function companionSort(
  field: FieldUses,
  byQuery: Map<string, ResolvedUse[]>,
  rowKey: (use: ResolvedUse) => boolean,
): string | undefined {
  const counts = new Map<string, number>();
  for (const query of field.filters) {
    const uses = byQuery.get(query) ?? [];
    const filter = uses.find((use) => use.column === field.column && use.use.role === 'filter');
    const sort = uses.find((use) => use.use.role === 'sort' && use.entry === field.entry);
    if (!filter?.use.equality || !sort || sort.column === field.column || rowKey(sort)) continue;
    counts.set(sort.column.name, (counts.get(sort.column.name) ?? 0) + 1);
  }
  let best: string | undefined;
  for (const [name, count] of counts) if (!best || count > counts.get(best)!) best = name;
  return best;
}

function reportField(
  ctx: WorkspaceContext,
  read: SchemaReader,
  field: FieldUses,
  byQuery: Map<string, ResolvedUse[]>,
): void {
  const { entry, column } = field;
  const { table } = entry;
  const sort = companionSort(field, byQuery, (use) => isRowKey(read, use.entry, use.column));
  const others = otherMethods(ctx, field);
  const message =
    `\`${table.className}.${column.name}\` ${usage(field)} but no ${others ? 'B-tree ' : ''}` +
    `index in ${baseName(entry.file)} starts with it${others}: ${consequence(field, table)}`;
  const fixes = addIndexFix(read, entry, sort ? [column.name, sort] : [column.name]);
  const reported = new Set<string>();
  for (const site of field.sites) {
    const key = `${site.file}:${site.use.start}`;
    if (reported.has(key)) continue;
    reported.add(key);
    ctx.report(site.file, { start: site.use.start, end: site.use.end, message, fixes });
  }
}

/**
 * Equality filter + sort pairs on one model, at most one per query, for queries that return their
 * first rows (a query that returns every match sorts no more rows than it sends back): the first
 * equality filter field that leads an index, the query's other equality filter fields, and its
 * sort field. An index on `(filter, sort)` alone would not serve a query that also filters on
 * another field by equality: every equality field goes before the sort.
 */
function collectPairs(
  byQuery: Map<string, ResolvedUse[]>,
  leadsIndex: (use: ResolvedUse) => boolean,
  rowKey: (use: ResolvedUse) => boolean,
  coversUniqueKey: (entry: IndexedTable, equalities: readonly ResolvedUse[]) => boolean,
): Map<string, Pair> {
  const pairs = new Map<string, Pair>();
  for (const uses of byQuery.values()) {
    const sort = uses.find((use) => use.use.role === 'sort');
    // Ordering by the row key after a filter is the usual "stable order" idiom.
    if (!sort || !sortsFirstRows(sort) || rowKey(sort) || !leadsIndex(sort)) continue;
    const filters = uses.filter(
      (use) => use.use.role === 'filter' && use.entry === sort.entry && use.column !== sort.column,
    );
    // A unique lookup returns one row: nothing to sort. So does equality on every field of an
    // `@@id` or `@@unique` (`where: { teamId, slug }` with `@@unique([teamId, slug])`).
    if (filters.some((use) => use.column.primaryKey || use.column.unique)) continue;
    const equalityFilters = filters.filter((use) => use.use.equality);
    if (coversUniqueKey(sort.entry, equalityFilters)) continue;
    const filter = filters.find((use) => use.use.equality && leadsIndex(use));
    if (!filter) continue;
    const equalities = [filter.column];
    for (const use of filters)
      if (use.use.equality && !equalities.includes(use.column)) equalities.push(use.column);
    const fields = [...equalities.map((column) => column.name), sort.column.name];
    const key = `${sort.entry.file}:${sort.entry.table.className}:${fields.join(',')}`;
    const pair = pairs.get(key);
    if (pair) pair.sites.push(filter);
    else
      pairs.set(key, {
        entry: sort.entry,
        filters: equalities,
        sort: sort.column,
        sites: [filter],
      });
  }
  return pairs;
}

/** What a use asks of an index: to return rows in order, to compare by order, or to match values. */
function lookupKind(use: QueryColumnUse): 'sort' | 'range' | 'match' {
  if (use.role === 'sort') return 'sort';
  return use.range ? 'range' : 'match';
}

/**
 * Whether an index leading with the field serves the use. Only a B-tree returns rows in order; a
 * hash index serves equality and `in` lists, no range; other methods (GIN, GiST, BRIN with the
 * operator classes that scalar fields need) are taken to serve filters.
 */
function indexServes(index: KnownIndex, use: QueryColumnUse): boolean {
  if (!index.method) return true;
  const kind = lookupKind(use);
  return kind === 'match' || (kind === 'range' && index.method !== 'hash');
}

/**
 * The model's indexes, as its own schema file declares them: with several schemas in a workspace
 * two models may share a table name, and migrations follow the schema anyway.
 */
function schemaIndexes(ctx: WorkspaceContext, entry: IndexedTable): KnownIndex[] {
  return ctx.index.indexesOn(entry.table.name).filter((index) => index.file === entry.file);
}

/**
 * Whether an index returns the rows of `filters` already sorted by `sort`: after some of its
 * leading columns, all equality filters of the query, comes the sort column.
 */
function servesSort(
  ctx: WorkspaceContext,
  entry: IndexedTable,
  filters: ReadonlySet<string>,
  sort: string,
): boolean {
  return schemaIndexes(ctx, entry).some((index) => {
    if (index.method) return false; // only a B-tree returns rows in order
    const columns = index.columns.map(lower);
    let i = 0;
    while (i < columns.length && filters.has(columns[i])) i++;
    return i > 0 && columns[i] === lower(sort);
  });
}

/**
 * Whether equality filters name every field of one of the model's composite unique keys
 * (`@@id([id, teamId])`, `@@unique([venue, day, ticker])`): the query matches one row at most.
 */
function equalsEveryFieldOfUniqueKey(
  ctx: WorkspaceContext,
  entry: IndexedTable,
  equalities: readonly ResolvedUse[],
): boolean {
  if (equalities.length === 0) return false;
  const fields = new Set(equalities.map((use) => lower(use.column.name)));
  return schemaIndexes(ctx, entry).some(
    (index) => index.unique && index.columns.every((column) => fields.has(lower(column))),
  );
}

function reportPairs(
  ctx: WorkspaceContext,
  read: SchemaReader,
  byQuery: Map<string, ResolvedUse[]>,
  leadsIndex: (use: ResolvedUse) => boolean,
): void {
  const rowKey = (use: ResolvedUse): boolean => isRowKey(read, use.entry, use.column);
  const coversUniqueKey = (entry: IndexedTable, equalities: readonly ResolvedUse[]): boolean =>
    equalsEveryFieldOfUniqueKey(ctx, entry, equalities);
  for (const { entry, filters, sort, sites } of collectPairs(
    byQuery,
    leadsIndex,
    rowKey,
    coversUniqueKey,
  ).values()) {
    const { table } = entry;
    const unserved = sites.filter((site) => {
      const equalities = (byQuery.get(`${site.file}#${site.use.queryId}`) ?? [])
        .filter((use) => use.use.role === 'filter' && use.use.equality)
        .map((use) => lower(use.column.name));
      return !servesSort(ctx, entry, new Set(equalities), sort.name);
    });
    if (unserved.length === 0) continue;
    const fields = [...filters.map((column) => column.name), sort.name];
    const message = `${pairSubject(table, filters, sort, unserved.length)}; \`@@index([${fields.join(', ')}])\` returns them in order`;
    const fixes = addIndexFix(read, entry, fields);
    for (const site of unserved)
      ctx.report(site.file, { start: site.use.start, end: site.use.end, message, fixes });
  }
}

/**
 * What a filter + sort finding says is slow. With one filter field its index and the sort field's
 * are separate; with more, an index may cover the whole filter, but none keeps its rows sorted.
 */
function pairSubject(
  table: TableFact,
  filters: readonly ColumnFact[],
  sort: ColumnFact,
  count: number,
): string {
  const used = `\`${sort.name}\` sort (${queries(count)})`;
  if (filters.length === 1)
    return (
      `\`${table.className}.${filters[0].name}\` filter + ${used} have only separate indexes: the ` +
      `database finds the matching rows with one, then sorts them all`
    );
  const names = filters.map((column) => `\`${column.name}\``).join(', ');
  return (
    `\`${table.className}\` filter on ${names} + ${used}: no index returns the matching rows in ` +
    `order, so the database finds them, then sorts them all`
  );
}

/** Prisma queries whose `where` / `orderBy` fields no index of the model in schema.prisma leads. */
export const prismaQueryWithoutIndex: Rule = {
  meta: {
    id: 'prisma-query-without-index',
    language: 'typescript',
    category: 'missing-index',
    severity: 'warning',
    summary: 'Prisma `where` / `orderBy` field that no index in `schema.prisma` covers',
    fix: {
      title: 'Add `@@index([...])` to the model in schema.prisma, or widen the index it extends',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Collects the fields Prisma queries (`findMany`, `findFirst`, `count`, `aggregate`, `groupBy`, ' +
        '`updateMany`, `deleteMany`; also on a client declared with a workspace class that extends ' +
        '`PrismaClient`, or through a repository wrapper whose field is declared with one, ' +
        '`this._orgs.model.organization.findFirst(...)`) filter on in `where` (top level, inside `AND`, and in spread `const` ' +
        'objects; a filter through a relation on the key it references, `user: { id: userId }` or ' +
        '`user: { is: { id: userId } }`, as equality on its own key field `userId`) and sort on in ' +
        '`orderBy`, across the workspace, and reports each query site whose ' +
        'field no index of the model in `schema.prisma` starts with (`@id`, `@unique`, `@@id`, ' +
        '`@@unique`, `@@index`), counting the queries that use it. A sort is reported in queries that ' +
        'filter nothing and return their first rows (`take`, `findFirst`, a `cursor`). A hash index ' +
        '(`@@index([field], type: Hash)`) serves only equality and `in` filters, and only a B-tree ' +
        'index returns rows in order. It also reports the equality filters and the sort of a query ' +
        'that returns its first rows, on one model, when the filter and the sort field each lead an ' +
        'index but none returns the matching rows in order: one composite index with every equality ' +
        'field first and the sort field last (`@@index([status, createdAt])`, ' +
        '`@@index([source, symbol, price])`) serves both.',
      whyIsThisBad:
        'Without an index the database answers `where: { status: "PENDING" }` by reading every row of ' +
        'the table, on every request, and `orderBy: { createdAt: "desc" }, take: 20` by sorting the ' +
        'whole table to return 20 rows. With two separate indexes it can use only one: it finds the ' +
        'pending orders quickly, then still sorts them all. A composite index `(status, createdAt)` ' +
        'returns the first page directly. The query is fast on a development database and degrades ' +
        'with every row in production.',
      example: [
        '// prisma/schema.prisma',
        'model Order {',
        '  id         Int         @id @default(autoincrement())',
        '  status     OrderStatus',
        '  customerId Int',
        '  createdAt  DateTime    @default(now())',
        '',
        '  @@index([customerId])',
        '}',
        '',
        '// src/routes/orders.ts',
        "app.get('/orders/pending', async () =>",
        '  prisma.order.findMany({',
        "    where: { status: 'PENDING' },",
        "    orderBy: { createdAt: 'asc' },",
        '    take: 50,',
        '  }),',
        ');',
      ].join('\n'),
      useInstead: [
        'model Order {',
        '  id         Int         @id @default(autoincrement())',
        '  status     OrderStatus',
        '  customerId Int',
        '  createdAt  DateTime    @default(now())',
        '',
        '  @@index([customerId])',
        '  @@index([status, createdAt])',
        '}',
      ].join('\n'),
      notFlagged: [
        'Unique lookups: `findUnique`, `update`, `delete`, `upsert`, and `where` on an `@id` or `@unique` field. ' +
          'A query whose equality filters cover every field of an `@@id` or `@@unique` (`where: { teamId, slug }` ' +
          'with `@@unique([teamId, slug])`) matches one row at most: its sort is not paired with the filter. ' +
          'Part of a composite key (`where: { teamId }`) matches many rows and is reported.',
        'Fields that lead an index of the model (`@@index([status, createdAt])` serves `status`; a one-field list may be written without brackets: `@@index(status)`, `@@index(lastChecked(sort: Asc))`, `@@unique(slug)`), and queries one of whose filter fields leads an index: the other conditions only sift the rows that index found.',
        'Prisma-shaped calls on objects that are no Prisma client: a wrapper field declared with a class ' +
          'that does not extend `PrismaClient` (an in-memory table with the same methods, ' +
          "`model: Pick<MemoryStore, T>`), or with another package's client (`model: CatalogClient`).",
        'Models not declared in any `schema.prisma` of the workspace, and fields the model does not have; with several schemas (a monorepo), the one nearest the query file is used.',
        'Boolean fields (`published: true`): an index on a two-valued field rarely beats a scan; `Json` and `Bytes` fields and JSON path filters, which a plain index does not serve. Enum fields are flagged: their values are usually skewed (few `PENDING` orders among many `DELIVERED`), which is when an index pays off.',
        'Relation scalar fields (`authorId`) with no index, and the other filters of queries that filter on one: `prisma-relation-without-index` reports the field in the schema, and its index serves those queries; on MySQL without `relationMode = "prisma"` InnoDB indexes them.',
        'Text search and negations, which a B-tree index does not serve: `contains`, `startsWith`, `endsWith`, `search`, `mode: "insensitive"`, `not`, `notIn`; and `OR` / `NOT` branches.',
        '`IS NULL` tests (`deletedAt: null`): soft-delete and optional-field filters match most rows, where an index does not help.',
        'Queries that filter through a relation on anything but the key it references (`folder: { groupId }`, `author: { is: { name } }`, `resource: { project: { ... } }`, `posts: { some: ... }`): a join on the related rows, which may drive the query through the foreign key, so neither the other filters nor the sort is reported. Negated relation filters (`isNot`, `every`, `none`) match most rows: they are skipped, and the other filters are reported.',
        'Relation sorts (`orderBy: { author: { name: "asc" } }`), `_count` / `_relevance` sorts, sort keys after the first, and filters inside `include` / `select`.',
        'A sort in a query that returns every row (`findMany` with no `take` or `cursor`): the database reads the whole table anyway, and a scan and a sort beat a walk of an index on the sort field, so it would not use one. The same holds after a filter: a read that returns every matching row sorts no more rows than it sends back, so no filter + sort pair is reported for it.',
        'The `orderBy` of a `groupBy`: it sorts the groups the query returns, after grouping, not the table\u2019s rows, so no index returns them in order.',
        'A sort in a query that also filters: indexing the filter comes first (it is reported itself, or the composite pair when it is indexed); sorts by the row key after a filter, the `@id` or the first field of a composite `@@id` (`@@id([id, projectId])` of a multi-tenant schema, whose `id` is the row\u2019s own generated id): the usual stable-order idiom; filter + sort pairs whose sort field has no index of its own, and range or `in` filters, for which a `(filter, sort)` index does not return rows in order.',
        'A second unindexed filter of the same query: each query gets one finding, for the field the most queries use (one index on it serves them all).',
        'Queries in tests, seeds, scripts and migrations (`*.test.ts`, `__tests__/`, `prisma/seed.ts`, `scripts/`): they run once, not per request.',
        'Queries whose `where` is not an object literal or a `const` object declared before the query (passed in as an argument, returned by a helper), or is a `const` object changed afterwards other than by plain field assignments (passed to a call, `delete where.x`, `where[key] = v`, an `AND` added, also by a method called on one of its fields: `where.AND.push({ OR: [{ userId }, { teamId: { in: teamIds } }] })`): what they filter on is unknown, so neither their fields nor their sort is reported. A `const` object filled in field by field (`const where = {}; if (q.status) where.status = q.status;`) is read with every assigned field present at once: a field is reported only when no index serves even that widest filter, and its sort is not reported, as no one combination of the optional fields says which filter it pairs with. `orderBy` values that are not object literals or such `const` objects.',
        'Queries whose `where` is partly hidden: a spread of an object other than a `const` literal (`{ ...ownerScope, deletedAt: null }`), an `AND` branch built elsewhere, or arguments that spread another object and write no `where`. The hidden part is usually the tenant or owner scope, whose index drives the query: the visible filters only sift its rows, and the sort orders them, not the table. Neither the visible fields nor a composite index built from them alone is reported.',
        'Filters a non-B-tree index leading with the field serves: equality and `in` on a hash index; any filter on a GIN, GiST or BRIN index (with the operator classes scalar fields need).',
      ],
      fixSafety:
        'Safe: an index changes no query result. The fix edits `schema.prisma`, adding `@@index([field])` ' +
        'as the last line of the model, or `@@index([field, sort])` when queries that filter on the ' +
        'field by equality also sort by another field (it serves the plain filters too, and returns ' +
        'the sorted ones in order), and for a filter + sort pair `@@index([<equality fields>, sort])`. ' +
        'When a plain `@@index` of the model holds the first of those fields in order (`@@index([projectId, status])` ' +
        'for `@@index([projectId, status, createdAt])`), the fix widens it instead: it serves every lookup it ' +
        'served before, and kept beside the new one it would only cost writes. An `@@id` or `@@unique` is never ' +
        'widened (that would change what it enforces), nor a hash index. Create a migration ' +
        '(`prisma migrate dev`) to build it. On a large live PostgreSQL table, edit the generated ' +
        'migration to `CREATE INDEX CONCURRENTLY`. No fix is offered when the model already has an index ' +
        'on exactly those fields (a hash index, for a sort): a second one would duplicate it and take ' +
        'its default name, which `prisma validate` rejects; change that index\u2019s `type` instead.',
    },
  },
  checkWorkspace(ctx) {
    const read = schemaReader(ctx);
    const byQuery = resolveQueries(ctx, read);
    if (byQuery.size === 0) return;
    const indexed = new Map<string, boolean>();
    const columnIds = new Map<ColumnFact, number>();
    const leadsIndex = ({ entry, column, use }: ResolvedUse): boolean => {
      if (column.primaryKey || column.unique || column.implicitlyIndexed) return true;
      if (!columnIds.has(column)) columnIds.set(column, columnIds.size);
      const key = `${columnIds.get(column)}:${lookupKind(use)}`;
      let leads = indexed.get(key);
      if (leads === undefined) {
        leads = schemaIndexes(ctx, entry).some(
          (index) =>
            lower(index.columns[0] ?? '') === lower(column.name) && indexServes(index, use),
        );
        indexed.set(key, leads);
      }
      return leads;
    };
    const { fields, unserved } = unservedFields(byQuery, leadsIndex);
    chooseSites(fields, unserved);
    for (const field of fields.values()) reportField(ctx, read, field, byQuery);
    reportPairs(ctx, read, byQuery, leadsIndex);
  },
};
