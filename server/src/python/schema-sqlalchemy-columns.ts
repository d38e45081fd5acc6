/**
 * SQLAlchemy column and constraint declarations: `Column(...)` / `mapped_column(...)` calls (with
 * `deferred(...)` around them) and `Index`/`UniqueConstraint`/`PrimaryKeyConstraint`/
 * `ForeignKeyConstraint` arguments, read the same way in models, Core tables and migrations.
 */
import type { Node } from 'web-tree-sitter';
import type {
  ColumnFact,
  ColumnFlags,
  ForeignKeyFact,
  IndexFact,
  MetaIndexFact,
  SchemaFacts,
  TableFact,
} from '../workspace/facts';
import {
  argumentInsertAt,
  argsOf,
  boolLiteral,
  calledName,
  elementsOf,
  isTrue,
  keyTarget,
  keywordArg,
  positionalArgs,
  readArgs,
  stringList,
  stringValue,
} from './schema-args';

export const COLUMN_CALLS = new Set(['Column', 'mapped_column']);
/** Column arguments that are not its type. */
const NOT_A_TYPE = new Set(['ForeignKey', 'Sequence', 'Identity', 'Computed', 'CheckConstraint']);

/** The `Column(...)` call an attribute value declares, unwrapping `deferred(Column(...))`. */
export function columnCall(value: Node | null): Node | undefined {
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
export function mappedType(annotation: Node | null): string {
  const match = annotation ? /^(?:\w+\.)*Mapped\[(.*)\]$/s.exec(annotation.text) : null;
  return match ? match[1].trim() : '';
}

/** Table names of the classes this file declares, for `ForeignKey(User.id)`. */
export type ClassTables = ReadonlyMap<string, string>;

function foreignKeyOf(call: Node, classTables: ClassTables): ForeignKeyFact | undefined {
  const args = argsOf(call);
  const target = args ? positionalArgs(args)[0] : undefined;
  if (!target) return undefined;
  const text = stringValue(target);
  if (text !== undefined) return keyTarget(text);
  const parts = target.text.split('.');
  if (target.type !== 'attribute' || parts.length < 2) return undefined;
  const cls = parts[parts.length - 2];
  return { table: classTables.get(cls) ?? cls, column: parts[parts.length - 1], targetClass: cls };
}

/** What a `Column(...)` / `mapped_column(...)` call says: the column name it gives and its flags. */
export function readColumnCall(
  call: Node,
  classTables: ClassTables,
): { name?: string; flags: ColumnFlags; args: Node } | undefined {
  const args = argsOf(call);
  if (!args) return undefined;
  let name: string | undefined;
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
  name = stringValue(keywords.get('name')) || name;
  type ||= keywords.get('type_')?.text ?? '';
  const flags: ColumnFlags = {
    primaryKey: boolLiteral(keywords.get('primary_key')),
    unique: boolLiteral(keywords.get('unique')),
    index: boolLiteral(keywords.get('index')),
    foreignKey,
    type: type || undefined,
  };
  return { name, flags, args };
}

/** A column fact from what its declaration says (`flags`, nothing said meaning `False`). */
export function columnFact(
  name: string,
  attribute: string,
  flags: ColumnFlags,
  declaredType: string,
  range: { start: number; end: number },
  indexInsertAt?: number,
): ColumnFact {
  const primaryKey = flags.primaryKey ?? false;
  const unique = flags.unique ?? false;
  const index = flags.index ?? false;
  return {
    name,
    attribute: attribute || name,
    ...range,
    primaryKey,
    unique,
    indexed: index || unique || primaryKey,
    foreignKey: flags.foreignKey,
    type: flags.type ?? declaredType,
    ...(indexInsertAt === undefined ? {} : { indexInsertAt }),
    ...(index ? { explicitIndex: true } : {}),
  };
}

/**
 * A column fact from a `Column(...)` / `mapped_column(...)` call, with the flags the call itself
 * gives (a model merges an `Annotated` alias's flags under them).
 */
export function readColumnWithFlags(
  call: Node,
  attribute: string,
  annotation: Node | null,
  range: { start: number; end: number },
  classTables: ClassTables,
): { column: ColumnFact; flags: ColumnFlags } | undefined {
  const read = readColumnCall(call, classTables);
  const name = read?.name || attribute;
  if (!read || !name) return undefined;
  const column = columnFact(
    name,
    attribute,
    read.flags,
    mappedType(annotation),
    range,
    argumentInsertAt(read.args),
  );
  return { column, flags: read.flags };
}

/** A column fact from a `Column(...)` / `mapped_column(...)` call. */
export function readColumn(
  call: Node,
  attribute: string,
  annotation: Node | null,
  range: { start: number; end: number },
  classTables: ClassTables,
): ColumnFact | undefined {
  return readColumnWithFlags(call, attribute, annotation, range, classTables)?.column;
}

/** Sort directions an index may give a column: `col.desc()`, `desc(col)`, `.asc()`. */
const ORDERINGS = new Set(['desc', 'asc']);

/**
 * The column under a sort direction (`not_after` in `not_after.desc()` or `desc(not_after)`): a
 * B-tree index in either direction serves the column's filters and sorts. Other nodes as they are.
 */
export function orderedColumn(arg: Node): Node {
  if (arg.type !== 'call' || !ORDERINGS.has(calledName(arg))) return arg;
  const fn = arg.childForFieldName('function');
  const args = argsOf(arg);
  const operand =
    fn?.type === 'attribute'
      ? args?.namedChildCount === 0
        ? fn.childForFieldName('object')
        : null
      : args?.namedChildCount === 1
        ? args.namedChild(0)
        : null;
  return operand?.type === 'identifier' || operand?.type === 'attribute' ? operand : arg;
}

/** Column names of `Index`/constraint arguments: strings, attribute names, `Cls.attr`, `t.c.x`. */
function constraintColumns(args: Node[], table: TableFact): string[] {
  return args.map(orderedColumn).map((arg) => {
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

/**
 * An `Index(...)`, `UniqueConstraint(...)` or `PrimaryKeyConstraint(...)` of a base's
 * `__table_args__`, by the column names and attributes it lists, for the models of other modules
 * deriving from it (see `MappedBaseFact.tableArgs`); undefined for other calls.
 */
export function constraintFields(call: Node): MetaIndexFact | undefined {
  const kind = calledName(call);
  const args = argsOf(call);
  if (!args || !['Index', 'UniqueConstraint', 'PrimaryKeyConstraint'].includes(kind)) return;
  const positional = positionalArgs(args);
  const columnArgs = (kind === 'Index' ? positional.slice(1) : positional).map(orderedColumn);
  const fields = columnArgs.map(
    (arg) =>
      stringValue(arg) ??
      (arg.type === 'identifier' || arg.type === 'attribute'
        ? arg.text.split('.').pop()!
        : `(${arg.text})`),
  );
  if (fields.length === 0) return undefined;
  const name = stringValue(kind === 'Index' ? positional[0] : keywordArg(args, 'name'));
  const unique = kind !== 'Index' || isTrue(keywordArg(args, 'unique'));
  return { fields, unique, ...(name ? { name } : {}), start: call.startIndex, end: call.endIndex };
}

/** `Index(...)`, `UniqueConstraint(...)`, `PrimaryKeyConstraint(...)`, `ForeignKeyConstraint(...)`. */
export function readConstraint(call: Node, table: TableFact, schema: SchemaFacts): void {
  const kind = calledName(call);
  const args = argsOf(call);
  if (!args) return;
  const positional = positionalArgs(args);
  const range = { start: call.startIndex, end: call.endIndex };
  if (kind === 'ForeignKeyConstraint') {
    const local = constraintColumns(elementsOf(positional[0]), table);
    const remote = stringList(positional[1]);
    const column = table.columns.find((c) => c.name === local[0]);
    const target = keyTarget(remote[0] ?? '');
    if (column && target) column.foreignKey = target;
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
