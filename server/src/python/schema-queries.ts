/**
 * The columns ORM queries filter and sort on, for index coverage checks: SQLAlchemy
 * `.filter(User.email == x)`, `.filter_by(email=x)`, `.where(...)`, `.order_by(User.created_at.desc())`
 * and Django `.filter(email=x)`, `.get(...)`, `.order_by("-created_at")`. Only predicates an ordinary
 * B-tree index can serve are recorded (equality, ranges, `IN`, `IS NULL`); `LIKE '%x%'`, `!=`,
 * `OR` and functions of a column would not use a plain index anyway.
 */
import type { Node } from 'web-tree-sitter';
import type { QueryColumnUse } from '../workspace/facts';
import { dottedName, type PyCall, type PyFunction, type PythonModel } from './model';
import { localFlow } from './local-flow';
import { isDjangoManagerName } from './knowledge';
import { argsOf, calledName, positionalArgs, stringValue } from './schema-args';

const QUERY_METHODS = new Set(['filter', 'filter_by', 'where', 'order_by', 'get']);
const INDEXABLE_OPERATORS = new Set(['==', '<', '>', '<=', '>=']);
const INDEXABLE_COLUMN_METHODS = new Set(['in_', 'is_', 'between']);
const SORT_METHODS = new Set([
  'desc',
  'asc',
  'nulls_last',
  'nulls_first',
  'nullslast',
  'nullsfirst',
]);
/** Django lookups a B-tree index on the field serves. */
const DJANGO_INDEXABLE_LOOKUPS = new Set([
  'exact',
  'in',
  'gt',
  'gte',
  'lt',
  'lte',
  'range',
  'isnull',
]);
/**
 * Django lookups and transforms of a field itself that no B-tree index serves: after one of these
 * the keyword names no column of a related row (`title__icontains`, `created__date`).
 */
const DJANGO_FIELD_LOOKUPS = new Set([
  'iexact',
  'contains',
  'icontains',
  'startswith',
  'istartswith',
  'endswith',
  'iendswith',
  'regex',
  'iregex',
  'search',
  'date',
  'time',
  'year',
  'iso_year',
  'quarter',
  'month',
  'week',
  'week_day',
  'iso_week_day',
  'day',
  'hour',
  'minute',
  'second',
  'has_key',
  'has_keys',
  'has_any_keys',
  'contained_by',
  'overlap',
  'len',
]);
/** Chain steps after which `filter_by` keywords refer to another entity. */
const JOINS = new Set(['join', 'outerjoin', 'join_from', 'select_from']);

interface Chain {
  /** Identifies the query: the offset of the chain's innermost expression. */
  queryId: number;
  /** The innermost expression when it is a name (`q` in `q.filter(...)`), else null. */
  head: Node | null;
  /** The queries a reassigned statement variable extends (`QueryColumnUse.bases`). */
  bases: number[];
  /** A `query(...)` or `select(...)` call starts the chain: a query of its own, extending none. */
  starts: boolean;
  /** The entity of `query(User)` / `select(User)` / `User.objects`, when known. */
  model?: string;
  django: boolean;
  /** A join sits between the head and this call, so `filter_by` keywords are ambiguous. */
  joined: boolean;
  /**
   * The attribute of an instance the chain starts from (`request_tasks` of
   * `pr.request_tasks.filter(...)`): a dynamic relationship's query when the models declare it.
   */
  instanceAttribute?: string;
}

/**
 * The name a bare identifier was imported under in its own module: `UserFollow` for the alias
 * `UserFollowModel` of `from app.models import UserFollow as UserFollowModel`. Names the file does
 * not import (local classes, parameters) stay as written; the index later decides which name is a
 * model, so an alias of a schema or an enum matches no table.
 */
function unaliased(name: string, imports: Map<string, string>): string {
  const imported = imports.get(name);
  return imported ? (imported.split('.').pop() ?? name) : name;
}

/** The class (or Core table variable) an entity argument names: `User`, `models.User`, `users`. */
function entityName(node: Node | undefined, imports: Map<string, string>): string | undefined {
  if (!node) return undefined;
  const name = dottedName(node);
  if (!name) return undefined;
  // Only a bare name can be an import alias: in `models.User` the class keeps its own name.
  return name.includes('.') ? name.split('.').pop() : unaliased(name, imports);
}

/**
 * Whether a node calls an SQL function (`func.count()`, `sa.func.sum(Order.total)`): its
 * `.filter(...)` is the aggregate's `FILTER (WHERE ...)`, which picks the rows counted, not the
 * rows the query reads, so no index serves it.
 */
function isSqlFunctionCall(node: Node | null): boolean {
  if (node?.type !== 'call') return false;
  return /(?:^|\.)func\.\w+$/.test(dottedName(node.childForFieldName('function')));
}

/** Walks a call's receiver chain down to its head. */
function chainOf(call: PyCall, imports: Map<string, string>): Chain {
  return chainFrom(call.receiver, call.node.startIndex, imports);
}

/** Walks a chain from `start` down to its head; `queryId` when `start` is null. */
function chainFrom(start: Node | null, queryId: number, imports: Map<string, string>): Chain {
  const chain: Chain = {
    queryId,
    head: null,
    bases: [],
    starts: false,
    django: false,
    joined: false,
  };
  let node: Node | null = start;
  while (node) {
    // `(select(T).where(...))`, a statement wrapped over several lines, is the same chain.
    while (node.type === 'parenthesized_expression' && node.firstNamedChild)
      node = node.firstNamedChild;
    chain.queryId = node.startIndex;
    const type = node.type;
    if (type === 'call') {
      const name = calledName(node);
      if (name === 'query' || name === 'select') {
        chain.starts = true;
        const args = argsOf(node);
        chain.model ??= entityName(args ? positionalArgs(args)[0] : undefined, imports);
      } else if (JOINS.has(name) && !chain.model) chain.joined = true;
      const fn: Node | null = node.childForFieldName('function');
      node = fn?.type === 'attribute' ? fn.childForFieldName('object') : fn;
    } else if (type === 'attribute') {
      const attribute = node.childForFieldName('attribute')?.text;
      const object = node.childForFieldName('object');
      // `pr.request_tasks.filter(...)`, `self.followed.filter(...)`: no query of its own.
      if (
        !chain.starts &&
        !chain.model &&
        object?.type === 'identifier' &&
        /^[a-z_]/.test(object.text)
      )
        chain.instanceAttribute ??= attribute;
      const owner = entityName(object ?? undefined, imports);
      if (isDjangoManagerName(attribute ?? '')) {
        chain.django = true;
        chain.model = owner;
      } else if (attribute === 'query' && owner && /^[A-Z]/.test(owner)) {
        chain.model ??= owner; // Flask-SQLAlchemy `User.query.filter_by(...)`
      }
      node = node.childForFieldName('object');
    } else {
      if (type === 'identifier') chain.head = node;
      break;
    }
  }
  return chain;
}

/** How many reassignments back a statement variable is followed (`q = q.where(...)` chains). */
const MAX_BASE_DEPTH = 6;

/**
 * The value a statement variable holds where `at` reads it: the nearest earlier assignment whose
 * block also holds `at`, so it always ran first. `q = q.where(...)` under an `if` is skipped by a
 * read after the `if`: that clause is applied only sometimes.
 */
function valueBefore(name: Node, at: number, fn: PyFunction): Node | undefined {
  const flow = localFlow(fn);
  if (flow.opaque.has(name.text)) return undefined;
  let found: Node | undefined;
  for (const value of flow.assignments.get(name.text) ?? []) {
    if (value.endIndex > at) break;
    const block = value.parent?.parent?.parent;
    if (value.parent?.type !== 'assignment' || !block) continue;
    if (block.startIndex <= at && at < block.endIndex) found = value;
  }
  return found;
}

/**
 * Links a chain on a reassigned statement variable to the queries it extends (`q.where(...)`
 * after `q = select(T).where(...)`). Its entity stays unknown: `filter_by` keywords and string
 * sorts on it are not read, since the base may filter in ways this reader skips (`or_`, `Q | Q`),
 * and such a clause would then be judged as if alone.
 */
function extendBase(
  chain: Chain,
  at: number,
  fn: PyFunction | undefined,
  imports: Map<string, string>,
): void {
  let head = chain.head;
  for (let depth = 0; head && fn && depth < MAX_BASE_DEPTH; depth++) {
    const value = valueBefore(head, at, fn);
    if (!value) return;
    const base = chainFrom(value, value.startIndex, imports);
    chain.bases.push(base.queryId);
    head = base.starts || base.model || base.django ? null : base.head;
    at = value.startIndex;
  }
}

/** `User.email` -> (User, email); `users.c.email` -> (users, email); else undefined. */
function columnRef(
  node: Node,
  imports: Map<string, string>,
): { model: string; column: string } | undefined {
  if (node.type !== 'attribute') return undefined;
  const parts = dottedName(node).split('.');
  const column = parts[parts.length - 1];
  // The entity sits at `parts.length - 3` in `users.c.email`, else just before the column.
  const at =
    parts.length >= 3 && parts[parts.length - 2] === 'c' ? parts.length - 3 : parts.length - 2;
  if (at < 0) return undefined;
  const written = parts[at];
  // Mapped classes are capitalised; `row.email` or `self.email` are values, not columns.
  if (at === parts.length - 2 && !/^[A-Z]/.test(written)) return undefined;
  // Only the head of the chain can be an import alias (`UserFollowModel.user_id`).
  const model = at === 0 ? unaliased(written, imports) : written;
  return { model, column };
}

/**
 * Whether `field__<lookup>__<more>` reads as equality on a column of a related row: the second
 * part is no lookup of the field itself (`ping_key`, not `gte`), followed by nothing or `exact`.
 * Whether `field` is a relation at all only the models tell (`tags__contains` is a lookup).
 */
function isRelatedEquality(lookup: string, more: readonly string[]): boolean {
  if (DJANGO_INDEXABLE_LOOKUPS.has(lookup) || DJANGO_FIELD_LOOKUPS.has(lookup) || lookup === 'id')
    return false;
  return more.length === 0 || (more.length === 1 && more[0] === 'exact');
}

class QueryColumnCollector {
  readonly uses: QueryColumnUse[] = [];

  constructor(private readonly imports: Map<string, string>) {}

  private add(
    model: string,
    column: string,
    role: QueryColumnUse['role'],
    node: Node,
    chain: Chain,
    viaRelation = false,
  ): void {
    this.uses.push({
      model,
      column,
      role,
      start: node.startIndex,
      end: node.endIndex,
      queryId: chain.queryId,
      ...(chain.bases.length > 0 ? { bases: chain.bases } : {}),
      ...(viaRelation ? { viaRelation } : {}),
      ...(chain.instanceAttribute && !chain.django && !chain.starts && !chain.model
        ? { instanceAttribute: chain.instanceAttribute }
        : {}),
    });
  }

  private addRef(node: Node, role: QueryColumnUse['role'], chain: Chain): void {
    const ref = columnRef(node, this.imports);
    if (ref) this.add(ref.model, ref.column, role, node, chain);
  }

  /** A SQLAlchemy filter expression. */
  private predicate(node: Node, chain: Chain): void {
    switch (node.type) {
      case 'parenthesized_expression':
        for (const child of node.namedChildren) if (child) this.predicate(child, chain);
        return;
      case 'comparison_operator': {
        const operators = node.children.filter((child) => child && !child.isNamed);
        if (!operators.every((op) => INDEXABLE_OPERATORS.has(op!.type))) return;
        for (const operand of node.namedChildren)
          if (operand) this.addRef(operand, 'filter', chain);
        return;
      }
      case 'binary_operator': {
        if (node.childForFieldName('operator')?.type !== '&') return;
        const left = node.childForFieldName('left');
        const right = node.childForFieldName('right');
        if (left) this.predicate(left, chain);
        if (right) this.predicate(right, chain);
        return;
      }
      case 'call': {
        const name = calledName(node);
        const args = argsOf(node);
        if (!args) return;
        if (name === 'and_') {
          for (const arg of positionalArgs(args)) this.predicate(arg, chain);
        } else if (name === 'Q' && chain.django) {
          this.djangoKeywords(args, chain);
        } else if (INDEXABLE_COLUMN_METHODS.has(name)) {
          const fn = node.childForFieldName('function');
          const object = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
          if (object) this.addRef(object, 'filter', chain);
        }
        return;
      }
    }
  }

  /** `.order_by(User.created_at.desc(), desc(User.id), "name")`. */
  private sortKey(node: Node, chain: Chain): void {
    if (node.type === 'attribute') {
      this.addRef(node, 'sort', chain);
      return;
    }
    const text = stringValue(node);
    if (text !== undefined) {
      const column = text.replace(/^-/, '');
      if (chain.model && /^\w+$/.test(column) && !(chain.django && column.includes('__')))
        this.add(chain.model, column, 'sort', node, chain);
      return;
    }
    if (node.type !== 'call') return;
    const name = calledName(node);
    if (!SORT_METHODS.has(name)) return;
    const fn = node.childForFieldName('function');
    const args = argsOf(node);
    const target =
      fn?.type === 'attribute'
        ? fn.childForFieldName('object')
        : args
          ? positionalArgs(args)[0]
          : undefined;
    if (target) this.addRef(target, 'sort', chain);
  }

  /**
   * Django `field=value` / `field__lookup=value` keywords. A join with equality on one column of
   * the related row (`project__ping_key=k`) is kept as a use of `field` through the relation
   * (`QueryColumnUse.viaRelation`); other joins (`author__name__icontains`) are skipped.
   */
  private djangoKeywords(args: Node, chain: Chain): void {
    if (!chain.model) return;
    for (const child of args.namedChildren) {
      if (child?.type !== 'keyword_argument') continue;
      const name = child.childForFieldName('name');
      if (!name) continue;
      const [field, lookup, ...more] = name.text.split('__');
      if (lookup !== undefined && isRelatedEquality(lookup, more)) {
        this.add(chain.model, field, 'filter', name, chain, true);
        continue;
      }
      if (more.length > 0) continue;
      if (lookup !== undefined && !DJANGO_INDEXABLE_LOOKUPS.has(lookup) && lookup !== 'id')
        continue;
      // `field__isnull=False` keeps every row with a value, as `!=` does (and as SQLAlchemy's
      // `.isnot(None)`, which is not read either): no index serves it.
      if (lookup === 'isnull' && child.childForFieldName('value')?.text === 'False') continue;
      // `pk` stays as written: the rule reads it as the model's primary key.
      this.add(chain.model, field, 'filter', name, chain);
    }
  }

  read(call: PyCall): void {
    if (!QUERY_METHODS.has(call.method) || !call.hasReceiver) return;
    if (call.method === 'filter' && isSqlFunctionCall(call.receiver)) return;
    const chain = chainOf(call, this.imports);
    if (call.method === 'get' && !chain.django) return;
    // `q = q.where(...)`: a clause added to a statement built earlier in the function.
    if (chain.head && !chain.starts && !chain.model && !chain.django)
      extendBase(chain, call.start, call.fn, this.imports);
    const args = call.args;
    if (call.method === 'order_by') {
      for (const arg of positionalArgs(args)) this.sortKey(arg, chain);
      return;
    }
    if (chain.django) {
      this.djangoKeywords(args, chain);
      for (const arg of positionalArgs(args)) this.predicate(arg, chain);
      return;
    }
    if (call.method === 'filter_by') {
      if (!chain.model || chain.joined) return;
      for (const child of args.namedChildren) {
        const name = child?.type === 'keyword_argument' ? child.childForFieldName('name') : null;
        if (name) this.add(chain.model, name.text, 'filter', name, chain);
      }
      return;
    }
    for (const arg of positionalArgs(args)) this.predicate(arg, chain);
  }
}

/** Columns used in `filter`, `filter_by`, `where`, `get` and `order_by` calls of ORM queries. */
export function extractQueryColumns(model: PythonModel): QueryColumnUse[] {
  const collector = new QueryColumnCollector(model.imports);
  for (const call of model.calls) collector.read(call);
  return collector.uses;
}
