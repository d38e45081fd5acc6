import { indexesForeignKeysItself, projectDatabase } from '../../server/src/config/database';
import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { isMigrationPath } from '../../server/src/sql/helpers';
import {
  indexNameLike,
  statementSeparator,
  writesLowerCaseKeywords,
} from '../../server/src/sql/ddl-style';
import type { ColumnFact, TableFact } from '../../server/src/workspace/facts';

/** Flyway/numbered migration file names: `V3__add_orders.sql`, `0004_orders.sql`. */
const ORDERED_MIGRATION = /(^|\/)(?:V\d+(?:[._]\d+)*__|\d+[_-])[^/]*\.sql$/i;

/** Prisma Migrate's output: `prisma/migrations/20240101120000_init/migration.sql`. */
const PRISMA_MIGRATION = /(^|\/)migrations\/[^/]+\/migration\.sql$/;

/** drizzle-kit's output: it separates the statements of each migration with this marker. */
const DRIZZLE_KIT_BREAKPOINT = '--> statement-breakpoint';

/**
 * Whether `file` is SQL a schema-first ORM generated from a schema the workspace declares: a Prisma
 * migration of a table a Prisma model maps, or a drizzle-kit migration. The schema's own rule
 * (`prisma-relation-without-index`, `drizzle-foreign-key-without-index`) reports the key there,
 * where the index belongs: the next generated migration creates it, and an index appended to a
 * migration that already ran never would.
 */
function isGeneratedFromSchema(
  file: string,
  table: string,
  prismaTables: ReadonlySet<string>,
  isDrizzleKitOutput: (file: string) => boolean,
): boolean {
  if (PRISMA_MIGRATION.test(file) && prismaTables.has(table)) return true;
  return isDrizzleKitOutput(file);
}

/** A plain SQL identifier needs no quotes; anything else is quoted. */
function identifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * `CREATE INDEX <name> ON <table> (<column>);` after the table, written like the file's other
 * statements: its keyword case, its index naming, a blank line before it if the file keeps them.
 */
function createIndexFix(table: TableFact, column: ColumnFact, text: string): Fix | undefined {
  const end = table.statementEnd;
  if (end === undefined) return undefined;
  const name = identifier(indexNameLike(text, table.name, column.name));
  const [create, on] = writesLowerCaseKeywords(text)
    ? ['create index', 'on']
    : ['CREATE INDEX', 'ON'];
  const statement = `${create} ${name} ${on} ${identifier(table.name)} (${identifier(column.name)});`;
  return {
    title: `Add \`${statement}\``,
    safety: 'safe',
    edits: [{ start: end, end, newText: `${statementSeparator(text, end)}${statement}` }],
  };
}

/** `REFERENCES` columns in `.sql` files that no `CREATE INDEX` (or ORM/migration index) covers. */
export const unindexedSqlForeignKey: Rule = {
  meta: {
    id: 'unindexed-sql-foreign-key',
    language: 'sql',
    category: 'missing-index',
    severity: 'warning',
    summary: '`REFERENCES` column with no `CREATE INDEX` leading with it',
    fix: {
      title: 'Add `CREATE INDEX ... ON <table> (<column>);`',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds foreign-key columns in `.sql` files (an inline `REFERENCES t (c)`, a `FOREIGN KEY (c) ' +
        'REFERENCES ...` table constraint, or `ALTER TABLE ... ADD [CONSTRAINT ...] FOREIGN KEY` / `ADD ' +
        'COLUMN ... REFERENCES`) that no index leads: no `CREATE INDEX` in any `.sql` file (drops and ' +
        'numbered migration files applied in order), no primary key or unique constraint starting with ' +
        'the column, and no index on it from an ORM model or an Alembic migration.',
      whyIsThisBad:
        'PostgreSQL, SQLite and most other databases do not index the referencing side of a foreign key. ' +
        'Joins from the parent, lookups of a parent\u2019s children and every `DELETE` or key update in ' +
        'the parent table (which must check for referencing rows) then scan the whole child table.',
      example: [
        'CREATE TABLE orders (',
        '    id bigserial PRIMARY KEY,',
        '    customer_id bigint NOT NULL REFERENCES customers (id)',
        ');',
      ].join('\n'),
      useInstead: [
        'CREATE TABLE orders (',
        '    id bigserial PRIMARY KEY,',
        '    customer_id bigint NOT NULL REFERENCES customers (id)',
        ');',
        'CREATE INDEX orders_customer_id_idx ON orders (customer_id);',
      ].join('\n'),
      notFlagged: [
        'Columns with a `CREATE INDEX` leading with them in any `.sql` file of the workspace, unless a later file or statement drops it.',
        'SQL generated from a schema the workspace declares: Prisma Migrate migrations (`migrations/<name>/migration.sql`) of tables a Prisma model maps, and drizzle-kit migrations (statements separated by `--> statement-breakpoint`). `prisma-relation-without-index` and `drizzle-foreign-key-without-index` report the key in the schema, where the fix belongs: the next generated migration creates the index, and one appended to a migration that already ran would never run. Tables written by hand into a Prisma migration are still checked.',
        'Columns that are the primary key or unique, or lead a composite `PRIMARY KEY (...)`, `UNIQUE (...)` of the table.',
        'MySQL schemas (backtick identifiers, `ENGINE=`, `AUTO_INCREMENT`), and every schema of a project on MySQL or MariaDB (`"sql": { "database": "mysql" }` in `perflens.json`, or every database URL string literal in the Python code of the workspace naming MySQL or MariaDB, as `unindexed-foreign-key` describes): InnoDB indexes every foreign key itself.',
        'Columns indexed by an ORM model (`index=True`) or an Alembic migration on a table of the same name.',
        'Foreign keys written in SQL strings inside Python code (only `.sql` files declare the schema this rule reads).',
      ],
      fixSafety:
        'Safe: a new index changes no query result. The fix appends `CREATE INDEX <table>_<column>_idx ON ' +
        '<table> (<column>);` after the `CREATE TABLE` (or `ALTER TABLE`) statement, written like the ' +
        "file's other statements: in lower case in a lower-case file, named as most of its indexes are " +
        '(`<table>__<column>`, `idx_<table>_<column>`, `ix_<table>_<column>`, `<table>_<column>_index`), after ' +
        'a blank line when one follows the table. It is not offered in ' +
        'numbered or versioned migration files (`V3__x.sql`, `0004_x.sql`, files under `migrations/`): ' +
        'editing an applied migration does not change existing databases and breaks Flyway checksums; add ' +
        'a new migration there instead. On a large live PostgreSQL table prefer `CREATE INDEX CONCURRENTLY`.',
    },
  },
  checkWorkspace(ctx) {
    // InnoDB gives every foreign key an index: nothing here is unindexed on MySQL or MariaDB.
    if (indexesForeignKeysItself(projectDatabase(ctx))) return;
    const tables = ctx.index.allTables();
    const prismaTables = new Set(
      tables.flatMap(({ table }) => (table.source === 'prisma' ? [table.name] : [])),
    );
    // A file declares many tables and the CLI's `readText` reads the disk each time: read each
    // file once to tell whether drizzle-kit wrote it.
    const drizzleKitOutput = new Map<string, boolean>();
    const isDrizzleKitOutput = (file: string): boolean => {
      let known = drizzleKitOutput.get(file);
      if (known === undefined) {
        known = ctx.readText(file)?.includes(DRIZZLE_KIT_BREAKPOINT) ?? false;
        drizzleKitOutput.set(file, known);
      }
      return known;
    };
    for (const { file, table } of tables) {
      if (table.source !== 'sql') continue;
      if (!table.columns.some((column) => column.foreignKey)) continue;
      if (isGeneratedFromSchema(file, table.name, prismaTables, isDrizzleKitOutput)) continue;
      const fixable = !ORDERED_MIGRATION.test(file) && !isMigrationPath(file);
      for (const column of table.columns) {
        const key = column.foreignKey;
        if (!key || column.primaryKey || column.unique || column.indexed) continue;
        if (ctx.index.isIndexedColumn(table.name, column.name)) continue;
        const text = fixable ? ctx.readText(file) : undefined;
        const fix = text !== undefined ? createIndexFix(table, column, text) : undefined;
        const target = key.column ? `${key.table}.${key.column}` : key.table;
        ctx.report(file, {
          start: column.start,
          end: column.end,
          message:
            `Foreign key \`${table.name}.${column.name}\` (to \`${target}\`) has no index: joins, ` +
            `lookups by \`${column.name}\` and deletes in \`${key.table}\` scan all of \`${table.name}\``,
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
};
