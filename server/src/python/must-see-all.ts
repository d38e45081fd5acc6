/**
 * Reads whose code must see every row: a bound (`[:1000]`, `.limit(1000)`) would silently leave
 * the rest unprocessed rather than make the code cheaper. Signal handlers that push a change to
 * every dependent row, loops that write each row back, loops that fold every row into a
 * collection stored or handed out whole (a cache or an index rebuild; also one of the enclosing
 * function, filled by a nested function it calls), loops that make a Django write for each row,
 * and keys read for a later `update()`/`delete()` of every row they name are such code. They may
 * still hold too many rows at once, so they are reported with streaming advice, not a bound.
 */
import type { Node } from 'web-tree-sitter';
import { hasObjectsManager } from './knowledge';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { OwnedCache } from './memo';
import { enumeratedRows } from './loop-rows';
import type { OrmRead } from './orm';
import { assignedName, usesAfter } from './row-aggregates';
import { contains, decoratorName, positionalArguments, readsVariable } from './scope-analysis';

/**
 * Why a read must see every row. `writes-each`: the loop it feeds writes for each row, through
 * something other than the row itself (`Link.objects.create(member=row)`); `keys-feed-write`:
 * its rows or keys name the rows a later `update()`/`delete()` writes (`filter(id__in=ids)`).
 * `write` quotes that write for the message.
 */
export type MustSeeAll =
  | { reason: 'signal-handler' }
  | { reason: 'writes-back'; deletes?: boolean }
  | { reason: 'folds'; into: string }
  | { reason: 'writes-each'; write: string }
  | { reason: 'keys-feed-write'; write: string; keys: string };

/** Django signal names a handler is often named after: `_virtualchassis_pre_delete`. */
const SIGNAL_NAME = /(?:^|_)(?:pre|post)_(?:save|delete|init)(?:_|$)|(?:^|_)m2m_changed(?:_|$)/;

/** `@receiver(post_save, sender=X)`, `@django.dispatch.receiver(...)`. */
const RECEIVER_DECORATOR = /(?:^|\.)receiver$/;

const connectedHandlers = new OwnedCache<PythonModel, ReadonlySet<string>>('connected handlers');

/** Names the module hands to a signal's `connect` (`post_save.connect(handler, sender=X)`). */
function connectedNames(model: PythonModel): ReadonlySet<string> {
  let names = connectedHandlers.get(model);
  if (names) return names;
  const found = new Set<string>();
  if (model.source.includes('.connect(')) {
    for (const call of model.calls) {
      if (call.method !== 'connect' || !call.hasReceiver) continue;
      const first = positionalArguments(call)[0];
      if (first?.type === 'identifier') found.add(first.text);
    }
  }
  names = found;
  connectedHandlers.set(model, names);
  return names;
}

/**
 * Whether `fn` is a Django signal handler: decorated `@receiver(...)`, connected with
 * `signal.connect(fn, ...)` in its module, or named after a model signal (`*_pre_delete`,
 * `*_post_save`). Such a handler pushes a change to every dependent row.
 */
export function isSignalHandler(fn: PyFunction, model: PythonModel): boolean {
  if (fn.decorators.some((decorator) => RECEIVER_DECORATOR.test(decoratorName(decorator))))
    return true;
  return SIGNAL_NAME.test(fn.name) || connectedNames(model).has(fn.name);
}

/** Methods that write the row they are called on. */
const ROW_WRITES = new Set(['save', 'asave', 'delete', 'adelete']);
/** Methods that write rows a query selects: keyed by the row, one statement per row. */
const QUERY_WRITES = new Set(['update', 'aupdate']);
/** Methods that add an element to a collection in place. */
const FOLDS = new Set(['append', 'extend', 'add', 'update', 'setdefault']);
/** Calls that store a collection whole: a cache, Redis, a bulk write. */
const STORES = new Set([
  'set',
  'aset',
  'set_many',
  'aset_many',
  'setex',
  'hset',
  'hmset',
  'mset',
  'sadd',
  'bulk_create',
  'abulk_create',
  'bulk_update',
  'abulk_update',
]);
/** Empty collections a fold starts from: `[]`, `set()`, `{}`, `dict()`, `defaultdict(list)`. */
const EMPTY_LIST = /^(?:\[\]|list\(\))$/;
const EMPTY_INDEX = /^(?:\{\}|set\(\)|dict\(\)|(?:collections\.)?defaultdict\([^()]*\))$/;

/**
 * Whether the read must see every row, and why: its function is a signal handler, or the `for`
 * loop it feeds writes each row back or folds every row into a collection that is then stored
 * whole (or, for a set or dict, returned: an index).
 */
export function mustSeeAll(read: OrmRead, model: PythonModel): MustSeeAll | undefined {
  if (read.fn && isSignalHandler(read.fn, model)) return { reason: 'signal-handler' };
  const loop = loopFed(read, model);
  if (!loop) {
    if (read.kind === 'django') return keysFeedWrite(read, model);
    // `docs = q.all()`, then `for doc in docs: session.delete(doc)`: the same loop, one name away.
    const over = isSqlAlchemy(read) ? loopOverAssigned(read, model) : undefined;
    const row = over && rowVariable(over);
    return over && row ? writesBack(read, over, row, callsIn(over, model)) : undefined;
  }
  const target = rowVariable(loop);
  if (!target) return undefined;
  const inBody = callsIn(loop, model);
  const back = writesBack(read, loop, target, inBody);
  if (back) return back;
  const folds = [
    ...inBody.map((call) => foldTarget(call, target.text)),
    ...subscriptFolds(loop, target.text),
  ];
  const into = folds.find((name) => !!name && isStoredWhole(name, loop, model));
  if (into) return { reason: 'folds', into };
  const write = read.kind === 'django' ? writeForEachRow(loop, target.text, inBody) : undefined;
  return write ? { reason: 'writes-each', write: quoteWrite(write) } : undefined;
}

/** The calls in the body of `loop`. */
function callsIn(loop: PyLoop, model: PythonModel): PyCall[] {
  return model.calls.filter((call) => call.loops.some((l) => l.node.id === loop.node.id));
}

/** The variable that holds each row: `row` of `for row in rows` or `for i, row in enumerate(rows)`. */
function rowVariable(loop: PyLoop): Node | undefined {
  const left = loop.node.childForFieldName('left');
  return left?.type === 'identifier' ? left : enumeratedRows(loop)?.row;
}

/**
 * Whether `loop` writes back each row it reads (`row.save()`, `session.delete(row)`, or, in a
 * SQLAlchemy session, `row.flag = False`); `deletes` when every such write deletes the row.
 */
function writesBack(
  read: OrmRead,
  loop: PyLoop,
  target: Node,
  inBody: readonly PyCall[],
): { reason: 'writes-back'; deletes?: boolean } | undefined {
  const writes = inBody.filter((call) => writesRow(call, target.text));
  const setsAttributes = isSqlAlchemy(read) && writesAttributesBack(loop, target.text, inBody);
  if (writes.length === 0 && !setsAttributes) return undefined;
  const deletes = !setsAttributes && writes.every((call) => call.method === 'delete');
  return deletes ? { reason: 'writes-back', deletes } : { reason: 'writes-back' };
}

/**
 * The `for` loop over the name a read is assigned to (`docs = q.all()`, then `for doc in docs:`),
 * when each later use of the name is the iterable of such a loop: the first of them.
 */
function loopOverAssigned(read: OrmRead, model: PythonModel): PyLoop | undefined {
  const name = read.fn ? assignedName(read.node) : undefined;
  if (!read.fn || !name) return undefined;
  let first: PyLoop | undefined;
  for (const use of usesAfter(read.fn, name, read.node.endIndex)) {
    const loop = model.loops.find(
      (candidate) => candidate.kind === 'for' && candidate.iterable?.id === use.id,
    );
    if (!loop) return undefined;
    first ??= loop;
  }
  return first;
}

/** Django writes: a manager's or queryset's, or an instance's `save()`/`delete()`. */
const DJANGO_WRITES = new Set([
  'create',
  'acreate',
  'get_or_create',
  'aget_or_create',
  'update_or_create',
  'aupdate_or_create',
  'bulk_create',
  'abulk_create',
  'bulk_update',
  'abulk_update',
  'update',
  'aupdate',
  'delete',
  'adelete',
  'save',
  'asave',
]);
/** Queryset writes whose rows a filter picks. */
const QUERYSET_WRITES = new Set(['update', 'aupdate', 'delete', 'adelete']);

/**
 * A Django write the loop body makes for each row, with something of the row or of a name
 * the body derives from it (`target = Member.objects.get(user_id=member.user_id)`, then
 * `Link.objects.create(member=target)`): a write through a manager or queryset
 * (`Model.objects...create(...)`, `.filter(owner=row).update(...)`), or a `save()`/`delete()`
 * without positional arguments of such a derived instance. The rows the loop skips would never
 * be written.
 */
function writeForEachRow(loop: PyLoop, row: string, inBody: readonly PyCall[]): PyCall | undefined {
  const derived = derivedNames(loop, row);
  const readsRow = (node: Node | null | undefined): boolean =>
    !!node && [...derived].some((name) => readsVariable(node, name));
  return inBody.find((call) => {
    if (!DJANGO_WRITES.has(call.method)) return false;
    const receiver = call.receiver;
    if (hasObjectsManager(call)) return readsRow(call.args) || readsRow(receiver);
    // `copy.save()`, `copy.save(update_fields=[...])`; not `image.save(path)` (Pillow) nor a
    // dict's `update(...)`.
    return (
      ROW_WRITES.has(call.method) &&
      receiver?.type === 'identifier' &&
      derived.has(receiver.text) &&
      positionalArguments(call).length === 0
    );
  });
}

/** The row's name and the names the loop body assigns from it, directly or through another. */
function derivedNames(loop: PyLoop, row: string): Set<string> {
  const names = new Set([row]);
  const body = loop.node.childForFieldName('body');
  if (!loop.fn || !body) return names;
  for (const { node, target } of loop.fn.assignmentNodes) {
    if (node.startIndex < body.startIndex || node.startIndex >= body.endIndex) continue;
    const value = node.childForFieldName('right');
    if (!target || target.includes('.') || !value) continue;
    if ([...names].some((name) => readsVariable(value, name))) names.add(target);
  }
  return names;
}

/**
 * The queryset write a Django read's rows or keys feed, when the read is assigned to a name
 * (`ids = list(qs.values_list("id", flat=True))`) that a later `update()`/`delete()` of the
 * function filters by as a list (`Other.objects.filter(owner_id__in=ids).delete()`): cutting the
 * list would leave rows unwritten.
 */
function keysFeedWrite(read: OrmRead, model: PythonModel): MustSeeAll | undefined {
  const assignment = read.node.parent;
  const name = assignment?.type === 'assignment' ? assignment.childForFieldName('left') : null;
  if (name?.type !== 'identifier' || !read.fn) return undefined;
  for (const call of model.calls) {
    if (call.fn !== read.fn || call.start < read.node.endIndex) continue;
    if (!QUERYSET_WRITES.has(call.method) || !call.receiver || !hasObjectsManager(call)) continue;
    const keys = listLookupOf(call.receiver, name.text);
    if (keys) return { reason: 'keys-feed-write', write: quoteWrite(call), keys };
  }
  return undefined;
}

/** `owner_id__in=ids` in a chain's filters: a list lookup that takes `name` whole. */
function listLookupOf(chain: Node, name: string): string | undefined {
  if (!chain.text.includes('__in')) return undefined;
  const lookup = chain
    .descendantsOfType('keyword_argument')
    .find(
      (argument) =>
        !!argument &&
        /__in$/.test(argument.childForFieldName('name')?.text ?? '') &&
        argument.childForFieldName('value')?.text === name,
    );
  return lookup?.text;
}

/** A write call for a message: `Link.objects.create(...)`, or its text on one short line. */
function quoteWrite(call: PyCall): string {
  if (call.callee) return `${call.callee}(...)`;
  const text = call.node.text.replace(/\s+/g, ' ');
  return text.length <= 72 ? text : `${text.slice(0, 71)}…`;
}

/** The `for` statement whose iterable is the read (`for row in Model.objects.filter(...)`). */
export function loopFed(read: OrmRead, model: PythonModel): PyLoop | undefined {
  return model.loops.find(
    (loop) => loop.kind === 'for' && !!loop.iterable && contains(loop.iterable, read.node),
  );
}

/**
 * `row.save()`, `row.delete()`, `session.delete(row)`, or an update keyed by the row
 * (`Model.objects.filter(pk=row.pk).update(...)`): the loop writes each row it reads.
 */
function writesRow(call: PyCall, row: string): boolean {
  if (ROW_WRITES.has(call.method)) {
    if (call.receiver?.text === row) return true;
    return call.method === 'delete' && positionalArguments(call)[0]?.text === row;
  }
  return QUERY_WRITES.has(call.method) && !!call.receiver && readsVariable(call.receiver, row);
}

function isSqlAlchemy(read: OrmRead): boolean {
  return read.kind === 'sqlalchemy-query' || read.kind === 'sqlalchemy-select';
}

/**
 * SQLAlchemy's unit of work: `row.flag = False` (or `+=`) on each row read in a session, or
 * `session.merge(row)`, writes it back at the next flush or commit, wherever that is. Not when
 * the loop also collects the row (`shown.append(row)`): a value set on a row to be shown, not
 * stored.
 */
function writesAttributesBack(loop: PyLoop, row: string, inBody: readonly PyCall[]): boolean {
  if (inBody.some((call) => FOLDS.has(call.method) && positionalArguments(call)[0]?.text === row))
    return false;
  if (inBody.some((call) => call.method === 'merge' && positionalArguments(call)[0]?.text === row))
    return true;
  const body = loop.node.childForFieldName('body');
  if (!loop.fn || !body) return false;
  return loop.fn.assignmentNodes.some(({ node }) => {
    if (node.startIndex < body.startIndex || node.startIndex >= body.endIndex) return false;
    const left = node.childForFieldName('left');
    return left?.type === 'attribute' && left.childForFieldName('object')?.text === row;
  });
}

/**
 * `ids` in `ids.extend(row.tags)`, `roles` in `roles[row.event_id].add("owner")`: the collection a
 * call adds something of the row to, or whose entry for the row's key it adds to.
 */
function foldTarget(call: PyCall, row: string): string | undefined {
  const receiver = call.receiver;
  if (!FOLDS.has(call.method) || !receiver) return undefined;
  if (receiver.type === 'identifier')
    return readsVariable(call.args, row) ? receiver.text : undefined;
  if (receiver.type !== 'subscript') return undefined;
  const collection = receiver.childForFieldName('value');
  const key = receiver.childForFieldName('subscript');
  if (collection?.type !== 'identifier' || !key || !readsVariable(key, row)) return undefined;
  return collection.text;
}

/** `index` in `index[row.sku] = row` in the loop's body: collections keyed by something of the row. */
function subscriptFolds(loop: PyLoop, row: string): string[] {
  const body = loop.node.childForFieldName('body');
  if (!loop.fn || !body) return [];
  const start = body.startIndex;
  const end = body.endIndex;
  const found: string[] = [];
  for (const { node, augmented } of loop.fn.assignmentNodes) {
    if (augmented || node.startIndex < start || node.startIndex >= end) continue;
    const left = node.childForFieldName('left');
    const collection = left?.type === 'subscript' ? left.childForFieldName('value') : null;
    if (collection?.type === 'identifier' && readsVariable(node, row)) found.push(collection.text);
  }
  return found;
}

/**
 * Whether the collection `name`, filled by `loop`, starts empty before it and afterwards goes
 * whole into a store call (`cache.set(key, name)`), or is returned when it is a set or a dict.
 * A collection of the enclosing function (a closure variable of the loop's nested function) is
 * judged there, around a call of the nested function.
 */
function isStoredWhole(name: string, loop: PyLoop, model: PythonModel): boolean {
  const fn = loop.fn;
  if (!fn) return false;
  const start = lastEmptyStart(name, fn, loop.node.startIndex);
  if (start) return keptWholeAfter(name, start, fn, loop.node.endIndex, model);
  return isClosureVariable(name, fn) && heldWholeByEnclosing(name, fn, model);
}

/**
 * Whether `name`, started empty as `start`, goes whole into a store call of `fn` after `at`, or
 * is returned after it when it is a set or a dict.
 */
function keptWholeAfter(
  name: string,
  start: 'list' | 'index',
  fn: PyFunction,
  at: number,
  model: PythonModel,
): boolean {
  const after = (call: PyCall): boolean => call.start >= at && call.fn === fn;
  if (
    model.calls.some(
      (call) => after(call) && STORES.has(call.method) && readsVariable(call.args, name),
    )
  )
    return true;
  return start === 'index' && returnsName(fn, name, at);
}

/**
 * Whether `name` in the nested function `fn` is the enclosing function's variable: `fn` neither
 * takes it as a parameter nor assigns it (`data[k].add(...)` and `data[k] = v` only change it).
 */
function isClosureVariable(name: string, fn: PyFunction): boolean {
  if (!fn.parent || fn.params.some((param) => param.name === name)) return false;
  return !fn.assignmentNodes.some(({ target }) => target === name);
}

/**
 * Whether the enclosing function of `fn` calls it after starting `name` empty and afterwards
 * keeps `name` whole (`data = defaultdict(set); add_contrib_data(); return data`): each call of
 * the nested function folds every row into the collection the outer function hands out.
 */
function heldWholeByEnclosing(name: string, fn: PyFunction, model: PythonModel): boolean {
  const outer = fn.parent;
  if (!outer) return false;
  return model.calls.some((call) => {
    if (call.fn !== outer || call.callee !== fn.name || call.inLambda) return false;
    const start = lastEmptyStart(name, outer, call.start);
    return !!start && keptWholeAfter(name, start, outer, call.end, model);
  });
}

/** How `name` was last set to an empty collection before `at` in `fn`: a list or an index. */
function lastEmptyStart(name: string, fn: PyFunction, at: number): 'list' | 'index' | undefined {
  let kind: 'list' | 'index' | undefined;
  for (const { node, target, augmented } of fn.assignmentNodes) {
    if (node.startIndex >= at) break;
    if (target !== name || augmented) continue;
    const value = node.childForFieldName('right')?.text.replace(/\s+/g, '') ?? '';
    kind = EMPTY_LIST.test(value) ? 'list' : EMPTY_INDEX.test(value) ? 'index' : undefined;
  }
  return kind;
}

/** Whether a `return name` statement of `fn` follows `at`. */
function returnsName(fn: PyFunction, name: string, at: number): boolean {
  const returns = fn.body.descendantsOfType('return_statement');
  return returns.some(
    (node) => !!node && node.startIndex >= at && node.namedChildren[0]?.text === name,
  );
}
