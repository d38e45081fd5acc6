/**
 * Splits SQL text into statements and answers the questions SQL rules ask of each: is it a read,
 * does its outermost query bound its rows, does it only aggregate, does it look up one key.
 */
import { isHole, tokenize, type SqlToken } from './tokens';

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

/** Schemas of the database's own catalog: their size follows the schema, not the data. */
const CATALOG_SCHEMAS = new Set(['information_schema', 'pg_catalog', 'performance_schema', 'sys']);
/** Catalog tables: `pg_tables`, `pg_type`, `sqlite_master`, Oracle's `user_tables`, `all_views`, `dual`. */
const CATALOG_NAME =
  /^(?:pg_\w+|sqlite_\w+|dual|(?:user|all|dba)_(?:tables|tab_cols|tab_columns|views|mviews|indexes|ind_columns|constraints|cons_columns|sequences|triggers|objects|users|tab_comments|col_comments|types))$/;
/** Functions returning one row about the session: `current_schema()`, `current_database()`. */
const SESSION_FUNCTION = /^current_/;
/** A name without its quotes (and the backslashes of a JavaScript template's escaped backticks). */
const bare = (token: SqlToken): string => token.text.replace(/["`[\]\\]/g, '').toLowerCase();

/**
 * The outermost query reads only the database's catalog: `information_schema.columns`,
 * `pg_catalog.pg_type`, `pg_tables`, `sqlite_master`, `current_schema()`. Those hold one row per
 * schema object (or one row in all), however large the tables grow.
 */
export function readsOnlyCatalog(statement: SqlStatement): boolean {
  const tokens = statement.tokens;
  let sources = 0;
  for (let f = 0; f < tokens.length; f++) {
    const from = tokens[f];
    if (from.type !== 'word' || from.upper !== 'FROM' || !startsSourceList(tokens, f)) continue;
    const found = catalogSources(tokens, f);
    if (found === undefined) return false;
    sources += found;
  }
  return sources > 0;
}

/**
 * Whether the `FROM` at `tokens[at]` starts a query's source list, not a function's argument
 * (`EXTRACT(year FROM ts)`, `TRIM(BOTH ' ' FROM name)`): a `SELECT` precedes it at its depth.
 */
function startsSourceList(tokens: SqlToken[], at: number): boolean {
  const depth = tokens[at].depth;
  if (depth === 0) return true;
  for (let i = at - 1; i >= 0 && tokens[i].depth >= depth; i--)
    if (tokens[i].depth === depth && tokens[i].type === 'word' && tokens[i].upper === 'SELECT')
      return true;
  return false;
}

/**
 * The number of sources the `FROM` at `tokens[from]` lists (names, joined names and session
 * functions), or undefined when one is not part of the catalog. Derived tables are skipped: their
 * own `FROM` is read on its own.
 */
function catalogSources(tokens: SqlToken[], from: number): number | undefined {
  const depth = tokens[from].depth;
  let sources = 0;
  let expectName = true;
  for (let i = from + 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth < depth) break;
    if (token.depth > depth) continue;
    if (token.type === 'word' && AFTER_FROM.has(token.upper)) break;
    if ((token.type === 'punct' && token.text === ',') || token.upper === 'JOIN') {
      expectName = true;
      continue;
    }
    if (!expectName) continue;
    if (token.text === '(') {
      expectName = false; // a derived table
      continue;
    }
    if (token.type !== 'word' && token.type !== 'quoted') continue;
    if (token.type === 'word' && JOIN_WORDS.has(token.upper)) continue;
    // `[db.]schema.table`: a catalog schema anywhere in the chain, or a catalog table at its end; a
    // bare name (or a session function) by its name.
    const chain = [bare(token)];
    while (tokens[i + 1]?.text === '.' && tokens[i + 2]) {
      chain.push(bare(tokens[i + 2]));
      i += 2;
    }
    const last = chain[chain.length - 1];
    const catalog =
      chain.some((part) => CATALOG_SCHEMAS.has(part)) ||
      CATALOG_NAME.test(last) ||
      (chain.length === 1 && SESSION_FUNCTION.test(last) && tokens[i + 1]?.text === '(');
    if (!catalog) return undefined;
    sources++;
    expectName = false;
  }
  return sources;
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

/** Splits tokens at their top-level commas: the items of a select list or a `GROUP BY`. */
export function splitAtCommas(tokens: SqlToken[]): SqlToken[][] {
  const items: SqlToken[][] = [[]];
  for (const token of tokens) {
    if (token.depth === 0 && token.type === 'punct' && token.text === ',') items.push([]);
    else items[items.length - 1].push(token);
  }
  return items;
}

/** A name as the database compares it: unquoted (`"Order"`, `[id]`, `` `id` ``) and lowercased. */
export function identifierKey(token: SqlToken): string {
  return token.text.replace(/["`[\]]/g, '').toLowerCase();
}

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
  const items = splitAtCommas(selectList(statement));
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

/**
 * `IN (...)` holds values (`$1, $2`, `${Prisma.join(ids)}`), not a subquery: at most one row per
 * value for a key column, as with `= ANY($1)`. So does `IN` followed by one bare placeholder, which
 * the driver expands into the list it is given (`IN :ids` with SQLAlchemy, `IN %s` with psycopg2).
 */
function isValueList(statement: SqlStatement, open: SqlToken | undefined): boolean {
  if (open?.type === 'param') return true;
  if (open?.text !== '(') return false;
  const tokens = statement.tokens;
  for (let i = tokens.indexOf(open) + 1; i < tokens.length && tokens[i].depth > open.depth; i++)
    if (tokens[i].type === 'word' && tokens[i].upper === 'SELECT') return false;
  return true;
}

/**
 * The WHERE clause of the outermost query compares a key column (`id`, `*_id`, `uuid`) with `=`,
 * or matches it against a list of values (`id IN ($1, $2)`).
 */
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
    const byList = top[i + 1].upper === 'IN' && isValueList(statement, top[i + 2]);
    if (top[i + 1].text !== '=' && !byList) continue;
    if (top[i - 1]?.type === 'word' && top[i - 1].upper === 'OR') return false;
    const name = identifierKey(column);
    if (name === 'id' || name === 'uuid' || name === 'pk' || keyColumns.has(name)) return true;
  }
  return false;
}

/** A foreign-key-like column name: `userId`, `"modelVersionId"`, `user_id` (not `id` itself). */
function isKeyLikeColumn(token: SqlToken): boolean {
  if (token.type !== 'word' && token.type !== 'quoted') return false;
  const name = token.text.replace(/["`[\]]/g, '');
  return /[a-z0-9]Id$/.test(name) || /\w_id$/i.test(name);
}

/** A value compared with a column: a placeholder, a literal, or a masked run-time value. */
function isValueToken(token: SqlToken | undefined): boolean {
  if (!token) return false;
  if (token.type === 'param' || token.type === 'number' || token.type === 'string') return true;
  return token.type === 'word' && /^_+$/.test(token.text);
}

/**
 * A page of one owner's link rows: the outermost WHERE pins one key-like column to a value
 * (`"userId" = $1`) AND matches another against a list of values, not a subquery
 * (`"modelVersionId" IN (${Prisma.join(pageIds)})`), with no `OR`: at most the listed keys' rows
 * for that owner, as when the pair is a link table's key. A list alone (`post_id IN (...)`, every
 * comment of those posts) and `IN (SELECT ...)` are not this.
 */
export function looksUpPageOfKeys(statement: SqlStatement): boolean {
  const top = statement.topLevel;
  const where = top.findIndex((token) => token.type === 'word' && token.upper === 'WHERE');
  if (where === -1) return false;
  let pinned = false;
  let listed = false;
  for (let i = where + 1; i < top.length; i++) {
    const token = top[i];
    if (token.type === 'word' && ['GROUP', 'ORDER', 'LIMIT', 'HAVING'].includes(token.upper)) break;
    if (token.type === 'word' && token.upper === 'OR') return false;
    if (!isKeyLikeColumn(token) || top[i - 1]?.upper === 'NOT') continue;
    const next = top[i + 1];
    if (next?.text === '=' && isValueToken(top[i + 2])) pinned = true;
    else if (next?.upper === 'IN' && isValueList(statement, top[i + 2])) listed = true;
  }
  return pinned && listed;
}

/** Words that end a FROM clause's source list. */
const AFTER_FROM = new Set([
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'FETCH',
  'WINDOW',
  'QUALIFY',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'FOR',
]);
/** DuckDB star modifiers: `* EXCLUDE (...)` names the columns left out, a deliberate choice. */
const STAR_MODIFIERS = new Set(['EXCLUDE', 'REPLACE', 'RENAME']);

/**
 * The `*` of a select list starting after `tokens[selectAt]` (a `SELECT` at `depth`): a bare `*`
 * or `t.*` item, not `count(*)` (deeper) nor DuckDB's `* EXCLUDE (...)`.
 */
function starInList(tokens: SqlToken[], selectAt: number, depth: number): SqlToken | undefined {
  for (let i = selectAt + 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth < depth) return undefined;
    if (token.depth > depth) continue;
    if (token.type === 'word' && (token.upper === 'FROM' || AFTER_FROM.has(token.upper)))
      return undefined;
    if (token.text !== '*') continue;
    const previous = tokens[i - 1];
    const next = tokens[i + 1];
    if (next?.type === 'word' && next.depth === depth && STAR_MODIFIERS.has(next.upper)) continue;
    if (
      i === selectAt + 1 ||
      previous.text === ',' ||
      previous.text === '.' ||
      previous.upper === 'DISTINCT' ||
      previous.upper === 'ALL'
    )
      return previous.text === '.' && tokens[i - 2] ? tokens[i - 2] : token;
  }
  return undefined;
}

/** Index of the `SELECT` that opens the parenthesised query at `open` (a `(`), or -1. */
function selectInside(tokens: SqlToken[], open: number): number {
  const depth = open + 1 < tokens.length ? tokens[open + 1].depth : -1;
  for (let i = open + 1; i < tokens.length && tokens[i].depth >= depth; i++) {
    if (tokens[i].depth === depth && tokens[i].type === 'word' && tokens[i].upper === 'SELECT')
      return i;
  }
  return -1;
}

/**
 * `SELECT *` or `SELECT t.*` in the outermost query's select list; returns the first token of the
 * star item. A star over derived tables or CTEs that name their columns is not one: the columns
 * were chosen where the derived table is defined (a star there counts instead).
 */
export function selectsStar(statement: SqlStatement): SqlToken | undefined {
  const tokens = statement.tokens;
  const select = tokens.findIndex(
    (t) => t.depth === 0 && t.type === 'word' && t.upper === 'SELECT',
  );
  if (select === -1) return undefined;
  const star = starInList(tokens, select, 0);
  if (!star) return undefined;

  // CTE bodies by name: `WITH name [(cols)] AS [NOT] [MATERIALIZED] ( ... )`.
  const ctes = new Map<string, number>();
  for (let i = 0; i < select; i++) {
    const token = tokens[i];
    if (token.depth !== 0 || token.upper !== 'AS') continue;
    let open = i + 1;
    while (open < select && tokens[open].type === 'word') open++;
    let name = i - 1;
    if (tokens[name]?.text === ')') {
      while (name > 0 && !(tokens[name].text === '(' && tokens[name].depth === 0)) name--;
      name--;
    }
    if (tokens[name] && tokens[open]?.text === '(') ctes.set(tokens[name].upper, open);
  }

  // The sources of the outermost FROM: each a table (over-fetches), or a query (look inside).
  const sources = outerFromSources(tokens, select);
  if (!sources) return star;
  for (const i of sources) {
    const token = tokens[i];
    let body = -1;
    if (token.text === '(') body = i;
    else if (token.type === 'word' && tokens[i + 1]?.text !== '.' && ctes.has(token.upper))
      body = ctes.get(token.upper)!;
    if (body === -1) return star; // a table or a table function: every column comes back
    // A query spliced in whole (`FROM ({sql}) t`) chose its columns where it was built.
    if (isUnseenQuery(tokens, body)) continue;
    const inner = selectInside(tokens, body);
    if (inner === -1 || starInList(tokens, inner, tokens[inner].depth)) return star;
  }
  return undefined;
}

/**
 * Index of the first token of each source in the outermost FROM after the `SELECT` at `select`
 * (a table, a table function, or the `(` of a derived table); undefined without a FROM.
 */
function outerFromSources(tokens: SqlToken[], select: number): number[] | undefined {
  const from = tokens.findIndex(
    (t, i) => i > select && t.depth === 0 && t.type === 'word' && t.upper === 'FROM',
  );
  if (from === -1) return undefined;
  const sources: number[] = [];
  let expectSource = true;
  for (let i = from + 1; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth !== 0) continue;
    if (token.type === 'word' && AFTER_FROM.has(token.upper)) break;
    if (token.text === ',' || token.upper === 'JOIN') {
      expectSource = true;
      continue;
    }
    if (!expectSource || (token.type === 'word' && JOIN_WORDS.has(token.upper))) continue;
    expectSource = false;
    sources.push(i);
  }
  return sources;
}

/** The parenthesis at `open` holds nothing but a run-time hole: a query built elsewhere. */
function isUnseenQuery(tokens: SqlToken[], open: number): boolean {
  const body = tokens[open + 1];
  return !!body && isHole(body) && tokens[open + 2]?.text === ')';
}

/**
 * Every source of the outermost FROM is a query spliced in whole (`SELECT * FROM ({sql}) t WHERE
 * rn = 1`, wrapping a Django queryset's `sql_with_params()`): how many rows it may return, a
 * `LIMIT` included, is decided where that query is built, which the SQL text does not show.
 */
export function readsOnlyUnseenQueries(statement: SqlStatement): boolean {
  const tokens = statement.tokens;
  const select = tokens.findIndex(
    (t) => t.depth === 0 && t.type === 'word' && t.upper === 'SELECT',
  );
  const sources = select === -1 ? undefined : outerFromSources(tokens, select);
  return !!sources?.length && sources.every((i) => isUnseenQuery(tokens, i));
}

/** Words that may precede `JOIN` or follow `FROM` before the source itself. */
const JOIN_WORDS = new Set([
  'LEFT',
  'RIGHT',
  'FULL',
  'INNER',
  'OUTER',
  'CROSS',
  'NATURAL',
  'LATERAL',
  'ONLY',
  'ASOF',
  'ANTI',
  'SEMI',
  'POSITIONAL',
]);

/** The outermost query pages with a computed `OFFSET`: `OFFSET ?`, `OFFSET :skip`, `LIMIT ?, ?`. */
export function pagingOffset(statement: SqlStatement): SqlToken | undefined {
  const top = statement.topLevel;
  for (let i = 0; i < top.length; i++) {
    const token = top[i];
    if (token.type !== 'word') continue;
    if (token.upper === 'OFFSET') {
      const value = top[i + 1];
      if (value && !isConstantCount(top, i + 1)) return token;
    } else if (token.upper === 'LIMIT') {
      // MySQL `LIMIT offset, count`.
      const comma = top[i + 2]?.text === ',' ? i + 2 : -1;
      if (comma !== -1 && !isConstantCount(top, i + 1)) return token;
    }
  }
  return undefined;
}

/** `top[at]` is a literal number standing alone (`OFFSET 10 ROWS`, `LIMIT 5, 10`). */
function isConstantCount(top: SqlToken[], at: number): boolean {
  if (top[at]?.type !== 'number') return false;
  const next = top[at + 1];
  return !next || next.type === 'word' || next.text === ',' || next.text === ';';
}

/** A setting assignment: `SET [GLOBAL] name = value`, `SET name TO value`, `PRAGMA name = value`. */
export interface SettingAssignment {
  /** Lower-cased setting name. */
  name: string;
  /** The value's tokens, up to the end of the statement. */
  value: SqlToken[];
}

const SET_SCOPES = new Set(['GLOBAL', 'SESSION', 'LOCAL']);

/** Reads a `SET`/`PRAGMA` statement's name and value, if it assigns one. */
export function settingAssignment(statement: SqlStatement): SettingAssignment | undefined {
  if (statement.kind !== 'set') return undefined;
  const tokens = statement.tokens;
  let i = 1;
  if (tokens[0].upper === 'SET' && SET_SCOPES.has(tokens[i]?.upper)) i++;
  const name = tokens[i];
  if (name?.type !== 'word' && name?.type !== 'quoted') return undefined;
  const operator = tokens[i + 1];
  let valueAt: number;
  if (operator?.text === '=' || operator?.upper === 'TO') valueAt = i + 2;
  else if (operator?.text === '(' && tokens[0].upper === 'PRAGMA') valueAt = i + 2;
  else return undefined;
  const value = tokens.slice(valueAt).filter((t) => t.text !== ')' || t.depth > 0);
  if (value.length === 0) return undefined;
  return { name: name.text.replace(/["`]/g, '').toLowerCase(), value };
}
