/**
 * The row-by-row fallback of a Django bulk write that failed: the `try` body sends the rows in
 * one statement (`qs.update(...)`, `Model.objects.bulk_create(rows)`), and its `except` handler
 * (`except IntegrityError:`) loops over the same rows, writing each in a savepoint of its own to
 * find and drop the ones that conflict. One write per row is the point there, and the bulk form
 * any advice would offer is the statement that just failed.
 */
import type { Node } from 'web-tree-sitter';
import { managerOwner } from './django-round-trips';
import { localFlow } from './local-flow';
import { OwnedCache } from './memo';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { isOnDjangoQuerySet, readChainIn } from './orm';
import { positionalArguments, unwrap, withoutProgressWrapper } from './scope-analysis';

/** Django writes that send every row in one statement. */
const BULK_WRITES = new Set([
  'update',
  'aupdate',
  'bulk_create',
  'abulk_create',
  'bulk_update',
  'abulk_update',
]);
/** Bulk writes handed the rows themselves, first: `bulk_create(rows)`, `bulk_update(rows, fields)`. */
const ROWS_WRITES = new Set(['bulk_create', 'abulk_create', 'bulk_update', 'abulk_update']);

/** A file holds a fallback only if it says `except` and calls a bulk write. */
const EXCEPT_TEXT = /\bexcept\b/;
const BULK_WRITE_TEXT = /\b(?:a?update|a?bulk_(?:create|update))\s*\(/;

/** What a bulk write writes: the model a manager is read from, a queryset variable, or a list. */
interface BulkTarget {
  /** `Release` of `Release.objects.filter(...).update(...)`. */
  owner?: string;
  /** `qs` of `qs.update(...)`, a queryset built in a local variable. */
  querySet?: string;
  /** `rows` of `Model.objects.bulk_create(rows)`. */
  rows?: string;
}

const mayFallBack = new OwnedCache<PythonModel, boolean>('may fall back from a bulk write');
const fallbackLoops = new OwnedCache<PyFunction, readonly PyLoop[]>('bulk write fallbacks');

/**
 * Whether the call is part of the row-by-row fallback of a bulk write that failed: it sits in a
 * `for` loop that is such a fallback (`isBulkWriteFallback`), in its body or its iterable. It
 * runs only when the bulk statement fails, once per conflicting row on purpose.
 */
export function inBulkWriteFallback(call: PyCall, model: PythonModel): boolean {
  if (!call.fn || call.loops.length === 0 || !mayFallBackIn(model)) return false;
  return fallbacksIn(call.fn, model).some(
    (loop) => loop.node.startIndex <= call.start && call.end <= loop.node.endIndex,
  );
}

/**
 * Whether a `for` loop sits in an `except` handler of a `try` whose body makes a Django bulk
 * write of the rows the loop iterates: an `update(...)` on a queryset of the same model
 * (`Model.objects.filter(...)`) or on the same queryset variable, or a `bulk_create` /
 * `bulk_update` of the very list the loop goes over.
 */
export function isBulkWriteFallback(loop: PyLoop, model: PythonModel): boolean {
  if (loop.kind !== 'for' || !loop.fn || !mayFallBackIn(model)) return false;
  return fallbacksIn(loop.fn, model).includes(loop);
}

/** The `for` loops of a function that are fallbacks of a bulk write, found once per function. */
function fallbacksIn(fn: PyFunction, model: PythonModel): readonly PyLoop[] {
  let loops = fallbackLoops.get(fn);
  if (!loops) {
    loops = model.loops.filter(
      (loop) => loop.fn === fn && loop.kind === 'for' && fallsBack(loop, fn, model),
    );
    fallbackLoops.set(fn, loops);
  }
  return loops;
}

function mayFallBackIn(model: PythonModel): boolean {
  let found = mayFallBack.get(model);
  if (found === undefined) {
    const source = model.source;
    found = EXCEPT_TEXT.test(source) && BULK_WRITE_TEXT.test(source);
    mayFallBack.set(model, found);
  }
  return found;
}

function fallsBack(loop: PyLoop, fn: PyFunction, model: PythonModel): boolean {
  const handler = innermostExceptHandler(fn.body, loop.node);
  const tried = handler?.parent?.childForFieldName('body');
  if (!tried) return false;
  const start = tried.startIndex;
  const end = tried.endIndex;
  const iterable = withoutProgressWrapper(unwrap(loop.iterable));
  if (!iterable) return false;
  return model.calls.some(
    (call) =>
      call.fn === fn &&
      start <= call.start &&
      call.end <= end &&
      BULK_WRITES.has(call.method) &&
      writesRowsOf(bulkTarget(call, model), iterable, fn, model),
  );
}

/** The `except` clause nearest above `node` inside `body`, read from the top down. */
function innermostExceptHandler(body: Node, node: Node): Node | undefined {
  let handler: Node | undefined;
  const id = node.id;
  for (let at = body.childWithDescendant(node); at && at.id !== id;) {
    if (at.type === 'except_clause') handler = at;
    at = at.childWithDescendant(node);
  }
  return handler;
}

/** What a Django bulk write writes; empty when the call is no Django write. */
function bulkTarget(call: PyCall, model: PythonModel): BulkTarget {
  const chain = readChainIn(call.node, model);
  const owner = managerOwner(chain);
  if (owner) {
    const first = ROWS_WRITES.has(call.method) ? unwrap(positionalArguments(call)[0]) : null;
    return { owner, rows: first?.type === 'identifier' ? first.text : undefined };
  }
  // `qs.update(...)` on a queryset the function builds in a variable.
  const root = chain.root;
  return root.type === 'identifier' && isOnDjangoQuerySet(call, model)
    ? { querySet: root.text }
    : {};
}

/**
 * Whether a loop's iterable goes over the rows a bulk write wrote: the list it was handed, the
 * same queryset variable, or a queryset of the same model, inline or assigned to the iterated
 * name (`rows = Model.objects.filter(...)`).
 */
function writesRowsOf(
  target: BulkTarget,
  iterable: Node,
  fn: PyFunction,
  model: PythonModel,
): boolean {
  if (iterable.type === 'identifier' && iterable.text === target.rows) return true;
  const chain = readChainIn(iterable, model);
  const root = chain.root.type === 'identifier' ? chain.root.text : undefined;
  if (!target.owner) return !!target.querySet && root === target.querySet;
  if (managerOwner(chain) === target.owner) return true;
  if (chain.links.length > 0 || root === undefined) return false;
  const flow = localFlow(fn);
  const values = flow.assignments.get(root);
  return (
    !!values &&
    !flow.opaque.has(root) &&
    values.every((value) => managerOwner(readChainIn(value, model)) === target.owner)
  );
}
