/**
 * Unbounded reads of the async ORMs Tortoise and Beanie: an awaited queryset of a model class with
 * no bound (`await Book.filter(...)`, `await Book.all()`), and a Beanie find read whole
 * (`await Product.find(...).to_list()`). Whether the class is such a model is the workspace
 * index's knowledge (`async-orm-models.ts`), so these reads are found per rule run, beside the
 * file's cached SQLAlchemy and Django reads (`orm.ts`).
 */
import type { Node } from 'web-tree-sitter';
import { asyncOrmOfClassName, type AsyncOrm, type OrmOfClass } from './async-orm-models';
import type { PyCall, PythonModel } from './model';
import {
  chainBounds,
  hasKeyName,
  listColumnOf,
  quote,
  readChainIn,
  type Bounds,
  type ChainLink,
  type OrmRead,
} from './orm';
import { isTenantName, type OneParentRead } from './orm-keys';
import { chainTop, positionalArgumentNodes } from './scope-analysis';
import { TORTOISE_MANY_ROW_STARTS } from './tortoise-orm';

/** Text every such read contains: an awaited class query that may return many rows. */
const READ_MARKER =
  /\bawait\s+\(?\s*[A-Z]\w*\s*\.\s*(?:all|filter|exclude|annotate|find|find_all|find_many)\s*\(/;

/**
 * Tortoise queryset methods that keep it a queryset of many rows. Any other link (`limit`,
 * `first`, `get`, `count`, `exists`, `update`, `delete`, or one not known) leaves the read alone.
 */
const TORTOISE_MANY_ROWS = new Set([
  'all',
  'filter',
  'exclude',
  'annotate',
  'order_by',
  'distinct',
  'prefetch_related',
  'select_related',
  'only',
  'values',
  'values_list',
  'group_by',
  'using_db',
  'offset',
]);
/** Tortoise filters: keyword lookups (`id=...`, `author_id__in=ids`). */
const TORTOISE_FILTERS: ReadonlySet<string> = new Set(['filter', 'get', 'get_or_none']);

/** Beanie document class methods that start a find of many documents. */
const BEANIE_STARTS = new Set(['find', 'find_many', 'find_all', 'all']);
/** Beanie `FindMany` methods that keep it a find of many documents (before `to_list()`). */
const BEANIE_MANY_DOCUMENTS = new Set(['find', 'find_many', 'sort', 'skip', 'project']);
/** Keyword options of Beanie's `find(...)`: never a filter on a field. */
const BEANIE_OPTIONS = new Set([
  'skip',
  'limit',
  'sort',
  'projection_model',
  'fetch_links',
  'session',
  'ignore_cache',
  'with_children',
  'lazy_parse',
  'nesting_depth',
  'nesting_depths_per_field',
]);
/** Beanie filters: `Product.id == x` comparisons, `In(Product.id, ids)`. */
const BEANIE_FILTERS: ReadonlySet<string> = new Set(['find', 'find_many']);

/** The expression an awaited chain headed by `call` ends in: `Book.filter(...).order_by(...)`. */
function awaitedChainEnd(call: PyCall): Node | undefined {
  const top = chainTop(call.node);
  return top.parent?.type === 'await' ? top : undefined;
}
/** Every unbounded Tortoise or Beanie read of the file, in source order. */
export function asyncOrmReads(model: PythonModel, ormOf: OrmOfClass): OrmRead[] {
  if (!READ_MARKER.test(model.source)) return [];
  const found: OrmRead[] = [];
  for (const call of model.calls) {
    if (!TORTOISE_MANY_ROW_STARTS.has(call.method) && !BEANIE_STARTS.has(call.method)) continue;
    const dot = call.callee.indexOf('.');
    if (dot <= 0 || call.callee.includes('.', dot + 1) || !/^[A-Z]/.test(call.callee)) continue;
    const end = awaitedChainEnd(call);
    if (!end) continue;
    const head = call.callee.slice(0, dot);
    const orm = asyncOrmOfClassName(head, call.fn, model, ormOf);
    if (!orm) continue;
    const read = readOf(orm, end, call, model);
    if (read) found.push(read);
  }
  return found;
}

function readOf(orm: AsyncOrm, end: Node, call: PyCall, model: PythonModel): OrmRead | undefined {
  // The chain from the class's call on: `Book.filter(...).order_by(...)`.
  const links = readChainIn(end, model).links;
  const base = {
    fn: call.fn,
    head: quote(call.node, call.node.startIndex, model.source),
    models: [call.callee.slice(0, call.callee.indexOf('.'))],
  };
  if (orm === 'tortoise') {
    if (!TORTOISE_MANY_ROW_STARTS.has(call.method)) return undefined;
    if (!links.every((link) => link.kind === 'call' && TORTOISE_MANY_ROWS.has(link.name)))
      return undefined;
    const bounds = chainBounds(links, TORTOISE_FILTERS);
    if (bounds.bounded) return undefined;
    // `await Book.filter(...)` runs the queryset: `.limit(n)` goes at its end.
    return {
      kind: 'tortoise',
      node: end,
      bound: { at: end.endIndex, style: 'limit' },
      ...base,
      ...columns(bounds),
    };
  }
  if (!BEANIE_STARTS.has(call.method)) return undefined;
  const last = links[links.length - 1];
  if (last?.kind !== 'call' || last.name !== 'to_list' || hasLength(last)) return undefined;
  const find = links.slice(0, -1);
  const more = find.slice(1);
  if (!more.every((link) => link.kind === 'call' && BEANIE_MANY_DOCUMENTS.has(link.name)))
    return undefined;
  // `find(..., limit=20)`: the find's own options bound it; its filters are never keywords.
  if (find.some((link) => link.kind === 'call' && keywordValue(link, 'limit'))) return undefined;
  const bounds = chainBounds(find, BEANIE_FILTERS);
  bounds.equalityColumns = bounds.equalityColumns.filter((name) => !BEANIE_OPTIONS.has(name));
  if (!bounds.bounded) beanieListBounds(find, bounds);
  if (bounds.bounded) return undefined;
  // `.limit(n)` goes on the find, before `.to_list()`.
  const findEnd = find[find.length - 1].node.endIndex;
  return {
    kind: 'beanie',
    node: end,
    bound: { at: findEnd, style: 'limit' },
    ...base,
    ...columns(bounds),
  };
}

function columns(bounds: Bounds): Pick<OrmRead, 'equalityColumns' | 'nullColumns' | 'listMatches'> {
  return {
    equalityColumns: bounds.equalityColumns,
    nullColumns: bounds.nullColumns,
    listMatches: bounds.listMatches,
  };
}

/** `to_list(20)`, `to_list(length=20)`: the list is cut at that many documents. */
function hasLength(link: ChainLink): boolean {
  const [first] = link.args ? positionalArgumentNodes(link.args) : [];
  return first ? first.type !== 'none' : keywordValue(link, 'length');
}

/** Whether a call link passes `name=` a value other than `None`. */
function keywordValue(link: ChainLink, name: string): boolean {
  for (const arg of link.args?.namedChildren ?? []) {
    if (arg?.type !== 'keyword_argument' || arg.childForFieldName('name')?.text !== name) continue;
    return arg.childForFieldName('value')?.type !== 'none';
  }
  return false;
}

/**
 * Beanie's list operator in a find's filters, `In(Product.id, ids)`: a list of keys bounds the
 * read by its names; another column is a list match that the key checks judge (`readsByKey`).
 */
function beanieListBounds(links: readonly ChainLink[], into: Bounds): void {
  for (const link of links) {
    if (!BEANIE_FILTERS.has(link.name) || !link.args) continue;
    for (const arg of positionalArgumentNodes(link.args)) {
      if (arg.type !== 'call' || arg.childForFieldName('function')?.text !== 'In') continue;
      const [field] = positionalArgumentNodes(arg.childForFieldName('arguments') ?? arg);
      const column = field ? listColumnOf(field) : undefined;
      if (!column || hasKeyName(column)) {
        into.bounded = true;
        return;
      }
      into.listMatches.push({ columns: [column] });
    }
  }
}

/**
 * The rows of one parent a Tortoise or Beanie read loads, by the names of its `==` filters:
 * `filter(author_id=a)`, `Review.product_id == p`. The index holds no tables for these models, so
 * a column named as a reference to another row (`*_id`) stands for the foreign key.
 */
export function asyncRowsOfOneParent(read: OrmRead): OneParentRead | undefined {
  if (read.kind !== 'tortoise' && read.kind !== 'beanie') return undefined;
  const parents = read.equalityColumns
    .filter((column) => !read.nullColumns.includes(column) && /^[a-z]\w*_id$/.test(column))
    .map((column) => column.slice(0, -'_id'.length));
  // The steps of one task stay the rows of one task when the tenant key is checked beside it.
  const parent = parents.find((name) => !isTenantName(name)) ?? parents[0];
  if (parent === undefined) return undefined;
  return { table: read.models[0] ?? '', parent };
}
