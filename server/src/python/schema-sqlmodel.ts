/**
 * SQLModel classes. `class Item(SQLModel, table=True)` maps a table, named after the class
 * lowercased (SQLModel's `__tablename__` default) unless `__tablename__` says otherwise; every
 * field is a column: `Field(primary_key=..., foreign_key="user.id", index=..., unique=...)`,
 * `Field(sa_column=Column(...))` or a plain annotation. Classes without `table=True` only hold data,
 * and the tables deriving from them inherit their fields.
 */
import type { Node } from 'web-tree-sitter';
import type { ColumnFact, RelationshipFact } from '../workspace/facts';
import { qualify, type PyClass, type PythonModel } from './model';
import {
  argumentInsertAt,
  argsOf,
  calledName,
  isTrue,
  keyTarget,
  readArgs,
  stringValue,
} from './schema-args';
import { columnFact } from './schema-sqlalchemy-columns';
import { annotationTarget } from './relationship-targets';

const SQLMODEL_BASES = new Set(['sqlmodel.SQLModel', 'sqlmodel.main.SQLModel']);

/** Whether a base class expression names `sqlmodel.SQLModel`. */
export function isSqlModelBase(base: string, model: PythonModel): boolean {
  return base === 'SQLModel' || SQLMODEL_BASES.has(qualify(base, model.imports));
}

/** `class Item(ItemBase, table=True)`: a SQLModel class that maps a table. */
export function isSqlModelTable(cls: PyClass): boolean {
  return cls.bases.some((base) => /^table\s*=\s*True$/.test(base));
}

/** Class attributes that are configuration, never fields. */
function isField(attribute: string, annotation: Node | null): boolean {
  if (attribute.startsWith('_') || attribute === 'model_config') return false;
  return !!annotation && !/^(?:typing\.)?ClassVar\b/.test(annotation.text);
}

/** The entries of a `{"index": True}` dictionary literal with string keys, by key. */
function columnKeywords(node: Node | undefined): Map<string, Node> {
  const entries = new Map<string, Node>();
  if (node?.type !== 'dictionary') return entries;
  for (const pair of node.namedChildren) {
    if (pair?.type !== 'pair') continue;
    const key = stringValue(pair.childForFieldName('key'));
    const value = pair.childForFieldName('value');
    if (key !== undefined && value) entries.set(key, value);
  }
  return entries;
}

/**
 * The column a SQLModel field declares, `relationship` for `Relationship(...)`, undefined when the
 * attribute is no field. `saColumn` reads a `Column(...)` passed as `sa_column`.
 */
export function readSqlModelField(
  attribute: string,
  annotation: Node | null,
  value: Node | null,
  range: { start: number; end: number },
  saColumn: (call: Node) => ColumnFact | undefined,
): ColumnFact | 'relationship' | undefined {
  const called = value?.type === 'call' ? calledName(value) : '';
  if (called === 'Relationship') return 'relationship';
  if (!isField(attribute, annotation)) return undefined;
  const plain: ColumnFact = {
    name: attribute,
    attribute,
    ...range,
    primaryKey: false,
    unique: false,
    indexed: false,
    type: annotation?.text ?? '',
  };
  const args = called === 'Field' ? argsOf(value!) : undefined;
  if (!args) return plain;
  const { keywords } = readArgs(args);
  const column = keywords.get('sa_column');
  if (column) return calledName(column) === 'Column' ? saColumn(column) : plain;
  // `sa_column_kwargs={"unique": True}` passes the same flags on to the `Column`.
  const passed = columnKeywords(keywords.get('sa_column_kwargs'));
  const flag = (name: string): boolean => isTrue(keywords.get(name) ?? passed.get(name));
  const target = stringValue(keywords.get('foreign_key'));
  const flags = {
    primaryKey: flag('primary_key'),
    unique: flag('unique'),
    index: flag('index'),
    foreignKey: target === undefined ? undefined : keyTarget(target),
    type: keywords.get('sa_type')?.text,
  };
  return columnFact(attribute, attribute, flags, plain.type, range, argumentInsertAt(args));
}

/**
 * What a SQLModel `Relationship(...)` field says beyond its name: the class its annotation names
 * (`list["Hero"]`, `Optional["Team"]`) and the `lazy` strategy it passes on to SQLAlchemy
 * (`sa_relationship_kwargs={"lazy": "selectin"}`).
 */
export function readSqlModelRelationship(
  value: Node | null,
  annotation: Node | null,
): RelationshipFact | undefined {
  const target = annotationTarget(annotation);
  const args = value ? argsOf(value) : undefined;
  const kwargs = args ? readArgs(args).keywords.get('sa_relationship_kwargs') : undefined;
  const lazy = stringValue(columnKeywords(kwargs).get('lazy'));
  if (!target && !lazy) return undefined;
  return { ...(target ? { target } : {}), ...(lazy ? { lazy } : {}) };
}
