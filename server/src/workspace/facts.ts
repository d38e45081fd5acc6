/**
 * Facts: what one file tells the rest of the workspace. Extracted once per file version while its
 * tree is alive, kept as plain data (they cross worker threads), and merged into the workspace
 * index that cross-file rules read. Offsets are UTF-16 offsets into the file's text.
 */
import type { Language } from '../engine/types';
import type { PrismaDatasource } from '../prisma/schema';

/** What a call blocks on or costs, when the engine recognises it. */
export type EffectKind = 'sleep' | 'http' | 'file' | 'fs' | 'process' | 'db';

export interface Effect {
  kind: EffectKind;
  /** Blocks the thread when run on an event loop (false for awaited async calls). */
  blocking: boolean;
  /** The call as written, e.g. `time.sleep` or `db.query`. */
  callee: string;
  start: number;
  end: number;
}

export interface CallSite {
  /** Qualified names the callee may be, most specific first (`app.services.get_user`). */
  targets: string[];
  /** The call as written. */
  callee: string;
  start: number;
  end: number;
  /** Inside a loop or comprehension body of its function (and not over a small constant literal). */
  inLoop: boolean;
  awaited: boolean;
}

export interface FunctionFacts {
  qualifiedName: string;
  name: string;
  isAsync: boolean;
  /** A web framework route handler (FastAPI, Flask, Django view decorator). */
  isRouteHandler: boolean;
  start: number;
  end: number;
  nameStart: number;
  nameEnd: number;
  /** Blocking or round-trip calls made directly in the body (not in nested functions). */
  effects: Effect[];
  /** Calls to functions that may be defined in the workspace. */
  calls: CallSite[];
  /**
   * Facts particular rules record about the function, e.g. `returns-unbounded-read`; named by the
   * contributor that adds them.
   */
  traits: string[];
}

export interface ForeignKeyFact {
  /** Referenced table; the class name when the target is written `ForeignKey(User.id)` in another file. */
  table: string;
  column: string;
  /** The ORM class named by `ForeignKey(User.id)`, when the key was written that way. */
  targetClass?: string;
}

export interface ColumnFact {
  /** Column name in the database. */
  name: string;
  /** Python attribute name for ORM models; equals `name` for SQL. */
  attribute: string;
  start: number;
  end: number;
  primaryKey: boolean;
  unique: boolean;
  /** Indexed by its own declaration (`index=True`, `db_index=True`, an inline `UNIQUE`). */
  indexed: boolean;
  foreignKey?: ForeignKeyFact;
  /** Declared type as written (`Integer`, `JSON`, `text`). */
  type: string;
  /** Where `, index=True` goes for an ORM column (before the closing parenthesis). */
  indexInsertAt?: number;
  /** Indexed without a declaration: Django and MySQL (InnoDB) index foreign keys implicitly. */
  implicitlyIndexed?: boolean;
}

export interface IndexFact {
  table: string;
  /** Columns in index order. */
  columns: string[];
  name?: string;
  unique: boolean;
  start: number;
  end: number;
}

export interface TableFact {
  name: string;
  /** ORM class name, when the table comes from a model class. */
  className?: string;
  start: number;
  end: number;
  columns: ColumnFact[];
  /** Relationship attributes (`comments = relationship(...)`), for lazy-load checks. */
  relationships: string[];
  /** Where the table is declared: a model, a `.sql` file, or an Alembic migration. */
  source: 'sqlalchemy' | 'django' | 'sql' | 'alembic' | 'prisma';
  /** The module variable a SQLAlchemy Core `Table(...)` is assigned to (`users = Table(...)`). */
  variable?: string;
  /** For `.sql` tables: the offset just past the declaring statement (and its `;`). */
  statementEnd?: number;
}

/** An index created or dropped by a migration or a DDL statement, in file order. */
export interface IndexOperation {
  kind: 'create' | 'drop';
  table: string;
  columns: string[];
  name?: string;
  unique: boolean;
  start: number;
  end: number;
}

export interface MigrationFact {
  revision: string;
  /** The parent revision; the first one for merge migrations. */
  downRevision: string | null;
  /** Every parent revision (merge migrations have several). */
  downRevisions?: string[];
}

/** A column used to filter or sort rows in a query, for index coverage checks. */
export interface QueryColumnUse {
  /** ORM class or table name as written (`User`, `users`). */
  model: string;
  column: string;
  role: 'filter' | 'sort';
  start: number;
  end: number;
  /** Identifies the query the use belongs to, so filter+sort pairs can be found. */
  queryId: number;
  /**
   * For filters, when known (Prisma): whether the filter picks one value (`status: s`), so a
   * composite index `(filter, sort)` returns the matching rows already sorted; ranges and `in`
   * lists do not.
   */
  equality?: boolean;
}

export interface SchemaFacts {
  tables: TableFact[];
  indexes: IndexFact[];
  operations: IndexOperation[];
  migration?: MigrationFact;
  /** A Prisma `datasource` block in this file (provider, relation mode). */
  prismaDatasource?: PrismaDatasource;
}

/**
 * A name a module re-exports from another (`export { a as b } from './x'`, `export * from
 * './x'`): a barrel file. Calls through the barrel resolve to the function where it is defined.
 */
export interface Reexport {
  /** The name other modules import (`b`), or `*` for every name of `module`. */
  exported: string;
  /** The module it comes from, named as the index names modules. */
  module: string;
  /** The name in `module` (`a`), when it differs from `exported`. */
  imported?: string;
}

export interface FileFacts {
  file: string;
  language: Language;
  moduleName?: string;
  functions: FunctionFacts[];
  schema: SchemaFacts;
  queryColumns: QueryColumnUse[];
  reexports?: Reexport[];
  /**
   * Facts particular rules record about the module's own code, outside its functions (e.g. a
   * FastAPI `Depends(...)` in a parameter default or a module-level `Annotated` alias); named by
   * the contributor that adds them. Absent when there are none.
   */
  traits?: string[];
}

/** Whether a file's facts declare any schema (tables, indexes, index operations, a migration). */
export function declaresSchema(facts: FileFacts | undefined): boolean {
  if (!facts) return false;
  const { tables, indexes, operations, migration, prismaDatasource } = facts.schema;
  return (
    tables.length > 0 ||
    indexes.length > 0 ||
    operations.length > 0 ||
    !!migration ||
    !!prismaDatasource
  );
}

export function emptySchema(): SchemaFacts {
  return { tables: [], indexes: [], operations: [] };
}

export function emptyFacts(file: string, language: Language): FileFacts {
  return { file, language, functions: [], schema: emptySchema(), queryColumns: [] };
}
