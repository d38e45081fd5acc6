/**
 * Value paths: how a file names an object whose class only other files can tell. Mealie's
 * services call `self.repos.recipes.get_one(slug)` or `repos.users.get_one(id)`, where `repos` is
 * an `AllRepositories` (its `__init__` parameter's annotation, or what `get_repositories(...)`
 * returns) and `recipes` a `@cached_property` of that class in another module. The file writes
 * what it knows as a path the workspace index walks (`WorkspaceIndex.resolve`):
 *
 * - a root `<qualified name>()`: an instance of that class, or what that function returns;
 * - then steps: `<name>` reads a property, `<name>()` calls a method, each of the class reached.
 *
 * An attribute `__init__` keeps such a value in (`self.list_items = repos.group_shopping_list_item`)
 * stands for the value's path.
 *
 * `app.repos.AllRepositories().recipes.by_user().get_one` is the method `get_one` of what the
 * method `by_user` of what the property `recipes` of an `AllRepositories` returns. The index knows
 * what a property or method returns from its facts (`FunctionFacts.returns`), never by a name.
 */
import type { Node } from 'web-tree-sitter';
import {
  annotatedClasses,
  assignsAttribute,
  classNamed,
  localCallOf,
  localInstanceClasses,
  moduleInstances,
  selfAttributeClasses,
  selfAttributeValue,
  shadowed,
} from './instances';
import { classOfFunction, type PyCall, type PyFunction, type PythonModel } from './model';
import { OwnedCache } from './memo';
import { unwrap } from './scope-analysis';

/** How many locals a path follows back (`a = f()`, `b = a.x()`, `b.m()`): a few. */
const MAX_DEPTH = 3;
/** How many attribute reads a receiver may chain (`self.repos.recipes`): a few. */
const MAX_STEPS = 3;

/** `@property`, `@cached_property` (functools, Django's, ...): a read runs the method. */
const PROPERTY_DECORATOR = /^(?:property|(?:[\w.]+\.)?cached_property)$/;

/** A method of a class read as an attribute: `@property`, `@cached_property`. */
export function isPropertyMethod(fn: PyFunction): boolean {
  return !fn.parent && !!fn.className && fn.decorators.some((d) => PROPERTY_DECORATOR.test(d));
}

/** `-> Self` (typing, typing_extensions), quoted or not. */
const SELF_ANNOTATION = /^(["']?)(?:typing(?:_extensions)?\.)?Self\1$/;

/** The `return` keyword (or the word in a string or comment: then the body is not read). */
const RETURN_WORD = /\breturn\b/g;

/** `Repo[Out, Model]` of a generic class: its head. */
const GENERIC_HEAD = /^([\w.]+)\s*\[/;

/**
 * The paths (see the module comment) of what the receiver of a method call holds, each followed
 * by the method: `app.factory.AllRepositories().recipes.get_one` for `self.repos.recipes.get_one()`
 * in a class whose `__init__` keeps `repos: AllRepositories`. Only for a dotted callee whose
 * receiver is `self`, a local or parameter, or a module-level instance, with attributes after it.
 */
export function valuePathTargets(call: PyCall, model: PythonModel): readonly string[] {
  const { callee } = call;
  const dot = callee.lastIndexOf('.');
  if (dot <= 0) return NONE;
  const paths = receiverPaths(callee.slice(0, dot), call.fn, model);
  if (paths.length === 0) return NONE;
  const method = callee.slice(dot + 1);
  return paths.map((path) => `${path}.${method}`);
}

const NONE: readonly string[] = [];

/** `receiverPaths` answers per function and receiver: a function's calls share receivers. */
const receiverPathsCache = new OwnedCache<PyFunction, Map<string, readonly string[]>>(
  'receiver value paths',
);

/** The paths of what a dotted receiver (`self.repos.recipes`) holds in `fn`. */
function receiverPaths(
  receiver: string,
  fn: PyFunction | undefined,
  model: PythonModel,
): readonly string[] {
  if (!fn) return namePaths(receiver.split('.'), fn, model, 0);
  let byReceiver = receiverPathsCache.get(fn);
  if (!byReceiver) receiverPathsCache.set(fn, (byReceiver = new Map()));
  let paths = byReceiver.get(receiver);
  if (!paths) {
    paths = namePaths(receiver.split('.'), fn, model, 0);
    byReceiver.set(receiver, paths);
  }
  return paths;
}

/**
 * The paths of what a method call's receiver holds when it is itself a call with a dotted callee
 * (`self.repos.recipes.by_user(id)` in `self.repos.recipes.by_user(id).get_one(slug)`), each
 * followed by the method. A receiver two calls deep (`a.b().c().d()`) is not followed.
 */
export function calledReceiverTargets(call: PyCall, model: PythonModel): readonly string[] {
  // The receiver's range finds it among the calls without asking the tree.
  if (call.receiverEnd < 0) return NONE;
  const receiver = model.callsByRange.get(`${call.start}:${call.receiverEnd}`);
  if (!receiver?.callee) return NONE;
  const paths = callPaths(receiver, model, 0);
  return paths.length === 0 ? NONE : paths.map((path) => `${path}.${call.method}`);
}

/** The paths of what a dotted name (`self.repos.recipes`, `repos.users`) holds in `fn`. */
function namePaths(
  parts: readonly string[],
  fn: PyFunction | undefined,
  model: PythonModel,
  depth: number,
): string[] {
  if (parts.length > MAX_STEPS + 1) return [];
  const [head, ...steps] = parts;
  let roots: string[];
  if (head === 'self') {
    const cls = classOfFunction(fn);
    if (!cls) return [];
    // `self.repos` kept by `__init__` with a known class; else, unless the class stores it (data
    // of unknown class), `repos` may be a property of the class or of a base, which the index finds.
    const held = steps.length > 0 ? selfAttributeClasses(cls, steps[0], model) : [];
    if (held.length > 0) {
      roots = held.map((name) => `${name}()`);
      steps.shift();
    } else if (steps.length > 0 && assignsAttribute(cls, steps[0], model)) {
      // `self.list_items = repos.group_shopping_list_item` in `__init__`: what that value holds.
      const kept = depth < MAX_DEPTH ? selfAttributeValue(cls, steps[0], model) : undefined;
      if (!kept) return [];
      roots = valuePaths(kept.value, kept.init, model, depth + 1);
      steps.shift();
    } else roots = [`${model.moduleName ? `${model.moduleName}.` : ''}${cls}()`];
  } else if (model.imports.has(head) && !shadowed(head, fn, model)) {
    // A module's attribute, not an object.
    return [];
  } else roots = rootsOfName(head, fn, model, depth);
  const rest = steps.length > 0 ? `.${steps.join('.')}` : '';
  return roots.map((root) => root + rest);
}

/** The paths of what a plain name holds: a local, a parameter or a module-level instance. */
function rootsOfName(
  name: string,
  fn: PyFunction | undefined,
  model: PythonModel,
  depth: number,
): string[] {
  const classes = localInstanceClasses(name, fn, model);
  if (classes.length > 0) return classes.map((cls) => `${cls}()`);
  const call = localCallOf(name, fn, model);
  if (call) return depth < MAX_DEPTH ? callPaths(call, model, depth + 1) : [];
  if (shadowed(name, fn, model)) return [];
  return (moduleInstances(model).get(name) ?? []).map((cls) => `${cls}()`);
}

/**
 * The paths of what a call returns: `app.repos.get_repositories()` for `get_repositories(s)`
 * (imported or of this module), `app.repos.RepositoryUsers()` for a constructor, and the
 * receiver's path with `.by_user()` for `self.repos.recipes.by_user(id)`. A call on a call
 * (`make().build()`) is not followed.
 */
function callPaths(call: PyCall, model: PythonModel, depth: number): string[] {
  const { callee } = call;
  if (!callee) return [];
  const dot = callee.indexOf('.');
  const head = dot === -1 ? callee : callee.slice(0, dot);
  if (model.imports.has(head) && !shadowed(head, call.fn, model)) return [`${call.qualified}()`];
  if (dot === -1) {
    const classes = classNamed(callee, model);
    if (classes.length > 0) return classes.map((cls) => `${cls}()`);
    if (shadowed(callee, call.fn, model)) return [];
    // A function of this module, or one nested in the caller.
    const own = model.moduleName ? `${model.moduleName}.${callee}()` : `${callee}()`;
    return call.fn ? [`${call.fn.qualifiedName}.${callee}()`, own] : [own];
  }
  const last = callee.lastIndexOf('.');
  const receiver = callee.slice(0, last);
  const paths =
    depth === 0
      ? receiverPaths(receiver, call.fn, model)
      : namePaths(receiver.split('.'), call.fn, model, depth);
  const method = callee.slice(last + 1);
  return paths.map((path) => `${path}.${method}()`);
}

/** What a function's facts say it returns (see `FunctionFacts.returns`). */
export interface ReturnFacts {
  returns?: string[];
  returnsSelf?: true;
  property?: true;
}

const returnFactsCache = new OwnedCache<PyFunction, ReturnFacts>('return facts');

/**
 * What a method or top-level function returns, as paths other files can walk: the class its
 * return annotation names (`-> RepositoryRecipes`, `-> Repo[Out, Model]`), the instance itself
 * (`-> Self`, `return self`), else, when its body ends in its one `return`, what that returns
 * (`return RepositoryUsers(...)`, `return AllRepositories(session)`, `return
 * self.repos.recipes.by_user(id)`). Whether it is a property, read without a call. Nested
 * functions are not asked: no other file calls them.
 */
export function returnFacts(fn: PyFunction, model: PythonModel): ReturnFacts {
  let facts = returnFactsCache.get(fn);
  if (!facts) {
    facts = findReturnFacts(fn, model);
    returnFactsCache.set(fn, facts);
  }
  return facts;
}

function findReturnFacts(fn: PyFunction, model: PythonModel): ReturnFacts {
  if (fn.parent) return {};
  const facts: ReturnFacts = {};
  if (isPropertyMethod(fn)) facts.property = true;
  const annotation = fn.node.childForFieldName('return_type')?.text.trim();
  if (annotation) {
    if (fn.className && SELF_ANNOTATION.test(annotation)) facts.returnsSelf = true;
    else {
      const classes = annotatedClasses(annotation, model);
      const generic = GENERIC_HEAD.exec(annotation)?.[1];
      const named = classes.length > 0 ? classes : generic ? classNamed(generic, model) : [];
      if (named.length > 0) facts.returns = named.map((cls) => `${cls}()`);
    }
    // An annotation that names no class (`-> None`, `-> list[Recipe]`) is taken at its word.
    return facts;
  }
  const value = onlyReturnedValue(fn, model);
  if (!value) return facts;
  if (returnsInstance(value, fn)) facts.returnsSelf = true;
  else {
    const paths = valuePaths(value, fn, model);
    if (paths.length > 0) facts.returns = paths;
  }
  return facts;
}

/** `return <value>` as the last statement of the body, and no other `return` in it. */
function onlyReturnedValue(fn: PyFunction, model: PythonModel): Node | undefined {
  const last = fn.body.lastNamedChild;
  if (last?.type !== 'return_statement') return undefined;
  const body = model.source.slice(fn.body.startIndex, fn.body.endIndex);
  if ((body.match(RETURN_WORD) ?? []).length !== 1) return undefined;
  return unwrap(last.firstNamedChild) ?? undefined;
}

/** `self`, `type(self)(...)` or `self.__class__(...)` in a method: an instance of its class. */
function returnsInstance(value: Node, fn: PyFunction): boolean {
  if (!fn.className) return false;
  if (value.type === 'identifier') return value.text === 'self';
  if (value.type !== 'call') return false;
  const callee = value.childForFieldName('function')?.text.replace(/\s+/g, '');
  return callee === 'type(self)' || callee === 'self.__class__';
}

/** The paths of what an expression holds: a call's result, or a dotted name's value. */
function valuePaths(value: Node, fn: PyFunction, model: PythonModel, depth = 0): string[] {
  if (value.type === 'call') {
    const call = model.callsByRange.get(`${value.startIndex}:${value.endIndex}`);
    return call ? callPaths(call, model, depth) : [];
  }
  if (value.type !== 'identifier' && value.type !== 'attribute') return [];
  const parts = value.text.split('.');
  if (parts.some((part) => !/^\w+$/.test(part))) return [];
  return namePaths(parts, fn, model, depth);
}
