/**
 * A batch overload that loops over the array it was given and calls itself once per item, to run
 * the single-item path (`async update(data: Item | Item[], key?: string)` with `for (const item of
 * toArray(data)) await this.update(item, item.id)`), as CRUD service base classes do. It recurses
 * one level, over the caller's own items: no tree is walked. A tree walk hands the call a child
 * of the current node instead (`for (const child of node.children) await this.walk(child)`).
 */
import { ts } from './compiler';
import { loopBinding } from './loop-repetition';
import { chainText, unwrap, type TsCall, type TsFunction, type TsLoop } from './model';
import { declarationOf, localVariableOf } from './name-resolution';

/** The initializer of the local variable `node` names, in the function that uses it. */
function localInitializer(node: ts.Expression): ts.Expression | undefined {
  const name = unwrap(node);
  return ts.isIdentifier(name) ? localVariableOf(name)?.holder.initializer : undefined;
}

/** Whether `node` names a parameter of `fn`. */
function isParameterOf(node: ts.Expression, fn: TsFunction): boolean {
  const name = unwrap(node);
  const holder = ts.isIdentifier(name) ? declarationOf(name)?.parent : undefined;
  return !!holder && ts.isParameter(holder) && holder.parent === fn.node;
}

/**
 * Whether `node` is `fn`'s parameter as a list: the parameter itself (`data as Item[]`), a call
 * given only it (`toArray(data)`, `castArray(data)`), `Array.isArray(data) ? data : [data]`, or a
 * variable holding one of these.
 */
function isParameterList(node: ts.Expression, fn: TsFunction, throughVariable = true): boolean {
  const value = unwrap(node);
  if (isParameterOf(value, fn)) return true;
  if (ts.isCallExpression(value))
    return value.arguments.length === 1 && isParameterOf(value.arguments[0], fn);
  if (ts.isConditionalExpression(value))
    return isParameterOf(value.whenTrue, fn) || isParameterOf(value.whenFalse, fn);
  const initializer = throughVariable ? localInitializer(value) : undefined;
  return !!initializer && isParameterList(initializer, fn, false);
}

/** Whether `node` refers to the name `item`. */
function isName(node: ts.Expression, item: string): boolean {
  const value = unwrap(node);
  return ts.isIdentifier(value) && value.text === item;
}

/** Functions that copy a value: `clone`, `cloneDeep`, `structuredClone`, `deepCopy`. */
const COPIES = /(?:^|\.)(?:clone|cloneDeep|structuredClone|copy|deepCopy|deepClone)$/i;

/** Whether `value` is a copy of `item`: `clone(item)`, `{ ...item }`. */
function isCopyOf(value: ts.Expression, item: string): boolean {
  if (ts.isObjectLiteralExpression(value))
    return value.properties.some((p) => ts.isSpreadAssignment(p) && isName(p.expression, item));
  if (!ts.isCallExpression(value) || !COPIES.test(chainText(value.expression))) return false;
  return value.arguments.length === 1 && isName(value.arguments[0], item);
}

/**
 * Whether `argument` is the loop's item: the item itself, or a variable holding it or a copy of
 * it (`const payload = clone(single)`). A value derived otherwise (`childrenOf(node)`) may be the
 * next level of a tree.
 */
function isItem(argument: ts.Expression, item: string): boolean {
  if (isName(argument, item)) return true;
  const initializer = localInitializer(argument);
  if (!initializer) return false;
  const value = unwrap(initializer);
  return isName(value, item) || isCopyOf(value, item);
}

/**
 * Whether the recursive `call` of `caller` hands it one item of the array `caller` was given, in
 * `loop`: a batch overload dispatching to the single-item path, not a tree walk.
 */
export function dispatchesPerItem(call: TsCall, loop: TsLoop, caller: TsFunction): boolean {
  const binding = loopBinding(loop);
  if (!loop.iterable || !binding || !ts.isIdentifier(binding)) return false;
  if (!isParameterList(loop.iterable, caller)) return false;
  return call.args.some((argument) => isItem(argument, binding.text));
}
