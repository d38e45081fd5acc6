/**
 * The fields Prisma queries filter and sort on (`where`, `orderBy`), recorded as query column uses
 * for the index coverage checks: `prisma.order.findMany({ where: { status }, orderBy: { createdAt:
 * 'desc' } })` uses `Order.status` as a filter and `Order.createdAt` as a sort.
 *
 * Only what an ordinary B-tree index serves is recorded. Left out, deliberately:
 * - `findUnique` / `update` / `delete` / `upsert`: their `where` is a unique lookup.
 * - `OR` / `NOT` branches: an index helps an `OR` only when every branch has one, which is beyond a
 *   per-field count; `NOT` / `not` / `notIn` match most rows.
 * - `contains`, `endsWith`, `search`, `has*`, and `startsWith`: `LIKE '%x%'` cannot use a B-tree,
 *   and `LIKE 'x%'` uses one only under the C collation in PostgreSQL (and never case-insensitively).
 * - `mode: 'insensitive'`: compares `lower(column)` (or `ILIKE`), which a plain index does not serve.
 * - `IS NULL` tests (`deletedAt: null`): soft-delete and optional-field filters match most rows,
 *   where an index does not help (a partial index would, which Prisma cannot declare).
 * - JSON path filters (`{ path: ['plan'], equals: 'pro' }`): they need an expression or GIN index.
 * - Relation sorts (`orderBy: { author: { name: 'asc' } }`) and aggregate sorts (`_count`,
 *   `_relevance`), and negated relation filters (`isNot`, `every`, `none`), which match most rows.
 *
 * Filters through a relation (`author: { id }`, `author: { is: { name } }`, `posts: { some: ... }`)
 * are recorded with what they compare (`relation`): only the schema tells a relation field from a
 * scalar one, and whether `{ id }` names the key the relation's own fields hold.
 * - Filters inside `include` / `select` of a relation: they query another model by its foreign key.
 * - Queries whose `where` is partly hidden: a spread of an object it cannot see
 *   (`{ ...ownerScope, deletedAt: null }`), an `AND` branch, a `where` or arguments built elsewhere,
 *   or a `const` object changed afterwards other than field by field (`where.status = s` is read,
 *   see `filled-in-filters.ts`; its sort is left out). The hidden part may hold the indexed field that
 *   drives the query, so neither the visible filters nor the sort say what the database reads.
 * - Tests, seeds, scripts and migrations: they run once, not per request, so their queries do not
 *   make an index worth its cost on every write.
 *
 * Queries on a client only workspace classes declare (`this.repo.model.user.findMany()`, see
 * `prisma-clients.ts`) are recorded with what holds it; the index confirms it when rules read them.
 */
import type { HeldClientFact, QueryColumnUse } from '../workspace/facts';
import { ts } from './compiler';
import { isScriptOrTestPath, modelOfDelegate, prismaQuery } from './knowledge';
import { filledInFields, type FilledInFilter } from './filled-in-filters';
import { accessRoot, chainText, unwrap, type TsModel } from './model';
import { isAssignment } from './name-resolution';

/** Operations whose `where` is a plain filter (not a unique lookup) and which may sort. */
const FILTERING_OPERATIONS = new Set([
  'findMany',
  'findFirst',
  'findFirstOrThrow',
  'count',
  'aggregate',
  'groupBy',
  'updateMany',
  'updateManyAndReturn',
  'deleteMany',
]);

/** Operations that return one row: the first in sort order. */
const FIRST_ROW_OPERATIONS = new Set(['findFirst', 'findFirstOrThrow']);

/** Filter operators a B-tree index on the field serves; `equals` alone picks one value. */
const INDEXABLE_OPERATORS = new Set(['equals', 'in', 'lt', 'lte', 'gt', 'gte']);
/** Comparisons by order: a B-tree serves them, a hash index does not. */
const ORDER_OPERATORS = new Set(['lt', 'lte', 'gt', 'gte']);
/** Keys of a scalar field's filter object: any of them makes it one, not a relation filter. */
const SCALAR_FILTER_KEYS = new Set([
  ...INDEXABLE_OPERATORS,
  'notIn',
  'not',
  'contains',
  'startsWith',
  'endsWith',
  'search',
  'mode',
  'path',
  'has',
  'hasEvery',
  'hasSome',
  'isEmpty',
  'isSet',
  'string_contains',
  'string_starts_with',
  'string_ends_with',
  'array_contains',
  'array_starts_with',
  'array_ends_with',
]);
/** Relation filters that match the rows with no related row like it: no index drives them. */
const NEGATED_RELATION_KEYS = new Set(['isNot', 'every', 'none']);
/** Keys of a scalar field's sort object: `{ createdAt: { sort: 'desc', nulls: 'last' } }`. */
const SORT_OPTION_KEYS = new Set(['sort', 'nulls']);

function keyText(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name))
    return name.text;
  return undefined;
}

interface Entry {
  key: string;
  /** The property name as written (the whole property for shorthand `{ status }`). */
  node: ts.Node;
  value: ts.Expression;
}

/** The named properties of an object literal, in source order (spreads and methods skipped). */
function entries(object: ts.ObjectLiteralExpression): Entry[] {
  const result: Entry[] = [];
  for (const property of object.properties) {
    if (ts.isPropertyAssignment(property)) {
      const key = keyText(property.name);
      if (key !== undefined)
        result.push({ key, node: property.name, value: unwrap(property.initializer) });
    } else if (ts.isShorthandPropertyAssignment(property))
      result.push({ key: property.name.text, node: property.name, value: property.name });
  }
  return result;
}

/**
 * A `const` in an enclosing block or the module, declared before `from`, with that name, and the
 * block that declares it.
 */
function constDeclaration(
  name: string,
  from: ts.Node,
): { declaration: ts.VariableDeclaration; scope: ts.Node } | undefined {
  for (let scope = from.parent; scope; scope = scope.parent) {
    if (!ts.isBlock(scope) && !ts.isSourceFile(scope) && !ts.isModuleBlock(scope)) continue;
    for (const statement of scope.statements) {
      // Declared before: the statement ends before the use. A `const` named in its own
      // initializer (`const where = { AND: [where] }`, mid-edit) would make the walk loop.
      if (statement.end > from.pos) break;
      if (!ts.isVariableStatement(statement)) continue;
      if (!(statement.declarationList.flags & ts.NodeFlags.Const)) continue;
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name) && declaration.name.text === name)
          return { declaration, scope };
    }
  }
  return undefined;
}

function isNamed(node: ts.Expression | undefined, name: string): boolean {
  const inner = node && unwrap(node);
  return !!inner && ts.isIdentifier(inner) && inner.text === name;
}

/**
 * Whether code in `scope` fills in the object `name` holds: `where.status = s`,
 * `where[key] = v`, `delete where.x`, `Object.assign(where, extra)`. Then the literal shows only a
 * part of the filter (`const where: Prisma.OrderWhereInput = {}; if (s) where.status = s;`).
 */
function filledInLater(name: string, scope: ts.Node): boolean {
  let answers = filledIn.get(scope);
  if (!answers) filledIn.set(scope, (answers = new Map()));
  let answer = answers.get(name);
  if (answer === undefined) answers.set(name, (answer = findFilledIn(name, scope)));
  return answer;
}

/**
 * `filledInLater`'s answers by scope and name: every query that uses a module-level `const`
 * asks again, and each answer walks the whole scope.
 */
const filledIn = new WeakMap<ts.Node, Map<string, boolean>>();

function findFilledIn(name: string, scope: ts.Node): boolean {
  const names = (node: ts.Expression): boolean => {
    const root = accessRoot(node);
    return root !== unwrap(node) && ts.isIdentifier(root) && root.text === name;
  };
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      (isAssignment(node) && names(node.left)) ||
      (ts.isDeleteExpression(node) && names(node.expression)) ||
      (ts.isCallExpression(node) &&
        chainText(node.expression) === 'Object.assign' &&
        isNamed(node.arguments[0], name)) ||
      // A method called on a field (`where.AND.push({ OR: [...] })`) may add filters to it.
      (ts.isCallExpression(node) &&
        ts.isPropertyAccessExpression(node.expression) &&
        names(node.expression.expression))
    )
      found = true;
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(scope, visit);
  return found;
}

/**
 * The object literal an expression is, directly or through a `const` declared before it
 * (`const where = { status }; prisma.order.findMany({ where })`) that no code fills in later.
 */
function objectLiteral(node: ts.Expression | undefined): ts.ObjectLiteralExpression | undefined {
  if (!node) return undefined;
  const inner = unwrap(node);
  if (ts.isObjectLiteralExpression(inner)) return inner;
  if (!ts.isIdentifier(inner)) return undefined;
  const found = constDeclaration(inner.text, inner);
  const initializer = found?.declaration.initializer;
  if (!initializer) return undefined;
  const value = unwrap(initializer);
  if (!ts.isObjectLiteralExpression(value) || filledInLater(inner.text, found.scope))
    return undefined;
  return value;
}

/**
 * The filter a `const` declared before the query holds when code fills it in field by field
 * (`const where: Prisma.OrderWhereInput = {}; if (s) where.status = s;`), see `filledInFields`.
 */
function filledInWhere(node: ts.Expression): FilledInFilter | undefined {
  const inner = unwrap(node);
  if (!ts.isIdentifier(inner)) return undefined;
  const found = constDeclaration(inner.text, inner);
  return found && filledInFields(found.declaration, found.scope, inner);
}

type FilterKind = 'equality' | 'in' | 'range' | undefined;

/** How a field's filter value compares, when an index on the field serves it. */
function filterKind(value: ts.Expression): FilterKind {
  if (ts.isIdentifier(value) && value.text === 'undefined') return undefined; // Prisma drops it
  if (value.kind === ts.SyntaxKind.NullKeyword) return undefined;
  if (!ts.isObjectLiteralExpression(value)) return 'equality';
  const fields = entries(value);
  const keys = fields.map((entry) => entry.key);
  const equals = fields.find((entry) => entry.key === 'equals');
  if (keys.length === 1 && equals?.value.kind === ts.SyntaxKind.NullKeyword) return undefined;
  if (keys.includes('mode')) return undefined; // `mode: 'insensitive'` compares lower(field)
  if (keys.includes('path')) return undefined; // a JSON path: `{ path: ['plan'], equals: 'pro' }`
  const indexable = keys.filter((key) => INDEXABLE_OPERATORS.has(key));
  // No operator at all: a relation filter (`{ is: ... }`, `{ some: ... }`) or a nested field filter.
  if (indexable.length === 0) return undefined;
  if (indexable.some((key) => ORDER_OPERATORS.has(key))) return 'range';
  return indexable.includes('in') ? 'in' : 'equality';
}

const isNullLiteral = (node: ts.Expression): boolean => node.kind === ts.SyntaxKind.NullKeyword;

/**
 * What a filter that may go through a relation compares: `{ keys }` when it only compares fields
 * of the related row by equality (`{ id: userId }`, `{ is: { id: userId } }`), `{}` for any other
 * test of the related rows (`{ groupId }`, `{ some: ... }`, a spread), and undefined when the value
 * is a scalar filter, an `IS NULL` test (`{ is: null }`) or only negated (`isNot`, `every`, `none`).
 */
function relationFilter(value: ts.Expression): QueryColumnUse['relation'] {
  if (!ts.isObjectLiteralExpression(value)) return undefined;
  const all = entries(value);
  if (all.some((entry) => SCALAR_FILTER_KEYS.has(entry.key))) return undefined;
  const hasSpread = value.properties.some(ts.isSpreadAssignment);
  const tests = all.filter(
    (entry) =>
      !NEGATED_RELATION_KEYS.has(entry.key) &&
      !(entry.key === 'is' && isNullLiteral(entry.value)) &&
      !isNamed(entry.value, 'undefined'),
  );
  if (tests.length === 0) return hasSpread ? {} : undefined;
  const [only] = tests;
  if (!hasSpread && tests.length === 1 && only.key === 'is')
    return ts.isObjectLiteralExpression(only.value) ? equalityKeys(only.value) : {};
  if (hasSpread || tests.some((entry) => entry.key === 'is' || entry.key === 'some')) return {};
  return equalityKeys(value);
}

/** `{ keys }` when every property compares a field by equality (`{ id, tenantId: t }`), else `{}`. */
function equalityKeys(object: ts.ObjectLiteralExpression): { keys?: string[] } {
  const fields = entries(object);
  const plain =
    fields.length > 0 &&
    fields.length === object.properties.length &&
    fields.every((entry) => filterKind(entry.value) === 'equality');
  return plain ? { keys: fields.map((entry) => entry.key) } : {};
}

interface Collector {
  sourceFile: ts.SourceFile;
  model: string;
  queryId: number;
  uses: QueryColumnUse[];
}

function record(
  collector: Collector,
  entry: Entry,
  role: QueryColumnUse['role'],
  details: Pick<QueryColumnUse, 'equality' | 'range' | 'bounded' | 'relation'> = {},
): void {
  collector.uses.push({
    model: collector.model,
    column: entry.key,
    role,
    start: entry.node.getStart(collector.sourceFile),
    end: entry.node.end,
    queryId: collector.queryId,
    ...details,
  });
}

/**
 * Records the fields of a `where` object: top-level fields, those of `AND` (an object or a list of
 * them), and those of spread `const` objects. Returns false when part of the filter is hidden: a
 * spread or an `AND` branch it cannot see into (`...ownerScope`, `AND: [scope, { status }]`).
 */
function collectFilters(collector: Collector, where: ts.ObjectLiteralExpression): boolean {
  let complete = true;
  for (const property of where.properties) {
    if (!ts.isSpreadAssignment(property)) continue;
    const object = objectLiteral(property.expression);
    if (!object || !collectFilters(collector, object)) complete = false;
  }
  for (const entry of entries(where)) if (!collectEntry(collector, entry)) complete = false;
  return complete;
}

/**
 * Records one field of a `where` (`status: 'PAID'`, `where.status = s`); false when it is an `AND`
 * with a branch it cannot see into.
 */
function collectEntry(collector: Collector, entry: Entry): boolean {
  if (entry.key === 'AND') {
    let complete = true;
    const branches = ts.isArrayLiteralExpression(entry.value)
      ? entry.value.elements
      : [entry.value];
    for (const branch of branches) {
      const object = ts.isSpreadElement(branch) ? undefined : objectLiteral(branch);
      if (!object || !collectFilters(collector, object)) complete = false;
    }
    return complete;
  }
  if (entry.key === 'OR' || entry.key === 'NOT') return true;
  const relation = relationFilter(entry.value);
  if (relation) {
    record(collector, entry, 'filter', { relation });
    return true;
  }
  const kind = filterKind(entry.value);
  if (kind)
    record(collector, entry, 'filter', {
      equality: kind === 'equality',
      ...(kind === 'range' ? { range: true } : {}),
    });
  return true;
}

/**
 * The leading sort field: the first key of the `orderBy` object, or of its first element when it is
 * a list. Later keys only break ties, so an index on the leading one already returns rows in order.
 */
function collectSort(collector: Collector, orderBy: ts.Expression, bounded: boolean): void {
  const first = ts.isArrayLiteralExpression(orderBy) ? orderBy.elements[0] : orderBy;
  const object = objectLiteral(first);
  if (!object) return;
  const [entry] = entries(object);
  if (!entry || entry.key.startsWith('_')) return;
  const value = entry.value;
  if (ts.isObjectLiteralExpression(value)) {
    // `{ author: { name: 'asc' } }` sorts by a relation's field.
    const keys = entries(value).map((option) => option.key);
    if (keys.length === 0 || !keys.every((key) => SORT_OPTION_KEYS.has(key))) return;
  }
  record(collector, entry, 'sort', { bounded });
}

/**
 * Whether a query returns a bounded number of rows: it has `take` or a `cursor`, or returns the
 * first row. A spread of the arguments may carry `take` (`{ ...page, orderBy }`).
 */
function isBounded(operation: string, args: ts.ObjectLiteralExpression): boolean {
  if (FIRST_ROW_OPERATIONS.has(operation)) return true;
  return args.properties.some(
    (property) =>
      ts.isSpreadAssignment(property) ||
      ((ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) &&
        (keyText(property.name) === 'take' || keyText(property.name) === 'cursor')),
  );
}

/**
 * Records the filters and the sort of one query. Nothing when its `where` is partly hidden (a
 * spread, an `AND` branch or a `where` built elsewhere, or arguments that spread another object and
 * write no `where`): the hidden filter may be the one an index serves, and then the query neither
 * scans nor sorts the whole table.
 */
function collectQuery(
  collector: Collector,
  operation: string,
  args: ts.ObjectLiteralExpression,
): void {
  const query: Collector = { ...collector, uses: [] };
  const fields = entries(args);
  const where = fields.find((entry) => entry.key === 'where');
  let filledIn = false;
  if (where) {
    const object = objectLiteral(where.value);
    if (object) {
      if (!collectFilters(query, object)) return;
    } else {
      const built = filledInWhere(where.value);
      if (!built || !collectFilters(query, built.literal)) return;
      for (const entry of built.fields) collectEntry(query, entry);
      filledIn = true;
    }
  } else if (args.properties.some(ts.isSpreadAssignment)) return;
  // A `groupBy`'s `orderBy` sorts the groups it returns, not the table's rows: no index serves it.
  // A filter filled in field by field may hold any part of them: which filter the sort pairs
  // with, no one combination says.
  const orderBy =
    operation === 'groupBy' || filledIn ? undefined : fields.find((e) => e.key === 'orderBy');
  if (orderBy) collectSort(query, orderBy.value, isBounded(operation, args));
  collector.uses.push(...query.uses);
}

/**
 * The columns every Prisma query of a file filters and sorts on, one query id per call. `heldClient`
 * says what may hold a client that workspace classes declare (`this.repo.model`): those queries'
 * uses carry it, for the index to confirm (`QueryColumnUse.prismaClient`).
 */
export function prismaQueryColumns(
  model: TsModel,
  heldClient?: (client: ts.Expression) => HeldClientFact | undefined,
): QueryColumnUse[] {
  const uses: QueryColumnUse[] = [];
  if (isScriptOrTestPath(model.relativePath)) return uses;
  const holders = heldClient && { holdsPrismaClient: (c: ts.Expression) => !!heldClient(c) };
  for (const call of model.calls) {
    if (!FILTERING_OPERATIONS.has(call.name)) continue;
    const query = prismaQuery(model, call, holders);
    if (!query || !query.delegate) continue;
    const args = objectLiteral(call.args[0]);
    if (!args) continue;
    const prismaClient = query.held && heldClient?.(query.held);
    const collector: Collector = {
      sourceFile: model.sourceFile,
      model: modelOfDelegate(query.delegate),
      queryId: call.start,
      uses: [],
    };
    collectQuery(collector, call.name, args);
    for (const use of collector.uses) uses.push(prismaClient ? { ...use, prismaClient } : use);
  }
  return uses;
}
