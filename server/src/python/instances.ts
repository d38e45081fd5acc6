/**
 * Module-level instances: `product_service = ProductService()` or `user_dao: CRUDUser =
 * CRUDUser(User)` at the top of a service or DAO module, which routes import and call
 * (`product_service.fetch(db, id)`). Knowing the class lets the workspace index resolve such a call
 * to `ProductService.fetch`, as it resolves `ProductService.fetch(...)` written out.
 */
import type { ClassFact } from '../workspace/facts';
import type { PyCall, PyFunction, PythonModel } from './model';
import { bindingKey, qualify } from './model';
import { OwnedCache } from './memo';
import { isModuleLevel } from './scope-analysis';

const instancesCache = new OwnedCache<PythonModel, ReadonlyMap<string, string[]>>('instances');

/**
 * Module-level names bound to an instance of a class, with the qualified names the class may
 * have (most specific first). Only a name assigned exactly once in the module, outside any function
 * or class, never declared `global` in a function, whose value is a call of a class: a class this
 * module defines at top level, or an imported name spelled like one (CapWords, as PEP 8 names
 * classes; `logging.getLogger()` or `make_service()` return objects of unknown type).
 */
export function moduleInstances(model: PythonModel): ReadonlyMap<string, string[]> {
  let instances = instancesCache.get(model);
  if (!instances) {
    instances = findModuleInstances(model);
    instancesCache.set(model, instances);
  }
  return instances;
}

function findModuleInstances(model: PythonModel): Map<string, string[]> {
  const assignedAt = new Map<string, number>();
  const reassigned = new Set<string>();
  for (const assignment of model.assignments) {
    if (assignment.fn || assignment.className || assignment.target.includes('.')) continue;
    if (assignedAt.has(assignment.target) || assignment.augmented)
      reassigned.add(assignment.target);
    else assignedAt.set(assignment.target, assignment.valueStart);
  }
  const instances = new Map<string, string[]>();
  for (const [name, valueStart] of assignedAt) {
    if (reassigned.has(name) || model.imports.has(name)) continue;
    const call = model.bindings?.get(bindingKey(name));
    // The binding is that of this assignment only when the call is its whole value.
    if (!call || call.start !== valueStart) continue;
    const classNames = classTargets(call, model);
    if (classNames.length === 0 || declaredGlobal(model.source, name)) continue;
    instances.set(name, classNames);
  }
  return instances;
}

/** The qualified names of the class a constructor call names, or none when it is not one. */
function classTargets(call: PyCall, model: PythonModel): string[] {
  const { callee } = call;
  if (!callee) return [];
  const dot = callee.indexOf('.');
  const head = dot === -1 ? callee : callee.slice(0, dot);
  if (model.imports.has(head)) {
    const last = callee.slice(callee.lastIndexOf('.') + 1);
    return /^_?[A-Z]/.test(last) ? [call.qualified] : [];
  }
  if (dot !== -1 || !isTopLevelClass(model, callee)) return [];
  return [model.moduleName ? `${model.moduleName}.${callee}` : callee];
}

function isTopLevelClass(model: PythonModel, name: string): boolean {
  return model.classes.some((cls) => cls.name === name && isModuleLevel(cls.node));
}

/**
 * The module's top-level classes whose first base is a class of this module or an imported name
 * (`class CRUDUser(CRUDBase[User])`), for the index to find methods an instance inherits. Only
 * the first base is followed: the one Python searches first after the class itself.
 */
export function classesWithBases(model: PythonModel): ClassFact[] {
  const facts: ClassFact[] = [];
  for (const cls of model.classes) {
    // `CRUDBase[User]` is `CRUDBase`; a keyword (`metaclass=ABCMeta`) is no base.
    const first = cls.bases.find((base) => !base.includes('='));
    const base = first?.replace(/\[[\s\S]*$/, '').trim();
    if (!base || !/^[\w.]+$/.test(base) || !isModuleLevel(cls.node)) continue;
    const head = base.split('.')[0];
    let qualified: string | undefined;
    if (model.imports.has(head)) qualified = qualify(base, model.imports);
    else if (base === head && isTopLevelClass(model, base))
      qualified = model.moduleName ? `${model.moduleName}.${base}` : base;
    if (qualified) facts.push({ name: cls.name, base: [qualified] });
  }
  return facts;
}

/** A `global name` statement lets a function rebind the instance. */
function declaredGlobal(source: string, name: string): boolean {
  return new RegExp(`\\bglobal\\s+(?:[\\w\\s,]*,\\s*)?${name}\\b`).test(source);
}

/**
 * The module-level instance a call's receiver names (`product_service` in
 * `product_service.fetch(db, id)`), when exactly one method name follows it and no parameter or
 * local of the calling function (or of one it is nested in) hides the module's name.
 */
export function instanceReceiver(call: PyCall, model: PythonModel): string | undefined {
  const { callee } = call;
  const dot = callee.indexOf('.');
  if (dot === -1 || callee.includes('.', dot + 1)) return undefined;
  const head = callee.slice(0, dot);
  if (!moduleInstances(model).has(head) || shadowed(head, call.fn, model)) return undefined;
  return head;
}

/** Whether a parameter or local of `fn`, or of a function it is nested in, hides a module name. */
export function shadowed(name: string, fn: PyFunction | undefined, model: PythonModel): boolean {
  for (let f = fn; f; f = f.parent) {
    if (f.params.some((param) => param.name === name)) return true;
    if (model.bindings?.has(bindingKey(name, f))) return true;
  }
  return false;
}
