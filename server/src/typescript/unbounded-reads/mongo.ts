/** Mongoose models' and native MongoDB collections' `find()` read whole. */
import type { FileContext } from '../../engine/rule';
import { ts } from '../compiler';
import { findProperty } from '../object-literals';
import type { HelperIoFinder } from '../helper-io';
import { unwrap, type TsCall, type TsModel } from '../model';
import { modelReceiver } from '../model-classes';
import { ormQuery } from '../orm-calls';
import { isMongodbCollection, MONGODB } from '../mongodb-collections';
import {
  WORDING,
  type UnboundedRead,
  optionsOf,
  operatorPins,
  pinsKey,
  shortText,
  chainedAbove,
} from './read';

/** Mongoose query methods after `find()` that stream, count or de-duplicate instead of loading rows. */
const MONGOOSE_NOT_LOADING = new Set([
  'cursor',
  'stream',
  'eachAsync',
  'count',
  'countDocuments',
  'estimatedDocumentCount',
  'distinct',
]);

/** The expression's value is kept (assigned) rather than run where it is written. */
function isStored(expression: ts.Expression): boolean {
  let parent = expression.parent;
  while (parent && ts.isParenthesizedExpression(parent)) parent = parent.parent;
  return (
    !!parent &&
    (ts.isVariableDeclaration(parent) ||
      (ts.isBinaryExpression(parent) &&
        parent.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
        parent.right === expression))
  );
}

/**
 * `find(filter, ..., options)` bounds its rows by its arguments: a filter pinning `_id`, a `limit`
 * option, or options Perflens cannot see (which may hold one).
 */
function boundedByArguments(
  filter: ts.Expression | undefined,
  options: ts.Expression | undefined,
): boolean {
  if (filter && pinsKey(filter, '_id', operatorPins)) return true;
  if (!options) return false;
  const literal = optionsOf(options);
  return literal === 'opaque' || (literal !== 'none' && !!findProperty(literal, 'limit'));
}

/**
 * The model a `find()` is called on, when the code names it (`User` of `User.find()`); not the
 * type a receiver is declared with (`Model` of `cats: Model<Cat>`, `IColumnModel`), which names
 * no documents.
 */
function modelName(call: TsCall): string | undefined {
  const receiver = modelReceiver(call);
  return receiver?.kind === 'static' ? receiver.className : undefined;
}

/**
 * `this.catModel.find(filter)`, `User.find()` (a model `mongoose.model(...)` made, here or in
 * another file) with no `.limit()` in its chain: unbounded, or undefined.
 */
export function mongooseFind(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
  models: HelperIoFinder,
): UnboundedRead | undefined {
  if (call.name !== 'find') return undefined;
  if ((ormQuery(model, call) ?? models.modelQuery(call)) !== 'mongoose') return undefined;
  const node = call.node as ts.CallExpression;
  const { methods, top } = chainedAbove(node);
  if (methods.includes('limit') || methods.some((method) => MONGOOSE_NOT_LOADING.has(method)))
    return undefined;
  // A query kept in a variable may be limited before it runs.
  if (isStored(top)) return undefined;
  const [filter, , options] = call.args;
  if (boundedByArguments(filter, options)) return undefined;
  const limit = `.limit(${ctx.options.defaultLimit})`;
  // Old callback style runs the query at once: no `.limit()` can follow it.
  const callback = call.args.some((arg) => ts.isFunctionLike(unwrap(arg)));
  return {
    wording: WORDING.mongoose,
    quoted: `${shortText(node.expression)}()`,
    entity: modelName(call),
    documents: true,
    start: call.start,
    end: node.expression.end,
    fix: callback
      ? undefined
      : {
          title: `Add \`${limit}\``,
          safety: 'unsafe',
          edits: [{ start: node.end, end: node.end, newText: limit }],
        },
  };
}

/**
 * `users.find(filter).toArray()` on a native MongoDB collection (made or declared in the file, or
 * exported by another module) with no `.limit()` before `toArray()`: unbounded, or undefined. A
 * cursor read otherwise (`next()`, `for await`) streams, and a cursor kept in a variable may be
 * limited before it is read.
 */
export function mongodbFind(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
  models: HelperIoFinder,
): UnboundedRead | undefined {
  if (call.name !== 'find' || !call.receiver) return undefined;
  if (!isMongodbCollection(model, call.receiver) && models.modelQuery(call) !== MONGODB)
    return undefined;
  const node = call.node as ts.CallExpression;
  const { methods } = chainedAbove(node);
  const read = methods.indexOf('toArray');
  if (read < 0 || methods.slice(0, read).includes('limit')) return undefined;
  const [filter, options] = call.args;
  if (boundedByArguments(filter, options)) return undefined;
  const limit = `.limit(${ctx.options.defaultLimit})`;
  return {
    wording: WORDING.mongoose,
    quoted: `${shortText(node.expression)}()`,
    documents: true,
    start: call.start,
    end: node.expression.end,
    fix: {
      title: `Add \`${limit}\``,
      safety: 'unsafe',
      edits: [{ start: node.end, end: node.end, newText: limit }],
    },
  };
}
