/**
 * Where unbounded-orm-query's `[:n]` goes for a Django queryset held in a variable: at the use,
 * unless the use runs again on every pass of a loop the variable was built outside of. Django
 * caches a queryset's rows on its first evaluation, so `for h in hashes:` inside such a loop
 * queries once; `for h in hashes[:1000]:` builds a new queryset, and queries, on every pass.
 */
import type { Node } from 'web-tree-sitter';
import { localFlow } from './local-flow';
import type { PyLoop, PythonModel } from './model';
import type { OrmRead } from './orm';

/** Whether `inner` lies within `outer`. */
function within(inner: Node, outer: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/**
 * The loops of the read's function that evaluate its expression again on each of their passes:
 * those around it, except a loop whose iterable it is (evaluated once per run of that loop).
 */
function loopsAround(read: OrmRead, model: PythonModel): PyLoop[] {
  return model.loops.filter(
    (loop) =>
      loop.fn === read.fn &&
      within(read.node, loop.node) &&
      !(loop.iterable && within(read.node, loop.iterable)),
  );
}

/**
 * The offset the bound of a read goes at: its own (`read.bound.at`), or, for a Django queryset
 * variable read inside a loop that does not also build it, the end of the variable's only
 * assignment when that is a call chain (`hashes = IssueHash.objects.filter(q)[:1000]`, sliced
 * once); undefined when the variable is built more than once or otherwise.
 */
export function boundPlacement(read: OrmRead, model: PythonModel): number | undefined {
  if (read.kind !== 'django' || read.node.type !== 'identifier' || !read.fn) return read.bound.at;
  const values = localFlow(read.fn).assignments.get(read.node.text) ?? [];
  const rerun = loopsAround(read, model).filter(
    (loop) => !values.some((value) => within(value, loop.node)),
  );
  if (rerun.length === 0) return read.bound.at;
  if (values.length !== 1 || values[0].type !== 'call') return undefined;
  return onlyEvaluated(read.node.text, read.fn.node, values[0], model.source)
    ? values[0].endIndex
    : undefined;
}

/**
 * Whether every use of the variable besides its assignment only evaluates it (`for h in hashes`,
 * `list(hashes)`): a sliced queryset can no longer be filtered, ordered, updated or deleted, so a
 * use through an attribute (`hashes.filter(...)`, `hashes.update(...)`) keeps the slice away.
 */
function onlyEvaluated(name: string, fn: Node, value: Node, source: string): boolean {
  const target = value.parent?.childForFieldName('left');
  const body = source.slice(fn.startIndex, fn.endIndex);
  for (const use of body.matchAll(new RegExp(`\\b${name}\\b`, 'g'))) {
    const at = fn.startIndex + use.index;
    if (target && target.startIndex <= at && at < target.endIndex) continue;
    if (/^\s*\./.test(body.slice(use.index + name.length))) return false;
  }
  return true;
}
