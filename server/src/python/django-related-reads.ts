/**
 * Reads through a related manager of each row a loop hands out: `for author in
 * Author.objects.filter(...): author.posts.count()` sends one query per author. A
 * `prefetch_related("posts")` on the loop's queryset fills each row's cache, which Django's
 * related manager answers `.all()`, `.count()` and `.exists()` from (`.first()` too when the related
 * model is ordered); a method that derives a new queryset (`.filter(...)`, `.order_by(...)`,
 * `.last()`) queries again whatever was prefetched.
 */
import type { Node } from 'web-tree-sitter';
import { isDjangoManagerName } from './knowledge';
import { localFlow } from './local-flow';
import { loopTarget } from './loop-analysis';
import type { PyCall, PyFunction, PyLoop, PythonModel } from './model';
import { DJANGO_LAZY_METHODS, iteratesDjangoRows, readChainIn } from './orm';
import { readsVariable, unwrap, withoutProgressWrapper } from './scope-analysis';

/** Methods that run a related manager's query and take no arguments. */
const BARE_EVALUATIONS = new Set([
  'count',
  'exists',
  'first',
  'last',
  'acount',
  'aexists',
  'afirst',
  'alast',
]);

/** Methods that run the query and take lookups or expressions. */
const EVALUATIONS_WITH_ARGUMENTS = new Set([
  'aggregate',
  'earliest',
  'latest',
  'aaggregate',
  'aearliest',
  'alatest',
]);

/** What a filled prefetch cache answers: the manager's rows, their number, whether there are any. */
const CACHE_ANSWERS = new Set(['count', 'exists', 'acount', 'aexists']);

/**
 * What a filled prefetch cache answers when the related model has a default ordering: `first()`
 * slices an ordered queryset (from its cache) but orders an unordered one by `pk` (a new query).
 * The model's `Meta.ordering` is not read, so a prefetch is taken to answer it. (`last()` reverses
 * the queryset, a new query either way.)
 */
const ORDERED_CACHE_ANSWERS = new Set(['first', 'afirst']);

/** Calls that iterate the whole of the queryset they are given. */
const ITERATING_CALLS = new Set(['list', 'tuple', 'set', 'sorted', 'len']);

/** One related-manager read a loop repeats. */
export interface RelatedRead {
  /** The related manager: `posts` in `author.posts.count()`. */
  manager: string;
  /** Whether a prefetch of the loop's queryset answers the read, if it were added. */
  prefetchAnswers: boolean;
  /** Whether the loop's queryset prefetches the manager already (the read queries anyway). */
  prefetched: boolean;
  /** Whether the read counts or tests for rows: `annotate(Count(...))` answers it. */
  counts: boolean;
  /** Whether the manager is read from the loop's row (`author.posts`), not from one instance. */
  ofLoopRow: boolean;
  /**
   * Whether the read's filter takes values of the loop's row (`type.documents.filter(date__lt=
   * now() - type.retention)`): a condition of its own per row, which no one `Prefetch` states.
   */
  filterReadsRow?: boolean;
}

/**
 * A read through a related manager of the variable of a loop around the call, at the head of its
 * chain (`author.posts.filter(...).first()` is read at `author.posts.filter`), that runs a query:
 * it ends in an evaluating method, or its rows are iterated (`for p in author.posts.all()`,
 * `list(...)`, `len(...)`). Reported when the loop iterates a Django queryset the function builds
 * and that does not prefetch the manager (or the read derives a new queryset, which no prefetch
 * answers), or, for a loop over rows from elsewhere or one instance read in a loop over other items
 * (`basket.lines.filter(product=p).exists()`, `self.basket.lines...`), when the read derives a new
 * queryset through a related manager the workspace's models declare (`managers`, asked last).
 * Undefined otherwise.
 */
export function relatedManagerReadPerRow(
  call: PyCall,
  model: PythonModel,
  managers: () => ReadonlySet<string>,
): RelatedRead | undefined {
  // `row.manager.method` or `self.row.manager.method`: a dotted callee spells the whole shape.
  const parts = call.callee ? call.callee.split('.') : [];
  const self = parts.length === 4 && parts[0] === 'self';
  if ((parts.length !== 3 && !self) || !call.fn || !acceptsArguments(call)) return undefined;
  const [row, manager] = self ? parts.slice(1) : parts;
  // `Cart.open.filter(...)`: a class's custom manager, not an instance's related one.
  if (isDjangoManagerName(manager) || manager.startsWith('_') || /^_*[A-Z]/.test(row))
    return undefined;
  const loop = self ? undefined : loopBinding(call.loops, row);
  const iterable = loop && withoutProgressWrapper(unwrap(loop.iterable ?? null));
  const shape = readShape(call);
  if (!shape) return undefined;
  const { prefetchAnswers, prefetchMayAnswer, counts } = shape;
  if (iterable && iteratesDjangoRows(iterable, call.fn, model)) {
    const prefetched = prefetches(iterable, call.fn, model, manager);
    if (prefetched && prefetchMayAnswer) return undefined;
    const filterReadsRow = argumentsReadRow(call, row);
    return { manager, prefetchAnswers, prefetched, counts, ofLoopRow: true, filterReadsRow };
  }
  // Rows from elsewhere (a loop over a parameter, or one instance read in a loop over other
  // items: `self.basket.lines.filter(product=p).exists()`) may come prefetched: only reads no
  // prefetch answers, through a manager the workspace declares.
  if (prefetchMayAnswer || !managers().has(manager)) return undefined;
  return {
    manager,
    prefetchAnswers,
    prefetched: false,
    counts,
    ofLoopRow: !!iterable,
    filterReadsRow: !!iterable && argumentsReadRow(call, row),
  };
}

/** What a prefetch of the manager would do for a read that runs its query (`readShape`). */
interface ReadShape {
  /** A filled cache answers it: `.all()` iterated, `.count()`, `.exists()`. */
  prefetchAnswers: boolean;
  /** ...or `.first()`, answered when the related model is ordered. */
  prefetchMayAnswer: boolean;
  /** It counts or tests for rows: `annotate(Count(...))` answers it. */
  counts: boolean;
}

/**
 * How a related-manager chain headed by `call` (`x.posts.filter(...).first()`, read at
 * `x.posts.filter`) runs its query, if it runs one there (see `chainMethods`).
 */
function readShape(call: PyCall): ReadShape | undefined {
  if (!acceptsArguments(call)) return undefined;
  const methods = chainMethods(call);
  if (!methods) return undefined;
  const rest = methods[0] === 'all' ? methods.slice(1) : methods;
  const prefetchAnswers = rest.length === 0 || (rest.length === 1 && CACHE_ANSWERS.has(rest[0]));
  const prefetchMayAnswer =
    prefetchAnswers || (rest.length === 1 && ORDERED_CACHE_ANSWERS.has(rest[0]));
  return {
    prefetchAnswers,
    prefetchMayAnswer,
    counts: CACHE_ANSWERS.has(methods[methods.length - 1]),
  };
}

/**
 * A read through a related manager of the instance itself in a method of a model
 * (`self.files.order_by("timestamp").last()`, `self.items.count()`), that runs its query there:
 * the manager, and what a prefetch of it on the query the instance came from would answer.
 */
export function selfRelatedRead(call: PyCall): (ReadShape & { manager: string }) | undefined {
  const parts = call.callee ? call.callee.split('.') : [];
  if (parts.length !== 3 || parts[0] !== 'self') return undefined;
  const manager = parts[1];
  if (isDjangoManagerName(manager) || manager.startsWith('_')) return undefined;
  const shape = readShape(call);
  return shape && { ...shape, manager };
}

/**
 * Whether a call's arguments read the loop variable `row`, themselves or through a local the
 * function assigns from it (`delta = timedelta(days=row.retention_days)`, then `date__lt=now() -
 * delta`).
 */
function argumentsReadRow(call: PyCall, row: string): boolean {
  if (readsVariable(call.args, row)) return true;
  const flow = localFlow(call.fn!);
  for (const [name, values] of flow.assignments) {
    if (name !== row && values.some((value) => readsVariable(value, row)))
      if (readsVariable(call.args, name)) return true;
  }
  return false;
}

/**
 * Whether the arguments fit a queryset method: none for `count()`/`first()`/`all()` (a list's
 * `count(x)` takes one), any for `filter`/`aggregate`.
 */
function acceptsArguments(call: PyCall): boolean {
  if (BARE_EVALUATIONS.has(call.method) || call.method === 'all')
    return !call.args.namedChildren.some((arg) => arg?.type !== 'comment');
  return DJANGO_LAZY_METHODS.has(call.method) || EVALUATIONS_WITH_ARGUMENTS.has(call.method);
}

/**
 * The methods of the chain a call heads, in order, when the chain runs a query: it ends in an
 * evaluating method, or only lazy methods whose queryset is iterated whole. Undefined otherwise
 * (a lazy queryset kept or handed on, or a method no queryset has).
 */
function chainMethods(head: PyCall): string[] | undefined {
  const methods = [head.method];
  let node: Node = head.node;
  for (;;) {
    const attribute = node.parent;
    const outer = attribute?.parent;
    if (attribute?.type !== 'attribute' || outer?.type !== 'call') break;
    if (outer.childForFieldName('function')?.id !== attribute.id) break;
    methods.push(attribute.childForFieldName('attribute')?.text ?? '');
    node = outer;
  }
  const last = methods[methods.length - 1];
  if (BARE_EVALUATIONS.has(last) || EVALUATIONS_WITH_ARGUMENTS.has(last)) return methods;
  if (!methods.every((method) => DJANGO_LAZY_METHODS.has(method))) return undefined;
  return isIteratedWhole(node) ? methods : undefined;
}

/** Whether an expression is a loop's iterable or the one argument of `list(...)`, `len(...)`. */
function isIteratedWhole(node: Node): boolean {
  const parent = node.parent;
  if (parent?.type === 'for_statement' || parent?.type === 'for_in_clause')
    return parent.childForFieldName('right')?.id === node.id;
  const holder = parent?.type === 'argument_list' ? parent.parent : null;
  if (holder?.type !== 'call' || parent!.namedChildCount !== 1) return false;
  return ITERATING_CALLS.has(holder.childForFieldName('function')?.text ?? '');
}

/** The innermost `for` loop or comprehension around a call whose variable is `name`. */
function loopBinding(loops: readonly PyLoop[], name: string): PyLoop | undefined {
  for (let i = loops.length - 1; i >= 0; i--) {
    const loop = loops[i];
    const target = loopTarget(loop);
    if (target?.type === 'identifier' && target.text === name) return loop;
  }
  return undefined;
}

/**
 * Whether the queryset a loop iterates prefetches a related manager: a `prefetch_related(...)` in
 * its chain, or in the assignments of the local variable it is built in, names it (`"posts"`,
 * `"posts__tags"`, `Prefetch("posts", ...)`), or names what cannot be read (`*lookups`), which may
 * be it.
 */
function prefetches(iterable: Node, fn: PyFunction, model: PythonModel, manager: string): boolean {
  if (!fn.body.text.includes('prefetch_related')) return false;
  return expressionsOf(iterable, fn, model, 0).some((expression) =>
    readChainIn(expression, model).links.some(
      (link) =>
        link.kind === 'call' &&
        link.name === 'prefetch_related' &&
        !!link.args?.namedChildren.some((arg) => !!arg && mayName(arg, manager)),
    ),
  );
}

/** The expression and, for a local variable at its root, the values assigned to it. */
function expressionsOf(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
  depth: number,
): Node[] {
  const root = readChainIn(expression, model).root;
  if (root.type !== 'identifier' || depth > 2) return [expression];
  const values = localFlow(fn).assignments.get(root.text) ?? [];
  return [expression, ...values.flatMap((value) => expressionsOf(value, fn, model, depth + 1))];
}

/** Whether an argument of `prefetch_related(...)` may name the manager. */
function mayName(arg: Node, manager: string): boolean {
  if (arg.type === 'comment') return false;
  if (
    arg.type === 'call' &&
    /(?:^|\.)Prefetch$/.test(arg.childForFieldName('function')?.text ?? '')
  ) {
    const lookup = arg.childForFieldName('arguments')?.namedChildren[0];
    return !lookup || mayName(lookup, manager);
  }
  if (arg.type !== 'string') return true;
  const lookup = arg.text.replace(/^[a-zA-Z]*["']|["']$/g, '');
  return lookup === manager || lookup.startsWith(`${manager}__`);
}

/** How to make a repeated related-manager read one query for all the loop's rows. */
export function relatedReadAdvice(read: RelatedRead): string {
  const name = read.manager;
  if (!read.ofLoopRow)
    return `read the rows of \`${name}\` the loop needs in one query before it (\`filter(<field>__in=...)\`) and match them in Python`;
  if (read.prefetched)
    return `\`${name}\` is prefetched, but a method that derives a new queryset from it queries again: read the prefetched rows in Python, or prefetch exactly those with \`Prefetch("${name}", queryset=..., to_attr=...)\``;
  const count = read.counts
    ? `, or count in the loop's query with \`annotate(n=Count("${name}"${read.prefetchAnswers ? '' : ', filter=Q(...)'}))\``
    : '';
  if (read.prefetchAnswers)
    return `add \`prefetch_related("${name}")\` to the loop's queryset${count}`;
  if (read.filterReadsRow)
    return `its filter takes values of each row, which one \`Prefetch("${name}", queryset=...)\` cannot state: read the rows for every item in one query (an OR of each item's condition, or the loosest bound, then match in Python), or keep the loop if the items are few`;
  return `prefetch the rows it needs with \`prefetch_related(Prefetch("${name}", queryset=..., to_attr=...))\` on the queryset the rows come from${count}`;
}
