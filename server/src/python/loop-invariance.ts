/**
 * Queries a loop repeats without reading anything the loop changes (`Routine.objects.last()` in
 * `for profile in profiles`): batching by the items does not apply, running the query once before
 * the loop does, when its answer is the same on every pass. Asked by `query-in-loop` for its advice.
 */
import type { Node } from 'web-tree-sitter';
import { loopTarget } from './loop-analysis';
import { OwnedCache } from './memo';
import type { PyCall, PyLoop } from './model';
import { chainWithSlices, rootName, targetNames } from './scope-analysis';

/** Nodes whose targets a loop body rebinds or changes in place. */
const CHANGING_TYPES = [
  'assignment',
  'augmented_assignment',
  'for_statement',
  'for_in_clause',
  'named_expression',
  'with_item',
  'expression_statement',
  'delete_statement',
];

/** The names a target binds, or whose object it changes (`rows[i] = x`, `state.page = n`). */
function changedNames(target: Node | null): string[] {
  if (!target) return [];
  if (target.type === 'subscript' || target.type === 'attribute') {
    const root = rootName(target);
    return root ? [root] : [];
  }
  return targetNames(target);
}

/** Asked once per query of the loop: each walks the whole loop body. */
const changedNamesCache = new OwnedCache<PyLoop, ReadonlySet<string>>('names the loop changes');

/**
 * Names the loop binds or its body changes: the loop's own targets, assignment targets (the root
 * of `rows[i]` and `state.page` too), walrus and `with ... as` names, and the receivers of calls
 * whose result is dropped (`params.update(...)`, `seen.add(x)`), which may change them.
 */
function namesTheLoopChanges(loop: PyLoop): ReadonlySet<string> {
  let names = changedNamesCache.get(loop);
  if (!names) changedNamesCache.set(loop, (names = collectChangedNames(loop)));
  return names;
}

function collectChangedNames(loop: PyLoop): Set<string> {
  const names = new Set(targetNames(loopTarget(loop)));
  for (const node of loop.node.descendantsOfType(CHANGING_TYPES)) {
    if (!node) continue;
    let changed: string[] = [];
    switch (node.type) {
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement':
      case 'for_in_clause':
        changed = changedNames(node.childForFieldName('left'));
        break;
      case 'named_expression':
        changed = changedNames(node.childForFieldName('name'));
        break;
      case 'with_item': {
        const value = node.childForFieldName('value');
        if (value?.type === 'as_pattern') changed = changedNames(value.lastNamedChild);
        break;
      }
      case 'delete_statement':
        changed = node.namedChildren.flatMap((target) => changedNames(target));
        break;
      case 'expression_statement': {
        const call = node.firstNamedChild;
        const callee = call?.type === 'call' ? call.childForFieldName('function') : null;
        if (callee?.type === 'attribute') changed = changedNames(callee);
        break;
      }
    }
    for (const name of changed) names.add(name);
  }
  return names;
}

/**
 * Whether the call's whole chain (`db.query(X).filter(...).first()` for `db.query(X)`, receiver,
 * arguments and slices) names nothing the loop changes.
 */
export function readsNothingTheLoopChanges(call: PyCall, loop: PyLoop): boolean {
  const changed = namesTheLoopChanges(loop);
  for (const identifier of chainWithSlices(call.node).descendantsOfType('identifier')) {
    if (identifier && changed.has(identifier.text)) return false;
  }
  return true;
}

/** Whether one of `nodes` reads a name the loop binds or changes (`path=cp.path` per row). */
export function readsWhatTheLoopChanges(nodes: readonly Node[], loop: PyLoop): boolean {
  if (nodes.length === 0) return false;
  const changed = namesTheLoopChanges(loop);
  return nodes.some((node) =>
    [node, ...node.descendantsOfType('identifier')].some(
      (identifier) => identifier?.type === 'identifier' && changed.has(identifier.text),
    ),
  );
}
