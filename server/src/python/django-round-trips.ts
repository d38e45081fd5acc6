/**
 * Django querysets that are no round trip of their own because the enclosing query compiles them
 * into its SQL (`Exists(...)`, `Subquery(...)`, `id__in=<queryset>`).
 */
import type { Node } from 'web-tree-sitter';
import type { PyCall } from './model';

/** Expressions that put a queryset inside another query's SQL. */
const SUBQUERY_EXPRESSIONS = new Set(['Exists', 'Subquery']);

/**
 * Whether a Django query chain is a subquery of an enclosing query: the argument of `Exists(...)`
 * or `Subquery(...)`, or the value of an `__in=` lookup (`filter(id__in=Entry.objects.values(
 * "doc_id"))`). Django compiles it into the outer statement's SQL: it sends nothing itself.
 */
export function isSubqueryOfOuterQuery(call: PyCall): boolean {
  const outer = call.outer;
  if (!outer) return false;
  const args = outer.args.namedChildren.filter((arg): arg is Node => arg?.type !== 'comment');
  if (SUBQUERY_EXPRESSIONS.has(outer.method)) return args[0]?.startIndex === call.start;
  if (!outer.args.text.includes('__in')) return false;
  return args.some(
    (arg) =>
      arg.type === 'keyword_argument' &&
      (arg.childForFieldName('name')?.text.endsWith('__in') ?? false) &&
      arg.childForFieldName('value')?.startIndex === call.start,
  );
}
