/**
 * Knex query chains awaited whole (`await db('users').where(...).orderBy(...)`, or the table
 * alone, `await db('users')`) with no `.limit()`: awaiting the builder runs it and loads every
 * matching row.
 */
import type { FileContext } from '../../engine/rule';
import { ts } from '../compiler';
import { importsKnexInstance } from '../imported-knex';
import { KNEX_READS } from '../io-calls';
import { knexBuilderChain, type KnexBuilderChain } from '../knex-builders';
import { isKnexInstance } from '../knex-instances';
import { unwrap, type TsCall, type TsModel } from '../model';
import { findProperty } from '../object-literals';
import {
  KEY_NAMES,
  WORDING,
  type Step,
  type UnboundedRead,
  chainOf,
  returnedFromAsync,
  rowNames,
  shortText,
} from './read';

/**
 * Text a file with a knex read holds: knex named (an import, a `Knex` type), an awaited call of a
 * name given a table (`await db('users')`, an instance imported from another module), or an
 * awaited builder-first chain on a name (`await db.select('*').from('users')`).
 */
const KNEX_TEXT =
  /\bknex\b|\bawait\s+[\w$]+\(\s*['"`\w.]+\s*\)|\bawait\s+[\w$]+\s*\.\s*(?:select|from|table|distinct|column|columns|pluck)\(/i;

/** Whether a file may hold a knex read (a cheap sniff before any call is looked at). */
export function mayReadKnex(text: string): boolean {
  return KNEX_TEXT.test(text);
}

/**
 * Builder steps that only shape a read, beyond the ones `await-in-loop` knows: a chain made of
 * these (and `KNEX_READS`) is a read. Anything else (`insert`, `del`, `modify(fn)`, `paginate`,
 * `stream`, `then`, ...) writes, streams or hands the builder to code that may bound it.
 */
const MORE_READ_STEPS = [
  'andWhereNot',
  'orWhereIn',
  'orWhereNull',
  'orWhereNotNull',
  'whereRaw',
  'whereExists',
  'whereNotExists',
  'leftOuterJoin',
  'rightOuterJoin',
  'fullOuterJoin',
  'crossJoin',
  'orderByRaw',
  'groupByRaw',
  'having',
  'havingRaw',
  'distinctOn',
  'clearSelect',
  'clearOrder',
];
export const KNEX_READ_STEPS: ReadonlySet<string> = new Set([...KNEX_READS, ...MORE_READ_STEPS]);

/** Steps that bound the rows: `first()` reads one, `limit(n)` at most n. */
const BOUNDING_STEPS = new Set(['limit', 'first']);
/** Aggregates: with no `groupBy`, the query returns one row. */
const AGGREGATES = new Set(['count', 'countDistinct', 'min', 'max', 'sum', 'avg']);
/** Steps whose condition another may widen: a key pin beside them no longer bounds the rows. */
const WIDENING = /^or/;

/**
 * Whether the chain's head is called on a knex instance (or transaction): one the file shows
 * (`knex-instances.ts`), or one another module exports.
 */
function onKnexInstance(ctx: FileContext, model: TsModel, instance: ts.Expression): boolean {
  return isKnexInstance(model, instance, (instance) =>
    importsKnexInstance(ctx.index, model, instance.text),
  );
}

/**
 * The columns that key one row of the table read: `id` and `uuid`, and for a table the code names,
 * its own `<row>_id`/`<row>_uuid` (`space_uuid` of `spaces`, as schemas keyed on uuids name them),
 * each also qualified (`spaces.space_uuid`). `org_uuid` of `members` keys another table's row: a
 * foreign key, many rows each.
 */
function keyColumnsOf(table: ts.Expression): readonly string[] {
  const node = unwrap(table);
  if (!ts.isStringLiteral(node)) return KEY_NAMES;
  const own = [...rowNames(node.text)].flatMap((row) => KEY_NAMES.map((key) => `${row}_${key}`));
  const columns = [...KEY_NAMES, ...own];
  return [...columns, ...columns.map((column) => `${node.text}.${column}`)];
}

/** The key column of the table read: `id`, `users.id`, `space_uuid` (also `${UsersTable}.id`). */
function isKeyColumn(column: ts.Expression, table: ts.Expression): boolean {
  const node = unwrap(column);
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    return keyColumnsOf(table).includes(node.text);
  if (!ts.isTemplateExpression(node) || node.templateSpans.length !== 1) return false;
  const [span] = node.templateSpans;
  return (
    node.head.text === '' &&
    KEY_NAMES.some((key) => span.literal.text === `.${key}`) &&
    span.expression.getText() === unwrap(table).getText()
  );
}

/** A value pinned by equality, not a condition object (`{ id: ids }` is no `IN` in knex). */
function pinsByEquality(value: ts.Expression): boolean {
  const node = unwrap(value);
  return !ts.isObjectLiteralExpression(node) && !ts.isArrayLiteralExpression(node);
}

/** `where({ id })`, `where('id', id)`, `where('uuid', '=', uuid)`, `whereIn('id', ids)`. */
function pinsKey(step: Step, table: ts.Expression): boolean {
  const [first, second, third] = step.args;
  if (!first) return false;
  if (step.name === 'whereIn') return !!second && isKeyColumn(first, table);
  if (step.name !== 'where' && step.name !== 'andWhere') return false;
  const filter = unwrap(first);
  if (ts.isObjectLiteralExpression(filter)) {
    return keyColumnsOf(table).some((key) => {
      const property = findProperty(filter, key);
      if (!property) return false;
      if (ts.isShorthandPropertyAssignment(property)) return true;
      return ts.isPropertyAssignment(property) && pinsByEquality(property.initializer);
    });
  }
  if (!isKeyColumn(first, table) || !second) return false;
  if (!third) return pinsByEquality(second);
  const operator = unwrap(second);
  return ts.isStringLiteral(operator) && operator.text === '=' && pinsByEquality(third);
}

/**
 * Whether the steps bound the rows: a limit, one row, aggregates only, or a key of `table` pinned
 * (`table` is what names the table read: `db('users')`'s argument, or any expression when only
 * `id` and `uuid` are keys, as for an Objection model's `Person.query()`).
 */
export function knexStepsBounded(
  steps: readonly Step[],
  table: ts.Expression | undefined,
): boolean {
  const names = steps.map((step) => step.name);
  if (names.some((name) => BOUNDING_STEPS.has(name))) return true;
  const grouped = names.includes('groupBy') || names.includes('groupByRaw');
  if (!grouped && names.some((name) => AGGREGATES.has(name))) return true;
  if (!table || names.some((name) => WIDENING.test(name))) return false;
  return steps.some((step) => pinsKey(step, table));
}

/** `db('users').where()...`, `this.database(T).select()`: steps on a called name. */
const CHAIN_ON_CALLED_NAME = /^(?:this\.#?)?[\w$]+\(\)\./;
/** `db('users')`, `this.database(T)`: a called name alone. */
const CALLED_NAME = /^(?:this\.#?)?[\w$]+$/;

/** A knex-shaped read: the call that names its table, the instance it runs on, and its steps. */
interface ReadChain {
  /** `db('users')`, or `db.select('*').from('users')` of a builder-first chain. */
  named: ts.CallExpression;
  instance: ts.Expression;
  table: ts.Expression;
  /** The steps that shape the read (for a builder-first chain, all of them). */
  steps: Step[];
  /** How the message quotes `named`. */
  label: string;
}

/**
 * The read `call` is, when it has a knex read's shape: a chain of steps on a called name, the
 * called name alone given one table (`db('users')`, which awaited reads the whole table), or a
 * builder-first chain of reads (`db.select('*').from('users').orderBy('name')`).
 */
function readChainOf(call: TsCall): ReadChain | undefined {
  const node = call.node;
  if (!ts.isCallExpression(node)) return undefined;
  // A bare call reads a whole table when it names one: `db('users')`. Requiring the name written
  // out keeps `await sendMail(user)`, `await fetchUser(id)` and the like (most awaited calls with
  // one argument) from asking whether their function is a knex instance.
  if (CALLED_NAME.test(call.callee)) {
    const [table] = node.arguments;
    return node.arguments.length === 1 && ts.isStringLiteralLike(table)
      ? { named: node, instance: node.expression, table, steps: [], label: shortText(node, 50) }
      : undefined;
  }
  if (!CHAIN_ON_CALLED_NAME.test(call.callee)) return builderReadOf(call);
  const { head, steps } = chainOf(node);
  const [table] = head.arguments;
  if (!table || steps.length === 0 || !steps.every((step) => KNEX_READ_STEPS.has(step.name)))
    return undefined;
  return { named: head, instance: head.expression, table, steps, label: shortText(head, 50) };
}

/** A builder-first chain whose steps only read (`table(t)` only names the table). */
function builderReadOf(call: TsCall): ReadChain | undefined {
  const chain = knexBuilderChain(call);
  if (!chain) return undefined;
  const { instance, steps, table } = chain;
  if (!steps.every((step) => step === table || KNEX_READ_STEPS.has(step.name))) return undefined;
  return { named: table.node, instance, table: table.args[0], steps, label: builderLabel(chain) };
}

/**
 * A builder-first chain up to the step naming its table, quoted whole when short, else the
 * instance and that step: `this.knex…from(collection)`, not `…lect(id, sortField).from(collection)`.
 */
function builderLabel({ instance, table }: KnexBuilderChain): string {
  const whole = shortText(table.node, 50);
  if (!whole.startsWith('…')) return whole;
  const args = table.args.map((arg) => shortText(arg, 30)).join(', ');
  return `${shortText(instance, 20)}…${table.name}(${args})`;
}

/**
 * `await db('users').where(...)` (or `await db('users')` alone) on a knex instance, a read of only
 * the steps above with no bound: unbounded, or undefined. A builder kept in a variable or handed
 * to a helper is never the awaited chain itself, so it is left alone (it may be limited there).
 */
export function knexRead(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
): UnboundedRead | undefined {
  const node = call.node as ts.CallExpression;
  if (!call.awaited && !returnedFromAsync(node)) return undefined;
  const chain = readChainOf(call);
  if (!chain) return undefined;
  const { named, instance, table, steps, label } = chain;
  if (knexStepsBounded(steps, table)) return undefined;
  if (!onKnexInstance(ctx, model, instance)) return undefined;
  const tableNode = unwrap(table);
  const bound = `.limit(${ctx.options.defaultLimit})`;
  return {
    wording: WORDING.knex,
    quoted: named === node ? label : `${label}…${call.name}()`,
    entity: ts.isStringLiteral(tableNode) ? tableNode.text : undefined,
    start: named.getStart(),
    end: named.end,
    fix: {
      title: `Add \`${bound}\``,
      safety: 'unsafe',
      edits: [{ start: node.end, end: node.end, newText: bound }],
    },
  };
}
