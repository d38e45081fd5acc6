/**
 * ORM reads bounded by the keys the workspace's models declare: a lookup of a primary or unique
 * column, a load by a list of keys, the child rows of one parent. Asked by the rules that judge
 * unbounded reads with the index; the reads themselves come from orm.ts.
 */
import type { Node } from 'web-tree-sitter';
import type { ColumnFact, QuerySetPin, TableFact } from '../workspace/facts';
import type { IndexedTable, WorkspaceIndex } from '../workspace/index';
import { classOfFunction, type PyCall, type PyLoop, type PythonModel } from './model';
import {
  djangoFiltersOf,
  lastField,
  type DjangoFilters,
  type ListMatch,
  type OrmRead,
  type WithParent,
} from './orm';

/**
 * Names of categorical columns: a list of their values selects every row in those categories,
 * however many there are (`status.in_(statuses)`). Used when the models are not in the workspace.
 */
const VALUE_NAME =
  /^(?:status|state|type|kind|category|level|priority|severity|stage|phase|role|visibility|source|channel|mode|tier|plan|country|language|locale|currency|format|reason)$|_(?:status|state|type|kind|category|level|priority|severity|stage|role)$/i;
/**
 * The columns a query's `==` filters pin to a value. `== None` pins none: it matches every row
 * without one, however many.
 */
export function valuePinnedColumns(filters: Pick<OrmRead, 'equalityColumns' | 'nullColumns'>) {
  return filters.equalityColumns.filter((column) => !filters.nullColumns.includes(column));
}

/** Whether a table declares one of the columns primary key or unique: `==` on it picks one row. */
export function declaresUniqueAmong(table: TableFact, columns: readonly string[]): boolean {
  return table.columns.some(
    (column) => (column.primaryKey || column.unique) && columns.includes(column.attribute),
  );
}

/** Whether the read filters with `==` on a column the workspace's models declare primary or unique. */
export function looksUpUniqueColumn(read: OrmRead, index: WorkspaceIndex): boolean {
  const pinned = valuePinnedColumns(read);
  if (pinned.length === 0) return false;
  return read.models.some((model) =>
    index.tablesOfClass(model).some(({ table }) => declaresUniqueAmong(table, pinned)),
  );
}

/**
 * Whether a table declares the matched columns a key: one of them is a primary key, unique or a
 * foreign key, or a unique index (a composite primary key included) has no column outside the
 * match and the query's `==` filters (`X.project_id == p` with `X.name.in_(names)`).
 */
function declaresKey(
  table: TableFact,
  match: ListMatch,
  read: OrmRead,
  index: WorkspaceIndex,
): boolean {
  const declared = (name: string) =>
    table.columns.find((column) => column.attribute === name || column.name === name);
  const matched = match.columns.map((column) => declared(column.column));
  const isKey = (column: ColumnFact | undefined): boolean =>
    !!column && (column.primaryKey || column.unique || !!column.foreignKey);
  if (matched.some(isKey)) return true;
  const covered = new Set(
    [...matched, ...read.equalityColumns.map(declared)].flatMap((column) =>
      column ? [column.name.toLowerCase()] : [],
    ),
  );
  const primary = table.columns.filter((column) => column.primaryKey);
  if (primary.length > 0 && primary.every((column) => covered.has(column.name.toLowerCase())))
    return true;
  return completesUniqueIndex(table, covered, index);
}

/** Whether every column of a unique index of `table` is among `columns` (lower-cased names). */
function completesUniqueIndex(
  table: TableFact,
  columns: ReadonlySet<string>,
  index: WorkspaceIndex,
): boolean {
  return index
    .indexesOn(table.name)
    .some(
      (known) =>
        known.unique &&
        known.columns.length > 0 &&
        known.columns.every((column) => columns.has(column.toLowerCase())),
    );
}

/** Whether a list match may hold keys by its names alone: none of its columns is categorical. */
function mayHoldKeys(match: ListMatch): boolean {
  return !match.columns.some((column) => VALUE_NAME.test(lastField(column)));
}

/**
 * Whether a list match loads rows by key. The workspace's models decide for the model they
 * declare; for a model they do not (an installed package's) or a Django lookup through a relation
 * (`customer__email__in`), only a categorical name (`status`, `*_type`) marks a list of values.
 */
function matchesKeys(match: ListMatch, read: OrmRead, index: WorkspaceIndex): boolean {
  if (match.columns.length === 0) return true;
  const spansRelation = match.columns.some((column) => column.column.includes('__'));
  const owner = match.columns[0].owner;
  const names = owner ? [owner] : read.models.map((name) => name.slice(name.lastIndexOf('.') + 1));
  const tables = spansRelation ? [] : names.flatMap((name) => index.tablesOfEntity(name));
  if (tables.length === 0) return mayHoldKeys(match);
  return tables.some(
    ({ table }) =>
      declaresKey(table, match, read, index) ||
      // A field the model inherits from a base outside the workspace (`username` of Django's
      // `AbstractUser`): its names are all there is to go by, as for an undeclared model.
      (!declaresAnyOf(table, match) && mayHoldKeys(match)),
  );
}

/** Whether a table declares any column of a list match. */
function declaresAnyOf(table: TableFact, match: ListMatch): boolean {
  return match.columns.some(({ column }) =>
    table.columns.some((declared) => declared.attribute === column || declared.name === column),
  );
}

/**
 * Whether the read matches a list against a key of its model (`Case.ticket_ref.in_(refs)` with
 * `ticket_ref` unique, Django `filter(customer__in=customers)` with `customer` a `ForeignKey`): a
 * batch load by keys the code holds.
 */
function loadsByKeyList(read: OrmRead, index: WorkspaceIndex): boolean {
  return read.listMatches.some((match) => matchesKeys(match, read, index));
}

/**
 * Whether a list match may be a key list, when the workspace's models cannot be asked (per-file
 * traits): every match whose names are not categorical gets the benefit of the doubt.
 */
export function mayLoadByKeyList(read: OrmRead): boolean {
  return read.listMatches.some(mayHoldKeys);
}

/** The field a Django lookup pins: `user_profile` for `user_profile__id` and `user_profile__pk`. */
function pinnedField(column: string): string {
  return column.replace(/__(?:id|pk)$/, '');
}

/** The child rows of one parent a read loads: which table, and the parent's if a key names it. */
export interface OneParentRead {
  /** The table read. */
  table: string;
  /** The table (or class) the pinned foreign key references; undefined for a composite-key prefix. */
  parent?: string;
  /**
   * The table the rows are read through: the link table of a many-to-many read (one row per
   * link), or the related table of a one-to-one relation the filters pin (one row per related row).
   */
  through?: string;
}

/**
 * The parent the `==` filters pin in a table: a column it declares a foreign key
 * (`Child.parent_id == p`; Django `filter(owner=o)`, `owner_id=...`, `owner__id=...`), or every
 * column but the last of a composite unique key (`a == x, b == y` under a key `(a, b, c)`).
 * A parent that is not a tenant wins over a tenant pinned beside it: `Step.task_id == t,
 * Step.org_id == o` reads the steps of one task, the tenant key only guards access.
 */
/**
 * The foreign-key attributes that relationship attributes compared to one object stand for:
 * `Link.subject == package` pins `subject_id`, the key SQLAlchemy compares for a many-to-one
 * relationship (a to-many one cannot be compared with `==`). Only the `<relationship>_id`
 * naming is followed: the relationship's own columns are not recorded.
 */
function relationshipKeys(table: TableFact, pinned: readonly string[]): ReadonlySet<string> {
  const keys = new Set<string>();
  for (const name of pinned) if (table.relationships.includes(name)) keys.add(`${name}_id`);
  return keys;
}

function pinnedParent(
  table: TableFact,
  pinned: readonly string[],
  index: WorkspaceIndex,
): OneParentRead | undefined {
  // The pinned columns that are no keys, by the table that holds them: a Django child's
  // inherited fields stay in its concrete parent's table, with that table's unique keys.
  const covered = new Map<string, Set<string>>();
  let tenant: OneParentRead | undefined;
  const throughRelationships = relationshipKeys(table, pinned);
  for (const column of table.columns) {
    if (
      !pinned.includes(column.attribute) &&
      !pinned.includes(column.name) &&
      !throughRelationships.has(column.attribute)
    )
      continue;
    const key = column.foreignKey;
    if (!key) {
      const holder = column.ownerTable ?? table.name;
      const names = covered.get(holder) ?? new Set<string>();
      covered.set(holder, names.add(column.name.toLowerCase()));
      continue;
    }
    const parent = key.targetClass ?? key.table;
    if (!isTenantName(parent)) return { table: table.name, parent };
    tenant ??= { table: table.name, parent };
  }
  if (tenant) return tenant;
  for (const [holder, names] of covered)
    if (pinsUniquePrefix(holder, names, index)) return { table: table.name };
  return undefined;
}

/** Whether the columns cover every column but the last of a composite unique key of the table. */
function pinsUniquePrefix(table: string, columns: ReadonlySet<string>, index: WorkspaceIndex) {
  return index
    .indexesOn(table)
    .some(
      (known) =>
        known.unique &&
        known.columns.length > 1 &&
        known.columns.slice(0, -1).every((column) => columns.has(column.toLowerCase())),
    );
}

/**
 * The child rows of one parent a read loads, when its `==` filters pin a foreign key, or the
 * leading columns of a composite key, of a model the workspace declares. Such a set is sized by
 * the domain (the members of one team, the mutes of one user), and callers often need it whole.
 * `== None` pins no parent: it matches every row that has none.
 */
export function rowsOfOneParent(read: OrmRead, index: WorkspaceIndex): OneParentRead | undefined {
  const pinned = [...valuePinnedColumns(read), ...fieldsPinnedByMethods(read, index)].map(
    pinnedField,
  );
  if (pinned.length === 0) return read.withParents ? rowsWithParent(read, index) : undefined;
  const throughRelations = pinned.some((field) => field.includes('__'));
  for (const model of read.models) {
    for (const { table } of tablesQueried(model, index)) {
      const found =
        pinnedParent(table, pinned, index) ??
        (throughRelations ? pinnedThroughOneToOne(table, pinned, index) : undefined);
      if (found) return found;
    }
  }
  if (read.withParents) return rowsWithParent(read, index);
  return read.joinedEqualities?.length ? rowsOfOneParentThroughLink(read, index) : undefined;
}

/**
 * The parent that Django lookups through a one-to-one relation of the table pin in the related
 * model (`grade__user_id=u, grade__course_id=c` on a model whose `grade` is a `OneToOneField`, the
 * leading columns of the grade's unique key): each row stands for one related row, so the rows
 * are no more than the related rows those lookups select. A relation that is a plain
 * `ForeignKey` pins nothing this way: each related row may have any number of rows.
 */
function pinnedThroughOneToOne(
  table: TableFact,
  pinned: readonly string[],
  index: WorkspaceIndex,
): OneParentRead | undefined {
  const byRelation = new Map<string, string[]>();
  for (const field of pinned) {
    const [relation, name, ...rest] = field.split('__');
    if (!name || rest.length > 0) continue;
    byRelation.set(relation, [...(byRelation.get(relation) ?? []), name]);
  }
  for (const [relation, fields] of byRelation) {
    const key = table.columns.find(
      (column) => column.attribute === relation && column.unique && column.foreignKey,
    )?.foreignKey;
    const target = key?.targetClass === 'self' ? table.className : key?.targetClass;
    for (const { table: related } of target ? index.tablesOfClass(target) : []) {
      const found = pinnedParent(related, fields, index);
      if (found)
        return {
          table: table.name,
          ...(found.parent ? { parent: found.parent } : {}),
          through: related.name,
        };
    }
  }
  return undefined;
}

/**
 * The fields the model's own QuerySet methods in a Django read pin to what the call passes
 * (`FeatureState.objects.live_for(environment=env)`, where `live_for` returns
 * `self.filter(environment=environment)`): the call names the parameter, or passes it at its
 * place, with a value other than `None`. A method that filters by a constant pins nothing here.
 */
function fieldsPinnedByMethods(read: OrmRead, index: WorkspaceIndex): string[] {
  const calls = read.customCallArgs;
  const owner = read.models[0];
  if (read.kind !== 'django' || !calls || !owner) return [];
  const fields: string[] = [];
  for (const pin of index.djangoQuerySetPins(owner)) {
    const args = calls.get(pin.method);
    const passed = args && argumentFor(pin, args);
    if (passed && passed.type !== 'none') fields.push(pin.field);
  }
  return fields;
}

/** The argument a call passes for a pinned parameter: by its keyword, or at its position. */
function argumentFor(pin: QuerySetPin, args: Node): Node | undefined {
  let position: number | undefined = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      if (arg.childForFieldName('name')?.text === pin.param)
        return arg.childForFieldName('value') ?? undefined;
    } else if (arg.type === 'list_splat') {
      // `*values`: the positions after it are unknown.
      position = undefined;
    } else if (arg.type !== 'dictionary_splat' && position !== undefined) {
      if (position === pin.position) return arg;
      position++;
    }
  }
  return undefined;
}

/**
 * The rows of one parent a `with_parent(instance, ...)` filter reads: SQLAlchemy renders it as
 * `child.parent_id = :id` for a one-to-many relationship, so it counts as that `==` filter when
 * the queried model declares the foreign key (`pinnedParent`'s tenant and log limits follow).
 */
function rowsWithParent(read: OrmRead, index: WorkspaceIndex): OneParentRead | undefined {
  for (const found of read.withParents ?? []) {
    for (const model of read.models) {
      for (const { table } of tablesQueried(model, index)) {
        const key = keyWithParent(table, found, classOfFunction(read.fn), index);
        if (key?.foreignKey)
          return { table: table.name, parent: key.foreignKey.targetClass ?? key.foreignKey.table };
      }
    }
  }
  return undefined;
}

/**
 * The foreign key of `table` a `with_parent(...)` filter compares, which SQLAlchemy picks from
 * the relationship of the instance's class: that class when the code names it (`Event.children`,
 * or `self` in a method of `Event`). Else, among the keys to a parent whose model declares the
 * relationship named (`with_parent(event, "children")`), the key the instance's name ends with
 * (`report_event` → `event_id`, `current_user` → a key to `users`), or the only parent those keys
 * reference. Undefined when the table has no key to the parent's class (a many-to-many
 * relationship, whose link table is not known) or keys to several parents the names do not tell
 * apart.
 */
function keyWithParent(
  table: TableFact,
  found: WithParent,
  enclosingClass: string | undefined,
  index: WorkspaceIndex,
): ColumnFact | undefined {
  const keys = table.columns.filter((column) => !!column.foreignKey);
  if (keys.length === 0) return undefined;
  const path = found.instance.split('.');
  const parentClass =
    found.owner ?? (path.length === 1 && path[0] === 'self' ? enclosingClass : undefined);
  if (parentClass) return keyToClass(keys, parentClass, index);
  // A relationship declared with `backref=` on the child is not recorded on the parent.
  const declaring = found.relationship
    ? keys.filter((column) => parentDeclares(column, found.relationship!, index))
    : [];
  const candidates = declaring.length > 0 ? declaring : keys;
  const name = nameWords(path.at(-1) ?? '');
  const named = candidates.filter((column) => endsWith(name, keyWords(column)));
  if (named.length > 0) return oneParent(named);
  // `with_parent(post)` of a model the workspace declares, which no key of the table references:
  // a relationship through a link table.
  if (index.tablesOfClass(pascalCase(name)).length > 0) return undefined;
  return oneParent(candidates);
}

/** The key of `keys` to a model class, by its class or its table. */
function keyToClass(
  keys: readonly ColumnFact[],
  parentClass: string,
  index: WorkspaceIndex,
): ColumnFact | undefined {
  const parentTables = new Set(index.tablesOfClass(parentClass).map(({ table }) => table.name));
  return keys.find(
    (column) =>
      column.foreignKey!.targetClass === parentClass || parentTables.has(column.foreignKey!.table),
  );
}

/** Whether the model a key references declares a relationship of that name. */
function parentDeclares(column: ColumnFact, relationship: string, index: WorkspaceIndex): boolean {
  const key = column.foreignKey!;
  const parents = key.targetClass ? index.tablesOfClass(key.targetClass) : index.tables(key.table);
  return parents.some(({ table }) => table.relationships.includes(relationship));
}

/** The words of a key's column without `id` (`event_id` → event), or of the class it references. */
function keyWords(column: ColumnFact): string[][] {
  const key = column.foreignKey!;
  const own = nameWords(column.attribute).filter(
    (word, i, all) => i < all.length - 1 || word !== 'id',
  );
  return [own, nameWords(key.targetClass ?? key.table)];
}

/** Whether the words of a name end with any of the word lists. */
function endsWith(name: readonly string[], candidates: readonly string[][]): boolean {
  return candidates.some(
    (words) =>
      words.length > 0 &&
      words.length <= name.length &&
      words.every((word, i) => name[name.length - words.length + i] === word),
  );
}

/** The key when every one of `keys` references the same parent (`parent_id`, `source_id` → `entity`). */
function oneParent(keys: readonly ColumnFact[]): ColumnFact | undefined {
  const parents = new Set(
    keys.map((column) => column.foreignKey!.targetClass ?? column.foreignKey!.table),
  );
  return parents.size === 1 ? keys[0] : undefined;
}

/** `["report", "event"]` → `ReportEvent`: the class a variable named after it would hold. */
function pascalCase(words: readonly string[]): string {
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

/**
 * The rows of one parent read through a many-to-many link table: the query joins a link class
 * and pins its foreign key to the parent (`select(Label).join(DatasetLabel, ...)
 * .where(DatasetLabel.dataset_id == d)`), and another foreign key of that class references the
 * queried table, so each matched link row is one child. A filter on a column of the link that is
 * not such a key, or a joined class with no key to the queried table, pins no parent.
 */
function rowsOfOneParentThroughLink(
  read: OrmRead,
  index: WorkspaceIndex,
): OneParentRead | undefined {
  const queried = read.models.flatMap((model) => tablesQueried(model, index));
  for (const { owner, column } of read.joinedEqualities ?? []) {
    for (const { table: link } of owner ? index.tablesOfClass(owner) : []) {
      const pinned = link.columns.find(
        (declared) =>
          declared.foreignKey && (declared.attribute === column || declared.name === column),
      );
      if (!pinned?.foreignKey) continue;
      const child = queried.find(({ table }) =>
        link.columns.some((other) => other !== pinned && referencesTable(other, table)),
      );
      if (child)
        return {
          table: child.table.name,
          parent: pinned.foreignKey.targetClass ?? pinned.foreignKey.table,
          through: link.name,
        };
    }
  }
  return undefined;
}

/** Whether a column is a foreign key to a table, named by its table or its class. */
function referencesTable(column: ColumnFact, table: TableFact): boolean {
  const key = column.foreignKey;
  if (!key) return false;
  return (
    key.table === table.name ||
    (!!table.className && (key.targetClass ?? key.table) === table.className)
  );
}

/**
 * The tables of an entity a query names: a model class (`User`, `models.User`) or, for a column
 * select (`select(Child.parent_id)`), the class the column belongs to.
 */
function tablesQueried(entity: string, index: WorkspaceIndex): IndexedTable[] {
  const parts = entity.split('.');
  for (const name of [parts.at(-1), parts.at(-2)]) {
    const tables = name ? index.tablesOfClass(name) : [];
    if (tables.length > 0) return tables;
  }
  return [];
}

/** Names of a parent that is a tenant: its child rows grow with the whole business. */
const TENANT_WORDS = new Set([
  'organization',
  'organisation',
  'org',
  'tenant',
  'workspace',
  'project',
  'company',
  'team',
  'realm',
]);
/** Names of a table that is a log or a history: rows pile up under a parent for as long as it lives. */
const LOG_WORDS = new Set([
  'order',
  'invoice',
  'payment',
  'event',
  'log',
  'message',
  'history',
  'audit',
  'notification',
  'activity',
  'transaction',
  'metric',
]);

/** The singular lower-case words of a table or class name: `org_audit_logs` → org, audit, log. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0)
    .map((word) => word.replace(/ies$/, 'y').replace(/(?<!s)s$/, ''));
}

/** Why the rows of one parent may still grow without bound, or undefined when the domain sizes them. */
export type Growth =
  { kind: 'tenant'; table: string; parent: string } | { kind: 'log'; table: string };

/** Whether a parent table or class is a tenant (`organizations`, `Workspace`, `org`). */
export function isTenantName(name: string): boolean {
  return nameWords(name).some((word) => TENANT_WORDS.has(word));
}

export function growsWithoutBound(
  read: OneParentRead,
  /** The query keeps only recent rows (`OrmRead.recentWindow`): a log no longer grows it. */
  recentWindow = false,
): Growth | undefined {
  if (read.parent && isTenantName(read.parent))
    return { kind: 'tenant', table: read.table, parent: read.parent };
  // One parent's log over the last minutes: sized by how fast the parent writes, not how long
  // it has lived. A tenant's rows grow with the tenant, window or not.
  if (recentWindow) return undefined;
  // Through a link table, the rows are as many as its rows: a log there grows the read too.
  for (const table of read.through ? [read.table, read.through] : [read.table])
    if (nameWords(table).some((word) => LOG_WORDS.has(word))) return { kind: 'log', table };
  return undefined;
}

/**
 * Whether the read loads the child rows of one parent whose number the domain sizes (not a
 * tenant's rows, not a log): the caller usually needs them whole, and paging them is no cure.
 */
export function readsRowsOfSizedParent(read: OrmRead, index: WorkspaceIndex): boolean {
  const parent = rowsOfOneParent(read, index);
  return !!parent && !growsWithoutBound(parent, read.recentWindow);
}

/** Whether the read is bounded by keys the models declare: a unique lookup or a key-list load. */
export function readsByKey(read: OrmRead, index: WorkspaceIndex): boolean {
  return looksUpUniqueColumn(read, index) || loadsByKeyList(read, index);
}

/**
 * Whether `loop`, the outermost loop around `call` in its function, iterates at most one row:
 * a `for` loop over a Django queryset (inline, or a variable built from one) whose `==` filters
 * pin the primary key or a column the model declares unique, or every column of a unique
 * constraint (`filter(organization=o, email=e)` under `unique_together (organization, email)`),
 * of a model the workspace declares. A loop inside another loop is left to the loop rules: the
 * outer one may repeat it. `index` is asked only for such a loop: reading it makes a per-file
 * rule wait for the whole workspace.
 */
export function iteratesAtMostOneRow(
  call: PyCall,
  loop: PyLoop,
  model: PythonModel,
  index: () => WorkspaceIndex,
): boolean {
  if (loop.kind !== 'for' || !loop.iterable || call.loops[0]?.node.id !== loop.node.id)
    return false;
  const filters = djangoFiltersOf(loop.iterable, loop.fn, model);
  return !!filters && pinsUniqueKey(filters, index());
}

/** Whether Django filters pin at most one row of their model: a unique key, whole. */
function pinsUniqueKey(filters: DjangoFilters, index: WorkspaceIndex): boolean {
  const pinned = valuePinnedColumns(filters).map(pinnedField);
  if (pinned.length === 0) return false;
  return index.tablesOfClass(filters.model).some(({ table }) => {
    const columns = new Set<string>();
    for (const column of table.columns) {
      const named =
        pinned.includes(column.attribute) ||
        pinned.includes(column.name) ||
        (column.primaryKey && pinned.includes('pk'));
      if (!named) continue;
      if (column.primaryKey || column.unique) return true;
      columns.add(column.name.toLowerCase());
    }
    return completesUniqueIndex(table, columns, index);
  });
}
