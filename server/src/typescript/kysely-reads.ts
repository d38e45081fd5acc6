/**
 * Kysely reads that load every row their conditions match, for `orm-find-without-limit`:
 * `db.selectFrom('asset').selectAll().where('ownerId', '=', id).execute()` with no `.limit()`.
 * Only what the code shows counts: a builder that comes from a helper, or is handed to one, may be
 * bounded there, so it is left alone.
 */
import { ts } from './compiler';
import { returnedExpression } from './function-values';
import { callsChainedOn, unwrap, type TsCall } from './model';
import { declarationOf, localVariableOf, referencesTo } from './name-resolution';

/** A Kysely read with no bound, as the rule reports and fixes it. */
export interface KyselyRead {
  /** The `selectFrom(...)` call the builder starts at: `this.db.selectFrom('asset')`. */
  root: ts.CallExpression;
  /** The table read, when written as a string: `asset` for `selectFrom('asset as a')`. */
  table?: string;
  /** The name `execute` of the `.execute()` that runs the read: the bound goes before it. */
  run: ts.MemberName;
}

/** Methods that bound the rows: `.limit(n)`, and MSSQL's `.top(n)` and `.fetch(n)`. */
const BOUNDS = new Set(['limit', 'top', 'fetch']);

/**
 * Methods that hand the builder to a callback and go on with what it returns, by the callback's
 * argument position: `.$if(cond, (qb) => qb.where(...))`, `.$call((qb) => qb.where(...))`.
 */
const BUILDER_CALLBACKS = new Map([
  ['$if', 1],
  ['$call', 0],
]);

/** Methods that run a builder: a chain on a builder variable that ends in one leaves it as it is. */
const RUNS = /^(?:execute(?:TakeFirst(?:OrThrow)?)?|stream|compile|explain)$/;

/** Kysely's aggregate functions: `eb.fn.countAll()`, `fn.sum('amount')`, `eb.fn.agg('array_agg')`. */
const AGGREGATE_FUNCTIONS = /^(?:count|countAll|sum|avg|min|max|agg|jsonAgg)$/;
/** An SQL aggregate at the start of a `sql` template: `sql<number>\`count(*)\``. */
const SQL_AGGREGATE = /^\s*(?:count|sum|avg|min|max|array_agg|jsonb?_agg|string_agg)\s*\(/i;

/** The calls of a builder, from `selectFrom(...)` to the read. */
interface Chain {
  root: ts.CallExpression;
  /** Every call that shapes the query the read runs (in visible `$if`/`$call` callbacks too). */
  calls: ts.CallExpression[];
  /** The calls that apply each time: not in a `$if`, not added to a variable by a later statement. */
  always: ts.CallExpression[];
}

function methodOf(call: ts.CallExpression): string {
  return ts.isPropertyAccessExpression(call.expression) ? call.expression.name.text : '';
}

/**
 * `db.selectFrom(t)...execute()` with no `.limit()` anywhere in the chain, no condition pinning the
 * key, and not only aggregates selected; undefined for anything else.
 */
export function unboundedKyselyRead(call: TsCall): KyselyRead | undefined {
  const node = call.node;
  if (call.name !== 'execute' || call.args.length > 0 || !call.receiver) return undefined;
  if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression))
    return undefined;
  const chain = chainOf(call.receiver, node);
  if (!chain) return undefined;
  const calls = withCallbacks(chain.calls);
  if (!calls || calls.some((each) => BOUNDS.has(methodOf(each)))) return undefined;
  const [from] = chain.root.arguments;
  const [table, alias] =
    from && ts.isStringLiteralLike(from) ? from.text.trim().split(/\s+as\s+/i) : [];
  if (
    pinsKey(chain.always, [table, alias]) ||
    pinsLinkPair(chain.always, table, alias) ||
    selectsOnlyAggregates(calls)
  )
    return undefined;
  return { root: chain.root, table, run: node.expression.name };
}

/**
 * The calls from `selectFrom(...)` down to `expression`, or, for a builder variable, also the calls
 * assigned back to it in its function (`query = query.where(...)`). Undefined when the builder
 * comes from elsewhere (a parameter, a helper such as `this.baseQuery()`) or is handed on.
 */
function chainOf(expression: ts.Expression, read: ts.CallExpression): Chain | undefined {
  const calls: ts.CallExpression[] = [];
  let node = unwrap(expression);
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    if (node.expression.name.text === 'selectFrom') return { root: node, calls, always: calls };
    calls.push(node);
    node = unwrap(node.expression.expression);
  }
  if (!ts.isIdentifier(node)) return undefined;
  const variable = variableChain(node, read);
  return (
    variable && {
      root: variable.root,
      calls: [...calls, ...variable.calls],
      always: [...calls, ...variable.always],
    }
  );
}

/**
 * `query` of `let query = db.selectFrom('asset').selectAll(); if (q) query = query.where(...);
 * return query.execute()`. Kysely builders are immutable, so only chains assigned back to the
 * variable change it; one that runs the builder (`query.select(count).executeTakeFirst()`) or is a
 * statement of its own leaves it as it is. Any other use hands the builder on: undefined.
 */
function variableChain(id: ts.Identifier, read: ts.CallExpression): Chain | undefined {
  const variable = localVariableOf(id);
  if (!variable) return undefined;
  const { declaration, holder, scope } = variable;
  const initial = chainOf(holder.initializer, read);
  if (!initial) return undefined;
  const calls = [...initial.calls];
  for (const reference of referencesTo(scope, declaration)) {
    if (reference === id || isReassigned(reference, declaration)) continue;
    const { chained, top } = callsChainedOn(reference);
    const parent = top.parent;
    const runs = ts.isCallExpression(top) && RUNS.test(methodOf(top));
    if (parent && isSelfAssignment(parent, declaration) && chained.length > 0)
      calls.push(...chained);
    else if (!runs && !(parent && ts.isExpressionStatement(parent))) return undefined;
  }
  return { root: initial.root, calls, always: initial.always };
}

/** `query = query.where(...)`: the variable assigned a chain on itself. */
function isSelfAssignment(node: ts.Node, declaration: ts.Identifier): boolean {
  if (!ts.isBinaryExpression(node) || node.operatorToken.kind !== ts.SyntaxKind.EqualsToken)
    return false;
  const left = unwrap(node.left);
  if (!ts.isIdentifier(left) || declarationOf(left) !== declaration) return false;
  let root = unwrap(node.right);
  while (ts.isCallExpression(root) && ts.isPropertyAccessExpression(root.expression))
    root = unwrap(root.expression.expression);
  return ts.isIdentifier(root) && declarationOf(root) === declaration;
}

/** The reference is the left side of `query = query.where(...)`. */
function isReassigned(reference: ts.Identifier, declaration: ts.Identifier): boolean {
  const parent = reference.parent;
  return (
    !!parent &&
    ts.isBinaryExpression(parent) &&
    parent.left === reference &&
    isSelfAssignment(parent, declaration)
  );
}

/**
 * The calls with those of each `$if`/`$call` callback added (`.$if(!!q, (qb) => qb.limit(10))`),
 * or undefined when a callback is not a chain on the builder it receives: a helper
 * (`.$call(withPaging(dto))`, `.$call((qb) => paginate(qb, dto))`) may bound it.
 */
function withCallbacks(calls: readonly ts.CallExpression[]): ts.CallExpression[] | undefined {
  const all: ts.CallExpression[] = [];
  for (const call of calls) {
    all.push(call);
    const position = BUILDER_CALLBACKS.get(methodOf(call));
    if (position === undefined) continue;
    const inner = callbackChain(call.arguments[position]);
    const expanded = inner && withCallbacks(inner);
    if (!expanded) return undefined;
    all.push(...expanded);
  }
  return all;
}

/** The calls of `(qb) => qb.where(...).orderBy(...)` on its parameter, or undefined. */
function callbackChain(argument: ts.Expression | undefined): ts.CallExpression[] | undefined {
  const callback = argument && unwrap(argument);
  if (!callback || !(ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)))
    return undefined;
  const parameter = callback.parameters[0]?.name;
  const body = returnedExpression(callback);
  if (!parameter || !ts.isIdentifier(parameter) || !body) return undefined;
  const calls: ts.CallExpression[] = [];
  let node = unwrap(body);
  while (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
    calls.push(node);
    node = unwrap(node.expression.expression);
  }
  return ts.isIdentifier(node) && node.text === parameter.text ? calls : undefined;
}

/**
 * A condition that pins the key each time the read runs: `.where('id', '=', id)`,
 * `.where('asset.id', 'in', ids)` (the table read, or its alias). Without the schema, only a
 * column named `id` counts; a key of a joined table does not bound the rows of this one.
 */
function pinsKey(always: readonly ts.CallExpression[], names: (string | undefined)[]): boolean {
  if (always.some((call) => methodOf(call) === 'orWhere')) return false;
  const keys = new Set(['id', ...names.filter((name) => !!name).map((name) => `${name}.id`)]);
  return always.some((call) => {
    const [column, operator] = call.arguments;
    return (
      methodOf(call) === 'where' &&
      call.arguments.length === 3 &&
      ts.isStringLiteralLike(column) &&
      keys.has(column.text) &&
      ts.isStringLiteralLike(operator) &&
      /^(?:=|==|in)$/i.test(operator.text)
    );
  });
}

/** `albumId` → `album`, `assets_id` → `assets`: the entity a foreign-key-named column links to. */
const LINK_COLUMN = /^([A-Za-z][A-Za-z0-9]*?)_?(?:Id|id)$/;

/**
 * The entity a `where` column links to, when it is named for one (`albumId`, `album_asset.albumId`
 * with the table read or its alias as qualifier), lower-cased and without a plural `s`.
 */
function linkedEntity(column: string, names: readonly (string | undefined)[]): string | undefined {
  const dot = column.lastIndexOf('.');
  if (dot !== -1 && !names.includes(column.slice(0, dot))) return undefined;
  const stem = LINK_COLUMN.exec(column.slice(dot + 1))?.[1]?.toLowerCase();
  // A stem of a letter or two (`aId`) is found in any table name.
  return stem && stem.length >= 3 ? stem.replace(/s$/, '') : undefined;
}

/**
 * A link table read for one owner and a list of the other side:
 * `selectFrom('album_asset').where('albumId', '=', albumId).where('assetId', 'in', assetIds)`. A
 * table named for both entities its two columns link (`album_asset`, `memories_assets_assets`)
 * holds one row per pair, so at most one row per listed id comes back, as for a key list. Without
 * the schema this is the only sign of such a key: a list on another table (`comment` by
 * `albumId` and `userId` in a list) can match many rows per id and stays unbounded.
 */
function pinsLinkPair(
  always: readonly ts.CallExpression[],
  table: string | undefined,
  alias: string | undefined,
): boolean {
  if (!table || always.some((call) => methodOf(call) === 'orWhere')) return false;
  const tableName = table.toLowerCase();
  const linked = (operators: RegExp): Set<string> => {
    const entities = new Set<string>();
    for (const call of always) {
      const [column, operator] = call.arguments;
      if (methodOf(call) !== 'where' || call.arguments.length !== 3) continue;
      if (!ts.isStringLiteralLike(column) || !ts.isStringLiteralLike(operator)) continue;
      if (!operators.test(operator.text)) continue;
      const entity = linkedEntity(column.text, [table, alias]);
      if (entity && tableName.includes(entity)) entities.add(entity);
    }
    return entities;
  };
  const pinned = linked(/^(?:=|==)$/);
  if (pinned.size === 0) return false;
  return [...linked(/^in$/i)].some((listed) => !pinned.has(listed));
}

/**
 * The read selects only aggregates and groups nothing (`.select((eb) => eb.fn.countAll().as('n'))`,
 * `.select(sql<number>\`count(*)\`.as('n'))`): one row comes back.
 */
function selectsOnlyAggregates(calls: readonly ts.CallExpression[]): boolean {
  const methods = calls.map(methodOf);
  if (methods.includes('groupBy') || methods.includes('selectAll')) return false;
  const selects = calls.filter((call) => methodOf(call) === 'select');
  return (
    selects.length > 0 &&
    selects.every((call) => {
      const selections = call.arguments.length === 1 ? selectionsOf(call.arguments[0]) : [];
      return selections.length > 0 && selections.every(isAggregate);
    })
  );
}

/** The selections of `select(...)`: the items of an array, what a callback returns, or the one. */
function selectionsOf(argument: ts.Expression): readonly ts.Expression[] {
  let node = unwrap(argument);
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const returned = returnedExpression(node);
    if (!returned) return [];
    node = unwrap(returned);
  }
  return ts.isArrayLiteralExpression(node) ? node.elements : [node];
}

/**
 * `eb.fn.countAll().as('n')`, `fn.sum('amount').filterWhere(...).as('total')`,
 * `sql\`count(*)\`.as('n')`; not a window (`eb.fn.count('id').over()`), one value per row.
 */
function isAggregate(selection: ts.Expression): boolean {
  let node = unwrap(selection);
  for (;;) {
    if (ts.isTaggedTemplateExpression(node)) {
      const template = node.template;
      const text = ts.isNoSubstitutionTemplateLiteral(template)
        ? template.text
        : template.head.text;
      return ts.isIdentifier(node.tag) && node.tag.text === 'sql' && SQL_AGGREGATE.test(text);
    }
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
    const access = node.expression;
    if (access.name.text === 'over') return false;
    if (AGGREGATE_FUNCTIONS.test(access.name.text) && namedFn(access.expression)) return true;
    node = unwrap(access.expression);
  }
}

/** `eb.fn`, `db.fn`, or `fn` destructured from the expression builder. */
function namedFn(node: ts.Expression): boolean {
  const inner = unwrap(node);
  return (
    (ts.isIdentifier(inner) && inner.text === 'fn') ||
    (ts.isPropertyAccessExpression(inner) && inner.name.text === 'fn')
  );
}
