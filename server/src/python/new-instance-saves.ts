/**
 * `copy = Copy(sku=item.sku)` then `copy.save()` in the same loop pass: an INSERT per item. The
 * constructor names the class, so the row's model is known (unlike `save()` on the objects of a
 * list passed in, which may be forms, serializers or rows already saved).
 */
import { bindingKey, type PyCall, type PythonModel } from './model';
import {
  skippedBySaveInBulk,
  skippedCustomWrite,
  type ModelWriteHooks,
} from './django-round-trips';

/**
 * The class of the new instance `call` saves when it is `x.save()` / `await x.asave()` on a local
 * the innermost loop around it binds to `Model(...)` of a class `isDjangoModel` accepts.
 */
export function savedNewInstanceClass(
  call: PyCall,
  model: PythonModel,
  isDjangoModel: (className: string) => boolean,
): string | undefined {
  if (call.method !== 'save' && call.method !== 'asave') return undefined;
  const loop = call.loops.at(-1);
  if (!loop || call.receiver?.type !== 'identifier') return undefined;
  const made = model.bindings?.get(bindingKey(call.receiver.text, call.fn));
  // A bare `Copy(...)` made in the same pass: a new row each time.
  if (!made || made.hasReceiver || !/^[A-Z]/.test(made.method)) return undefined;
  if (made.loops.at(-1) !== loop || made.node.startIndex > call.node.startIndex) return undefined;
  return isDjangoModel(made.method) ? made.method : undefined;
}

/** What to do instead of one INSERT per pass: build the rows, insert them together. */
export function newInstanceAdvice(call: PyCall, className: string, hooks: ModelWriteHooks): string {
  const a = call.method === 'asave' ? 'a' : '';
  const skipped = skippedBySaveInBulk(className, hooks) ?? skippedCustomWrite(call);
  if (skipped)
    return `one \`${a}bulk_create([...])\` would skip ${skipped}: batch what it does, or keep the loop`;
  return `collect the new \`${className}\` objects in the loop and insert them with one \`${a}bulk_create([...])\` after it`;
}
