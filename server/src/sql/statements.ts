/**
 * Splits SQL text into statements and answers the questions SQL rules ask of each: is it a read,
 * does its outermost query bound its rows, does it only aggregate, does it look up one key.
 */
import { tokenize, type SqlToken } from './tokens';

export type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'ddl' | 'set' | 'other';

export interface SqlStatement {
  kind: StatementKind;
  /** Offsets in the SQL text: first token to last token (trailing `;` excluded). */
  start: number;
  end: number;
  tokens: SqlToken[];
  /** Tokens outside any parentheses: the outermost query's own clauses. */
  topLevel: SqlToken[];
}

const DDL = new Set([
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'COMMENT',
  'GRANT',
  'REVOKE',
  'RENAME',
]);
const DML: Record<string, StatementKind> = {
  INSERT: 'insert',
  UPSERT: 'insert',
  REPLACE: 'insert',
  MERGE: 'update',
  UPDATE: 'update',
  DELETE: 'delete',
  COPY: 'other',
};

function classify(topLevel: SqlToken[]): StatementKind {
  const first = topLevel.find((token) => token.type === 'word');
  if (!first) return 'other';
  if (
    first.upper === 'SELECT' ||
    first.upper === 'VALUES' ||
    first.upper === 'TABLE' ||
    first.upper === 'FROM'
  ) {
    return 'select';
  }
  if (first.upper === 'WITH') {
    // The main statement of a CTE is the first top-level DML/SELECT keyword after the CTEs.
    for (const token of topLevel.slice(1)) {
      if (token.type !== 'word') continue;
      if (token.upper === 'SELECT') return 'select';
      if (DML[token.upper]) return DML[token.upper];
    }
    return 'select';
  }
  if (DDL.has(first.upper)) return 'ddl';
  if (first.upper === 'SET' || first.upper === 'PRAGMA') return 'set';
  return DML[first.upper] ?? 'other';
}

/** Splits `text` into statements at top-level `;`. */
export function splitStatements(text: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let current: SqlToken[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    const topLevel = current.filter((token) => token.depth === 0);
    statements.push({
      kind: classify(topLevel),
      start: current[0].start,
      end: current[current.length - 1].end,
      tokens: current,
      topLevel,
    });
    current = [];
  };
  for (const token of tokenize(text)) {
    if (token.type === 'punct' && token.text === ';') flush();
    else current.push(token);
  }
  flush();
  return statements;
}

function hasWord(tokens: SqlToken[], word: string): boolean {
  return tokens.some((token) => token.type === 'word' && token.upper === word);
}

function hasSequence(tokens: SqlToken[], words: string[]): boolean {
  for (let i = 0; i + words.length <= tokens.length; i++) {
    if (words.every((word, k) => tokens[i + k].type === 'word' && tokens[i + k].upper === word))
      return true;
  }
  return false;
}

/** The outermost query limits its rows: `LIMIT`, `FETCH FIRST/NEXT`, `TOP`, or `ROWNUM`. */
export function hasRowLimit(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  return (
    hasWord(top, 'LIMIT') ||
    hasSequence(top, ['FETCH', 'FIRST']) ||
    hasSequence(top, ['FETCH', 'NEXT']) ||
    hasWord(top, 'TOP') ||
    hasWord(top, 'ROWNUM') ||
    hasWord(top, 'SAMPLE')
  );
}

export function hasOffset(statement: SqlStatement): boolean {
  return hasWord(statement.topLevel, 'OFFSET');
}

const AGGREGATES = new Set([
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'BOOL_AND',
  'BOOL_OR',
  'EVERY',
  'STRING_AGG',
  'ARRAY_AGG',
  'GROUP_CONCAT',
  'LISTAGG',
  'JSON_AGG',
  'JSONB_AGG',
  'STDDEV',
  'VARIANCE',
  'MEDIAN',
  'QUANTILE',
  'APPROX_COUNT_DISTINCT',
  'ANY_VALUE',
  'FIRST',
  'LAST',
  'ARG_MAX',
  'ARG_MIN',
  'HISTOGRAM',
]);

/** The `SELECT` list of the outermost query (top-level tokens between SELECT and FROM). */
export function selectList(statement: SqlStatement): SqlToken[] {
  const tokens = statement.tokens;
  const select = tokens.findIndex(
    (token) => token.depth === 0 && token.type === 'word' && token.upper === 'SELECT',
  );
  if (select === -1) return [];
  const list: SqlToken[] = [];
  for (let i = select + 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (
      token.depth === 0 &&
      token.type === 'word' &&
      ['FROM', 'WHERE', 'GROUP', 'ORDER', 'LIMIT', 'UNION'].includes(token.upper)
    ) {
      break;
    }
    list.push(token);
  }
  return list;
}

/**
 * The outermost query returns one row whatever the table size: every top-level selected item is an
 * aggregate call and there is no GROUP BY (or the query has no FROM at all, like `SELECT 1`).
 */
export function returnsSingleRow(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  if (!hasWord(top, 'FROM')) return true;
  if (hasSequence(top, ['GROUP', 'BY'])) return false;
  const list = selectList(statement);
  const items: SqlToken[][] = [[]];
  for (const token of list) {
    if (token.depth === 0 && token.type === 'punct' && token.text === ',') items.push([]);
    else items[items.length - 1].push(token);
  }
  const firstOf = (item: SqlToken[]): SqlToken | undefined =>
    item.find((token) => !(token.type === 'word' && token.upper === 'DISTINCT'));
  return items.every((item) => {
    const head = firstOf(item);
    if (!head) return false;
    if (head.type === 'word' && head.upper === 'EXISTS') return true;
    if (head.type === 'word' && head.upper === 'NOT' && item.some((t) => t.upper === 'EXISTS'))
      return true;
    const next = item[item.indexOf(head) + 1];
    return head.type === 'word' && AGGREGATES.has(head.upper) && next?.text === '(';
  });
}

/** The WHERE clause of the outermost query compares a key column (`id`, `*_id`, `uuid`) with `=`. */
export function looksUpByKey(
  statement: SqlStatement,
  keyColumns: ReadonlySet<string> = new Set(),
): boolean {
  const top = statement.topLevel;
  const where = top.findIndex((token) => token.type === 'word' && token.upper === 'WHERE');
  if (where === -1) return false;
  for (let i = where + 1; i + 2 < top.length; i++) {
    const column = top[i];
    if (column.type !== 'word' && column.type !== 'quoted') continue;
    if (['GROUP', 'ORDER', 'LIMIT', 'HAVING'].includes(column.upper)) break;
    if (top[i + 1].text !== '=') continue;
    if (top[i - 1]?.type === 'word' && top[i - 1].upper === 'OR') return false;
    const name = column.text.replace(/["`[\]]/g, '').toLowerCase();
    if (name === 'id' || name === 'uuid' || name === 'pk' || keyColumns.has(name)) return true;
  }
  return false;
}

/** `SELECT *` or `SELECT t.*` in the outermost query's select list. */
export function selectsStar(statement: SqlStatement): SqlToken | undefined {
  const list = selectList(statement);
  for (let i = 0; i < list.length; i++) {
    const token = list[i];
    if (token.depth !== 0 || token.text !== '*') continue;
    const previous = list[i - 1];
    // `count(*)` is at depth 1, so only `*` and `t.*` at depth 0 remain here.
    if (
      !previous ||
      previous.text === ',' ||
      previous.text === '.' ||
      previous.upper === 'DISTINCT'
    )
      return token;
  }
  return undefined;
}
