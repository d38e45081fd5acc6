/**
 * Local data flow of one Python function: what its body assigns, and which expressions reach its
 * `return`, directly or through variables. Collected in one walk of the body and cached per
 * function; the ORM chain reader and the rules that ask "does this function hand its rows out?"
 * share it.
 */
import type { Node } from 'web-tree-sitter';
import type { PyAssignmentNode, PyFunction } from './model';
import { OwnedCache } from './memo';

/** What a function's body assigns and returns (nested functions and classes excluded). */
export interface LocalFlow {
  /** Right-hand sides of `name = value`, in source order. */
  assignments: Map<string, Node[]>;
  /** Names rebound in ways this module does not follow (`for name in`, `name += ...`). */
  opaque: Set<string>;
  /** Ranges of expressions whose value the function returns, directly or through variables. */
  returned: { start: number; end: number }[];
  /**
   * Ranges of query filter arguments inside those expressions (`.filter(...)`, `.where(...)`,
   * `.in_(...)`): their values pick the rows returned, they are not returned themselves.
   */
  filterArguments: { start: number; end: number }[];
  /**
   * The statements of the body (and their blocks, and the assignment an expression statement
   * makes) in source order, for `flowsToReturn`; undefined when the body has syntax errors.
   */
  statements?: StatementMap;
}

/** Where a statement-level node ends flowsToReturn's climb: at a return, an assignment, or elsewhere. */
const enum Stop {
  Return,
  Assignment,
  Other,
}

/** Statement-level nodes of a body in preorder, each with the index of its enclosing one (or -1). */
interface StatementMap {
  starts: number[];
  stops: Stop[];
  parents: number[];
  nodes: Node[];
}

const flows = new OwnedCache<PyFunction, LocalFlow>('local flow');

/** The local flow of `fn`, computed on first request. */
export function localFlow(fn: PyFunction): LocalFlow {
  let flow = flows.get(fn);
  if (!flow) {
    flow = computeFlow(fn);
    flows.set(fn, flow);
  }
  return flow;
}

const SKIPPED_SCOPES = new Set(['function_definition', 'class_definition', 'lambda']);
/** Statements whose blocks hold more statements. */
const COMPOUND = new Set([
  'block',
  'if_statement',
  'elif_clause',
  'else_clause',
  'for_statement',
  'while_statement',
  'try_statement',
  'except_clause',
  'except_group_clause',
  'finally_clause',
  'with_statement',
  'match_statement',
  'case_clause',
]);
const WORD = /[A-Za-z_]\w*/g;

/**
 * The name an assignment binds when its target is a plain identifier, else ''. `target` is the
 * model's reading of the target from the source, which spares asking the tree for it.
 */
function assignedName(statement: Node, target: string | undefined): string {
  if (target !== undefined) return target.includes('.') ? '' : target;
  const left = statement.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : '';
}

function addAssignment(
  statement: Node,
  assignments: Map<string, Node[]>,
  ordered: { name: string; value: Node }[],
  target?: string,
): void {
  const name = assignedName(statement, target);
  const right = name ? statement.childForFieldName('right') : null;
  if (right) {
    const list = assignments.get(name);
    if (list) list.push(right);
    else assignments.set(name, [right]);
    ordered.push({ name, value: right });
  }
}

function addAugmented(statement: Node, opaque: Set<string>, target?: string): void {
  const name = assignedName(statement, target);
  if (name) opaque.add(name);
}

function addReturn(statement: Node, returns: Node[]): void {
  const value = statement.namedChildren.find((c) => c && c.type !== 'comment');
  if (value) returns.push(value);
}

function addLoopTarget(statement: Node, opaque: Set<string>): void {
  const left = statement.childForFieldName('left');
  if (left?.type === 'identifier') opaque.add(left.text);
}

function computeFlow(fn: PyFunction): LocalFlow {
  const assignments = new Map<string, Node[]>();
  const ordered: { name: string; value: Node }[] = [];
  const opaque = new Set<string>();
  const returns: Node[] = [];
  // Statement ranges stand in for parent climbs, which are exact only in a body without errors.
  const statements: StatementMap | undefined =
    fn.body.type === 'block' && !fn.body.hasError
      ? { starts: [], stops: [], parents: [], nodes: [] }
      : undefined;
  if (statements) record(statements, fn.body, Stop.Other, -1);
  // In a body without errors the model's assignment nodes say which statements assign.
  const known = statements ? fn.assignmentNodes : undefined;
  walkFlowStatements(fn.body, assignments, ordered, opaque, returns, statements, known);
  const flow = new Flow(assignments, opaque, ordered, returns);
  flow.statements = statements;
  return flow;
}

function record(map: StatementMap, node: Node, stop: Stop, parent: number): number {
  map.starts.push(node.startIndex);
  map.stops.push(stop);
  map.parents.push(parent);
  map.nodes.push(node);
  return map.starts.length - 1;
}

/** Whether a node of this type ends `flowsToReturn`'s climb with `false`. */
function isOtherStop(type: string): boolean {
  return type.endsWith('statement') || type === 'block' || SKIPPED_SCOPES.has(type);
}

/** The assignments, loop targets and returns of a body, from a walk of its statement lists. */
function walkFlowStatements(
  body: Node,
  assignments: Map<string, Node[]>,
  ordered: { name: string; value: Node }[],
  opaque: Set<string>,
  returns: Node[],
  statements: StatementMap | undefined,
  /** The function's assignment nodes in source order, when its body parsed without errors. */
  known: readonly PyAssignmentNode[] | undefined,
): void {
  let next = 0;
  /**
   * The assignment an expression statement consists of: without errors, it is the statement's
   * only child and starts where the statement does. Statements come in source order, so one pass
   * over the known assignments finds them all without asking the tree for the children.
   */
  const assignmentOf = (statement: Node): PyAssignmentNode | undefined => {
    const start = statement.startIndex;
    while (next < known!.length && known![next].node.startIndex < start) next++;
    return known![next]?.node.startIndex === start ? known![next] : undefined;
  };
  // Statements only: assignments and returns never hide inside expressions we care about.
  const visit = (node: Node, parent: number): void => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      const type = child.type;
      if (type === 'expression_statement') {
        const at = statements ? record(statements, child, Stop.Other, parent) : -1;
        if (known) {
          const assignment = assignmentOf(child);
          if (assignment?.augmented) addAugmented(assignment.node, opaque, assignment.target);
          else if (assignment) {
            if (statements) record(statements, assignment.node, Stop.Assignment, at);
            addAssignment(assignment.node, assignments, ordered, assignment.target);
          }
          continue;
        }
        for (const statement of child.namedChildren) {
          const statementType = statement?.type;
          if (statementType === 'assignment') {
            if (statements) record(statements, statement!, Stop.Assignment, at);
            addAssignment(statement!, assignments, ordered);
          } else if (statementType === 'augmented_assignment') addAugmented(statement!, opaque);
        }
      } else if (type === 'return_statement') {
        if (statements) record(statements, child, Stop.Return, parent);
        addReturn(child, returns);
      } else if (COMPOUND.has(type)) {
        if (type === 'for_statement') addLoopTarget(child, opaque);
        // Clauses (`else:`, `except:`) end no climb; their blocks do.
        const at =
          statements && isOtherStop(type) ? record(statements, child, Stop.Other, parent) : parent;
        visit(child, at);
      } else if (statements && isOtherStop(type)) {
        record(statements, child, Stop.Other, parent);
      }
    }
  };
  visit(body, 0);
}

/** A function's flow; what reaches a return is worked out only when asked (it reads source text). */
class Flow implements LocalFlow {
  statements?: StatementMap;
  private returnedRanges?: ReturnedRanges;

  constructor(
    readonly assignments: Map<string, Node[]>,
    readonly opaque: Set<string>,
    private readonly ordered: readonly { name: string; value: Node }[],
    private readonly returns: readonly Node[],
  ) {}

  get returned(): { start: number; end: number }[] {
    this.returnedRanges ??= returnedRanges(this.ordered, this.returns);
    return this.returnedRanges.values;
  }

  get filterArguments(): { start: number; end: number }[] {
    this.returnedRanges ??= returnedRanges(this.ordered, this.returns);
    return this.returnedRanges.filterArguments;
  }
}

interface ReturnedRanges {
  values: { start: number; end: number }[];
  filterArguments: { start: number; end: number }[];
}

function returnedRanges(
  ordered: readonly { name: string; value: Node }[],
  returns: readonly Node[],
): ReturnedRanges {
  // Names whose value reaches a return, propagated backwards through assignments.
  const values = returns.map((node) => ({ start: node.startIndex, end: node.endIndex }));
  const filterArguments: { start: number; end: number }[] = [];
  const names = new Set<string>();
  for (const node of returns) addReturnedNames(node, names, filterArguments);
  for (let i = ordered.length - 1; i >= 0; i--) {
    const { name, value } = ordered[i];
    if (!names.has(name)) continue;
    values.push({ start: value.startIndex, end: value.endIndex });
    addReturnedNames(value, names, filterArguments);
  }
  return { values, filterArguments };
}

/**
 * Identifiers in `node`'s text whose value it carries: `len(rows)` carries a count, not `rows`,
 * and `.filter(Item.parent_id.in_([p.id for p in parents]))` carries items, not `parents`. The
 * filter arguments' ranges are added to `filters`.
 */
function addReturnedNames(
  node: Node,
  into: Set<string>,
  filters: { start: number; end: number }[],
): void {
  const text = node.text;
  const skipped = filterArgumentSpans(text);
  for (const span of skipped)
    filters.push({ start: node.startIndex + span.start, end: node.startIndex + span.end });
  let next = 0;
  for (const match of text.matchAll(WORD)) {
    while (next < skipped.length && skipped[next].end <= match.index) next++;
    if (next < skipped.length && skipped[next].start <= match.index) continue;
    const before = text.slice(Math.max(0, match.index - 4), match.index);
    if (before === 'len(' || text[match.index - 1] === '.') continue;
    into.add(match[0]);
  }
}

/** A query method whose arguments choose rows: `.filter(`, `.where(`, `.in_(`, Django `.exclude(`. */
const FILTER_CALL = /\.(?:filter|filter_by|where|exclude|having|in_|not_in|notin_)\s*\(/g;

/**
 * The argument lists (inside the parentheses) of the query filter calls in `text`, outermost
 * only, in order. Strings are skipped while matching parentheses; an unclosed list runs to the end.
 */
function filterArgumentSpans(text: string): { start: number; end: number }[] {
  const spans: { start: number; end: number }[] = [];
  if (!text.includes('(')) return spans;
  FILTER_CALL.lastIndex = 0;
  for (let match = FILTER_CALL.exec(text); match; match = FILTER_CALL.exec(text)) {
    const start = match.index + match[0].length;
    const end = closingParenthesis(text, start);
    spans.push({ start, end });
    FILTER_CALL.lastIndex = end;
  }
  return spans;
}

/**
 * The offset of the `)` closing a parenthesis opened just before `from` (or the text's length).
 * Strings and comments are skipped (a triple-quoted string reads as three plain ones).
 */
function closingParenthesis(text: string, from: number): number {
  let depth = 1;
  for (let at = from; at < text.length; at++) {
    const char = text[at];
    if (char === '"' || char === "'" || char === '#') {
      const close = text.indexOf(char === '#' ? '\n' : char, at + 1);
      if (close < 0) return text.length;
      at = close;
    } else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return at;
  }
  return text.length;
}

/** Whether the value of `node` (in `fn`'s body) is what `fn` returns, directly or via variables. */
export function flowsToReturn(fn: PyFunction, node: Node): boolean {
  const flow = localFlow(fn);
  const stop = flow.statements ? stopAround(flow.statements, node) : undefined;
  if (stop === Stop.Other) return false;
  if (stop === Stop.Return) return !inFilterArguments(flow, node);
  if (stop === Stop.Assignment) return isReturned(flow, node);
  // Climb to the statement: a return, an assignment or any other statement decides.
  for (let up = node.parent; up; up = up.parent) {
    const type = up.type;
    if (type === 'return_statement') return !inFilterArguments(flow, node);
    if (type === 'assignment') break;
    if (isOtherStop(type)) return false;
  }
  return isReturned(flow, node);
}

function isReturned(flow: LocalFlow, node: Node): boolean {
  const start = node.startIndex;
  const end = node.endIndex;
  return (
    flow.returned.some((range) => range.start <= start && end <= range.end) &&
    !inFilterArguments(flow, node)
  );
}

/** Whether `node` sits in a filter argument of a returned query: it picks rows, it is not one. */
function inFilterArguments(flow: LocalFlow, node: Node): boolean {
  const start = node.startIndex;
  const end = node.endIndex;
  return flow.filterArguments.some((range) => range.start <= start && end <= range.end);
}

/**
 * What the first statement-level node above `node` is, as `node.parent` would find it, from the
 * ranges the walk of the body recorded; undefined when the ranges cannot tell (the node lies
 * outside the body, or a lambda between it and a return or assignment may end the climb first).
 */
function stopAround(map: StatementMap, node: Node): Stop | undefined {
  const start = node.startIndex;
  const end = node.endIndex;
  const { starts, nodes } = map;
  // The last recorded node starting at or before `node`; the innermost container is it or one
  // of the nodes enclosing it, since the records nest and come in preorder.
  let low = 0;
  let high = starts.length - 1;
  if (high < 0 || starts[0] > start) return undefined;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= start) low = mid;
    else high = mid - 1;
  }
  let at = low;
  // Ends are read only here: most statements are never asked about.
  while (at >= 0 && !(starts[at] <= start && end <= nodes[at].endIndex)) at = map.parents[at];
  if (at < 0) return undefined;
  // The node itself, when it is statement-level: its climb starts above it.
  if (starts[at] === start && nodes[at].endIndex === end && nodes[at].id === node.id) {
    at = map.parents[at];
    if (at < 0) return undefined;
  }
  const stop = map.stops[at];
  // Only a lambda may sit between a statement and an expression in it, and it ends the climb.
  if (stop !== Stop.Other && nodes[at].text.includes('lambda')) return undefined;
  return stop;
}
