/** Helpers SQL rules share: statement locations in host files and masked run-time holes. */
import { downsamplesRange, groupsByCalendar, readsSeries } from './bounded-rows';
import {
  hasOffset,
  hasRowLimit,
  looksUpByKey,
  looksUpPageOfKeys,
  readsOnlyCatalog,
  readsOnlyUnseenQueries,
  returnsSingleRow,
  type SqlStatement,
} from './statements';
import { isHole, type SqlToken } from './tokens';
import { toHost, type SqlUnit } from './unit';

const VALUE_CONTEXT = new Set([
  '=',
  '<',
  '>',
  '!',
  '(',
  ',',
  '+',
  '-',
  '*',
  '/',
  '%',
  '||',
  'IN',
  'LIKE',
  'ILIKE',
  'IS',
  'BETWEEN',
  'AND',
  'OR',
  'NOT',
  'LIMIT',
  'OFFSET',
  'TOP',
  'SET',
  'VALUES',
  'INTERVAL',
]);

/**
 * Whether the statement has a run-time hole that may hold whole clauses (`f"... {where} {limit}"`):
 * a hole not in a value position. Absence claims ("no LIMIT") cannot be trusted then.
 */
export function hasClauseHole(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  for (let i = 0; i < top.length; i++) {
    if (!isHole(top[i])) continue;
    const previous = top[i - 1];
    if (!previous) return true;
    const last = previous.upper.slice(-1);
    if (VALUE_CONTEXT.has(previous.upper) || VALUE_CONTEXT.has(last)) continue;
    // `FROM {table}` / `JOIN {table}` / `SELECT {cols}`: names, not clauses.
    if (
      ['FROM', 'JOIN', 'SELECT', 'BY', 'ON', 'AS', 'INTO', 'UPDATE', 'TABLE', '.'].includes(
        previous.upper,
      )
    )
      continue;
    return true;
  }
  return false;
}

/**
 * Host range of a statement, for reporting. The first statement of an embedded string starts at
 * the string's opening quote, so the finding sits on the line the string starts on.
 */
export function statementRange(
  unit: SqlUnit,
  statement: SqlStatement,
): { start: number; end: number } {
  const first = unit.origin === 'embedded' && unit.statements[0] === statement;
  return {
    start: first ? unit.hostStart : toHost(unit, statement.start),
    end: toHost(unit, statement.end),
  };
}

/** Host range of a token. */
export function tokenRange(unit: SqlUnit, token: SqlToken): { start: number; end: number } {
  return { start: toHost(unit, token.start), end: toHost(unit, token.end) };
}

/** Whether a path is a migration (SQL there shapes the schema; it does not serve requests). */
export function isMigrationPath(relativePath: string): boolean {
  return /(^|\/)(migrations?|alembic|versions|migrate|db\/migrate|flyway|liquibase)(\/|$)/i.test(
    relativePath,
  );
}

/**
 * The statement reads every row it matches: a `SELECT` with no limit or offset paging, not an
 * aggregate, not a key lookup, and no run-time hole that could add the limit. `keyColumns` is
 * asked only when the rest holds (it may cost a look at the workspace).
 */
export function isUnboundedSelect(
  statement: SqlStatement,
  keyColumns: () => ReadonlySet<string> = () => new Set(),
): boolean {
  if (statement.kind !== 'select' || hasRowLimit(statement) || hasOffset(statement)) return false;
  if (returnsSingleRow(statement) || hasClauseHole(statement) || readsOnlyCatalog(statement))
    return false;
  if (readsOnlyUnseenQueries(statement)) return false;
  if (groupsByCalendar(statement) || readsSeries(statement) || downsamplesRange(statement))
    return false;
  return !looksUpByKey(statement, keyColumns()) && !looksUpPageOfKeys(statement);
}
