/**
 * Calls of generator functions. Calling one runs none of its body: it hands back a generator, and
 * the body runs where that generator is iterated (`for chunk in read_chunks():`, `list(...)`), or
 * nowhere near the caller (`return StreamingResponse(read_chunks())`: the framework iterates it,
 * in a thread for a sync generator). Rules that follow helpers count a generator's I/O only where
 * the caller iterates it.
 */
import type { Node } from 'web-tree-sitter';
import { OwnedCache } from './memo';
import { type PyCall, type PyFunction, type PythonModel } from './model';
import { isGenerator } from './returned-calls';

/** Decorators that leave a generator function a generator function. */
const TRANSPARENT_DECORATORS = new Set(['staticmethod', 'classmethod']);

const yields = new OwnedCache<PythonModel, boolean>('mentions yield');

/** Whether the file says `yield` anywhere: files without it hold no generator function. */
function mayYield(model: PythonModel): boolean {
  let found = yields.get(model);
  if (found === undefined) {
    found = model.source.includes('yield');
    yields.set(model, found);
  }
  return found;
}

/**
 * Whether calling `fn` only builds a generator: it yields (not counting nested functions) and has
 * no decorator that could change what a call does (`@contextmanager` runs the body up to `yield`
 * when its `with` block starts).
 */
export function onlyBuildsGenerator(fn: PyFunction, model: PythonModel): boolean {
  if (fn.isAsync || !mayYield(model)) return false;
  if (fn.decorators.some((decorator) => !TRANSPARENT_DECORATORS.has(decorator))) return false;
  return isGenerator(fn, model);
}

/** Builtins and methods that iterate the iterable they are given to the end (or to its first item). */
const CONSUMING_CALLS = new Set([
  'list',
  'tuple',
  'set',
  'frozenset',
  'dict',
  'sorted',
  'sum',
  'min',
  'max',
  'any',
  'all',
  'next',
  'join',
  'extend',
  'writelines',
]);
/** Lazy wrappers: they iterate what they are given only as they are iterated themselves. */
const WRAPPING_CALLS = new Set([
  'enumerate',
  'zip',
  'map',
  'filter',
  'iter',
  'reversed',
  'islice',
  'chain',
  'takewhile',
  'dropwhile',
  'starmap',
]);

/** Wrappers followed outwards from a call before giving up (`list(enumerate(zip(gen())))`). */
const MAX_WRAPPERS = 4;

/**
 * Whether the caller iterates what `call` returns right where it is written: `for x in f():`,
 * a list, set or dict comprehension over it, `list(f())`, `sorted(...)`, `"".join(f())`,
 * `next(f())`, `*f()`, `yield from f()`, through lazy wrappers (`enumerate(f())` in a `for`), or
 * a local bound to it once and iterated so (`rows = f()`, then `for row in rows:`). A generator
 * expression over it is iterated where that expression is.
 */
export function iteratesResult(call: PyCall, model: PythonModel): boolean {
  return mayBeIteratedHere(call, model.source) && iteratedAt(call.node, call, model, 0);
}

/** Words that end the text before an iterated call: `for x in f()`, `yield from f()`. */
const ITERATING_WORDS = new Set(['in', 'from']);
/** Characters that end the text before an iterated call: `(`, `,`, `*`, `**`, `=`. */
const ITERATING_MARKS = new Set(['(', ',', '*', '=']);

/**
 * Whether the text before `call` on its line allows one of the shapes `iteratedAt` accepts: each
 * puts `in`, `from`, `(`, `,`, `*` or `=` right before the call (or before the parentheses around
 * it). Reading the source spares a walk up the tree for most call sites (statements, `await`,
 * `return`). A call first on its line (an argument after a comment, a continued line) is left to
 * the walk.
 */
function mayBeIteratedHere(call: PyCall, source: string): boolean {
  let at = call.start - 1;
  while (at >= 0 && (source[at] === ' ' || source[at] === '\t')) at--;
  if (at < 0 || source[at] === '\n' || source[at] === '\r') return true;
  if (ITERATING_MARKS.has(source[at])) return true;
  let wordStart = at;
  while (wordStart > 0 && /\w/.test(source[wordStart - 1])) wordStart--;
  return ITERATING_WORDS.has(source.slice(wordStart, at + 1));
}

function iteratedAt(expression: Node, call: PyCall, model: PythonModel, depth: number): boolean {
  let node = expression;
  // One `.parent` per level: each crosses into WASM.
  let parent = node.parent;
  while (parent?.type === 'parenthesized_expression') {
    node = parent;
    parent = node.parent;
  }
  if (!parent || depth > MAX_WRAPPERS) return false;
  switch (parent.type) {
    case 'for_statement':
      return parent.childForFieldName('right')?.equals(node) ?? false;
    case 'for_in_clause': {
      if (!parent.childForFieldName('right')?.equals(node)) return false;
      const comprehension = parent.parent;
      if (comprehension?.type !== 'generator_expression') return true;
      return iteratedAt(comprehension, call, model, depth + 1);
    }
    case 'list_splat':
    case 'dictionary_splat':
      return true;
    case 'yield':
      // `yield from f()` iterates; `yield f()` hands the generator itself on.
      return parent.child(1)?.type === 'from';
    case 'argument_list':
      return argumentIterated(parent.parent, call, model, depth);
    case 'call':
      // `list(x for x in f())`: a lone generator expression is the argument list itself.
      return node.type === 'generator_expression' && argumentIterated(parent, call, model, depth);
    case 'assignment':
      return boundLocalIterated(parent, node, call, model);
    default:
      return false;
  }
}

/** An argument of a call that consumes it, or of a lazy wrapper that is iterated in turn. */
function argumentIterated(
  outer: Node | null,
  call: PyCall,
  model: PythonModel,
  depth: number,
): boolean {
  if (outer?.type !== 'call') return false;
  const callee = outer.childForFieldName('function');
  const name =
    callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
  if (!name) return false;
  if (CONSUMING_CALLS.has(name)) return true;
  return WRAPPING_CALLS.has(name) && iteratedAt(outer, call, model, depth + 1);
}

/**
 * `rows = f()` in a function, then `rows` iterated there: by a loop or comprehension (not a
 * generator expression), or handed to a consuming call (`list(rows)`).
 */
function boundLocalIterated(
  assignment: Node,
  value: Node,
  call: PyCall,
  model: PythonModel,
): boolean {
  const fn = call.fn;
  const target = assignment.childForFieldName('left');
  if (!fn || target?.type !== 'identifier' || !assignment.childForFieldName('right')?.equals(value))
    return false;
  return iteratedLocals(model).get(fn)?.has(target.text) ?? false;
}

const iteratedLocalsCache = new OwnedCache<PythonModel, Map<PyFunction, Set<string>>>(
  'iterated locals',
);

/**
 * Per function, the plain names it iterates: a loop or comprehension over the name (not a
 * generator expression), or the name handed to a consuming call (`list(rows)`). Built once per
 * file: each call site bound to a local would otherwise scan every loop and call again.
 */
function iteratedLocals(model: PythonModel): Map<PyFunction, Set<string>> {
  let iterated = iteratedLocalsCache.get(model);
  if (iterated) return iterated;
  const names = new Map<PyFunction, Set<string>>();
  const add = (fn: PyFunction, name: string): void => {
    const known = names.get(fn);
    if (known) known.add(name);
    else names.set(fn, new Set([name]));
  };
  for (const loop of model.loops) {
    const iterable = loop.iterable;
    if (!loop.fn || iterable?.type !== 'identifier') continue;
    if (loop.node.type !== 'generator_expression') add(loop.fn, iterable.text);
  }
  for (const other of model.calls) {
    if (!other.fn || !CONSUMING_CALLS.has(other.method)) continue;
    for (const arg of other.args.namedChildren)
      if (arg?.type === 'identifier') add(other.fn, arg.text);
  }
  iterated = names;
  iteratedLocalsCache.set(model, iterated);
  return iterated;
}
