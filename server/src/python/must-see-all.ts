/**
 * Reads whose code must see every row: a bound (`[:1000]`, `.limit(1000)`) would silently leave
 * the rest unprocessed rather than make the code cheaper. Signal handlers that push a change to
 * every dependent row, loops that write each row back, and loops that fold every row into a
 * collection stored or handed out whole (a cache or an index rebuild; also one of the enclosing
 * function, filled by a nested function it calls) are such code. They may still hold too many
 * rows at once, so they are reported with streaming advice, not a bound.
 */
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { OwnedCache } from './memo';
import type { OrmRead } from './orm';
import { contains, decoratorName, positionalArguments, readsVariable } from './scope-analysis';

/** Why a read must see every row. */
export type MustSeeAll =
  { reason: 'signal-handler' } | { reason: 'writes-back' } | { reason: 'folds'; into: string };

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
  const target = loop?.node.childForFieldName('left');
  if (!loop || target?.type !== 'identifier') return undefined;
  const inBody = model.calls.filter((call) => call.loops.some((l) => l.node.id === loop.node.id));
  if (inBody.some((call) => writesRow(call, target.text))) return { reason: 'writes-back' };
  if (isSqlAlchemy(read) && writesAttributesBack(loop, target.text, inBody))
    return { reason: 'writes-back' };
  const folds = [
    ...inBody.map((call) => foldTarget(call, target.text)),
    ...subscriptFolds(loop, target.text),
  ];
  const into = folds.find((name) => !!name && isStoredWhole(name, loop, model));
  return into ? { reason: 'folds', into } : undefined;
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
