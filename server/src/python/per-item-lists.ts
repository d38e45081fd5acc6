/**
 * Counts a loop repeats whose filter matches a list taken from each item
 * (`users = User.objects.filter(**{"attributes__dn__in": members})`, `members` read from each
 * LDAP group, then `users.count()`): every item brings its own set of values, which one grouped
 * count (`.values(key).annotate(Count(...))`) cannot express. Asked by `query-in-loop` for its
 * advice.
 */
import type { Node } from 'web-tree-sitter';
import { brief } from './loop-analysis';
import { readsWhatTheLoopChanges } from './loop-invariance';
import type { PyCall, PyLoop } from './model';
import { chainWithSlices, rootName } from './scope-analysis';

/** A Django `__in` lookup written as a keyword or a key of a `**{...}` filter. */
const IN_LOOKUP = /__in$/;
const IN_LOOKUP_KEY = /__in["']$/;

/**
 * The list an `__in` lookup of the call's queryset takes from the loop's item (`members`): in
 * the chain itself, or in the value its receiver variable was last given in the loop before the
 * call (`users = User.objects.filter(...)`, then `users.count()`).
 */
export function listTakenFromItem(call: PyCall, loop: PyLoop): string | undefined {
  const chain = chainWithSlices(call.node);
  const sources: Node[] = [chain];
  const assigned = assignedInLoopBefore(rootName(chain), call, loop);
  if (assigned) sources.push(assigned);
  for (const source of sources) {
    for (const lookup of source.descendantsOfType(['keyword_argument', 'pair'])) {
      const value = lookup && inLookupValue(lookup);
      if (value && readsWhatTheLoopChanges([value], loop)) return brief(value.text);
    }
  }
  return undefined;
}

/** The value of `dn__in=value` or of `"dn__in": value` in a `**{...}` filter. */
function inLookupValue(lookup: Node): Node | null {
  if (lookup.type === 'keyword_argument')
    return IN_LOOKUP.test(lookup.childForFieldName('name')?.text ?? '')
      ? lookup.childForFieldName('value')
      : null;
  const key = lookup.childForFieldName('key');
  if (key?.type !== 'string' || !IN_LOOKUP_KEY.test(key.text)) return null;
  return lookup.parent?.parent?.type === 'dictionary_splat'
    ? lookup.childForFieldName('value')
    : null;
}

/** The value last assigned to `name` in the loop's body before the call. */
function assignedInLoopBefore(
  name: string | undefined,
  call: PyCall,
  loop: PyLoop,
): Node | undefined {
  if (!name || !loop.fn) return undefined;
  const start = loop.node.startIndex;
  let value: Node | undefined;
  for (const { node, target } of loop.fn.assignmentNodes) {
    if (node.startIndex >= call.start) break;
    if (target !== name || node.startIndex < start) continue;
    value = node.childForFieldName('right') ?? undefined;
  }
  return value;
}
