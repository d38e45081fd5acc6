/**
 * What every unbounded read of \`orm-find-without-limit\` shares: how it is reported (the wording of
 * its bound and paging, the quoted code, the fix), and the reading of options objects and key
 * filters the ORMs' detectors (one module each beside this one) have in common.
 */
import type { FileContext } from '../../engine/rule';
import type { Fix, TextEdit } from '../../engine/types';
import { ts } from '../compiler';
import { findProperty } from '../object-literals';
import { appendObjectProperty, fillEmptyArguments } from '../edits';
import { callsChainedOn, unwrap, type TsCall } from '../model';
import { localVariableOf, referencesTo } from '../name-resolution';

/** How the message and fix name the bound and the paging of one kind of read. */
export interface Wording {
  /** Quoted in the message: `take`, `.take()`. */
  bound: string;
  paging: string;
}

export const WORDING: Record<string, Wording> = {
  find: { bound: '`take`', paging: '`skip`' },
  builder: { bound: '`.take()`', paging: '`.skip()`' },
  raw: { bound: '`.limit()`', paging: '`.offset()`' },
  sequelize: { bound: '`limit`', paging: '`offset`' },
  mongoose: { bound: '`.limit()`', paging: '`.skip()` or a range on `_id`' },
  kysely: { bound: '`.limit()`', paging: '`.offset()`' },
  knex: { bound: '`.limit()`', paging: '`.offset()`' },
  objection: { bound: '`.limit()`', paging: '`.page()`' },
  strapi: { bound: '`limit`', paging: '`start`' },
  strapiQueryEngine: { bound: '`limit`', paging: '`offset`' },
  mikroOrm: { bound: '`limit`', paging: '`offset`' },
  drizzle: { bound: '`.limit()`', paging: '`.offset()`' },
  drizzleRelational: { bound: '`limit`', paging: '`offset`' },
};

/** A read that returns every matching row, as reported. */
export interface UnboundedRead {
  wording: Wording;
  /** The code quoted at the start of the message: `this.users.find()`. */
  quoted: string;
  /** Rows of what: `User` when the code names the entity or model, else undefined. */
  entity?: string;
  /** Documents (Mongoose) rather than rows. */
  documents?: boolean;
  start: number;
  end: number;
  fix?: Fix;
}

/** Options the code spells out: an object literal, none at all, or something Perflens cannot see. */
export type Options = ts.ObjectLiteralExpression | 'none' | 'opaque';

/**
 * The object literal a `const` holds, when `id` is its only use: `const query = { where }` then
 * `Model.findAll(query)`. Any other use (`query.limit = 10`, `count(query)`) may bound or share
 * it, so the options are then opaque.
 */
function soleUseLiteral(id: ts.Identifier): ts.ObjectLiteralExpression | undefined {
  const variable = localVariableOf(id);
  if (!variable) return undefined;
  const { declaration, holder, scope } = variable;
  const list = holder.parent;
  if (!ts.isVariableDeclarationList(list) || !(list.flags & ts.NodeFlags.Const)) return undefined;
  const initializer = unwrap(holder.initializer);
  if (!ts.isObjectLiteralExpression(initializer)) return undefined;
  return referencesTo(scope, declaration).length === 1 ? initializer : undefined;
}

/** The options argument as the code spells it (a literal, or a `const` only this call reads). */
export function optionsOf(argument: ts.Expression | undefined): Options {
  if (!argument) return 'none';
  const node = unwrap(argument);
  const literal = ts.isObjectLiteralExpression(node)
    ? node
    : ts.isIdentifier(node)
      ? soleUseLiteral(node)
      : undefined;
  if (!literal || literal.properties.some(ts.isSpreadAssignment)) return 'opaque';
  return literal;
}

/** How a filter's value pins a field, per ORM: to a value or a list of values, or not. */
export type PinsValue = (value: ts.Expression) => boolean;

/** `id: x`, `id: ids` (Sequelize reads an array as `IN`), `id: { [Op.in]: ids }`, `{ $eq: x }`. */
export const operatorPins: PinsValue = (value) => {
  if (!ts.isObjectLiteralExpression(value)) return true;
  return value.properties.some((property) => {
    const name = property.name;
    if (!name) return false;
    const text = ts.isComputedPropertyName(name)
      ? name.expression.getText()
      : ts.isIdentifier(name) || ts.isStringLiteral(name)
        ? name.text
        : '';
    return /(?:^\$|\.)(?:in|eq)$/.test(text);
  });
};

/** A filter literal that pins the key field, so at most as many rows as values come back. */
export function pinsKey(filter: ts.Expression, key: string, pins: PinsValue): boolean {
  const node = unwrap(filter);
  if (ts.isArrayLiteralExpression(node))
    return node.elements.length > 0 && node.elements.every((item) => pinsKey(item, key, pins));
  if (!ts.isObjectLiteralExpression(node)) {
    const literal = ts.isIdentifier(node) ? soleUseLiteral(node) : undefined;
    return !!literal && pinsKey(literal, key, pins);
  }
  const property = findProperty(node, key);
  if (!property) return false;
  if (ts.isShorthandPropertyAssignment(property)) return true;
  return ts.isPropertyAssignment(property) && pins(unwrap(property.initializer));
}

/** The `where` of an options literal pins `id`. */
export function whereOfOptionsPins(options: ts.ObjectLiteralExpression, pins: PinsValue): boolean {
  const where = findProperty(options, 'where');
  if (!where) return false;
  if (ts.isShorthandPropertyAssignment(where)) return pinsKey(where.name, 'id', pins);
  return ts.isPropertyAssignment(where) && pinsKey(where.initializer, 'id', pins);
}

/** The call's code on one line, cut to `max` characters from the front. */
export function shortText(node: ts.Node, max = 60): string {
  const text = node
    .getText()
    .replace(/\s*\n\s*/g, '')
    .replace(/\s+/g, ' ');
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

/** The name a call's method is written with, for edits and report ranges. */
export function methodName(call: TsCall): ts.MemberName | undefined {
  const node = call.node;
  return ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)
    ? node.expression.name
    : undefined;
}

/** Adds `property` to the options (creating them after `before`, or as the only argument). */
export function addOption(
  ctx: FileContext,
  call: ts.CallExpression,
  options: ts.ObjectLiteralExpression | 'none',
  property: string,
  before: ts.Expression | undefined,
): TextEdit[] {
  if (options !== 'none')
    return appendObjectProperty(ctx.text, ctx.typescript!.sourceFile, options, property);
  if (before) return [{ start: before.end, end: before.end, newText: `, { ${property} }` }];
  return fillEmptyArguments(call, `{ ${property} }`);
}

/** The methods chained on `node`, innermost first, and the outermost call (or `node`). */
export function chainedAbove(node: ts.Expression): { methods: string[]; top: ts.Expression } {
  const { chained, top } = callsChainedOn(node);
  const methods = chained.map((call) => (call.expression as ts.PropertyAccessExpression).name.text);
  return { methods, top };
}

/**
 * `.take(n)` between the builder and `.getMany()`: on the line of `.getMany()`, as a call of its
 * own, when the chain puts each call on a line; else right after the builder.
 */
export function insertBeforeRead(
  ctx: FileContext,
  builder: ts.Expression,
  name: ts.MemberName,
  bound: string,
): TextEdit {
  const dot = ctx.text.lastIndexOf('.', name.getStart());
  const lineStart = ctx.text.lastIndexOf('\n', dot - 1) + 1;
  const before = ctx.text.slice(lineStart, dot);
  if (dot < builder.end || !/^[ \t]*$/.test(before))
    return { start: builder.end, end: builder.end, newText: bound };
  const newline = ctx.text[lineStart - 2] === '\r' ? '\r\n' : '\n';
  return { start: dot, end: dot, newText: `${bound}${newline}${before}` };
}

/** One step of the chain: `where` and its arguments. */
export interface Step {
  name: string;
  args: readonly ts.Expression[];
}

/**
 * The first call of a builder chain (knex's `db('users')`, Drizzle's `db.select()`) and the steps
 * after it, innermost first.
 */
export function chainOf(outer: ts.CallExpression): { head: ts.CallExpression; steps: Step[] } {
  const steps: Step[] = [];
  let head = outer;
  for (;;) {
    const callee = unwrap(head.expression);
    if (!ts.isPropertyAccessExpression(callee)) break;
    const inner = unwrap(callee.expression);
    if (!ts.isCallExpression(inner)) break;
    steps.unshift({ name: callee.name.text, args: head.arguments });
    head = inner;
  }
  return { head, steps };
}

/** Names that key a row of any table: `id`, and `uuid` (a public key, unique like `id`). */
export const KEY_NAMES: readonly string[] = ['id', 'uuid'];

/**
 * The names a table's rows go by in its key columns: `spaces` → `spaces`, `space`;
 * `saved_queries` → `saved_query`; `pinned_list` → itself.
 */
export function rowNames(table: string): Set<string> {
  return new Set([
    table,
    table.replace(/ies$/, 'y'),
    table.replace(/(ss|x|ch|sh)es$/, '$1'),
    table.replace(/s$/, ''),
  ]);
}

/** Whether `node` is what an `async` function returns: resolving it runs the builder too. */
export function returnedFromAsync(node: ts.Expression): boolean {
  let child: ts.Node = node;
  let parent = node.parent;
  while (ts.isParenthesizedExpression(parent)) [child, parent] = [parent, parent.parent];
  const fn = ts.isReturnStatement(parent)
    ? ts.findAncestor(parent, ts.isFunctionLike)
    : ts.isArrowFunction(parent) && parent.body === child
      ? parent
      : undefined;
  return !!fn && (ts.getCombinedModifierFlags(fn as ts.Declaration) & ts.ModifierFlags.Async) !== 0;
}

/** Whether `node` sits in the array an awaited `Promise.all([...])` (or `allSettled`) runs. */
export function inAwaitedPromiseAll(node: ts.Expression): boolean {
  const array = node.parent;
  const all = array?.parent;
  if (!array || !ts.isArrayLiteralExpression(array) || !all || !ts.isCallExpression(all))
    return false;
  if (!/^Promise\.(?:all|allSettled)$/.test(all.expression.getText())) return false;
  let outer: ts.Node = all.parent;
  while (ts.isParenthesizedExpression(outer)) outer = outer.parent;
  return ts.isAwaitExpression(outer) || returnedFromAsync(all);
}
