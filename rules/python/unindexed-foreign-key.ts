import { indexesForeignKeysItself, projectDatabase } from '../../server/src/config/database';
import type { Rule, WorkspaceContext } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import type { IndexedTable } from '../../server/src/workspace/index';
import type { ColumnFact, ForeignKeyFact, MigrationFact } from '../../server/src/workspace/facts';

/** An Alembic migration file of the workspace. */
type Migration = { file: string; migration: MigrationFact };

/** The referenced table, resolving `ForeignKey(User.id)` to the class's table. */
function referencedTable(ctx: WorkspaceContext, key: ForeignKeyFact): string {
  if (!key.targetClass) return key.table;
  return ctx.index.tablesOfClass(key.targetClass)[0]?.table.name ?? key.table;
}

/** The edit adding `index=True` to the column's `Column(...)` / `mapped_column(...)` call. */
function indexTrueEdit(
  ctx: WorkspaceContext,
  file: string,
  column: ColumnFact,
): TextEdit | undefined {
  const at = column.indexInsertAt;
  const text = ctx.readText(file);
  if (at === undefined || text === undefined) return undefined;
  // One argument per line with a trailing comma: add a line in the same style.
  const trailing = /^,[ \t]*(?:#[^\n]*)?\r?\n/.exec(text.slice(at, at + 200));
  if (trailing) {
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart, at))![0];
    const next = at + trailing[0].length;
    const newline = trailing[0].endsWith('\r\n') ? '\r\n' : '\n';
    return { start: next, end: next, newText: `${indent}index=True,${newline}` };
  }
  return { start: at, end: at, newText: text[at - 1] === '(' ? 'index=True' : ', index=True' };
}

/** A 12-hex-digit revision id, stable for the same index and parent (so re-running agrees). */
function revisionId(seed: string): string {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return (hex(a) + hex(b)).slice(0, 12);
}

/** The text of an Alembic migration creating (and on downgrade dropping) one index. */
function indexMigration(
  revision: string,
  parent: string,
  index: string,
  table: string,
  column: string,
): string {
  return [
    `"""Index ${table}.${column}.`,
    '',
    `Revision ID: ${revision}`,
    `Revises: ${parent}`,
    '"""',
    'from alembic import op',
    '',
    '# revision identifiers, used by Alembic.',
    `revision = "${revision}"`,
    `down_revision = "${parent}"`,
    'branch_labels = None',
    'depends_on = None',
    '',
    '',
    'def upgrade() -> None:',
    `    op.create_index(op.f("${index}"), "${table}", ["${column}"], unique=False)`,
    '',
    '',
    'def downgrade() -> None:',
    `    op.drop_index(op.f("${index}"), table_name="${table}")`,
    '',
  ].join('\n');
}

/** Adds `index=True` to the model and an Alembic migration after the single head revision. */
function migrationFix(head: Migration, table: string, column: string, indexEdit: TextEdit): Fix {
  const index = `ix_${table}_${column}`;
  const revision = revisionId(`${head.migration.revision}:${table}.${column}`);
  const slash = Math.max(head.file.lastIndexOf('/'), head.file.lastIndexOf('\\'));
  const dir = slash === -1 ? '' : head.file.slice(0, slash + 1);
  return {
    title: `Add \`index=True\` and an Alembic migration creating \`${index}\``,
    safety: 'unsafe',
    edits: [indexEdit],
    creates: [
      {
        file: `${dir}${revision}_index_${table}_${column}.py`,
        content: indexMigration(revision, head.migration.revision, index, table, column),
      },
    ],
  };
}

/** One foreign-key declaration without an index, and the tables that have it (mixins give several). */
interface UnindexedKey {
  file: string;
  column: ColumnFact;
  key: ForeignKeyFact;
  tables: string[];
}

/** Collects the table's unindexed foreign keys by the declaration they come from. */
function collectTable(
  ctx: WorkspaceContext,
  { file, table }: IndexedTable,
  found: Map<string, UnindexedKey>,
): void {
  for (const column of table.columns) {
    const key = column.foreignKey;
    if (!key || column.primaryKey || column.unique || column.indexed) continue;
    if (ctx.index.isIndexedColumn(table.name, column.name)) continue;
    // An inherited column is declared (and fixed) in its base class's file.
    const declaredIn = column.file ?? file;
    const at = `${declaredIn}:${column.start}`;
    const entry = found.get(at);
    if (entry) entry.tables.push(table.name);
    else found.set(at, { file: declaredIn, column, key, tables: [table.name] });
  }
}

/** `a`, `b` and `c`. */
function quoted(names: string[]): string {
  const all = names.map((name) => `\`${name}\``);
  return all.length < 2
    ? all.join('')
    : `${all.slice(0, -1).join(', ')} and ${all[all.length - 1]}`;
}

function report(ctx: WorkspaceContext, found: UnindexedKey, head?: Migration): void {
  const { file, column, key, tables } = found;
  const target = referencedTable(ctx, key);
  const edit = indexTrueEdit(ctx, file, column);
  const fixes: Fix[] = [];
  if (edit) {
    fixes.push({ title: 'Add `index=True`', safety: 'safe', edits: [edit] });
    // One migration creates one index: offered for a column of a single table.
    if (head && tables.length === 1) fixes.push(migrationFix(head, tables[0], column.name, edit));
  }
  const message =
    tables.length === 1
      ? `Foreign key \`${tables[0]}.${column.name}\` (to \`${target}\`) has no index: joins and ` +
        `lookups by \`${column.attribute}\`, and deletes in \`${target}\`, scan all of \`${tables[0]}\``
      : `Foreign key \`${column.name}\` (to \`${target}\`), inherited by ${quoted(tables)}, has no ` +
        `index: joins and lookups by \`${column.attribute}\`, and deletes in \`${target}\`, scan ` +
        `each of those tables whole`;
  ctx.report(file, { start: column.start, end: column.end, message, fixes });
}

/** SQLAlchemy foreign-key columns that no index, `__table_args__` entry or migration covers. */
export const unindexedForeignKey: Rule = {
  meta: {
    id: 'unindexed-foreign-key',
    language: 'python',
    category: 'missing-index',
    severity: 'warning',
    summary:
      'SQLAlchemy `ForeignKey` column or SQLModel `Field(foreign_key=...)` with no index in the model, its table args or migrations',
    fix: { title: 'Add `index=True`', safety: 'safe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds SQLAlchemy columns declared with `ForeignKey(...)` (`Column` or `mapped_column`, in ' +
        'declarative models and Core `Table(...)`s, Flask-SQLAlchemy `db.Table("name", db.Column(...), ...)` with no metadata argument included, including columns inherited from abstract bases ' +
        'and mixins, columns a single-table-inheritance subclass (no `__tablename__`, no primary key ' +
        "of its own) adds to its parent's table, in the same module or another, and flags taken from `Annotated[..., mapped_column(...)]` aliases) and SQLModel " +
        'fields declared with `Field(foreign_key=...)` that are not indexed anywhere in the workspace: no ' +
        '`index=True` or `unique=True`, not the primary key, not the leading column of an `Index`, ' +
        '`UniqueConstraint` or `PrimaryKeyConstraint`, and not indexed by an Alembic migration ' +
        '(`op.create_index`, `op.execute("CREATE INDEX ...")`, dropped indexes removed in revision ' +
        'order) or by `CREATE INDEX` in a `.sql` file. A foreign key that a mixin gives several tables ' +
        'is reported once, where the mixin declares it, naming the tables.',
      whyIsThisBad:
        'Unlike primary keys, foreign keys get no index by default in PostgreSQL, SQLite or SQLAlchemy. ' +
        'Every `user.orders` relationship load, `join(Order)` and `filter(Order.user_id == id)` then ' +
        'reads the whole child table, and each delete or key update in the parent table checks the ' +
        'constraint with a full scan too. It is invisible with a thousand rows and dominates the ' +
        'request time with a few million.',
      example: [
        'class Order(Base):',
        '    __tablename__ = "orders"',
        '    id = Column(Integer, primary_key=True)',
        '    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)',
      ].join('\n'),
      useInstead: [
        'class Order(Base):',
        '    __tablename__ = "orders"',
        '    id = Column(Integer, primary_key=True)',
        '    user_id = Column(Integer, ForeignKey("users.id"), nullable=False, index=True)',
      ].join('\n'),
      notFlagged: [
        "Foreign keys with `index=True` or `unique=True`, and foreign keys that lead the primary key: the only `primary_key=True` column, or the first of several (a composite key's index serves lookups by its leading column only, so `primary_key=True` on a later column is still flagged).",
        'Foreign keys that lead an `Index(...)`, `UniqueConstraint(...)` or `PrimaryKeyConstraint(...)` in `__table_args__`, a Core `Table(...)` or a module-level `Index(...)`, or an `Index(...)` in the model class body that holds one of its columns (`owner_ix = Index("ix_owner", owner_id)`, also `owner_id.desc()`), which SQLAlchemy attaches to the table with that column. An index of names alone there (`Index("ix_owner", "owner_id")`) holds no column, reaches no table and is not counted.',
        "Foreign keys indexed by the `__table_args__` a model takes from a mixin or abstract base (from the first base that has one, as Python looks it up; a model's own `__table_args__` replaces it). A `@declared_attr def __table_args__(cls)` counts with the constraints its returned tuple holds on every path through the method (unconditionally, or written in each branch of an `if`): an index only some configurations return (`if settings.use_postgres: return (Index(...),)`) is not counted on.",
        'Foreign keys indexed by an Alembic migration (`op.create_index`, `batch_op.create_index`, `op.execute("CREATE INDEX ...")`) that no later migration drops, or by `CREATE INDEX` in a `.sql` file.',
        'Foreign keys indexed by SQL that application code runs outside migrations: a `CREATE [UNIQUE] INDEX` or `ALTER TABLE ... ADD [CONSTRAINT c] UNIQUE (...)` string passed to a database call (`await conn.execute(text("CREATE INDEX IF NOT EXISTS ..."))` in a startup function next to `create_all()`) or held in a module constant (`INDEXES = ["CREATE INDEX ...", ...]`), in any module but tests (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`), whose indexes exist only in the test database. Other DDL in such strings (tables, foreign keys, `DROP INDEX`) is not read.',
        'Django `ForeignKey` and `OneToOneField`: Django indexes them by default. `db_index=False` is a deliberate choice and is left to `unindexed-query-column`, which reports it when queries filter on the field.',
        'Models without `__tablename__` whose base computes the table name (`@declared_attr def __tablename__(cls)`) other than as `cls.__name__`, `cls.__name__.lower()` or a CamelCase-to-snake_case helper (one named like `*snake*` or `resolve_table_name`, or one of the same file that uses `re.sub`/`re.split` and `.lower()`), and snake-cased class names with runs of capitals (`HTTPLog`), which such helpers convert differently: their table names are unknown, so their columns are left alone.',
        'Projects on MySQL or MariaDB (`"sql": { "database": "mysql" }` in `perflens.json`, or, without that key, when every database URL string literal in the Python code of the workspace names MySQL or MariaDB: `create_engine("mysql+pymysql://...")`, `SQLALCHEMY_DATABASE_URI = "mysql://..."`, the default of `os.getenv("DATABASE_URL", "mysql://...")`, an f-string `f"mysql+aiomysql://{user}@..."`; URLs in comments and docstrings do not count, and a URL of any other database, such as `sqlite://` in the tests, leaves the database unknown): InnoDB creates an index for every foreign key constraint that no index leads, so no foreign key is reported there.',
        'Foreign keys declared only in migrations or `.sql` files (`unindexed-sql-foreign-key` covers `.sql`).',
      ],
      fixSafety:
        'Adding `index=True` is safe: it changes the schema SQLAlchemy creates, not what any query returns. ' +
        'When the project has Alembic migrations with a single head, a second fix also writes a migration ' +
        'that creates the index (`op.create_index(op.f("ix_<table>_<column>"), ...)`, the name SQLAlchemy ' +
        'gives `index=True`) after that head. That fix is unsafe: building an index locks writes to the ' +
        'table while it runs (use `postgresql_concurrently=True` on large PostgreSQL tables), and several ' +
        'such migrations made at once share a parent and must be chained or merged.',
    },
  },
  checkWorkspace(ctx) {
    // InnoDB gives every foreign key an index: nothing here is unindexed on MySQL or MariaDB.
    if (indexesForeignKeysItself(projectDatabase(ctx))) return;
    const heads = ctx.index.migrationHeads();
    const head = heads.length === 1 ? heads[0] : undefined;
    const found = new Map<string, UnindexedKey>();
    for (const entry of ctx.index.allTables()) {
      if (entry.table.source === 'sqlalchemy') collectTable(ctx, entry, found);
    }
    for (const key of found.values()) report(ctx, key, head);
  },
};
