/**
 * Statements whose row count is bounded by something other than the table: one row per calendar
 * bucket (`GROUP BY date_trunc('day', created_at)`), or one row per value of a generated series
 * (`FROM generate_series(...)`). Their size follows the date range the caller asks for; a `LIMIT`
 * would silently cut a long range short.
 */
import { identifierKey, selectList, splitAtCommas, type SqlStatement } from './statements';
import type { SqlToken } from './tokens';

/** Functions that map a timestamp to a calendar bucket (PostgreSQL, MySQL, SQLite, ClickHouse). */
const CALENDAR_FUNCTIONS =
  /^(?:DATE_TRUNC|DATE_PART|DATE_BIN|EXTRACT|DATE|TO_CHAR|DATE_FORMAT|STRFTIME|TIME_BUCKET|YEAR|MONTH|WEEK|DAY|HOUR|TOSTARTOF\w+|TODATE)$/;

/** Functions that generate the rows of a series from their arguments. */
const SERIES_FUNCTIONS = new Set(['GENERATE_SERIES', 'UNNEST', 'RANGE', 'GENERATE_DATE_ARRAY']);

const nonEmpty = (items: SqlToken[][]): SqlToken[][] => items.filter((item) => item.length > 0);

const isWord = (token: SqlToken | undefined, word?: string): boolean =>
  token?.type === 'word' && (word === undefined || token.upper === word);

/** `date_trunc(...)`, `EXTRACT(...)`: an expression that starts with a calendar function call. */
function isCalendarCall(item: SqlToken[]): boolean {
  const [head, open] = item.filter((token) => token.depth === 0);
  return isWord(head) && CALENDAR_FUNCTIONS.test(head.upper) && open?.text === '(';
}

/** The output name of a select-list item: `AS name`, or a trailing name after an expression. */
function aliasOf(item: SqlToken[]): string | undefined {
  const top = item.filter((token) => token.depth === 0);
  const last = top[top.length - 1];
  if (top.length < 2 || (last.type !== 'word' && last.type !== 'quoted')) return undefined;
  return identifierKey(last);
}

/** The outermost query's `GROUP BY` keys, each as its top-level tokens. */
function groupByKeys(statement: SqlStatement): SqlToken[][] {
  const top = statement.topLevel;
  const at = top.findIndex((token, i) => isWord(token, 'GROUP') && isWord(top[i + 1], 'BY'));
  if (at === -1) return [];
  const end = top.findIndex(
    (token, i) =>
      i > at + 1 &&
      isWord(token) &&
      ['HAVING', 'ORDER', 'LIMIT', 'WINDOW', 'QUALIFY'].includes(token.upper),
  );
  return nonEmpty(splitAtCommas(top.slice(at + 2, end === -1 ? top.length : end)));
}

/**
 * Whether the outermost query groups only by calendar buckets, written out or named by their
 * alias or position in the select list: one row per day, month or year of the range read.
 */
export function groupsByCalendar(statement: SqlStatement): boolean {
  const keys = groupByKeys(statement);
  if (keys.length === 0) return false;
  const selected = nonEmpty(splitAtCommas(selectList(statement)));
  return keys.every((key) => {
    if (isCalendarCall(key)) return true;
    if (key.length !== 1) return false;
    const [ref] = key;
    const position = ref.type === 'number' ? Number(ref.text) : NaN;
    const item = Number.isInteger(position)
      ? selected[position - 1]
      : selected.find((candidate) => aliasOf(candidate) === identifierKey(ref));
    return !!item && isCalendarCall(item);
  });
}

/** Names of the statement's CTEs whose own query reads a generated series. */
function seriesCtes(statement: SqlStatement): Set<string> {
  const names = new Set<string>();
  const tokens = statement.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    // `name AS (` at the top level opens a CTE body at depth 1.
    const [name, as, open] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (name.depth !== 0 || !isWord(as, 'AS') || open.text !== '(' || open.depth !== 0) continue;
    for (let k = i + 3; k + 1 < tokens.length && tokens[k].depth > 0; k++) {
      if (isWord(tokens[k], 'FROM') && SERIES_FUNCTIONS.has(tokens[k + 1].upper)) {
        names.add(identifierKey(name));
        break;
      }
    }
  }
  return names;
}

/**
 * Whether the outermost query reads a generated series first (`FROM generate_series(...)`, or a
 * CTE over one) and joins anything else only with `LEFT JOIN`: one row per series value.
 */
export function readsSeries(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  const select = top.findIndex((token) => isWord(token, 'SELECT'));
  const from = top.findIndex((token, i) => i > select && isWord(token, 'FROM'));
  if (select === -1 || from === -1) return false;
  const source = top[from + 1];
  if (!source) return false;
  const series =
    SERIES_FUNCTIONS.has(source.upper) || seriesCtes(statement).has(identifierKey(source));
  if (!series) return false;
  // Any other join may repeat each series row for every match, or be a table read of its own.
  return top.every(
    (token, i) =>
      i <= from ||
      !isWord(token, 'JOIN') ||
      isWord(top[i - 1], 'LEFT') ||
      isWord(top[i - 2], 'LEFT'),
  );
}
