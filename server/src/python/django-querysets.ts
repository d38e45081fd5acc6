/**
 * Django's custom QuerySet and Manager classes: the methods that only narrow the queryset they
 * are called on (`def finished(self): return self.filter(...)`), which a model whose manager is
 * made from the class answers with a queryset of its rows (`Job.objects.filter(...).finished()`).
 * The classes often live in a module of their own (`querysets.py`, `managers.py`) or inherit such
 * methods from a base class: each file records its classes' methods, and the model's file the
 * class its manager is made from, for the workspace index to join.
 */
import type { Node } from 'web-tree-sitter';
import { methodDefinitions, type PyClass } from './model';
import type { ChainLink } from './orm';
import { DJANGO_LAZY_METHODS, groupingLink, readChain } from './orm';
import { argsOf, calledName } from './schema-args';

/** Base names of a class whose methods may narrow a queryset: `models.QuerySet`, `JobManager`. */
const QUERYSET_OR_MANAGER_BASE = /(?:QuerySet|Manager)(?:\[[\s\S]*\])?$/;

/** Whether a class extends a QuerySet or a Manager class, by the names of its bases. */
export function isQuerySetOrManagerClass(cls: PyClass): boolean {
  return cls.bases.some((base) => QUERYSET_OR_MANAGER_BASE.test(base.trim()));
}

/**
 * The class a manager answers with the methods of, as written: `JobQuerySet` of
 * `JobQuerySet.as_manager()` or `models.Manager.from_queryset(JobQuerySet)()`, `JobManager` of
 * `JobManager()`.
 */
export function managerSourceClass(value: Node): string | undefined {
  const callee = value.childForFieldName('function');
  let source: Node | null | undefined;
  if (callee?.type === 'attribute' && callee.childForFieldName('attribute')?.text === 'as_manager')
    source = callee.childForFieldName('object');
  else if (callee?.type === 'call' && calledName(callee) === 'from_queryset')
    source = argsOf(callee)?.namedChildren.find((arg) => arg?.type !== 'comment');
  else if (calledName(value).endsWith('Manager')) source = callee;
  if (source?.type !== 'identifier' && source?.type !== 'attribute') return undefined;
  return source.text;
}

/**
 * Whether a method body only narrows the queryset it is called on: one `return` of lazy
 * queryset methods on `self` (`return self.filter(state__in=[...])`, `return
 * self.exclude(...).order_by(...)`), or on a manager's `self.get_queryset()`. What it returns is
 * another queryset of the same model.
 */
function narrowsSelf(body: Node): boolean {
  return narrowingLinks(body) !== undefined;
}

/** The lazy links a method body that only narrows its queryset applies (see `narrowsSelf`). */
function narrowingLinks(body: Node): ChainLink[] | undefined {
  const statements = body.namedChildren.filter((child) => child?.type !== 'comment');
  const last = statements[statements.length - 1];
  // Any other `return` (under an `if`) might hand back something else.
  if (last?.type !== 'return_statement' || (body.text.match(/^\s*return\b/gm) ?? []).length !== 1)
    return undefined;
  const value = last.namedChildren[0];
  if (!value) return undefined;
  const chain = readChain(value);
  if (chain.root.type !== 'identifier' || chain.root.text !== 'self') return undefined;
  // `self.get_queryset().filter(...)`: a manager narrowing the queryset it hands out.
  const links = chain.links[0]?.name === 'get_queryset' ? chain.links.slice(1) : chain.links;
  const narrows =
    links.length > 0 &&
    chain.links.every((link) => link.kind === 'call') &&
    links.every((link) => DJANGO_LAZY_METHODS.has(link.name));
  return narrows ? links : undefined;
}

/** The public methods of a class that only narrow the queryset (`narrowsSelf`). */
export function narrowingMethodsOf(cls: PyClass): string[] {
  const found: string[] = [];
  for (const definition of methodDefinitions(cls)) {
    const name = definition.childForFieldName('name')?.text;
    const body = definition.childForFieldName('body');
    if (name && !name.startsWith('_') && body && narrowsSelf(body)) found.push(name);
  }
  return found;
}

/**
 * The narrowing methods of a class (`narrowsSelf`) whose queryset groups its rows:
 * `return self.filter(...).values("author").annotate(n=Count("id"))` hands out one row per
 * author, not the model's rows.
 */
export function groupingMethodsOf(cls: PyClass): string[] {
  const found: string[] = [];
  for (const definition of methodDefinitions(cls)) {
    const name = definition.childForFieldName('name')?.text;
    const body = definition.childForFieldName('body');
    if (!name || name.startsWith('_') || !body) continue;
    const links = narrowingLinks(body);
    if (links && groupingLink(links)) found.push(name);
  }
  return found;
}
