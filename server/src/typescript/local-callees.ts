/**
 * The function of this file a call names, when the syntax says which one: a method of the
 * enclosing class for `this.pendingLogs()`, the one top-level-named function for `pendingLogs()`.
 * Rules read its declaration (a return type) or its body (what it does) instead of guessing from
 * the call's name.
 */
import { enclosingClass } from './declared-types';
import type { TsCall, TsFunction, TsModel } from './model';

export function calledLocalFunction(model: TsModel, call: TsCall): TsFunction | undefined {
  if (call.receiverText === 'this') {
    const cls = enclosingClass(call.node);
    if (!cls) return undefined;
    const methods = model.functions.filter(
      (fn) => fn.className && fn.name === call.name && enclosingClass(fn.node) === cls,
    );
    return methods.length === 1 ? methods[0] : undefined;
  }
  if (call.receiver || model.imports.has(call.name)) return undefined;
  const named = model.functions.filter((fn) => fn.name === call.name && !fn.className);
  return named.length === 1 ? named[0] : undefined;
}
