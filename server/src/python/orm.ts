/**
 * ORM query chains: reads whose rows all reach Python memory. Recognises SQLAlchemy's legacy
 * `Query` API (`session.query(X)...all()`, Flask-SQLAlchemy `X.query...all()`), its 2.0 statements
 * (`session.execute(select(X)...).scalars().all()`, `session.scalars(stmt).all()`) and Django
 * querysets evaluated whole (`list(qs)`, `for x in qs`). A chain built in a local variable
 * (`q = db.query(X)`, `q = q.filter(...)`, `stmt = select(X)`) is followed within its function.
 * Computed once per model and shared by the rules and the cross-file trait contributor.
 */
import type { Node } from 'web-tree-sitter';
import { isUnboundedSelect } from '../sql/helpers';
import type { SqlUnit } from '../sql/unit';
import {
  classOfMethod,
  isDjangoManagerName,
  isQuerySetOrManagerClass,
  mayOwnDjangoManagerNode,
  paramOf,
} from './knowledge';
import {
  classOfFunction,
  dottedName,
  qualify,
  type PyCall,
  type PyClass,
  type PyFunction,
  type PythonModel,
} from './model';
import { flowsToReturn, localFlow } from './local-flow';
import { qPins } from './django-q';
import { stringValue } from './schema-args';
import { OwnedCache } from './memo';
import { djangoOrOfKeyQ, orOfKeyClauses } from './or-key-clauses';
import { quoteQuerySet } from './queryset-quotes';
import { callsNamed, withoutProgressWrapper } from './scope-analysis';
import { isBoundOnSomePathsOnly, pagingArguments } from './conditional-bounds';

/** One step of a chain: a method call `.filter(...)`, an attribute `.objects`, a subscript `[:10]`. */
export interface ChainLink {
  kind: 'call' | 'attribute' | 'subscript';
  /** Method or attribute name; '' for subscripts. */
  name: string;
  /** The call, attribute or subscript node that ends with this link. */
  node: Node;
  /** The argument list of a call link. */
  args: Node | null;
  /** The model's call, for a call link read from the model's calls. */
  call?: PyCall;
}

/** An expression read as `root.link1.link2...`, links head first. */
export interface Chain {
  /** The innermost expression: an identifier (`session`, `q`) or a plain call (`select(X)`). */
  root: Node;
  links: ChainLink[];
  /** A `.limit(...)` the chain skips on some path (`if limit and other:`), left out of `links`. */
  boundOnSomePaths?: boolean;
}

/** `tortoise` and `beanie` reads come from `async-orm-reads.ts`: their models are the index's. */
export type OrmReadKind =
  'sqlalchemy-query' | 'sqlalchemy-select' | 'django' | 'tortoise' | 'beanie';

/** A read that loads every row its query matches. */
export interface OrmRead {
  kind: OrmReadKind;
  /** The expression that loads the rows: `q.all()`, `list(qs)`, a `for` loop's iterable. */
  node: Node;
  fn?: PyFunction;
  /** The query's origin as written, for messages: `db.query(Order)`, `select(User)`. */
  head: string;
  /** Where the bound goes: offset of the insertion and whether it is `.limit(n)` or `[:n]`. */
  bound: { at: number; style: 'limit' | 'slice' };
  /** Model classes queried (`Order` in `db.query(Order)`), for key-column checks. */
  models: string[];
  /** Columns compared with `==` (or passed as `col=value`) in the query's filters. */
  equalityColumns: string[];
  /** The equality columns compared with `None`: they pin no row, but every one without a value. */
  nullColumns: string[];
  /**
   * Lists the query's filters match columns against (`X.col.in_(values)`, `col__in=values`) whose
   * names do not say they are keys: the workspace's models may still declare them keys, which
   * makes the read a batch load by keys (`readsByKey`).
   */
  listMatches: ListMatch[];
  /**
   * The `==` filters (not `== None`) on a class the query joins (`.join(Link, ...)` then
   * `Link.parent_id == p`), with their class: they may pin the rows of one parent through a link
   * table (`rowsOfOneParent`). SQLAlchemy reads only.
   */
  joinedEqualities?: ListColumn[];
  /**
   * SQLAlchemy `with_parent(...)` filters: the rows related to one instance through a
   * relationship (`Child.query.with_parent(parent)`, `where(with_parent(p, Parent.children))`).
   */
  withParents?: WithParent[];
  /**
   * Django: the `values(...)` / `values_list(...)` link a later `annotate(<aggregate>)` groups by
   * (`values("author").annotate(n=Count("id"))`: one row per author, a GROUP BY): `values(...)`.
   */
  groupedBy?: string;
  /**
   * Django: the chain's calls that are not built-in queryset methods (`authors_list` of
   * `Change.objects.filter(...).authors_list(...)`), for the workspace's QuerySet classes to explain.
   */
  customCalls?: string[];
  /**
   * Django: the chain calls `prefetch_related(...)`, which `.iterator()` honours only with a
   * `chunk_size` (Django 4.1+; Django 5.0 raises without one): streaming advice must name it.
   */
  prefetches?: boolean;
  /**
   * Django: the argument lists of `customCalls` by method name, for the fields such a method pins
   * to what its caller passes (`WorkspaceIndex.djangoQuerySetPins`).
   */
  customCallArgs?: ReadonlyMap<string, Node>;
  /**
   * A filter keeps only recent rows: a time column above now minus a span
   * (`X.created > utcnow() - timedelta(minutes=5)`, Django `created__gte=timezone.now() - ...`).
   */
  recentWindow?: boolean;
  /**
   * Django: the 1-based line where the same queryset variable is evaluated again in the function
   * (`for wle in qs:` twice). That evaluation reuses the rows this one cached, which
   * `.iterator()` would not keep: streaming advice must say so.
   */
  evaluatedAgainAt?: number;
  /**
   * Django's `get_list_or_404(...)`: the shortcut makes the list itself, so no slice of the
   * read or of its result bounds the query (`django-shortcut-reads.ts`).
   */
  unsliceable?: boolean;
  /**
   * The statement gets its `.limit(...)` only under an `if` the read does not share
   * (`conditional-bounds.ts`): the other path reads every row, and a `.limit(n)` added at the
   * read would override that bound where it applies.
   */
  boundOnSomePaths?: boolean;
}

/**
 * A `with_parent(instance, property)` filter: `Query.with_parent(event)`,
 * `with_parent(event, "contributions")`, `with_parent(event, Event.contributions)`.
 */
export interface WithParent {
  /** The instance as written: `event`, `self.event`, `self`. */
  instance: string;
  /** The class of a relationship written `Event.contributions`: the parent's class. */
  owner?: string;
  /** The relationship's attribute (`contributions`), written as a string or a class attribute. */
  relationship?: string;
}

/** A column matched against a list: `Case.status` in `Case.status.in_(statuses)`. */
export interface ListColumn {
  /** The class or table the column is read from (`Case`), when the code names it. */
  owner?: string;
  /** Attribute name, or a Django lookup path without `__in` (`customer`, `team__name`). */
  column: string;
}

/** A list match: the column, or every column of `tuple_(X.a, X.b).in_(pairs)`. */
export interface ListMatch {
  columns: ListColumn[];
}

/** Result methods that read a single row, or one value of it (SQLAlchemy `Result`, `Query`). */
export const ONE_ROW_RESULT_METHODS: readonly string[] = [
  'first',
  'one',
  'one_or_none',
  'scalar',
  'scalar_one',
  'scalar_one_or_none',
];

/**
 * Chain methods whose result is one row, a count, an aggregate or nothing at all: never a
 * sequence of rows (SQLAlchemy and Django).
 */
export const NOT_ROWS_METHODS: readonly string[] = [
  ...ONE_ROW_RESULT_METHODS,
  'get',
  'count',
  'exists',
  'delete',
  'update',
  'last',
  'earliest',
  'latest',
  'aggregate',
  'in_bulk',
];

/**
 * Django manager writes whose result is what the code handed them, or a count: `bulk_create(objs)`
 * returns `objs` (with keys set), `bulk_update` the number of rows. Iterating the result of one
 * (`created = Note.objects.bulk_create(notes)`, then `for note in created:`) reads nothing, and a
 * `[:n]` there would silently skip the objects after the n-th.
 */
const DJANGO_WRITE_RESULTS = ['bulk_create', 'abulk_create', 'bulk_update', 'abulk_update'];

/** Methods that bound or stream the rows, or read one row, a count or nothing at all. */
const BOUNDING = new Set([
  ...NOT_ROWS_METHODS,
  'limit',
  'slice',
  'paginate',
  'fetch',
  'yield_per',
  'partitions',
  'fetchmany',
  'fetchone',
  'iterator',
  'aiterator',
  'get_or_create',
  'update_or_create',
  ...DJANGO_WRITE_RESULTS,
]);

/** Execution options that stream rows in batches. */
const STREAMING = /\b(?:yield_per|stream_results)\b/;
/** Raw SQL inside an ORM chain: `unbounded-select` reads the SQL text itself. */
const RAW_SQL = new Set(['raw', 'from_statement', 'extra']);
/** Filters whose arguments may pin the query to one key. */
const FILTERS = new Set(['filter', 'filter_by', 'where', 'get']);
/** Statement methods: `session.execute(stmt)` and friends send the statement. */
const EXECUTE = new Set(['execute', 'scalars', 'exec']);
/** Result methods between `execute(...)` and `.all()`. */
const RESULT_SHAPING = new Set(['scalars', 'unique', 'mappings', 'tuples', 'columns']);
/**
 * Calls that evaluate a Django queryset or legacy query whole: `dict(...)` of a pair queryset
 * (`dict(X.objects.values_list("id", "name"))`) reads every row as `list(...)` does.
 */
export const EVALUATING: ReadonlySet<string> = new Set(['list', 'tuple', 'set', 'sorted', 'dict']);
const AGGREGATES = new Set(['count', 'sum', 'avg', 'min', 'max']);
const KEY_COLUMNS = new Set(['id', 'pk', 'uuid']);
/**
 * Names of key columns by convention: a row's own key (`id`, `pk`, `uuid`) or a reference to
 * another row's (`user_id`, `userId`, `owner_uuid`).
 */
const KEY_NAME = /^(?:id|pk|uuid)$|_(?:id|pk|uuid)$|[a-z0-9]Id$/;
/** Last name of a receiver that is an SQLAlchemy session. */
const SESSION_NAME = /^(?:db|session|sess|dbsession|database|\w+_session|\w+_db)$/i;
const SESSION_ANNOTATION = /\b(?:Async)?Session\b|scoped_session/;
const MODULES_WITH_SELECT = ['sqlalchemy', 'sqlmodel'];

/** Reads a chain of calls, attributes and subscripts; `await` and parentheses are seen through. */
export function readChain(expression: Node): Chain {
  const links: ChainLink[] = [];
  let node: Node = expression;
  for (;;) {
    // Every node accessor crosses into WASM: the type is read once per step.
    const type = node.type;
    if (type === 'call') {
      const fn = node.childForFieldName('function');
      if (fn?.type !== 'attribute') break;
      const args = node.childForFieldName('arguments');
      links.push({ kind: 'call', name: attributeName(fn), node, args });
      node = fn.childForFieldName('object') ?? fn;
    } else if (type === 'attribute') {
      links.push({ kind: 'attribute', name: attributeName(node), node, args: null });
      node = node.childForFieldName('object') ?? node;
    } else if (type === 'subscript') {
      links.push({ kind: 'subscript', name: '', node, args: null });
      node = node.childForFieldName('value') ?? node;
    } else if (type === 'parenthesized_expression' || type === 'await') {
      const inner = node.namedChildren.find((child) => child && child.type !== 'comment');
      if (!inner) break;
      node = inner;
    } else break;
  }
  links.reverse();
  return { root: node, links };
}

/**
 * `readChain` for an expression the model knows as a call. The links that are calls with an
 * attribute callee are read from the model's calls, each found from the previous one's receiver
 * range: walking the same links in the tree crosses into WASM several times per link.
 */
function readCallChain(call: PyCall, model: PythonModel): Chain {
  const tail: ChainLink[] = [];
  let current = call;
  let head: Chain;
  for (;;) {
    // Without a receiver range (a plain or unusual callee), the tree reads the rest.
    if (current.receiverEnd < 0) {
      head = readChain(current.node);
      break;
    }
    tail.push({
      kind: 'call',
      name: current.method,
      node: current.node,
      // A receiver range implies the callee was read up to the argument list: it exists.
      args: current.args,
      call: current,
    });
    const receiver = model.callsByRange.get(`${current.start}:${current.receiverEnd}`);
    if (!receiver) {
      // An identifier, attribute, subscript, parenthesised or awaited receiver.
      const object = current.receiver;
      if (!object) tail.pop();
      head = readChain(object ?? current.node);
      break;
    }
    current = receiver;
  }
  tail.reverse();
  return { root: head.root, links: head.links.length > 0 ? [...head.links, ...tail] : tail };
}

/** The receiver of a method call when it is itself a call (`db.query(X)` in `db.query(X).all()`). */
function receiverCall(call: PyCall, model: PythonModel): PyCall | undefined {
  return call.receiverEnd < 0
    ? undefined
    : model.callsByRange.get(`${call.start}:${call.receiverEnd}`);
}

/**
 * `readChain(expression)`, read through the model's calls when the expression is a call (see
 * `readCallChain`), else from the tree.
 */
export function readChainIn(expression: Node, model: PythonModel): Chain {
  if (expression.type !== 'call') return readChain(expression);
  const call = model.callsByRange.get(`${expression.startIndex}:${expression.endIndex}`);
  return call ? readCallChain(call, model) : readChain(expression);
}

function attributeName(attribute: Node): string {
  return attribute.childForFieldName('attribute')?.text ?? '';
}

/** The first positional argument of an argument list. */
function firstArgument(args: Node | null): Node | null {
  if (!args) return null;
  for (const arg of args.namedChildren) {
    if (!arg || arg.type === 'comment') continue;
    return arg.type === 'keyword_argument' ? null : arg;
  }
  return null;
}

/** A string literal (an f-string too), alone or implicitly concatenated. */
function isStringLiteral(node: Node | null): boolean {
  return node?.type === 'string' || node?.type === 'concatenated_string';
}

/** Positional arguments of an argument list. */
function positional(args: Node | null): Node[] {
  if (!args) return [];
  return args.namedChildren.filter(
    (arg): arg is Node =>
      !!arg &&
      arg.type !== 'comment' &&
      arg.type !== 'keyword_argument' &&
      arg.type !== 'list_splat',
  );
}

// ---------------------------------------------------------------------------------------------
// Chains followed through local variables.

/** A chain with the links of the assignments its root variable went through, oldest first. */
type ResolvedChain = Chain;

/**
 * Follows an identifier root through its assignments in the same function: one assignment that
 * starts the chain (`q = db.query(X)`) plus any that extend it (`q = q.filter(...)`). A name the
 * function never assigns (a parameter) stays the root; a name rebound in ways not followed (a loop
 * variable, `+=`, two different origins) makes the chain unknown (null).
 */
function resolveChain(
  chain: Chain,
  fn: PyFunction | undefined,
  model: PythonModel,
  depth = 0,
): ResolvedChain | null {
  if (chain.root.type !== 'identifier' || !fn) return chain;
  const name = chain.root.text;
  const flow = localFlow(fn);
  const values = flow.assignments.get(name);
  if (!values) return flow.opaque.has(name) ? null : chain;
  if (flow.opaque.has(name) || depth > 2) return null;
  let base: ResolvedChain | null = null;
  const extensions: ChainLink[] = [];
  let skipped = false;
  const reaching = values.filter((value) => mayReach(value, chain.root, fn, model));
  // Only rebound after the use (`return qry.all()` above `qry = db.query(...)`): the use reads
  // what the name held on entry, a parameter the caller built, and a later query is not it.
  if (reaching.length === 0) return paramOf(fn, name) ? chain : null;
  for (const value of reaching) {
    if (value.startIndex <= chain.root.startIndex && chain.root.endIndex <= value.endIndex)
      return null; // the use sits inside its own assignment
    const valueChain = readChainIn(value, model);
    if (valueChain.root.type === 'identifier' && valueChain.root.text === name) {
      // `if limit and other: stmt = stmt.limit(limit)`: the path around the `if` has no bound.
      const paging = pagingArguments(valueChain.links);
      for (const link of valueChain.links) {
        const partial =
          link.kind === 'call' &&
          link.name === 'limit' &&
          isBoundOnSomePathsOnly(paging, value, chain.root, fn.body);
        if (partial) skipped = true;
        else extensions.push(link);
      }
      continue;
    }
    if (base) return null;
    base = resolveChain(valueChain, fn, model, depth + 1);
    if (!base) return null;
  }
  if (!base) return null;
  const links = [...base.links, ...extensions, ...chain.links];
  return skipped || base.boundOnSomePaths
    ? { root: base.root, links, boundOnSomePaths: true }
    : { root: base.root, links };
}

/**
 * Whether an assignment (its value) can reach a use of the name: it comes first in the source, or
 * one loop of the function holds both, so a later iteration sees it. An assignment in one arm of
 * an `if` does not reach a use in another arm of it (`query = ...` under `if ids_only:` and under
 * `else:`), unless a loop holds that `if`.
 */
function mayReach(value: Node, use: Node, fn: PyFunction, model: PythonModel): boolean {
  const inOneLoop = (from: Node, to: Node): boolean =>
    model.loops.some(
      (loop) =>
        loop.fn === fn &&
        loop.node.startIndex <= to.startIndex &&
        from.endIndex <= loop.node.endIndex,
    );
  if (value.startIndex < use.startIndex) {
    const split = armsApart(value, use, fn);
    return !split || inOneLoop(split, split);
  }
  return inOneLoop(value, use);
}

/**
 * The `if` statement that holds `value` and `use` in different arms (its body, an `elif` or the
 * `else`), the innermost one inside `fn`'s body; undefined when no `if` splits them.
 */
function armsApart(value: Node, use: Node, fn: PyFunction): Node | undefined {
  for (let at: Node | null = value.parent; at && at.id !== fn.body.id; at = at.parent) {
    if (at.type !== 'if_statement') continue;
    if (use.startIndex >= at.endIndex) continue; // the use follows this `if`: an outer one may split
    const arms = [
      at.childForFieldName('consequence'),
      ...at.childrenForFieldName('alternative'),
    ].filter((arm): arm is Node => !!arm);
    const armOf = (node: Node): Node | undefined =>
      arms.find((arm) => arm.startIndex <= node.startIndex && node.endIndex <= arm.endIndex);
    const valueArm = armOf(value);
    const useArm = armOf(use);
    if (valueArm && useArm && valueArm.id !== useArm.id) return at;
  }
  return undefined;
}

/** Methods that read a query's rows from another selectable: `select_entity_from(sq)`. */
const FROM_SELECTABLE = new Set(['select_entity_from', 'select_from']);
/** Methods that wrap a query as a selectable: `qry.subquery("m")`. */
const AS_SELECTABLE = new Set(['subquery', 'alias', 'cte']);

/** A parameter of the function other than the instance or class a method receives. */
function isQueryParameter(root: Node, fn: PyFunction): boolean {
  if (root.type !== 'identifier' || root.text === 'self' || root.text === 'cls') return false;
  return !!paramOf(fn, root.text);
}

/**
 * Whether a chain reads its rows from a subquery of a query the function was handed
 * (`db.query(X, ...).select_entity_from(qry.subquery())`, `sq = qry.subquery()` first): a helper
 * that decorates whatever query its caller built, whose bound (a `.limit()`, a key filter) is
 * the caller's, inside the subquery. Its reads are judged where that query is built; a
 * `.limit(n)` added here would replace the caller's own.
 */
function readsFromCallerQuery(
  links: readonly ChainLink[],
  fn: PyFunction | undefined,
  model: PythonModel,
): boolean {
  if (!fn || fn.params.length === 0) return false;
  for (const link of links) {
    if (link.kind !== 'call' || !FROM_SELECTABLE.has(link.name)) continue;
    const source = firstArgument(link.args);
    if (!source || !/\b(?:subquery|alias|cte)\b|^\w+$/.test(source.text)) continue;
    const selectable = resolveChain(readChainIn(source, model), fn, model);
    if (!selectable || !isQueryParameter(selectable.root, fn)) continue;
    // `qry.filter(...).subquery()`: the caller's query, narrowed; `self.db.query(...)` is not it.
    const steps = selectable.links;
    if (steps.some((step) => step.kind !== 'call' || step.name === 'query')) continue;
    if (steps.some((step) => AS_SELECTABLE.has(step.name))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Classification.

export interface Bounds {
  bounded: boolean;
  equalityColumns: string[];
  nullColumns: string[];
  listMatches: ListMatch[];
  joinedEqualities?: ListColumn[];
  withParents?: WithParent[];
  /** A filter keeps only rows newer than a moment relative to now (`recentWindow`). */
  recentWindow?: boolean;
}

/** `sqlalchemy.orm.with_parent`, imported by name or read from a module. */
const WITH_PARENT_CALLEE = /(?:^|\.)with_parent$/;

/**
 * Reads `with_parent(instance, property)`'s arguments: the instance as written and the
 * relationship when named (`Event.contributions`, `"contributions"`).
 */
function withParentOf(args: Node | null): WithParent | undefined {
  const [instance, property] = positional(args);
  if (!instance || (instance.type !== 'identifier' && instance.type !== 'attribute'))
    return undefined;
  if (property?.type === 'attribute') {
    const owner = property.childForFieldName('object');
    return {
      instance: instance.text,
      ...(owner ? { owner: owner.text.slice(owner.text.lastIndexOf('.') + 1) } : {}),
      relationship: attributeName(property),
    };
  }
  const named = property ? stringValue(property) : undefined;
  return { instance: instance.text, ...(named ? { relationship: named } : {}) };
}

/** The `with_parent(...)` calls among a filter's arguments (`where(with_parent(p, P.kids))`). */
function withParentArguments(args: Node): WithParent[] {
  return args.namedChildren.flatMap((arg) => {
    if (arg?.type !== 'call') return [];
    if (!WITH_PARENT_CALLEE.test(dottedName(arg.childForFieldName('function')))) return [];
    const found = withParentOf(arg.childForFieldName('arguments'));
    return found ? [found] : [];
  });
}

/** Negations: `~X.id.in_(ids)`, `not_(...)`, `not ...`, Django `~Q(...)` exclude the list. */
function isNegation(node: Node): boolean {
  if (node.type === 'not_operator') return true;
  if (node.type === 'unary_operator') return node.child(0)?.text === '~';
  if (node.type !== 'call') return false;
  const callee = dottedName(node.childForFieldName('function'));
  return callee === 'not_' || callee.endsWith('.not_');
}

/**
 * `Case.status` → `{ owner: 'Case', column: 'status' }`; `orders.c.status` → owner `orders`;
 * through a function of one column (`func.lower(User.email)`), that column.
 */
export function listColumnOf(node: Node): ListColumn | undefined {
  if (node.type === 'call') {
    const callee = dottedName(node.childForFieldName('function'));
    const args = positional(node.childForFieldName('arguments'));
    return callee.startsWith('func.') && args.length === 1 ? listColumnOf(args[0]) : undefined;
  }
  if (node.type !== 'attribute') return undefined;
  const object = node.childForFieldName('object');
  let owner = object ? dottedName(object) : '';
  if (owner.endsWith('.c')) owner = owner.slice(0, -2);
  owner = owner.slice(owner.lastIndexOf('.') + 1);
  return { ...(owner ? { owner } : {}), column: attributeName(node) };
}

/**
 * The list matches in a filter's arguments: SQLAlchemy `X.col.in_(...)` (also `tuple_(X.a,
 * X.b).in_(...)`) and Django `col__in=...` (also inside `Q(...)`). Negated matches select the
 * rows outside the list and are left out, and so are matches inside an `in_(...)` argument (a
 * subquery's filter says nothing about the outer rows). A match on an expression that is not a
 * column has no columns.
 */
function listMatchesIn(args: Node): ListMatch[] {
  const found: ListMatch[] = [];
  const stack: Node[] = [args];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (isNegation(node)) continue;
    if (node.type === 'keyword_argument') {
      const name = node.childForFieldName('name')?.text ?? '';
      if (name.endsWith('__in')) found.push({ columns: [{ column: name.slice(0, -4) }] });
    } else if (node.type === 'call') {
      const fn = node.childForFieldName('function');
      if (fn?.type === 'attribute' && attributeName(fn) === 'in_') {
        const object = fn.childForFieldName('object');
        const tuple =
          object?.type === 'call' &&
          /(?:^|\.)tuple_$/.test(dottedName(object.childForFieldName('function')));
        const parts = tuple ? positional(object.childForFieldName('arguments')) : [object];
        const columns = parts.map((part) => (part ? listColumnOf(part) : undefined));
        found.push({
          columns: columns.every((column) => !!column) ? (columns as ListColumn[]) : [],
        });
        continue;
      }
    }
    for (let i = node.namedChildCount - 1; i >= 0; i--) {
      const child = node.namedChild(i);
      if (child) stack.push(child);
    }
  }
  return found;
}

/** The last field of a column or lookup path: `id` for `team__id`. */
export function lastField(column: ListColumn): string {
  const at = column.column.lastIndexOf('__');
  return at === -1 ? column.column : column.column.slice(at + 2);
}

/** Whether a column's name says it is a key (`id`, `pk`, `uuid`, `*_id`; `team__id`). */
export function hasKeyName(column: ListColumn): boolean {
  return KEY_NAME.test(lastField(column));
}

/** `Owner.column` keys of the `group_by(...)` columns of a chain. */
function groupedColumns(links: readonly ChainLink[]): Set<string> {
  const grouped = new Set<string>();
  for (const link of links) {
    if (link.kind !== 'call' || link.name !== 'group_by') continue;
    for (const arg of positional(link.args)) {
      const column = listColumnOf(arg);
      if (column) grouped.add(`${column.owner ?? ''}.${column.column}`);
    }
  }
  return grouped;
}

/**
 * Whether a list match bounds the read by its names alone: every column is a key by name, or the
 * query groups by the listed column (one row per list item: the batched form of a count per item).
 * A match on an expression that is not a column keeps the benefit of the doubt.
 */
function listBoundsByName(match: ListMatch, grouped: ReadonlySet<string>): boolean {
  if (match.columns.length === 0) return true;
  if (match.columns.every(hasKeyName)) return true;
  return match.columns.some((column) => grouped.has(`${column.owner ?? ''}.${column.column}`));
}

/**
 * What a chain's filters say about its rows (`filterBounds`): `filters` are the methods whose
 * arguments are read, SQLAlchemy's and Django's unless the ORM names them otherwise (Beanie's
 * `find(...)`).
 */
export function chainBounds(
  links: readonly ChainLink[],
  filters: ReadonlySet<string> = FILTERS,
  fn?: PyFunction,
  /** Names whose `.limit(name)` / `[:name]` bound nothing here (see `readsBoundedOnlyBy`). */
  noBound?: ReadonlySet<string>,
): Bounds {
  const bounds: Bounds = { bounded: false, equalityColumns: [], nullColumns: [], listMatches: [] };
  filterBounds(
    noBound ? links.filter((link) => !boundsBy(link, noBound)) : links,
    bounds,
    filters,
    fn,
  );
  return bounds;
}

/** Whether a link is `.limit(name)` or `[:name]` with `name` one of `names`. */
function boundsBy(link: ChainLink, names: ReadonlySet<string>): boolean {
  if (link.kind === 'call') {
    const args = positional(link.args);
    return link.name === 'limit' && args.length === 1 && names.has(args[0].text);
  }
  if (link.kind !== 'subscript') return false;
  const slice = link.node.childForFieldName('subscript');
  if (slice?.type !== 'slice') return false;
  // `[:name]`: the slice's only named child is its stop, after the colon.
  const parts = slice.namedChildren.filter((part): part is Node => !!part);
  return parts.length === 1 && slice.firstChild?.type === ':' && names.has(parts[0].text);
}

/** Whether filters pin the query to a key, or to a list the caller holds (`.in_(ids)`). */
function filterBounds(
  links: readonly ChainLink[],
  into: Bounds,
  filters: ReadonlySet<string>,
  /** The function the chain is in: a `Q` built in a local is read from its assignments. */
  fn?: PyFunction,
): void {
  let grouped: Set<string> | undefined;
  // The `==` filter columns written `Class.column`, for the joined-class filters.
  let owned: Node[] | undefined;
  for (const link of links) {
    const bounding = BOUNDING.has(link.name) || RAW_SQL.has(link.name);
    if (link.kind === 'subscript' || (link.kind === 'call' && bounding)) {
      into.bounded = true;
      return;
    }
    if (link.kind !== 'call' || !link.args) continue;
    const text = link.args.text;
    // `execution_options(yield_per=500)`: rows arrive in batches, never all at once.
    if (link.name === 'execution_options' && STREAMING.test(text)) {
      into.bounded = true;
      return;
    }
    // `Child.query.with_parent(parent)`: the children of one instance, as `parent_id == p` is.
    if (link.name === 'with_parent') {
      const found = withParentOf(link.args);
      if (found) (into.withParents ??= []).push(found);
      continue;
    }
    if (!filters.has(link.name)) continue;
    if (text.includes('with_parent('))
      (into.withParents ??= []).push(...withParentArguments(link.args));
    if (!into.recentWindow && RECENT_HINT.test(text))
      into.recentWindow = link.args.namedChildren.some((arg) => !!arg && isRecentWindow(arg));
    // A batch load by a list of keys the code already holds: the batching n-plus-one recommends.
    // A list of values (`X.status.in_(statuses)`) bounds nothing: each value may match any
    // number of rows. Names decide here; the workspace's models decide the rest (`readsByKey`).
    if (text.includes('.in_(') || text.includes('__in')) {
      grouped ??= groupedColumns(links);
      for (const match of listMatchesIn(link.args)) {
        if (listBoundsByName(match, grouped)) {
          into.bounded = true;
          return;
        }
        into.listMatches.push(match);
      }
    }
    // `or_(*[X.parent_id == k for k in keys])`: one clause per key, a key list like `in_()`.
    if (text.includes('or_(')) {
      for (const columns of orOfKeyClauses(link.args)) {
        const match: ListMatch = { columns };
        if (listBoundsByName(match, (grouped ??= groupedColumns(links)))) {
          into.bounded = true;
          return;
        }
        into.listMatches.push(match);
      }
    }
    for (const arg of link.args.namedChildren) {
      if (!arg) continue;
      if (arg.type === 'keyword_argument') {
        const column = (arg.childForFieldName('name')?.text ?? '').replace(/__exact$/, '');
        into.equalityColumns.push(column);
        if (arg.childForFieldName('value')?.type === 'none') into.nullColumns.push(column);
      } else if (arg.type === 'comparison_operator' && arg.children.some((c) => c?.text === '==')) {
        const columns = arg.namedChildren.filter((side) => !!side && isModelColumn(side));
        // `Order.user_id == User.id` joins two tables: it pins no row.
        if (columns.length !== 1) continue;
        const column = attributeName(columns[0]!);
        into.equalityColumns.push(column);
        if (arg.namedChildren.some((side) => side?.type === 'none')) into.nullColumns.push(column);
        else (owned ??= []).push(columns[0]!);
      } else if (arg.type === 'identifier' || text.includes('Q(')) {
        // `for k in keys: q |= Q(owner=k.owner)`, then `filter(q)` under `if q:`: one clause
        // per key, a key list like `owner__in=owners`.
        const keyFields = djangoOrOfKeyQ(arg, fn);
        if (keyFields) {
          const match: ListMatch = { columns: keyFields.map((column) => ({ column })) };
          if (listBoundsByName(match, (grouped ??= groupedColumns(links)))) {
            into.bounded = true;
            return;
          }
          into.listMatches.push(match);
          continue;
        }
        // Django `filter(Q(environment=e) & Q(...))`, or a `Q` built in a local: the fields
        // pinned in every row it keeps count as keyword arguments.
        const pins = qPins(arg, fn);
        into.equalityColumns.push(...pins.columns);
        into.nullColumns.push(...pins.nullColumns);
      }
    }
  }
  if (pinsKeyByName(into.equalityColumns)) into.bounded = true;
  if (owned && !into.bounded) into.joinedEqualities = joinedEqualities(links, owned);
}

/** Text every recent-window filter contains: a call of `now()`, `utcnow()` or `today()`. */
const RECENT_HINT = /\b(?:utc)?now\s*\(|\btoday\s*\(/;
/** The current moment: `func.now()`, `datetime.utcnow()`, `timezone.now()`, `utcnow()`. */
const NOW_CALLEE = /^(?:[\w.]+\.)?(?:now|utcnow|today)$/;

/** `now() - span`: a moment a fixed span before the current one. */
function isMomentAgo(node: Node | null): boolean {
  if (node?.type !== 'binary_operator' || node.childForFieldName('operator')?.text !== '-')
    return false;
  const left = node.childForFieldName('left');
  return left?.type === 'call' && NOW_CALLEE.test(left.childForFieldName('function')?.text ?? '');
}

/**
 * A filter that keeps only rows newer than a moment relative to now: `X.created > now() - span`
 * (`>=` too), Django `created__gt=timezone.now() - span` (`__gte`). Such rows are bounded by
 * how many can appear in the span, not by how long the table has been growing.
 */
function isRecentWindow(arg: Node): boolean {
  if (arg.type === 'keyword_argument')
    return (
      /__gte?$/.test(arg.childForFieldName('name')?.text ?? '') &&
      isMomentAgo(arg.childForFieldName('value'))
    );
  if (arg.type !== 'comparison_operator') return false;
  const [left, right] = arg.namedChildren;
  const operator = arg.children.find((child) => child?.type === '>' || child?.type === '>=');
  return !!operator && !!left && isModelColumn(left) && isMomentAgo(right);
}

/** Methods that join another entity into a SQLAlchemy query. */
const JOINS = new Set(['join', 'outerjoin']);

/** Whether `==` filters pin a row's own key by its name (`id`, `pk`, `uuid`): one row at most. */
export function pinsKeyByName(columns: readonly string[]): boolean {
  return columns.some((column) => KEY_COLUMNS.has(column));
}

/** Whether a chain joins another class (`.join(Owner, ...)`): its filters may pin that one's rows. */
export function joinsAnotherClass(links: readonly ChainLink[]): boolean {
  return links.some(
    (link) => link.kind === 'call' && (JOINS.has(link.name) || link.name === 'select_from'),
  );
}

/** The `==` filter columns whose class the chain joins (`.join(Link, ...)`, then `Link.x == v`). */
function joinedEqualities(links: readonly ChainLink[], filtered: readonly Node[]): ListColumn[] {
  const joined = new Set<string>();
  for (const link of links) {
    if (link.kind !== 'call' || !JOINS.has(link.name)) continue;
    const target = positional(link.args)[0];
    if (target?.type === 'identifier' || target?.type === 'attribute')
      joined.add(target.text.slice(target.text.lastIndexOf('.') + 1));
  }
  if (joined.size === 0) return [];
  return filtered.flatMap((node) => {
    const column = listColumnOf(node);
    return column?.owner && joined.has(column.owner) ? [column] : [];
  });
}

/** `User.id`, `models.User.id`: a class attribute, i.e. a mapped column. */
function isModelColumn(node: Node): boolean {
  if (node.type !== 'attribute') return false;
  const object = node.childForFieldName('object');
  const name = object?.type === 'attribute' ? attributeName(object) : (object?.text ?? '');
  return /^[A-Z]/.test(name);
}

/** Whether every selected entity is an aggregate call (`func.count(X.id)`) and nothing groups. */
function onlyAggregates(args: Node | null, links: readonly ChainLink[]): boolean {
  const entities = positional(args);
  if (entities.length === 0 || links.some((link) => link.name === 'group_by')) return false;
  return entities.every((entity) => {
    if (entity.type !== 'call') return false;
    const callee = dottedName(entity.childForFieldName('function'));
    const parts = callee.split('.');
    return parts.includes('func') && AGGREGATES.has(parts[parts.length - 1]);
  });
}

function modelNames(args: Node | null): string[] {
  return positional(args).flatMap((arg) =>
    arg.type === 'identifier' ? [arg.text] : arg.type === 'attribute' ? [dottedName(arg)] : [],
  );
}

/** Text for messages: `db.query(Order)`, or `db.query(...)` when the arguments are long. */
export function quote(node: Node, from: number, source: string): string {
  // A root found through a local alias (`RuleVariant = Rule.variants.through`) lies in another
  // statement: quote the call as written, not the text between the two.
  const start = from >= node.startIndex && from <= node.endIndex ? from : node.startIndex;
  const text = source.slice(start, node.endIndex).replace(/\s+/g, ' ');
  if (text.length <= 48) return text;
  // A call split over lines (`select(\n    A,\n    B\n)`) keeps no space inside its parentheses.
  if (text.length <= 96 && namesOnlyCall(node))
    return text.replace(/\( /g, '(').replace(/,? \)$/, ')');
  const open = text.indexOf('(');
  return open === -1 ? text.slice(0, 45) + '...' : text.slice(0, open) + '(...)';
}

/**
 * A call whose arguments are all names (`select(DocumentSet, CcPair)`): its entities say what is
 * read, so it is quoted whole rather than as `select(...)`.
 */
function namesOnlyCall(node: Node): boolean {
  const args = node.type === 'call' ? node.childForFieldName('arguments') : null;
  if (args?.type !== 'argument_list' || args.namedChildCount === 0) return false;
  return args.namedChildren.every((arg) => arg?.type === 'identifier' || arg?.type === 'attribute');
}

/** Whether `receiver` (the object `.query(...)` is called on) is an SQLAlchemy session. */
function isSession(receiver: Node, fn: PyFunction | undefined): boolean {
  const name = dottedName(receiver);
  if (!name) return false;
  const last = name.slice(name.lastIndexOf('.') + 1);
  if (SESSION_NAME.test(last)) return true;
  const param = paramOf(fn, name);
  return !!param && SESSION_ANNOTATION.test(param.annotation + ' ' + param.defaultText);
}

/** Classifies a legacy `Query` chain: `session.query(X)...` or Flask-SQLAlchemy `X.query...`. */
function legacyQuery(
  chain: ResolvedChain,
  fn: PyFunction | undefined,
  source: string,
): { head: string; models: string[]; links: ChainLink[] } | null {
  const { links } = chain;
  // `session.query(X)`: the first call link, reached through attributes only (`self.db.query`).
  const first = links.findIndex((link) => link.kind !== 'attribute');
  if (first === -1) return null;
  const link = links[first];
  if (link.kind === 'call' && link.name === 'query') {
    const receiver = link.call
      ? link.call.receiver
      : (link.node.childForFieldName('function') ?? link.node).childForFieldName('object');
    if (!receiver || !isSession(receiver, fn)) return null;
    // SQLAlchemy queries mapped classes and columns; `tags.query("category")` is another API.
    if (isStringLiteral(firstArgument(link.args))) return null;
    if (onlyAggregates(link.args, links)) return null;
    return {
      head: quote(link.node, chain.root.startIndex, source),
      models: modelNames(link.args),
      links: links.slice(first + 1),
    };
  }
  // Flask-SQLAlchemy: `User.query.filter_by(...)`.
  const query = links[0];
  if (
    first === 1 &&
    query.kind === 'attribute' &&
    query.name === 'query' &&
    chain.root.type === 'identifier' &&
    /^[A-Z]/.test(chain.root.text)
  ) {
    return {
      head: `${chain.root.text}.query`,
      models: [chain.root.text],
      links: links.slice(1),
    };
  }
  return null;
}

/** Whether a plain call is SQLAlchemy's or SQLModel's `select(...)`. */
function isSelectCall(node: Node, model: PythonModel): boolean {
  if (node.type !== 'call') return false;
  const callee = dottedName(node.childForFieldName('function'));
  if (!callee.endsWith('select')) return false;
  const qualified = qualify(callee, model.imports);
  return MODULES_WITH_SELECT.some((module) => qualified.startsWith(`${module}.`));
}

/**
 * Whether the model class `owner` declares a manager named `manager` (`open` of
 * `open = OpenCartManager()`): asks the workspace index, which only a rule can reach.
 */
export type CustomManagerTest = (owner: string, manager: string) => boolean;

/**
 * Where a chain reads a Django manager (`Model.objects`), or -1. Given `isCustomManager`, a
 * manager the model declares under a name of its own (`Cart.open`) counts too.
 */
function managerLink(chain: Chain, isCustomManager?: CustomManagerTest): number {
  const objects = chain.links.findIndex(
    (link) => link.kind === 'attribute' && isDjangoManagerName(link.name),
  );
  if (objects === -1) return isCustomManager && readsCustomManager(chain, isCustomManager) ? 0 : -1;
  if (!mayOwnDjangoManagerNode(chain.links[objects].node.childForFieldName('object'))) return -1;
  return objects;
}

/**
 * Whether a chain has the shape of a custom manager's queryset, `Cart.open.filter(...)`: a
 * capitalised name, one attribute that is not a standard manager, then a lazy queryset method.
 * Cheap: no index is asked for chains of any other shape.
 */
function hasCustomManagerShape(chain: Chain): boolean {
  const [manager, method] = chain.links;
  return (
    chain.root.type === 'identifier' &&
    /^[A-Z]/.test(chain.root.text) &&
    manager?.kind === 'attribute' &&
    !isDjangoManagerName(manager.name) &&
    method !== undefined &&
    isLazyQuerySetCall(method)
  );
}

/** Whether a chain reads a manager its model class declares: `Cart.open.filter(...)`. */
function readsCustomManager(chain: Chain, isCustomManager: CustomManagerTest): boolean {
  return hasCustomManagerShape(chain) && isCustomManager(chain.root.text, chain.links[0].name);
}

/** A Django queryset chain: `Model.objects.<method>(...)...` ending in a call. */
function djangoQuerySet(
  chain: ResolvedChain,
  isCustomManager?: CustomManagerTest,
): { head: string } | null {
  const objects = managerLink(chain, isCustomManager);
  if (objects === -1 || objects + 1 >= chain.links.length) return null;
  const firstCall = chain.links[objects + 1];
  if (firstCall.kind !== 'call') return null;
  return { head: quoteQuerySet(chain, objects) };
}

/** Resolves the statement given to `execute`: an inline `select(...)` chain or a variable. */
function selectStatement(
  statement: Node,
  fn: PyFunction | undefined,
  model: PythonModel,
): ResolvedChain | null {
  const chain = resolveChain(readChainIn(statement, model), fn, model);
  return chain && isSelectCall(chain.root, model) ? chain : null;
}

interface Candidate {
  /** The expression that loads the rows. */
  node: Node;
  /** The query expression inside it (the receiver of `.all()`, the argument of `list()`). */
  query: Node;
  /** The model's call for `query`, when the model has already found it. */
  queryCall?: PyCall;
  /** `.all()` / `.fetchall()` terminal, or evaluation by `list()` / iteration. */
  terminal: boolean;
  fn?: PyFunction;
  /** Names whose `.limit(name)` / `[:name]` bound nothing (see `readsBoundedOnlyBy`). */
  noBound?: ReadonlySet<string>;
}

function classify(candidate: Candidate, model: PythonModel): OrmRead | null {
  const direct = candidate.queryCall
    ? readCallChain(candidate.queryCall, model)
    : readChainIn(candidate.query, model);
  const read = classifyChain(candidate, direct, model);
  if (read || direct.root.type !== 'identifier' || !mentionsOrm(candidate.fn)) return read;
  // `q.all()` where `q = db.query(X)...`: classify the chain the variable was built from.
  const resolved = resolveChain(direct, candidate.fn, model);
  return resolved && resolved !== direct ? classifyChain(candidate, resolved, model) : null;
}

function classifyChain(
  candidate: Candidate,
  chain: ResolvedChain,
  model: PythonModel,
  isCustomManager?: CustomManagerTest,
): OrmRead | null {
  const { fn } = candidate;
  const source = model.source;

  const legacy = legacyQuery(chain, fn, source);
  if (legacy) {
    // `list(q.all())`, `for x in q.all()`: the `.all()` itself is the read.
    const last = legacy.links[legacy.links.length - 1];
    if (!candidate.terminal && last && (last.name === 'all' || last.name === 'fetchall'))
      return null;
    const bounds = chainBounds(legacy.links, FILTERS, undefined, candidate.noBound);
    if (bounds.bounded || readsFromCallerQuery(legacy.links, fn, model)) return null;
    return {
      kind: 'sqlalchemy-query',
      node: candidate.node,
      fn,
      head: legacy.head,
      bound: { at: candidate.query.endIndex, style: 'limit' },
      models: legacy.models,
      equalityColumns: bounds.equalityColumns,
      ...(bounds.recentWindow ? { recentWindow: true } : {}),
      nullColumns: bounds.nullColumns,
      listMatches: bounds.listMatches,
      joinedEqualities: bounds.joinedEqualities,
      ...(bounds.withParents ? { withParents: bounds.withParents } : {}),
      ...(chain.boundOnSomePaths ? { boundOnSomePaths: true } : {}),
    };
  }

  const execute = chain.links.findIndex((link) => link.kind === 'call' && EXECUTE.has(link.name));
  if (execute !== -1) return selectRead(candidate, chain, execute, model);
  // Django's `.all()` is lazy: querysets count only when `list()`ed or iterated.
  if (candidate.terminal) return null;
  const django = djangoQuerySet(chain, isCustomManager);
  if (!django) return null;
  const bounds = chainBounds(chain.links, FILTERS, fn, candidate.noBound);
  if (bounds.bounded) return null;
  const groupedBy = groupingLink(chain.links);
  const custom = chain.links.filter(
    (link) => link.kind === 'call' && !DJANGO_LAZY_METHODS.has(link.name),
  );
  const customCalls = custom.map((link) => link.name);
  const customCallArgs = new Map<string, Node>();
  for (const link of custom) if (link.args) customCallArgs.set(link.name, link.args);
  return {
    kind: 'django',
    node: candidate.node,
    fn,
    head: django.head,
    bound: { at: candidate.query.endIndex, style: 'slice' },
    models: djangoRootModels(chain.root, fn),
    equalityColumns: bounds.equalityColumns,
    ...(bounds.recentWindow ? { recentWindow: true } : {}),
    nullColumns: bounds.nullColumns,
    listMatches: bounds.listMatches,
    ...(groupedBy ? { groupedBy: `${groupedBy.name}(...)` } : {}),
    ...(customCalls.length > 0 ? { customCalls } : {}),
    ...(customCallArgs.size > 0 ? { customCallArgs } : {}),
    ...(prefetchesRelated(chain.links) ? { prefetches: true } : {}),
  };
}

/** Whether a Django chain calls `prefetch_related(...)`. */
function prefetchesRelated(links: readonly ChainLink[]): boolean {
  return links.some((link) => link.kind === 'call' && link.name === 'prefetch_related');
}

/**
 * The model a Django chain's root names: `Order` of `Order.objects...`, and the class whose
 * method it is for `cls.objects...` in a classmethod (a subclass has the class's fields too).
 */
function djangoRootModels(root: Node, fn: PyFunction | undefined): string[] {
  if (root.type !== 'identifier') return [];
  const owner = root.text === 'cls' ? classOfFunction(fn) : undefined;
  return [owner ?? root.text];
}

/** Django aggregate functions (`Count("id")`, `models.Sum("total")`, Postgres `ArrayAgg(...)`). */
const DJANGO_AGGREGATE_CALL =
  /\b(?:Count|Sum|Avg|Min|Max|StdDev|Variance|ArrayAgg|StringAgg|JSONBAgg|BoolAnd|BoolOr|BitAnd|BitOr)\s*\(/;

/**
 * The `values(...)` / `values_list(...)` link of a Django chain that a later `annotate(...)` of an
 * aggregate groups by: Django's GROUP BY, one row per distinct value of the listed fields. An
 * `annotate` before `values`, or without an aggregate, annotates each row and groups nothing.
 */
export function groupingLink(links: readonly ChainLink[]): ChainLink | undefined {
  let values: ChainLink | undefined;
  for (const link of links) {
    if (link.kind !== 'call') continue;
    if (link.name === 'values' || link.name === 'values_list') values = link;
    else if (
      values &&
      link.name === 'annotate' &&
      link.args &&
      DJANGO_AGGREGATE_CALL.test(link.args.text)
    )
      return values;
  }
  return undefined;
}

/**
 * `session.execute(stmt)[.scalars()...]` with only result shaping after it, read by `.all()`,
 * `list(...)` or a loop, where `stmt` is a `select(...)` chain.
 */
function selectRead(
  candidate: Candidate,
  chain: ResolvedChain,
  execute: number,
  model: PythonModel,
): OrmRead | null {
  const { fn } = candidate;
  const rest = chain.links.slice(execute + 1);
  if (!rest.every((link) => link.kind === 'call' && RESULT_SHAPING.has(link.name))) return null;
  const executeArgs = chain.links[execute].args;
  const statement = firstArgument(executeArgs);
  if (!statement || STREAMING.test(executeArgs?.text ?? '')) return null;
  const select = selectStatement(statement, fn, model);
  if (!select) return null;
  const selectCall = select.root;
  const selectArgs = selectCall.childForFieldName('arguments');
  if (onlyAggregates(selectArgs, select.links)) return null;
  const bounds = chainBounds(select.links, FILTERS, undefined, candidate.noBound);
  if (bounds.bounded || readsFromCallerQuery(select.links, fn, model)) return null;
  return {
    kind: 'sqlalchemy-select',
    node: candidate.node,
    fn,
    head: quote(selectCall, selectCall.startIndex, model.source),
    // At the use site: a statement variable may also feed a count or a subquery.
    bound: { at: statement.endIndex, style: 'limit' },
    models: modelNames(selectArgs),
    equalityColumns: bounds.equalityColumns,
    ...(bounds.recentWindow ? { recentWindow: true } : {}),
    nullColumns: bounds.nullColumns,
    listMatches: bounds.listMatches,
    joinedEqualities: bounds.joinedEqualities,
    ...(bounds.withParents ? { withParents: bounds.withParents } : {}),
    ...(select.boundOnSomePaths ? { boundOnSomePaths: true } : {}),
  };
}

/** Text every ORM read contains somewhere in its file or function: code without it has none. */
const ORM_MARKER = /\.query\b|\bselect\s*\(|\.(?:\w+_)?objects\b|\._(?:default|base)_manager\b/;
const mentions = new OwnedCache<PyFunction, boolean>('mentions the ORM');
/** Expressions that may be a query chain or a variable holding one. */
const CHAIN_TYPES = new Set(['identifier', 'call', 'attribute', 'parenthesized_expression']);

/** Whether a function's body could build a query at all: variables elsewhere are not followed. */
function mentionsOrm(fn: PyFunction | undefined): boolean {
  if (!fn) return false;
  let found = mentions.get(fn);
  if (found === undefined) {
    found = ORM_MARKER.test(fn.body.text);
    mentions.set(fn, found);
  }
  return found;
}

/** Django queryset methods that return another lazy queryset: no query runs until it is evaluated. */
export const DJANGO_LAZY_METHODS: ReadonlySet<string> = new Set([
  'all',
  'filter',
  'exclude',
  'order_by',
  'distinct',
  'reverse',
  'select_related',
  'prefetch_related',
  'annotate',
  'alias',
  'only',
  'defer',
  'using',
  'select_for_update',
  'values',
  'values_list',
  'none',
]);

const onQuerySetCache = new OwnedCache<PyCall, boolean>('on a Django queryset');

/**
 * Whether a method is called on a lazy Django queryset, written inline or built in local
 * variables of the function (`q = Profile.objects.filter(...)`, `q = q.exclude(...)`, then
 * `q.first()` or `q.update(...)`): the call that runs the query the variables only describe.
 */
export function isOnDjangoQuerySet(call: PyCall, model: PythonModel): boolean {
  if (!call.hasReceiver || !call.fn || !mentionsOrm(call.fn)) return false;
  // Asked by more than one rule about the same call: the chain is read once.
  let onQuerySet = onQuerySetCache.get(call);
  if (onQuerySet === undefined) {
    const chain = readCallChain(call, model);
    // The receiver's links: the last link is the call itself.
    const receiver = { root: chain.root, links: chain.links.slice(0, -1) };
    onQuerySet = isDjangoQuerySet(receiver, call.fn, model);
    onQuerySetCache.set(call, onQuerySet);
  }
  return onQuerySet;
}

/**
 * Whether a chain is a lazy queryset: `Model.objects` followed by lazy methods only, or such
 * methods on a local variable that always holds one. A variable may be rebound to another
 * queryset (`q = Check.objects.filter(...)` twice in one function) or narrowed
 * (`q = q.exclude(...)`), as long as some assignment made it from `Model.objects`.
 */
function isDjangoQuerySet(
  chain: Chain,
  fn: PyFunction,
  model: PythonModel,
  depth = 0,
  isQuerySetMethod?: QuerySetMethodTest,
): boolean {
  const objects = managerLink(chain);
  const owner = objects === 0 && chain.root.type === 'identifier' ? chain.root.text : undefined;
  // `Job.objects.filter(...).is_finished()`: a method of the model's own QuerySet class, asked
  // about only for a link no lazy method explains.
  const keepsModel = (link: ChainLink): boolean =>
    isLazyQuerySetCall(link) ||
    (owner !== undefined &&
      link.kind === 'call' &&
      isQuerySetMethod !== undefined &&
      isQuerySetMethod(owner, link.name));
  if (!chain.links.slice(objects + 1).every(keepsModel)) return false;
  if (objects !== -1) return true;
  if (chain.root.type !== 'identifier' || depth > 2) return false;
  return builtFrom(chain.root.text, fn, model, (value) =>
    isDjangoQuerySet(value, fn, model, depth + 1),
  );
}

/**
 * Whether a local variable of `fn` is only ever given values `isOrigin` accepts, or its own value
 * narrowed by lazy queryset methods (`q = q.exclude(...)` narrows what another assignment made),
 * and at least one of the former.
 */
function builtFrom(
  name: string,
  fn: PyFunction,
  model: PythonModel,
  isOrigin: (chain: Chain) => boolean,
): boolean {
  const flow = localFlow(fn);
  const values = flow.assignments.get(name);
  if (!values || flow.opaque.has(name)) return false;
  let origins = 0;
  for (const value of values) {
    const chain = readChainIn(value, model);
    if (chain.root.type === 'identifier' && chain.root.text === name) {
      if (!chain.links.every(isLazyQuerySetCall)) return false;
    } else if (isOrigin(chain)) origins++;
    else return false;
  }
  return origins > 0;
}

/**
 * Parameter names that hold a Django queryset by convention: the `queryset` of a DRF
 * `filter_queryset(self, request, queryset, view)` or a django-filter `filter_x(self, queryset,
 * name, value)` hook, `qs`, `base_queryset`.
 */
const QUERYSET_PARAMETER = /^(?:\w+_)?(?:queryset|qs)$/;
/** Modules whose import says the file works with Django querysets. */
const DJANGO_MODULES = /^(?:django|rest_framework|django_filters)\b/;

/**
 * The read evaluating a lazy chain on a queryset parameter would be (`queryset.filter(**f)` in
 * a filter hook), in a file that imports Django: a new queryset, which nothing has evaluated
 * yet. The parameter itself is not one: the caller may have evaluated it already. Null for
 * other shapes, a reassigned parameter, and bounded chains (sliced, by key).
 */
export function querySetParameterRead(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
): OrmRead | null {
  const chain = readChainIn(expression, model);
  const name = chain.root.type === 'identifier' ? chain.root.text : '';
  if (!QUERYSET_PARAMETER.test(name) || chain.links.length === 0) return null;
  if (!chain.links.every(isLazyQuerySetCall) || !paramOf(fn, name)) return null;
  if (localFlow(fn).assignments.has(name)) return null;
  if (![...model.imports.values()].some((module) => DJANGO_MODULES.test(module))) return null;
  const bounds = chainBounds(chain.links);
  if (bounds.bounded) return null;
  return {
    kind: 'django',
    node: expression,
    fn,
    head: quote(chain.links[0].node, chain.root.startIndex, model.source),
    bound: { at: expression.endIndex, style: 'slice' },
    models: [],
    equalityColumns: bounds.equalityColumns,
    ...(bounds.recentWindow ? { recentWindow: true } : {}),
    nullColumns: bounds.nullColumns,
    listMatches: bounds.listMatches,
  };
}

/**
 * Whether the model class `owner`'s own QuerySet class declares `method` as one that returns a
 * narrowed queryset (`is_finished` of `objects = JobQuerySet.as_manager()`): asks the workspace
 * index, which only a rule can reach.
 */
export type QuerySetMethodTest = (owner: string, method: string) => boolean;

/**
 * Whether an expression is a lazy Django queryset (`Model.objects.filter(...)`, or a local
 * variable built from one): nothing has run yet, whatever evaluates it later sends the query.
 */
export function isLazyDjangoQuerySet(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
): boolean {
  return isDjangoQuerySet(readChainIn(expression, model), fn, model);
}

/** Links a loop over a queryset may end in that still hand out its rows: `[:n]`, `.iterator()`. */
function handsOutRows(link: ChainLink): boolean {
  return link.kind === 'subscript' || (link.kind === 'call' && STREAMING_METHODS.has(link.name));
}
const STREAMING_METHODS = new Set(['iterator', 'aiterator']);

/**
 * Whether iterating an expression yields model instances loaded by a Django queryset:
 * `Model.objects.filter(...)`, sliced or streamed (`[:100]`, `.iterator()`), or a local variable
 * holding such a queryset.
 */
export function iteratesDjangoRows(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
  isQuerySetMethod?: QuerySetMethodTest,
): boolean {
  const chain = readChainIn(expression, model);
  const rows = withoutRowHandouts(chain);
  if (isDjangoQuerySet(rows, fn, model, 0, isQuerySetMethod)) return true;
  if (readsOwnQuerySet(rows, fn, model)) return !slicedToOneRow(chain);
  // `customers = Customer.objects.order_by("name")[:100]`, then `for c in customers`: the slice
  // or stream is in the variable's value, where `isDjangoQuerySet` takes no handout.
  if (rows.links.length > 0 || rows.root.type !== 'identifier') return false;
  return builtFrom(rows.root.text, fn, model, (value) => {
    const origin = withoutRowHandouts(value);
    return (
      origin.links.length < value.links.length &&
      isDjangoQuerySet(origin, fn, model, 1, isQuerySetMethod)
    );
  });
}

/**
 * Whether a chain reads the rows of the queryset a method of a Django Manager or QuerySet class
 * works on: `self.filter(...)`, `self.all()`, `self.exclude(...)`, `self.get_queryset()...` in
 * `class DocumentManager(models.Manager)` (Mayan's `delete_stubs`), lazy methods only. `self`
 * alone is not read so: a QuerySet method iterating itself whole (`for obj in self:`) is how an
 * override of `delete()` runs each row's own on purpose.
 */
function readsOwnQuerySet(chain: Chain, fn: PyFunction, model: PythonModel): boolean {
  const { root, links } = chain;
  if (root.type !== 'identifier' || root.text !== 'self' || links.length === 0) return false;
  const narrowing =
    links[0].kind === 'call' && links[0].name === 'get_queryset' ? links.slice(1) : links;
  if (!narrowing.every(isLazyQuerySetCall)) return false;
  const cls = classOfMethod(fn, model);
  return !!cls && isQuerySetOrManagerClass(cls);
}

/**
 * The Manager or QuerySet class whose own queryset an expression reads (`readsOwnQuerySet`),
 * sliced or streamed, in a method of that class.
 */
export function iteratesOwnQuerySet(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
): PyClass | undefined {
  const rows = withoutRowHandouts(readChainIn(expression, model));
  return readsOwnQuerySet(rows, fn, model) ? classOfMethod(fn, model) : undefined;
}

/** A slice that keeps one row at most: `[:1]`, `[0:1]`, `[n:n + 1]` is not read. */
function slicedToOneRow(chain: Chain): boolean {
  const last = chain.links[chain.links.length - 1];
  if (last?.kind !== 'subscript') return false;
  const slice = last.node.childForFieldName('subscript');
  return !!slice && /^(?:0\s*)?:\s*1$/.test(slice.text.trim());
}

/** The chain without the slices and streams at its end, which hand out its rows as they are. */
function withoutRowHandouts(chain: Chain): Chain {
  let end = chain.links.length;
  while (end > 0 && handsOutRows(chain.links[end - 1])) end--;
  return { root: chain.root, links: chain.links.slice(0, end) };
}

/**
 * Whether a chain reads the rows of one instance's related manager: `author.posts.all()`,
 * `self.team.members.filter(...)`, with only lazy queryset methods after the manager (slices and
 * `.iterator()` at the end too). `managers` are the related managers the workspace's models
 * declare; a name no model declares (`bucket.objects`, `order.items` of another library) is not one.
 */
function readsRelatedManager(chain: Chain, managers: () => ReadonlySet<string>): boolean {
  if (chain.root.type !== 'identifier') return false;
  let end = chain.links.length;
  while (end > 0 && handsOutRows(chain.links[end - 1])) end--;
  // The manager is reached through attributes only, and a queryset method is called on it.
  const manager = chain.links.findIndex((link) => link.kind !== 'attribute');
  if (manager < 1 || manager >= end) return false;
  const name = chain.links[manager - 1].name;
  if (isDjangoManagerName(name) || !chain.links.slice(manager, end).every(isLazyQuerySetCall))
    return false;
  // Asked last: the index's answer makes the rule wait for every schema file in a scan.
  return managers().has(name);
}

/**
 * Whether iterating an expression yields the rows of one instance's related manager
 * (`author.posts.filter(archived=False)`), written inline or held in a local variable every
 * assignment of which reads one or narrows the variable itself (`items = items.filter(...)`).
 */
export function iteratesRelatedManagerRows(
  expression: Node,
  fn: PyFunction,
  model: PythonModel,
  managers: () => ReadonlySet<string>,
): boolean {
  const chain = readChainIn(expression, model);
  if (chain.links.length > 0) return readsRelatedManager(chain, managers);
  if (expression.type !== 'identifier') return false;
  return builtFrom(expression.text, fn, model, (value) => readsRelatedManager(value, managers));
}

function isLazyQuerySetCall(link: ChainLink): boolean {
  return link.kind === 'call' && DJANGO_LAZY_METHODS.has(link.name);
}

/** Expressions that load every row of a query: `.all()` terminals, `list(...)`, loop iterables. */
function candidates(model: PythonModel): Candidate[] {
  const found: Candidate[] = [];
  for (const call of model.calls) {
    if ((call.method === 'all' || call.method === 'fetchall') && call.receiver) {
      if (call.args.namedChildren.some((arg) => arg && arg.type !== 'comment')) continue;
      found.push({
        node: call.node,
        query: call.receiver,
        queryCall: receiverCall(call, model),
        terminal: true,
        fn: call.fn,
      });
    } else if (EVALUATING.has(call.callee) && !call.hasReceiver) {
      const args = positional(call.args);
      if (args.length === 1 && args[0].type !== 'list_splat')
        found.push({ node: call.node, query: args[0], terminal: false, fn: call.fn });
    }
  }
  if (model.loops.length === 0) return found;
  for (const loop of model.loops) {
    if (loop.kind === 'while' || !loop.iterable) continue;
    // `for row in tqdm(qs)`, `enumerate(qs)`: the wrapper iterates the queryset it is given, whole.
    const iterable =
      loop.iterable.type === 'call'
        ? (withoutProgressWrapper(loop.iterable) ?? loop.iterable)
        : loop.iterable;
    if (!CHAIN_TYPES.has(iterable.type)) continue; // literals, ranges of numbers, comprehensions
    // A loop in a class body runs when the class is defined, in no function.
    found.push({
      node: iterable,
      query: iterable,
      terminal: false,
      fn: loop.inClassBody ? undefined : loop.fn,
    });
  }
  return found;
}

/**
 * The Django read that evaluating `expression` whole would be (`qs` after
 * `qs = Model.objects.filter(...)`), or null when it is not a Django queryset or is bounded
 * (sliced, looked up by primary key, a list of keys).
 */
export function djangoReadOf(expression: Node, fn: PyFunction, model: PythonModel): OrmRead | null {
  const read = classify({ node: expression, query: expression, terminal: false, fn }, model);
  return read?.kind === 'django' ? read : null;
}

/** The `==` filters of a Django queryset on its model's own fields (`djangoFiltersOf`). */
export interface DjangoFilters {
  /** The model class, as the chain names it. */
  model: string;
  equalityColumns: string[];
  nullColumns: string[];
}

/** Lookups on a model's own field (`email__iexact`): any other `a__b` path crosses a relation. */
const OWN_FIELD_LOOKUP =
  /^(?:exact|iexact|in|gt|gte|lt|lte|range|isnull|contains|icontains|startswith|istartswith|endswith|iendswith|regex|iregex|date|year|month|day|id|pk)$/;
/** `a__b` paths a call's arguments name (`teams__slug=...`, `"teams__name"`). */
const LOOKUP_PATH = /\b[a-z_]\w*__\w+/g;

/**
 * Whether a lazy chain's calls may hand out a row more than once: a filter, ordering or values
 * through a to-many relation joins it (`filter(teams__slug=s)`, `order_by("teams__name")`). Only
 * lookups on the model's own fields (`email__iexact`) are sure not to; `exclude` never joins.
 */
function mayRepeatRows(links: readonly ChainLink[]): boolean {
  return links.some((link) => {
    if (link.kind !== 'call' || link.name === 'exclude' || !link.args) return false;
    for (const [path] of link.args.text.matchAll(LOOKUP_PATH)) {
      const parts = path.split('__');
      if (parts.length !== 2 || !OWN_FIELD_LOOKUP.test(parts[1])) return true;
    }
    return false;
  });
}

/**
 * The `==` filters of the Django queryset an expression holds, written inline
 * (`Model.objects.filter(...)`) or in a variable built from one, bounded or not: for a chain of
 * lazy queryset methods only that cannot repeat a row (`mayRepeatRows`), undefined otherwise.
 */
export function djangoFiltersOf(
  expression: Node,
  fn: PyFunction | undefined,
  model: PythonModel,
): DjangoFilters | undefined {
  const chain = resolveChain(readChainIn(expression, model), fn, model);
  if (!chain || chain.root.type !== 'identifier' || !djangoQuerySet(chain)) return undefined;
  const [manager, ...rest] = chain.links;
  if (!isDjangoManagerName(manager.name)) return undefined;
  if (rest.some((link) => link.kind !== 'call' || !DJANGO_LAZY_METHODS.has(link.name)))
    return undefined;
  if (mayRepeatRows(rest)) return undefined;
  const { equalityColumns, nullColumns } = chainBounds(rest, FILTERS, fn);
  return { model: chain.root.text, equalityColumns, nullColumns };
}

const reads = new OwnedCache<PythonModel, OrmRead[]>('unbounded ORM reads');

/** Every unbounded ORM read in the file, once each, in source order. */
export function unboundedOrmReads(model: PythonModel): OrmRead[] {
  let list = reads.get(model);
  if (list) return list;
  list = [];
  reads.set(model, list);
  if (!ORM_MARKER.test(model.source)) return list;
  const seen = new Set<string>();
  for (const candidate of candidates(model)) {
    const read = classify(candidate, model);
    // `for x in q.all()`: the loop's iterable and the `.all()` are one read.
    const key = `${read?.node.startIndex}:${read?.node.endIndex}`;
    if (!read || seen.has(key)) continue;
    seen.add(key);
    list.push(read);
  }
  list.sort((a, b) => a.node.startIndex - b.node.startIndex);
  // A queryset variable evaluated twice (`for a in docs: for b in docs:`) is one read: Django
  // caches its rows on the first evaluation, so it is reported there only.
  const firstReads = new Map<string, OrmRead>();
  const once = list.filter((read) => {
    if (read.kind !== 'django' || read.node.type !== 'identifier' || !read.fn) return true;
    const key = `${read.fn.node.startIndex}:${read.node.text}`;
    const first = firstReads.get(key);
    if (!first) {
      firstReads.set(key, read);
      return true;
    }
    first.evaluatedAgainAt ??= read.node.startPosition.row + 1;
    return false;
  });
  reads.set(model, once);
  return once;
}

const candidatesByFn = new OwnedCache<PythonModel, Map<PyFunction | undefined, Candidate[]>>(
  'ORM read candidates by function',
);

/**
 * `candidates(model)` by the function they are in: asked per function, a scan of every candidate
 * of the file would make a large module's check quadratic.
 */
function candidatesByFunction(model: PythonModel): Map<PyFunction | undefined, Candidate[]> {
  let byFn = candidatesByFn.get(model);
  if (!byFn) {
    byFn = new Map();
    for (const candidate of candidates(model)) {
      const list = byFn.get(candidate.fn);
      if (list) list.push(candidate);
      else byFn.set(candidate.fn, [candidate]);
    }
    candidatesByFn.set(model, byFn);
  }
  return byFn;
}

/**
 * Reads of `fn` that nothing bounds but a `.limit(name)` or `[:name]` of one of `names`: a page
 * size that may be None, for which SQLAlchemy's `.limit(None)` and Django's `[:None]` set no
 * bound. Reads that are unbounded anyway (`unboundedOrmReads`) are not among them. Not cached:
 * asked only for the handlers that take such a page size.
 */
export function readsBoundedOnlyBy(
  model: PythonModel,
  fn: PyFunction,
  names: ReadonlySet<string>,
): OrmRead[] {
  if (!mentionsOrm(fn)) return [];
  const found: OrmRead[] = [];
  const seen = new Set<string>();
  for (const candidate of candidatesByFunction(model).get(fn) ?? []) {
    const read = classify({ ...candidate, noBound: names }, model);
    const key = `${read?.node.startIndex}:${read?.node.endIndex}`;
    if (!read || seen.has(key) || classify(candidate, model)) continue;
    seen.add(key);
    found.push(read);
  }
  return found;
}

/** Text a custom manager's queryset contains: `Cart.open.filter(`, `Job.pending.all(`. */
const CUSTOM_MANAGER_MARKER = new RegExp(
  `\\b[A-Z]\\w*\\.\\w+\\.(?:${[...DJANGO_LAZY_METHODS].join('|')})\\s*\\(`,
);

/**
 * Django querysets of custom managers evaluated whole, `for cart in Cart.open.filter(...)`,
 * written inline, in source order. `unboundedOrmReads` cannot see them: whether `open` is a
 * manager is the workspace's knowledge, which `isCustomManager` asks only for chains of that
 * shape. Not cached: it depends on the caller's index.
 */
export function customManagerReads(
  model: PythonModel,
  isCustomManager: CustomManagerTest,
): OrmRead[] {
  if (!CUSTOM_MANAGER_MARKER.test(model.source)) return [];
  const found = new Map<number, OrmRead>();
  for (const candidate of candidates(model)) {
    if (candidate.terminal) continue; // Django's `.all()` is lazy
    const chain = readChainIn(candidate.query, model);
    if (!hasCustomManagerShape(chain)) continue;
    const read = classifyChain(candidate, chain, model, isCustomManager);
    if (read) found.set(read.node.startIndex, read);
  }
  return [...found.values()].sort((a, b) => a.node.startIndex - b.node.startIndex);
}

/**
 * The read of a custom manager's queryset a call ends, written inline with lazy methods only
 * (`Cart.open.filter(...)`), for the evaluations `customManagerReads` does not look for (an
 * emptiness test): undefined for other shapes, for a manager `isCustomManager` denies, and for a
 * bounded chain.
 */
export function customManagerReadAt(
  call: PyCall,
  model: PythonModel,
  isCustomManager: CustomManagerTest,
): OrmRead | undefined {
  const chain = readCallChain(call, model);
  if (!hasCustomManagerShape(chain) || !chain.links.slice(1).every(isLazyQuerySetCall))
    return undefined;
  const candidate = {
    node: call.node,
    query: call.node,
    queryCall: call,
    terminal: false,
    fn: call.fn,
  };
  return classifyChain(candidate, chain, model, isCustomManager) ?? undefined;
}

/**
 * The read of a custom manager's queryset a local variable holds (`carts` after
 * `carts = Cart.open.filter(...)`, also narrowed by `carts = carts.exclude(...)`), for its
 * emptiness tests: undefined when the variable has another origin or is rebound in ways not
 * followed (a list, a loop variable), for a manager `isCustomManager` denies, and for a bounded
 * chain.
 */
export function customManagerVariableRead(
  variable: Node,
  fn: PyFunction,
  model: PythonModel,
  isCustomManager: CustomManagerTest,
): OrmRead | undefined {
  const chain = resolveChain(readChainIn(variable, model), fn, model);
  if (!chain || !hasCustomManagerShape(chain)) return undefined;
  if (!chain.links.slice(1).every(isLazyQuerySetCall)) return undefined;
  const candidate = { node: variable, query: variable, terminal: false, fn };
  return classifyChain(candidate, chain, model, isCustomManager) ?? undefined;
}

/** The edit text that bounds a read: `.limit(n)` or `[:n]`. */
export function boundText(read: OrmRead, limit: number): string {
  return read.bound.style === 'limit' ? `.limit(${limit})` : `[:${limit}]`;
}

// ---------------------------------------------------------------------------------------------
// Raw SQL reads: the calls that send an embedded `SELECT` with no limit.

/** Result readers that take a bounded batch: the client streams the rows instead of holding them. */
const BATCH_READS = ['fetchmany', 'fetch_df_chunk', 'fetch_record_batch'];

/** The call that sends an embedded unit: the one holding the string, or using its variable. */
export function sqlSinkCall(model: PythonModel, unit: SqlUnit): PyCall | undefined {
  let after: PyCall | undefined;
  for (const call of callsNamed(model, unit.sink ?? '')) {
    // The call's own range first: its argument list's offsets cross into WASM.
    if (
      call.start <= unit.hostStart &&
      unit.hostEnd <= call.end &&
      call.args.startIndex <= unit.hostStart &&
      unit.hostEnd <= call.args.endIndex
    )
      return call;
    // `sql = "SELECT ..."` then `cur.execute(sql)`: the first such call after the string. Calls
    // come in source order, so none after it can hold the string.
    if (call.start > unit.hostEnd) {
      after = call;
      break;
    }
  }
  return after;
}

/** Whether the host code reads the rows in batches: `.fetchmany(n)` chained or right after. */
export function readsInBatches(model: PythonModel, unit: SqlUnit): boolean {
  if (unit.origin !== 'embedded') return false;
  const call = sqlSinkCall(model, unit);
  if (!call) return false;
  // `async for row in database.iterate(query)`: the `databases` package streams the rows.
  if (call.method === 'iterate') return true;
  const outer = resultOf(call);
  const around = outer.parent;
  const method = around?.type === 'attribute' ? around.childForFieldName('attribute') : null;
  if (method && BATCH_READS.includes(method.text)) return true;
  const receiver = call.receiver?.text;
  if (!receiver) return false;
  let statement: Node | null = call.node;
  while (statement && !statement.type.endsWith('statement')) statement = statement.parent;
  let next = statement?.nextNamedSibling;
  for (let i = 0; next && i < 3; next = next.nextNamedSibling, i++) {
    const text = next.text;
    if (BATCH_READS.some((read) => text.includes(`${receiver}.${read}`))) return true;
  }
  return false;
}

/** The expression carrying a sink call's result: `db.execute(text("..."))` for `text(...)`. */
export function resultOf(call: PyCall): Node {
  let outer: Node = call.node;
  // A call directly in an argument list has an `outer` call: without one there is nothing to climb.
  if (!call.outer) return outer;
  // `parent` walks down from the root: read once per step.
  for (let parent = outer.parent; parent?.type === 'argument_list'; parent = outer.parent) {
    const holder = parent.parent;
    if (!holder) break;
    outer = holder;
  }
  return outer;
}

/** The last answer of `unboundedSqlCalls` for a model, with the units it was for. */
const sqlCalls = new OwnedCache<PythonModel, { units: readonly SqlUnit[]; calls: PyCall[] }>(
  'unbounded SQL calls',
);

/** Calls sending a `SELECT` that reads every matching row, with nothing in the host bounding it. */
export function unboundedSqlCalls(model: PythonModel, units: readonly SqlUnit[]): PyCall[] {
  const cached = sqlCalls.get(model);
  if (cached?.units === units) return cached.calls;
  const calls: PyCall[] = [];
  for (const unit of units) {
    if (unit.origin !== 'embedded' || unit.readsOneRow) continue;
    if (!unit.statements.some((statement) => isUnboundedSelect(statement))) continue;
    const call = sqlSinkCall(model, unit);
    if (call && !readsInBatches(model, unit)) calls.push(call);
  }
  sqlCalls.set(model, { units, calls });
  return calls;
}

/** Methods that send SQL and hand back its rows (or a cursor holding them). */
const SQL_READS = new Set([
  'execute',
  'exec_driver_sql',
  'sql',
  'read_sql',
  'read_sql_query',
  'fetch',
]);

/** Whether `call` could send SQL whose rows `fn` returns: a cheap test before extracting SQL. */
export function mayReturnSqlRows(fn: PyFunction, call: PyCall, source: string): boolean {
  if (!SQL_READS.has(call.method) && call.method !== 'text') return false;
  return returnsSqlRows(fn, call, source);
}

/**
 * Whether `fn` returns the rows a SQL sink call reads: the call's result (`return
 * con.execute(...).fetchall()`, `rows = db.execute(...)` then `return [... for r in rows]`), or its
 * cursor's rows (`cur.execute(...)` then `return cur.fetchall()`).
 */
export function returnsSqlRows(fn: PyFunction, call: PyCall, source: string): boolean {
  const result = resultOf(call);
  if (flowsToReturn(fn, result)) return true;
  const receiver = call.receiver?.type === 'identifier' ? call.receiver.text : '';
  if (!receiver || result !== call.node) return false;
  const fetch = `${receiver}.fetchall(`;
  return localFlow(fn).returned.some((range) =>
    source.slice(range.start, range.end).includes(fetch),
  );
}
