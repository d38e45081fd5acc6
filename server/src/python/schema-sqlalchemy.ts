/**
 * SQLAlchemy schema declarations: declarative model classes (`__tablename__`, `Column`,
 * `mapped_column`, `relationship`, `__table_args__`), Flask-SQLAlchemy `db.Model` classes, Core
 * `Table("name", metadata, Column(...))` tables and module-level `Index(...)` objects.
 */
import type { Node } from 'web-tree-sitter';
import type {
  ColumnFact,
  ForeignKeyFact,
  IndexFact,
  SchemaFacts,
  TableFact,
} from '../workspace/facts';
import type { PyClass, PythonModel } from './model';
import {
  argsOf,
  blockAssignments,
  calledName,
  elementsOf,
  isTrue,
  keywordArg,
  positionalArgs,
  readArgs,
  stringList,
  stringValue,
} from './schema-args';

const COLUMN_CALLS = new Set(['Column', 'mapped_column']);
/** Text every class body with a column call (`COLUMN_CALLS`) or a `__tablename__` contains. */
const MAY_MAP = /Column|mapped_column|__tablename__/;
/** Column arguments that are not its type. */
const NOT_A_TYPE = new Set(['ForeignKey', 'Sequence', 'Identity', 'Computed', 'CheckConstraint']);
const RELATIONSHIP_CALLS = new Set(['relationship', 'relation', 'dynamic_loader']);

/** `UserAccount` -> `user_account`: Flask-SQLAlchemy's default table name. */
function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** The `Column(...)` call an attribute value declares, unwrapping `deferred(Column(...))`. */
function columnCall(value: Node | null): Node | undefined {
  if (!value || value.type !== 'call') return undefined;
  const name = calledName(value);
  if (COLUMN_CALLS.has(name)) return value;
  if (name === 'deferred' || name === 'column_property') {
    const args = argsOf(value);
    const inner = args ? positionalArgs(args)[0] : undefined;
    return inner && COLUMN_CALLS.has(calledName(inner)) ? inner : undefined;
  }
  return undefined;
}

/** The type inside `Mapped[...]`, e.g. `str` for `Mapped[str]`; '' when not a `Mapped` annotation. */
function mappedType(annotation: Node | null): string {
  const match = annotation ? /^(?:\w+\.)*Mapped\[(.*)\]$/s.exec(annotation.text) : null;
  return match ? match[1].trim() : '';
}

/** Where `, index=True` goes: right after the last argument, before any trailing comma. */
function indexInsertAt(args: Node): number {
  const real = args.namedChildren.filter((child) => child && child.type !== 'comment');
  const last = real[real.length - 1];
  return last ? last.endIndex : args.startIndex + 1;
}

/** Table names of the classes this file declares, for `ForeignKey(User.id)`. */
type ClassTables = ReadonlyMap<string, string>;

function foreignKeyOf(call: Node, classTables: ClassTables): ForeignKeyFact | undefined {
  const args = argsOf(call);
  const target = args ? positionalArgs(args)[0] : undefined;
  if (!target) return undefined;
  const text = stringValue(target);
  if (text !== undefined) {
    const parts = text.split('.');
    if (parts.length < 2) return undefined;
    return { table: parts[parts.length - 2], column: parts[parts.length - 1] };
  }
  const parts = target.text.split('.');
  if (target.type !== 'attribute' || parts.length < 2) return undefined;
  const cls = parts[parts.length - 2];
  return { table: classTables.get(cls) ?? cls, column: parts[parts.length - 1], targetClass: cls };
}

/** Columns written with `index=True`, told apart from those indexed as keys. */
const explicitlyIndexed = new WeakSet<ColumnFact>();

/** A column fact from a `Column(...)` / `mapped_column(...)` call. */
function readColumn(
  call: Node,
  attribute: string,
  annotation: Node | null,
  range: { start: number; end: number },
  classTables: ClassTables,
): ColumnFact | undefined {
  const args = argsOf(call);
  if (!args) return undefined;
  let name = attribute;
  let type = '';
  let foreignKey: ForeignKeyFact | undefined;
  const { positional, keywords } = readArgs(args);
  positional.forEach((arg, i) => {
    const text = stringValue(arg);
    if (i === 0 && text !== undefined) {
      name = text;
      return;
    }
    const called = calledName(arg);
    if (called === 'ForeignKey') foreignKey ??= foreignKeyOf(arg, classTables);
    else if (!type && !NOT_A_TYPE.has(called) && text === undefined) type = arg.text;
  });
  const explicitName = stringValue(keywords.get('name'));
  if (explicitName) name = explicitName;
  type ||= keywords.get('type_')?.text ?? mappedType(annotation);
  if (!name) return undefined;
  const primaryKey = isTrue(keywords.get('primary_key'));
  const unique = isTrue(keywords.get('unique'));
  const index = isTrue(keywords.get('index'));
  const column: ColumnFact = {
    name,
    attribute: attribute || name,
    ...range,
    primaryKey,
    unique,
    indexed: index || unique || primaryKey,
    foreignKey,
    type,
    indexInsertAt: indexInsertAt(args),
  };
  if (index) explicitlyIndexed.add(column);
  return column;
}

/** Column names of `Index`/constraint arguments: strings, attribute names, `Cls.attr`, `t.c.x`. */
function constraintColumns(args: Node[], table: TableFact): string[] {
  return args.map((arg) => {
    const text = stringValue(arg);
    if (text !== undefined) return text;
    const attribute =
      arg.type === 'identifier'
        ? arg.text
        : arg.type === 'attribute'
          ? arg.text.split('.').pop()!
          : '';
    if (!attribute) return `(${arg.text})`; // an expression: serves no plain column lookup
    return table.columns.find((c) => c.attribute === attribute)?.name ?? attribute;
  });
}

/** `Index(...)`, `UniqueConstraint(...)`, `PrimaryKeyConstraint(...)`, `ForeignKeyConstraint(...)`. */
function readConstraint(call: Node, table: TableFact, schema: SchemaFacts): void {
  const kind = calledName(call);
  const args = argsOf(call);
  if (!args) return;
  const positional = positionalArgs(args);
  const range = { start: call.startIndex, end: call.endIndex };
  if (kind === 'ForeignKeyConstraint') {
    const local = constraintColumns(elementsOf(positional[0]), table);
    const remote = stringList(positional[1]);
    const column = table.columns.find((c) => c.name === local[0]);
    const parts = (remote[0] ?? '').split('.');
    if (column && parts.length >= 2)
      column.foreignKey = { table: parts[parts.length - 2], column: parts[parts.length - 1] };
    return;
  }
  let name: string | undefined;
  let columnArgs = positional;
  if (kind === 'Index') {
    name = stringValue(positional[0]);
    columnArgs = positional.slice(1);
  } else if (kind === 'UniqueConstraint' || kind === 'PrimaryKeyConstraint') {
    name = stringValue(keywordArg(args, 'name'));
  } else return;
  const columns = constraintColumns(columnArgs, table);
  if (columns.length === 0) return;
  const unique = kind !== 'Index' || isTrue(keywordArg(args, 'unique'));
  if (columns.length === 1 && kind !== 'Index') {
    const column = table.columns.find((c) => c.name === columns[0]);
    if (column) {
      if (kind === 'PrimaryKeyConstraint') column.primaryKey = true;
      else column.unique = true;
      column.indexed = true;
      return;
    }
  }
  const index: IndexFact = { table: table.name, columns, name, unique, ...range };
  schema.indexes.push(index);
}

/**
 * Several `primary_key=True` columns form one composite key, whose index serves lookups by its
 * leading column only: record it as an index instead of marking each column a key.
 */
function foldCompositePrimaryKey(table: TableFact, schema: SchemaFacts): void {
  const keys = table.columns.filter((column) => column.primaryKey);
  if (keys.length < 2) return;
  for (const column of keys) {
    column.primaryKey = false;
    column.indexed = column.unique || explicitlyIndexed.has(column);
  }
  schema.indexes.push({
    table: table.name,
    columns: keys.map((column) => column.name),
    name: `${table.name}_pkey`,
    unique: true,
    start: keys[0].start,
    end: keys[keys.length - 1].end,
  });
}

/** The table a declarative class maps, or undefined when it is not a mapped class. */
function tableNameOf(
  cls: PyClass,
  assignments: ReturnType<typeof blockAssignments>,
): string | undefined {
  const declared = stringValue(assignments.get('__tablename__')?.value);
  if (declared) return declared;
  if (isTrue(assignments.get('__abstract__')?.value ?? undefined)) return undefined;
  // Flask-SQLAlchemy names the table after the class.
  if (cls.bases.some((base) => /(^|\.)Model$/.test(base) && !/^models\.Model$/.test(base)))
    return snakeCase(cls.name);
  return undefined;
}

function readModelClass(
  cls: PyClass,
  tableName: string,
  classTables: ClassTables,
  schema: SchemaFacts,
): void {
  const table: TableFact = {
    name: tableName,
    className: cls.name,
    start: cls.node.startIndex,
    end: cls.node.endIndex,
    columns: [],
    relationships: [],
    source: 'sqlalchemy',
  };
  let tableArgs: Node | null = null;
  for (const statement of cls.body.namedChildren) {
    if (statement?.type !== 'expression_statement') continue;
    const assignment = statement.namedChildren[0];
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier') continue;
    const value = assignment.childForFieldName('right');
    const annotation = assignment.childForFieldName('type');
    const range = { start: assignment.startIndex, end: assignment.endIndex };
    if (left.text === '__table_args__') {
      tableArgs = value;
      continue;
    }
    const call = columnCall(value);
    if (call) {
      const column = readColumn(call, left.text, annotation, range, classTables);
      if (column) table.columns.push(column);
    } else if (value && RELATIONSHIP_CALLS.has(calledName(value))) {
      table.relationships.push(left.text);
    } else if (!value && mappedType(annotation)) {
      // SQLAlchemy 2.0: `email: Mapped[str]` alone declares a column.
      table.columns.push({
        name: left.text,
        attribute: left.text,
        ...range,
        primaryKey: false,
        unique: false,
        indexed: false,
        type: mappedType(annotation),
      });
    }
  }
  foldCompositePrimaryKey(table, schema);
  for (const element of elementsOf(tableArgs ?? undefined)) {
    if (element.type === 'call') readConstraint(element, table, schema);
  }
  schema.tables.push(table);
}

/** Reads the `Column(...)`, constraint and `Index(...)` arguments of a Core or Alembic table. */
export function readTableItems(
  table: TableFact,
  items: readonly Node[],
  classTables: ReadonlyMap<string, string>,
  schema: SchemaFacts,
): void {
  for (const item of items) {
    if (!COLUMN_CALLS.has(calledName(item))) continue;
    const range = { start: item.startIndex, end: item.endIndex };
    const column = readColumn(item, '', null, range, classTables);
    if (column) table.columns.push(column);
  }
  foldCompositePrimaryKey(table, schema);
  for (const item of items) {
    if (!COLUMN_CALLS.has(calledName(item)) && item.type === 'call')
      readConstraint(item, table, schema);
  }
}

/** `users = Table("users", metadata, Column(...), Index(...))`. */
function readCoreTable(
  call: Node,
  classTables: ClassTables,
  schema: SchemaFacts,
): TableFact | undefined {
  const args = argsOf(call);
  if (!args) return undefined;
  const positional = positionalArgs(args);
  const name = stringValue(positional[0]);
  const items = positional.slice(2);
  if (!name || !items.some((item) => COLUMN_CALLS.has(calledName(item)))) return undefined;
  const parent = call.parent;
  const variable =
    parent?.type === 'assignment' && parent.childForFieldName('left')?.type === 'identifier'
      ? parent.childForFieldName('left')!.text
      : undefined;
  const table: TableFact = {
    name,
    start: call.startIndex,
    end: call.endIndex,
    columns: [],
    relationships: [],
    source: 'sqlalchemy',
    variable,
  };
  readTableItems(table, items, classTables, schema);
  schema.tables.push(table);
  return table;
}

/** A module-level `Index("ix", User.email)` naming columns of a class or Core table in this file. */
function readStandaloneIndex(
  call: Node,
  tables: Map<string, TableFact>,
  schema: SchemaFacts,
): void {
  const args = argsOf(call);
  if (!args) return;
  const columns = positionalArgs(args).slice(1);
  const owner = columns[0]?.type === 'attribute' ? columns[0].text.split('.')[0] : undefined;
  const table = owner ? tables.get(owner) : undefined;
  if (table) readConstraint(call, table, schema);
}

/** Adds the SQLAlchemy tables and indexes the file declares to `schema`. */
export function extractSqlAlchemySchema(model: PythonModel, schema: SchemaFacts): void {
  const classTables = new Map<string, string>();
  const mapped: { cls: PyClass; table: string }[] = [];
  for (const cls of model.classes) {
    // A mapped class names a column call or `__tablename__` in its body: other classes are
    // skipped on their text instead of a walk of their statements.
    const body = cls.body;
    if (!MAY_MAP.test(model.source.slice(body.startIndex, body.endIndex))) continue;
    const assignments = blockAssignments(body);
    const hasColumns = [...assignments.values()].some(({ value }) => !!columnCall(value));
    if (!hasColumns && !assignments.has('__tablename__')) continue;
    const table = tableNameOf(cls, assignments);
    if (!table) continue;
    classTables.set(cls.name, table);
    mapped.push({ cls, table });
  }
  for (const { cls, table } of mapped) readModelClass(cls, table, classTables, schema);
  const byOwner = new Map<string, TableFact>();
  for (const table of schema.tables) {
    if (table.className) byOwner.set(table.className, table);
  }
  for (const call of model.calls) {
    if (call.fn || call.method === '' || (call.method !== 'Table' && call.method !== 'Index'))
      continue;
    if (call.method === 'Table') {
      const table = readCoreTable(call.node, classTables, schema);
      if (table?.variable) byOwner.set(table.variable, table);
    } else if (isStandalone(call.node)) {
      readStandaloneIndex(call.node, byOwner, schema);
    }
  }
}

/** An `Index(...)` written as its own statement, not inside `__table_args__` or `Table(...)`. */
function isStandalone(call: Node): boolean {
  const parent = call.parent;
  return (
    parent?.type === 'expression_statement' ||
    (parent?.type === 'assignment' && parent.parent?.parent?.type === 'module')
  );
}
