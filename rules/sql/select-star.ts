import type { Rule } from '../../server/src/engine/rule';
import { isMigrationPath, tokenRange } from '../../server/src/sql/helpers';
import {
  hasRowLimit,
  looksUpByKey,
  readsOnlyCatalog,
  selectsStar,
  type SqlStatement,
} from '../../server/src/sql/statements';

/** The statement reads at most one row: `LIMIT 1`, `FETCH FIRST 1`, or a key lookup. */
function readsOneRow(statement: SqlStatement, keys: () => ReadonlySet<string>): boolean {
  const top = statement.topLevel;
  const limit = top.findIndex(
    (t) => t.type === 'word' && (t.upper === 'LIMIT' || t.upper === 'FIRST'),
  );
  if (limit !== -1 && hasRowLimit(statement) && top[limit + 1]?.text === '1') return true;
  return looksUpByKey(statement, keys());
}

/** `SELECT *` in the outermost query: every column travels, used or not. */
export const selectStar: Rule = {
  meta: {
    id: 'select-star',
    language: 'sql',
    category: 'over-fetching',
    severity: 'info',
    summary: '`SELECT *` fetches every column, including ones the code never reads',
    docs: {
      whatItDoes:
        'Finds `SELECT *` and `SELECT t.*` in the select list of the outermost query, in `.sql` files and in ' +
        'SQL strings passed to `execute`, `sql`, `text()`, `read_sql` and similar calls (also encode/databases ' +
        "`fetch_all`/`fetch_one`/`iterate` and an app's own `db.fetchall(sql, ...)`/`fetchone` wrappers, " +
        'when the string is a whole statement).',
      whyIsThisBad:
        'Every column is read, sent over the wire and turned into Python objects, including large `TEXT`, ' +
        '`JSON` and `BYTEA` columns nobody reads. Covering indexes cannot serve the query, columnar engines ' +
        '(DuckDB over Parquet) lose projection pushdown and read whole files, and a column added to the ' +
        'table later silently makes every such query heavier.',
      example: 'SELECT * FROM events WHERE level = ? ORDER BY ts DESC LIMIT 100',
      useInstead:
        'SELECT id, ts, level, message FROM events WHERE level = ? ORDER BY ts DESC LIMIT 100',
      notFlagged: [
        '`count(*)` and other stars inside function calls, `EXISTS (SELECT * ...)` and `*` in subqueries of the WHERE clause.',
        '`SELECT *` inside a CTE or a derived table when the outer query names its columns (`WITH x AS (SELECT * FROM t) SELECT id, ts FROM x`): the planner reads only the named columns.',
        '`SELECT *` over derived tables and CTEs that name their columns (`WITH ranked AS (SELECT id, ... ) SELECT * FROM ranked`): the columns were chosen inside. A star inside the CTE makes the outer star count.',
        '`SELECT *` over a query spliced in whole (`f"SELECT * FROM ({sql}) t WHERE row_number = 1"`, ' +
          "wrapping a Django queryset's `sql_with_params()` for `Model.objects.raw`): its columns were " +
          'chosen where that query is built. A table joined beside it still counts.',
        'DuckDB `SELECT * EXCLUDE (...)` / `* REPLACE (...)`, which choose the columns deliberately.',
        '`INSERT INTO ... SELECT *`, `CREATE TABLE/VIEW ... AS SELECT *` and `COPY (SELECT * ...) TO`: the rows stay in the database or go to a file whole, by intent.',
        'Statements that read at most one row: `LIMIT 1`, lookups by `id`/`uuid`/`pk` or a column the workspace schema declares primary key or unique, and strings whose result is read with `.fetchone()` / `.first()`.',
        "The database's own catalog (`information_schema.*`, `pg_catalog`, `pg_tables`, `sqlite_master`, " +
          '`current_schema()`): its columns are fixed by the database and its rows follow the schema.',
        'SQL whose result the code drops unread, as in a probe that only checks that a table exists (`await session.execute(text("SELECT * FROM alembic_version"))` as a statement of its own, with no later use of `session` that could read the rows; a cursor read afterwards with `cur.fetchall()` or `for row in cur` still counts).',
        'Files under migration folders.',
      ],
    },
  },
  check(ctx) {
    if (isMigrationPath(ctx.relativePath)) return;
    let keys: ReadonlySet<string> | undefined;
    const keyLookup = () => (keys ??= ctx.index.keyColumnNames());
    for (const unit of ctx.sqlUnits) {
      if (unit.readsOneRow || unit.resultDiscarded) continue;
      for (const statement of unit.statements) {
        if (statement.kind !== 'select') continue;
        const star = selectsStar(statement);
        if (!star || readsOneRow(statement, keyLookup) || readsOnlyCatalog(statement)) continue;
        const quoted = star.text === '*' ? '*' : `${star.text}.*`;
        const range = tokenRange(unit, star);
        ctx.report({
          start: range.start,
          end: range.end + (quoted.length - star.text.length),
          message: `\`SELECT ${quoted}\` fetches every column, also those the code never reads; name the columns it needs`,
        });
      }
    }
  },
};
