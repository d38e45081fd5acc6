/**
 * Bounds applied only on some paths: `if limit and include_failed_chats: stmt = stmt.limit(limit)`
 * (Onyx `get_chat_sessions_by_user`), then the read after the `if`. When the other condition is
 * false the read runs with no bound at all, so such a `.limit(...)` bounds nothing. A test of
 * the bound's own value (`if limit:`, `if limit is not None:`) is not such a condition: a missing
 * page size is `optional-page-sizes.ts`'s question.
 */
import type { Node } from 'web-tree-sitter';
import type { ChainLink } from './orm';

/** The names an expression reads as variables (not the attribute names after a dot). */
function variableNames(node: Node): Set<string> {
  const names = new Set<string>();
  for (const identifier of [node, ...node.descendantsOfType('identifier')]) {
    if (identifier?.type !== 'identifier') continue;
    const parent = identifier.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.id === identifier.id)
      continue;
    if (
      parent?.type === 'keyword_argument' &&
      parent.childForFieldName('name')?.id === identifier.id
    )
      continue;
    names.add(identifier.text);
  }
  return names;
}

/** Links that page a query: a condition on their arguments tests the page, not something else. */
const PAGING = new Set(['limit', 'offset', 'slice']);

/**
 * Whether the bound in the assignment `value` (`stmt = stmt.limit(limit)`, whose paging links'
 * argument lists are `paging`) is skipped on some path to `use`: an `if` without `elif`/`else`
 * holds the assignment but not the use, and its condition reads a name no paging argument reads
 * (`if page is not None and size: q = q.offset(page * size).limit(size)` tests only the page).
 */
export function isBoundOnSomePathsOnly(
  paging: readonly Node[],
  value: Node,
  use: Node,
  body: Node,
): boolean {
  const bound = new Set(paging.flatMap((args) => [...variableNames(args)]));
  for (let at: Node | null = value.parent; at && at.id !== body.id; at = at.parent) {
    if (at.type !== 'if_statement') continue;
    // An `if` that holds the use guards the read too.
    if (at.startIndex <= use.startIndex && use.endIndex <= at.endIndex) return false;
    if (at.childrenForFieldName('alternative').length > 0) continue;
    const condition = at.childForFieldName('condition');
    if (!condition) continue;
    for (const name of variableNames(condition)) if (!bound.has(name)) return true;
  }
  return false;
}

/** The argument lists of a chain's paging links (`.limit(n)`, `.offset(k)`, `.slice(a, b)`). */
export function pagingArguments(links: readonly ChainLink[]): Node[] {
  return links.flatMap((link) =>
    link.kind === 'call' && PAGING.has(link.name) && link.args ? [link.args] : [],
  );
}
