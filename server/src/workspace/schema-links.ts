/**
 * What a model takes from declarations elsewhere: the columns of its base classes and mixins, and
 * the flags of `Annotated` column aliases (`id: Mapped[pk]`). A file's extractor resolves what the
 * file declares itself; `SchemaLinks` resolves, for the workspace index, what other modules do.
 */
import type {
  ColumnFact,
  ColumnFlags,
  FileFacts,
  IndexFact,
  MappedBaseFact,
  MetaIndexFact,
  Reexport,
  TableFact,
  TableNaming,
} from './facts';

/**
 * The table a `@declared_attr __tablename__` gives class `className`. Snake-case helpers differ on
 * runs of capitals (`HTTPLog`: `http_log` or `h_t_t_p_log`), so such names are left undecided.
 */
export function tableNameBy(naming: TableNaming, className: string): string | undefined {
  if (naming === 'name') return className;
  if (naming === 'lower') return className.toLowerCase();
  return /[A-Z]{2}/.test(className) ? undefined : snakeCase(className);
}

/** `UserAccount` -> `user_account`: Flask-SQLAlchemy's default table name. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** A column with an alias's flags merged in; the column's own arguments win where both say. */
export function withAlias(column: ColumnFact, own: ColumnFlags, alias: ColumnFlags): ColumnFact {
  const primaryKey = own.primaryKey ?? alias.primaryKey ?? false;
  const unique = own.unique ?? alias.unique ?? false;
  const index = own.index ?? alias.index ?? false;
  const { alias: _resolved, explicitIndex: _own, ...rest } = column;
  return {
    ...rest,
    primaryKey,
    unique,
    indexed: index || unique || primaryKey,
    foreignKey: own.foreignKey ?? alias.foreignKey,
    type: own.type || alias.type || column.type,
    ...(index ? { explicitIndex: true } : {}),
  };
}

/**
 * Several primary-key columns form one composite key, whose index serves lookups by its leading
 * column only: marks the columns as no keys by themselves and returns that index.
 */
export function foldCompositePrimaryKey(table: TableFact): IndexFact | undefined {
  const keys = table.columns.filter((column) => column.primaryKey);
  if (keys.length < 2) return undefined;
  for (const column of keys) {
    column.primaryKey = false;
    column.indexed = column.unique || !!column.explicitIndex;
  }
  return {
    table: table.name,
    columns: keys.map((column) => column.name),
    name: `${table.name}_pkey`,
    unique: true,
    start: keys[0].start,
    end: keys[keys.length - 1].end,
  };
}

/** Without Django's implicit `id` when a base in another module declares the primary key. */
function withoutSupersededKey(columns: ColumnFact[]): ColumnFact[] {
  const declaresKey = columns.some((column) => column.primaryKey && !column.implicit);
  return declaresKey ? columns.filter((column) => !column.implicit) : columns;
}

/** Whether a table names declarations of other modules that the index must merge in. */
export function hasLinks(table: TableFact): boolean {
  return (
    !!table.bases?.length ||
    !!table.nameFromBases ||
    !!table.djangoBases ||
    table.columns.some((column) => column.alias || column.keyFieldClass)
  );
}

/** Django's own key fields, by qualified name (`django.db.models.ForeignKey`). */
const DJANGO_KEY_FIELD = /^django\.(?:[\w.]+\.)?(ForeignKey|OneToOneField)$/;
/** The name of a key field class of another package (django-mptt's `TreeForeignKey`). */
const KEY_FIELD_NAME = /(ForeignKey|OneToOneField)$/;

/**
 * Which key a field of a class its file could not place declares (`ColumnFact.keyFieldClass`),
 * given the first class outside the workspace that class derives from (the class itself when the
 * workspace does not declare it; undefined when its bases cannot be followed): Django's
 * `ForeignKey` or `OneToOneField`, or a class of another package named like one. A field named
 * `..._id` of such a package class is not taken for a key: a key's attribute names the related
 * row (its column gets the `_id`), and a plain integer column that merely refers to a row is
 * named like one (Sentry's `user_id = HybridCloudForeignKey("sentry.User", ...)`, a
 * `BigIntegerField`).
 */
export function keyFieldKind(
  base: string | undefined,
  attribute: string,
): 'ForeignKey' | 'OneToOneField' | undefined {
  if (!base) return undefined;
  const django = DJANGO_KEY_FIELD.exec(base);
  if (django) return django[1] as 'ForeignKey' | 'OneToOneField';
  if (base.startsWith('django.') || attribute.endsWith('_id')) return undefined;
  return KEY_FIELD_NAME.exec(base)?.[1] as 'ForeignKey' | 'OneToOneField' | undefined;
}

/**
 * The first class outside the workspace a Python class derives from, following its bases
 * through the workspace's classes: the name itself when the workspace declares no such class,
 * undefined when the bases cannot be followed to one (a cycle, too long a chain).
 */
export type BaseOutsideWorkspace = (qualifiedName: string) => string | undefined;

const only = <T>(list: T[]): T | undefined => (list.length === 1 ? list[0] : undefined);

/**
 * Declarations by qualified name (`app.models.base.RecordModel`). A name also matches by a dotted
 * suffix, since import paths are relative to a source root the workspace root may sit above, and
 * through the packages that re-export it (`from app.models import Base`, whose `__init__.py` has
 * `from .base import Base`); each only when exactly one declaration matches.
 */
class ByName<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly suffix = new Map<string, T[]>();

  constructor(private readonly barrels: ReadonlyMap<string, Reexport[][]>) {}

  add(module: string, name: string, value: T): void {
    const parts = [...(module ? module.split('.') : []), name];
    push(this.exact, parts.join('.'), value);
    for (let i = 1; i < parts.length - 1; i++) push(this.suffix, parts.slice(i).join('.'), value);
  }

  get(ref: string, depth = 0): T | undefined {
    const exact = this.exact.get(ref);
    if (exact) return only(exact);
    const bySuffix = this.suffix.get(ref);
    if (bySuffix) return only(bySuffix);
    const dot = ref.lastIndexOf('.');
    const barrels = dot > 0 && depth < 3 ? this.barrels.get(ref.slice(0, dot)) : undefined;
    if (barrels?.length !== 1) return undefined;
    const name = ref.slice(dot + 1);
    const found = new Set<T>();
    for (const reexport of barrels[0]) {
      const via =
        reexport.exported === '*'
          ? `${reexport.module}.${name}`
          : reexport.exported === name
            ? `${reexport.module}.${reexport.imported ?? name}`
            : undefined;
      const hit = via ? this.get(via, depth + 1) : undefined;
      if (hit) found.add(hit);
    }
    return found.size === 1 ? [...found][0] : undefined;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Package re-exports by the package's module name and each dotted suffix of it. */
function barrelsOf(files: readonly FileFacts[]): Map<string, Reexport[][]> {
  const barrels = new Map<string, Reexport[][]>();
  for (const facts of files) {
    if (!facts.reexports || !facts.moduleName) continue;
    const parts = facts.moduleName.split('.');
    for (let i = 0; i < parts.length; i++) push(barrels, parts.slice(i).join('.'), facts.reexports);
  }
  return barrels;
}

/** A table with its links resolved, and the indexes that come with them. */
interface ResolvedTable {
  table: TableFact;
  /** The primary key its columns form together, when it is composite. */
  compositeKey?: IndexFact;
  /** Indexes of its bases' Django `Meta`, with the file that declares each. */
  inheritedIndexes: { file: string; index: IndexFact }[];
  /**
   * SQLAlchemy single-table inheritance across modules: the mapped parent (its file and class)
   * whose table this subclass's columns belong to. `table` then holds the subclass's own columns.
   */
  singleTableOf?: { file: string; className: string };
}

/** A base's Django `Meta` index on `table`: field names become its columns (`owner` -> `owner_id`). */
function indexOfMeta(table: TableFact, index: MetaIndexFact): IndexFact {
  const columns = index.fields.map((field) => {
    const attribute = field.replace(/^-/, '');
    return table.columns.find((column) => column.attribute === attribute)?.name ?? attribute;
  });
  const { name, unique, start, end } = index;
  return { table: table.name, columns, ...(name ? { name } : {}), unique, start, end };
}

/** The aliases and model bases every file of the workspace declares. */
export class SchemaLinks {
  private readonly aliases: ByName<ColumnFlags>;
  private readonly bases: ByName<{ file: string; base: MappedBaseFact }>;
  /** SQLAlchemy classes that map a table, by qualified class name (for single-table subclasses). */
  private readonly mappedTables: ByName<{ file: string; table: TableFact }>;
  /** Django models, by qualified class name (for the children of a concrete parent). */
  private readonly djangoModels: ByName<{ file: string; table: TableFact }>;

  constructor(
    files: readonly FileFacts[],
    private readonly baseOutside: BaseOutsideWorkspace = (name) => name,
  ) {
    const barrels = barrelsOf(files);
    this.aliases = new ByName(barrels);
    this.bases = new ByName(barrels);
    this.mappedTables = new ByName(barrels);
    this.djangoModels = new ByName(barrels);
    for (const facts of files) {
      const module = facts.moduleName ?? '';
      for (const table of facts.schema.tables) {
        if (table.source === 'django' && table.className)
          this.djangoModels.add(module, table.className, { file: facts.file, table });
        if (table.source !== 'sqlalchemy' || !table.className || table.nameFromBases) continue;
        for (const name of [table.className, ...(table.singleTableClasses ?? [])])
          this.mappedTables.add(module, name, { file: facts.file, table });
      }
      for (const alias of facts.schema.columnAliases ?? [])
        this.aliases.add(module, alias.name, alias.flags);
      for (const base of facts.schema.mappedBases ?? [])
        this.bases.add(module, base.name, { file: facts.file, base });
    }
  }

  /**
   * `table` (declared in `file`) with the columns of its bases in other modules added, its aliases
   * merged and, for `nameFromBases`, the name its bases give it; and the composite primary key this
   * may form. Undefined when it has no links or is no table (no base names it).
   */
  resolve(file: string, table: TableFact): ResolvedTable | undefined {
    if (!hasLinks(table)) return undefined;
    const columns = table.columns.map((column) => ({ ...column }));
    const attributes = new Set(columns.map((column) => column.attribute));
    const visited = new Set<MappedBaseFact>();
    let naming: TableNaming | 'underived' | undefined;
    let djangoBase = false;
    // Row writes (`save`, `delete`) and django-lifecycle hooks Django abstract bases define: the
    // model inherits them.
    const overriddenWrites = new Set(table.overriddenWrites ?? []);
    const lifecycleHooks = new Set(table.lifecycleHooks ?? []);
    // Managers Django abstract bases declare: the model inherits them too.
    const customManagers = new Set(table.customManagers ?? []);
    // Django `Meta` indexes of the bases, for a model that takes their `Meta`; and the indexes of
    // the first SQLAlchemy `__table_args__` found, for a model without one.
    const metaIndexes: { file: string; index: MetaIndexFact }[] = [];
    let tableArgsFound = !table.inheritsTableArgs;
    const visitedParents = new Set<TableFact>([table]);
    /**
     * Adds an inherited column. Under a concrete parent (`owner`, its table) it stays in that
     * table, and the parent's primary key is not the child's: the child has its own pointer key.
     */
    const add = (column: ColumnFact, from: string, owner: string | undefined): void => {
      if (attributes.has(column.attribute) || (owner && column.primaryKey)) return;
      attributes.add(column.attribute);
      const declaredIn = column.file ?? from;
      columns.push({
        ...column,
        ...(declaredIn !== file ? { file: declaredIn } : {}),
        ...(owner ? { ownerTable: column.ownerTable ?? owner } : {}),
      });
    };
    // Depth first, left to right: the method resolution order of the usual hierarchies.
    const inherit = (refs: readonly string[], owner?: string): void => {
      for (const ref of refs) {
        const found = this.bases.get(ref);
        if (!found) {
          inheritParent(ref);
          continue;
        }
        if (visited.has(found.base)) continue;
        visited.add(found.base);
        naming ??= found.base.tableNaming;
        djangoBase ||= !!found.base.django;
        for (const method of found.base.overriddenWrites ?? []) overriddenWrites.add(method);
        for (const moment of found.base.lifecycleHooks ?? []) lifecycleHooks.add(moment);
        for (const name of found.base.customManagers ?? []) customManagers.add(name);
        // A concrete parent's bases index the parent's table, which has those indexes itself.
        if (table.inheritsMeta && !owner)
          for (const index of found.base.metaIndexes ?? [])
            metaIndexes.push({ file: found.file, index });
        if (!tableArgsFound && found.base.tableArgs) {
          tableArgsFound = true;
          for (const index of found.base.tableArgs) metaIndexes.push({ file: found.file, index });
        }
        for (const column of found.base.columns) add(column, found.file, owner);
        inherit(found.base.bases, owner);
      }
    };
    // A concrete Django parent (multi-table inheritance): its fields, its bases' and its
    // methods and managers come to the child, its fields staying in the parent's table.
    const inheritParent = (ref: string): void => {
      const parent = this.djangoModels.get(ref);
      if (!parent || visitedParents.has(parent.table)) return;
      visitedParents.add(parent.table);
      djangoBase = true;
      const { table: declared } = parent;
      for (const method of declared.overriddenWrites ?? []) overriddenWrites.add(method);
      for (const moment of declared.lifecycleHooks ?? []) lifecycleHooks.add(moment);
      for (const name of declared.customManagers ?? []) customManagers.add(name);
      for (const column of declared.columns) add(column, parent.file, declared.name);
      inherit(declared.bases ?? [], declared.name);
    };
    inherit(table.bases ?? []);
    if (table.djangoBases && !djangoBase) return undefined;
    let name = table.name;
    let singleTableOf: ResolvedTable['singleTableOf'];
    if (table.nameFromBases) {
      const derived = naming && naming !== 'underived' ? tableNameBy(naming, name) : undefined;
      const parent = derived ? undefined : this.singleTableParent(table, columns);
      if (!derived && !parent) return undefined;
      name = derived ?? parent!.table.name;
      if (parent) singleTableOf = { file: parent.file, className: parent.table.className! };
    }
    // Fields of classes the model's file could not place: foreign keys, or no columns at all.
    const notKeys = new Set<string>();
    const resolvedColumns = withoutSupersededKey(columns).flatMap((column) => {
      const own = this.withAliasOf(column);
      if (!own.keyFieldClass) return [own];
      const key = this.asKeyField(own);
      if (!key) notKeys.add(own.attribute);
      return key ? [key] : [];
    });
    const resolved: TableFact = {
      ...table,
      name,
      columns: resolvedColumns,
      relationships: table.relationships.filter((attribute) => !notKeys.has(attribute)),
      ...(overriddenWrites.size > 0 ? { overriddenWrites: [...overriddenWrites] } : {}),
      ...(lifecycleHooks.size > 0 ? { lifecycleHooks: [...lifecycleHooks] } : {}),
      ...(customManagers.size > 0 ? { customManagers: [...customManagers] } : {}),
    };
    delete resolved.bases;
    delete resolved.nameFromBases;
    delete resolved.djangoBases;
    delete resolved.inheritsMeta;
    delete resolved.inheritsTableArgs;
    return {
      table: resolved,
      compositeKey: foldCompositePrimaryKey(resolved),
      inheritedIndexes: metaIndexes.map(({ file: from, index }) => ({
        file: from,
        index: indexOfMeta(resolved, index),
      })),
      ...(singleTableOf ? { singleTableOf } : {}),
    };
  }

  /**
   * The mapped parent in another module whose table a subclass with no name of its own maps
   * (single-table inheritance): its first base that maps a table, when the subclass declares no
   * primary key (one that does is a joined table, as Flask-SQLAlchemy names those).
   */
  private singleTableParent(
    table: TableFact,
    columns: readonly ColumnFact[],
  ): { file: string; table: TableFact } | undefined {
    if (columns.some((column) => column.primaryKey)) return undefined;
    for (const ref of table.bases ?? []) {
      const parent = this.mappedTables.get(ref);
      if (parent) return parent;
    }
    return undefined;
  }

  /**
   * A column read as a foreign key of a class its file could not place, as the key that class
   * makes (a `OneToOneField` is unique too); undefined when it makes none.
   */
  private asKeyField(column: ColumnFact): ColumnFact | undefined {
    const { keyFieldClass, ...key } = column;
    const kind = keyFieldKind(this.baseOutside(keyFieldClass!), column.attribute);
    if (!kind) return undefined;
    if (kind === 'OneToOneField') return { ...key, unique: true, indexed: true };
    return key;
  }

  private withAliasOf(column: ColumnFact): ColumnFact {
    if (!column.alias) return column;
    const flags = this.aliases.get(column.alias.ref);
    if (flags) return withAlias(column, column.alias.own, flags);
    const { alias: _unresolved, ...rest } = column;
    return rest;
  }
}
