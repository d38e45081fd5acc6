/**
 * Loops over groups of keys (`for ct_id, ids in ids_by_type.items():
 * model_class.objects.filter(pk__in=ids)`): each pass reads one whole group with `IN (...)`, so
 * the queries number the groups (model types, tables, shards), not the items. Grouping the keys
 * and sending one `IN (...)` per group is the batching cure itself. Asked by `query-in-loop`.
 */
import { loopTarget, repeatingLoops } from './loop-analysis';
import { mayFilterWithIn } from './loop-writes';
import type { PyCall, PyLoop, PythonModel } from './model';
import { chainTop, unwrap } from './scope-analysis';

/**
 * The name a loop binds to each group of keys: `ids` in `for key, ids in groups.items()` and in
 * `for ids in groups.values()`.
 */
function groupName(loop: PyLoop): string | undefined {
  if (loop.kind !== 'for') return undefined;
  const iterable = unwrap(loop.iterable);
  const callee = iterable?.type === 'call' ? iterable.childForFieldName('function') : null;
  if (callee?.type !== 'attribute') return undefined;
  const view = callee.childForFieldName('attribute')?.text;
  const target = loopTarget(loop);
  if (view === 'values') return target?.type === 'identifier' ? target.text : undefined;
  if (view !== 'items') return undefined;
  const parts =
    target?.type === 'pattern_list' || target?.type === 'tuple_pattern' ? target.namedChildren : [];
  const value = parts.length === 2 ? parts[1] : null;
  return value?.type === 'identifier' ? value.text : undefined;
}

/** `pk__in=ids`, `X.id.in_(ids)`, also through `list(ids)`, `set(ids)`, `sorted(ids)`. */
function filtersInGroup(text: string, name: string): boolean {
  if (!text.includes(name)) return false;
  const value = `(?:(?:list|set|tuple|sorted)\\(\\s*)?${name}\\b`;
  return new RegExp(`__in\\s*=\\s*${value}|\\.in_\\(\\s*${value}`).test(text);
}

/**
 * Whether every loop repeating the call runs over groups of keys and the call's query filters
 * with `IN (...)` on the group of the pass. A loop over rows around it still repeats it per row.
 */
export function queriesOncePerKeyGroup(call: PyCall, model: PythonModel): boolean {
  // Files without a grouped `IN (...)` query pay nothing more.
  if (!mayFilterWithIn(model)) return false;
  const names = new Map(call.loops.map((loop) => [loop, groupName(loop)]));
  if ([...names.values()].every((name) => name === undefined)) return false;
  const loops = repeatingLoops(call, model);
  if (loops.length === 0) return false;
  const text = chainTop(call.node).text;
  return loops.every((loop) => {
    // `repeatingLoops` picks from `call.loops`: each group name is already read.
    const name = names.get(loop);
    return name !== undefined && filtersInGroup(text, name);
  });
}
