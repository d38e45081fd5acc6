/**
 * Reads whose rows the code groups per parent in Python: a join to a to-many relation folded
 * into one list per parent (`by_set[ds.id][1].append(cc_pair)`, `by_team[m.team_id].append(m)`,
 * `groups.setdefault(row.order_id, []).append(row)`), or `itertools.groupby(rows, key=...)`.
 * A row bound (`.limit(1000)`, `[:1000]`) cuts such a read in the middle of a group: the last
 * parent's list comes back short, and nothing says so. The cure is a page of parents, then
 * their children.
 *
 * Only accumulation into an entry keyed by something of the row counts as grouping: a flat list
 * (`ids.append(row.id)`), one row per key (`index[row.id] = row`) and counts
 * (`counts[row.k] += 1`, `row-aggregates.ts`) are not.
 */
import type { Node } from 'web-tree-sitter';
import type { PyCall, PythonModel } from './model';
import type { OrmRead } from './orm';
import { usesAfter } from './row-aggregates';
import { readsVariable } from './scope-analysis';

/** How the rows are grouped, for the message. */
export interface RowGrouping {
  /** The key as written: `document_set.id`, `m.team_id`, or `groupby(...)`'s `key=` argument. */
  key: string;
  /** 1-based line of the call that adds a row to its group. */
  line: number;
}

/** Methods that add an element to a group's list or set in place. */
const ADDS = new Set(['append', 'extend', 'add', 'insert']);
/** `cast(T, rows)`, `list(rows)`: calls that hand their row argument back unchanged. */
const PASS_THROUGH = new Set(['cast', 'typing.cast', 'list', 'tuple']);
/** `groupby(rows, key=...)`: the stdlib's grouping of consecutive rows. */
const GROUPBY = new Set(['groupby', 'itertools.groupby']);
/** Empty defaults of `setdefault(key, [])`: the group a row is added to. */
const EMPTY_GROUP = /^(?:\[\]|list\(\)|set\(\))$/;

/** How the rows of `read` are grouped per parent in its function, if they are. */
export function groupsRowsPerParent(read: OrmRead, model: PythonModel): RowGrouping | undefined {
  const fn = read.fn;
  if (!fn) return undefined;
  const rows = passedThrough(read.node);
  const direct = groupingOver(rows, model);
  if (direct) return direct;
  const name = assignedTo(rows);
  if (!name) return undefined;
  for (const use of usesAfter(fn, name, read.node.endIndex)) {
    const grouping = groupingOver(use, model);
    if (grouping) return grouping;
  }
  return undefined;
}

/** The outermost expression that still holds the rows: through `await`, parentheses, `cast(T, x)`. */
function passedThrough(node: Node): Node {
  let value = node;
  for (;;) {
    const parent = value.parent;
    if (!parent) return value;
    if (parent.type === 'await' || parent.type === 'parenthesized_expression') {
      value = parent;
      continue;
    }
    const call = parent.type === 'argument_list' ? parent.parent : null;
    const callee = call?.childForFieldName('function')?.text ?? '';
    if (!call || !PASS_THROUGH.has(callee) || parent.namedChildren.at(-1)?.id !== value.id)
      return value;
    value = call;
  }
}

/** `rows` of `rows = <expression>`. */
function assignedTo(expression: Node): string | undefined {
  const assignment = expression.parent;
  if (
    assignment?.type !== 'assignment' ||
    assignment.childForFieldName('right')?.id !== expression.id
  )
    return undefined;
  const left = assignment.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : undefined;
}

/** The grouping of the rows `rows` stands for: a `groupby(rows, ...)`, or a `for` loop over them. */
function groupingOver(rows: Node, model: PythonModel): RowGrouping | undefined {
  const parent = rows.parent;
  const call = parent?.type === 'argument_list' ? parent.parent : null;
  if (call && GROUPBY.has(call.childForFieldName('function')?.text ?? '')) {
    const args = call.childForFieldName('arguments');
    if (args?.namedChildren[0]?.id !== rows.id) return undefined;
    const key = args.namedChildren.find(
      (arg) => arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'key',
    );
    const keyFn = key?.childForFieldName('value') ?? args.namedChildren[1];
    // `key=lambda line: line.order_id` reads best as its body.
    const keyText = (keyFn?.type === 'lambda' ? keyFn.childForFieldName('body') : keyFn)?.text;
    // Without a key, `groupby` groups equal rows: no parent to cut.
    return keyText ? { key: keyText, line: call.startPosition.row + 1 } : undefined;
  }
  if (parent?.type !== 'for_statement' || parent.childForFieldName('right')?.id !== rows.id)
    return undefined;
  return loopGrouping(parent, model);
}

/** The first call of the loop's body that adds something of the row to the row's own group. */
function loopGrouping(loop: Node, model: PythonModel): RowGrouping | undefined {
  const body = loop.childForFieldName('body');
  const target = loop.childForFieldName('left');
  if (!body || !target) return undefined;
  // `for document_set, cc_pair in results`: each name holds a part of the row.
  const names =
    target.type === 'identifier'
      ? [target.text]
      : target.namedChildren.flatMap((part) => (part?.type === 'identifier' ? [part.text] : []));
  if (names.length === 0) return undefined;
  const ofRow = (node: Node): boolean => names.some((name) => readsVariable(node, name));
  const start = body.startIndex;
  const end = body.endIndex;
  for (const call of model.calls) {
    if (call.start < start || call.start >= end) continue;
    const key = groupKey(call, ofRow);
    if (key) return { key, line: call.node.startPosition.row + 1 };
  }
  return undefined;
}

/**
 * `document_set.id` of `by_set[document_set.id][1].append(cc_pair)` or of
 * `groups.setdefault(row.order_id, []).append(row)`: the key of the group a call adds a part of
 * the row to.
 */
function groupKey(call: PyCall, ofRow: (node: Node) => boolean): string | undefined {
  if (!ADDS.has(call.method) || !call.receiver || !ofRow(call.args)) return undefined;
  let entry: Node | null = call.receiver;
  // `by_set[key][1]`: the group may sit inside the entry (a tuple's list).
  while (entry?.type === 'subscript') {
    const key = entry.childForFieldName('subscript');
    if (key && ofRow(key)) return key.text;
    entry = entry.childForFieldName('value');
  }
  if (entry?.type !== 'call') return undefined;
  const callee = entry.childForFieldName('function');
  if (callee?.type !== 'attribute' || callee.childForFieldName('attribute')?.text !== 'setdefault')
    return undefined;
  const [key, initial] = positionalArgumentsOf(entry);
  if (!key || !initial || !ofRow(key)) return undefined;
  return EMPTY_GROUP.test(initial.text.replace(/\s+/g, '')) ? key.text : undefined;
}

/** The positional arguments of a call node. */
function positionalArgumentsOf(call: Node): Node[] {
  const args = call.childForFieldName('arguments');
  return (args?.namedChildren ?? []).filter(
    (arg): arg is Node => !!arg && arg.type !== 'keyword_argument',
  );
}
