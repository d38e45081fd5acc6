/**
 * The workspace index: every file's facts, and the views cross-file rules ask for (functions by
 * qualified name, tables and indexes). Built once and updated one file at a time; views are
 * rebuilt lazily after a change, so an edit costs one fact extraction plus one cheap merge.
 */
import type {
  FileFacts,
  FunctionFacts,
  IndexFact,
  IndexOperation,
  MigrationFact,
  TableFact,
} from './facts';

export interface IndexedFunction {
  file: string;
  fn: FunctionFacts;
}

export interface IndexedTable {
  file: string;
  table: TableFact;
}

/** An index known to exist after models, DDL files and migrations are all applied. */
export interface KnownIndex {
  table: string;
  columns: string[];
  name?: string;
  unique: boolean;
  file: string;
  start: number;
  end: number;
}

interface Views {
  functions: Map<string, IndexedFunction[]>;
  /** Functions by every dotted suffix of their qualified name of two or more parts. */
  functionsBySuffix: Map<string, IndexedFunction[]>;
  tablesByName: Map<string, IndexedTable[]>;
  tablesByClass: Map<string, IndexedTable[]>;
  indexes: KnownIndex[];
  migrationFiles: { file: string; migration: MigrationFact }[];
}

const lower = (name: string): string => name.toLowerCase();

export class WorkspaceIndex {
  private readonly files = new Map<string, FileFacts>();
  private views: Views | undefined;

  /** Replaces the facts of one file. */
  update(facts: FileFacts): void {
    this.files.set(facts.file, facts);
    this.views = undefined;
  }

  remove(file: string): void {
    if (this.files.delete(file)) this.views = undefined;
  }

  get(file: string): FileFacts | undefined {
    return this.files.get(file);
  }

  allFacts(): IterableIterator<FileFacts> {
    return this.files.values();
  }

  get size(): number {
    return this.files.size;
  }

  /** Functions defined in the workspace under a qualified name. */
  functions(qualifiedName: string): IndexedFunction[] {
    return this.view().functions.get(qualifiedName) ?? [];
  }

  /**
   * Resolves a call site's candidate targets to a workspace function. A target also matches by
   * suffix, because import paths (`app.services.x`) are relative to a source root that the
   * workspace root may sit above (`examples/demo-app/app/services.py`).
   */
  resolve(targets: readonly string[]): IndexedFunction | undefined {
    for (const target of targets) {
      const exact = this.functions(target);
      if (exact.length === 1) return exact[0];
      const bySuffix = this.view().functionsBySuffix.get(target) ?? [];
      if (bySuffix.length === 1) return bySuffix[0];
    }
    return undefined;
  }

  /** Tables by SQL name (case-insensitive). */
  tables(name: string): IndexedTable[] {
    return this.view().tablesByName.get(lower(name)) ?? [];
  }

  /** Tables declared by an ORM model class of this name. */
  tablesOfClass(className: string): IndexedTable[] {
    return this.view().tablesByClass.get(className) ?? [];
  }

  allTables(): IndexedTable[] {
    return [...this.view().tablesByName.values()].flat();
  }

  /** Indexes on `table` after models, DDL and migrations (drops applied in revision order). */
  indexesOn(table: string): KnownIndex[] {
    return this.view().indexes.filter((index) => lower(index.table) === lower(table));
  }

  /** Whether some index has `column` as its leading column (so lookups on it can use it). */
  isIndexedColumn(table: string, column: string): boolean {
    return this.indexesOn(table).some((index) => lower(index.columns[0] ?? '') === lower(column));
  }

  /** Alembic migration files, oldest first. */
  migrations(): { file: string; migration: MigrationFact }[] {
    return this.view().migrationFiles;
  }

  private view(): Views {
    this.views ??= this.buildViews();
    return this.views;
  }

  private buildViews(): Views {
    const views: Views = {
      functions: new Map(),
      functionsBySuffix: new Map(),
      tablesByName: new Map(),
      tablesByClass: new Map(),
      indexes: [],
      migrationFiles: [],
    };
    const migrationOps: { file: string; migration: MigrationFact; operations: IndexOperation[] }[] =
      [];
    const ddlOps: { file: string; operations: IndexOperation[] }[] = [];
    const sortedFiles = [...this.files.values()].sort((a, b) =>
      a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
    );
    for (const facts of sortedFiles) {
      for (const fn of facts.functions) {
        const entry = { file: facts.file, fn };
        push(views.functions, fn.qualifiedName, entry);
        const parts = fn.qualifiedName.split('.');
        for (let i = 1; i + 2 <= parts.length; i++)
          push(views.functionsBySuffix, parts.slice(i).join('.'), entry);
      }
      for (const table of facts.schema.tables) {
        const entry = { file: facts.file, table };
        push(views.tablesByName, lower(table.name), entry);
        if (table.className) push(views.tablesByClass, table.className, entry);
        for (const column of table.columns) {
          if (column.indexed || column.primaryKey || column.unique) {
            views.indexes.push({
              table: table.name,
              columns: [column.name],
              unique: column.unique || column.primaryKey,
              file: facts.file,
              start: column.start,
              end: column.end,
            });
          }
        }
      }
      for (const index of facts.schema.indexes) views.indexes.push(knownFrom(index, facts.file));
      if (facts.schema.migration) {
        migrationOps.push({
          file: facts.file,
          migration: facts.schema.migration,
          operations: facts.schema.operations,
        });
      } else if (facts.schema.operations.length > 0) {
        ddlOps.push({ file: facts.file, operations: facts.schema.operations });
      }
    }
    for (const { file, operations } of ddlOps) applyOperations(views.indexes, file, operations);
    for (const { file, migration, operations } of orderMigrations(migrationOps)) {
      views.migrationFiles.push({ file, migration });
      applyOperations(views.indexes, file, operations);
    }
    return views;
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function knownFrom(index: IndexFact | IndexOperation, file: string): KnownIndex {
  const { table, columns, name, unique, start, end } = index;
  return { table, columns, name, unique, file, start, end };
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => lower(column) === lower(b[i]));
}

function applyOperations(indexes: KnownIndex[], file: string, operations: IndexOperation[]): void {
  for (const operation of operations) {
    if (operation.kind === 'create') {
      indexes.push(knownFrom(operation, file));
      continue;
    }
    // A drop names the index or, failing that, its table and columns.
    for (let i = indexes.length - 1; i >= 0; i--) {
      const index = indexes[i];
      const byName = !!operation.name && index.name === operation.name;
      const byColumns =
        !operation.name &&
        lower(index.table) === lower(operation.table) &&
        sameColumns(index.columns, operation.columns);
      if (byName || byColumns) indexes.splice(i, 1);
    }
  }
}

/** Orders Alembic revisions by their `down_revision` chain; unknown links keep file order. */
function orderMigrations<T extends { migration: MigrationFact }>(migrations: T[]): T[] {
  const byRevision = new Map(migrations.map((m) => [m.migration.revision, m]));
  const children = new Map<string | null, T[]>();
  for (const m of migrations) {
    const parent =
      m.migration.downRevision && byRevision.has(m.migration.downRevision)
        ? m.migration.downRevision
        : null;
    push(children, parent, m);
  }
  const ordered: T[] = [];
  const visit = (parent: string | null): void => {
    for (const child of children.get(parent) ?? []) {
      ordered.push(child);
      visit(child.migration.revision);
    }
  };
  visit(null);
  // Cycles or duplicates leave some unvisited: keep them, in file order.
  for (const m of migrations) if (!ordered.includes(m)) ordered.push(m);
  return ordered;
}
