/**
 * Loops over the pages of a larger collection that send one query per page on purpose (`for page
 * in paginate_ids(1000): Group.objects.filter(project_id__in=page)`): one `IN (...)` per page is
 * the batching that keeps each statement small, and merging the pages into one `IN (...)` would
 * undo it. Queries per row of a page, in a loop over the page, are judged by that loop.
 */
import type { Node } from 'web-tree-sitter';
import { localFlow } from './local-flow';
import { inListsSent, mayFilterWithIn } from './loop-writes';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { isGenerator, ownYields } from './returned-calls';
import { targetNames, unwrap, withoutProgressWrapper } from './scope-analysis';

/** Loop variables named for a page of a collection: `page`, `page_of_ids`, `id_page`. */
const PAGE_VARIABLE = /(?:^|_)pages?(?:_|$)/;
/** Functions named for handing out pages or batches: `paginate_ids`, `iter_pages`, `id_batches`. */
const PAGING_FUNCTION =
  /(?:^|_)(?:pages?|paged|paginated?|pagination|batch(?:es|ed)?|chunk(?:s|ed)?)(?:_|$)/;
/** Comprehensions that read a page whole: `[row.id for row in page]`. */
const COMPREHENSIONS = new Set(['list_comprehension', 'set_comprehension', 'generator_expression']);

/**
 * Whether `loop` runs `call` once per page of a larger collection: the statement the call sends
 * takes a variable of the loop whole in an `IN (...)` (`id__in=page`, `X.id.in_(page)`, `id__in=[r.id
 * for r in page]`), and the code says the variable holds a page: it is named so (`page`,
 * `page_of_ids`), the loop iterates a function named for pages or batches (`paginate_ids(...)`,
 * `iter_pages(...)`), or a generator of the module that yields slices (`yield ids[i : i + n]`,
 * `page = list(qs[:n])`, then `yield page`).
 */
export function queriesOncePerPage(call: PyCall, loop: PyLoop, model: PythonModel): boolean {
  if (loop.kind !== 'for' || !mayFilterWithIn(model)) return false;
  const names = targetNames(loop.node.childForFieldName('left'));
  if (names.length === 0) return false;
  const pages = inListsSent(call, loop, model)
    .map((list) => wholeVariableOf(list))
    .filter((name): name is string => !!name && names.includes(name));
  if (pages.length === 0) return false;
  return pages.some((name) => PAGE_VARIABLE.test(name)) || iteratesPages(loop, call, model);
}

/** The variable an `IN` list is made of whole: `page` in `page` or `[row.id for row in page]`. */
function wholeVariableOf(list: Node): string | undefined {
  const value = unwrap(list);
  if (value?.type === 'identifier') return value.text;
  if (!value || !COMPREHENSIONS.has(value.type)) return undefined;
  const clause = value.namedChildren.find((child) => child?.type === 'for_in_clause');
  const iterable = unwrap(clause?.childForFieldName('right'));
  return iterable?.type === 'identifier' ? iterable.text : undefined;
}

/** Whether a loop's iterable is a call that hands out pages, by its name or its `yield`s. */
function iteratesPages(loop: PyLoop, call: PyCall, model: PythonModel): boolean {
  const iterable = withoutProgressWrapper(unwrap(loop.iterable));
  if (iterable?.type !== 'call') return false;
  const callee = iterable.childForFieldName('function');
  const name =
    callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : callee?.text;
  if (!callee || !name) return false;
  if (PAGING_FUNCTION.test(name)) return true;
  const generator = generatorCalled(callee, name, call, model);
  return !!generator && yieldsSlices(generator, model);
}

/**
 * The function of this module a call runs: a module-level function called by its name, or a
 * method of the caller's class called on `self`/`cls`.
 */
function generatorCalled(
  callee: Node,
  name: string,
  call: PyCall,
  model: PythonModel,
): PyFunction | undefined {
  if (callee.type === 'identifier')
    return model.functions.find((fn) => fn.name === name && !fn.parent && !fn.className);
  const owner = callee.childForFieldName('object')?.text;
  const className = call.fn?.className;
  if ((owner !== 'self' && owner !== 'cls') || !className) return undefined;
  return model.functions.find((fn) => fn.name === name && fn.className === className);
}

const slicingGenerators = new OwnedCache<PyFunction, boolean>('yields slices');

/**
 * Whether every `yield` of the generator `fn` hands out a bounded slice: written in the yield
 * (`yield ids[i : i + size]`, `yield list(qs[:size])`) or assigned to the yielded name (`page =
 * list(qs.filter(id__gt=cursor)[:size])`, then `yield page`).
 */
function yieldsSlices(fn: PyFunction, model: PythonModel): boolean {
  let slices = slicingGenerators.get(fn);
  if (slices === undefined) {
    slices = isGenerator(fn, model) && ownYields(fn, model).every((y) => yieldsSlice(y, fn));
    slicingGenerators.set(fn, slices);
  }
  return slices;
}

function yieldsSlice(yieldNode: Node, fn: PyFunction): boolean {
  // `yield from rows` hands out the rows one by one.
  if (/^yield\s+from\b/.test(yieldNode.text)) return false;
  const value = unwrap(yieldNode.namedChildren[0]);
  if (!value) return false;
  if (boundedSliceIn(value, 0)) return true;
  if (value.type !== 'identifier') return false;
  const flow = localFlow(fn);
  const values = flow.assignments.get(value.text);
  return (
    !!values &&
    !flow.opaque.has(value.text) &&
    values.every((assigned) => !!boundedSliceIn(assigned, 0))
  );
}

/** The first subscript in an expression whose slice has an end (`[:n]`, `[a:b]`). */
export function boundedSliceIn(node: Node, depth: number): Node | undefined {
  if (node.type === 'subscript' && node.namedChildren.some((part) => isBoundedSlice(part)))
    return node;
  if (depth > 6 || node.type === 'lambda') return undefined;
  for (const child of node.namedChildren) {
    const found = child && boundedSliceIn(child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A slice with a stop: `:n`, `a:b`, `a:b:c`; not `n:` (everything after n). */
function isBoundedSlice(node: Node | null): boolean {
  if (node?.type !== 'slice') return false;
  const parts = node.children;
  const colon = parts.findIndex((part) => part?.type === ':');
  const stop = parts[colon + 1];
  return colon !== -1 && !!stop && stop.type !== ':';
}
