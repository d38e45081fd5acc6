/**
 * Django round trips that `Model.objects.<method>(...)` alone does not show: a queryset built in
 * a local variable and evaluated later (`qs.get(id=i)`), a row of a queryset saved or deleted one
 * by one (`await row.asave()`), and querysets that are no round trip at all because the enclosing
 * query compiles them into its SQL (`Exists(...)`, `Subquery(...)`, `id__in=<queryset>`).
 */
import type { Node } from 'web-tree-sitter';
import { DJANGO_EVALUATING_METHODS } from './blocking';
import { hasObjectsManager, isDjangoManagerName, isDjangoQueryMethod } from './knowledge';
import { localFlow } from './local-flow';
import { enumeratedRows } from './loop-rows';
import { loopFed } from './must-see-all';
import { qualifiedClassName, type PyCall, type PyLoop, type PythonModel } from './model';
import {
  DJANGO_LAZY_METHODS,
  isLazyDjangoQuerySet,
  isOnDjangoQuerySet,
  iteratesDjangoRows,
  iteratesOwnQuerySet,
  iteratesRelatedManagerRows,
  type OrmRead,
  type QuerySetMethodTest,
  readChainIn,
} from './orm';
import { nameOccurrences, unwrap, withoutProgressWrapper } from './scope-analysis';
import { OwnedCache } from './memo';
import type { WorkspaceIndex } from '../workspace/index';

/** Queryset methods that run the query, sync and async (Django 4.1+ twins). */
const EVALUATIONS = new Set([
  ...DJANGO_EVALUATING_METHODS,
  'aget',
  'acount',
  'aexists',
  'afirst',
  'alast',
  'aearliest',
  'alatest',
  'acreate',
  'aget_or_create',
  'aupdate_or_create',
  'aaggregate',
  'aupdate',
  'adelete',
]);

/**
 * Evaluations a queryset answers from the rows it already holds once a loop has iterated it
 * (`for d in docs: ... docs.count()`): no query is sent.
 */
const RESULT_CACHE_READS = new Set(['count', 'exists', 'acount', 'aexists']);

/** Model instance methods that write one row each. */
const ROW_WRITES = new Set(['save', 'delete', 'asave', 'adelete']);

/** Expressions that put a queryset inside another query's SQL. */
const SUBQUERY_EXPRESSIONS = new Set(['Exists', 'Subquery']);

/** The name a method is called on when it is a plain name: `qs` in `qs.get(...)`. */
function receiverName(call: PyCall): string | undefined {
  const callee = call.callee;
  const dot = callee.indexOf('.');
  return dot > 0 && callee.indexOf('.', dot + 1) === -1 ? callee.slice(0, dot) : undefined;
}

/**
 * A method that runs the query of a queryset held in a local variable (`qs = Doc.objects.filter(
 * ...)`, then `qs.get(id=i)`, `qs.filter(...).count()`, `await qs.afirst()`). `Model.objects`
 * chains are recognised where they start (`isDjangoQuery`); these are not. Left out: a count or
 * existence check on the very queryset a surrounding loop iterates, which its cached rows answer.
 */
export function evaluatesQuerySetVariable(call: PyCall, model: PythonModel): boolean {
  if (!EVALUATIONS.has(call.method) || !call.hasReceiver || hasObjectsManager(call)) return false;
  if (!isOnDjangoQuerySet(call, model)) return false;
  if (!RESULT_CACHE_READS.has(call.method)) return true;
  const name = receiverName(call);
  return !call.loops.some(
    (loop) => name !== undefined && withoutProgressWrapper(unwrap(loop.iterable))?.text === name,
  );
}

/**
 * Whether the lazy queryset a Django query chain starts is assigned whole to a local variable
 * (`entries = Entry.objects.filter(agent=agent)`) that a later call in the same loop evaluates
 * (`entries.count()`): that call is the round trip, and is reported instead of the line that
 * only describes the query.
 */
export function isEvaluatedThroughVariable(head: PyCall, model: PythonModel): boolean {
  const fn = head.fn;
  const loop = head.loops[head.loops.length - 1];
  if (!fn || !loop) return false;
  const bound = lazyQuerySetBoundBy(head, model);
  if (!bound) return false;
  // The value sits in the loop: a call after it and before the loop's end is in the loop too.
  const assigned = bound.value.endIndex;
  const loopEnd = loop.node.endIndex;
  return model.calls.some(
    (other) =>
      other.fn === fn &&
      other.start > assigned &&
      other.end <= loopEnd &&
      startsFrom(other, bound.name) &&
      evaluatesQuerySetVariable(other, model),
  );
}

/**
 * The local variable a lazy Django queryset is assigned to whole (`entries =
 * Entry.objects.filter(agent=agent)` for the chain `head` starts), with the assigned value;
 * undefined when the chain is part of a larger value (`list(...)`, an argument) or not lazy.
 */
function lazyQuerySetBoundBy(
  head: PyCall,
  model: PythonModel,
): { name: string; value: Node } | undefined {
  const fn = head.fn;
  if (!fn) return undefined;
  const flow = localFlow(fn);
  for (const [name, values] of flow.assignments) {
    const value = values.find((v) => v.startIndex <= head.start && head.end <= v.endIndex);
    if (!value) continue;
    // The chain the head starts must be the whole value, not an argument inside it.
    if (flow.opaque.has(name) || readChainIn(value, model).root.startIndex !== head.start)
      return undefined;
    return isLazyDjangoQuerySet(value, fn, model) ? { name, value } : undefined;
  }
  return undefined;
}

/** Whether a call's receiver chain starts from the name: `qs.count()`, `qs.filter(...).count()`. */
function startsFrom(call: PyCall, name: string): boolean {
  // A dotted callee spells the chain; only chains through calls need the tree.
  return call.callee ? call.callee.startsWith(`${name}.`) : rootName(call) === name;
}

function rootName(call: PyCall): string | undefined {
  let node = call.receiver;
  for (;;) {
    const type = node?.type;
    if (type === 'identifier') return node!.text;
    if (type === 'attribute') node = node!.childForFieldName('object');
    else if (type === 'call') node = node!.childForFieldName('function');
    else return undefined;
  }
}

/**
 * `row.save()` / `await row.adelete()` where `row` is the variable of a loop over a Django
 * queryset (`for row in Model.objects.filter(...)`, `async for row in qs.aiterator()`, also
 * through `tqdm(...)`): one UPDATE or DELETE per row the query returned.
 */
export function writesQuerySetRow(
  call: PyCall,
  model: PythonModel,
  isQuerySetMethod?: QuerySetMethodTest,
): boolean {
  const iterable = rowLoopIterable(call);
  return !!iterable && iteratesDjangoRows(iterable, call.fn!, model, isQuerySetMethod);
}

/**
 * `row.save()` / `row.delete()` where `row` is the variable of a loop over the rows of an
 * instance's related manager (`for post in author.posts.all()`, `team.members.filter(...)`):
 * one UPDATE or DELETE per related row. `managers` are the related managers the workspace's
 * Django models declare (the index knows them, the file alone does not).
 */
export function writesRelatedManagerRow(
  call: PyCall,
  model: PythonModel,
  managers: () => ReadonlySet<string>,
): boolean {
  const iterable = rowLoopIterable(call);
  return !!iterable && iteratesRelatedManagerRows(iterable, call.fn!, model, managers);
}

/**
 * The model class whose rows a loop's iterable yields: `Order` in `Order.objects.filter(...)`,
 * `models.Order.objects.all()`, or a local variable every assignment of which reads that class.
 */
function rowClassOf(
  iterable: Node,
  call: PyCall,
  model: PythonModel,
  relatedRows: RelatedRowsNamed,
): string | undefined {
  const chain = readChainIn(iterable, model);
  if (chain.links.length === 0 && iterable.type === 'identifier' && call.fn) {
    const flow = localFlow(call.fn);
    const values = flow.assignments.get(iterable.text);
    if (!values || flow.opaque.has(iterable.text)) return undefined;
    const classes = new Set(
      values.map((value) => rowClassOfChain(readChainIn(value, model), relatedRows)),
    );
    return classes.size === 1 ? [...classes][0] : undefined;
  }
  return rowClassOfChain(chain, relatedRows);
}

/** The class of the rows a Django manager or a related manager read from an instance holds. */
function rowClassOfChain(
  chain: ReturnType<typeof readChainIn>,
  relatedRows: RelatedRowsNamed,
): string | undefined {
  const owner = managerOwner(chain);
  if (owner) return owner;
  // `document_type.documents.filter(...)`: the instance's class is seldom known (a loop variable),
  // the name of the manager usually says which model's rows it holds.
  const [first] = chain.links;
  return chain.root.type === 'identifier' && first?.kind === 'attribute'
    ? relatedRows(first.name)
    : undefined;
}

/** `WorkspaceIndex.djangoRelatedRowsNamed`. */
export type RelatedRowsNamed = (manager: string) => string | undefined;

/** The name a chain's Django manager is read from: `Order` in `x.Order.objects.filter(...)`. */
export function managerOwner(chain: ReturnType<typeof readChainIn>): string | undefined {
  const at = chain.links.findIndex(
    (link) => link.kind === 'attribute' && isDjangoManagerName(link.name),
  );
  if (at === 0) return chain.root.type === 'identifier' ? chain.root.text : undefined;
  return at > 0 && chain.links[at - 1].kind === 'attribute' ? chain.links[at - 1].name : undefined;
}

/** The model methods whose override a row write runs: `asave()` calls `save()`. */
const RUNS_OVERRIDES: Record<string, readonly string[]> = {
  save: ['save'],
  asave: ['save', 'asave'],
  delete: ['delete'],
  adelete: ['delete', 'adelete'],
};

/** The keywords Django's own `Model.save()` / `Model.delete()` take. */
const DJANGO_WRITE_KEYWORDS: Record<string, ReadonlySet<string>> = {
  save: new Set(['force_insert', 'force_update', 'using', 'update_fields']),
  delete: new Set(['using', 'keep_parents']),
};

/**
 * A keyword a row's `save()`/`delete()` is given that Django's own does not take
 * (`lesson.save(update_dirty_bit_to=False)`, `document.save(_user=user)`): the model or a base
 * class the workspace may not hold (a sync library's) overrides the write, which the bulk forms
 * would skip. Undefined for other calls.
 */
export function customWriteKeyword(call: PyCall): string | undefined {
  const known = DJANGO_WRITE_KEYWORDS[call.method.replace(/^a(?=save|delete)/, '')];
  if (!known) return undefined;
  for (const arg of call.args.namedChildren) {
    const name = arg?.type === 'keyword_argument' ? arg.childForFieldName('name')?.text : undefined;
    if (name && !known.has(name)) return name;
  }
  return undefined;
}

/** For a message: the override a custom keyword shows, as what a bulk write would skip. */
export function skippedCustomWrite(call: PyCall): string | undefined {
  const keyword = customWriteKeyword(call);
  return keyword
    ? `the \`${call.method}()\` that takes \`${keyword}\`, which Django's own does not (an override, in the model or a base class)`
    : undefined;
}

/** Row writes a Django model class overrides (`WorkspaceIndex.djangoOverriddenWrites`). */
export type OverriddenWrites = (className: string) => ReadonlySet<string>;

/**
 * What a Django model's own writes run besides the SQL, which the bulk forms skip: the row writes
 * it overrides, and what else its `save()` runs (`WorkspaceIndex.djangoSaveHooks`).
 */
export interface ModelWriteHooks {
  overridden: OverriddenWrites;
  saveHooks: (className: string) => readonly string[];
  /** The model whose rows a related manager of a name holds, to find the hooks of its rows. */
  relatedRows: RelatedRowsNamed;
  /** The models whose managers a QuerySet or Manager class (qualified) makes. */
  querySetModels: (qualified: string) => readonly string[];
}

const NO_WRITE_HOOKS: ModelWriteHooks = {
  overridden: () => new Set(),
  saveHooks: () => [],
  relatedRows: () => undefined,
  querySetModels: () => [],
};

/**
 * The write hooks the workspace index knows of. The index is asked for on first use only: a file
 * rule that reads `ctx.index` waits for the whole workspace to be indexed.
 */
export function modelWriteHooks(
  index: () => Pick<
    WorkspaceIndex,
    | 'djangoOverriddenWrites'
    | 'djangoSaveHooks'
    | 'djangoRelatedRowsNamed'
    | 'djangoModelsOfQuerySetClass'
  >,
): ModelWriteHooks {
  return {
    overridden: (className) => index().djangoOverriddenWrites(className),
    saveHooks: (className) => index().djangoSaveHooks(className),
    relatedRows: (manager) => index().djangoRelatedRowsNamed(manager),
    querySetModels: (qualified) => index().djangoModelsOfQuerySetClass(qualified),
  };
}

/**
 * What a bulk write of `className` rows would skip, for a message: `the overridden
 * \`Order.save()\`` or `what \`Order.save()\` runs (\`@hook(AFTER_CREATE)\`, a \`post_save\`
 * receiver)`; undefined when the model's `save()` does nothing more than write (as far as known).
 */
export function skippedBySaveInBulk(className: string, hooks: ModelWriteHooks): string | undefined {
  if (hooks.overridden(className).has('save')) return `the overridden \`${className}.save()\``;
  const runs = hooks.saveHooks(className);
  return runs.length > 0 ? `what \`${className}.save()\` runs (${runs.join(', ')})` : undefined;
}

/**
 * The model class a Django `create` inserts into: `Order` of `Order.objects.create(...)`, the
 * enclosing class of `cls.objects.create(...)`; undefined for other receivers.
 */
function createdModelClass(call: PyCall): string | undefined {
  const manager = call.receiver;
  const owner = manager?.type === 'attribute' ? manager.childForFieldName('object') : null;
  if (owner?.type !== 'identifier') return undefined;
  if (owner.text === 'cls' || owner.text === 'self') return call.fn?.className;
  return owner.text;
}

/**
 * For `row.save()` / `row.delete()` in a loop over a model's queryset: the model class and the
 * method it overrides that the write runs (`delete` for `adelete()` too), which a queryset's
 * `update()`/`delete()` would skip; undefined when the model overrides none, or is not known.
 */
export function overriddenRowWrite(
  call: PyCall,
  model: PythonModel,
  hooks: Pick<ModelWriteHooks, 'overridden' | 'relatedRows' | 'querySetModels'>,
): { className: string; method: string } | undefined {
  const className = rowWriteClass(call, model, hooks);
  if (!className) return undefined;
  const methods = hooks.overridden(className);
  const method = RUNS_OVERRIDES[call.method]?.find((name) => methods.has(name));
  return method ? { className, method } : undefined;
}

/** The model class of the rows a row write (`row.save()`) in a loop over a queryset writes. */
function rowWriteClass(
  call: PyCall,
  model: PythonModel,
  hooks: Pick<ModelWriteHooks, 'relatedRows' | 'querySetModels'>,
): string | undefined {
  const iterable = rowLoopIterable(call);
  if (!iterable) return undefined;
  // `for d in self.filter(...)` in a Manager or QuerySet class: the rows of the one model whose
  // manager the class makes.
  const cls = call.fn && iteratesOwnQuerySet(iterable, call.fn, model);
  const qualified = cls && qualifiedClassName(cls.name, model);
  if (qualified) {
    const models = hooks.querySetModels(qualified);
    return models.length === 1 ? models[0] : undefined;
  }
  return rowClassOf(iterable, call, model, hooks.relatedRows);
}

/**
 * `bulk_create` for a `create` per item, unless the model's `save()` does more than insert
 * (overridden, django-lifecycle hooks, save signal receivers): `bulk_create` skips all of that.
 * When the pass saves the created row again (`model` given), the objects must be built whole
 * before one `bulk_create` can replace both writes.
 */
export function bulkCreateAdvice(
  call: PyCall,
  hooks: ModelWriteHooks,
  model?: PythonModel,
): string {
  const a = call.method.startsWith('a') ? 'a' : '';
  const className = createdModelClass(call);
  const skipped = className && skippedBySaveInBulk(className, hooks);
  if (skipped)
    return `one \`${a}bulk_create([...])\` would skip ${skipped}: batch what it does, or keep the loop`;
  const again = model && saveAfterCreate(call, model);
  if (again) return savedAgainAdvice(call, again, `\`${a}bulk_create([...])\``);
  return `insert the rows with one \`${a}bulk_create([...])\``;
}

/** For a created row the same pass saves again: build it whole first, then insert in bulk. */
export function savedAgainAdvice(call: PyCall, save: string, bulk: string): string {
  return `each row is saved again after \`${call.method}\` (\`${save}\`): build the objects whole first, then insert them with one ${bulk}`;
}

/**
 * The save, later in the same pass, of the row a `create` in a loop made (`ethernet.save()` after
 * `ethernet = Ethernet.objects.create(...)` and `ethernet.address = next_free()`), as written:
 * each row is written twice, and a `bulk_create` of the rows as created would miss the second.
 */
export function saveAfterCreate(call: PyCall, model: PythonModel): string | undefined {
  const loop = call.loops.at(-1);
  const name = loop && assignedName(call.node);
  if (!name) return undefined;
  const again = model.calls.find(
    (other) =>
      (other.method === 'save' || other.method === 'asave') &&
      other.callee === `${name}.${other.method}` &&
      other.start > call.end &&
      other.fn === call.fn &&
      other.loops.includes(loop),
  );
  return again ? `${again.callee}()` : undefined;
}

/** `row` of `row = <call>` or `row = await <call>`: the name a call's result is bound to. */
function assignedName(node: Node): string | undefined {
  const value = node.parent?.type === 'await' ? node.parent : node;
  const assignment = value.parent;
  if (assignment?.type !== 'assignment') return undefined;
  if (assignment.childForFieldName('right')?.id !== value.id) return undefined;
  const left = assignment.childForFieldName('left');
  return left?.type === 'identifier' ? left.text : undefined;
}

/**
 * Whether the `for` loop a Django read feeds deletes each of its rows (`for row in qs:
 * row.delete()`, a statement of the loop's body, not under an `if`): `query-in-loop` reports that DELETE per row, whose cure (one `delete()` on the
 * queryset, or paging when the model overrides `delete()`) also ends the unbounded read.
 */
export function deletesEachQuerySetRow(
  read: OrmRead,
  model: PythonModel,
  isQuerySetMethod?: QuerySetMethodTest,
): boolean {
  if (read.kind !== 'django' || !/\.a?delete\(/.test(model.source)) return false;
  const loop = loopFed(read, model);
  if (!loop) return false;
  const body = loop.node.childForFieldName('body');
  return model.calls.some(
    (call) =>
      (call.method === 'delete' || call.method === 'adelete') &&
      !!body &&
      statementOf(call.node)?.parent?.id === body.id &&
      writesQuerySetRow(call, model, isQuerySetMethod),
  );
}

/**
 * The statement a call is written as (`row.delete()`, `await row.adelete()`), or undefined when
 * it is part of something else: a delete under an `if` in the loop deletes only some rows, and a
 * queryset's `delete()` would not replace it.
 */
function statementOf(node: Node): Node | undefined {
  const parent = node.parent?.type === 'await' ? node.parent.parent : node.parent;
  return parent?.type === 'expression_statement' ? parent : undefined;
}

/** For a row write (`row.save()`) in a function, the iterable of the loop that binds `row`. */
function rowLoopIterable(call: PyCall): Node | undefined {
  if (!ROW_WRITES.has(call.method) || !call.fn) return undefined;
  const name = receiverName(call);
  if (name === undefined) return undefined;
  const loop = loopBinding(call.loops, name);
  return withoutProgressWrapper(unwrap(loop?.iterable)) ?? undefined;
}

/**
 * The innermost `for` loop around a call whose variable is `name`, or binds `name` to each item
 * of an `enumerate(...)` (`for i, row in enumerate(rows)`).
 */
function loopBinding(loops: readonly PyLoop[], name: string): PyLoop | undefined {
  for (let i = loops.length - 1; i >= 0; i--) {
    const loop = loops[i];
    if (loop.kind !== 'for') continue;
    const target = loop.node.childForFieldName('left');
    if (target?.type === 'identifier' && target.text === name) return loop;
    if (enumeratedRows(loop)?.row.text === name) return loop;
  }
  return undefined;
}

/**
 * Whether a Django query chain is a subquery of an enclosing query: the argument of `Exists(...)`
 * or `Subquery(...)`, or the value of an `__in=` lookup (`filter(id__in=Entry.objects.values(
 * "doc_id"))`), written there or held in a local variable used only so
 * (`isSubqueryThroughVariable`). Django compiles it into the outer statement's SQL: it sends
 * nothing itself.
 */
export function isSubqueryOfOuterQuery(call: PyCall, model: PythonModel): boolean {
  const outer = call.outer;
  if (!outer) return isSubqueryThroughVariable(call, model);
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

/** Calls whose `x__in=` lookups a queryset may be the value of: queryset filters and `Q(...)`. */
const LOOKUP_TAKERS = new Set([
  'filter',
  'exclude',
  'get',
  'aget',
  'get_or_create',
  'aget_or_create',
  'update_or_create',
  'aupdate_or_create',
  'Q',
  'When',
]);

/** `__in=`, `Exists(`, `Subquery(`: a file without them puts no queryset inside another. */
const SUBQUERY_TEXT = /__in\s*=|\b(?:Exists|Subquery)\s*\(/;
const mayNestQuerySets = new OwnedCache<PythonModel, boolean>('may nest querysets');

/**
 * Whether a Django query chain is a lazy queryset assigned to a local variable that the function
 * only ever uses inside other queries (`ids = Actor.objects.filter(org=org).values_list("user_id",
 * flat=True)`, then `qs.filter(user_id__in=ids)`, `Exists(ids)`): like the inline form
 * (`isSubqueryOfOuterQuery`), it is compiled into those queries' SQL and never sent itself. Any
 * other mention of the name (iterated, `list(ids)`, `ids.count()`, passed to a function,
 * returned, an `__in=` of a call that is no queryset filter) may evaluate it, and answers no.
 */
function isSubqueryThroughVariable(head: PyCall, model: PythonModel): boolean {
  const fn = head.fn;
  if (!fn || !mayNestQuerySetsIn(model)) return false;
  const bound = lazyQuerySetBoundBy(head, model);
  if (!bound) return false;
  const start = fn.node.startIndex;
  const end = fn.end;
  return nameOccurrences(model, bound.name)
    .filter((node) => start <= node.startIndex && node.endIndex <= end)
    .every((node) => isAssignedTo(node) || isSubqueryValue(node));
}

function mayNestQuerySetsIn(model: PythonModel): boolean {
  let found = mayNestQuerySets.get(model);
  if (found === undefined) {
    found = SUBQUERY_TEXT.test(model.source);
    mayNestQuerySets.set(model, found);
  }
  return found;
}

/** Whether an identifier is the whole target of an assignment (`ids = ...`). */
function isAssignedTo(name: Node): boolean {
  const parent = name.parent;
  return parent?.type === 'assignment' && parent.childForFieldName('left')?.id === name.id;
}

/**
 * Whether an identifier is used as a subquery: the whole value of an `x__in=` lookup of a
 * queryset filter or `Q(...)`, or the first argument of `Exists(...)` / `Subquery(...)`.
 */
function isSubqueryValue(name: Node): boolean {
  const parent = name.parent;
  if (parent?.type === 'keyword_argument') {
    if (parent.childForFieldName('value')?.id !== name.id) return false;
    if (!parent.childForFieldName('name')?.text.endsWith('__in')) return false;
    return LOOKUP_TAKERS.has(calledName(parent.parent?.parent) ?? '');
  }
  if (parent?.type !== 'argument_list') return false;
  const first = parent.namedChildren.find((arg) => arg?.type !== 'comment');
  return first?.id === name.id && SUBQUERY_EXPRESSIONS.has(calledName(parent.parent) ?? '');
}

/** The name a call node calls: `filter` of `qs.filter(...)`, `Q` of `Q(...)` or `models.Q(...)`. */
function calledName(call: Node | null | undefined): string | undefined {
  if (call?.type !== 'call') return undefined;
  const callee = call.childForFieldName('function');
  if (callee?.type === 'identifier') return callee.text;
  return callee?.type === 'attribute' ? callee.childForFieldName('attribute')?.text : undefined;
}

/**
 * The one-statement form of a Django write repeated per item, for the message: `bulk_create` for
 * `create`, `update`/`bulk_update` for a row's `save`, the queryset's `delete` for a row's
 * `delete`; undefined for reads. `relatedManagers`: those of the workspace, for the rows of a loop
 * over one (`writesRelatedManagerRow`). When the model overrides the row's `save`/`delete`
 * (`overridden`), the bulk form would skip the override: the advice says so instead.
 */
export function djangoBatchWrite(
  call: PyCall,
  model: PythonModel,
  relatedManagers: () => ReadonlySet<string> = () => new Set(),
  hooks: ModelWriteHooks = NO_WRITE_HOOKS,
  isQuerySetMethod?: QuerySetMethodTest,
): string | undefined {
  const method = call.method;
  const a = method.startsWith('a') ? 'a' : '';
  if ((method === 'create' || method === 'acreate') && hasObjectsManager(call))
    return bulkCreateAdvice(call, hooks, model);
  if (
    !writesQuerySetRow(call, model, isQuerySetMethod) &&
    !writesRelatedManagerRow(call, model, relatedManagers)
  )
    return undefined;
  const saves = method === 'save' || method === 'asave';
  const override = overriddenRowWrite(call, model, hooks);
  if (override) {
    const bulk = saves ? `\`${a}update(...)\` or \`${a}bulk_update\`` : `\`${a}delete()\``;
    return `\`${override.className}.${override.method}()\` is overridden: a queryset ${bulk} would skip it; batch what it does, or keep the loop and page through the rows`;
  }
  const custom = skippedCustomWrite(call);
  if (custom) {
    const bulk = saves ? `\`${a}update(...)\` or \`${a}bulk_update\`` : `\`${a}delete()\``;
    return `a queryset ${bulk} would skip ${custom}: batch what it does, or keep the loop and page through the rows`;
  }
  const rowClass = saves ? rowWriteClass(call, model, hooks) : undefined;
  const runs = rowClass ? hooks.saveHooks(rowClass) : [];
  if (rowClass && runs.length > 0)
    return `a queryset \`${a}update(...)\` or \`${a}bulk_update\` would skip what \`${rowClass}.save()\` runs (${runs.join(', ')}): batch what it does, or keep the loop and page through the rows`;
  // Rows the loop picks by a test of its own: a bulk write of the queryset would reach every row.
  const picked = writesSomeRows(call)
    ? ": move the test that picks the rows into the queryset's filter first, or it reaches every row"
    : '';
  if (saves)
    return `write the rows in one statement with \`${a}update(...)\` on the queryset, or \`${a}bulk_update(rows, fields)\`${picked}`;
  return `delete the rows in one statement with \`${a}delete()\` on the queryset${picked}`;
}

/** Statements that make what is below them run for some passes of a loop only. */
const BRANCHES = new Set(['if_statement', 'elif_clause', 'else_clause', 'conditional_expression']);

/**
 * Whether a write in a loop runs for some rows only: under an `if` inside the loop, or after a
 * `continue` of the loop's own body (authentik's clean_temporary_users deletes the generated users
 * whose expiry has passed, tested in Python).
 */
function writesSomeRows(call: PyCall): boolean {
  const loop = call.loops.at(-1)?.node;
  if (!loop) return false;
  for (let node = call.node.parent; node && node.id !== loop.id; node = node.parent)
    if (BRANCHES.has(node.type)) return true;
  const body = loop.childForFieldName('body');
  if (!body) return false;
  return body.descendantsOfType('continue_statement').some((skip) => {
    if (!skip || skip.startIndex > call.start) return false;
    let owner = skip.parent;
    while (owner && owner.type !== 'for_statement' && owner.type !== 'while_statement')
      owner = owner.parent;
    return owner?.id === loop.id;
  });
}

/**
 * Whether a Django query chain that starts at `head` (`Doc.objects.filter(...)`) calls lazy
 * methods only (`.exclude(...).order_by(...)`): it builds a queryset and sends nothing there.
 */
export function describesQueryOnly(head: PyCall): boolean {
  if (!DJANGO_LAZY_METHODS.has(head.method) || !hasObjectsManager(head)) return false;
  let node: Node = head.node;
  for (;;) {
    const attribute = node.parent;
    const outer = attribute?.parent;
    if (attribute?.type !== 'attribute' || outer?.type !== 'call') return true;
    if (outer.childForFieldName('function')?.id !== attribute.id) return true;
    if (!DJANGO_LAZY_METHODS.has(attribute.childForFieldName('attribute')?.text ?? ''))
      return false;
    node = outer;
  }
}

/** Related manager methods that send their query at once, whatever the loop does next. */
const RELATED_MANAGER_QUERIES = new Set([
  'create',
  'get',
  'get_or_create',
  'update_or_create',
  'acreate',
  'aget',
  'aget_or_create',
  'aupdate_or_create',
]);

/**
 * A query through a manager attribute only the workspace's models can name, by shape alone:
 * `Basket.open.filter(...)`, `models.Basket.open.filter(...)` (a class and an attribute that may be
 * a custom manager it declares, kind `custom`) or `order.lines.create(...)`,
 * `self.order.lines.create(...)` (an instance and an attribute that may be a related manager, kind
 * `related`, for the methods that query at once). `get` must take keyword lookups
 * only: `settings.options.get("key")` is a dict's. Undefined for other shapes and for the manager
 * names Django rules know by themselves (`objects`, `_default_manager`).
 */
export function managerAttributeQuery(
  call: PyCall,
): { kind: 'custom' | 'related'; owner: string; manager: string } | undefined {
  // A dotted callee spells the whole shape: no node is read for other calls.
  const parts = call.callee ? call.callee.split('.') : [];
  const shape = ownerAndManager(parts);
  if (!shape || !isDjangoQueryMethod(call.method)) return undefined;
  const { owner, manager } = shape;
  if (isDjangoManagerName(manager)) return undefined;
  if (/^_*[A-Z]/.test(owner)) return { kind: 'custom', owner, manager };
  if (!RELATED_MANAGER_QUERIES.has(call.method)) return undefined;
  if (call.method.endsWith('get') && !takesKeywordsOnly(call)) return undefined;
  return { kind: 'related', owner, manager };
}

/**
 * The owner and manager a dotted callee `owner.manager.method` names: also a model class read
 * from a module (`models.Cart.open.filter`, owner `Cart`) and an instance held in an attribute of
 * `self` (`self.order.lines.create`, owner `order`).
 */
function ownerAndManager(parts: readonly string[]): { owner: string; manager: string } | undefined {
  if (parts.length === 3) return { owner: parts[0], manager: parts[1] };
  if (parts.length !== 4) return undefined;
  const [first, owner, manager] = parts;
  // `self.Cart.open` or `models.order.lines`: neither a model of a module nor an instance of self.
  const isClass = /^_*[A-Z]/.test(owner);
  if (first === 'self' ? isClass : !isClass || /^_*[A-Z]/.test(first)) return undefined;
  return { owner, manager };
}

/** Whether every argument of the call is a keyword (`get(pk=1)`, `get(**lookup)`), and one is given. */
function takesKeywordsOnly(call: PyCall): boolean {
  const args = call.args.namedChildren.filter((arg) => arg?.type !== 'comment');
  return (
    args.length > 0 &&
    args.every((arg) => arg?.type === 'keyword_argument' || arg?.type === 'dictionary_splat')
  );
}

/**
 * The outermost call of the lazy Django chain that `head` starts (`.exclude(...)` in
 * `Doc.objects.filter(...).exclude(...)`), or undefined when a method that runs the query ends it.
 */
function lazyChainTop(head: PyCall): Node | undefined {
  let node: Node = head.node;
  for (;;) {
    const attribute = node.parent;
    const outer = attribute?.parent;
    if (attribute?.type !== 'attribute' || outer?.type !== 'call') return node;
    if (outer.childForFieldName('function')?.id !== attribute.id) return node;
    if (!DJANGO_LAZY_METHODS.has(attribute.childForFieldName('attribute')?.text ?? ''))
      return undefined;
    node = outer;
  }
}

/** Statements a name may appear in as a queryset handed back: `return qs`. */
const RETURN_OF = (name: string): RegExp => new RegExp(`^return\\s+${name}\\s*(?:#.*)?$`);
/** What follows a name assigned to (`qs = ...`, not `qs == ...`). */
const ASSIGNED = /^\s*=(?!=)/;
/** What follows a name narrowed by a lazy queryset method (`qs.filter(`). */
const NARROWED = new RegExp(`^\\s*\\.\\s*(?:${[...DJANGO_LAZY_METHODS].join('|')})\\s*\\(`);

/**
 * Whether every mention of `name` in the function's body assigns it (`qs = ...`), narrows it
 * with a lazy method in an assignment (`qs = qs.exclude(...)`) or returns it alone
 * (`return qs`). Read from the text: any other mention (an iteration, `list(qs)`, `if qs:`, a
 * comment naming it) answers no.
 */
function onlyNarrowedAndReturned(name: string, body: string): boolean {
  const mention = new RegExp(`(?<![\\w.])${name}(?!\\w)`, 'g');
  const returned = RETURN_OF(name);
  for (const match of body.matchAll(mention)) {
    const at = match.index;
    const after = body.slice(at + name.length, at + name.length + 40);
    const lineStart = body.lastIndexOf('\n', at) + 1;
    const lineEnd = body.indexOf('\n', at);
    const line = body.slice(lineStart, lineEnd === -1 ? body.length : lineEnd).trim();
    if (ASSIGNED.test(after) && body.slice(lineStart, at).trim() === '') continue;
    if (NARROWED.test(after) && /=\s*$/.test(body.slice(lineStart, at))) continue;
    if (returned.test(line)) continue;
    return false;
  }
  return true;
}

/**
 * Whether the lazy queryset a Django query chain starts at `head` is handed back to the caller
 * unevaluated, so that the function sends no query: the whole chain is the value of a `return`
 * (`return Ingredient.objects.filter(...).exclude(...)`), or of a local variable the function
 * only narrows with lazy methods and returns (`qs = Doc.objects.filter(...)`, `qs = qs.exclude(
 * ...)`, `return qs`). Whatever evaluates it later, in the caller, sends the query.
 */
export function handsBackUnevaluated(head: PyCall, model: PythonModel): boolean {
  const fn = head.fn;
  const top = lazyChainTop(head);
  if (!fn || !top) return false;
  let value: Node = top;
  while (value.parent?.type === 'parenthesized_expression') value = value.parent;
  const statement = value.parent;
  if (statement?.type === 'return_statement') return true;
  if (statement?.type !== 'assignment' || statement.childForFieldName('right')?.id !== value.id)
    return false;
  const target = statement.childForFieldName('left');
  if (target?.type !== 'identifier') return false;
  const name = target.text;
  const flow = localFlow(fn);
  const values = flow.assignments.get(name);
  if (!values || flow.opaque.has(name)) return false;
  return (
    values.every((other) => isLazyDjangoQuerySet(other, fn, model)) &&
    onlyNarrowedAndReturned(name, fn.body.text)
  );
}
