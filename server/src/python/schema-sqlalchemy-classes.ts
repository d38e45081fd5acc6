/**
 * SQLAlchemy declarative model classes: `__tablename__`, columns, `relationship`, `__table_args__`,
 * the columns a model inherits from abstract bases and mixins of the file, and the flags of
 * `Annotated[..., mapped_column(...)]` column aliases; Flask-SQLAlchemy `db.Model` and SQLModel
 * `table=True` classes too. Bases and aliases imported from other modules are linked for the
 * workspace index to merge (`workspace/schema-links.ts`); the classes other modules may derive
 * from are recorded as `mappedBases`.
 */
import type { Node } from 'web-tree-sitter';
import type {
  ColumnFact,
  ColumnFlags,
  MappedBaseFact,
  RelationshipFact,
  SchemaFacts,
  TableFact,
  TableNaming,
} from '../workspace/facts';
import {
  foldCompositePrimaryKey,
  hasLinks,
  snakeCase,
  tableNameBy,
  withAlias,
} from '../workspace/schema-links';
import type { PyClass, PythonModel } from './model';
import {
  argsOf,
  blockAssignments,
  calledName,
  elementsOf,
  importedName,
  isTrue,
  keywordArg,
  positionalArgs,
  redefinedClasses,
  stringValue,
} from './schema-args';
import {
  declaredAttrs,
  declaredTableArgs,
  ownTableNaming,
  type DeclaredAttr,
} from './schema-declared-attr';
import {
  columnCall,
  columnFact,
  constraintFields,
  mappedType,
  orderedColumn,
  readColumn,
  readColumnCall,
  readColumnWithFlags,
  readConstraint,
  type ClassTables,
} from './schema-sqlalchemy-columns';
import {
  isSqlModelBase,
  isSqlModelTable,
  readSqlModelField,
  readSqlModelRelationship,
} from './schema-sqlmodel';
import { readRelationship } from './relationship-targets';

/** Text every class body that declares columns or a table contains (SQLModel classes aside). */
const MAY_MAP =
  /Column|mapped_column|__tablename__|__table_args__|__abstract__|Mapped\[|declared_attr/;
const RELATIONSHIP_CALLS = new Set(['relationship', 'relation', 'dynamic_loader']);

/** The table a declarative class maps, or undefined when it is not a mapped class. */
function tableNameOf(
  cls: PyClass,
  assignments: ReturnType<typeof blockAssignments>,
): string | undefined {
  const declared = stringValue(assignments.get('__tablename__')?.value);
  if (declared) return declared;
  if (isTrue(assignments.get('__abstract__')?.value ?? undefined)) return undefined;
  // SQLModel names the table after the class, lowercased.
  if (isSqlModelTable(cls)) return cls.name.toLowerCase();
  // Flask-SQLAlchemy names the table after the class.
  if (cls.bases.some((base) => /(^|\.)Model$/.test(base) && !/^models\.Model$/.test(base)))
    return snakeCase(cls.name);
  return undefined;
}

/** The alias `Mapped[pk]` (or `Mapped[pk | None]`, `Mapped[Optional[pk]]`) names, if any. */
function aliasName(annotation: Node | null): string | undefined {
  const inner = mappedType(annotation)
    .replace(/^Optional\[(.*)\]$/s, '$1')
    .replace(/\s*\|\s*None$|^None\s*\|\s*/g, '');
  return /^[A-Za-z_][\w.]*$/.test(inner) ? inner : undefined;
}

/** `pk = Annotated[int, mapped_column(primary_key=True)]`: the flags, by alias name. */
function readColumnAliases(model: PythonModel, classTables: ClassTables): Map<string, ColumnFlags> {
  const aliases = new Map<string, ColumnFlags>();
  if (!model.source.includes('Annotated')) return aliases;
  for (const statement of model.tree.rootNode.namedChildren) {
    let name: string | undefined;
    let value: Node | null | undefined;
    if (statement?.type === 'expression_statement') {
      const assignment = statement.namedChildren[0];
      if (assignment?.type !== 'assignment') continue;
      name = assignment.childForFieldName('left')?.text;
      value = assignment.childForFieldName('right');
    } else if (statement?.type === 'type_alias_statement') {
      // `type pk = Annotated[...]` (Python 3.12)
      name = statement.childForFieldName('left')?.text;
      value = statement.childForFieldName('right');
    } else continue;
    if (!name || !value || !/^(?:[\w.]+\.)?Annotated\[/.test(value.text)) continue;
    const call = value.descendantsOfType('call').find((c) => calledName(c) === 'mapped_column');
    const read = call ? readColumnCall(call, classTables) : undefined;
    if (!read) continue;
    const pythonType = /^(?:[\w.]+\.)?Annotated\[\s*([\w.]+)/.exec(value.text)?.[1];
    aliases.set(name, { ...read.flags, type: read.flags.type ?? pythonType });
  }
  return aliases;
}

/** What reading a class needs from the rest of the file. */
interface FileContext {
  model: PythonModel;
  classTables: ClassTables;
  aliases: ReadonlyMap<string, ColumnFlags>;
}

/** A column whose `Mapped[...]` annotation names an alias: merged, or linked for the index. */
function applyAlias(
  column: ColumnFact,
  own: ColumnFlags,
  annotation: Node | null,
  file: FileContext,
): ColumnFact {
  const name = aliasName(annotation);
  if (!name) return column;
  const local = file.aliases.get(name);
  if (local) return withAlias(column, own, local);
  const ref = importedName(name, file.model);
  return ref ? { ...column, alias: { ref, own } } : column;
}

/**
 * A class's `__table_args__`: the constraints it holds (`Index(...)`, `UniqueConstraint(...)`),
 * and whether a `@declared_attr` method computes it, which a mapped parent passes on too.
 */
interface TableArgs {
  constraints: Node[];
  declared: boolean;
}

/** The columns and relationships a class body declares, its `__table_args__` and indexes. */
interface ClassBody {
  columns: ColumnFact[];
  relationships: string[];
  /** What the relationships' declarations say beyond their names (`TableFact.relationshipDetails`). */
  relationshipDetails: Record<string, RelationshipFact>;
  tableArgs?: TableArgs;
  /** `Index(...)` calls in the body that attach to its table (see `attachedIndexes`). */
  indexes: Node[];
}

/** A `@declared_attr` method: a column, a relationship or `__table_args__` of each model. */
function readDeclaredAttr(
  body: ClassBody,
  attr: DeclaredAttr,
  className: string,
  file: FileContext,
): void {
  if (attr.name === '__table_args__') {
    body.tableArgs ??= { constraints: declaredTableArgs(attr), declared: true };
    return;
  }
  if (!attr.value) return;
  if (attr.name.startsWith('__')) return;
  const call = columnCall(attr.value);
  if (call) {
    const range = { start: attr.value.startIndex, end: attr.value.endIndex };
    const read = readColumnWithFlags(call, attr.name, attr.returnType, range, file.classTables);
    if (!read) return;
    body.columns.push(applyAlias(read.column, read.flags, attr.returnType, file));
  } else if (RELATIONSHIP_CALLS.has(calledName(attr.value))) {
    addRelationship(body, attr.name, readRelationship(attr.value, attr.returnType, className));
  }
}

function readClassBody(entry: MappedClass, file: FileContext): ClassBody {
  const { cls, sqlModel } = entry;
  const body: ClassBody = { columns: [], relationships: [], relationshipDetails: {}, indexes: [] };
  const indexCalls: Node[] = [];
  for (const statement of cls.body.namedChildren) {
    if (statement?.type !== 'expression_statement') continue;
    const assignment = statement.namedChildren[0];
    if (assignment?.type === 'call' && calledName(assignment) === 'Index')
      indexCalls.push(assignment);
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier') continue;
    const attribute = left.text;
    const value = assignment.childForFieldName('right');
    const annotation = assignment.childForFieldName('type');
    const range = { start: assignment.startIndex, end: assignment.endIndex };
    if (attribute === '__table_args__') {
      const constraints = elementsOf(value ?? undefined).filter((item) => item.type === 'call');
      body.tableArgs = { constraints, declared: false };
      continue;
    }
    if (value?.type === 'call' && calledName(value) === 'Index') {
      indexCalls.push(value);
      continue;
    }
    const call = columnCall(value);
    if (call) {
      const read = readColumnWithFlags(call, attribute, annotation, range, file.classTables);
      if (!read) continue;
      body.columns.push(applyAlias(read.column, read.flags, annotation, file));
    } else if (value && RELATIONSHIP_CALLS.has(calledName(value))) {
      addRelationship(body, attribute, readRelationship(value, annotation, cls.name));
    } else if (!value && mappedType(annotation)) {
      // SQLAlchemy 2.0: `email: Mapped[str]` alone declares a column.
      const column = columnFact(attribute, attribute, {}, mappedType(annotation), range);
      body.columns.push(applyAlias(column, {}, annotation, file));
    } else if (sqlModel) {
      const field = readSqlModelField(attribute, annotation, value, range, (column) =>
        readColumn(column, attribute, annotation, range, file.classTables),
      );
      if (field === 'relationship')
        addRelationship(body, attribute, readSqlModelRelationship(value, annotation));
      else if (field) body.columns.push(field);
    }
  }
  for (const attr of entry.attrs) readDeclaredAttr(body, attr, cls.name, file);
  body.indexes = attachedIndexes(indexCalls, body.columns);
  return body;
}

function addRelationship(body: ClassBody, name: string, details: RelationshipFact | undefined) {
  body.relationships.push(name);
  if (details) body.relationshipDetails[name] = details;
}

/**
 * The `Index(...)` calls of a class body that SQLAlchemy attaches to the class's table:
 * `not_after_ix = Index("ix_certs_not_after", not_after.desc())`. Declarative does not collect
 * them; an index names its table through a column object, and joins it once that column is
 * attached. So one argument must be a column this body declares (also under `.desc()`); an index
 * of names alone (`Index("ix", "not_after")`) never reaches a table, and creates nothing.
 */
function attachedIndexes(calls: readonly Node[], columns: readonly ColumnFact[]): Node[] {
  return calls.filter((call) => {
    const args = argsOf(call);
    const expressions = args ? positionalArgs(args).slice(1) : [];
    return expressions.some((arg) => {
      const column = orderedColumn(arg);
      return (
        column.type === 'identifier' && columns.some((known) => known.attribute === column.text)
      );
    });
  });
}

/** A class of the file that maps a table or that models inherit columns from. */
interface MappedClass {
  cls: PyClass;
  /** The table it maps; undefined for abstract bases, mixins and SQLModel data classes. */
  table?: string;
  sqlModel: boolean;
  /** Its bases declared in this file. */
  local: MappedClass[];
  /** Its bases imported from other modules, by qualified name. */
  imported: string[];
  attrs: DeclaredAttr[];
  /**
   * How it names the tables of the classes deriving from it: its own `@declared_attr
   * __tablename__`, else that of its first base in this file that has one.
   */
  naming?: TableNaming | 'underived';
  /** It declares columns and is not `__abstract__`: a table once a base names it. */
  concrete: boolean;
  /**
   * Single-table inheritance: the mapped base in this file whose table this subclass maps, as it
   * names no table of its own (no `__tablename__`, `__table__` or own primary key).
   */
  singleTableOf?: MappedClass;
  /** Filled in file order, once its bases are read. */
  body?: ClassBody;
}

/**
 * `Base = declarative_base(cls=CustomBase)` (or `registry().generate_base(cls=...)`): the bases
 * such variables stand for, by variable name.
 */
function declarativeBaseAliases(model: PythonModel): Map<string, string> {
  const aliases = new Map<string, string>();
  if (!/declarative_base|generate_base/.test(model.source)) return aliases;
  for (const statement of model.tree.rootNode.namedChildren) {
    const assignment =
      statement?.type === 'expression_statement' ? statement.namedChildren[0] : null;
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    const right = assignment.childForFieldName('right');
    if (left?.type !== 'identifier' || right?.type !== 'call') continue;
    if (!['declarative_base', 'generate_base'].includes(calledName(right))) continue;
    const args = argsOf(right);
    const cls = args ? keywordArg(args, 'cls') : undefined;
    if (cls?.type === 'identifier') aliases.set(left.text, cls.text);
  }
  return aliases;
}

/**
 * The table of a class without `__tablename__` that declares columns, named by a base's
 * `@declared_attr __tablename__` (a class declaring one is itself a base, never so named).
 */
function derivedTableName(
  cls: PyClass,
  naming: MappedClass['naming'],
  ownNaming: MappedClass['naming'],
): string | undefined {
  if (ownNaming || !naming || naming === 'underived') return undefined;
  return tableNameBy(naming, cls.name);
}

/**
 * The mapped base in this file a class without a table of its own inherits its table from: SQLAlchemy
 * maps a subclass with no `__tablename__` or `__table__` to its parent's table (single-table
 * inheritance). One declaring a primary key of its own is a joined table instead (Flask-SQLAlchemy
 * names it), so it is left out, as are abstract classes and SQLModel ones.
 */
function singleTableParent(
  local: readonly MappedClass[],
  assignments: ReturnType<typeof blockAssignments>,
  bodyText: string,
): MappedClass | undefined {
  if (assignments.has('__table__') || assignments.has('__abstract__')) return undefined;
  if (/\bprimary_key\s*=\s*True/.test(bodyText)) return undefined;
  return local.find((base) => base.table && !base.sqlModel);
}

/** The classes of the file that map tables or carry columns, in file order. */
function mappedClasses(
  model: PythonModel,
  baseAliases: ReadonlyMap<string, string>,
): MappedClass[] {
  const byName = new Map<string, MappedClass>();
  const mapped: MappedClass[] = [];
  for (const cls of model.classes) {
    const bases = cls.bases
      .filter((base) => !base.includes('='))
      .map((base) => baseAliases.get(base) ?? base);
    const local = bases.flatMap((base) => byName.get(base) ?? []);
    const sqlModel =
      isSqlModelTable(cls) ||
      local.some((base) => base.sqlModel) ||
      bases.some((base) => isSqlModelBase(base, model));
    // Other classes are skipped on their text instead of a walk of their statements.
    const text = model.source.slice(cls.body.startIndex, cls.body.endIndex);
    if (!sqlModel && local.length === 0 && !MAY_MAP.test(text)) continue;
    const assignments = blockAssignments(cls.body);
    const attrs = text.includes('declared_attr') ? declaredAttrs(cls) : [];
    const declares =
      [...assignments.values()].some(
        ({ assignment, value }) =>
          !!columnCall(value) || (!value && !!mappedType(assignment.childForFieldName('type'))),
      ) || attrs.some((attr) => !!attr.value && !!columnCall(attr.value));
    const abstract = isTrue(assignments.get('__abstract__')?.value ?? undefined);
    const declaresTableArgs =
      assignments.has('__table_args__') || attrs.some((attr) => attr.name === '__table_args__');
    const named = assignments.has('__tablename__') || isSqlModelTable(cls);
    const ownNaming = ownTableNaming(attrs, model);
    const naming = ownNaming ?? local.find((base) => base.naming)?.naming;
    const concrete = declares && !abstract && !sqlModel;
    let table = declares || named ? tableNameOf(cls, assignments) : undefined;
    if (!table && concrete) table = derivedTableName(cls, naming, ownNaming);
    const singleTableOf =
      table || sqlModel || named ? undefined : singleTableParent(local, assignments, text);
    if (singleTableOf) table = singleTableOf.table;
    // A base counts when it declares columns or table arguments, or passes on those of its own
    // bases or its naming.
    const passesOn = declares || declaresTableArgs || local.length > 0 || !!ownNaming;
    if (!table && !abstract && !sqlModel && !passesOn) continue;
    const imported = bases.flatMap((base) =>
      byName.has(base) ? [] : (importedName(base, model) ?? []),
    );
    const entry: MappedClass = { cls, table, sqlModel, local, imported, attrs, naming, concrete };
    if (singleTableOf) entry.singleTableOf = singleTableOf;
    byName.set(cls.name, entry);
    mapped.push(entry);
  }
  return mapped;
}

/**
 * A class's columns with those its abstract bases and mixins in this file declare, and its bases
 * in other modules.
 */
function inherited(entry: MappedClass): {
  columns: ColumnFact[];
  relationships: string[];
  relationshipDetails: Record<string, RelationshipFact>;
  imported: string[];
} {
  const own = entry.body!;
  const columns = [...own.columns];
  const relationships = [...own.relationships];
  const relationshipDetails = { ...own.relationshipDetails };
  const imported = [...entry.imported];
  const attributes = new Set(columns.map((column) => column.attribute));
  for (const base of entry.local) {
    // A mapped parent keeps its columns in its own table (joined-table inheritance).
    if (base.table) continue;
    const from = inherited(base);
    for (const column of from.columns) {
      if (attributes.has(column.attribute)) continue;
      attributes.add(column.attribute);
      columns.push({ ...column });
    }
    for (const name of from.relationships) {
      if (relationships.includes(name)) continue;
      relationships.push(name);
      if (from.relationshipDetails[name])
        relationshipDetails[name] = from.relationshipDetails[name];
    }
    for (const ref of from.imported) if (!imported.includes(ref)) imported.push(ref);
  }
  return { columns, relationships, relationshipDetails, imported };
}

/**
 * The `__table_args__` a class has: its own, else that of its first base in this file (depth
 * first, in base order) that has one, where a mapped parent passes on only a `@declared_attr`
 * one (as SQLAlchemy does). Bases in other modules come after those of this file (see
 * `TableFact.inheritsTableArgs`).
 */
function tableArgsOf(entry: MappedClass): TableArgs | undefined {
  if (entry.body?.tableArgs) return entry.body.tableArgs;
  for (const base of entry.local) {
    const args = tableArgsOf(base);
    if (args && (!base.table || args.declared)) return args;
  }
  return undefined;
}

function readModelClass(
  entry: MappedClass,
  tableName: string,
  schema: SchemaFacts,
  nameFromBases = false,
): TableFact {
  const { cls } = entry;
  const { columns, relationships, relationshipDetails, imported } = inherited(entry);
  const table: TableFact = {
    name: tableName,
    className: cls.name,
    start: cls.node.startIndex,
    end: cls.node.endIndex,
    columns,
    relationships,
    ...(Object.keys(relationshipDetails).length > 0 ? { relationshipDetails } : {}),
    source: 'sqlalchemy',
    ...(imported.length > 0 ? { bases: imported } : {}),
    ...(nameFromBases ? { nameFromBases } : {}),
  };
  // With links to other modules, the index folds the key once it knows every column.
  if (!hasLinks(table)) {
    const compositeKey = foldCompositePrimaryKey(table);
    if (compositeKey) schema.indexes.push(compositeKey);
  }
  const tableArgs = tableArgsOf(entry);
  for (const call of tableArgs?.constraints ?? []) readConstraint(call, table, schema);
  // Only the class's own: a mixin's index holds the mixin's column, which each model copies.
  for (const call of entry.body?.indexes ?? []) readConstraint(call, table, schema);
  if (!tableArgs && imported.length > 0) table.inheritsTableArgs = true;
  schema.tables.push(table);
  return table;
}

/**
 * A single-table-inheritance subclass: the columns and relationships it (and its mixins in this
 * file) declares go on the table of its topmost mapped parent, which its class name also maps.
 */
function foldIntoParentTable(
  entry: MappedClass,
  tablesOf: ReadonlyMap<MappedClass, TableFact>,
): void {
  let root = entry;
  while (root.singleTableOf) root = root.singleTableOf;
  const table = tablesOf.get(root);
  if (!table) return;
  const { columns, relationships, relationshipDetails } = inherited(entry);
  const attributes = new Set(table.columns.map((column) => column.attribute));
  for (const column of columns) if (!attributes.has(column.attribute)) table.columns.push(column);
  for (const name of relationships) {
    if (table.relationships.includes(name)) continue;
    table.relationships.push(name);
    if (relationshipDetails[name])
      (table.relationshipDetails ??= {})[name] = relationshipDetails[name];
  }
  (table.singleTableClasses ??= []).push(entry.cls.name);
}

/**
 * Whether a class is a table named by a `@declared_attr __tablename__` of a base in another module:
 * it declares columns, is not abstract, has bases there and none here that says how it is named.
 */
function mayBeNamedElsewhere(entry: MappedClass, imported: readonly string[]): boolean {
  return entry.concrete && entry.naming === undefined && imported.length > 0;
}

/** Tables and the model bases other modules may derive from. */
export function readClasses(model: PythonModel, schema: SchemaFacts): ClassTables {
  const baseAliases = declarativeBaseAliases(model);
  const mapped = mappedClasses(model, baseAliases);
  const classTables = new Map<string, string>();
  for (const entry of mapped) if (entry.table) classTables.set(entry.cls.name, entry.table);
  const aliases = readColumnAliases(model, classTables);
  if (aliases.size > 0)
    schema.columnAliases = [...aliases].map(([name, flags]) => ({ name, flags }));
  const file: FileContext = { model, classTables, aliases };
  const redefined = redefinedClasses(model);
  const tablesOf = new Map<MappedClass, TableFact>();
  for (const entry of mapped) {
    entry.body = readClassBody(entry, file);
    // Read for the classes between the two that derive from it, but replaced for all others.
    if (redefined.has(entry.cls)) continue;
    if (entry.singleTableOf) {
      foldIntoParentTable(entry, tablesOf);
      continue;
    }
    if (entry.table) {
      tablesOf.set(entry, readModelClass(entry, entry.table, schema));
      continue;
    }
    const { columns, imported } = inherited(entry);
    // Named there, or else no table: the index decides. It stays a base for the second case.
    if (mayBeNamedElsewhere(entry, imported)) readModelClass(entry, entry.cls.name, schema, true);
    const tableArgs = tableArgsOf(entry);
    if (columns.length === 0 && imported.length === 0 && !entry.naming && !tableArgs) continue;
    const base: MappedBaseFact = { name: entry.cls.name, columns, bases: imported };
    if (entry.naming) base.tableNaming = entry.naming;
    if (tableArgs)
      base.tableArgs = tableArgs.constraints.flatMap((call) => constraintFields(call) ?? []);
    (schema.mappedBases ??= []).push(base);
  }
  exportAliasedBases(schema, baseAliases);
  return classTables;
}

/** `Base = declarative_base(cls=CustomBase)`: `Base` passes on what `CustomBase` does. */
function exportAliasedBases(schema: SchemaFacts, baseAliases: ReadonlyMap<string, string>): void {
  for (const [alias, name] of baseAliases) {
    const base = schema.mappedBases?.find((b) => b.name === name);
    if (base) schema.mappedBases!.push({ ...base, name: alias });
  }
}
