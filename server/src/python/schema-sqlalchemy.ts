/**
 * SQLAlchemy schema declarations: declarative model classes (`schema-sqlalchemy-classes.ts`), Core
 * `Table("name", metadata, Column(...))` tables (Flask-SQLAlchemy `db.Table("name", db.Column(...))`
 * without the metadata) and module-level `Index(...)` objects.
 */
import type { Node } from 'web-tree-sitter';
import type { SchemaFacts, TableFact } from '../workspace/facts';
import { foldCompositePrimaryKey } from '../workspace/schema-links';
import type { PythonModel } from './model';
import { argsOf, calledName, keywordArg, positionalArgs, stringValue } from './schema-args';
import { readClasses } from './schema-sqlalchemy-classes';
import {
  COLUMN_CALLS,
  readColumn,
  readConstraint,
  type ClassTables,
} from './schema-sqlalchemy-columns';

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
  const compositeKey = foldCompositePrimaryKey(table);
  if (compositeKey) schema.indexes.push(compositeKey);
  for (const item of items) {
    if (!COLUMN_CALLS.has(calledName(item)) && item.type === 'call')
      readConstraint(item, table, schema);
  }
}

/**
 * `users = Table("users", metadata, Column(...), Index(...))`, and Flask-SQLAlchemy's
 * `db.Table("users", db.Column(...), ...)`.
 */
function readCoreTable(
  call: Node,
  classTables: ClassTables,
  schema: SchemaFacts,
): TableFact | undefined {
  const args = argsOf(call);
  if (!args) return undefined;
  const positional = positionalArgs(args);
  const name = stringValue(positional[0]);
  // The metadata (`Base.metadata`, `metadata`) is a name, never a column or a constraint, and
  // Flask-SQLAlchemy's `db.Table("name", db.Column(...), ...)` has none: its first column comes
  // right after the name. So every argument after the name is read by what it is.
  const items = positional.slice(1);
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
  const classTables = readClasses(model, schema);
  const byOwner = new Map<string, TableFact>();
  for (const table of schema.tables) {
    if (table.className) byOwner.set(table.className, table);
  }
  for (const call of model.calls) {
    if (call.fn || call.method === '') continue;
    if (call.method === 'Table') {
      const table = readCoreTable(call.node, classTables, schema);
      if (table?.variable) byOwner.set(table.variable, table);
    } else if (call.method === 'Index' && isStandalone(call.node)) {
      readStandaloneIndex(call.node, byOwner, schema);
    } else if (CLASSICAL_MAPPERS.has(call.method)) {
      mapClassToTable(call.node, byOwner);
    }
  }
}

/** SQLAlchemy's classical mapping calls: `mapper(Class, table)` before 2.0, then the registry's. */
const CLASSICAL_MAPPERS = new Set(['mapper', 'map_imperatively']);

/**
 * `mapper(Package, package_table, properties={"tags": relation(...)})` (also `meta.mapper`,
 * `registry.map_imperatively`): the class maps a Core table of this file, so queries of the class
 * are queries of that table, and the `properties` relations are its relationships.
 */
function mapClassToTable(call: Node, tables: ReadonlyMap<string, TableFact>): void {
  const args = argsOf(call);
  if (!args) return;
  const [cls, tableArg] = positionalArgs(args);
  if (cls?.type !== 'identifier' || tableArg?.type !== 'identifier') return;
  const table = tables.get(tableArg.text);
  if (!table || table.className) return;
  table.className = cls.text;
  const properties = keywordArg(args, 'properties');
  if (properties?.type !== 'dictionary') return;
  for (const pair of properties.namedChildren) {
    if (pair?.type !== 'pair' || !RELATION_CALLS.has(calledName(pair.childForFieldName('value'))))
      continue;
    const key = stringValue(pair.childForFieldName('key'));
    if (key) table.relationships.push(key);
  }
}

/** `relation` is the pre-0.5 spelling CKAN-era code still uses. */
const RELATION_CALLS = new Set(['relationship', 'relation']);

/** An `Index(...)` written as its own statement, not inside `__table_args__` or `Table(...)`. */
function isStandalone(call: Node): boolean {
  const parent = call.parent;
  return (
    parent?.type === 'expression_statement' ||
    (parent?.type === 'assignment' && parent.parent?.parent?.type === 'module')
  );
}
