/**
 * Objection.js reads awaited whole with no bound: `await Person.query()` or
 * `await Person.query().where('team_id', id).orderBy('name')` on a model class (`objection.ts`,
 * `model-classes.ts`) loads every matching row. The builder is knex's underneath, so its read steps
 * and bounds are knex's (`knex.ts`), plus Objection's own.
 */
import type { FileContext } from '../../engine/rule';
import { ts } from '../compiler';
import type { HelperIoFinder } from '../helper-io';
import { localModelQuery, modelReceiver } from '../model-classes';
import type { TsCall, TsModel } from '../model';
import { OBJECTION, objectionChainOf } from '../objection';
import { KNEX_READ_STEPS, knexStepsBounded } from './knex';
import {
  WORDING,
  type UnboundedRead,
  chainOf,
  inAwaitedPromiseAll,
  returnedFromAsync,
  shortText,
} from './read';

/** A model's static `query()` somewhere in the file: no other file has an Objection read. */
const QUERY_CALL = /\.query\(/;

/** Whether a file may hold an Objection read (a cheap sniff before any call is looked at). */
export function mayReadObjection(text: string): boolean {
  return QUERY_CALL.test(text);
}

/**
 * Objection's builder steps that only shape a read, beside knex's: eager loading of relations
 * (its rows come per parent row read), joins through relations, and options of the query.
 * Anything else (`modify('named')`, `page`, writes, a `$relatedQuery`) is left alone.
 */
const OBJECTION_READ_STEPS = new Set([
  'withGraphFetched',
  'withGraphJoined',
  'allowGraph',
  'eager',
  'joinEager',
  'joinRelated',
  'innerJoinRelated',
  'leftJoinRelated',
  'alias',
  'skipUndefined',
  'throwIfNotFound',
  'context',
  'debug',
]);

/**
 * Steps that bound the rows beside knex's `limit` and `first`: a page of them, one row by key or
 * filter, rows by a list of keys, or only their count.
 */
const OBJECTION_BOUNDS = new Set([
  'page',
  'range',
  'findById',
  'findByIds',
  'findOne',
  'resultSize',
]);

/**
 * `await Person.query()`, `return Person.query().where(...)` in an `async` function, or one of the
 * reads an awaited `Promise.all([...])` runs: a read of a
 * model's rows made only of read steps with no bound, or undefined. A builder kept in a variable or
 * handed to a helper is never the awaited chain itself, so it is left alone (it may be limited
 * there), and so are relation queries (`$relatedQuery`, `relatedQuery`): their relation may be
 * to-one.
 */
export function objectionRead(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
  models: () => HelperIoFinder,
): UnboundedRead | undefined {
  const chain = objectionChainOf(model, call);
  if (!chain || chain.start.name !== 'query') return undefined;
  const node = call.node;
  if (!ts.isCallExpression(node)) return undefined;
  if (!call.awaited && !returnedFromAsync(node) && !inAwaitedPromiseAll(node)) return undefined;
  if (!chain.methods.every((name) => KNEX_READ_STEPS.has(name) || OBJECTION_READ_STEPS.has(name)))
    return undefined;
  if (chain.methods.some((name) => OBJECTION_BOUNDS.has(name))) return undefined;
  const start = chain.start.node as ts.CallExpression;
  // Key pins as knex reads them with no table name: `where('id', id)`, `whereIn('id', ids)`.
  if (knexStepsBounded(chainOf(node).steps, start)) return undefined;
  const receiver = modelReceiver(chain.start);
  if (receiver?.kind !== 'static') return undefined;
  const orm = localModelQuery(model, chain.start) ?? models().modelQuery(chain.start);
  if (orm !== OBJECTION) return undefined;
  const bound = `.limit(${ctx.options.defaultLimit})`;
  return {
    wording: WORDING.objection,
    quoted:
      chain.methods.length === 0 ? shortText(start, 50) : `${shortText(start, 50)}…${call.name}()`,
    entity: receiver.className,
    start: start.getStart(),
    end: start.end,
    fix: {
      title: `Add \`${bound}\``,
      safety: 'unsafe',
      edits: [{ start: node.end, end: node.end, newText: bound }],
    },
  };
}
