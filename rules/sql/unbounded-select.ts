import type { Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { readsInBatches } from '../../server/src/python/orm';
import { isBatchCode } from '../../server/src/python/scope-analysis';
import { combinesBranches } from '../../server/src/sql/bounded-rows';
import { isMigrationPath, isUnboundedSelect, statementRange } from '../../server/src/sql/helpers';
import type { SqlStatement } from '../../server/src/sql/statements';
import { toHost, type SqlUnit } from '../../server/src/sql/unit';

/** Top-level clauses that must stay after an added `LIMIT`. */
const AFTER_LIMIT = ['OFFSET', 'FOR'];

/** Where `LIMIT n` goes: before a trailing `OFFSET`/`FOR UPDATE`, else after the last token. */
function limitInsertion(statement: SqlStatement): { at: number; before: boolean } {
  const top = statement.topLevel;
  const select = top.findIndex((token) => token.upper === 'SELECT');
  for (let i = Math.max(0, select); i < top.length; i++) {
    if (AFTER_LIMIT.includes(top[i].upper) && top[i].type === 'word') {
      const next = top[i + 1]?.upper;
      if (top[i].upper === 'FOR' && !['UPDATE', 'SHARE', 'NO', 'KEY'].includes(next ?? ''))
        continue;
      return { at: top[i].start, before: true };
    }
  }
  return { at: statement.end, before: false };
}

/**
 * Whether text inserted at SQL offset `at` is sent on every path: always for SQL written as one
 * expression; for SQL built with `+=` (or `query = query + ...`), only within the last piece, when that piece is added on
 * every path (`if kind: query += " WHERE kind = ?"` would carry the limit only when `kind` is set).
 */
function insertsOnEveryPath(unit: SqlUnit, at: number): boolean {
  const last = unit.pieces?.at(-1);
  return !last || (!last.conditional && at > last.sqlStart);
}

/** Why no `LIMIT` fix is offered: the clause that completes "no fix is offered: ...". */
const WITHHELD = {
  combined:
    'after `UNION`, `INTERSECT` or `EXCEPT` a `LIMIT` would cut the combined result, not one branch',
  conditional:
    'the SQL is built in pieces and its last piece is added only on some paths, where a `LIMIT` ' +
    'would not always apply',
  hole:
    'the statement ends with an interpolated value, and no literal SQL text follows it to hold ' +
    'the `LIMIT`',
};

/** The `LIMIT n` fix, or why none is offered. */
function limitFix(unit: SqlUnit, statement: SqlStatement, limit: number): Fix | string {
  const { at, before } = limitInsertion(statement);
  if (!insertsOnEveryPath(unit, at)) return WITHHELD.conditional;
  const host = toHost(unit, at);
  // The end must fall inside literal SQL text, or at the start of the text that follows a masked
  // run-time hole (`... = ${id}\n  \``): the host offset of a hole's own end is not known.
  const segment = unit.segments.find(
    (s) => s.length > 0 && s.sqlStart <= at && at <= s.sqlStart + s.length,
  );
  if (!segment && unit.origin === 'embedded' && !before) return WITHHELD.hole;
  return {
    title: `Add \`LIMIT ${limit}\``,
    safety: 'unsafe',
    edits: [{ start: host, end: host, newText: before ? `LIMIT ${limit} ` : ` LIMIT ${limit}` }],
  };
}

/** The placeholder style the statement already uses, and the form a new limit parameter takes. */
function limitPlaceholder(
  statement: SqlStatement,
): { text: string; kind: 'sequence' | 'mapping' } | undefined {
  const params = statement.tokens
    .filter((token) => token.type === 'param')
    .map((token) => token.text);
  if (params.length === 0) return undefined;
  if (params.every((p) => p === '?')) return { text: '?', kind: 'sequence' };
  if (params.every((p) => p === '%s')) return { text: '%s', kind: 'sequence' };
  if (params.every((p) => /^\$\d+$/.test(p))) {
    const next = Math.max(...params.map((p) => Number(p.slice(1)))) + 1;
    return { text: `$${next}`, kind: 'sequence' };
  }
  if (params.every((p) => /^:\w+$/.test(p)) && !params.includes(':limit'))
    return { text: ':limit', kind: 'mapping' };
  if (params.every((p) => /^%\(\w+\)s$/.test(p)) && !params.includes('%(limit)s')) {
    return { text: '%(limit)s', kind: 'mapping' };
  }
  return undefined;
}

/**
 * The parameterised form: `LIMIT ?` (in the statement's own placeholder style) and the limit added
 * to the literal parameters passed with it, so the value can later come from the caller.
 */
function parameterisedLimitFix(
  unit: SqlUnit,
  statement: SqlStatement,
  limit: number,
): Fix | undefined {
  const parameters = unit.parameters;
  if (!parameters || unit.statements.length !== 1) return undefined;
  const { at, before } = limitInsertion(statement);
  if (before) return undefined; // a trailing `OFFSET ?` would take the new parameter's position
  if (!insertsOnEveryPath(unit, at)) return undefined;
  const placeholder = limitPlaceholder(statement);
  if (!placeholder || placeholder.kind !== parameters.kind) return undefined;
  const item = parameters.kind === 'mapping' ? `"limit": ${limit}` : String(limit);
  if (parameters.kind === 'mapping' && /["']limit["']\s*:/.test(parameters.text)) return undefined;
  const inner = parameters.text.slice(1, -1).trimEnd();
  const innerStart = parameters.start + 1;
  let itemEdit;
  if (inner.trim() === '') {
    const literal =
      parameters.kind === 'mapping' ? `{${item}}` : parameters.tuple ? `(${item},)` : `[${item}]`;
    itemEdit = { start: parameters.start, end: parameters.end, newText: literal };
  } else if (inner.endsWith(',')) {
    const comma = innerStart + inner.length - 1;
    itemEdit = { start: comma, end: comma + 1, newText: `, ${item}` };
  } else {
    const end = innerStart + inner.length;
    itemEdit = { start: end, end, newText: `, ${item}` };
  }
  const host = toHost(unit, at);
  return {
    title: `Add \`LIMIT ${placeholder.text}\` with ${limit} as a query parameter`,
    safety: 'unsafe',
    edits: [{ start: host, end: host, newText: ` LIMIT ${placeholder.text}` }, itemEdit],
  };
}

/** Prisma's `$executeRaw` returns the number of affected rows, never the rows themselves. */
function sendsNoRows(unit: SqlUnit): boolean {
  return /(?:^|\.)\$executeRaw(?:Unsafe)?$/.test(unit.sink ?? '');
}

/**
 * The fixes for one statement, and when there are none, why. After `UNION`/`INTERSECT`/`EXCEPT` a
 * `LIMIT` cuts the combined result, not one branch: which rows it drops depends on the whole.
 */
function limitFixes(
  unit: SqlUnit,
  statement: SqlStatement,
  limit: number,
): { fixes: Fix[]; withheld?: string } {
  if (combinesBranches(statement)) return { fixes: [], withheld: WITHHELD.combined };
  const literal = limitFix(unit, statement, limit);
  const fixes = [literal, parameterisedLimitFix(unit, statement, limit)].filter(
    (fix): fix is Fix => typeof fix === 'object',
  );
  // With no fix at all, the literal fix said why it is withheld.
  return fixes.length > 0 ? { fixes } : { fixes, withheld: literal as string };
}

/** Whether the outermost query groups its rows (`GROUP BY`), in a single query (no `UNION`). */
function groupsRows(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  const grouped = top.some(
    (token, i) => token.type === 'word' && token.upper === 'GROUP' && top[i + 1]?.upper === 'BY',
  );
  return grouped && !combinesBranches(statement);
}

/** What the statement returns without a `LIMIT`: rows, or one row per group. */
function unboundedWhat(statement: SqlStatement): string {
  return groupsRows(statement)
    ? '`SELECT` with `GROUP BY` has no `LIMIT`: it returns one row per group, as many as there ' +
        'are distinct values of the grouping keys, and that grows with the data'
    : '`SELECT` has no `LIMIT`: it returns every matching row, however many the table holds';
}

/**
 * For SQL in batch code (a command, a script, a background job), which usually must see every row
 * or group: the advice is to read them in pieces, as `unbounded-orm-query` gives there.
 */
const BATCH_ADVICE =
  'batch code (a command or a background job) that needs every row should read them in pieces ' +
  '(pages ordered by a key, continuing after the last one seen, or `fetchmany(n)` in a loop) ' +
  'rather than hold them all; no fix is offered: a `LIMIT` would silently skip the rest';

/** `SELECT` statements that return every matching row. */
export const unboundedSelect: Rule = {
  meta: {
    id: 'unbounded-select',
    language: 'sql',
    category: 'unbounded-query',
    severity: 'warning',
    summary: '`SELECT` without `LIMIT` returns every matching row',
    fix: { title: 'Add `LIMIT n`', safety: 'unsafe', availability: 'sometimes' },
    docs: {
      whatItDoes:
        'Finds `SELECT` statements whose outermost query has no `LIMIT`, `FETCH FIRST`, `TOP` or `OFFSET` ' +
        'paging, in `.sql` files and in SQL strings passed to `execute`, `sql`, `text()`, `read_sql` and ' +
        'similar calls (including f-strings, triple-quoted and concatenated strings, and SQL built in a ' +
        'variable with `+=` or `query = query + ...` in the same function, where every piece added ' +
        'on any path is read, ' +
        'filters joined with `" AND ".join(...)` included). The query methods of encode/databases ' +
        '(`await database.fetch_all(query=...)`, `fetch_one`, `fetch_val`, `iterate`) and an ' +
        "app's own wrappers of the same names (`await db.fetchall(sql, values, Model)`, `fetchone`) " +
        'count when the string is a whole statement (`SELECT ... FROM`, `INSERT INTO`, ...).',
      whyIsThisBad:
        'The number of rows such a query returns grows with the table. It is fast in development and on ' +
        'small tenants, then one day it loads a million rows into memory, holds a connection for seconds ' +
        'and runs the worker out of memory.',
      example: [
        'rows = conn.execute("SELECT id, message FROM events WHERE level = ?", (level,)).fetchall()',
        '',
        'query = "SELECT id, message FROM events"',
        'if host:',
        '    query += f" WHERE host = \'{host}\'"',
        'query += " ORDER BY created_at DESC"',
        'rows = conn.execute(query).fetchall()',
      ].join('\n'),
      useInstead: [
        'rows = conn.execute("SELECT id, message FROM events WHERE level = ? LIMIT 1000", (level,)).fetchall()',
        '',
        'query = "SELECT id, message FROM events"',
        'if host:',
        '    query += f" WHERE host = \'{host}\'"',
        'query += " ORDER BY created_at DESC LIMIT 1000"',
        'rows = conn.execute(query).fetchall()',
      ].join('\n'),
      notFlagged: [
        "Aggregates without `GROUP BY` (`SELECT count(*) FROM t`), which return one row, and aggregates grouped only by calendar buckets (`GROUP BY date_trunc('day', created_at)`, `DATE_PART`, `EXTRACT`, by alias or position), which return one row per day or month of the range read.",
        'Down-samples of a range: `SELECT DISTINCT` of window values only (`FIRST_VALUE(price) OVER w`), ' +
          'each window partitioned by a time bucket (`FLOOR((EXTRACT(EPOCH FROM ts) - start) / step)`, ' +
          "`date_trunc('day', ts)`, `time_bucket(...)`, beside other keys such as the series), under a " +
          '`WHERE` that bounds a range (`BETWEEN`, or a lower and an upper comparison): one row per ' +
          'bucket of the range the caller asks for. The same query with no bucketed window (a plain ' +
          '`ORDER BY date` over the range), or combined with another by `UNION`, is still reported.',
        'Queries that read a generated series first (`FROM generate_series(...)`, or a CTE over one) and join tables only with `LEFT JOIN`: one row per value of the series.',
        'Lookups by primary key or a unique column (`WHERE id = ?`, `WHERE id IN ($1, $2)`, or `IN` one placeholder that the driver expands into the list it is given: `WHERE queries.id IN :ids` with SQLAlchemy, `IN %s` with psycopg2), and statements whose result is read with `.fetchone()`, `.first()`, `.scalar()`, `fetchrow` or `fetchval`, or sent with `fetch_one` / `fetch_val` / `fetchone(sql, ...)`.',
        'One owner\u2019s rows for a page of keys: a `WHERE` that pins one key-like column (`userId`, `user_id`) to a value and matches another against a list of values, with `AND` only (`WHERE "userId" = ${userId} AND "modelVersionId" IN (${Prisma.join(pageIds)})`): at most the listed keys\u2019 rows, as on a link table. The list alone (`"postId" IN (...)`: every comment of those posts), a list from a subquery (`IN (SELECT ...)`), an `OR`, or a pin to another column is still reported.',
        '`EXISTS (...)` checks and `SELECT` without `FROM`.',
        'SQL whose result the code drops unread, as in a probe that only checks that a table exists or the connection works (`await session.execute(text("SELECT * FROM alembic_version"))` as a statement of its own, inside `try`): no row reaches the program. A later use of the receiver that may read the rows keeps the finding (`cur.execute(q)` then `cur.fetchall()`, `for row in cur`, DuckDB `con.df()`).',
        "Reads of the database's own catalog only (`information_schema.columns`, `pg_catalog.pg_type`, " +
          "`pg_tables`, `sqlite_master`, Oracle's `user_tables`/`all_tables`/`dual`, `FROM current_schema()`, " +
          'derived tables over them): one row per schema object, however ' +
          'large the data grows.',
        'Queries that already page (`LIMIT`, `FETCH FIRST`, `TOP`), DDL, DML (`INSERT ... SELECT`) and views.',
        'Files under migration folders (`migrations/`, `alembic/versions/`, `db/migrations/`, ...), `.sql` files and SQL embedded in Python or TypeScript alike: a data migration must read every row, and a `LIMIT` would leave the rest unmigrated.',
        'No `LIMIT` fix for SQL embedded in Python batch code (management commands, `scripts/`, ' +
          'background-job modules: the test `unbounded-orm-query` uses), such as a nightly job that ' +
          'totals every customer with `GROUP BY`: the statement is still reported, with advice to read ' +
          'the rows in pieces, since a `LIMIT` would silently cut the job short.',
        'SQL whose run-time parts (f-string holes) may add the limit: `f"SELECT ... {limit_clause}"`.',
        'SQL that wraps a query built elsewhere, every source of its outermost `FROM` being a run-time ' +
          'hole in parentheses (`f"SELECT * FROM ({sql}) t WHERE row_number = 1"` over the ' +
          "`sql_with_params()` of a sliced Django queryset, as NetBox's search does): the spliced query " +
          'decides how many rows come back and may hold the `LIMIT`. A table joined beside it, or an inner ' +
          'query written out in the string, is judged as usual.',
        'SQL built with `+=` (or `query = query + ...`) when any piece, even one added only in a ' +
          'branch, has a `LIMIT` (`if limit: query += f" LIMIT {limit}"`), or when a piece is no ' +
          'string at all (`query += where_clause`, `query = query + clause`, `" ".join(clauses)`): ' +
          'that piece may carry the limit. SQL ' +
          'variables assigned as a whole more than once, or extended after the call that sends ' +
          'them, are not followed.',
        "`SELECT` run with Prisma's `$executeRaw`, which returns a count, not rows (as in `SELECT ... FOR UPDATE` run only to lock rows).",
        'Fragments spliced into another statement (`const where = Prisma.sql`...``, then `${where}` in a `$queryRaw` that has the `LIMIT`): the statement they end up in is judged instead.',
        'Results read in batches, which stream the rows instead of holding them: `.fetchmany(n)` chained or in the statements right after `cursor.execute(...)`, DuckDB `fetch_df_chunk` / `fetch_record_batch`, encode/databases `iterate(...)`.',
        'Calls named like a query method whose string is not a whole statement (`await feed.fetch_all("front-page")`), and an app wrapper\'s `fetch_page(sql, ...)`, which adds the paging itself.',
      ],
      fixSafety:
        'Unsafe: adding `LIMIT` changes how many rows the code receives. It is the right bound for lists ' +
        'shown to people, but code that needs every row (exports, migrations) must page instead. ' +
        'SQL embedded in Python batch code gets no fix, by the test `unbounded-orm-query` uses: ' +
        'Django management commands (`<app>/management/commands/*.py`), files under `scripts/`, and ' +
        'background jobs (a module that defines `@shared_task`, `@app.task`, `@periodic_task`, ' +
        '`@dramatiq.actor`, `@scheduler.scheduled_job`, ..., its helpers included, or a `tasks.py` / ' +
        '`tasks/` / `jobs/` module that shows a task framework). Such a job (a nightly total per ' +
        'group, an export) usually must see every row, so the finding asks to read them in pieces ' +
        '(pages ordered by a key, or `fetchmany(n)` in a loop) instead. The limit ' +
        'comes from `sql.defaultLimit` (default 1000); placeholders, quotes and the trailing `;` are kept. ' +
        'On a locking read (`FOR UPDATE`) the limit also bounds the rows locked; on a grouped ' +
        'query (`GROUP BY`) it keeps n groups (the first n by its `ORDER BY`, else any n), so code that ' +
        're-aggregates or totals the groups must page instead. ' +
        'No fix is offered after `UNION`, `INTERSECT` or `EXCEPT`: the limit would cut the combined ' +
        'result (dropping rows of either branch, such as the newest points of a chart), not one branch. ' +
        'For SQL built with `+=` or `query = query + ...`, the limit goes into the last piece, and ' +
        'only when that piece is ' +
        'added on every path (not inside an `if` or a loop); otherwise there is no fix, since a ' +
        'limit in a conditional piece would apply on one path only. ' +
        'A statement that ends with an interpolated value (`WHERE name = ${name}`) gets the limit ' +
        'in the literal text after it (the template\u2019s closing line); when the string ends right ' +
        'after the value, there is no literal text to put it in, and no fix. Whenever no fix is ' +
        'offered, the message says why. ' +
        "For SQL passed with literal parameters, a second fix adds `LIMIT ?` in the statement's own " +
        'placeholder style (`?`, `%s`, `$n`, `:limit`, `%(limit)s`) and the limit to the parameters.',
    },
  },
  check(ctx) {
    // Migrations run once and must see every row (a data backfill), whatever language hosts the
    // SQL: a `LIMIT` there would silently leave rows unmigrated.
    if (isMigrationPath(ctx.relativePath)) return;
    let keys: ReadonlySet<string> | undefined;
    // Asked once, and only when a finding is about to be reported.
    let batch: boolean | undefined;
    for (const unit of ctx.sqlUnits) {
      // A fragment's bound is the statement it is spliced into; `$executeRaw` returns a count.
      // A result dropped unread (`await session.execute(text(probe))`) brings no rows to the code.
      if (unit.readsOneRow || unit.resultDiscarded || unit.fragment || sendsNoRows(unit)) continue;
      for (const statement of unit.statements) {
        if (!isUnboundedSelect(statement, () => (keys ??= ctx.index.keyColumnNames()))) continue;
        if (ctx.python && readsInBatches(ctx.python, unit)) continue;
        batch ??= !!ctx.python && isBatchCode(ctx.python, ctx.relativePath);
        if (batch) {
          // A nightly job that totals every group must see them all: no `LIMIT` to add.
          ctx.report({
            ...statementRange(unit, statement),
            message: `${unboundedWhat(statement)}; ${BATCH_ADVICE}`,
            fixes: [],
          });
          continue;
        }
        const { fixes, withheld } = limitFixes(unit, statement, ctx.options.defaultLimit);
        ctx.report({
          ...statementRange(unit, statement),
          message: unboundedWhat(statement) + (withheld ? `; no fix is offered: ${withheld}` : ''),
          fixes,
        });
      }
    }
  },
};
