/**
 * Keyed caches filled on a miss: `if key not in cache: cache[key] = list(Rule.objects.filter(...))`.
 * The call runs once per distinct key, not once per item of the loop around it: the loop has
 * already been turned into "look up once, reuse", which is the cure for an N+1.
 */
import type { Node } from 'web-tree-sitter';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PythonModel } from './model';

/** Wrappers a result may pass through on its way into the cache: `list(...)`, `await`, `(...)`. */
const VALUE_WRAPPERS = new Set(['list', 'tuple', 'set', 'dict', 'frozenset', 'sorted']);

/**
 * Whether `call` fills a keyed cache on a miss: its value (through a chain it heads, `list(...)`,
 * `await`) is stored with `cache[key] = value`, directly or through a local stored so in the same
 * block, under an `if` inside the loop that tests the cache or the local for a miss (`key not in
 * cache`, `cache.get(key) is None`, `not cached`). The cache must outlive the loop's passes: it
 * is not assigned in the loop's body.
 */
export function isKeyedCacheFill(call: PyCall, model: PythonModel): boolean {
  const loop = call.loops[call.loops.length - 1];
  if (!loop || loop.kind === 'comprehension') return false;
  const assignment = assignmentOfValue(call.node);
  if (!assignment) return false;
  const target = assignment.childForFieldName('left');
  let cache: string | undefined;
  let local: string | undefined;
  if (target?.type === 'subscript') cache = cacheName(target);
  else if (target?.type === 'identifier') {
    local = target.text;
    cache = cacheStoring(assignment, local);
  }
  if (!cache || assignedInLoop(cache.split('.')[0], loop.node, model, call)) return false;
  return testsMiss(call.node, loop.node, [cache, ...(local ? [local] : [])]);
}

/** The assignment whose right side is the call's value, through chains and wrappers. */
function assignmentOfValue(node: Node): Node | undefined {
  let value = node;
  for (let depth = 0; depth < 12; depth++) {
    const parent = value.parent;
    if (!parent) return undefined;
    switch (parent.type) {
      case 'assignment':
        return parent.childForFieldName('right')?.id === value.id ? parent : undefined;
      case 'await':
      case 'parenthesized_expression':
        break;
      case 'attribute':
        if (parent.childForFieldName('object')?.id !== value.id) return undefined;
        break;
      case 'call':
        if (parent.childForFieldName('function')?.id !== value.id) return undefined;
        break;
      case 'argument_list': {
        const wrapper = parent.parent;
        const name = wrapper?.childForFieldName('function')?.text ?? '';
        if (!wrapper || !VALUE_WRAPPERS.has(name) || parent.namedChildren.length !== 1)
          return undefined;
        value = wrapper;
        continue;
      }
      default:
        return undefined;
    }
    value = parent;
  }
  return undefined;
}

/** `cache` when a later statement of the assignment's block stores `local` as `cache[key] = local`. */
function cacheStoring(assignment: Node, local: string): string | undefined {
  const statement = assignment.parent;
  const block = statement?.parent;
  if (statement?.type !== 'expression_statement' || !block) return undefined;
  let after = false;
  for (const sibling of block.namedChildren) {
    if (!sibling) continue;
    if (sibling.id === statement.id) after = true;
    else if (after && sibling.type === 'expression_statement') {
      const store = sibling.firstNamedChild;
      const left = store?.childForFieldName('left');
      if (store?.type === 'assignment' && left?.type === 'subscript') {
        if (store.childForFieldName('right')?.text === local) return cacheName(left);
      }
    }
  }
  return undefined;
}

/** The mapping a subscript stores into: `cache` in `cache[a][b]`, `self._rules` in `self._rules[k]`. */
function cacheName(subscript: Node): string | undefined {
  let value = subscript.childForFieldName('value');
  while (value?.type === 'subscript') value = value.childForFieldName('value');
  return value?.type === 'identifier' || value?.type === 'attribute' ? value.text : undefined;
}

/** A miss test: `k not in cache`, `cache.get(k) is None`, `not cache.get(k)`, `not local`. */
const MISS_TEST = /\bnot\s+in\b|\bis\s+None\b|^\s*not\b/;

/** Whether an `if` between the call and the loop tests one of `names` for a miss. */
function testsMiss(call: Node, loop: Node, names: string[]): boolean {
  for (let node = call.parent; node && node.id !== loop.id; node = node.parent) {
    if (node.type !== 'if_statement') continue;
    const condition = node.childForFieldName('condition')?.text ?? '';
    if (!MISS_TEST.test(condition)) continue;
    if (names.some((name) => mentionsName(condition, name))) return true;
  }
  return false;
}

/** Whether `text` mentions the name or dotted path `name` as a whole (not `x.name`, not `name_2`). */
export function mentionsName(text: string, name: string): boolean {
  // Most conditions do not hold the name at all: no RegExp for those.
  if (!text.includes(name)) return false;
  const escaped = name.replace(/[.]/g, '\\.');
  return new RegExp(`(?<![\\w.])${escaped}(?!\\w)`, 'u').test(text);
}

/** Whether `name` is bound in the loop's body before the call: a fresh cache per pass. */
function assignedInLoop(name: string, loop: Node, model: PythonModel, call: PyCall): boolean {
  if (name === 'self' || name === 'cls') return false;
  const assignments = call.fn ? call.fn.assignmentNodes : model.assignmentNodes;
  const start = loop.startIndex;
  return assignments.some(
    ({ node, target }) =>
      target === name && node.startIndex > start && node.startIndex < call.start,
  );
}

/**
 * Whether `call` runs only when a tracked group key changes: `if key != last: last = key; rows =
 * <query>` in a loop over rows sorted by that key (a control break). It runs once per group, a
 * one-entry cache. Narrow: the `if` tests `!=` comparisons (or `is None`) only, joined by `or`,
 * each on a name the `if` body assigns, and the loop's body assigns those names nowhere else.
 */
export function runsOnGroupChange(call: PyCall): boolean {
  const loop = [...call.loops].reverse().find((each) => each.kind !== 'comprehension');
  if (!loop) return false;
  for (let node = call.node.parent; node && node.id !== loop.node.id; node = node.parent) {
    if (node.type !== 'block' || node.parent?.type !== 'if_statement') continue;
    const test = node.parent;
    if (test.childForFieldName('consequence')?.id !== node.id) continue;
    const compared = comparedNames(test.childForFieldName('condition'));
    if (!compared) continue;
    // Each comparison names the tracked variable (`last`) beside the current key: the body
    // assigns the former.
    const assigned = assignedIn(node);
    const tracked = compared.map((sides) => sides.filter((name) => assigned.has(name)));
    if (tracked.some((names) => names.length === 0)) continue;
    if (!reassignedElsewhere(loop.node, node, tracked.flat())) return true;
  }
  return false;
}

/**
 * For `a != x` or `a != x or b != y` (an `x is None` among them too): per comparison, the plain names compared (either side), or
 * undefined when the condition is anything else.
 */
function comparedNames(condition: Node | null): string[][] | undefined {
  if (!condition) return undefined;
  if (condition.type === 'boolean_operator') {
    if (condition.childForFieldName('operator')?.text !== 'or') return undefined;
    const left = comparedNames(condition.childForFieldName('left'));
    const right = comparedNames(condition.childForFieldName('right'));
    return left && right ? [...left, ...right] : undefined;
  }
  if (condition.type !== 'comparison_operator' || condition.namedChildCount !== 2) return undefined;
  // `last != key`, or `rows is None`: the first pass, before any group was read.
  const changes = condition.children.some((child) => child?.type === '!=');
  const unset =
    condition.children.some((child) => child?.type === 'is') &&
    condition.namedChildren[1]?.type === 'none';
  if (!changes && !unset) return undefined;
  const names = condition.namedChildren.filter((side) => side?.type === 'identifier');
  return names.length > 0 ? [names.map((side) => side!.text)] : undefined;
}

/** Names a block assigns, also in nested branches: `last = key`, `last_a, last_b = a, b`. */
function assignedIn(block: Node): Set<string> {
  const names = new Set<string>();
  for (const assignment of block.descendantsOfType('assignment')) {
    const left = assignment?.childForFieldName('left');
    if (left?.type === 'identifier') names.add(left.text);
    else if (left?.type === 'pattern_list' || left?.type === 'tuple_pattern')
      for (const part of left.namedChildren) if (part?.type === 'identifier') names.add(part.text);
  }
  return names;
}

/**
 * Whether the loop's body assigns one of `names` outside `block` (`last = None` at the top of
 * each pass makes every pass a change): then the test no longer tracks a group.
 */
function reassignedElsewhere(loop: Node, block: Node, names: string[]): boolean {
  const body = loop.childForFieldName('body');
  if (!body) return true;
  const inBlock = (node: Node): boolean =>
    node.startIndex >= block.startIndex && node.endIndex <= block.endIndex;
  return body.descendantsOfType(['assignment', 'augmented_assignment']).some((node) => {
    if (!node || inBlock(node)) return false;
    const left = node.childForFieldName('left');
    if (!left) return false;
    // `row.name = name` binds no name: only plain and tuple targets do.
    const tuple = left.type === 'pattern_list' || left.type === 'tuple_pattern';
    const targets = left.type === 'identifier' ? [left] : tuple ? left.namedChildren : [];
    return targets.some((target) => target?.type === 'identifier' && names.includes(target.text));
  });
}

/**
 * Where a helper memoises its work in a mapping its caller passes in, `def author_of(session,
 * author_id, cache)`: the parameter, its position among the arguments a call passes (after
 * `self`/`cls` for a method), and the range of the body that runs only on a miss. Two shapes:
 * `if key not in cache: ...; cache[key] = value` (the `if` body), or `if key in cache: return
 * cache[key]` first and `cache[key] = value` later (the rest of the body). The caller must pass
 * the same mapping each time for this to save round trips (see `keptArguments`).
 */
export interface ParamCache {
  name: string;
  position: number;
  start: number;
  end: number;
}

/** A hit test: `key in cache` (not `not in`). */
const HIT_TEST = /(?<!\bnot\s)\bin\s+([\w]+)\s*$/;

/** A subscript store (`cache[key] = value`): both shapes of a parameter cache hold one. */
const SUBSCRIPT_STORE = /\]\s*=[^=]/g;
/** A membership or `.get` test: both shapes of a parameter cache test the cache so. */
const CACHE_TEST = /\bin\b|\.get\(/;

const subscriptStoresCache = new OwnedCache<PythonModel, { starts: number[]; ends: number[] }>(
  'subscript stores',
);

/** Where the file's subscript stores start and end, in source order (they do not overlap). */
function subscriptStores(model: PythonModel): { starts: number[]; ends: number[] } {
  let stores = subscriptStoresCache.get(model);
  if (stores) return stores;
  stores = { starts: [], ends: [] };
  for (const match of model.source.matchAll(SUBSCRIPT_STORE)) {
    stores.starts.push(match.index);
    stores.ends.push(match.index + match[0].length);
  }
  subscriptStoresCache.set(model, stores);
  return stores;
}

/**
 * Whether a subscript store lies within `start`..`end`. One scan of the file serves every
 * function, where a scan of each body would read a method's text once more per nesting level.
 */
function storesWithin(model: PythonModel, start: number, end: number): boolean {
  const { starts, ends } = subscriptStores(model);
  let low = 0;
  let high = starts.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (starts[middle] < start) low = middle + 1;
    else high = middle;
  }
  // The first store from `start` on ends first: if it runs past `end`, every later one does.
  return low < starts.length && ends[low] <= end;
}

export function paramCacheOf(fn: PyFunction, model: PythonModel): ParamCache | undefined {
  const params = fn.params.map((param) => param.name.replace(/^\*+/, ''));
  if (fn.className && (params[0] === 'self' || params[0] === 'cls')) params.shift();
  // The cache is a parameter: a function without one has none, whatever its body says.
  if (params.length === 0) return undefined;
  const body = fn.body;
  // Cheap sniff: a subscript store, then a membership or `.get` test.
  if (!storesWithin(model, body.startIndex, body.endIndex)) return undefined;
  if (!CACHE_TEST.test(body.text)) return undefined;
  const statements = fn.body.namedChildren.filter((child) => child?.type !== 'comment');
  for (const [i, statement] of statements.entries()) {
    if (statement?.type !== 'if_statement') continue;
    const condition = statement.childForFieldName('condition')?.text ?? '';
    const consequence = statement.childForFieldName('consequence');
    if (!consequence) continue;
    const missed = MISS_TEST.test(condition)
      ? params.find((name) => mentionsName(condition, name) && storesInto(consequence, name))
      : undefined;
    if (missed) return cacheAt(params, missed, consequence.startIndex, consequence.endIndex);
    // `if key in cache: return cache[key]`, then the work and a store later in the body.
    const hit = HIT_TEST.exec(condition)?.[1];
    const rest = statements.slice(i + 1);
    if (
      hit &&
      params.includes(hit) &&
      consequence.lastNamedChild?.type === 'return_statement' &&
      rest.some((later) => later && storesInto(later, hit))
    )
      return cacheAt(params, hit, statement.endIndex, fn.body.endIndex);
  }
  return undefined;
}

function cacheAt(params: string[], name: string, start: number, end: number): ParamCache {
  return { name, position: params.indexOf(name), start, end };
}

/** Whether a statement stores into `cache[...]` (`cache[key] = value`), at any depth. */
function storesInto(node: Node, cache: string): boolean {
  const stores = node.type === 'assignment' ? [node] : node.descendantsOfType('assignment');
  return stores.some((store) => {
    const left = store?.childForFieldName('left');
    return left?.type === 'subscript' && cacheName(left) === cache;
  });
}

/**
 * The arguments of a call in a loop that hold the same object on every pass: plain names (or
 * `self.x`) the loop's body does not assign before the call. Positions (`"2"`) and keyword names
 * (`"cache"`).
 */
export function keptArguments(call: PyCall, model: PythonModel): string[] {
  const loop = call.loops[call.loops.length - 1];
  if (!loop) return [];
  const kept: string[] = [];
  let position = 0;
  for (const arg of call.args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    if (arg.type === 'keyword_argument') {
      const value = arg.childForFieldName('value');
      const name = arg.childForFieldName('name')?.text;
      if (name && value && isKeptName(value, loop.node, model, call)) kept.push(name);
      continue;
    }
    if (arg.type === 'list_splat' || arg.type === 'dictionary_splat') break;
    if (isKeptName(arg, loop.node, model, call)) kept.push(String(position));
    position++;
  }
  return kept;
}

function isKeptName(value: Node, loop: Node, model: PythonModel, call: PyCall): boolean {
  if (value.type !== 'identifier' && value.type !== 'attribute') return false;
  if (!/^[\w.]+$/.test(value.text)) return false;
  return !assignedInLoop(value.text.split('.')[0], loop, model, call);
}
