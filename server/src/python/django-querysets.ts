/**
 * Django's custom QuerySet and Manager classes: the methods that only narrow the queryset they
 * are called on (`def finished(self): return self.filter(...)`), which a model whose manager is
 * made from the class answers with a queryset of its rows (`Job.objects.filter(...).finished()`).
 * The classes often live in a module of their own (`querysets.py`, `managers.py`) or inherit such
 * methods from a base class: each file records its classes' methods, and the model's file the
 * class its manager is made from, for the workspace index to join.
 */
import type { Node } from 'web-tree-sitter';
import type { QuerySetPin } from '../workspace/facts';
import { methodDefinitions, type PyClass, type PyFunction, type PythonModel } from './model';
import type { ChainLink } from './orm';
import { DJANGO_LAZY_METHODS, groupingLink, readChain } from './orm';
import { qPins } from './django-q';
import { argsOf, calledName } from './schema-args';

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

/**
 * The fields the narrowing methods of a class (`narrowsSelf`) pin to one of their parameters:
 * `environment` of `def live_for(self, environment): return self.filter(environment=environment)`,
 * also through a `Q` the method builds in a local (`query = Q(environment=environment, ...)`,
 * `query &= Q(...)`, `return self.filter(query)`). A caller that passes the parameter reads the
 * rows whose field equals what it passed, as if it wrote the filter itself. Fields compared with
 * a constant, and parameters the method rebinds, pin nothing the caller chooses.
 */
export function querySetPinsOf(cls: PyClass, model: PythonModel): QuerySetPin[] {
  const found: QuerySetPin[] = [];
  for (const definition of methodDefinitions(cls)) {
    const method = definition.childForFieldName('name')?.text;
    const body = definition.childForFieldName('body');
    // Cheap first: a narrowing method that filters at all.
    if (!method || method.startsWith('_') || !body?.text.includes('filter(')) continue;
    const links = narrowingLinks(body);
    const fn = links ? model.functions.find((f) => f.node.id === definition.id) : undefined;
    if (!links || !fn) continue;
    const params = positionsOf(definition);
    for (const [field, value] of filterValues(links, fn)) {
      const param = /^(\w+)(?:\.\w+)?$/.exec(value)?.[1];
      if (!param || !params.has(param) || rebinds(fn, param)) continue;
      const position = params.get(param);
      found.push({ method, field, param, ...(position !== undefined ? { position } : {}) });
    }
  }
  return found;
}

/**
 * The value each field is compared with by the `filter(...)` links of a chain, as written:
 * keyword arguments (`environment=environment`) and what `Q` arguments pin with one value in
 * every branch. `exclude(...)` keeps the rows that differ, and pins nothing.
 */
function filterValues(links: readonly ChainLink[], fn: PyFunction): Map<string, string> {
  const values = new Map<string, string>();
  for (const link of links) {
    if (link.name !== 'filter' || !link.args) continue;
    for (const arg of link.args.namedChildren) {
      if (arg?.type === 'keyword_argument') {
        const field = (arg.childForFieldName('name')?.text ?? '').replace(/__exact$/, '');
        const value = arg.childForFieldName('value');
        if (value && value.type !== 'none') values.set(field, value.text);
      } else if (arg && (arg.type === 'identifier' || arg.text.includes('Q('))) {
        const pins = qPins(arg, fn);
        for (const [field, value] of pins.values)
          if (!pins.nullColumns.includes(field)) values.set(field, value);
      }
    }
  }
  return values;
}

/**
 * The parameters of a method after `self`, with their index among the positional arguments a
 * caller may pass (none for keyword-only ones, after `*` or `*args`).
 */
function positionsOf(definition: Node): Map<string, number | undefined> {
  const params = new Map<string, number | undefined>();
  // The first parameter is `self`, which the call's receiver supplies.
  const [, ...rest] = definition.childForFieldName('parameters')?.namedChildren ?? [];
  let position: number | undefined = 0;
  for (const param of rest) {
    // `*`, `*args` or `*args: str`: the parameters after it are keyword-only.
    const splat = param?.type === 'typed_parameter' ? param.namedChildren[0] : param;
    if (splat?.type === 'list_splat_pattern' || splat?.type === 'keyword_separator') {
      position = undefined;
      continue;
    }
    const name = param && parameterName(param);
    if (!name) continue;
    params.set(name, position);
    if (position !== undefined) position++;
  }
  return params;
}

/** `environment` of `environment`, `environment: Environment` or `environment=None`. */
function parameterName(param: Node): string | undefined {
  if (param.type === 'identifier') return param.text;
  if (param.type === 'default_parameter' || param.type === 'typed_default_parameter')
    return param.childForFieldName('name')?.text;
  if (param.type === 'typed_parameter')
    return param.namedChildren.find((child) => child?.type === 'identifier')?.text;
  return undefined;
}

/** Whether a function assigns one of its parameters: the filter may no longer see the caller's value. */
function rebinds(fn: PyFunction, name: string): boolean {
  return fn.assignmentNodes.some((assignment) => assignment.target === name);
}
