/**
 * Drizzle reads with no limit: a relational query `db.query.users.findMany({...})` with no
 * `limit`, and a core query `await db.select(...).from(users).where(...)` with no `.limit()`.
 * Both run when awaited and load every matching row. The database is recognised as
 * `drizzle-databases.ts` says (a Drizzle name with a `drizzle-orm` import or an imported Drizzle
 * database as evidence).
 */
import type { FileContext } from '../../engine/rule';
import type { TextEdit } from '../../engine/types';
import { ts } from '../compiler';
import {
  DRIZZLE_DATABASE_VALUE,
  hasDrizzleEvidence,
  isDrizzleDatabaseName,
} from '../drizzle-databases';
import { importedModuleOf, importedValueTargets } from '../facts';
import { returnedExpression } from '../function-values';
import { transactionStartedOn } from '../knex-instances';
import { DRIZZLE_DATABASE } from '../knowledge';
import { unwrap, type TsCall, type TsModel } from '../model';
import { declarationOf } from '../name-resolution';
import { findProperty } from '../object-literals';
import {
  KEY_NAMES,
  WORDING,
  type Step,
  type UnboundedRead,
  addOption,
  chainOf,
  insertBeforeRead,
  methodName,
  optionsOf,
  returnedFromAsync,
  inAwaitedPromiseAll,
  rowNames,
  shortText,
} from './read';

/** Text a file with a Drizzle read holds: a relational `findMany` or a core `select`. */
const DRIZZLE_TEXT = /\.(?:findMany|select(?:Distinct(?:On)?)?)\s*\(/;

/** Whether a file may hold a Drizzle read (a cheap sniff before any call is looked at). */
export function mayReadDrizzle(text: string): boolean {
  return DRIZZLE_TEXT.test(text);
}

/** `db.query.users` (also `this.db.query.users`, `tx.query.users`): the table in group 1. */
const RELATIONAL = new RegExp(String.raw`^${DRIZZLE_DATABASE}\.query\.(\w+)$`);

/** `db.select().from()...`: a core read chain, by its callee (arguments left out). */
const SELECT_CHAIN = new RegExp(
  String.raw`^${DRIZZLE_DATABASE}\.(?:select|selectDistinct|selectDistinctOn)\(\)\.from(?:$|\(\))`,
);

/**
 * Steps that only shape a core read. Anything else (`$dynamic()` handing the builder to helpers,
 * `as()` making a subquery, `union`, `prepare`, `toSQL`, `then`) is left alone.
 */
const READ_STEPS = new Set([
  'from',
  'where',
  'innerJoin',
  'leftJoin',
  'rightJoin',
  'fullJoin',
  'crossJoin',
  'innerJoinLateral',
  'leftJoinLateral',
  'crossJoinLateral',
  'orderBy',
  'groupBy',
  'having',
  'limit',
  'offset',
  'for',
  'execute',
]);

/**
 * The SQLite drivers' (better-sqlite3, libSQL, D1, bun:sqlite) last steps that run a core read and
 * return every row: `.all()`, and `.values()` (the rows as arrays). Their `.get()` returns the
 * first row only, and is left alone like any step not read here.
 */
const SQLITE_RUN_STEPS = new Set(['all', 'values']);

/** Whether `call` has the shape of a Drizzle read (cheap: its callee text only). */
export function isDrizzleReadShape(call: TsCall): boolean {
  if (call.name === 'findMany') return RELATIONAL.test(call.receiverText ?? '');
  return SELECT_CHAIN.test(call.callee);
}

/** The database a read starts on: `db` of `db.query.users` or of `db.select()`. */
function databaseOf(node: ts.Expression): ts.Expression {
  let expression = unwrap(node);
  while (ts.isPropertyAccessExpression(expression) || ts.isCallExpression(expression)) {
    const inner = unwrap(expression.expression);
    if (isDrizzleDatabaseName(inner.getText())) return inner;
    expression = inner;
  }
  return expression;
}

/**
 * Whether `expression` is a Drizzle database: the file imports `drizzle-orm` (or a workspace
 * package re-exporting it), or the name is imported from a module that makes one (or is a
 * transaction started on such a name).
 */
function isDrizzleDatabase(ctx: FileContext, model: TsModel, expression: ts.Expression): boolean {
  return fileHasDrizzleEvidence(ctx, model) || isImportedDrizzleDatabase(ctx, model, expression);
}

/**
 * The file's evidence by the check asking (one per rule run on the file): a file has many reads,
 * and the evidence looks through every import. Not by model: the language server keeps a file's
 * model while other files, and so the index the evidence reads, change.
 */
const evidenceOfCheck = new WeakMap<FileContext, boolean>();

function fileHasDrizzleEvidence(ctx: FileContext, model: TsModel): boolean {
  let evidence = evidenceOfCheck.get(ctx);
  if (evidence === undefined) {
    evidence = hasDrizzleEvidence(ctx, model, (local) => importedModuleOf(model, local));
    evidenceOfCheck.set(ctx, evidence);
  }
  return evidence;
}

/** A name imported from a module that makes a Drizzle database, or a transaction started on one. */
function isImportedDrizzleDatabase(
  ctx: FileContext,
  model: TsModel,
  expression: ts.Expression,
): boolean {
  const node = unwrap(expression);
  if (!ts.isIdentifier(node)) return false;
  const started = transactionStartedOn(node);
  if (started) return isImportedDrizzleDatabase(ctx, model, started);
  if (!model.imports.has(node.text)) return false;
  const targets = importedValueTargets(model, node.text);
  return targets.length > 0 && ctx.index.ormModelOf(targets) === DRIZZLE_DATABASE_VALUE;
}

/**
 * The properties that key one row of a table named `tables` (the variable or the relational
 * query's key): `id`, `uuid`, and its own `<row>Id`/`<row>_id` (`deploymentId` of `deployments`,
 * as schemas keyed on prefixed ids name them). `projectId` of `deployments` is a foreign key.
 */
function keyNamesOf(tables: readonly string[]): Set<string> {
  const keys = new Set(KEY_NAMES);
  for (const table of tables)
    for (const row of rowNames(table))
      for (const key of KEY_NAMES) {
        keys.add(`${row}_${key}`);
        keys.add(`${row}${key.charAt(0).toUpperCase()}${key.slice(1)}`);
      }
  return keys;
}

/** Whether `column` is `<table>.<key>`, the table one of `tables` when they are given. */
function isKeyColumn(
  column: ts.Expression,
  keys: ReadonlySet<string>,
  tables: readonly string[] | undefined,
): boolean {
  const node = unwrap(column);
  return (
    ts.isPropertyAccessExpression(node) &&
    keys.has(node.name.text) &&
    (!tables || tables.includes(unwrap(node.expression).getText()))
  );
}

/**
 * An argument of `and(...)`, or the conditions it spreads from a `const` array literal
 * (`const where = [eq(t.workspaceId, id), inArray(t.id, ids)]; and(...where)`): conditions pushed
 * onto it later only narrow the rows further.
 */
function spreadConditions(argument: ts.Expression): readonly ts.Expression[] {
  if (!ts.isSpreadElement(argument)) return [argument];
  const name = unwrap(argument.expression);
  const declaration = ts.isIdentifier(name) ? declarationOf(name)?.parent : undefined;
  const value =
    declaration &&
    ts.isVariableDeclaration(declaration) &&
    declaration.initializer &&
    ts.isVariableDeclarationList(declaration.parent) &&
    declaration.parent.flags & ts.NodeFlags.Const
      ? unwrap(declaration.initializer)
      : undefined;
  return value && ts.isArrayLiteralExpression(value) ? value.elements : [];
}

/** Operators that pin a column to one value or a list: `eq(t.id, id)`, `inArray(t.id, ids)`. */
const PINNING_OPERATORS = new Set(['eq', 'inArray']);

/**
 * Whether a condition pins the key: `eq(users.id, id)`, `inArray(users.id, ids)`, or an `and(...)`
 * with one of them (`or(...)` widens the rows again).
 */
function conditionPinsKey(
  condition: ts.Expression,
  keys: ReadonlySet<string>,
  tables: readonly string[] | undefined,
): boolean {
  const node = unwrap(condition);
  if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression)) return false;
  const operator = node.expression.text;
  if (operator === 'and')
    return node.arguments
      .flatMap(spreadConditions)
      .some((argument) => conditionPinsKey(argument, keys, tables));
  const [column, value] = node.arguments;
  return PINNING_OPERATORS.has(operator) && !!value && isKeyColumn(column, keys, tables);
}

/**
 * Whether a relational query's `where` pins the key: an operator (`eq(users.id, id)`), a callback
 * returning one, or an object filter (`{ id }`, `{ id: { in: ids } }`) of the newer API.
 */
function relationalWherePins(where: ts.Expression, table: string): boolean {
  const node = unwrap(where);
  // A callback's condition: `(t, { eq }) => eq(t.id, id)`.
  const condition = returnedExpression(node) ?? node;
  if (!ts.isObjectLiteralExpression(condition))
    return conditionPinsKey(condition, keyNamesOf([table]), undefined);
  return [...keyNamesOf([table])].some((key) => {
    const property = findProperty(condition, key);
    if (!property) return false;
    if (ts.isShorthandPropertyAssignment(property)) return true;
    if (!ts.isPropertyAssignment(property)) return false;
    const value = unwrap(property.initializer);
    return (
      !ts.isObjectLiteralExpression(value) ||
      !!findProperty(value, 'eq') ||
      !!findProperty(value, 'in')
    );
  });
}

/**
 * `db.query.users.findMany({...})` with no `limit`, its `where` not pinning the key: unbounded.
 * The call runs when awaited, and nothing chained on it can bound it afterwards.
 */
function relationalRead(ctx: FileContext, call: TsCall): UnboundedRead | undefined {
  const table = RELATIONAL.exec(call.receiverText ?? '')?.[1];
  const name = methodName(call);
  if (!table || !name) return undefined;
  const node = call.node as ts.CallExpression;
  // `.prepare('name')`, `.toSQL()`: a statement kept to run later, or no read at all.
  if (ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node)
    return undefined;
  const options = optionsOf(call.args[0]);
  if (options === 'opaque') return undefined;
  if (options !== 'none') {
    if (findProperty(options, 'limit')) return undefined;
    const where = findProperty(options, 'where');
    if (where && ts.isPropertyAssignment(where) && relationalWherePins(where.initializer, table))
      return undefined;
  }
  const limit = `limit: ${ctx.options.defaultLimit}`;
  return {
    wording: WORDING.drizzleRelational,
    quoted: `${shortText(node.expression, 50)}()`,
    entity: table,
    start: name.getStart(),
    end: name.end,
    fix: {
      title: `Add \`${limit}\``,
      safety: 'unsafe',
      edits: addOption(ctx, node, options, limit, undefined),
    },
  };
}

/** Aggregate functions of `drizzle-orm`: with no `groupBy`, the read returns one row. */
const AGGREGATES = new Set([
  'count',
  'countDistinct',
  'sum',
  'sumDistinct',
  'avg',
  'avgDistinct',
  'min',
  'max',
]);

/** SQL that aggregates (`count(*)`, `cast(sum(x) as int)`), not over a window (one per row). */
const AGGREGATE_SQL = /^\s*(?:cast\s*\(\s*)?(?:count|sum|avg|min|max)\s*\(/i;

/** `count()`, `sum(t.size)`, `` sql<number>`count(*)` ``, also `.mapWith(Number)`/`.as('n')`. */
function isAggregate(value: ts.Expression): boolean {
  const node = unwrap(value);
  if (ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (ts.isIdentifier(callee)) return AGGREGATES.has(callee.text);
    return ts.isPropertyAccessExpression(callee) && isAggregate(callee.expression);
  }
  if (!ts.isTaggedTemplateExpression(node) || node.tag.getText() !== 'sql') return false;
  const template = node.template;
  const text = ts.isNoSubstitutionTemplateLiteral(template)
    ? template.text
    : template.head.text + template.templateSpans.map((span) => span.literal.text).join('');
  return AGGREGATE_SQL.test(text) && !/\bover\s*\(/i.test(text);
}

/** `db.select({ n: count() })`: every selected field aggregates. */
function selectsAggregatesOnly(select: ts.CallExpression): boolean {
  const fields = select.arguments[0] && unwrap(select.arguments[0]);
  return (
    !!fields &&
    ts.isObjectLiteralExpression(fields) &&
    fields.properties.length > 0 &&
    fields.properties.every(
      (property) => ts.isPropertyAssignment(property) && isAggregate(property.initializer),
    )
  );
}

/** The `from(users)` call of a core read chain ending in `outer`. */
function fromCall(outer: ts.CallExpression): ts.CallExpression | undefined {
  for (let call = outer; ;) {
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    if (callee.name.text === 'from') return call;
    const inner = unwrap(callee.expression);
    if (!ts.isCallExpression(inner)) return undefined;
    call = inner;
  }
}

/**
 * Whether the core read's steps bound the rows: a limit, aggregates only, or a key pinned in
 * `table` (what `from(...)` names, as written: `users`, `schema.users`).
 */
function coreReadIsBounded(
  select: ts.CallExpression,
  steps: readonly Step[],
  table: ts.Expression | undefined,
): boolean {
  const names = steps.map((step) => step.name);
  if (names.includes('limit')) return true;
  if (!names.includes('groupBy') && selectsAggregatesOnly(select)) return true;
  if (!table) return false;
  const tableText = unwrap(table).getText();
  const tableName = ts.isPropertyAccessExpression(unwrap(table))
    ? (unwrap(table) as ts.PropertyAccessExpression).name.text
    : tableText;
  const keys = keyNamesOf([tableName]);
  return steps.some(
    (step) =>
      step.name === 'where' && !!step.args[0] && conditionPinsKey(step.args[0], keys, [tableText]),
  );
}

/** Whether the chain runs here: awaited, returned from an `async` function, or in `Promise.all`. */
function runsHere(call: TsCall): boolean {
  const node = call.node as ts.CallExpression;
  return call.awaited || returnedFromAsync(node) || inAwaitedPromiseAll(node);
}

/** Steps `.limit(n)` goes before: `.offset()`, and those that run the read. */
const LIMIT_BEFORE = new Set(['offset', 'execute', ...SQLITE_RUN_STEPS]);

/**
 * Where `.limit(n)` goes: before the last `.offset()`, `.execute()` or `.all()` the chain has
 * (on the line of its own when the chain puts each step on one), else at the end of the chain.
 */
function limitEdit(ctx: FileContext, outer: ts.CallExpression, bound: string): TextEdit {
  for (let call = outer; ;) {
    const callee = unwrap(call.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    const builder = unwrap(callee.expression);
    if (LIMIT_BEFORE.has(callee.name.text))
      return insertBeforeRead(ctx, builder, callee.name, bound);
    if (!ts.isCallExpression(builder)) break;
    call = builder;
  }
  return appendStep(ctx, outer, bound);
}

/** `.limit(n)` after the chain's last step: on a line of its own when that step has one. */
function appendStep(ctx: FileContext, outer: ts.CallExpression, bound: string): TextEdit {
  const callee = unwrap(outer.expression);
  const dot = ts.isPropertyAccessExpression(callee)
    ? ctx.text.lastIndexOf('.', callee.name.getStart())
    : -1;
  const lineStart = ctx.text.lastIndexOf('\n', dot - 1) + 1;
  const indent = ctx.text.slice(lineStart, dot);
  if (dot < 0 || lineStart === 0 || !/^[ \t]*$/.test(indent))
    return { start: outer.end, end: outer.end, newText: bound };
  const newline = ctx.text[lineStart - 2] === '\r' ? '\r\n' : '\n';
  return { start: outer.end, end: outer.end, newText: `${newline}${indent}${bound}` };
}

/**
 * `const [latest] = await db.select()...`: only the first row is used, so `.limit(1)` returns
 * the same row.
 */
function takesFirstRowOnly(node: ts.Expression): boolean {
  let outer: ts.Node = node.parent;
  while (ts.isParenthesizedExpression(outer) || ts.isAwaitExpression(outer)) outer = outer.parent;
  if (!ts.isVariableDeclaration(outer) || !ts.isArrayBindingPattern(outer.name)) return false;
  return outer.name.elements.length === 1 && !ts.isOmittedExpression(outer.name.elements[0]);
}

/**
 * `await db.select(...).from(users).where(...)` of only the read steps above, with no limit, no
 * key pinned and not aggregates alone: unbounded. A builder kept in a variable, returned by a
 * function that is not `async` or handed to a helper may be limited there, so it is left alone.
 */
function coreRead(ctx: FileContext, call: TsCall): UnboundedRead | undefined {
  const node = call.node as ts.CallExpression;
  const { head, steps } = chainOf(node);
  // `.all()` runs the read where it is called, awaited or not (better-sqlite3 is synchronous).
  const ranBySqlite = SQLITE_RUN_STEPS.has(steps[steps.length - 1]?.name ?? '');
  if (!ranBySqlite && !runsHere(call)) return undefined;
  const shaping = ranBySqlite ? steps.slice(0, -1) : steps;
  if (!shaping.every((step) => READ_STEPS.has(step.name))) return undefined;
  const from = fromCall(node);
  if (coreReadIsBounded(head, steps, from?.arguments[0])) return undefined;
  const tableNode = from?.arguments[0] && unwrap(from.arguments[0]);
  const limit = takesFirstRowOnly(node) ? 1 : ctx.options.defaultLimit;
  const bound = `.limit(${limit})`;
  return {
    wording: WORDING.drizzle,
    quoted: `${shortText(head.expression, 30)}(${head.arguments.length > 0 ? '…' : ''}).from(${
      tableNode ? shortText(tableNode, 30) : '…'
    })${from === node ? '' : `…${call.name}()`}`,
    entity: tableNode && ts.isIdentifier(tableNode) ? tableNode.text : undefined,
    start: head.getStart(),
    end: (from ?? head).end,
    fix: { title: `Add \`${bound}\``, safety: 'unsafe', edits: [limitEdit(ctx, node, bound)] },
  };
}

/**
 * A Drizzle read with no limit on a recognised database (`isDrizzleReadShape` first): a
 * relational `findMany` or a core `select` chain. Undefined when bounded or not Drizzle's.
 */
export function drizzleRead(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
): UnboundedRead | undefined {
  const read = call.name === 'findMany' ? relationalRead(ctx, call) : coreRead(ctx, call);
  if (!read || !call.receiver) return undefined;
  return isDrizzleDatabase(ctx, model, databaseOf(call.receiver)) ? read : undefined;
}
