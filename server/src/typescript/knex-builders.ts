/**
 * Knex queries written builder-first on an instance or a transaction, the form knex's own docs
 * lead with: `knex.select('id').from('users')`, `trx.insert(row).into('events')`,
 * `this.knex.update(values).table(t).where(...)`, `knex.from(t)`. The table is named by a
 * `from`/`into`/`table` step instead of by calling the instance with it (`knex('users')`, which
 * `knowledge.ts` reads). Drizzle (`db.select().from(users)`) and SQL string builders
 * (`query.select('a').from('t')`) share these method names, so a chain counts only on a knex
 * instance `knex-instances.ts` recognises.
 */
import { ts } from './compiler';
import { isKnexInstance } from './knex-instances';
import { unwrap, type TsCall, type TsModel } from './model';

/** One step of a builder chain: `where` and its arguments. */
export interface KnexStep {
  name: string;
  args: readonly ts.Expression[];
  /** The call of this step (`knex.select('id')`, `….from('users')`). */
  node: ts.CallExpression;
}

/** A builder-first chain: what it starts on, its steps, and the step that names the table. */
export interface KnexBuilderChain {
  /** `knex`, `trx`, `this.knex`. */
  instance: ts.Expression;
  /** Every step, first to last; promise methods at the end (`.then(...)`) left out. */
  steps: KnexStep[];
  /** `from('users')`, `into('events')`, `table(t)`. */
  table: KnexStep;
}

/**
 * A chain of calls on a name (`knex`, `this.knex`, `this.#db`) with a step that names a table: the
 * callee (arguments left out) is tested before any node is looked at, so calls of other shapes pay
 * one regular expression.
 */
const BUILDER_CALLEE = /^(?:this\.#?)?[\w$]+(?:\.[\w$]+\(\))*\.[\w$]+$/;
const NAMES_TABLE = /\.(?:from|into|table)(?:\(\)|$)/;

/** Steps that name the table a builder-first chain runs on. */
const TABLE_STEPS = new Set(['from', 'into', 'table']);

/**
 * Methods a builder-first chain starts with on a knex instance. Anything else is no query builder
 * (`knex.raw(sql)`, which the SQL rules read; `knex.schema.table(...)`, DDL; `knex.transaction()`;
 * `knex.fn.now()`; `knex.destroy()`).
 */
const STARTS = new Set([
  'select',
  'distinct',
  'column',
  'columns',
  'where',
  'first',
  'pluck',
  'count',
  'countDistinct',
  'min',
  'max',
  'sum',
  'avg',
  'from',
  'into',
  'table',
  'insert',
  'update',
  'del',
  'delete',
  'upsert',
  'increment',
  'decrement',
  'with',
  'withRecursive',
]);

/** Promise methods at the end of a chain: the builder is sent when they are called. */
const PROMISE_METHODS = new Set(['then', 'catch', 'finally']);

/** Steps that turn the builder into something else than a sent query: SQL text, a copy, a stream. */
const NOT_SENT = new Set(['toSQL', 'toString', 'toQuery', 'toNative', 'clone', 'stream', 'pipe']);

/**
 * The builder-first chain `call` ends, by its shape alone: calls on a name, starting with a
 * builder method and naming a table (`from('users')`), or undefined. Whether the name is a knex
 * instance is `knexBuilderQuery`'s question.
 */
export function knexBuilderChain(call: TsCall): KnexBuilderChain | undefined {
  if (!BUILDER_CALLEE.test(call.callee) || !NAMES_TABLE.test(call.callee)) return undefined;
  const steps: KnexStep[] = [];
  let node: ts.Expression = call.node as ts.Expression;
  while (ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) return undefined;
    steps.unshift({ name: callee.name.text, args: node.arguments, node });
    node = unwrap(callee.expression);
  }
  while (steps.length > 0 && PROMISE_METHODS.has(steps[steps.length - 1].name)) steps.pop();
  if (steps.length === 0 || !STARTS.has(steps[0].name)) return undefined;
  if (steps.some((step) => NOT_SENT.has(step.name))) return undefined;
  const table = steps.find((step) => TABLE_STEPS.has(step.name) && step.args.length > 0);
  return table ? { instance: node, steps, table } : undefined;
}

/** The name a knex instance goes by when nothing else says (`import knex from '../db'`). */
function namedKnex(instance: ts.Identifier): boolean {
  return instance.text === 'knex';
}

/**
 * The builder-first chain `call` ends, when it runs on a knex instance or a transaction of one
 * (`knex-instances.ts`; `isSource` may accept more, such as an instance another module exports;
 * by default a name `knex`).
 */
export function knexBuilderQuery(
  model: TsModel,
  call: TsCall,
  isSource: (instance: ts.Identifier) => boolean = namedKnex,
): KnexBuilderChain | undefined {
  const chain = knexBuilderChain(call);
  return chain && isKnexInstance(model, chain.instance, isSource) ? chain : undefined;
}
