import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import type { PyCall, PyFunction, PyLoop, PythonModel } from '../../server/src/python/model';
import {
  contains,
  functionOf,
  isTestPath,
  positionalArguments,
  rootName,
  targetNames,
} from '../../server/src/python/scope-analysis';

/** Methods that only read their receiver; any other method call may change it. */
const READ_ONLY_METHODS = new Set([
  'get',
  'items',
  'keys',
  'values',
  'copy',
  'count',
  'index',
  'format',
  'join',
  'startswith',
  'endswith',
]);

/** Statements after which the rest of a block does not run again in the same iteration. */
const EXITS = new Set(['return_statement', 'break_statement', 'raise_statement']);

/**
 * `sorted(x)` with the builtin, or a list's in-place `x.sort()`: keyword arguments only, on a
 * receiver that is not a module (`np.sort(a)` and `torch.sort(t)` sort their argument, once).
 */
function sortedData(call: PyCall, model: PythonModel): Node | undefined {
  if (call.callee === 'sorted' && call.qualified === 'sorted') return positionalArguments(call)[0];
  if (call.method !== 'sort' || !call.receiver || !call.callee) return undefined;
  if (model.imports.has(rootName(call.receiver)) || positionalArguments(call).length > 0)
    return undefined;
  return call.receiver;
}

/**
 * Data that reads the same each time unless something rebinds or mutates its names: names, attributes,
 * subscripts and `.items()`/`.keys()`/`.values()` of those. Other calls may return new data each time.
 */
function isPlainData(node: Node | null): boolean {
  if (!node) return false;
  switch (node.type) {
    case 'identifier':
      return true;
    case 'attribute':
      return isPlainData(node.childForFieldName('object'));
    case 'subscript':
      return isPlainData(node.childForFieldName('value'));
    case 'call': {
      const fn = node.childForFieldName('function');
      const args = node.childForFieldName('arguments');
      return (
        fn?.type === 'attribute' &&
        ['items', 'keys', 'values'].includes(fn.childForFieldName('attribute')?.text ?? '') &&
        args?.namedChildCount === 0 &&
        isPlainData(fn.childForFieldName('object'))
      );
    }
    default:
      return false;
  }
}

/** Comprehension node types: their `for` clauses bind names local to them. */
const COMPREHENSIONS = new Set([
  'list_comprehension',
  'set_comprehension',
  'dictionary_comprehension',
  'generator_expression',
]);

/** Names a lambda or comprehension binds for its own body. */
function boundInside(node: Node): string[] {
  if (node.type === 'lambda') {
    const params = node.childForFieldName('parameters');
    return params ? params.namedChildren.flatMap((p) => (p ? [rootName(p) || p.text] : [])) : [];
  }
  if (COMPREHENSIONS.has(node.type)) {
    return node.namedChildren.flatMap((clause) =>
      clause?.type === 'for_in_clause' ? targetNames(clause.childForFieldName('left')) : [],
    );
  }
  return [];
}

/**
 * Whether an identifier reads a variable from outside the sort: not the `b` of `a.b`, not the `key`
 * of `key=...`, not a lambda parameter or comprehension variable bound within `scope`.
 */
function readsOuterVariable(id: Node, scope: Node): boolean {
  const parent = id.parent;
  if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === id.id)
    return false;
  if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === id.id)
    return false;
  for (let node = parent; node && node.id !== scope.id; node = node.parent) {
    if (boundInside(node).includes(id.text)) return false;
  }
  return true;
}

/** Every variable the sort reads: its data, key function and other arguments. */
function namesRead(call: PyCall, data: Node): Set<string> {
  const names = new Set<string>();
  for (const node of [data, call.args]) {
    if (node.type === 'identifier') names.add(node.text);
    for (const id of node.descendantsOfType('identifier'))
      if (id && readsOuterVariable(id, call.node)) names.add(id.text);
  }
  return names;
}

/** Names a loop rebinds or may mutate per iteration: its targets, assignments, mutating calls. */
function namesChangedIn(loop: PyLoop, model: PythonModel, sortCall: PyCall): Set<string> {
  const changed = new Set<string>();
  const add = (names: string[]): void => names.forEach((name) => changed.add(name));
  const node = loop.node;
  if (loop.kind === 'for') add(targetNames(node.childForFieldName('left')));
  for (const bound of node.descendantsOfType(BINDING_NODES)) {
    if (bound) add(namesBoundBy(bound));
  }
  for (const call of model.calls) {
    if (call === sortCall || !contains(node, call.node)) continue;
    if (call.hasReceiver && !READ_ONLY_METHODS.has(call.method)) add([rootName(call.receiver)]);
    // A name handed to another function may be changed by it.
    for (const arg of call.args.namedChildren) {
      const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
      if (value?.type === 'identifier') changed.add(value.text);
    }
  }
  return changed;
}

/** Nodes that bind or change names: assignments, `del`, loop targets, `:=`, `with ... as`. */
const BINDING_NODES = [
  'assignment',
  'augmented_assignment',
  'delete_statement',
  'for_statement',
  'for_in_clause',
  'named_expression',
  'as_pattern_target',
];

/** The names a binding node rebinds, or whose contents it changes (`x[k] = v` changes `x`). */
function namesBoundBy(node: Node): string[] {
  switch (node.type) {
    case 'delete_statement': {
      // `del x[k]` has one target; `del x[k], y` has an expression list of them.
      const only = node.firstNamedChild;
      const targets = only?.type === 'expression_list' ? only.namedChildren : [only];
      return targets.map((target) => rootName(target ?? null));
    }
    case 'named_expression':
      return targetNames(node.childForFieldName('name'));
    case 'as_pattern_target':
      return targetNames(node);
    default: {
      const left = node.childForFieldName('left');
      if (left?.type === 'subscript' || left?.type === 'attribute') return [rootName(left)];
      return targetNames(left);
    }
  }
}

/** Whether the sort runs at most once per loop run: it returns, breaks or raises right there. */
function runsOnceInLoop(call: PyCall, loop: PyLoop): boolean {
  for (let node = call.node.parent; node && node.id !== loop.node.id; node = node.parent) {
    if (node.type === 'return_statement') return true;
    if (
      node.type === 'block' &&
      node.namedChildren.some((child) => !!child && EXITS.has(child.type))
    )
      return true;
  }
  return false;
}

/** Recursive calls of each function: `walk(...)` in `walk`, `self.walk(...)` in a method `walk`. */
function recursiveCalls(model: PythonModel): Map<PyFunction, PyCall[]> {
  const calls = new Map<PyFunction, PyCall[]>();
  for (const call of model.calls) {
    const fn = call.fn;
    if (!fn) continue;
    const self =
      (call.callee === fn.name && !fn.className) ||
      (!!fn.className && call.callee === `self.${fn.name}`);
    if (!self) continue;
    const list = calls.get(fn);
    if (list) list.push(call);
    else calls.set(fn, [call]);
  }
  return calls;
}

/** Names `fn` assigns in its own body (not in nested functions). */
function assignedNames(fn: PyFunction, model: PythonModel): Set<string> {
  const names = new Set<string>();
  for (const statement of fn.body.descendantsOfType(['assignment', 'augmented_assignment'])) {
    if (!statement || functionOf(model, statement) !== fn) continue;
    for (const name of targetNames(statement.childForFieldName('left'))) names.add(name);
  }
  return names;
}

/** The variable an argument passes as is: `items` for `items` or `key=items`, else ''. */
function passedName(arg: Node | null): string {
  const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
  return value?.type === 'identifier' ? value.text : '';
}

/** The name the sorted result lands in: `ordered` in `ordered = sorted(items)`, `items` in `items.sort()`. */
function sortedResultName(call: PyCall): string {
  if (call.method === 'sort') return call.receiver?.type === 'identifier' ? call.receiver.text : '';
  const parent = call.node.parent;
  const left = parent?.type === 'assignment' ? parent.childForFieldName('left') : null;
  return left?.type === 'identifier' ? left.text : '';
}

/** Node types that make their inner code run only sometimes. */
const CONDITIONAL = new Set([
  'if_statement',
  'conditional_expression',
  'boolean_operator',
  'match_statement',
]);

/** Whether the call runs only under a condition in `fn` (not at every call of it). */
function isConditional(call: PyCall, fn: PyFunction): boolean {
  for (let node = call.node.parent; node && node.id !== fn.body.id; node = node.parent)
    if (CONDITIONAL.has(node.type)) return true;
  return false;
}

/**
 * Why a sort inside a recursive function repeats work, or undefined when each level may sort new
 * data. The same data reaches every level when the sort reads only names from outside the function
 * or parameters every recursive call passes through unchanged; sorted data is sorted again when the
 * function passes its sorted list (or a slice of it) to itself.
 */
function recursionReason(
  call: PyCall,
  data: Node,
  fn: PyFunction,
  selfCalls: PyCall[],
  model: PythonModel,
): string | undefined {
  // `if depth == 0: items = sorted(items)` is the right way to sort once in a recursion.
  if (isConditional(call, fn)) return undefined;
  const assigned = assignedNames(fn, model);
  const params = new Set(fn.params.map((param) => param.name));
  const unchanged = (name: string): boolean =>
    name === 'self' ||
    name === 'cls' ||
    (!assigned.has(name) &&
      (!params.has(name) ||
        selfCalls.every((self) =>
          self.args.namedChildren.some((arg) => passedName(arg) === name),
        )));
  if ([...namesRead(call, data)].every(unchanged))
    return `sorts the same data again at every level of the recursive \`${fn.name}\`; sort once before recursing`;
  const result = sortedResultName(call);
  if (!result) return undefined;
  const passesSorted = selfCalls.some((self) =>
    self.args.namedChildren.some((arg) => {
      const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
      return rootName(value ?? null) === result;
    }),
  );
  return passesSorted
    ? `runs at every level of the recursive \`${fn.name}\`, which passes \`${result}\` down already sorted; sort once and recurse on the sorted data`
    : undefined;
}

/**
 * The loops whose body repeats the call. The iterable of a `for` (and of a comprehension's first
 * clause) runs once, so a loop whose iterable holds the call does not repeat it; checked here by
 * position because the model's own check compares node objects, which are not identical across
 * tree-sitter accessors.
 */
function loopsRepeating(call: PyCall): PyLoop[] {
  return call.loops.filter((loop) => !(loop.iterable && contains(loop.iterable, call.node)));
}

function quote(call: PyCall): string {
  const text = call.node.text;
  return text.length <= 60 && !text.includes('\n') ? text : `${call.callee}(...)`;
}

/** Sorting the same data again on every loop iteration or recursion level. */
export const sortInLoop: Rule = {
  meta: {
    id: 'sort-in-loop',
    language: 'python',
    category: 'redundant-work',
    severity: 'info',
    summary: '`sorted()` / `.sort()` of data that does not change, inside a loop or recursion',
    docs: {
      whatItDoes:
        'Finds `sorted(x)` and `x.sort()` inside a loop body when nothing the sort reads (`x`, its key ' +
        'function, its other arguments) changes in the loop, and inside a recursive function when the data ' +
        'sorted is the same at every level (not derived from the parameters) or is the already sorted list ' +
        'the function passes to itself.',
      whyIsThisBad:
        'A sort costs O(n log n) and allocates a new list each time. Inside a loop of m iterations over the ' +
        'same data it costs m times that for an identical result; in recursion it repeats at every level. ' +
        'On a dashboard that ranks 10,000 rows per host for 500 hosts, that is five million comparisons per ' +
        "page for one sort's worth of information.",
      example: [
        'for host in hosts:',
        '    ranked = sorted(samples, key=lambda s: s.latency_ms, reverse=True)',
        '    report[host] = [s for s in ranked if s.host == host][:10]',
      ].join('\n'),
      useInstead: [
        'ranked = sorted(samples, key=lambda s: s.latency_ms, reverse=True)',
        'for host in hosts:',
        '    report[host] = [s for s in ranked if s.host == host][:10]',
      ].join('\n'),
      notFlagged: [
        'Sorting per-iteration data: the loop variable or anything derived from it (`sorted(group)` in ' +
          '`for key, group in groups`), including through the key function (`key=lambda r: abs(r - target)`).',
        'Sorting data the loop changes: rebinds, assigns into, appends to, deletes from, calls any method on ' +
          'other than a read (`get`, `items`, `keys`, `values`, ...), or passes to another function.',
        'Sorting the result of a call other than `.items()`/`.keys()`/`.values()` (it may return new data ' +
          'each time), and library sorts (`np.sort(a)`, `torch.sort(t)`, `df.sort_values(...)`).',
        'A sort that runs at most once per loop: in a `return`, or in a block that returns, breaks or raises.',
        "Sorting after the loop, in the loop's iterable (`for x in sorted(xs)`, evaluated once), and loops " +
          'over small constant literals.',
        'Code in tests (`tests/`, `test_*.py`, `*_test.py`, `conftest.py`): it runs once per test run.',
        'In recursive functions, sorting data derived from the parameters (`sorted(node.children)`), unless ' +
          'the sorted list itself is what the function passes to its recursive call; and sorts under a ' +
          'condition (`if depth == 0: items = sorted(items)`, the way to sort once).',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    let selfCalls: Map<PyFunction, PyCall[]> | undefined;
    for (const call of model.calls) {
      const data = sortedData(call, model);
      if (!data || !isPlainData(data) || call.inLambda) continue;
      const loops = loopsRepeating(call);
      const loop = loops[loops.length - 1];
      let reason: string | undefined;
      if (loop) {
        if (loop.overConstantLiteral || runsOnceInLoop(call, loop)) continue;
        const changed = namesChangedIn(loop, model, call);
        if ([...namesRead(call, data)].some((name) => changed.has(name))) continue;
        reason = 'sorts the same data on every iteration of the loop; sort once before the loop';
      } else if (call.fn) {
        selfCalls ??= recursiveCalls(model);
        const calls = selfCalls.get(call.fn);
        if (calls) reason = recursionReason(call, data, call.fn, calls, model);
      }
      if (!reason) continue;
      ctx.report({
        start: call.node.startIndex,
        end: call.node.endIndex,
        message: `\`${quote(call)}\` ${reason}`,
      });
    }
  },
};
