/**
 * Reads whose rows the code only counts, sums or groups in Python: `counts[row.status] += 1`,
 * `total += row.size`, `by_key[row.key] = row` (the latest row per key), or only `len(rows)`.
 * A bound (`.limit(1000)`, `[:1000]`) would not make such code cheaper but silently wrong: the
 * counts and totals would cover the first rows only. The database answers it in one grouped query.
 *
 * Kept narrow: rows that also leave the loop whole (appended, yielded, passed to a call, the row
 * variable returned or handed on) may be a page shown to people, and keep the bound fix.
 */
import type { Node } from 'web-tree-sitter';
import type { PyFunction } from './model';
import type { OrmRead } from './orm';
import { contains, readsVariable } from './scope-analysis';

/** What the code does with the rows: fold them into counts or totals, or only take their number. */
export interface RowAggregate {
  /** Counts or sums (`folds`), the last or best row per key (`latest`), or only `len()`. */
  kind: 'folds' | 'latest' | 'length';
  /** The attribute of the row the counts are keyed by (`status` of `counts[row.status] += 1`). */
  key?: string;
}

/** Statements a loop body may hold around its aggregates without sending the rows anywhere. */
const NEUTRAL_STATEMENTS = new Set(['pass_statement', 'continue_statement', 'comment']);

/**
 * How the code uses the rows of `read` when it only aggregates them: the `for` loops over the
 * read (written in the loop, or over a variable the read is assigned to, with `len()` of that
 * variable allowed beside them) fold every row into counts, sums or a per-key map, at least one
 * keyed or summed by the row. Undefined when the rows are used in any other way.
 */
export function aggregatesRows(read: OrmRead): RowAggregate | undefined {
  const fn = read.fn;
  if (!fn) return undefined;
  const direct = forLoopOver(read.node, fn);
  if (direct) return loopAggregate(direct);
  const name = assignedName(read.node);
  if (!name) return undefined;
  const uses = usesAfter(fn, name, read.node.endIndex);
  if (uses.length === 0) return undefined;
  let aggregate: RowAggregate | undefined;
  let measured = false;
  for (const use of uses) {
    const loop = use.parent?.type === 'for_statement' ? use.parent : undefined;
    if (loop && loop.childForFieldName('right')?.id === use.id) {
      const folded = loopAggregate(loop);
      if (!folded) return undefined;
      aggregate ??= folded;
    } else if (isFoldedByCall(use)) aggregate ??= { kind: 'folds' };
    else if (isLengthOf(use)) measured = true;
    // `if not rows: return zeros` beside the folds: an emptiness test sends no row anywhere.
    else if (!isTruthinessTest(use)) return undefined;
  }
  return aggregate ?? (measured ? { kind: 'length' } : undefined);
}

/** Builtins that fold an iterable into one value: `sum(...)`, `max(...)`, `min(...)`. */
const FOLDING_CALLS = new Set(['sum', 'max', 'min']);

/**
 * `rows` iterated by a generator or comprehension that a fold consumes whole:
 * `sum(s.total_tokens or 0 for s in rows)`, `max([s.ms for s in rows])`, or
 * `reduce(add, (s.tokens for s in rows), 0)`. Its element must not be the row itself
 * (`max(r for r in rows)` picks a row).
 */
function isFoldedByCall(use: Node): boolean {
  const clause = use.parent;
  if (clause?.type !== 'for_in_clause' || clause.childForFieldName('right')?.id !== use.id)
    return false;
  const generator = clause.parent;
  if (generator?.type !== 'generator_expression' && generator?.type !== 'list_comprehension')
    return false;
  const row = clause.childForFieldName('left');
  const element = generator.childForFieldName('body');
  if (row?.type !== 'identifier' || !element || element.text === row.text) return false;
  // `sum(x for x in rows)`: the generator stands for the call's whole argument list.
  const parent = generator.parent;
  const call = parent?.type === 'argument_list' ? parent.parent : parent;
  if (call?.type !== 'call') return false;
  const callee = call.childForFieldName('function')?.text ?? '';
  const args = call.childForFieldName('arguments');
  if (FOLDING_CALLS.has(callee))
    return args?.id === generator.id || args?.namedChildren.length === 1;
  // `reduce(add, <rows>, 0)`: a running sum.
  return (
    (callee === 'reduce' || callee === 'functools.reduce') &&
    ['add', 'operator.add'].includes(args?.namedChildren[0]?.text ?? '') &&
    args?.namedChildren[1]?.id === generator.id
  );
}

/** `if rows:` / `if not rows:`: the variable only tested for emptiness. */
function isTruthinessTest(use: Node): boolean {
  const test = use.parent?.type === 'not_operator' ? use.parent : use;
  const statement = test.parent;
  return (
    statement?.type === 'if_statement' && statement.childForFieldName('condition')?.id === test.id
  );
}

/** The `for` statement of `fn` whose iterable holds `node`. */
function forLoopOver(node: Node, fn: PyFunction): Node | undefined {
  for (let at: Node | null = node.parent; at && at.id !== fn.body.id; at = at.parent) {
    if (at.type === 'for_statement') {
      const iterable = at.childForFieldName('right');
      return iterable && contains(iterable, node) ? at : undefined;
    }
    if (at.type.endsWith('statement') || at.type === 'block') return undefined;
  }
  return undefined;
}

/** `rows` of `rows = q.all()` or `rows = (await session.execute(stmt)).scalars().all()`. */
export function assignedName(node: Node): string | undefined {
  let value = node;
  while (value.parent && ['await', 'parenthesized_expression'].includes(value.parent.type))
    value = value.parent;
  const assignment = value.parent;
  if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')?.id !== value.id)
    return undefined;
  const left = assignment.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : undefined;
}

/**
 * The identifiers `name` in `fn` after offset `at` (nested functions included), found in the
 * function's text rather than by walking its tree.
 */
export function usesAfter(fn: PyFunction, name: string, at: number): Node[] {
  const body = fn.body;
  const text = body.text;
  const uses: Node[] = [];
  for (const match of text.matchAll(new RegExp(`(?<![\\w.])${name}\\b`, 'g'))) {
    const offset = body.startIndex + match.index;
    if (offset < at) continue;
    const node = body.descendantForIndex(offset, offset + name.length);
    if (node?.type === 'identifier' && node.text === name) uses.push(node);
  }
  return uses;
}

/** `len(rows)`. */
function isLengthOf(use: Node): boolean {
  const call = use.parent?.parent;
  return (
    use.parent?.type === 'argument_list' &&
    use.parent.namedChildren.length === 1 &&
    call?.type === 'call' &&
    call.childForFieldName('function')?.text === 'len'
  );
}

/** What a `for` loop does with its rows, when it only aggregates them. */
function loopAggregate(loop: Node): RowAggregate | undefined {
  const row = loop.childForFieldName('left');
  const body = loop.childForFieldName('body');
  if (row?.type !== 'identifier' || !body) return undefined;
  const found: RowAggregate[] = [];
  if (!onlyAggregates(body, row.text, found)) return undefined;
  // Counts name the grouping best; a per-key pick stands alone.
  const folds = found.filter((aggregate) => aggregate.kind === 'folds');
  if (folds.length > 0) return folds.find((aggregate) => aggregate.key) ?? folds[0];
  return found[0];
}

/**
 * Whether every statement of `block` (through `if`/`elif`/`else`) aggregates the row, assigns
 * a local, or runs a call that is not handed the row whole; collects the aggregates in `found`.
 */
function onlyAggregates(block: Node, row: string, found: RowAggregate[]): boolean {
  for (const statement of block.namedChildren) {
    if (!statement || NEUTRAL_STATEMENTS.has(statement.type)) continue;
    if (statement.type === 'if_statement') {
      const branches = [
        statement.childForFieldName('consequence'),
        ...statement
          .childrenForFieldName('alternative')
          .map(
            (clause) =>
              clause?.childForFieldName('consequence') ?? clause?.childForFieldName('body'),
          ),
      ];
      if (!branches.every((branch) => !!branch && onlyAggregates(branch, row, found))) return false;
      continue;
    }
    if (statement.type !== 'expression_statement') return false;
    const expression = statement.namedChildren[0];
    if (!expression) return false;
    if (expression.type === 'call') {
      if (handsOnRow(expression, row)) return false;
      continue;
    }
    const aggregate = assignmentAggregate(expression, row);
    if (aggregate === false) return false;
    if (aggregate) found.push(aggregate);
  }
  return true;
}

/** Whether a call is given the row itself (`shown.append(row)`, `notify(row)`). */
function handsOnRow(call: Node, row: string): boolean {
  const args = call.childForFieldName('arguments');
  return !!args?.namedChildren.some(
    (arg) =>
      arg?.text === row ||
      (arg?.type === 'keyword_argument' && arg.childForFieldName('value')?.text === row),
  );
}

/**
 * What an assignment in the loop does: an aggregate of the row (`total += row.size`,
 * `counts[row.status] = counts.get(row.status, 0) + 1`, `latest[row.key] = row`), nothing of
 * note (a local computed from the row, a count of passes), or false when it keeps the row or
 * something built from it in a way that is no aggregate.
 */
function assignmentAggregate(node: Node, row: string): RowAggregate | undefined | false {
  const left = node.childForFieldName('left');
  const right = unparenthesized(node.childForFieldName('right'));
  if (!left || !right) return false;
  const fromRow = readsVariable(right, row) || readsVariable(left, row);
  const key =
    left.type === 'subscript' ? rowAttribute(left.childForFieldName('subscript'), row) : undefined;
  if (node.type === 'augmented_assignment') {
    // `counts[status] += 1` counts rows per key; `total += row.size` sums them; `n += 1` only
    // counts the passes. `keys |= {...}` collects values: no aggregate.
    if (!/^[-+]=$/.test(node.childForFieldName('operator')?.text ?? '')) return false;
    if (left.type === 'subscript') return { kind: 'folds', key };
    if (left.type !== 'identifier') return false;
    return fromRow ? { kind: 'folds' } : undefined;
  }
  if (node.type !== 'assignment') return false;
  if (left.type === 'identifier') {
    // `total = total + row.size`, `latest = max(latest, row.created_at)`; a value built up any
    // other way (`keys = keys.union({...})`) collects the rows' values; else a local.
    if (right.text === row) return false;
    if (!readsVariable(right, left.text)) return undefined;
    return fromRow && isArithmetic(right) ? { kind: 'folds' } : false;
  }
  if (left.type !== 'subscript') return false;
  const collection = left.childForFieldName('value');
  if (!collection) return false;
  // `latest[row.key] = row`: one row per key, the last (or best) one seen.
  if (right.text === row) return readsVariable(left, row) ? { kind: 'latest', key } : false;
  // `counts[k] = counts.get(k, 0) + 1`: a count or sum kept per key (`k` often a local of the row).
  return right.text.startsWith(collection.text) && right.type === 'binary_operator'
    ? { kind: 'folds', key }
    : false;
}

/** `a + b`, `a - b`, `max(a, b)`, `min(a, b)`: a running sum or extreme. */
function isArithmetic(node: Node): boolean {
  if (node.type === 'binary_operator')
    return ['+', '-'].includes(node.childForFieldName('operator')?.text ?? '');
  const callee = node.type === 'call' ? node.childForFieldName('function')?.text : undefined;
  return callee === 'max' || callee === 'min';
}

function unparenthesized(node: Node | null): Node | null {
  let inner = node;
  while (inner?.type === 'parenthesized_expression') inner = inner.namedChildren[0] ?? null;
  return inner;
}

/** The attribute name at the start of a text: `status` of `status.value]`. */
const LEADING_NAME = /^\w+/;

/** `status` of `row.status` or `row.status.value`. */
function rowAttribute(node: Node | null, row: string): string | undefined {
  const text = node?.text;
  // A constant pattern after a prefix test: no RegExp built per assignment.
  if (!text?.startsWith(`${row}.`)) return undefined;
  return LEADING_NAME.exec(text.slice(row.length + 1))?.[0];
}
