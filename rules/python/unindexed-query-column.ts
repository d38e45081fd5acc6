import { indexesForeignKeysItself, projectDatabase } from '../../server/src/config/database';
import type { Rule, WorkspaceContext } from '../../server/src/engine/rule';
import { isOneOffCode } from '../../server/src/python/loop-analysis';
import type { PythonModel } from '../../server/src/python/model';
import { isBatchScriptPath } from '../../server/src/python/scope-analysis';
import type {
  ColumnFact,
  FileFacts,
  QueryColumnUse,
  TableFact,
} from '../../server/src/workspace/facts';
import type { IndexedTable, KnownIndex } from '../../server/src/workspace/index';
import { SiteNames, type Site } from '../../server/src/workspace/query-sites';

/** Two-valued columns: an index on them rarely beats a scan, so nobody should be told to add one. */
const BOOLEAN_TYPE = /^(?:[\w.]*\.)?(?:Boolean|bool|BooleanField|NullBooleanField)\b/;

/** What may be NULL around a type: `Optional[bool]`, `bool | None`, `Union[bool, None]`. */
const NULLABLE_WRAPPER =
  /^(?:Optional\[(.*)\]|Union\[(.*?),\s*None\s*\]|(.*?)\s*\|\s*None|None\s*\|\s*(.*))$/s;

/**
 * The type an annotation declares, without `Mapped[...]` and the `None` it allows:
 * `Mapped[Optional[bool]]` and SQLModel's `Optional[bool]` are booleans with NULL.
 */
function declaredType(type: string): string {
  let inner = type.trim();
  for (let depth = 0; depth < 3; depth++) {
    const mapped = /^(?:[\w.]*\.)?Mapped\[(.*)\]$/s.exec(inner);
    const nullable = mapped ? undefined : NULLABLE_WRAPPER.exec(inner);
    const next = mapped?.[1] ?? nullable?.slice(1).find((part) => part !== undefined);
    if (next === undefined) break;
    inner = next.trim();
  }
  return inner;
}

/** A boolean, or a Django field whose `choices=` allows two values (in effect a boolean). */
function isTwoValued(column: ColumnFact): boolean {
  return BOOLEAN_TYPE.test(declaredType(column.type)) || column.choices === 2;
}

interface ResolvedUse {
  /** The table that holds the column: a concrete parent's for a field a child inherits. */
  entry: IndexedTable;
  column: ColumnFact;
  /**
   * The table of the model the query names. A Django child's query joins its concrete parents'
   * tables by their primary keys, so one index on any of them drives the whole query.
   */
  queried: TableFact;
  role: QueryColumnUse['role'];
  /** A foreign key the query pins through its relation (`QueryColumnUse.viaRelation`). */
  viaRelation?: boolean;
  /** The file and query id the use belongs to. */
  query: string;
  /** The file the use is written in, and where. */
  file: string;
  start: number;
}

interface ColumnUses {
  entry: IndexedTable;
  column: ColumnFact;
  filters: Set<string>;
  sorts: Set<string>;
  /** Where each query (of `filters` and `sorts`) uses the column. */
  sites: Map<string, Site>;
}

/** The column a query names: by attribute or column name; Django's `pk` is the primary key. */
function columnNamed(table: TableFact, name: string): ColumnFact | undefined {
  if (name === 'pk' && table.source === 'django') return table.columns.find((c) => c.primaryKey);
  return table.columns.find((c) => c.attribute === name || c.name === name);
}

const modulePath = (moduleName: string): string => `${moduleName.replace(/\./g, '/')}.py`;

/** The trait of a command or script that runs as a long-lived worker. */
const WORKER_LOOP = 'unindexed-query-column:worker-loop';

/**
 * A management command or script with a `while` loop and a `sleep`: a worker polling for due
 * rows (`manage.py sendalerts`, a `--loop` option) whose queries repeat as long as it runs.
 */
function workerTraits(model: PythonModel): string[] {
  if (!isBatchScriptPath(modulePath(model.moduleName))) return [];
  const polls =
    model.loops.some((loop) => loop.kind === 'while') &&
    model.calls.some((call) => call.method === 'sleep');
  return polls ? [WORKER_LOOP] : [];
}

/**
 * Tests, migrations, management commands and scripts (by module path), workers that poll aside:
 * their queries run once or on demand, not per request, so they make no column hot.
 */
function isOffRequestModule(facts: FileFacts): boolean {
  if (!facts.moduleName) return false;
  const path = modulePath(facts.moduleName);
  if (isOneOffCode(path)) return true;
  return isBatchScriptPath(path) && !facts.traits?.includes(WORKER_LOOP);
}

/** The column uses of each query, keyed by file and query id, and the queries each extends. */
interface ResolvedQueries {
  uses: Map<string, ResolvedUse[]>;
  /** Keys of the queries a query extends (`q = q.where(...)` under an `if`), nearest first. */
  bases: Map<string, string[]>;
}

/**
 * The uses of a query together with those of the queries it extends, which come first (their
 * clauses were written earlier): a clause added to a statement under an `if` is judged with the
 * filters the statement already has, as one chain would be.
 */
function withBases(queries: ResolvedQueries, query: string, own: ResolvedUse[]): ResolvedUse[] {
  const bases = queries.bases.get(query);
  if (!bases) return own;
  return [...[...bases].reverse().flatMap((base) => queries.uses.get(base) ?? []), ...own];
}

/**
 * The column as its own table declares it, for a field a Django child inherits from a concrete
 * parent (`ColumnFact.ownerTable`): that table is scanned, its indexes serve it, and it is
 * reported once however many children query it.
 */
function ownColumn(
  ctx: WorkspaceContext,
  entry: IndexedTable,
  column: ColumnFact,
): { entry: IndexedTable; column: ColumnFact } {
  if (!column.ownerTable) return { entry, column };
  for (const owner of ctx.index.tables(column.ownerTable)) {
    if (owner.table.source !== 'django') continue;
    const own = owner.table.columns.find(
      (c) => c.attribute === column.attribute && !c.ownerTable && c.start === column.start,
    );
    if (own) return { entry: owner, column: own };
  }
  return { entry, column };
}

/** The relationship attributes SQLAlchemy models of the workspace declare, by name. */
function declaredRelationships(ctx: WorkspaceContext): Set<string> {
  const names = new Set<string>();
  for (const { table } of ctx.index.allTables())
    if (table.source === 'sqlalchemy') for (const name of table.relationships) names.add(name);
  return names;
}

/** Resolves each query's column uses to model columns, keyed by file and query id. */
function resolveQueries(ctx: WorkspaceContext): ResolvedQueries {
  const queries = new Map<string, ResolvedUse[]>();
  const bases = new Map<string, string[]>();
  const models = new Map<string, IndexedTable[]>();
  let relationships: Set<string> | undefined;
  for (const facts of ctx.index.allFacts()) {
    // Prisma queries in TypeScript files are `prisma-query-without-index`'s.
    if (facts.language !== 'python' || isOffRequestModule(facts)) continue;
    for (const use of facts.queryColumns) {
      // `pr.request_tasks.filter(RequestTask.action_type == t)`: a dynamic relationship's query,
      // pinned to the parent by the child's foreign key (which `unindexed-foreign-key` checks).
      if (use.instanceAttribute) {
        relationships ??= declaredRelationships(ctx);
        if (relationships.has(use.instanceAttribute)) continue;
      }
      let entries = models.get(use.model);
      if (!entries) {
        entries = ctx.index
          .tablesOfEntity(use.model)
          .filter(({ table }) => table.source === 'sqlalchemy' || table.source === 'django');
        models.set(use.model, entries);
      }
      for (const entry of entries) {
        const column = columnNamed(entry.table, use.column);
        if (!column) continue;
        // `data__key=v` on a JSON field, `tags__name=t` through a many-to-many: no key is pinned.
        if (use.viaRelation && !column.foreignKey) break;
        const query = `${facts.file}#${use.queryId}`;
        if (use.bases && !bases.has(query))
          bases.set(
            query,
            use.bases.map((base) => `${facts.file}#${base}`),
          );
        const resolved = {
          ...ownColumn(ctx, entry, column),
          queried: entry.table,
          role: use.role,
          ...(use.viaRelation ? { viaRelation: true } : {}),
          query,
          file: facts.file,
          start: use.start,
        };
        const list = queries.get(query);
        if (list) list.push(resolved);
        else queries.set(query, [resolved]);
        break;
      }
    }
  }
  return { uses: queries, bases };
}

const lower = (name: string): string => name.toLowerCase();

/**
 * Whether a composite index returns `sort`'s query already in order up to `sort`: its columns
 * begin with filter columns of the query on the table (any of them, when given: `filter` among
 * them), then the query's sort columns of the table in order up to and including `sort`.
 * `order_by(a, b, c)` reads `UniqueConstraint(a, b, c)` in order, as `filter(a == x).order_by(b, c)`
 * does; `order_by(a, c)` under that index still sorts on `c`.
 */
function compositeServesSort(
  uses: readonly ResolvedUse[],
  sort: ResolvedUse,
  indexes: readonly KnownIndex[],
  filter?: ResolvedUse,
): boolean {
  const table = sort.entry.table;
  const sortRun: string[] = [];
  for (const use of uses) {
    if (use.role !== 'sort' || use.entry.table !== table) continue;
    sortRun.push(lower(use.column.name));
    if (use === sort) break;
  }
  if (sortRun.length < 2 && !filter) return false; // a lone sort column is served only if it leads
  const filters = new Set(
    uses
      .filter((use) => use.role === 'filter' && use.entry.table === table)
      .map((use) => lower(use.column.name)),
  );
  return indexes.some((index) => {
    const columns = index.columns.map(lower);
    let at = 0;
    while (at < columns.length && filters.has(columns[at]) && columns[at] !== sortRun[0]) at++;
    if (filter && !columns.slice(0, at).includes(lower(filter.column.name))) return false;
    return sortRun.every((name, i) => columns[at + i] === name);
  });
}

/**
 * Whether `driven` has a foreign key to `joined`'s primary key or a unique column
 * (`tagged_object.tag_id` → `tag.id`): a join between them reaches one `joined` row per
 * `driven` row through that key.
 */
function referencesByKey(driven: TableFact, joined: TableFact): boolean {
  return driven.columns.some((column) => {
    const key = column.foreignKey;
    if (!key) return false;
    const named =
      key.table === joined.name ||
      (!!joined.className &&
        (key.table === joined.className || key.targetClass === joined.className));
    if (!named) return false;
    const target = columnNamed(joined, key.column);
    return !!target && (target.primaryKey || target.unique);
  });
}

/**
 * Adds to `served` the tables the query joins through a key of a table an index drives
 * (`query(TaggedObject).join(Tag).filter(TaggedObject.object_id == o, Tag.type == t)`): the
 * planner walks the index, then fetches each parent row by its primary key, so an index on
 * `tag.type` would serve nothing. Followed hop by hop (child, parent, grandparent).
 */
function addJoinedByKey(uses: readonly ResolvedUse[], served: Set<TableFact>): void {
  for (let grew = true; grew;) {
    grew = false;
    for (const use of uses) {
      if (served.has(use.queried)) continue;
      for (const driven of served) {
        if (!referencesByKey(driven, use.queried)) continue;
        served.add(use.queried);
        grew = true;
        break;
      }
    }
  }
}

/**
 * Whether a filter on `use` reaches the rows through a SQLAlchemy foreign key: an index leading
 * with the key drives the query, and when none does `unindexed-foreign-key` reports the key (its
 * fix adds that index), so the other columns only sift one parent's rows.
 */
function pinsForeignKey(use: ResolvedUse): boolean {
  return !!use.column.foreignKey && use.entry.table.source !== 'django';
}

/**
 * Groups uses by column, leaving out the uses of queries an index already drives: once one filter
 * column of a table leads an index (or is a SQLAlchemy foreign key, see `pinsForeignKey`), the
 * other predicates only sift the rows that index found.
 * Sorts count only in queries that do not filter the table, and not when they continue a sort on
 * the leading columns of a composite index (`order_by(a, b)` under `Index(a, b)`).
 */
function unservedUses(
  queries: ResolvedQueries,
  leadsIndex: (use: ResolvedUse) => boolean,
  indexesOn: (table: TableFact) => readonly KnownIndex[],
): Map<ColumnFact, ColumnUses> {
  const columns = new Map<ColumnFact, ColumnUses>();
  for (const [query, own] of queries.uses) {
    // The clauses of the queries it extends count here, but only its own uses are reported.
    const uses = withBases(queries, query, own);
    const filtered = new Set<TableFact>();
    const served = new Set<TableFact>();
    for (const use of uses) {
      if (use.role !== 'filter') continue;
      filtered.add(use.queried);
      if (leadsIndex(use) || pinsForeignKey(use)) served.add(use.queried);
    }
    if (served.size > 0) addJoinedByKey(uses, served);
    for (const use of own) {
      // The join's key drives the query or not; the related row's column is what it filters.
      if (use.viaRelation || served.has(use.queried)) continue;
      // Sorting what an unindexed filter found is fixed by indexing the filter (reported itself).
      if (use.role === 'sort' && filtered.has(use.queried)) continue;
      if (use.role === 'sort' && compositeServesSort(uses, use, indexesOn(use.entry.table)))
        continue;
      let entry = columns.get(use.column);
      if (!entry) {
        entry = {
          entry: use.entry,
          column: use.column,
          filters: new Set(),
          sorts: new Set(),
          sites: new Map(),
        };
        columns.set(use.column, entry);
      }
      (use.role === 'filter' ? entry.filters : entry.sorts).add(query);
      if (!entry.sites.has(query)) entry.sites.set(query, { file: use.file, start: use.start });
    }
  }
  return columns;
}

const queries = (n: number): string => `${n} ${n === 1 ? 'query' : 'queries'}`;

/** At most this many query sites are named in a message; the count says enough beyond. */
const NAMED_SITES = 3;

/**
 * The query sites, named (`app/views.py:5 in \`find_member\``) and in file order, when there are
 * NAMED_SITES or fewer: a finding at the column would otherwise leave them to be searched for.
 */
function namedSites(sites: Iterable<Site>, names: SiteNames): string[] {
  const list = [...sites];
  if (list.length > NAMED_SITES) return [];
  list.sort((a, b) => (a.file === b.file ? a.start - b.start : a.file < b.file ? -1 : 1));
  return list.map((site) => names.name(site));
}

/** How a message names an index: `\`ix_name\`` or `the index on (a, b)`. */
function indexName(index: KnownIndex): string {
  return index.name ? `\`${index.name}\`` : `the index on (${index.columns.join(', ')})`;
}

/**
 * `has no index`, or, when the column sits behind other columns in an index (`(api_client_id,
 * username)`), that no index leads with it: that index cannot serve a query that does not pin
 * the columns before it.
 */
function noIndexPhrase(column: ColumnFact, indexes: readonly KnownIndex[]): string {
  const name = column.name.toLowerCase();
  for (const index of indexes) {
    const at = index.columns.findIndex((indexed) => indexed.toLowerCase() === name);
    if (at <= 0) continue;
    return `no index leads with it (it is column ${at + 1} of ${indexName(index)})`;
  }
  return 'has no index';
}

function usage(uses: ColumnUses, table: string, noIndex: string, names: SiteNames): string {
  const where = namedSites(uses.sites.values(), names);
  const count = `${queries(uses.sites.size)}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
  if (uses.sorts.size === 0)
    return `is filtered in ${count} but ${noIndex}: each one scans \`${table}\``;
  if (uses.filters.size === 0)
    return `is sorted on in ${count} but ${noIndex}: each one sorts every matching row of \`${table}\``;
  return `is filtered or sorted on in ${count} but ${noIndex}: each one scans \`${table}\``;
}

/** The composite index to suggest, in the model's dialect: its columns in order. */
function compositeIndex(table: TableFact, columns: readonly ColumnFact[]): string {
  if (table.source === 'django')
    return `models.Index(fields=[${columns.map((column) => `"${column.attribute}"`).join(', ')}])`;
  const names = columns.map((column) => column.name);
  return `Index("ix_${table.name}_${names.join('_')}", ${names.map((name) => `"${name}"`).join(', ')})`;
}

function reportUnindexed(
  ctx: WorkspaceContext,
  uses: ColumnUses,
  leadsIndex: (use: ColumnUses) => boolean,
  names: SiteNames,
): void {
  const { entry, column } = uses;
  const { table } = entry;
  if (isTwoValued(column) || leadsIndex(uses)) return;
  // SQLAlchemy foreign keys are `unindexed-foreign-key`'s to report.
  if (column.foreignKey && table.source !== 'django') return;
  const optOut =
    table.source === 'django' && column.implicitlyIndexed === false && column.foreignKey;
  // An inherited column is reported where its base class declares it.
  ctx.report(column.file ?? entry.file, {
    start: column.start,
    end: column.end,
    message: `\`${table.name}.${column.name}\`${optOut ? ' (`db_index=False`)' : ''} ${usage(uses, table.name, noIndexPhrase(column, ctx.index.indexesOn(table.name)), names)}`,
  });
}

/** A query's filter and sort columns on one table that only separate indexes serve. */
interface Suggestion {
  entry: IndexedTable;
  /** The filter columns, in the order they are written. */
  filters: ColumnFact[];
  /** The sort columns, in `order_by` order. */
  sorts: ColumnFact[];
  /** One of the query's own clauses (not only those of the queries it extends) is among them. */
  own: boolean;
  /** A composite index that leads with the filter columns but does not continue with the sort. */
  filterIndex?: KnownIndex;
}

/** Whether an index leads with the column. */
function leadsAnIndex(indexes: readonly KnownIndex[], column: ColumnFact): boolean {
  return indexes.some((index) => lower(index.columns[0] ?? '') === lower(column.name));
}

/** A column that pins one row by itself: a sort after it has nothing to order. */
function isUniqueKey(column: ColumnFact): boolean {
  return !!column.primaryKey || !!column.unique;
}

/**
 * A composite index whose leading columns are filter columns of the query on the table and
 * include every one of `filters`, with those leading columns (longest first): it finds the rows
 * already, and only lacks the sort. `Index(entity, locale, approved)` for `entity == e, locale ==
 * l` then `date`.
 */
function filterLeadingIndex(
  uses: readonly ResolvedUse[],
  table: TableFact,
  indexes: readonly KnownIndex[],
  filters: readonly ResolvedUse[],
): { index: KnownIndex; columns: ColumnFact[] } | undefined {
  const byName = new Map<string, ColumnFact>();
  for (const use of uses)
    if (
      use.role === 'filter' &&
      !use.viaRelation &&
      use.entry.table === table &&
      !isUniqueKey(use.column)
    )
      byName.set(lower(use.column.name), use.column);
  let best: { index: KnownIndex; columns: ColumnFact[] } | undefined;
  for (const index of indexes) {
    if (index.columns.length < 2) continue;
    const columns: ColumnFact[] = [];
    for (const name of index.columns) {
      const column = byName.get(lower(name));
      if (!column || columns.includes(column)) break;
      columns.push(column);
    }
    if (!filters.every((filter) => columns.includes(filter.column))) continue;
    if (!best || columns.length > best.columns.length) best = { index, columns };
  }
  return best;
}

/**
 * The composite index each table needs for one query (its uses, those of the queries it extends
 * included) whose filters and sorts only separate single-column indexes serve: every such filter
 * column, then every such sort column, so one index finds the matching rows already in order.
 * A sort that an index already returns in order after some of the filters (`Index(a, b, c)` for
 * `a == x, b == y` then `c`) needs nothing: that index drives the query, the other filters sift.
 * Sorts on the primary key after an indexed filter are the usual "stable order" idiom and left
 * out (InnoDB indexes already end in the key; elsewhere the suggestion would mostly be noise).
 * When a composite index already leads with the filter columns, the suggestion extends its
 * leading filter columns with the sort, and remembers that index for the message.
 */
function querySuggestions(
  ctx: WorkspaceContext,
  uses: readonly ResolvedUse[],
  query: string,
): Map<TableFact, Suggestion> {
  const found = new Map<TableFact, Suggestion>();
  for (const sort of uses) {
    if (sort.role !== 'sort' || sort.column.primaryKey) continue;
    const table = sort.entry.table;
    const indexes = ctx.index.indexesOn(table.name);
    if (!leadsAnIndex(indexes, sort.column)) continue;
    const filters = uses
      .filter(
        (use) =>
          use.role === 'filter' &&
          !use.viaRelation &&
          use.entry.table === table &&
          !use.column.primaryKey &&
          !use.column.unique &&
          use.column !== sort.column &&
          leadsAnIndex(indexes, use.column),
      )
      // In the order written: `filter(a == x).filter(b == y)` suggests `(a, b, ...)`.
      .sort((a, b) => a.start - b.start);
    if (filters.length === 0) continue;
    if (filters.some((filter) => compositeServesSort(uses, sort, indexes, filter))) continue;
    let suggestion = found.get(table);
    if (!suggestion) {
      suggestion = { entry: sort.entry, filters: [], sorts: [], own: false };
      found.set(table, suggestion);
    }
    const leading = filterLeadingIndex(uses, table, indexes, filters);
    if (leading) suggestion.filterIndex ??= leading.index;
    for (const column of leading?.columns ?? filters.map((filter) => filter.column))
      if (!suggestion.filters.includes(column)) suggestion.filters.push(column);
    if (!suggestion.sorts.includes(sort.column)) suggestion.sorts.push(sort.column);
    if (sort.query === query || filters.some((filter) => filter.query === query))
      suggestion.own = true;
  }
  return found;
}

/** `\`users.org_id\` filter`, `\`users.org_id\`, \`role\` filters`: columns quoted for a message. */
function columnList(columns: readonly ColumnFact[], what: string, table?: string): string {
  const names = columns.map((column, i) =>
    i === 0 && table ? `\`${table}.${column.name}\`` : `\`${column.name}\``,
  );
  return `${names.join(', ')} ${what}${columns.length > 1 ? 's' : ''}`;
}

/**
 * What serves the pair today: separate indexes, or a composite index that finds the filtered rows
 * but not in the sort's order.
 */
function servedHow({ filterIndex, sorts }: Suggestion): string {
  if (!filterIndex) return ' use separate indexes';
  const sortColumns = sorts.map((column) => `\`${column.name}\``).join(', ');
  return (
    `: ${indexName(filterIndex)} serves the filters but lacks the sort ` +
    `column${sorts.length > 1 ? 's' : ''} ${sortColumns}`
  );
}

/**
 * Filter + sort columns that only separate single-column indexes serve: one composite index per
 * query and table, reported at its first filter column with the number of queries that need it.
 */
function reportPairs(ctx: WorkspaceContext, byQuery: ResolvedQueries, names: SiteNames): void {
  const suggested = new Map<string, Map<TableFact, Suggestion>>();
  for (const [query, own] of byQuery.uses)
    suggested.set(query, querySuggestions(ctx, withBases(byQuery, query, own), query));
  const counted = new Map<string, { suggestion: Suggestion; sites: Site[] }>();
  for (const [query, tables] of suggested) {
    const bases = byQuery.bases.get(query) ?? [];
    for (const [table, suggestion] of tables) {
      // A suggestion the query it extends holds already is counted there; a clause added to a
      // statement whose own index is suggested only sifts the rows that index returns in order.
      if (!suggestion.own || bases.some((base) => suggested.get(base)?.has(table))) continue;
      const columns = [...suggestion.filters, ...suggestion.sorts];
      const key = `${suggestion.entry.file}:${table.name}:${columns.map((column) => column.start).join(',')}`;
      // Where the query is: its first own clause.
      const own = byQuery.uses.get(query)![0];
      const site = { file: own.file, start: own.start };
      const entry = counted.get(key);
      if (entry) entry.sites.push(site);
      else counted.set(key, { suggestion, sites: [site] });
    }
  }
  for (const { suggestion, sites } of counted.values()) {
    const { entry, filters, sorts } = suggestion;
    const columns = [...filters, ...sorts];
    const where = namedSites(sites, names);
    ctx.report(filters[0].file ?? entry.file, {
      start: filters[0].start,
      end: filters[0].end,
      message:
        `${columnList(filters, 'filter', entry.table.name)} + ${columnList(sorts, 'sort')} ` +
        `(${queries(sites.length)}${where.length > 0 ? `: ${where.join(', ')}` : ''})` +
        `${servedHow(suggestion)}; one composite index serves ` +
        `${columns.length > 2 ? 'them all' : 'both'}: \`${compositeIndex(entry.table, columns)}\``,
    });
  }
}

/**
 * A foreign key whose constraint InnoDB backs with an index. A Django `db_index=False` is left
 * out: it often goes with `db_constraint=False`, which creates no constraint and so no index.
 */
function hasForeignKeyConstraint(table: TableFact, column: ColumnFact): boolean {
  if (!column.foreignKey) return false;
  return !(table.source === 'django' && column.implicitlyIndexed === false);
}

/** Model columns that queries filter or sort on and no index covers. */
export const unindexedQueryColumn: Rule = {
  meta: {
    id: 'unindexed-query-column',
    language: 'python',
    category: 'missing-index',
    severity: 'info',
    summary: 'Column used in `filter`/`where`/`order_by` queries that no index covers',
    docs: {
      whatItDoes:
        'Collects the columns that SQLAlchemy and SQLModel (`filter`, `filter_by`, `where`, `order_by`) and Django ' +
        '(`filter`, `get`, `order_by`) queries across the workspace filter and sort on (also through an import ' +
        'alias: `from app.models import User as UserModel`; classes mapped the classical way, ' +
        '`mapper(Label, label_table)` or `registry.map_imperatively(...)`, query their Core table), and reports, once ' +
        'at the column definition in the model, each one that no index leads, with the number of queries ' +
        'that use it and, for three or fewer, where they are (file, line and function: app/views.py:12 ' +
        'in `find_member`). It also reports the filter and sort columns of a query whose only indexes are ' +
        'separate single-column ones, or a composite index that leads with the filter columns but does ' +
        'not continue with the sort (`Index(a, b, flag)` for `a == x, b == y` then `c`, named in the ' +
        'message), and suggests one composite index per query that serves them ' +
        'all: its filter columns in the order written (in the order of that composite index, when ' +
        'there is one), then its sort columns (`filter(a == x, b == y)' +
        '.order_by(c)` → `(a, b, c)`), reported at the first filter column with the number of queries ' +
        'that need it (and where, for three or fewer).',
      whyIsThisBad:
        'Without an index the database answers `WHERE email = ?` by reading every row, and `ORDER BY ' +
        'created_at LIMIT 20` by sorting the whole table first. With two separate indexes it can use only ' +
        'one of them: it finds the rows of one user quickly, then still sorts them all, or walks the ' +
        'date index and discards the rows of every other user. A composite index `(user_id, created_at)` ' +
        'returns the first page directly.',
      example: [
        'class User(Base):',
        '    __tablename__ = "users"',
        '    id = Column(Integer, primary_key=True)',
        '    email = Column(String(255))',
        '',
        'def find_user(db, email):',
        '    return db.query(User).filter(User.email == email).first()',
      ].join('\n'),
      useInstead: [
        'class User(Base):',
        '    __tablename__ = "users"',
        '    id = Column(Integer, primary_key=True)',
        '    email = Column(String(255), index=True)',
      ].join('\n'),
      notFlagged: [
        'Primary keys, unique columns, and columns that lead an index declared anywhere: `index=True`, `db_index=True`, SQLModel `Field(index=True)`, `__table_args__`, an `Index(...)` in the model class body that holds one of its columns (`not_after_ix = Index("ix_not_after", not_after.desc())`; one of names alone reaches no table and is not counted), `Meta.indexes`, `unique_together`, Alembic migrations, `.sql` files, and `CREATE INDEX` / `ALTER TABLE ... ADD UNIQUE` strings in application code outside tests (a startup function running `conn.execute(text("CREATE INDEX IF NOT EXISTS ..."))`, as `unindexed-foreign-key` describes). This includes keys and indexes a model inherits from an abstract base or mixin (in any file of the workspace, also through the `__table_args__` of the base, a `@declared_attr` one counted as `unindexed-foreign-key` describes), those declared through an `Annotated[..., mapped_column(...)]` alias (`id: Mapped[pk]`), the `Meta` indexes of a Django abstract base for the models that take its `Meta` (no `Meta` of their own, or `class Meta(Base.Meta)`), and the `id` key Django adds to a model that declares none (also looked up as `pk`). Django indexes every foreign key (unless `db_index=False`), also one declared with a subclass of `ForeignKey` or `OneToOneField`: one the workspace declares (followed through its bases in any module: `class FlexibleForeignKey(models.ForeignKey)`), or one of a package named `...ForeignKey` / `...OneToOneField` (django-mptt\'s `TreeForeignKey`) on a field not named `..._id` (such a field of such a class is a plain integer column named like a key, left alone as any field of an unknown class is). So the other columns of a query that pins such a key, or that completes a unique constraint it leads, are not reported either.',
        'SQLAlchemy and SQLModel foreign keys, which `unindexed-foreign-key` reports (Django foreign keys with `db_index=False` are reported here).',
        "The other columns of a query that filters on a SQLAlchemy or SQLModel foreign key (`revision` in `select(Revision).filter_by(variant_id=v, revision=r)`, as Agenta reads one revision of a variant): an index leading with the key drives the query, and when the key has none `unindexed-foreign-key` reports it with the fix that adds it, so the other columns only sift one parent's rows and an index of their own would be the wrong advice. A clause added under an `if` to a statement that pins a key counts the same. A column filtered in a query that pins no key is still reported.",
        'Filters and sorts of a query made from a relationship of an instance (`self.request_tasks.filter(RequestTask.action_type == t)`, `user.followed.order_by(Post.created_at)`, as Fides reads the tasks of one privacy request through a `lazy="dynamic"` relationship), when a SQLAlchemy model of the workspace declares a `relationship(...)` of that name: the query is pinned to the parent by the child\'s foreign key, which `unindexed-foreign-key` checks, and the other columns only sift one parent\'s rows. An instance attribute no model declares as a relationship (a query kept on `self`) is judged as usual.',
        'On MySQL or MariaDB (`"sql": { "database": "mysql" }` in `perflens.json`, or every database URL string literal in the Python code of the workspace naming MySQL or MariaDB, as `unindexed-foreign-key` describes), foreign keys count as indexed, because InnoDB indexes every foreign key constraint: neither they nor the other columns of a query that filters on one are reported. Django foreign keys with `db_index=False` still are (they often drop the constraint too, with `db_constraint=False`).',
        'Extra filter columns of a query that an index already drives, which do not count in the number of queries either: `status` in `filter(Report.owner_id == o, Report.status == s)` when `owner_id` leads an index, `kind` when `(account_id, kind)` is indexed, or `locked_at` in `where(Order.id == i, Order.locked_at.is_(None))` and `filter(pk=p, next_run=d)` (primary-key lookups). A clause added to a statement variable built earlier in the function (`q = select(T).where(T.org_id == o)`, then `if status: q = q.where(T.status == s)` and `q = q.order_by(T.created_at)`) is judged with the clauses the statement had before it, as one chain would be; optional clauses under separate `if`s do not count for one another. (`filter_by` keywords and string sorts on such a variable name no entity, and are not read.)',
        'The columns of a table a SQLAlchemy query joins through a foreign key of a table an index ' +
          'already drives, to its primary key or a unique column (`query(TaggedObject.id).join(Tag)' +
          '.filter(TaggedObject.object_id == o, Tag.type == t)` with `object_id` indexed and ' +
          '`TaggedObject.tag_id` a key to `tag.id`; also hop by hop, to the parent of that parent): ' +
          'each joined row is fetched by its key, so its columns only sift the rows the index found. ' +
          'A join the other way (the indexed table is the parent, `Tag.name == n`, and the filtered ' +
          "column is the child's) or to a table no key of the driven one references stays reported.",
        'The other filter columns of a Django query that also filters through a foreign key with ' +
          'equality on a column of the related row (`Check.objects.get(slug=s, project__ping_key=k)`): ' +
          'the join reaches the rows through that key, which Django indexes (or which leads a composite ' +
          'index such as `(project_id, slug)`), so the other columns only sift them. A lookup through a ' +
          'many-to-many or reverse relation (`channel__kind="email"`), through a key declared with ' +
          '`db_index=False`, or with a further lookup (`project__name__icontains=t`) pins no indexed ' +
          'key, and the other columns stay reported.',
        "Fields a Django model inherits from a concrete parent model (multi-table inheritance: `class Crate(Item)` with `Item` not abstract, in the same module or another): they stay in the parent's table, so a query on the child is judged with the parent's keys and indexes (its `ForeignKey`s, `unique` fields, `Meta.indexes`), and an index on either table drives the whole query, which joins them by the primary key: `side` in `Crate.objects.filter(container=c, side=s)` is an extra filter when `container` is a `ForeignKey` of `Item`. An unindexed field of the parent is still reported, once, at its declaration, naming the parent's table, with the queries through the parent and through every child counted together.",
        'Boolean columns, also annotated as allowing NULL (SQLModel `is_component: Optional[bool]`, `bool | None`, `Mapped[Optional[bool]]`), and Django fields whose `choices=` allows exactly two values (a literal list, a name bound to one in the model or module, or `Status.choices` of a `TextChoices`/`IntegerChoices` class of the file): an index on a two-valued column rarely beats a scan. Three or more choices are still reported: a `status` whose rare value (`pending`) is the one queried is what an index serves best.',
        'Queries in tests, migrations, Django management commands and files under `scripts/`: they run once or on demand, not per request, so they neither make a column hot nor count in the number of queries. A command or script with a `while` loop that sleeps is a long-lived worker polling for due rows (`manage.py sendalerts`), and its queries count.',
        'Predicates a plain index cannot serve anyway: `!=`, `like`/`ilike`/`contains`, `icontains`/`iexact`, functions of the column (`func.lower(User.email)`), `or_(...)` and `Q(...) | Q(...)`, and `.exclude()`. Also `IS NOT NULL`: SQLAlchemy `.isnot(None)` and Django `field__isnull=False` (GlitchTip picks its configured alerts with `quantity__isnull=False`), which keep every row that has a value as `!=` keeps every other value; `IS NULL` (`.is_(None)`, `__isnull=True`) is still read.',
        'The condition of an aggregate\'s `FILTER (WHERE ...)` clause (`func.count().filter(Task.status == "done")`, `func.sum(Order.total).filter(...)`): it picks the rows an aggregate counts among those the query reads, which an index cannot narrow.',
        'Filter + sort pairs whose sort column is the primary key (`order_by(Post.id.desc())` after an indexed filter).',
        'The other filter columns of a query that gets a composite suggestion: one query gets one index, `(a, b, c)`, at its first filter column, not one pair per filter. A clause added under an `if` to a statement that gets a suggestion (`if folder: stmt = stmt.where(T.folder_id == f)`) adds none: the suggested index returns the rows in order and the clause sifts them. A clause added to a statement that only sorts gets its own.',
        'A sort column in a query that also filters its table: the filter column is reported instead, or the composite index when the filter is indexed.',
        'Sorts a composite index (also a unique constraint) returns in order: `order_by(a, b, c)` under `UniqueConstraint(a, b, c)`, and `where(a == x, b == y).order_by(c)` under `Index(a, b, c)` (no composite suggestion either, for any filter of that query: once an index returns the sort in order after some filters, the other filters only sift its rows). A sort column that does not continue the index in its position is still reported: `c` in `order_by(a, c)`.',
        'Models without `__tablename__` whose base computes the table name (`@declared_attr def __tablename__(cls)`) other than as `cls.__name__`, `cls.__name__.lower()` or a CamelCase-to-snake_case helper (one named like `*snake*` or `resolve_table_name`, or one of the same file that uses `re.sub`/`re.split` and `.lower()`), and snake-cased class names with runs of capitals (`HTTPLog`), which such helpers convert differently: their table names are unknown, so their columns are left alone.',
        'Lookups through relations (`author__name`), `filter_by` after a `join` (its keywords then name the joined entity), entities aliased in code (`Referral = aliased(Subscription)`; an import alias is followed to the class it imports, and an alias of a class that is not a model matches no table), and queries on classes no model in the workspace declares.',
      ],
    },
  },
  pythonModuleTraits: workerTraits,
  checkWorkspace(ctx) {
    const byQuery = resolveQueries(ctx);
    const indexed = new Map<ColumnFact, boolean>();
    const innoDb = indexesForeignKeysItself(projectDatabase(ctx));
    const leadsIndex = ({
      entry,
      column,
    }: {
      entry: IndexedTable;
      column: ColumnFact;
    }): boolean => {
      let leads = indexed.get(column);
      if (leads === undefined) {
        leads =
          column.primaryKey ||
          column.unique ||
          (innoDb && hasForeignKeyConstraint(entry.table, column)) ||
          ctx.index.isIndexedColumn(entry.table.name, column.name);
        indexed.set(column, leads);
      }
      return leads;
    };
    const indexesOn = (table: TableFact): KnownIndex[] => ctx.index.indexesOn(table.name);
    const names = new SiteNames(ctx.index, (file) => ctx.readText(file));
    for (const uses of unservedUses(byQuery, leadsIndex, indexesOn).values())
      reportUnindexed(ctx, uses, leadsIndex, names);
    reportPairs(ctx, byQuery, names);
  },
};
