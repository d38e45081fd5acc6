/**
 * Finds the SQL that Python code sends to a database: string literals, f-strings, triple-quoted and
 * concatenated strings passed to `execute`, `sql`, `text()`, `read_sql` and friends, directly or
 * through a variable assigned once in the same scope.
 */
import type { Node } from 'web-tree-sitter';
import {
  SqlTextBuilder,
  looksLikeSql,
  type BoundParameters,
  type SqlPiece,
  type SqlUnit,
} from '../sql/unit';
import type { PyAssignment, PyCall, PyFunction, PythonModel } from './model';
import { ONE_ROW_RESULT_METHODS, resultOf } from './orm';
import { OwnedCache } from './memo';

/** Methods and functions whose first argument is SQL text. */
const SQL_SINKS = new Set([
  'execute',
  'executemany',
  'executescript',
  'exec_driver_sql',
  'sql',
  'text',
  'read_sql',
  'read_sql_query',
  'query',
  'fetch',
  'fetchrow',
  'fetchval',
  'raw',
]);

/**
 * Query methods of the `databases` package (`await database.fetch_all(query=...)`) and the same
 * names on an app's own thin wrapper (`await db.fetchall(sql, values, Model)`). A DB-API cursor's
 * `fetchall()` takes no SQL, and other objects have methods of these names too, so they count as
 * sinks only when the SQL is a whole statement (`STATEMENT_SHAPE`), not just SQL-looking text.
 */
const ROW_FETCH_SINKS = new Set([
  'fetch_all',
  'fetch_one',
  'fetch_val',
  'iterate',
  'fetchall',
  'fetchone',
]);

/** A complete statement: `SELECT ... FROM`, `WITH ... SELECT`, `INSERT INTO`, `UPDATE ... SET`, `DELETE FROM`. */
const STATEMENT_SHAPE =
  /^\s*(?:\(\s*)*(?:SELECT\b[\s\S]*\bFROM\b|WITH\b[\s\S]*\bSELECT\b|INSERT\s+INTO\b|UPDATE\b[\s\S]*\bSET\b|DELETE\s+FROM\b)/i;

const SQL_KEYWORD_ARGS = new Set(['sql', 'query', 'statement', 'stmt']);

function firstSqlArgument(call: PyCall): Node | null {
  for (const arg of call.args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const name = arg.childForFieldName('name')?.text ?? '';
      if (SQL_KEYWORD_ARGS.has(name)) return arg.childForFieldName('value');
      continue;
    }
    return arg;
  }
  return null;
}

/**
 * What one assignment adds to the SQL a variable holds: the expressions appended in order (one
 * for `query += x`, `a` and `b` for `query = query + a + b`), and whether it runs on every path.
 */
interface AssignedPiece {
  nodes: Node[];
  conditional: boolean;
}

/**
 * The string expressions a variable holds when the call sends it: the one it was assigned, when
 * assigned exactly once in scope, or the first value and each piece appended after it with `+=`
 * or by concatenating onto itself (`query = "SELECT ..."`, then `query += " WHERE ..."` or
 * `query = query + " WHERE ..."` in the same function, before the call). A piece in a branch or
 * loop the first assignment is not in is conditional. Any other reassignment, or a piece appended
 * after the call, leaves the SQL unknown.
 */
function resolveVariable(model: PythonModel, call: PyCall, name: string): AssignedPiece[] | null {
  const found = assignmentsIn(model, call.fn).get(name) ?? [];
  if (found.length === 0 || found[0].augmented) return null;
  const root = model.tree.rootNode;
  const first = root.descendantForIndex(found[0].valueStart, found[0].end);
  if (!first) return null;
  if (found.length === 1) return [{ nodes: [first], conditional: false }];
  if (found[found.length - 1].end > call.start) return null;
  const block = statementBlock(first);
  const pieces: AssignedPiece[] = [{ nodes: [first], conditional: false }];
  for (const assignment of found.slice(1)) {
    const value = root.descendantForIndex(assignment.valueStart, assignment.end);
    if (!value) return null;
    const nodes = isPlusEquals(model.source, assignment)
      ? [value]
      : assignment.augmented
        ? null
        : appendedToItself(value, name);
    if (!nodes) return null;
    pieces.push({ nodes, conditional: statementBlock(value)?.id !== block?.id });
  }
  return pieces;
}

function isPlusEquals(source: string, assignment: PyAssignment): boolean {
  return (
    assignment.augmented && /\+=\s*$/.test(source.slice(assignment.start, assignment.valueStart))
  );
}

/**
 * The operands `name = name + a + b` appends to `name` (`a`, `b`), or null when the value is not
 * `name` concatenated with more.
 */
function appendedToItself(value: Node, name: string): Node[] | null {
  const appended: Node[] = [];
  let node: Node | null = value;
  // `name + a + b` parses as `(name + a) + b`: the name is at the bottom of the left spine.
  while (node?.type === 'binary_operator' && node.childForFieldName('operator')?.text === '+') {
    const right = node.childForFieldName('right');
    if (!right) return null;
    appended.unshift(right);
    node = node.childForFieldName('left');
  }
  return node?.type === 'identifier' && node.text === name && appended.length > 0 ? appended : null;
}

/** The block (or module) holding the assignment statement whose value `value` is. */
function statementBlock(value: Node): Node | null {
  // value -> (augmented_)assignment -> expression_statement -> block
  return value.parent?.parent?.parent ?? null;
}

/**
 * The assignments of one function's scope (or the module's) by target: class bodies and nested
 * functions have scopes of their own. Indexed once per file: a large module has thousands of
 * both queries and assignments.
 */
function assignmentsIn(
  model: PythonModel,
  fn: PyFunction | undefined,
): Map<string, PyAssignment[]> {
  let byScope = assignmentsByScope.get(model);
  if (!byScope) {
    byScope = new Map();
    for (const assignment of model.assignments) {
      if (assignment.className) continue;
      let byTarget = byScope.get(assignment.fn);
      if (!byTarget) {
        byTarget = new Map();
        byScope.set(assignment.fn, byTarget);
      }
      const list = byTarget.get(assignment.target);
      if (list) list.push(assignment);
      else byTarget.set(assignment.target, [assignment]);
    }
    assignmentsByScope.set(model, byScope);
  }
  return byScope.get(fn) ?? new Map();
}

const assignmentsByScope = new OwnedCache<
  PythonModel,
  Map<PyFunction | undefined, Map<string, PyAssignment[]>>
>('assignments by scope');

/** The string literal that joins conditions: `" AND "`, `' OR '`. */
const CONDITION_JOINER = /^(["'])\s*(?:AND|OR)\s*\1$/i;

/** Appends the text of a string expression; returns false when it is not string-like at all. */
function appendString(node: Node, source: string, builder: SqlTextBuilder): boolean {
  switch (node.type) {
    case 'string': {
      const start = node.child(0);
      const raw = /r/i.test(start?.text.replace(/["']/g, '') ?? '');
      for (const part of node.namedChildren) {
        if (!part) continue;
        if (part.type === 'string_content') appendContent(part, source, raw, builder);
        else if (part.type === 'interpolation')
          builder.hole(part.endIndex - part.startIndex, part.startIndex);
      }
      return true;
    }
    case 'concatenated_string':
      for (const part of node.namedChildren) if (part) appendString(part, source, builder);
      return true;
    case 'parenthesized_expression': {
      const inner = node.namedChildren[0];
      return !!inner && appendString(inner, source, builder);
    }
    case 'binary_operator': {
      const operator = node.childForFieldName('operator')?.text;
      const left = node.childForFieldName('left');
      const right = node.childForFieldName('right');
      if (!left || !right) return false;
      if (operator === '%') return appendString(left, source, builder);
      if (operator !== '+') return false;
      const leftOk = appendString(left, source, builder);
      if (!leftOk) builder.hole(left.endIndex - left.startIndex, left.startIndex);
      const rightOk = appendString(right, source, builder);
      if (!rightOk) builder.hole(right.endIndex - right.startIndex, right.startIndex);
      return leftOk || rightOk;
    }
    case 'call': {
      const fn = node.childForFieldName('function');
      if (fn?.type !== 'attribute') return false;
      const method = fn.childForFieldName('attribute')?.text;
      const receiver = fn.childForFieldName('object');
      // "SELECT ... {}".format(...)
      if (method === 'format') return !!receiver && appendString(receiver, source, builder);
      // `" AND ".join(conditions)`: filters joined into one condition, which holds no clause.
      if (method === 'join' && receiver && CONDITION_JOINER.test(receiver.text)) {
        builder.condition(node.endIndex - node.startIndex, node.startIndex);
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

/**
 * Appends the operands of a concatenation (`" AND " + cond`) as `appendString` appends a `+`:
 * an operand that is no string becomes a run-time hole; false when none is string-like.
 */
function appendOperands(nodes: Node[], source: string, builder: SqlTextBuilder): boolean {
  if (nodes.length === 1) return appendString(nodes[0], source, builder);
  let any = false;
  for (const node of nodes) {
    const start = builder.length;
    if (appendString(node, source, builder)) any = true;
    else if (builder.length === start)
      builder.hole(node.endIndex - node.startIndex, node.startIndex);
  }
  return any;
}

/** Copies string content, masking escape sequences with spaces so offsets stay aligned. */
function appendContent(content: Node, source: string, raw: boolean, builder: SqlTextBuilder): void {
  if (raw) {
    builder.verbatim(source.slice(content.startIndex, content.endIndex), content.startIndex);
    return;
  }
  let cursor = content.startIndex;
  for (const escape of content.namedChildren) {
    if (!escape || escape.type !== 'escape_sequence') continue;
    builder.verbatim(source.slice(cursor, escape.startIndex), cursor);
    builder.verbatim(' '.repeat(escape.endIndex - escape.startIndex), escape.startIndex);
    cursor = escape.endIndex;
  }
  builder.verbatim(source.slice(cursor, content.endIndex), cursor);
}

/** Result methods that read a single row. */
const ONE_ROW_METHODS = new Set(['fetchone', ...ONE_ROW_RESULT_METHODS, 'fetchval', 'fetchrow']);

/** Sinks that send SQL and return one row or value: asyncpg's, `databases`' and a wrapper's. */
const ONE_ROW_SINKS = new Set(['fetchrow', 'fetchval', 'fetch_one', 'fetch_val', 'fetchone']);

/**
 * Whether the code reads one row of what the sink returns: a chained `.fetchone()` / `.first()`,
 * a sink that returns one row (asyncpg `fetchrow`/`fetchval`, `databases` `fetch_one`), or
 * `cursor.fetchone()` in the statement right after.
 */
function readsOneRow(call: PyCall): boolean {
  if (ONE_ROW_SINKS.has(call.method)) return true;
  // `db.execute(text("..."))`: the result is the outer call's.
  const parent = resultOf(call).parent;
  if (
    parent?.type === 'attribute' &&
    ONE_ROW_METHODS.has(parent.childForFieldName('attribute')?.text ?? '')
  )
    return true;
  const receiver = call.receiver?.text;
  if (!receiver) return false;
  let statement: Node | null = call.node;
  while (statement && !statement.type.endsWith('statement')) statement = statement.parent;
  const next = statement?.nextNamedSibling;
  return (
    !!next && [...ONE_ROW_METHODS].some((method) => next.text.includes(`${receiver}.${method}(`))
  );
}

/**
 * Methods of a session, connection or cursor that send new SQL or end a transaction: calling them
 * later reads nothing of an earlier result. Any other later use of the receiver (`cur.fetchall()`,
 * DuckDB's `con.df()`, `for row in cur`, `list(cur)`) may read it.
 */
const READS_NOTHING_BACK = new Set([
  'execute',
  'exec',
  'executemany',
  'executescript',
  'exec_driver_sql',
  'commit',
  'rollback',
  'close',
  'begin',
  'begin_nested',
  'flush',
  'add',
  'add_all',
  'refresh',
  'merge',
  'delete',
]);

/**
 * Whether the code drops the result of the call sending the SQL: `await session.execute(text(q))`
 * or `conn.execute(q)` as a statement of its own, with no later use of `session`/`conn` in the
 * same function that could read the rows through it (a DB-API cursor hands them out afterwards).
 */
function discardsResult(model: PythonModel, call: PyCall): boolean {
  let result = resultOf(call);
  const sender = result;
  if (result.parent?.type === 'await') result = result.parent;
  const statement = result.parent;
  if (statement?.type !== 'expression_statement') return false;
  const fn = sender.childForFieldName('function');
  const receiver = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
  if (!receiver) return true;
  const scopeEnd = call.fn ? call.fn.node.endIndex : model.source.length;
  const rest = model.source.slice(statement.endIndex, scopeEnd);
  const name = receiver.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const uses = new RegExp(`(?<![\\w.])${name}\\b(\\s*\\.\\s*(\\w+))?`, 'g');
  for (const use of rest.matchAll(uses)) {
    if (!use[2] || !READS_NOTHING_BACK.has(use[2])) return false;
  }
  return true;
}

interface EmbeddedSql {
  units: SqlUnit[];
  /** The `fetch_all` / `fetchone` / ... calls (`ROW_FETCH_SINKS`) that send one of the units. */
  rowFetchCalls: Set<PyCall>;
}

const sqlByModel = new OwnedCache<PythonModel, EmbeddedSql>('embedded SQL');

function embeddedSql(model: PythonModel): EmbeddedSql {
  let sql = sqlByModel.get(model);
  if (!sql) {
    const rowFetchCalls = new Set<PyCall>();
    sql = { units: extractPythonSql(model, rowFetchCalls), rowFetchCalls };
    sqlByModel.set(model, sql);
  }
  return sql;
}

/** The file's embedded SQL, extracted once per model (fact contributors and rules share it). */
export function pythonSqlUnits(model: PythonModel): SqlUnit[] {
  return embeddedSql(model).units;
}

/**
 * Whether `call` is a `databases` query method or a wrapper's of the same name that sends a whole
 * SQL statement (`await database.fetch_all(query="SELECT ...")`, `await db.fetchone(sql, values)`):
 * a round trip, like asyncpg's `fetch`. Files without such a method name pay nothing.
 */
export function sendsRowFetchSql(call: PyCall, model: PythonModel): boolean {
  return ROW_FETCH_SINKS.has(call.method) && embeddedSql(model).rowFetchCalls.has(call);
}

const PARAMETER_KEYWORDS = new Set(['params', 'parameters', 'args', 'vars', 'values']);
const LITERALS: Record<string, BoundParameters['kind']> = {
  tuple: 'sequence',
  list: 'sequence',
  dictionary: 'mapping',
};

/**
 * The literal parameters that go with the SQL: the argument after it (`execute(sql, (a,))`), or a
 * `params=` keyword; for `text()`/`sql()` the enclosing call's (`db.execute(text(q), {...})`).
 */
function boundParameters(call: PyCall): BoundParameters | undefined {
  let target: Node = call.node;
  if (
    (call.method === 'text' || call.method === 'sql') &&
    target.parent?.type === 'argument_list'
  ) {
    target = target.parent.parent ?? target;
  }
  const args = target.childForFieldName('arguments');
  if (!args) return undefined;
  let positional = 0;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    let value: Node | null = arg;
    if (arg.type === 'keyword_argument') {
      if (!PARAMETER_KEYWORDS.has(arg.childForFieldName('name')?.text ?? '')) continue;
      value = arg.childForFieldName('value');
    } else if (++positional !== 2) continue;
    const kind = value ? LITERALS[value.type] : undefined;
    if (!value || !kind) return undefined;
    return {
      kind,
      start: value.startIndex,
      end: value.endIndex,
      text: value.text,
      tuple: value.type === 'tuple',
    };
  }
  return undefined;
}

/**
 * Every SQL string the file passes to a database call, once each. The `ROW_FETCH_SINKS` calls that
 * send one are added to `rowFetchCalls`.
 */
function extractPythonSql(model: PythonModel, rowFetchCalls: Set<PyCall>): SqlUnit[] {
  const units: SqlUnit[] = [];
  const seen = new Set<number>();
  for (const call of model.calls) {
    const rowFetch = ROW_FETCH_SINKS.has(call.method);
    if (!SQL_SINKS.has(call.method) && !rowFetch) continue;
    const arg = firstSqlArgument(call);
    if (!arg) continue;
    const pieces =
      arg.type === 'identifier'
        ? resolveVariable(model, call, arg.text)
        : [{ nodes: [arg], conditional: false }];
    const first = pieces?.[0].nodes[0];
    if (!pieces || !first) continue;
    if (seen.has(first.startIndex)) {
      // A statement held in a variable and sent twice: both calls send SQL.
      if (rowFetch) rowFetchCalls.add(call);
      continue;
    }
    const builder = new SqlTextBuilder();
    if (!appendString(first, model.source, builder)) continue;
    const built: SqlPiece[] = [];
    for (const { nodes, conditional } of pieces.slice(1)) {
      const sqlStart = builder.length;
      // A piece that is no string at all (`query += where_clause`) may hold any clause.
      if (!appendOperands(nodes, model.source, builder)) break;
      built.push({ sqlStart, conditional });
    }
    if (built.length < pieces.length - 1) continue;
    const last = pieces[pieces.length - 1].nodes.at(-1)!;
    const unit = builder.build(call.callee || call.method, first.startIndex, last.endIndex);
    if (!looksLikeSql(unit.text)) continue;
    if (rowFetch && !STATEMENT_SHAPE.test(unit.text)) continue;
    if (built.length > 0) unit.pieces = [{ sqlStart: 0, conditional: false }, ...built];
    unit.readsOneRow = readsOneRow(call);
    if (discardsResult(model, call)) unit.resultDiscarded = true;
    unit.parameters = boundParameters(call);
    seen.add(first.startIndex);
    units.push(unit);
    if (rowFetch) rowFetchCalls.add(call);
  }
  return units;
}
