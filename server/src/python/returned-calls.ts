/**
 * What a function hands back to its caller: the calls whose result it returns, directly, inside a
 * returned tuple or through a local. Lets rules tell a factory (`def make_engine(url): return
 * create_engine(url)`), whose caller owns what it creates, from a function that uses what it makes.
 */
import type { Node } from 'web-tree-sitter';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PythonModel } from './model';
import { functionOf, unwrap } from './scope-analysis';

const returnedCallsCache = new OwnedCache<PyFunction, ReadonlySet<PyCall>>('returned calls');
const ownYieldsCache = new OwnedCache<PyFunction, readonly Node[]>('own yields');

/** The `return` keyword, as `ownStatementsStartingWith` looks for it. */
export const RETURN_KEYWORD = /\breturn\b/g;
const YIELD_KEYWORD = /\byield\b/g;

/**
 * The statements (or expressions) in `fn`'s body that start with `keyword`, nested functions
 * included, in source order. Found from the word in the source and one point lookup each: cheaper
 * than a walk of the body. The keyword is anonymous, so the smallest named node around it is its
 * statement; the word in a string, a comment or a broken statement lands on another node.
 */
export function statementsStartingWith(
  fn: PyFunction,
  source: string,
  keyword: RegExp,
  type: string,
): Node[] {
  const body = fn.body;
  const start = body.startIndex;
  const found: Node[] = [];
  for (const match of source.slice(start, body.endIndex).matchAll(keyword)) {
    const at = start + match.index;
    const node = body.namedDescendantForIndex(at, at + match[0].length);
    if (node?.type === type && node.startIndex === at) found.push(node);
  }
  return found;
}

/** Those of `statementsStartingWith` in `fn`'s own body, nested functions excluded. */
export function ownStatementsStartingWith(
  fn: PyFunction,
  model: PythonModel,
  keyword: RegExp,
  type: string,
): Node[] {
  return statementsStartingWith(fn, model.source, keyword, type).filter(
    (node) => functionOf(model, node) === fn,
  );
}

/** The `yield` expressions of `fn`'s own body, nested functions excluded, in source order. */
export function ownYields(fn: PyFunction, model: PythonModel): readonly Node[] {
  let yields = ownYieldsCache.get(fn);
  if (!yields) {
    yields = ownStatementsStartingWith(fn, model, YIELD_KEYWORD, 'yield');
    ownYieldsCache.set(fn, yields);
  }
  return yields;
}

/** Whether `fn` itself yields: a generator, whose caller gets an iterator, not the return value. */
export function isGenerator(fn: PyFunction, model: PythonModel): boolean {
  return ownYields(fn, model).length > 0;
}

/** The expressions a returned value is made of: itself, or each item of a returned tuple. */
function returnedParts(value: Node | null, parts: Node[]): void {
  const node = unwrap(value);
  if (!node) return;
  if (node.type === 'expression_list' || node.type === 'tuple') {
    for (const item of node.namedChildren) returnedParts(item, parts);
  } else parts.push(node);
}

/** The model's call for a call node. */
function callOf(node: Node | null, model: PythonModel): PyCall | undefined {
  const value = unwrap(node);
  if (value?.type !== 'call') return undefined;
  return model.callsByRange.get(`${value.startIndex}:${value.endIndex}`);
}

/** Calls `fn` binds to the local `name` (`name = make()`, `name: T = await make()`). */
function callsBoundTo(name: string, fn: PyFunction, model: PythonModel): PyCall[] {
  const calls: PyCall[] = [];
  for (const assignment of fn.assignmentNodes) {
    if (assignment.augmented || assignment.target !== name) continue;
    const call = callOf(assignment.node.childForFieldName('right'), model);
    if (call) calls.push(call);
  }
  return calls;
}

/**
 * The calls whose result `fn` returns: `return make()`, `return await make()`, the items of
 * `return engine, sessionmaker(engine)`, and calls bound to a local that is returned
 * (`engine = make(); ...; return engine`). A call only used inside the returned expression
 * (`return sessionmaker(bind=make())`) is not returned.
 */
export function returnedCalls(fn: PyFunction, model: PythonModel): ReadonlySet<PyCall> {
  let calls = returnedCallsCache.get(fn);
  if (!calls) {
    const found = new Set<PyCall>();
    for (const statement of ownStatementsStartingWith(
      fn,
      model,
      RETURN_KEYWORD,
      'return_statement',
    )) {
      const parts: Node[] = [];
      returnedParts(statement.firstNamedChild, parts);
      for (const part of parts) {
        if (part.type === 'identifier') {
          for (const call of callsBoundTo(part.text, fn, model)) found.add(call);
        } else {
          const call = callOf(part, model);
          if (call) found.add(call);
        }
      }
    }
    calls = found;
    returnedCallsCache.set(fn, calls);
  }
  return calls;
}
