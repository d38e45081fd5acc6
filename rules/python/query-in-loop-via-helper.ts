import type { Rule, WorkspaceContext } from '../../server/src/engine/rule';
import { isKeyedCacheFill, keptArguments, paramCacheOf } from '../../server/src/python/cache-fills';
import { modelWriteHooks, skippedBySaveInBulk } from '../../server/src/python/django-round-trips';
import { COMMIT_ADVICE } from '../../server/src/python/session-commits';
import {
  FLUSH_ADVICE,
  flushesSession,
  flushGivesKey,
} from '../../server/src/python/session-flushes';
import { callTargets } from '../../server/src/python/facts';
import { iteratesResult } from '../../server/src/python/generator-calls';
import { rowMethodName } from '../../server/src/python/loop-rows';
import { ModelMethodsByName } from '../../server/src/python/model-methods';
import {
  describeLoop,
  httpInLoopAdvice,
  isOneOffCode,
  repeatingLoops,
} from '../../server/src/python/loop-analysis';
import { callRunsBody } from '../../server/src/workspace/facts';
import type { CallSite, Effect, FunctionFacts } from '../../server/src/workspace/facts';
import type { Node } from 'web-tree-sitter';
import type { PyCall, PyFunction } from '../../server/src/python/model';
import { DJANGO_LAZY_METHODS } from '../../server/src/python/orm';
import { displayPath, SiteNames } from '../../server/src/workspace/query-sites';
import type { IndexedFunction, WorkspaceIndex } from '../../server/src/workspace/index';

const RULE_ID = 'query-in-loop-via-helper';
/** Trait marking a call that runs once per loop item: `<prefix><call start>:<loop description>`. */
const REPEATED = `${RULE_ID}:repeated@`;

/**
 * Trait marking a repeated call whose result the loop does not evaluate there:
 * `<prefix><call start>:kept` when it is stored or compiled into another query
 * (`querysets.append(helper(r))`, `filter(id__in=helper(r))`), `:argument` when it is handed
 * to another call (`self.add_rows(helper(r))`), which is judged on its own.
 */
const HANDED_ON = `${RULE_ID}:handed-on@`;

/**
 * Trait of a helper memoising in a mapping passed in (`def author_of(db, id, cache)`, see
 * `paramCacheOf`): `<prefix><position>:<name>:<miss start>:<miss end>`.
 */
const PARAM_CACHE = `${RULE_ID}:param-cache@`;

/**
 * Trait listing the arguments of a repeated call that hold the same object on every pass:
 * `<prefix><call start>:<position or keyword>,...` (see `keptArguments`).
 */
const KEPT_ARGUMENTS = `${RULE_ID}:kept-arguments@`;

/**
 * Trait of a repeated call passing `False` literals as keywords (`create_path(o, rebuild=False)`):
 * `<prefix><call start>:<name>,...`.
 */
const SWITCHED_OFF = `${RULE_ID}:switched-off@`;

/**
 * Trait of a block a flag parameter switches on (`if rebuild:` around `rebuild_paths(node)`):
 * `<prefix><parameter>:<block start>:<block end>`. Recorded for parameters with a `True`/`False`
 * default that the function never reassigns.
 */
const FLAG_BLOCK = `${RULE_ID}:flag-block@`;

/**
 * Trait of a repeated call passing keywords a value other than `None` (`perform_update("Component",
 * -1, obj=component)`): `<prefix><call start>:<name>,...`.
 */
const GIVEN = `${RULE_ID}:given@`;

/**
 * Trait of a block that runs only when a parameter defaulting to `None` is left out (`if obj is
 * None: obj = Project.objects.get(pk=pk)`): `<prefix><parameter>:<block start>:<block end>`.
 * Recorded for parameters the function assigns only inside such blocks.
 */
const MISSING_BLOCK = `${RULE_ID}:missing-block@`;

/**
 * Trait of a session flush after which the function reads a generated key of an object it made
 * or was given (`db.flush(); return note.id`): `<prefix><flush start>`. The flush is what gives
 * the key, so it does not count as a round trip to batch.
 */
const KEY_FLUSH = `${RULE_ID}:key-flush@`;

/**
 * Trait of a repeated call on a loop's row variable whose class the file cannot tell (`for parent
 * in parents: parent.get_rels()`), which has no call site of its own:
 * `<prefix><call start>:<call end>:<flags>:<callee>`, flags `a` (awaited) and `i` (iterated
 * there). The index may tie the method to the one model defining it (`ModelMethodsByName`).
 */
const ROW_METHOD = `${RULE_ID}:row-method@`;

/** Methods that store a queryset or combine it into another one, unevaluated. */
const KEEPING_METHODS = new Set([
  'append',
  'extend',
  'add',
  'insert',
  'union',
  'intersection',
  'difference',
]);
/** Calls that compile the queryset they are given into the SQL of another query. */
const SUBQUERY_CALLS = new Set(['Subquery', 'Exists']);

/** Builtins called in loops all the time; never workspace helpers, so not worth a trait. */
const BUILTINS = new Set([
  'len',
  'str',
  'int',
  'float',
  'bool',
  'list',
  'dict',
  'set',
  'tuple',
  'print',
  'isinstance',
  'getattr',
  'setattr',
  'hasattr',
  'min',
  'max',
  'sum',
  'abs',
  'round',
  'sorted',
  'enumerate',
  'zip',
  'range',
  'repr',
  'format',
  'any',
  'all',
  'map',
  'filter',
  'iter',
  'next',
  'id',
  'type',
  'super',
]);

/** How a loop site reaches a round trip: the functions followed and the effect at the end. */
interface Reach {
  effect: Effect;
  /** The helper called from the loop first, the function making the round trip last. */
  chain: IndexedFunction[];
}

/**
 * Follows calls from a function until one makes a query or HTTP request. A depth-first search
 * explores every edge from every function it visits, so the answer for the function asked about
 * is exact even through cycles; the "no" answers of functions inside a cycle are only kept when
 * the whole search found nothing, because one of them might reach a round trip through the
 * function the search started from.
 */
class ReachFinder {
  private readonly found = new Map<FunctionFacts, Reach | null>();

  constructor(private readonly index: WorkspaceIndex) {}

  reach(entry: IndexedFunction): Reach | null {
    const visited = new Set<FunctionFacts>();
    const result = this.search(entry, visited);
    if (!result) for (const fn of visited) this.found.set(fn, null);
    return result;
  }

  /**
   * `reach`, for a call whose result the loop does not evaluate: the lazy querysets `entry` hands
   * back unevaluated send nothing. The functions it calls count whole: one that returns a
   * queryset to `entry`, which evaluates it, is a round trip. Class queries count only where the
   * index confirms them, as in `search`.
   */
  reachKeptLazy(entry: IndexedFunction): Reach | null {
    return this.reachOwn(
      entry,
      (effect) => !effect.returned,
      (_site, target) => target.fn !== entry.fn,
    );
  }

  /**
   * `reach`, for a call that switches off blocks of `entry` (`create_path(o, rebuild=False)`
   * never runs `if rebuild: rebuild_paths(o)`): the round trips and calls inside them do not count.
   */
  reachWithout(
    entry: IndexedFunction,
    off: readonly { start: number; end: number }[],
  ): Reach | null {
    const inOff = (start: number): boolean =>
      off.some((block) => start >= block.start && start < block.end);
    return this.reachOwn(
      entry,
      (effect) => !inOff(effect.start),
      (site) => !inOff(site.start),
    );
  }

  /**
   * `reach` through the effects and call sites of `entry` that the tests keep (class queries
   * confirmed by the index, as in `search`); the functions it calls count whole.
   */
  private reachOwn(
    entry: IndexedFunction,
    keepEffect: (effect: Effect) => boolean,
    keepCall: (site: CallSite, target: IndexedFunction) => boolean,
  ): Reach | null {
    const own = confirmedEffects(entry.fn, this.index).filter(keepEffect);
    const effect = roundTripEffect(own);
    if (effect) return { effect, chain: [entry] };
    for (const site of entry.fn.calls) {
      const target = this.index.resolve(site.targets);
      if (!target || !keepCall(site, target) || !runsHere(site, target.fn)) continue;
      const next = this.reach(target);
      if (next) return { effect: next.effect, chain: [entry, ...next.chain] };
    }
    return null;
  }

  private search(entry: IndexedFunction, visited: Set<FunctionFacts>): Reach | null {
    const known = this.found.get(entry.fn);
    if (known !== undefined) return known;
    if (visited.has(entry.fn)) return null;
    visited.add(entry.fn);
    const effect = roundTripEffect(confirmedEffects(entry.fn, this.index));
    if (effect) return this.remember(entry, { effect, chain: [entry] });
    for (const site of entry.fn.calls) {
      const target = this.index.resolve(site.targets);
      if (!target || !runsHere(site, target.fn)) continue;
      const next = this.search(target, visited);
      if (next) return this.remember(entry, { effect: next.effect, chain: [entry, ...next.chain] });
    }
    return null;
  }

  private remember(entry: IndexedFunction, reach: Reach): Reach {
    this.found.set(entry.fn, reach);
    return reach;
  }
}

/**
 * Whether a call runs its callee's body where it is written: calling an async function without
 * awaiting it only builds a coroutine, a generator function called without iterating the
 * generator there (`gens.append(rows_of(r))`) only builds the generator, and a Huey task called
 * only queues a job whose queries a worker runs.
 */
function runsHere(site: CallSite, callee: FunctionFacts): boolean {
  return !callee.enqueued && (!callee.isAsync || site.awaited) && callRunsBody(site, callee);
}

/**
 * A function's effects without the class queries the index does not confirm: `await Book.get(...)`
 * counts only when `Book` is a Tortoise or Beanie model (see `Effect.ormModel`), and without the
 * flushes that give the function a key it reads (see `KEY_FLUSH`).
 */
function confirmedEffects(fn: FunctionFacts, index: WorkspaceIndex): readonly Effect[] {
  const { effects } = fn;
  const keyFlushes = new Set(
    fn.traits
      .filter((trait) => trait.startsWith(KEY_FLUSH))
      .map((trait) => Number(trait.slice(KEY_FLUSH.length))),
  );
  if (keyFlushes.size === 0 && !effects.some((effect) => effect.ormModel)) return effects;
  return effects.filter(
    (effect) =>
      !keyFlushes.has(effect.start) &&
      (!effect.ormModel || !!index.ormModelOf(effect.ormModel, true)),
  );
}

/**
 * The round trip a function makes, as a message names it: preferably a call that runs its query
 * (`q.first()`, `await qs.afirst()`, `.update(...)`, `db.query(...)`) over a lazy Django queryset
 * that is recorded too (`Model.objects.filter(...)`, `.exclude(...)`) but sends nothing until
 * something evaluates it. Blocking calls first: in a sync helper those are the evaluations.
 */
function roundTripEffect(effects: readonly Effect[]): Effect | undefined {
  // A commit is named only when the function makes no other round trip: a read says more. A
  // flush comes last: the commit sends what it would.
  const rank = (effect: Effect): number => (isFlush(effect) ? 2 : isCommit(effect) ? 1 : 0);
  const roundTrips = effects
    .filter((e) => e.kind === 'db' || e.kind === 'http')
    .sort((a, b) => rank(a) - rank(b));
  return roundTrips.find((e) => e.blocking) ?? roundTrips.find((e) => !e.lazy) ?? roundTrips[0];
}

/** `session.commit`, `self.db.commit`: a transaction ended, not a read. */
function isCommit(effect: Effect): boolean {
  return effect.kind === 'db' && /(?:^|\.)a?commit$/.test(effect.callee);
}

/** `session.flush()`, `self.db.flush()`: pending writes sent, nothing read. */
function isFlush(effect: Effect): boolean {
  return effect.kind === 'db' && /(?:^|\.)flush$/.test(effect.callee);
}

/** ORM writes: a helper that only makes these has nothing to fetch before the loop. */
const WRITES = new Set([
  'update',
  'aupdate',
  'save',
  'asave',
  'delete',
  'adelete',
  'create',
  'acreate',
]);
/** Django queryset methods that build a query and send nothing: the write that ends them does. */
const LAZY = new Set(['filter', 'exclude', 'all', 'order_by', 'only', 'defer', 'select_related']);

/**
 * Whether the function's database effects are writes only (`Model.objects.filter(pk=...).update(...)`,
 * `obj.save()`), with the lazy querysets they end: per item it writes, and reads nothing.
 */
function writesOnly(effects: readonly Effect[]): boolean {
  const methods = effects
    .filter((effect) => effect.kind === 'db')
    .map((effect) => effect.callee.slice(effect.callee.lastIndexOf('.') + 1));
  return (
    methods.some((method) => WRITES.has(method)) &&
    methods.every((method) => WRITES.has(method) || LAZY.has(method))
  );
}

/** `Order.objects.create` or `cls.objects.acreate`: the class part and the manager. */
const DJANGO_CREATE = /^(\w+)\.objects\.a?create$/;

/**
 * The Django models whose rows the helper's writes insert: `Order` of `Order.objects.create(...)`,
 * the helper's own class for `cls.objects.create(...)` in a classmethod, and the model whose own
 * `save()` the helper is (`CableTermination(...).save()` reaching the override).
 */
function createdModels(fn: FunctionFacts): string[] {
  const models = new Set<string>();
  const [owner, method] = fn.qualifiedName.split('.').slice(-2);
  if (method === 'save' && owner) models.add(owner);
  for (const effect of fn.effects) {
    const owner = effect.kind === 'db' ? DJANGO_CREATE.exec(effect.callee)?.[1] : undefined;
    if (owner === 'cls' || owner === 'self') {
      const className = fn.qualifiedName.split('.').slice(-2, -1)[0];
      if (className) models.add(className);
    } else if (owner) models.add(owner);
  }
  return [...models];
}

/**
 * The advice for a helper that only writes: the bulk forms, unless a model it inserts into runs
 * more on `save()` than the INSERT (an override, django-lifecycle hooks, save signal receivers),
 * which they skip.
 */
function writeBatchAdvice(fn: FunctionFacts, index: WorkspaceIndex): string {
  const hooks = modelWriteHooks(() => index);
  for (const className of createdModels(fn)) {
    const skipped = skippedBySaveInBulk(className, hooks);
    if (skipped)
      return `\`bulk_create\`, \`bulk_update\` and a queryset's \`update(...)\` would skip ${skipped}: batch what it does, or keep the loop`;
  }
  return 'collect the changes and write them in one statement after the loop (`update(...)` on one queryset, `bulk_update` or `bulk_create`)';
}

/** The call node `node` is an argument of (positional or keyword), if any. */
function callTakingArgument(node: Node): Node | undefined {
  const parent = node.parent;
  const list = parent?.type === 'keyword_argument' ? parent.parent : parent;
  return list?.type === 'argument_list' && list.parent?.type === 'call' ? list.parent : undefined;
}

/** The last name of a callee: `append` of `rows.append`, `Subquery` of `models.Subquery`. */
function calleeName(call: Node): string {
  const callee = call.childForFieldName('function');
  if (callee?.type === 'identifier') return callee.text;
  return callee?.type === 'attribute' ? (callee.childForFieldName('attribute')?.text ?? '') : '';
}

/**
 * How a loop hands on the result of a call without evaluating it, if it does (see `HANDED_ON`).
 * Lazy queryset methods on the result (`helper(r).exclude(...)`) keep it unevaluated.
 */
function handedOn(call: Node): 'kept' | 'argument' | undefined {
  let node = call;
  for (;;) {
    const parent = node.parent;
    if (parent?.type === 'parenthesized_expression') node = parent;
    else if (
      parent?.type === 'attribute' &&
      parent.parent?.type === 'call' &&
      DJANGO_LAZY_METHODS.has(parent.childForFieldName('attribute')?.text ?? '')
    )
      node = parent.parent;
    else break;
  }
  const outer = callTakingArgument(node);
  if (!outer) return undefined;
  const keyword = node.parent?.type === 'keyword_argument' ? node.parent : undefined;
  const name = calleeName(outer);
  // `filter(id__in=helper(r))`, `Prefetch("rows", queryset=helper(r))`, `Exists(helper(r))`:
  // compiled into the SQL of the query around it.
  const keywordName = keyword?.childForFieldName('name')?.text ?? '';
  if (keywordName.endsWith('__in') || keywordName === 'queryset') return 'kept';
  if (!keyword && (KEEPING_METHODS.has(name) || SUBQUERY_CALLS.has(name))) return 'kept';
  // `list(helper(r))`, `len(...)`: builtins evaluate what they are given.
  return BUILTINS.has(name) ? undefined : 'argument';
}

/** Whether call site `outer` contains call site `inner` (an argument of it). */
function encloses(outer: CallSite, inner: CallSite): boolean {
  return outer !== inner && outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * The values of a function's per-call traits of one kind (`<prefix><call start>:<value>`), by
 * call start offset: the loop description of `REPEATED`, the use of `HANDED_ON`, the lists of
 * `KEPT_ARGUMENTS` and `SWITCHED_OFF`.
 */
function callTraits(fn: FunctionFacts, prefix: string): Map<number, string> {
  const calls = new Map<number, string>();
  for (const trait of fn.traits) {
    if (!trait.startsWith(prefix)) continue;
    const rest = trait.slice(prefix.length);
    const colon = rest.indexOf(':');
    calls.set(Number(rest.slice(0, colon)), rest.slice(colon + 1));
  }
  return calls;
}

/**
 * The calls of a function on loop rows of unknown class (its `ROW_METHOD` traits), as call sites
 * without targets; each one's method name is put in `methods`.
 */
function rowMethodSites(fn: FunctionFacts, methods: Map<CallSite, string>): CallSite[] {
  const sites: CallSite[] = [];
  for (const trait of fn.traits) {
    if (!trait.startsWith(ROW_METHOD)) continue;
    const [start, end, flags, callee] = trait.slice(ROW_METHOD.length).split(':');
    const site: CallSite = {
      targets: [],
      callee,
      start: Number(start),
      end: Number(end),
      inLoop: true,
      awaited: flags.includes('a'),
      ...(flags.includes('i') ? { iterated: true } : {}),
    };
    methods.set(site, callee.slice(callee.lastIndexOf('.') + 1));
    sites.push(site);
  }
  return sites;
}

/** The names of a comma-separated trait value (`KEPT_ARGUMENTS`, `SWITCHED_OFF`), if any. */
function namesOf(value: string | undefined): Set<string> | undefined {
  return value === undefined ? undefined : new Set(value.split(','));
}

/** The mapping a helper memoises in (its `PARAM_CACHE` trait), if any. */
function paramCacheOfFacts(
  fn: FunctionFacts,
): { position: string; name: string; start: number; end: number } | undefined {
  const trait = fn.traits.find((each) => each.startsWith(PARAM_CACHE));
  if (!trait) return undefined;
  const [position, name, start, end] = trait.slice(PARAM_CACHE.length).split(':');
  return { position, name, start: Number(start), end: Number(end) };
}

/**
 * Whether a helper called with the same mapping on every pass (`kept`) makes its round trips
 * only on a miss of that mapping: every query or request of its own, and every call that leads
 * to one, lies in the part of its body that runs when the key is not cached yet. It then runs
 * once per distinct key, not once per item.
 */
function memoisedByArgument(
  helper: FunctionFacts,
  kept: ReadonlySet<string> | undefined,
  leadsToRoundTrip: (site: CallSite) => boolean,
  index: WorkspaceIndex,
): boolean {
  const cache = paramCacheOfFacts(helper);
  if (!cache || !kept || (!kept.has(cache.position) && !kept.has(cache.name))) return false;
  const onMiss = (start: number): boolean => start >= cache.start && start < cache.end;
  const own = confirmedEffects(helper, index).filter(
    (effect) => effect.kind === 'db' || effect.kind === 'http',
  );
  return (
    own.every((effect) => onMiss(effect.start)) &&
    helper.calls.every((site) => onMiss(site.start) || !leadsToRoundTrip(site))
  );
}

/** The keywords a call passes as `False` (`rebuild=False`): flags it switches off. */
function falseKeywords(call: PyCall): string[] {
  const names: string[] = [];
  for (const arg of call.args.namedChildren) {
    if (arg?.type !== 'keyword_argument' || arg.childForFieldName('value')?.type !== 'false')
      continue;
    const name = arg.childForFieldName('name')?.text;
    if (name) names.push(name);
  }
  return names;
}

/**
 * The blocks of `fn` that run only when a flag parameter is true: the body of a plain
 * `if <flag>:` (no `elif`/`else` read), for parameters defaulting to `True`/`False` that the
 * function never reassigns. A caller passing `flag=False` never runs them.
 */
function flagBlocks(fn: PyFunction): { flag: string; start: number; end: number }[] {
  const flags = fn.params
    .filter((param) => param.defaultText === 'True' || param.defaultText === 'False')
    .map((param) => param.name)
    .filter((name) => fn.body.text.includes(`if ${name}:`))
    .filter((name) => !fn.assignmentNodes.some(({ target }) => target === name));
  if (flags.length === 0) return [];
  const blocks: { flag: string; start: number; end: number }[] = [];
  for (const test of fn.body.descendantsOfType('if_statement')) {
    const condition = test?.childForFieldName('condition');
    const block = test?.childForFieldName('consequence');
    if (condition?.type !== 'identifier' || !block || !flags.includes(condition.text)) continue;
    blocks.push({ flag: condition.text, start: block.startIndex, end: block.endIndex });
  }
  return blocks;
}

/** The keywords a call passes something other than `None` (`obj=component`). */
function givenKeywords(call: PyCall): string[] {
  const names: string[] = [];
  for (const arg of call.args.namedChildren) {
    if (arg?.type !== 'keyword_argument' || arg.childForFieldName('value')?.type === 'none')
      continue;
    const name = arg.childForFieldName('name')?.text;
    if (name) names.push(name);
  }
  return names;
}

/** The parameter a test `<name> is None` checks, if the condition is that test. */
function noneTested(condition: Node): string | undefined {
  if (condition.type !== 'comparison_operator' || condition.namedChildCount !== 2) return undefined;
  const [left, right] = [condition.namedChild(0), condition.namedChild(1)];
  const operator = condition.children.find((child) => child && !child.isNamed)?.text;
  if (left?.type !== 'identifier' || right?.type !== 'none' || operator !== 'is') return undefined;
  return left.text;
}

/**
 * The blocks of `fn` that run only when a parameter defaulting to `None` is left out: the body of
 * `if <param> is None:` (the lookup a caller may spare by passing the object it holds), for
 * parameters the function assigns nowhere but in such blocks. A caller passing `param=value`
 * never runs them.
 */
function missingBlocks(fn: PyFunction): { param: string; start: number; end: number }[] {
  const optional = fn.params
    .filter((param) => param.defaultText === 'None')
    .map((param) => param.name)
    .filter((name) => fn.body.text.includes(`if ${name} is None`));
  if (optional.length === 0) return [];
  const blocks: { param: string; start: number; end: number }[] = [];
  for (const test of fn.body.descendantsOfType('if_statement')) {
    const condition = test?.childForFieldName('condition');
    const block = test?.childForFieldName('consequence');
    const param = condition && noneTested(condition);
    if (!param || !block || !optional.includes(param)) continue;
    blocks.push({ param, start: block.startIndex, end: block.endIndex });
  }
  return blocks.filter(({ param }) =>
    fn.assignmentNodes.every(
      ({ node, target }) =>
        target !== param ||
        blocks.some(
          (b) => b.param === param && node.startIndex >= b.start && node.endIndex <= b.end,
        ),
    ),
  );
}

/**
 * The blocks of a helper a call site keeps from running: those the flags it passes as `False`
 * switch off (`rebuild=False`), and those that only run when a keyword it passes is left out
 * (`obj=component` skips `if obj is None: obj = ...get(pk=pk)`).
 */
function switchedOffBlocks(
  helper: FunctionFacts,
  off: ReadonlySet<string> | undefined,
  given: ReadonlySet<string> | undefined,
): { start: number; end: number }[] {
  const blocks = (prefix: string, names: ReadonlySet<string> | undefined) =>
    !names
      ? []
      : helper.traits
          .filter((trait) => trait.startsWith(prefix))
          .map((trait) => trait.slice(prefix.length).split(':'))
          .filter(([name]) => names.has(name))
          .map(([, start, end]) => ({ start: Number(start), end: Number(end) }));
  return [...blocks(FLAG_BLOCK, off), ...blocks(MISSING_BLOCK, given)];
}

/** A loop calls a workspace function that queries or sends a request, directly or further down. */
export const queryInLoopViaHelper: Rule = {
  meta: {
    id: RULE_ID,
    language: 'python',
    category: 'n-plus-one',
    severity: 'warning',
    summary: 'Loop calls a helper (in any file) that runs a query or HTTP request',
    docs: {
      whatItDoes:
        'Finds calls made once per loop item to a workspace function that runs a database query or an ' +
        'HTTP request, directly or through further calls, in any file. A recursive function that calls ' +
        'itself per child and queries each time (a tree walk) is reported at the recursive call. The ' +
        'message names the helper and the round trip it reaches, with its file and line: the call ' +
        'that runs the query (`q.first()`, `await qs.afirst()`, `.update(...)`) rather than a lazy Django queryset it ' +
        'evaluates (`Model.objects.filter(...)`). Awaited evaluations of a queryset the helper builds ' +
        'in variables count too (`qs = Ticket.objects.using("replica")`, then `await qs.acount()`), ' +
        'and so do awaited class queries of the async ORMs Tortoise and Beanie ' +
        '(`await Warehouse.get(id=i)`, `await Stock.filter(...).values_list(...)`, ' +
        '`await Shipment.find_one(...)`) on a class the index confirms extends their model base, ' +
        'in its own module or through workspace base classes. Flask-SQLAlchemy queries of a model ' +
        'count in a helper too (`Person.query.filter_by(...).first()`, and `cls.query...` in a ' +
        'classmethod). Classmethods called on a model class (`Person.get(i)`, ' +
        '`await Workspace.get_by(db, name=n)`, the class imported or defined in the module) are ' +
        'followed to the method the class defines or inherits: from any of its workspace base ' +
        'classes and mixins (`class Person(db.Model, CrudMixin)`), searched in the order Python ' +
        'searches them (its method resolution order). A ' +
        'helper that returns a queryset unevaluated is reported where the loop evaluates it ' +
        '(`for row in rows_of(r):`, `rows_of(r).count()`), as the query that runs there. For a ' +
        'helper that makes an HTTP request (a webhook posted to each endpoint) the advice is ' +
        "`http-call-in-loop`'s: send the requests together (`asyncio.gather`, a thread pool) or use " +
        'a batch endpoint, since requests to other services cannot be fetched in one query. ' +
        'A helper whose only round trip is a session commit (`self.session.commit()`, ' +
        '`await db.commit()` on an `AsyncSession`) is reported ' +
        'as committing a transaction per item, with one commit after the loop as advice; one whose ' +
        'only round trip is a session flush (`db.flush()`, `await db.flush()`) as flushing per item, with adding ' +
        'every row and flushing once after the loop as advice; a helper ' +
        'that also reads is named by its read. For a ' +
        'helper that only writes, the advice is to write in bulk after the loop, unless it inserts ' +
        'with `Model.objects.create(...)` (or `cls.objects.create(...)` in a classmethod), or is itself ' +
        "the model's `save()` (`CableTermination(...).save()`), for a " +
        'model whose `save()` does more: overridden, django-lifecycle hooks that run on save, or a ' +
        '`pre_save`/`post_save` receiver in the workspace, which the bulk forms skip.',
      whyIsThisBad:
        'A helper hides the round trip: `get_owner(db, item.owner_id)` reads like a function call, but run ' +
        'for 500 items it is 500 queries. A recursive walk that queries per node costs one round trip ' +
        'per node of the tree. Both grow with the data and are invisible in a review of the loop.',
      example: [
        '# app/services.py',
        'def get_owner(db: Session, owner_id: int) -> User:',
        '    return db.query(User).filter(User.id == owner_id).one()',
        '',
        '# app/routes.py',
        'from app.services import get_owner',
        '',
        'def list_projects(db: Session, projects: list[Project]):',
        '    return [{"name": p.name, "owner": get_owner(db, p.owner_id).name} for p in projects]',
      ].join('\n'),
      useInstead: [
        '# app/services.py',
        'def get_owners(db: Session, owner_ids: set[int]) -> dict[int, User]:',
        '    users = db.query(User).filter(User.id.in_(owner_ids)).all()',
        '    return {user.id: user for user in users}',
        '',
        '# app/routes.py',
        'def list_projects(db: Session, projects: list[Project]):',
        '    owners = get_owners(db, {p.owner_id for p in projects})',
        '    return [{"name": p.name, "owner": owners[p.owner_id].name} for p in projects]',
      ].join('\n'),
      notFlagged: [
        "Helpers whose only round trip would be an `exec(...)` on a receiver not named like a session or database (`self.executor.exec(code)`): SQLModel's `session.exec(select(...))` counts, other `exec` methods run no query.",
        'Helpers that make no query or request, however deep the calls go (cycles are followed once).',
        'Helpers whose Tortoise- or Beanie-shaped call is on a class no module shows extending ' +
          'their model base (a plain class with an async `get` of its own), or that build a ' +
          'queryset without awaiting it (`return Stock.filter(...)`): nothing is sent there. ' +
          'Instance writes in a helper (`await row.save()`) are not followed yet.',
        'Helper calls memoised in a keyed cache (`if key not in cache: cache[key] = load(key)`, or ' +
          '`if cache.get(key) is None:`), the cache not made anew in the loop: one call per distinct key. ' +
          'Also helpers that memoise in a mapping the loop passes them, the same one on every pass ' +
          '(`author_of(db, post.author_id, cache)` with `cache = {}` before the loop), when every ' +
          'round trip of the helper runs only on a miss: inside `if key not in cache:` (or ' +
          '`cache.get(key) is None`) whose body stores `cache[key] = ...`, or after an early ' +
          '`if key in cache: return cache[key]` with a store later in the body. A helper that fills ' +
          'the mapping without testing it first, or queries outside the miss branch, is reported.',
        'Loops over a fixed literal collection, a name bound once to one (and not grown with ' +
          '`.append()`, `.extend()`, `.add()`... past ten elements, or inside a loop), ' +
          'a list or tuple of ten or fewer ' +
          'elements written out, or a literal `range` of ten or fewer iterations, or the members of an ' +
          'Enum the module declares (`for w in Window`, `list(Window)`, a parameter annotated ' +
          "`list[Window]`), or a Django model's own fields or relations (`Model._meta.get_fields()`, " +
          '`obj._meta.related_objects`, also through a comprehension over them); loops over batches (`chunked(ids, 500)`, `range(0, n, size)`, ' +
          'a `while` loop that drains a queryset in slices: `while qs.exists(): ids = list(qs.values_list("id", flat=True)[:500])`); retry loops that ' +
          'leave the loop after the call; loops whose next call needs ' +
          'the previous answer (pagination; also a `while` loop that feeds the answer back in, ' +
          '`node = next_hop(node)`); `while` loops that sleep (polling).',
        'A helper that is the condition of a `while` loop, alone or under `not`, `and`/`or`, a ' +
          'comparison or `:=` (`while claim_next_job():`, `while not self.stopping and ' +
          'self.handle_one():`, `while (job := next_job()) is not None:`): the loop drains a work queue ' +
          'one row at a time, each call seeing what the previous pass claimed or marked done, and there ' +
          'is nothing to fetch before it (also without `:=`: `job = next_job()` at the top of the body, ' +
          'then `if job is None: break`, also inside a `with transaction.atomic():` block). A `while` loop around such a drain that only repeats it is ' +
          'left alone too. Calls in the body of the drain loop are judged as usual, and so is the ' +
          'drain when a `for` loop (or a `while` loop that binds its argument) runs it once per item.',
        'A helper that only builds a Django queryset and returns it unevaluated (`return ' +
          'Ingredient.objects.filter(...).exclude(...)`, or a variable it only narrows with lazy ' +
          'methods and returns), when the loop does not evaluate it either: it stores it ' +
          '(`querysets.append(...)`, `.union(...)`), compiles it into another query (`id__in=`, ' +
          '`Exists(...)`, `Subquery(...)`, `Prefetch(queryset=...)`), or hands it to another ' +
          'call that is reported itself (`self.add_rows(helper(r))`). The loop that iterates it, ' +
          '`list()`s it or calls `.first()`/`.count()` on it is reported: the query runs there.',
        'Async helpers called without `await` (`asyncio.gather(*[fetch(u) for u in urls])`): the loop only ' +
          'builds coroutines, which run concurrently.',
        'Generator functions (a plain `def` that `yield`s) called without iterating the generator in ' +
          'the loop (`queue.put((account_id, invoice_lines(db, account_id)))`): the call only ' +
          'builds it, and its queries run wherever it is consumed. A loop that iterates it ' +
          '(`for row in invoice_rows(db, a):`, `list(...)`, `"".join(...)`) is flagged.',
        'Huey tasks called in the loop (`@huey.task()`, `@db_task()`, their periodic forms, a Huey ' +
          "instance of the module's own, or an app's decorator factory that returns one, linkding's " +
          '`@task()`): a call only queues the job, and a worker runs its queries later. Celery, ' +
          'Dramatiq and other tasks called directly (not through `.delay()`) run their body in the ' +
          'loop and are followed as usual.',
        'Round trips a call switches off: a keyword passed as `False` (`create_path(o, ' +
          'rebuild=False)`) to a parameter defaulting to `True`/`False`, never reassigned, that guards ' +
          'them with a plain `if rebuild:` in the helper. A recursive walk whose recursion sits under ' +
          'that `if` does not recurse from such a call. Round trips outside the `if`, and calls that ' +
          'leave the flag on or pass it positionally, are followed as usual.',
        'Lookups a call spares by passing the object: a keyword given a value other than `None` ' +
          '(Weblate\'s `perform_update("Component", -1, obj=component)`) to a parameter defaulting to ' +
          '`None` that the helper tests with `if obj is None:` around the lookup (`obj = ' +
          'Component.objects.get(pk=pk)`) and assigns nowhere else. Round trips outside that block, ' +
          'calls that leave the keyword out, pass it positionally or pass `None`, and a helper that may ' +
          'reset the parameter first are followed as usual.',
        'A session flush after which the helper reads a key of an object it made or was given ' +
          '(`db.add(shipment); db.flush(); return shipment.id`, any `.id`, `.pk`, `.uuid` or ' +
          '`..._id`, also after `await db.flush()`): the flush is what gives the key.',
        'Round trips made directly in the loop: `query-in-loop` and `http-call-in-loop` report those.',
        'Calls the index cannot resolve to one workspace function (methods on objects of unknown type, ' +
          'names defined in several places, or by several modules a package `__init__.py` ' +
          'star-imports). Names a package re-exports (`from .users import get_user` in its ' +
          '`__init__.py`), or any module imports and others import from it (`from ' +
          '.repository_generic import RepositoryGeneric` in `repos.py`), are followed to where ' +
          'they are defined, and so are methods of a ' +
          'module-level instance (`user_dao = CRUDUser(User)`, used here or imported), of a ' +
          'parameter annotated with a class (`dao: CRUDUser = Depends(get_dao)`), of a local ' +
          'assigned once `dao = CRUDUser(User)` and of an attribute of `self` whose class the ' +
          'class declares (`repo: Repo`, `self.repo: Repo = ...`) or assigns once, directly in ' +
          '`__init__` (`self.repo = Repo(db)`, or `self.repo = repo` from a parameter `repo: ' +
          'Repo`), including those its base classes in the workspace define (every base and mixin, ' +
          'in method resolution order). Through a property (`@property`, `@cached_property`) or a ' +
          'method of such an object, or a local assigned once what a workspace function returns ' +
          '(`repos = get_repositories(session)`), the class is what that member returns: the class ' +
          'its return annotation names (`-> RepositoryRecipes`, `-> Repo[Out, Model]`, `-> Self`), ' +
          'else what the one `return` ending its body gives (a constructor call, `self`, ' +
          '`type(self)(...)`, or such a chain: `return self.repos.recipes.by_user(uid)`), also ' +
          'declared in another module (`self.repos.recipes.get_one(slug)` with `repos: ' +
          'AllRepositories` and `recipes` a cached property of it), and an attribute of `self` ' +
          'assigned such a chain once, directly in `__init__` (`self.list_items = ' +
          'repos.group_shopping_list_item`), holds what the chain gives. A member with several `return`s ' +
          'and no annotation, or annotated with no class, gives an object of unknown type. ' +
          'A method called on a class is the one that class defines ' +
          'or inherits, never one of the same name that only another class defines ' +
          '(`Author.get_all_by(...)` when only a mixin `Author` does not extend has it); a model ' +
          'that overrides an inherited method (or a mixin searched first that does: `class ' +
          'Region(SoftDeleteMixin, PreloadedMixin)`) is judged by its override. Likewise ' +
          'methods of the variable of a loop over rows of a class (`for p in db.query(Package)' +
          '...`, `Package.objects...`, `session.scalars(select(Package))`, a local assigned ' +
          'such a query once, or a parameter annotated `list[Package]`, also through ' +
          '`enumerate`). A name ' +
          'assigned more than once, bound to what a function of unknown return type returns, an ' +
          'unannotated parameter, ' +
          'or an attribute of `self` assigned twice, conditionally or from an unannotated ' +
          'parameter is of unknown type. On the variable of a loop over rows of unknown type ' +
          '(`for parent in parents: parent.dependents()`), or a local the loop assigns once per ' +
          'item (`upstream = link.required`), a method is followed only when exactly ' +
          'one class of the workspace defines that name and the class is an ORM model ' +
          '(SQLAlchemy, SQLModel, Django, Tortoise, Beanie), and the name is not a common one ' +
          '(`get`, `save`, `update`, `delete`, `all`, `filter`, `first`, `load`, `items`, ' +
          '`values`, `copy`, `to_dict`, the methods of strings and collections...): a name two ' +
          'classes define, or that only a plain class defines, is not followed.',
        'Code in tests and migrations (`tests/`, `test_*.py`, `conftest.py`, `alembic/`, `migrations/`): it runs once or on a handful of rows.',
      ],
    },
  },
  pythonTraits(fn, calls, model) {
    const traits: string[] = [];
    for (const block of flagBlocks(fn))
      traits.push(`${FLAG_BLOCK}${block.flag}:${block.start}:${block.end}`);
    for (const block of missingBlocks(fn))
      traits.push(`${MISSING_BLOCK}${block.param}:${block.start}:${block.end}`);
    const cache = paramCacheOf(fn, model);
    if (cache)
      traits.push(`${PARAM_CACHE}${cache.position}:${cache.name}:${cache.start}:${cache.end}`);
    for (const call of calls) {
      // `db.flush(); return note.id`: only the sessions' flushes, found by the method name first.
      if (call.method === 'flush' && flushesSession(call, model) && flushGivesKey(call, fn, model))
        traits.push(`${KEY_FLUSH}${call.node.startIndex}`);
      if (call.loops.length === 0 || !call.callee || BUILTINS.has(call.callee)) continue;
      if (callTargets(call, model).length === 0) {
        // `parent.get_rels()` on the variable of a loop over rows of unknown class.
        const method = rowMethodName(call, model);
        if (!method) continue;
        const flags = `${call.awaited ? 'a' : ''}${iteratesResult(call, model) ? 'i' : ''}`;
        traits.push(`${ROW_METHOD}${call.node.startIndex}:${call.end}:${flags}:${call.callee}`);
      }
      // `if key not in cache: cache[key] = load(key)`: once per distinct key, not per item.
      if (isKeyedCacheFill(call, model)) continue;
      const loops = repeatingLoops(call, model);
      if (loops.length === 0) continue;
      traits.push(`${REPEATED}${call.node.startIndex}:${describeLoop(loops[loops.length - 1])}`);
      const off = falseKeywords(call);
      if (off.length > 0) traits.push(`${SWITCHED_OFF}${call.node.startIndex}:${off.join(',')}`);
      const given = givenKeywords(call);
      if (given.length > 0) traits.push(`${GIVEN}${call.node.startIndex}:${given.join(',')}`);
      // A few parent steps, only for repeated calls of workspace functions.
      const use = handedOn(call.node);
      if (use) traits.push(`${HANDED_ON}${call.node.startIndex}:${use}`);
      // Only the few calls passing a mapping along could be memoised in it by the helper.
      const kept = keptArguments(call, model);
      if (kept.length > 0)
        traits.push(`${KEPT_ARGUMENTS}${call.node.startIndex}:${kept.join(',')}`);
    }
    return traits;
  },
  checkWorkspace(ctx: WorkspaceContext) {
    const finder = new ReachFinder(ctx.index);
    const modelMethods = new ModelMethodsByName(ctx.index);
    // A call site's function, or for a call on a row of unknown class the one model method named so.
    const rowMethods = new Map<CallSite, string>();
    const resolve = (site: CallSite): IndexedFunction | undefined => {
      const method = rowMethods.get(site);
      return method === undefined ? ctx.index.resolve(site.targets) : modelMethods.find(method);
    };
    const leadsToRoundTrip = (site: CallSite): boolean => {
      const target = ctx.index.resolve(site.targets);
      return !!target && runsHere(site, target.fn) && !!finder.reach(target);
    };
    const siteNames = new SiteNames(ctx.index, (file) => ctx.readText(file));
    for (const facts of ctx.index.allFacts()) {
      if (facts.language !== 'python' || isOneOffCode(displayPath(facts, facts.file))) continue;
      for (const fn of facts.functions) {
        const repeated = callTraits(fn, REPEATED);
        if (repeated.size === 0) continue;
        const handed = callTraits(fn, HANDED_ON);
        const keptArgs = callTraits(fn, KEPT_ARGUMENTS);
        const switchedOff = callTraits(fn, SWITCHED_OFF);
        const given = callTraits(fn, GIVEN);
        const found: { site: CallSite; loop: string; reach: Reach; lazyOnly: boolean }[] = [];
        for (const site of [...fn.calls, ...rowMethodSites(fn, rowMethods)]) {
          const loop = repeated.get(site.start);
          if (loop === undefined) continue;
          const target = resolve(site);
          if (!target || !runsHere(site, target.fn)) continue;
          // `author_of(db, id, cache)` filling `cache` on a miss: once per distinct key.
          if (
            memoisedByArgument(
              target.fn,
              namesOf(keptArgs.get(site.start)),
              leadsToRoundTrip,
              ctx.index,
            )
          )
            continue;
          // `kept` or `argument` (see `handedOn`).
          const use = handed.get(site.start);
          // A queryset the loop only stores or compiles into another query is not evaluated.
          // `create_path(o, rebuild=False)`: the blocks `if rebuild:` guards do not run, nor
          // do those `if obj is None:` guards when the call passes `obj=...`.
          const off = switchedOffBlocks(
            target.fn,
            namesOf(switchedOff.get(site.start)),
            namesOf(given.get(site.start)),
          );
          const reach =
            use === 'kept'
              ? finder.reachKeptLazy(target)
              : off.length > 0
                ? finder.reachWithout(target, off)
                : finder.reach(target);
          if (!reach) continue;
          // Handed to another call: whether a round trip remains without the returned queryset.
          const lazyOnly = use === 'argument' && !finder.reachKeptLazy(target);
          found.push({ site, loop, reach, lazyOnly });
        }
        for (const { site, loop, reach, lazyOnly } of found) {
          // `self.add_rows(helper(r))`: when the call taking the queryset is reported, it is
          // the round trip; the helper that only built the queryset is not a second one.
          if (lazyOnly && found.some((other) => encloses(other.site, site))) continue;
          const last = reach.chain[reach.chain.length - 1];
          const kind = reach.effect.kind === 'http' ? 'an HTTP request' : 'a database round trip';
          const line = siteNames.line(last.file, reach.effect.start);
          const where = `${displayPath(ctx.index.get(last.file), last.file)}${line ? `:${line}` : ''}`;
          const via =
            reach.chain.length > 1
              ? ` via ${reach.chain
                  .slice(1)
                  .map((step) => `\`${step.fn.name}()\``)
                  .join(' → ')}`
              : '';
          const recursive = reach.chain.some((step) => step.fn === fn);
          // The helper sends nothing itself: the loop evaluates the queryset it returns.
          const evaluatedHere = reach.chain.length === 1 && reach.effect.returned;
          const commits = !recursive && isCommit(reach.effect);
          const flushes = !recursive && isFlush(reach.effect);
          const what = recursive
            ? `recursive call \`${site.callee}()\` fans out: ${kind} per child`
            : commits
              ? `\`${site.callee}()\` commits a transaction ${loop}`
              : flushes
                ? `\`${site.callee}()\` flushes the session ${loop}`
                : evaluatedHere
                  ? `\`${site.callee}()\` returns a queryset that is evaluated here, ${kind} ${loop}`
                  : `\`${site.callee}()\` makes ${kind} ${loop}`;
          const advice = recursive
            ? 'load the whole tree in one query (a recursive CTE) or one query per level'
            : commits
              ? COMMIT_ADVICE
              : flushes
                ? FLUSH_ADVICE
                : reach.effect.kind === 'db' && writesOnly(confirmedEffects(last.fn, ctx.index))
                  ? writeBatchAdvice(last.fn, ctx.index)
                  : reach.effect.kind === 'http'
                    ? // A request per item (a webhook to each endpoint) cannot be fetched in one batch.
                      httpInLoopAdvice(site.awaited, fn.isAsync)
                    : !site.awaited
                      ? 'fetch everything in one batch before the loop'
                      : // One AsyncSession or connection runs one query at a time: gathering them fails.
                        'batch the lookups into one query before the loop (queries on one session or connection cannot run together)';
          ctx.report(facts.file, {
            start: site.start,
            end: site.end,
            message: `${what} (\`${reach.effect.callee}\` at ${where}${via}); ${advice}`,
          });
        }
      }
    }
  },
};
