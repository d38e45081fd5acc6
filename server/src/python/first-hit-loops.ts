/**
 * Loops that stop at the first item an existence check holds for: `for tag in tags: if
 * User.objects.filter(remote_id=tag).exists(): return False`. One query with an `__in` lookup of
 * every item answers whether any matches; a grouped count per item answers more than the loop
 * asks.
 */
import type { Node } from 'web-tree-sitter';
import { loopTarget } from './loop-analysis';
import type { PyCall, PyLoop } from './model';
import { chainTop, unwrap } from './scope-analysis';

/** Statements that leave the loop, ending an `if` block's run on the first hit. */
const EXITS = new Set(['return_statement', 'break_statement', 'raise_statement']);

/**
 * Lookups other than equality: `name__in` cannot stand for them (nor for `__in` or `__isnull`,
 * whose item is a list or a flag already).
 */
const NOT_EXACT =
  /__(?:iexact|contains|icontains|startswith|istartswith|endswith|iendswith|regex|iregex|gt|gte|lt|lte|range|date|year|month|day|in|isnull)$/;

/**
 * Whether the check the chain `call` heads is the whole condition of an `if` (no `else`) right in
 * the body of `loop`, a `for` statement, whose block ends by leaving the loop.
 */
export function stopsAtFirstHit(call: PyCall, loop: PyLoop): boolean {
  if (loop.kind !== 'for' || call.loops[call.loops.length - 1] !== loop) return false;
  const top = chainTop(call.node);
  let test: Node | null = top.parent;
  while (test?.type === 'parenthesized_expression' || test?.type === 'await') test = test.parent;
  if (test?.type !== 'if_statement' || unwrap(test.childForFieldName('condition'))?.id !== top.id)
    return false;
  if (test.childForFieldName('alternative')) return false;
  if (test.parent?.parent?.id !== loop.node.id) return false;
  const last = test.childForFieldName('consequence')?.lastNamedChild;
  return !!last && EXITS.has(last.type);
}

/**
 * The one query to ask instead, when the check filters by the loop variable itself and the loop
 * walks a name: `filter(remote_id__in=tags, local=True).exists()` for `filter(remote_id=tag,
 * local=True).exists()` over `tags`. Undefined for other shapes.
 */
export function oneInLookup(call: PyCall, loop: PyLoop): string | undefined {
  const variable = loopTarget(loop);
  const items = loop.iterable;
  if (call.method !== 'filter') return undefined;
  if (variable?.type !== 'identifier' || items?.type !== 'identifier') return undefined;
  let matched = false;
  const args = call.args.namedChildren.flatMap((arg) => {
    if (!arg || arg.type === 'comment') return [];
    const name = arg.type === 'keyword_argument' ? arg.childForFieldName('name')?.text : '';
    if (!name || arg.childForFieldName('value')?.text !== variable.text) return [arg.text];
    if (NOT_EXACT.test(name)) return [arg.text];
    matched = true;
    // `remote_id__exact=tag` is equality spelled out.
    return [`${name.replace(/__exact$/, '')}__in=${items.text}`];
  });
  if (!matched) return undefined;
  const top = chainTop(call.node);
  const after = call.node.parent ? top.text.slice(call.end - top.startIndex) : '';
  return `${call.method}(${args.join(', ')})${after}`;
}
