import { lineEndingOf } from '../../server/src/engine/line-endings';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import { ts } from '../../server/src/typescript/compiler';
import {
  DRIZZLE_DIALECT_MODULES,
  dialectExportName,
  drizzleTables,
  type DrizzleConfig,
  type DrizzleForeignKey,
  type DrizzleTable,
} from '../../server/src/typescript/drizzle-tables';
import {
  appendArrayElements,
  appendObjectProperties,
  importNamedFrom,
} from '../../server/src/typescript/edits';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import type { TsModel } from '../../server/src/typescript/model';
import { indentationAt } from '../../server/src/typescript/name-resolution';

/**
 * Whether an index of the table's extra config, or a `.primaryKey()`/`.unique()` column, serves
 * the key: an index whose leading columns are the key's columns (in any order, as an equality
 * lookup on all of them uses it either way), or a unique column among them, which finds at most
 * one row by itself.
 */
function coveredInTable(table: DrizzleTable, key: DrizzleForeignKey): boolean {
  const wanted = key.columns;
  const uniqueAlone = (column: string): boolean =>
    table.columns.some((c) => c.key === column && (c.primaryKey || c.unique)) ||
    table.indexes.some(
      (index) => index.unique && index.columns.length === 1 && index.columns[0] === column,
    );
  if (wanted.some(uniqueAlone)) return true;
  return table.indexes.some(
    (index) =>
      index.columns.length >= wanted.length &&
      index.columns
        .slice(0, wanted.length)
        .every((column) => column !== undefined && wanted.includes(column)),
  );
}

/** `projectId` → `project_id`: the name `casing: "snake_case"` gives a column declared unnamed. */
const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The database names a key column may have, lower-cased. */
function databaseNames(table: DrizzleTable, key: string): string[] {
  const column = table.columns.find((c) => c.key === key);
  const name = column?.name ?? key;
  return [...new Set([name.toLowerCase(), snakeCase(name).toLowerCase()])];
}

/**
 * Whether a `CREATE INDEX` of a SQL file in the workspace (a drizzle-kit migration, hand-written
 * DDL) leads with the key's columns on a table of the same name.
 */
function coveredBySql(ctx: FileContext, table: DrizzleTable, key: DrizzleForeignKey): boolean {
  if (!table.nameLiteral) return false;
  const names = key.columns.map((column) => databaseNames(table, column));
  return ctx.index.indexesOn(table.name).some((index) => {
    if (index.columns.length < names.length) return false;
    const leading = index.columns.slice(0, names.length).map((column) => column.toLowerCase());
    return names.every((candidates) => candidates.some((name) => leading.includes(name)));
  });
}

/** The table a target such as `projects.projectId` or `(orgs.id, orgs.region)` belongs to. */
function referencedTable(target: string): string | undefined {
  const match = /^\(?\s*([\w$]+)\./.exec(target);
  return match?.[1];
}

/**
 * The database names of the file's tables by the variable holding each (`statusReport` →
 * `status_report`), for tables whose name is written as a string.
 */
function tableNamesByVariable(tables: readonly DrizzleTable[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const table of tables)
    if (table.nameLiteral && table.variable) names.set(table.variable, table.name);
  return names;
}

/**
 * The referenced columns with a table of the file named as the child is, by its database name
 * (`statusReport.id` → `status_report.id`); a table of another file keeps its variable.
 */
function targetInTableNames(target: string, tableNames: ReadonlyMap<string, string>): string {
  return target.replace(/(?<![\w$.])[\w$]+(?=\.)/g, (word) => tableNames.get(word) ?? word);
}

function describe(
  table: DrizzleTable,
  key: DrizzleForeignKey,
  tableNames: ReadonlyMap<string, string>,
): string {
  const one = key.columns.length === 1;
  const subject = one
    ? `Foreign key \`${table.name}.${key.columns[0]}\``
    : `Foreign key \`(${key.columns.join(', ')})\` of \`${table.name}\``;
  const target = targetInTableNames(key.target, tableNames);
  const parent = referencedTable(target);
  const to = target ? ` (to \`${target}\`)` : '';
  const deletes = parent ? `deletes of \`${parent}\` rows` : 'deletes of the referenced rows';
  return (
    `${subject}${to} has no index leading with ${one ? 'it' : 'its columns'}: ${deletes} ` +
    `and filters or joins on ${one ? 'it' : 'them'} scan all of \`${table.name}\``
  );
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `index("deployment_projectId_idx").on(t.projectId)`, or undefined for keys no `t.` reaches. */
function indexExpression(
  table: DrizzleTable,
  key: DrizzleForeignKey,
  indexFunction: string,
  parameter: string,
): string | undefined {
  if (!key.columns.every((column) => IDENTIFIER.test(column))) return undefined;
  const quote = table.nameLiteral?.getText().startsWith("'") ? "'" : '"';
  const names = key.columns.map(
    (column) => table.columns.find((c) => c.key === column)?.name ?? column,
  );
  const name = `${table.name}_${names.join('_')}_idx`;
  const on = key.columns.map((column) => `${parameter}.${column}`).join(', ');
  return `${indexFunction}(${quote}${name}${quote}).on(${on})`;
}

/**
 * How the file calls the dialect's `index`: its import (`index`, `pg.index`), or `index` added to
 * the `{ ... }` import of the dialect module when the name is free.
 */
function indexFunctionOf(
  model: TsModel,
  table: DrizzleTable,
): { name: string; edits: TextEdit[] } | undefined {
  const bound = dialectExportName(model, table.dialect, 'index');
  if (bound) return { name: bound, edits: [] };
  const edits = importNamedFrom(model, DRIZZLE_DIALECT_MODULES[table.dialect], 'index');
  return edits && { name: 'index', edits };
}

/** A property name for the object form that `taken` does not hold yet: `projectIdIdx`. */
function freePropertyName(taken: Set<string>, key: DrizzleForeignKey): string {
  const base = key.columns
    .map((column, i) => (i === 0 ? column : column[0].toUpperCase() + column.slice(1)))
    .join('');
  let name = `${base}Idx`;
  for (let n = 2; taken.has(name); n++) name = `${base}Idx${n}`;
  taken.add(name);
  return name;
}

/** The edits that add `expressions` to the config's array, or as properties of its object. */
function extendConfigEdits(
  model: TsModel,
  config: DrizzleConfig,
  keys: readonly DrizzleForeignKey[],
  expressions: readonly string[],
): TextEdit[] {
  const { container } = config;
  if (ts.isArrayLiteralExpression(container))
    return appendArrayElements(model.text, model.sourceFile, container, expressions);
  const taken = new Set(
    container.properties.flatMap((p) => (p.name && ts.isIdentifier(p.name) ? [p.name.text] : [])),
  );
  const properties = keys.map((key, i) => `${freePropertyName(taken, key)}: ${expressions[i]}`);
  return appendObjectProperties(model.text, model.sourceFile, container, properties);
}

/**
 * The fix of every finding of a table: an index per unindexed key added to the table's extra
 * config, or a new extra config holding them when it has none. One fix for the table, so the
 * fixes of its findings are the same edits and apply together.
 */
function addIndexesFix(
  model: TsModel,
  table: DrizzleTable,
  unindexed: readonly DrizzleForeignKey[],
): Fix | undefined {
  const indexFunction = indexFunctionOf(model, table);
  if (!indexFunction || (table.hasConfig && !table.config)) return undefined;
  const parameter = table.config?.parameter ?? 'table';
  const expressions = unindexed.map((key) =>
    indexExpression(table, key, indexFunction.name, parameter),
  );
  if (!expressions.every((expression) => expression !== undefined)) return undefined;
  const added = expressions.map((expression) => `\`${expression}\``).join(', ');
  if (table.config) {
    return {
      title: `Add ${added} to the extra config of \`${table.name}\``,
      safety: 'safe',
      edits: [
        ...extendConfigEdits(model, table.config, unindexed, expressions),
        ...indexFunction.edits,
      ],
    };
  }
  const argument = `(table) => [${expressions.join(', ')}]`;
  const at = table.call.arguments[1].end;
  return {
    title: `Add the extra config \`${argument}\` to \`${table.name}\``,
    safety: 'safe',
    edits: [
      { start: at, end: at, newText: `, ${newConfigText(model, table, expressions)}` },
      ...indexFunction.edits,
    ],
  };
}

/**
 * `(table) => [...]` for a new extra config: on one line for one index; one index per line
 * below a multi-line columns object, indented as its columns are.
 */
function newConfigText(model: TsModel, table: DrizzleTable, expressions: string[]): string {
  const { text, sourceFile } = model;
  const object = table.columnsObject;
  const first = object.properties[0];
  const close = object.end - 1;
  const line = (offset: number): number => sourceFile.getLineAndCharacterOfPosition(offset).line;
  if (expressions.length === 1 || !first || line(first.getStart(sourceFile)) === line(close))
    return `(table) => [${expressions.join(', ')}]`;
  const indent = indentationAt(text, first.getStart(sourceFile));
  const newline = lineEndingOf(text);
  const items = expressions.map((expression) => `${newline}${indent}${expression},`).join('');
  return `(table) => [${items}${newline}${indentationAt(text, close)}]`;
}

/** The table's foreign keys, each set of columns once, that no index serves. */
function unindexedKeys(ctx: FileContext, table: DrizzleTable): DrizzleForeignKey[] {
  const seen = new Set<string>();
  return table.foreignKeys.filter((key) => {
    const id = [...key.columns].sort().join(',');
    if (seen.has(id)) return false;
    seen.add(id);
    return !coveredInTable(table, key) && !coveredBySql(ctx, table, key);
  });
}

/** Drizzle `.references()` / `foreignKey()` columns of PostgreSQL and SQLite tables with no index. */
export const drizzleForeignKeyWithoutIndex: Rule = {
  meta: {
    id: 'drizzle-foreign-key-without-index',
    language: 'typescript',
    category: 'missing-index',
    severity: 'warning',
    summary:
      'Drizzle column with `.references(...)` (or in a `foreignKey(...)`) that no index leads',
    fix: {
      title: 'Add `index("<table>_<column>_idx").on(t.<column>)` to the table\u2019s extra config',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds the foreign keys of Drizzle tables, a column with `.references(() => other.id)` or the ' +
        'columns of a `foreignKey({ columns: [...], foreignColumns: [...] })` in the extra-config ' +
        'argument, that no index leads: the column is not the primary key or `.unique()`, and no ' +
        '`index(...)`, `uniqueIndex(...)`, `unique(...)` or composite `primaryKey(...)` of the extra ' +
        'config starts with it. Tables are `pgTable`, `sqliteTable`, `pgSchema(...).table`, and the ' +
        'tables of a `pgTableCreator(...)` / `sqliteTableCreator(...)` made in the file, each ' +
        'recognised only when imported from `drizzle-orm/pg-core` or `drizzle-orm/sqlite-core`.',
      whyIsThisBad:
        'PostgreSQL and SQLite do not index the referencing side of a foreign key, and Drizzle adds ' +
        'no index for `.references()`. Every delete or key update of a parent row (which must find ' +
        'the children to cascade, null or refuse), every `where: eq(deployments.projectId, id)` ' +
        'and every relational query or join from the parent then reads the whole child table. It ' +
        'is fast in development with a hundred rows and a full scan per request in production.',
      example: [
        'import { pgTable, text } from "drizzle-orm/pg-core";',
        '',
        'export const deployments = pgTable("deployment", {',
        '  id: text("id").primaryKey(),',
        '  projectId: text("projectId").references(() => projects.id, { onDelete: "cascade" }),',
        '});',
      ].join('\n'),
      useInstead: [
        'import { index, pgTable, text } from "drizzle-orm/pg-core";',
        '',
        'export const deployments = pgTable(',
        '  "deployment",',
        '  {',
        '    id: text("id").primaryKey(),',
        '    projectId: text("projectId").references(() => projects.id, { onDelete: "cascade" }),',
        '  },',
        '  (t) => [index("deployment_projectId_idx").on(t.projectId)],',
        ');',
      ].join('\n'),
      notFlagged: [
        'MySQL tables (`mysqlTable` of `drizzle-orm/mysql-core`): InnoDB creates an index for every foreign key itself. Functions named `pgTable` or `sqliteTable` that are not imported from `drizzle-orm/pg-core` or `drizzle-orm/sqlite-core`.',
        'Foreign-key columns that are the primary key or `.unique()`, or that lead an `index(...)`, `uniqueIndex(...)` (also `.using("btree" | "hash", ...)`), `unique(...).on(...)` or composite `primaryKey(...)` of the extra config, in its array form `(t) => [...]` or its object form `(t) => ({ ... })`. A partial index (`.where(...)`) counts.',
        'Composite foreign keys (`foreignKey({ columns: [t.a, t.b], ... })`) whose columns lead an index together, in either order, or that hold a column unique by itself.',
        'Foreign keys that a `CREATE INDEX` in a `.sql` file of the workspace (a drizzle-kit migration under `drizzle/`, hand-written DDL) leads on a table of the same name, the column by its database name (`text("project_id")`, or the snake_case of an unnamed column).',
        'Relations declared only with `relations(...)` (`one(projects, { fields: [...], references: [...] })`): they make no foreign key. Tables declared in test, seed and script files.',
      ],
      fixSafety:
        'Safe: an index changes no query result. The fix adds `index("<table>_<column>_idx").on(t.<column>)` ' +
        'to the table\u2019s extra config, for every unindexed foreign key of the table at once: as new ' +
        'elements of its array form, as new properties `<column>Idx` of its object form, or, when ' +
        'the table has none, as a new third argument `(table) => [...]`. It adds ' +
        '`index` to the `drizzle-orm/pg-core` (or `sqlite-core`) import when missing. It is not ' +
        'offered when the extra config is not an inline function returning an array or object, or ' +
        'when the file binds the name `index` to something else. Generate and apply a migration ' +
        '(`drizzle-kit generate`) to build the index; on a large live PostgreSQL table, edit it to ' +
        '`CREATE INDEX CONCURRENTLY`.',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    const tables = drizzleTables(model);
    const tableNames = tableNamesByVariable(tables);
    for (const table of tables) {
      const unindexed = unindexedKeys(ctx, table);
      const fix = unindexed.length > 0 ? addIndexesFix(model, table, unindexed) : undefined;
      for (const key of unindexed) {
        ctx.report({
          start: key.node.getStart(model.sourceFile),
          end: key.node.end,
          message: describe(table, key, tableNames),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
};
