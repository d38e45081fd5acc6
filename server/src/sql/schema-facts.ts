/**
 * The schema a `.sql` file declares: `CREATE TABLE` columns and `REFERENCES`, `CREATE INDEX`,
 * `ALTER TABLE ... ADD FOREIGN KEY`, `DROP INDEX`.
 *
 * DDL is read from the statement tokens rather than the tree-sitter-sql tree: the grammar turns
 * ordinary Postgres DDL into ERROR nodes (`CONSTRAINT fk FOREIGN KEY ...` inside `CREATE TABLE`,
 * `REFERENCES t` without a column list) and knows no MySQL `KEY idx (...)`, while the tokens are the
 * same in every dialect. Alembic's `op.execute("CREATE INDEX ...")` goes through the same reader.
 */
import type { Tree } from 'web-tree-sitter';
import {
  emptyFacts,
  type ColumnFact,
  type FileFacts,
  type IndexFact,
  type IndexOperation,
  type SchemaFacts,
  type TableFact,
} from '../workspace/facts';
import type { SqlStatement } from './statements';
import type { SqlToken } from './tokens';
import type { SqlUnit } from './unit';

/** Maps an offset in the SQL text to an offset in the host file. */
type ToHost = (sqlOffset: number) => number;

/** Words that end a column's type and start its constraints. */
const COLUMN_CONSTRAINT_WORDS = new Set([
  'NOT',
  'NULL',
  'DEFAULT',
  'PRIMARY',
  'UNIQUE',
  'REFERENCES',
  'CHECK',
  'CONSTRAINT',
  'COLLATE',
  'GENERATED',
  'AUTO_INCREMENT',
  'AUTOINCREMENT',
  'IDENTITY',
  'COMMENT',
  'ON',
  'AS',
]);

const isName = (token: SqlToken | undefined): token is SqlToken =>
  !!token && (token.type === 'word' || token.type === 'quoted');

const isWord = (token: SqlToken | undefined, word: string): boolean =>
  !!token && token.type === 'word' && token.upper === word;

/** An identifier without its quotes. */
function unquote(text: string): string {
  const first = text[0];
  if (first === '"' || first === '`') return text.slice(1, -1).replace(/""|``/g, first);
  if (first === '[') return text.slice(1, -1);
  return text;
}

/** Reads a possibly schema-qualified name at `i`; returns its last part and the index after it. */
function readName(tokens: SqlToken[], i: number): { name: string; next: number } | undefined {
  if (!isName(tokens[i])) return undefined;
  let name = unquote(tokens[i].text);
  let next = i + 1;
  while (tokens[next]?.text === '.' && isName(tokens[next + 1])) {
    name = unquote(tokens[next + 1].text);
    next += 2;
  }
  return { name, next };
}

/** Skips `IF EXISTS` / `IF NOT EXISTS` at `i`. */
function skipIfExists(tokens: SqlToken[], i: number): number {
  if (!isWord(tokens[i], 'IF')) return i;
  let next = i + 1;
  if (isWord(tokens[next], 'NOT')) next++;
  return isWord(tokens[next], 'EXISTS') ? next + 1 : i;
}

/**
 * The head of a table item or `ADD` action: a leading `CONSTRAINT name` (its name unquoted), the
 * index of the token after it, and that token upper-cased when it is a word ('' otherwise).
 */
function constraintHead(item: SqlToken[]): { at: number; constraintName?: string; word: string } {
  const named = isWord(item[0], 'CONSTRAINT') && isName(item[1]);
  const at = named ? 2 : 0;
  return {
    at,
    constraintName: named ? unquote(item[1].text) : undefined,
    word: item[at]?.type === 'word' ? item[at].upper : '',
  };
}

/** Splits the tokens inside the parentheses opened at `open` into comma-separated items. */
function parenItems(tokens: SqlToken[], open: number): { items: SqlToken[][]; close: number } {
  const depth = tokens[open].depth + 1;
  const items: SqlToken[][] = [[]];
  let i = open + 1;
  for (; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.depth < depth) break; // the closing `)`
    if (token.depth === depth && token.text === ',') items.push([]);
    else items[items.length - 1].push(token);
  }
  return { items: items.filter((item) => item.length > 0), close: i };
}

/** Column names of a `(a, b DESC, lower(c))` list; expressions are kept in parentheses. */
function columnList(tokens: SqlToken[], open: number): { columns: string[]; close: number } {
  if (tokens[open]?.text !== '(') return { columns: [], close: open };
  const { items, close } = parenItems(tokens, open);
  const columns = items.map((item) => {
    const simple = isName(item[0]) && (item.length === 1 || item[1].type === 'word');
    return simple ? unquote(item[0].text) : `(${item.map((t) => t.text).join('')})`;
  });
  return { columns, close };
}

/** `REFERENCES t [(c)]` at `i`: the referenced table and column ('' when the column is implied). */
function readReference(
  tokens: SqlToken[],
  i: number,
): { table: string; column: string; next: number } | undefined {
  if (!isWord(tokens[i], 'REFERENCES')) return undefined;
  const target = readName(tokens, i + 1);
  if (!target) return undefined;
  const { columns, close } = columnList(tokens, target.next);
  return {
    table: target.name,
    column: columns[0] ?? '',
    next: columns.length > 0 ? close + 1 : target.next,
  };
}

/** The offset just past a statement and its `;`, for appending DDL after it. */
function statementEnd(text: string, statement: SqlStatement): number {
  let i = statement.end;
  while (i < text.length && /\s/.test(text[i])) i++;
  return text[i] === ';' ? i + 1 : statement.end;
}

class DdlReader {
  readonly schema: SchemaFacts = { tables: [], indexes: [], operations: [] };
  private readonly byName = new Map<string, TableFact>();

  constructor(
    private readonly text: string,
    private readonly toHost: ToHost,
  ) {}

  read(statement: SqlStatement): void {
    if (statement.kind !== 'ddl') return;
    const tokens = statement.tokens;
    const head = tokens[0].upper;
    if (head === 'CREATE') {
      let i = 1;
      while (
        tokens[i] &&
        tokens[i].type === 'word' &&
        !['TABLE', 'INDEX'].includes(tokens[i].upper)
      )
        i++;
      if (isWord(tokens[i], 'TABLE')) this.createTable(statement, i + 1);
      else if (isWord(tokens[i], 'INDEX')) this.createIndex(statement, i + 1);
    } else if (head === 'ALTER' && isWord(tokens[1], 'TABLE')) {
      this.alterTable(statement);
    } else if (head === 'DROP' && isWord(tokens[1], 'INDEX')) {
      this.dropIndex(statement);
    }
  }

  private range(first: SqlToken, last: SqlToken): { start: number; end: number } {
    return { start: this.toHost(first.start), end: this.toHost(last.end) };
  }

  private table(name: string, statement: SqlStatement, declared: boolean): TableFact {
    const key = name.toLowerCase();
    let table = this.byName.get(key);
    if (!table) {
      table = {
        name,
        start: this.toHost(statement.start),
        end: this.toHost(statement.end),
        columns: [],
        relationships: [],
        source: 'sql',
        statementEnd: this.toHost(statementEnd(this.text, statement)),
      };
      this.byName.set(key, table);
      this.schema.tables.push(table);
    } else if (declared) {
      // A `CREATE TABLE` after an `ALTER` that named the table first.
      table.start = this.toHost(statement.start);
      table.end = this.toHost(statement.end);
      table.statementEnd = this.toHost(statementEnd(this.text, statement));
    }
    return table;
  }

  private createTable(statement: SqlStatement, at: number): void {
    const tokens = statement.tokens;
    const name = readName(tokens, skipIfExists(tokens, at));
    if (!name || tokens[name.next]?.text !== '(') return; // `CREATE TABLE t AS SELECT ...`
    const table = this.table(name.name, statement, true);
    for (const item of parenItems(tokens, name.next).items) this.tableItem(table, item);
  }

  /** One entry of a `CREATE TABLE` body: a column or a table constraint. */
  private tableItem(table: TableFact, item: SqlToken[]): void {
    const { at: i, constraintName, word } = constraintHead(item);
    if (
      word === 'PRIMARY' ||
      word === 'UNIQUE' ||
      word === 'FOREIGN' ||
      word === 'KEY' ||
      word === 'INDEX'
    ) {
      this.tableConstraint(table, item, i, constraintName);
      return;
    }
    if (constraintName || ['CHECK', 'EXCLUDE', 'LIKE', 'FULLTEXT', 'SPATIAL'].includes(word))
      return;
    this.columnDefinition(table, item);
  }

  private tableConstraint(
    table: TableFact,
    item: SqlToken[],
    at: number,
    name: string | undefined,
  ): void {
    let i = at;
    const kind = item[i].upper;
    i++;
    if (kind === 'PRIMARY' || kind === 'FOREIGN')
      i++; // KEY
    else if (kind === 'UNIQUE' && (isWord(item[i], 'KEY') || isWord(item[i], 'INDEX'))) i++;
    // MySQL names inline indexes: `KEY idx_user (user_id)`, `UNIQUE KEY uq (a, b)`.
    if (isName(item[i]) && item[i + 1]?.text === '(') {
      name ??= unquote(item[i].text);
      i++;
    }
    const { columns, close } = columnList(item, i);
    if (columns.length === 0) return;
    const range = this.range(item[0], item[item.length - 1]);
    if (kind === 'FOREIGN') {
      const reference = readReference(item, close + 1);
      const column = this.columnOf(table, columns[0], range);
      if (reference && column)
        column.foreignKey = { table: reference.table, column: reference.column };
      return;
    }
    const unique = kind === 'PRIMARY' || kind === 'UNIQUE';
    if (columns.length === 1) {
      const column = table.columns.find((c) => c.name.toLowerCase() === columns[0].toLowerCase());
      if (column && kind === 'PRIMARY') column.primaryKey = true;
      else if (column && kind === 'UNIQUE') column.unique = true;
      if (column && unique) column.indexed = true;
      if (column && unique) return;
    }
    const index: IndexFact = { table: table.name, columns, name, unique, ...range };
    this.schema.indexes.push(index);
  }

  /** The column of `table` called `name`, added (typeless) when the table does not list it. */
  private columnOf(
    table: TableFact,
    name: string,
    range: { start: number; end: number },
  ): ColumnFact | undefined {
    if (name.startsWith('(')) return undefined;
    let column = table.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (!column) {
      column = {
        name,
        attribute: name,
        ...range,
        primaryKey: false,
        unique: false,
        indexed: false,
        type: '',
      };
      table.columns.push(column);
    }
    return column;
  }

  /** `name type [constraints]`; the item may start with `ADD [COLUMN] [IF NOT EXISTS]`. */
  private columnDefinition(table: TableFact, item: SqlToken[]): void {
    if (!isName(item[0])) return;
    const name = unquote(item[0].text);
    let i = 1;
    const typeStart = i;
    while (
      i < item.length &&
      !(item[i].type === 'word' && COLUMN_CONSTRAINT_WORDS.has(item[i].upper))
    )
      i++;
    const type = i > typeStart ? this.text.slice(item[typeStart].start, item[i - 1].end) : '';
    const column: ColumnFact = {
      name,
      attribute: name,
      ...this.range(item[0], item[item.length - 1]),
      primaryKey: false,
      unique: false,
      indexed: false,
      type,
    };
    for (; i < item.length; i++) {
      const token = item[i];
      if (token.type !== 'word' || token.depth !== item[0].depth) continue;
      if (token.upper === 'PRIMARY' && isWord(item[i + 1], 'KEY')) column.primaryKey = true;
      else if (token.upper === 'UNIQUE') column.unique = true;
      else if (token.upper === 'REFERENCES') {
        const reference = readReference(item, i);
        if (reference) column.foreignKey = { table: reference.table, column: reference.column };
      }
    }
    column.indexed = column.primaryKey || column.unique;
    const existing = table.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
    if (existing >= 0) table.columns[existing] = column;
    else table.columns.push(column);
  }

  private createIndex(statement: SqlStatement, at: number): void {
    const tokens = statement.tokens;
    const unique = tokens.slice(0, at).some((t) => isWord(t, 'UNIQUE'));
    let i = at;
    if (isWord(tokens[i], 'CONCURRENTLY')) i++;
    i = skipIfExists(tokens, i);
    let name: string | undefined;
    if (!isWord(tokens[i], 'ON')) {
      name = readName(tokens, i)?.name;
      i = readName(tokens, i)?.next ?? i;
    }
    if (!isWord(tokens[i], 'ON')) return;
    i++;
    if (isWord(tokens[i], 'ONLY')) i++;
    const table = readName(tokens, i);
    if (!table) return;
    i = table.next;
    if (isWord(tokens[i], 'USING')) i += 2;
    const { columns } = columnList(tokens, i);
    if (columns.length === 0) return;
    this.schema.operations.push({
      kind: 'create',
      table: table.name,
      columns,
      name,
      unique,
      start: this.toHost(statement.start),
      end: this.toHost(statement.end),
    });
  }

  private dropIndex(statement: SqlStatement): void {
    const tokens = statement.tokens;
    let i = 2;
    if (isWord(tokens[i], 'CONCURRENTLY')) i++;
    i = skipIfExists(tokens, i);
    const names: string[] = [];
    for (let name = readName(tokens, i); name; name = readName(tokens, i)) {
      names.push(name.name);
      i = name.next;
      if (tokens[i]?.text !== ',') break;
      i++;
    }
    const table = isWord(tokens[i], 'ON') ? readName(tokens, i + 1)?.name : undefined;
    for (const name of names) this.drop(statement, name, table ?? '');
  }

  private drop(statement: SqlStatement, name: string, table: string): void {
    this.schema.operations.push({
      kind: 'drop',
      table,
      columns: [],
      name,
      unique: false,
      start: this.toHost(statement.start),
      end: this.toHost(statement.end),
    });
  }

  private alterTable(statement: SqlStatement): void {
    const tokens = statement.tokens;
    let i = skipIfExists(tokens, 2);
    if (isWord(tokens[i], 'ONLY')) i++;
    const name = readName(tokens, i);
    if (!name) return;
    const actions: SqlToken[][] = [[]];
    for (const token of tokens.slice(name.next)) {
      if (token.depth === 0 && token.text === ',') actions.push([]);
      else actions[actions.length - 1].push(token);
    }
    for (const action of actions) {
      if (isWord(action[0], 'ADD')) this.alterAdd(statement, name.name, action.slice(1));
      else if (isWord(action[0], 'DROP') && isWord(action[1], 'CONSTRAINT')) {
        const k = skipIfExists(action, 2);
        if (isName(action[k])) this.drop(statement, unquote(action[k].text), name.name);
      } else if (isWord(action[0], 'DROP') && isWord(action[1], 'INDEX') && isName(action[2])) {
        this.drop(statement, unquote(action[2].text), name.name);
      }
    }
  }

  private alterAdd(statement: SqlStatement, tableName: string, item: SqlToken[]): void {
    const { at, constraintName, word } = constraintHead(item);
    let i = at;
    if (word === 'FOREIGN') {
      const table = this.table(tableName, statement, false);
      this.tableConstraint(table, item, i, constraintName);
      return;
    }
    if (word === 'PRIMARY' || word === 'UNIQUE' || word === 'INDEX' || word === 'KEY') {
      // An index added to an existing table is an operation: a later `DROP` may remove it.
      const probe: TableFact = {
        name: tableName,
        start: 0,
        end: 0,
        columns: [],
        relationships: [],
        source: 'sql',
      };
      const before = this.schema.indexes.length;
      this.tableConstraint(probe, item, i, constraintName);
      for (const index of this.schema.indexes.splice(before)) {
        const operation: IndexOperation = { kind: 'create', ...index };
        this.schema.operations.push(operation);
      }
      return;
    }
    if (word === 'COLUMN') i++;
    i = skipIfExists(item, i);
    if (constraintName || !isName(item[i])) return;
    const table = this.table(tableName, statement, false);
    this.columnDefinition(table, item.slice(i));
  }
}

/** MySQL DDL: backtick identifiers, `ENGINE=...` or `AUTO_INCREMENT`. */
function looksLikeMySql(statement: SqlStatement): boolean {
  if (statement.kind !== 'ddl') return false;
  return statement.tokens.some(
    (token) =>
      (token.type === 'quoted' && token.text[0] === '`') ||
      (token.type === 'word' && (token.upper === 'ENGINE' || token.upper === 'AUTO_INCREMENT')),
  );
}

/** Tables, indexes and index operations declared by a run of SQL statements. */
export function readDdl(
  text: string,
  statements: readonly SqlStatement[],
  toHost: ToHost = (offset) => offset,
): SchemaFacts {
  const reader = new DdlReader(text, toHost);
  for (const statement of statements) {
    if (statement.kind === 'ddl' && statement.tokens.length > 0) reader.read(statement);
  }
  if (statements.some(looksLikeMySql)) {
    // InnoDB creates an index for every foreign key that no existing index leads.
    for (const table of reader.schema.tables) {
      for (const column of table.columns) {
        if (!column.foreignKey) continue;
        column.implicitlyIndexed = true;
        column.indexed = true;
      }
    }
  }
  return reader.schema;
}

/** Facts of a SQL file. */
export function extractSqlFacts(
  file: string,
  _relativePath: string,
  unit: SqlUnit,
  _tree: Tree,
): FileFacts {
  const facts = emptyFacts(file, 'sql');
  facts.schema = readDdl(unit.text, unit.statements);
  return facts;
}
