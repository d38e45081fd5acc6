/**
 * Module-level instances: `product_service = ProductService()` or `user_dao: CRUDUser =
 * CRUDUser(User)` at the top of a service or DAO module, which routes import and call
 * (`product_service.fetch(db, id)`). Knowing the class lets the workspace index resolve such a call
 * to `ProductService.fetch`, as it resolves `ProductService.fetch(...)` written out.
 */
import type { Node } from 'web-tree-sitter';
import type { ClassFact } from '../workspace/facts';
import type { PyAssignment, PyCall, PyClass, PyFunction, PythonModel } from './model';
import { asyncOrmOfBase, type AsyncOrm } from './async-orm-models';
import { groupingMethodsOf, narrowingMethodsOf, querySetPinsOf } from './django-querysets';
import { isQuerySetOrManagerClass } from './knowledge';
import { bindingKey, classOfFunction, qualifiedClassName, qualify } from './model';
import { OwnedCache } from './memo';
import { conditionalModuleCalls, declaredGlobal } from './module-branches';
import { redisFactoryClass } from './redis-clients';
import { importsTortoise, tortoiseRelations } from './tortoise-relations';
import { isModuleLevel } from './scope-analysis';

const instancesCache = new OwnedCache<PythonModel, ReadonlyMap<string, string[]>>('instances');

/**
 * Module-level names bound to an instance of a class, with the qualified names the class may
 * have (most specific first). Only a name assigned exactly once in the module, outside any function
 * or class, never declared `global` in a function, whose value is a call of a class (or, for a
 * name made only in module-level `if`/`try` branches and `None` otherwise, every branch's class,
 * see `conditionalModuleCalls`): a class this
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
  for (const [name, calls] of conditionalModuleCalls(model)) {
    const classNames = calls.map((call) => classTargets(call, model));
    if (classNames.some((names) => names.length === 0)) continue;
    instances.set(name, [...new Set(classNames.flat())]);
  }
  return instances;
}

/**
 * The qualified names of the class a constructor call names, or none when it is not one. A
 * redis-py factory (`redis.from_url(...)`) counts as the constructor of the client it returns.
 */
function classTargets(call: PyCall, model: PythonModel): string[] {
  const factory = redisFactoryClass(call.qualified);
  return factory ? [factory] : classNamed(call.callee, model);
}

/**
 * The qualified names of the class a dotted name (a constructor's callee, an annotation) names:
 * a class this module defines at top level, or an imported name spelled like a class.
 */
export function classNamed(name: string, model: PythonModel): string[] {
  if (!name) return [];
  const dot = name.indexOf('.');
  const head = dot === -1 ? name : name.slice(0, dot);
  if (model.imports.has(head)) {
    const last = name.slice(name.lastIndexOf('.') + 1);
    return /^_?[A-Z]/.test(last) ? [qualify(name, model.imports)] : [];
  }
  if (dot !== -1 || !isTopLevelClass(model, name)) return [];
  return [model.moduleName ? `${model.moduleName}.${name}` : name];
}

function isTopLevelClass(model: PythonModel, name: string): boolean {
  return model.classes.some((cls) => cls.name === name && isModuleLevel(cls.node));
}

/**
 * The module's top-level classes whose bases include a class of this module or an imported name
 * (`class CRUDUser(CRUDBase[User])`, `class Person(db.Model, CrudMixin)`), for the index to find
 * methods an instance or the class inherits: the first base as `base` (the one other facts
 * follow, such as the ORM a model extends), the others as `mixins`.
 */
export function classesWithBases(model: PythonModel): ClassFact[] {
  const facts: ClassFact[] = [];
  let tortoise: boolean | undefined;
  for (const cls of model.classes) {
    if (!isModuleLevel(cls.node)) continue;
    const [first, ...rest] = baseNames(cls);
    const qualified = first ? qualifiedClassName(first, model) : undefined;
    const mixins = rest.flatMap((base) => (base && qualifiedClassName(base, model)) || []);
    const orm = asyncOrmOfClass(cls, model);
    // A Django QuerySet or Manager subclass: models of other files may get their manager from it.
    const methods = isQuerySetOrManagerClass(cls) ? narrowingMethodsOf(cls) : [];
    if (!qualified && !orm && mixins.length === 0) continue;
    const fact: ClassFact = { name: cls.name, ...(orm ? { orm } : {}) };
    if (qualified) fact.base = [qualified];
    if (mixins.length > 0) fact.mixins = mixins;
    if (qualified && methods.length > 0) fact.querySetMethods = methods;
    const grouping = methods.length > 0 ? groupingMethodsOf(cls) : [];
    if (qualified && grouping.length > 0) fact.querySetGroupingMethods = grouping;
    const pins = qualified && methods.length > 0 ? querySetPinsOf(cls, model) : [];
    if (pins.length > 0) fact.querySetPins = pins;
    // Relation fields, for loops in other files that await them per row: Tortoise modules only.
    if ((tortoise ??= importsTortoise(model))) {
      const relations = tortoiseRelations(cls, model);
      if (relations.length > 0) fact.relations = relations;
    }
    facts.push(fact);
  }
  return facts;
}

/**
 * A class's bases as dotted names, in order: `CRUDBase[User]` is `CRUDBase`; a keyword
 * (`metaclass=ABCMeta`) is no base. An expression (`declarative_base()`) keeps its place,
 * unnamed, so that the first base is never taken from a later one.
 */
function baseNames(cls: PyClass): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  for (const written of cls.bases) {
    if (written.includes('=')) continue;
    const base = written.replace(/\[[\s\S]*$/, '').trim();
    names.push(/^[\w.]+$/.test(base) ? base : undefined);
  }
  return names;
}

/**
 * The async ORM (Tortoise, Beanie) whose model base one of a class's bases is, by its import
 * (`class Book(TimestampMixin, Model)` with `from tortoise.models import Model`).
 */
function asyncOrmOfClass(cls: PyClass, model: PythonModel): AsyncOrm | undefined {
  for (const base of cls.bases) {
    const head = base.split('.')[0];
    if (!model.imports.has(head)) continue;
    const orm = asyncOrmOfBase(qualify(base.trim(), model.imports));
    if (orm) return orm;
  }
  return undefined;
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

// ---------------------------------------------------------------------------------------------
// Objects of a known class held by a function: `stats: Stats = Depends(get_stats)`,
// `stats = Stats()`, `Stats().rows()`. The call's targets name the class's method, which the index
// resolves like a module-level instance's (through re-exports and base classes).

/** `Annotated[Stats, Depends(...)]` and `Optional[Stats]`: the class is the first argument. */
const ANNOTATION_WRAPPER = /^(?:typing\.|t\.)?(?:Annotated|Optional)\[\s*([\w.]+)\s*[\],]/;
/** `Stats | None` or `None | Stats`. */
const WITH_NONE = /^(?:None\s*\|\s*)?([\w.]+)(?:\s*\|\s*None)?$/;

/** The class names a parameter annotation spells (`Stats`, `"Stats"`, `Optional[Stats]`). */
export function annotatedClasses(annotation: string, model: PythonModel): string[] {
  if (!annotation) return [];
  const text = annotation.trim().replace(/^(["'])(.*)\1$/, '$2');
  const name = ANNOTATION_WRAPPER.exec(text)?.[1] ?? WITH_NONE.exec(text)?.[1];
  return name ? classNamed(name, model) : [];
}

/** A function-local name's assignments: how many (`+=` included), and the first. */
interface LocalAssignments {
  count: number;
  first: PyAssignment;
}

const localAssignments = new OwnedCache<
  PythonModel,
  Map<PyFunction, Map<string, LocalAssignments>>
>('local assignments');

/** The assignments of a function-local name, indexed once per file by function and name. */
function assignmentsOf(
  model: PythonModel,
  name: string,
  fn: PyFunction,
): LocalAssignments | undefined {
  let byFunction = localAssignments.get(model);
  if (!byFunction) {
    byFunction = new Map();
    for (const assignment of model.assignments) {
      const owner = assignment.fn;
      if (!owner || assignment.className || assignment.target.includes('.')) continue;
      let byName = byFunction.get(owner);
      if (!byName) byFunction.set(owner, (byName = new Map()));
      const known = byName.get(assignment.target);
      if (known) known.count++;
      else byName.set(assignment.target, { count: 1, first: assignment });
    }
    localAssignments.set(model, byFunction);
  }
  return byFunction.get(fn)?.get(name);
}

/** `localInstanceClasses` answers per function and name: a function's calls share receivers. */
const instanceClasses = new OwnedCache<PythonModel, Map<PyFunction, Map<string, string[]>>>(
  'local instance classes',
);

/**
 * The qualified names of the class of the object a function-local name holds, most specific
 * first: a parameter annotated with a class (`stats: Stats = Depends(get_stats)`,
 * `Annotated[Stats, Depends(get_stats)]`, `Optional[Stats]`), or a local assigned a constructor
 * call once (`stats = Stats()`). The innermost function that binds the name decides; a name both
 * a parameter and assigned there, assigned more than once, or bound to anything else (what a
 * function returns, `with Stats() as stats`) is of unknown class. Module-level names are
 * `instanceReceiver`'s.
 */
export function localInstanceClasses(
  name: string,
  fn: PyFunction | undefined,
  model: PythonModel,
): string[] {
  if (!fn) return [];
  let byFunction = instanceClasses.get(model);
  if (!byFunction) instanceClasses.set(model, (byFunction = new Map()));
  let byName = byFunction.get(fn);
  if (!byName) byFunction.set(fn, (byName = new Map()));
  let classes = byName.get(name);
  if (!classes) byName.set(name, (classes = findInstanceClasses(name, fn, model)));
  return classes;
}

function findInstanceClasses(name: string, fn: PyFunction, model: PythonModel): string[] {
  const origin = localOrigin(name, fn, model);
  if (!origin) return [];
  return 'call' in origin
    ? classTargets(origin.call, model)
    : annotatedClasses(origin.annotation, model);
}

/**
 * What gives a function-local name its one value: the annotation of the parameter it is, or the
 * call assigned to it once (`name = make(...)`). The innermost function that binds the name
 * decides; a name both a parameter and assigned there, assigned more than once, or bound to
 * anything else (`with make() as name`, `name = await make()`) has none.
 */
function localOrigin(
  name: string,
  fn: PyFunction,
  model: PythonModel,
): { annotation: string } | { call: PyCall } | undefined {
  for (let f: PyFunction | undefined = fn; f; f = f.parent) {
    const param = f.params.find((p) => p.name === name);
    const bound = model.bindings?.get(bindingKey(name, f));
    if (bound === undefined) {
      if (param) return { annotation: param.annotation };
      continue;
    }
    const assigned = assignmentsOf(model, name, f);
    if (param || !bound || assigned?.count !== 1) return undefined;
    // A `with` item or an awaited value binds the name too: only `name = make(...)` counts.
    const assignment = assigned.first;
    if (assignment.valueStart !== bound.start || assignment.augmented) return undefined;
    return { call: bound };
  }
  return undefined;
}

/**
 * The call whose result a function-local name holds (`repos = get_repositories(session)`), when
 * it is assigned that call once and is no parameter (see `localOrigin`).
 */
export function localCallOf(
  name: string,
  fn: PyFunction | undefined,
  model: PythonModel,
): PyCall | undefined {
  const origin = fn && localOrigin(name, fn, model);
  return origin && 'call' in origin ? origin.call : undefined;
}

/** `Stats(...).rows` at the start of a call, by its text: the receiver may be a constructor call. */
const CONSTRUCTED_RECEIVER = /[\w.]*[A-Z]\w*\(/y;

/**
 * The qualified names of the class whose constructor call is a method call's receiver
 * (`Stats()` in `Stats().rows()`), or none.
 */
export function constructedReceiverClasses(call: PyCall, model: PythonModel): string[] {
  // Chains like `db.query(X).all()` are common: the text tells without reading a node.
  CONSTRUCTED_RECEIVER.lastIndex = call.start;
  if (!call.hasReceiver || !CONSTRUCTED_RECEIVER.test(model.source)) return [];
  const receiver = call.receiver;
  if (receiver?.type !== 'call') return [];
  const constructor = model.callsByRange.get(`${receiver.startIndex}:${receiver.endIndex}`);
  return constructor ? classTargets(constructor, model) : [];
}

// ---------------------------------------------------------------------------------------------
// Objects of a known class held by an instance: `self.repo` in `self.repo.fetch()`, after
// `self.repo = Repo(...)` or `self.repo = repo` (a parameter `repo: Repo`) in `__init__`, or with a
// declared type (`repo: Repo` in the class body, `self.repo: Repo = ...`).

/** The assignments of one attribute in one class: `self.<attr> = ...` in its methods, `<attr> = ...` in its body. */
interface AttributeAssignments {
  /** How many (`+=` included). */
  count: number;
  first: PyAssignment;
  /** The types declared where it is assigned (`self.repo: Repo = ...`, `repo: Repo = ...`). */
  annotations: string[];
}

/** `self.repo: Repo = ...` or `repo: Repo =`, as the assignment's head: the annotation. */
const ANNOTATED_HEAD = /^(?:self\.)?[\p{L}_][\p{L}\p{N}_]*\s*:\s*([\s\S]+?)\s*=\s*$/u;

const attributeAssignments = new OwnedCache<
  PythonModel,
  Map<string, Map<string, AttributeAssignments>>
>('attribute assignments');

/** The assignments of each attribute of each class, indexed once per file by class and name. */
function attributeAssignmentsOf(model: PythonModel, className: string, attribute: string) {
  let byClass = attributeAssignments.get(model);
  if (!byClass) {
    byClass = new Map();
    for (const assignment of model.assignments) {
      const { target } = assignment;
      let owner: string | undefined;
      let name: string;
      if (assignment.className && !target.includes('.')) {
        owner = assignment.className;
        name = target;
      } else if (target.startsWith('self.')) {
        owner = classOfFunction(assignment.fn);
        name = target.slice(5);
      } else continue;
      if (!owner) continue;
      let byName = byClass.get(owner);
      if (!byName) byClass.set(owner, (byName = new Map()));
      const head = model.source.slice(assignment.start, assignment.valueStart);
      const annotation = assignment.augmented ? undefined : ANNOTATED_HEAD.exec(head)?.[1];
      const known = byName.get(name);
      if (known) known.count++;
      else byName.set(name, { count: 1, first: assignment, annotations: [] });
      if (annotation) byName.get(name)!.annotations.push(annotation);
    }
    attributeAssignments.set(model, byClass);
  }
  return byClass.get(className)?.get(attribute);
}

/**
 * Whether the class stores `attribute` on its instances itself (`self.<attribute> = ...` in a
 * method, `<attribute> = ...` in its body): then it is data, not a property of the class.
 */
export function assignsAttribute(
  className: string,
  attribute: string,
  model: PythonModel,
): boolean {
  return attributeAssignmentsOf(model, className, attribute) !== undefined;
}

/** `selfAttributeClasses` answers per class and attribute. */
const attributeClasses = new OwnedCache<PythonModel, Map<string, string[]>>('attribute classes');

/**
 * The qualified names of the class of the object `self.<attribute>` holds in methods of the class
 * `className`, most specific first: the type the class declares for it (`repo: Repo` in its body,
 * `self.repo: Repo = ...`), else what its one assignment in the class stores, made directly in
 * the body of `__init__` (not under an `if`, a loop or a `try`): a constructor call (`self.repo =
 * Repo(db)`) or an `__init__` parameter annotated with a class (`def __init__(self, repo: Repo):
 * self.repo = repo`). Anything else (assigned twice, conditionally, outside `__init__`, from an
 * unannotated parameter or a function's result) is of unknown class.
 */
export function selfAttributeClasses(
  className: string,
  attribute: string,
  model: PythonModel,
): string[] {
  let byKey = attributeClasses.get(model);
  if (!byKey) attributeClasses.set(model, (byKey = new Map()));
  const key = `${className}.${attribute}`;
  let classes = byKey.get(key);
  if (!classes) byKey.set(key, (classes = findAttributeClasses(className, attribute, model)));
  return classes;
}

function findAttributeClasses(className: string, attribute: string, model: PythonModel): string[] {
  const cls = onlyClassNamed(model, className);
  if (!cls) return [];
  const assigned = attributeAssignmentsOf(model, className, attribute);
  const declared = [...(assigned?.annotations ?? []), ...bodyAnnotations(cls, attribute)];
  if (declared.length > 0) return agreedClasses(declared, model);
  const kept = initAssignment(cls, attribute, model);
  if (!kept) return [];
  const { assignment, init } = kept;
  const bound = model.bindings?.get(bindingKey(`self.${attribute}`, undefined, className));
  if (bound && bound.start === assignment.valueStart) return classTargets(bound, model);
  const value = model.source.slice(assignment.valueStart, assignment.end).trim();
  const param = init.params.find((p) => p.name === value);
  // The parameter must still hold what the caller passed.
  if (!param || assignmentsOf(model, value, init)) return [];
  return annotatedClasses(param.annotation, model);
}

/**
 * The one assignment of `self.<attribute>` in the class, when it is a statement of the body of
 * its `__init__` (not under an `if`, a loop or a `try`, nor among several targets): then every
 * other method sees what it stored.
 */
function initAssignment(
  cls: PyClass,
  attribute: string,
  model: PythonModel,
): { assignment: PyAssignment; init: PyFunction; node: Node } | undefined {
  const assigned = attributeAssignmentsOf(model, cls.name, attribute);
  if (assigned?.count !== 1 || assigned.first.augmented) return undefined;
  const init = assigned.first.fn;
  if (init?.name !== '__init__' || init.className !== cls.name) return undefined;
  const node = statementOf(init, assigned.first);
  if (!node || assignedInTuple(model, cls, attribute)) return undefined;
  return { assignment: assigned.first, init, node };
}

/**
 * What `__init__` stores in `self.<attribute>` when the class declares no type for it and the
 * value is no constructor call nor annotated parameter (`selfAttributeClasses` tells those): the
 * value's node (`repos.group_shopping_list_item` in Mealie's `self.list_items =
 * repos.group_shopping_list_item`) and `__init__`, whose names it reads.
 */
export function selfAttributeValue(
  className: string,
  attribute: string,
  model: PythonModel,
): { value: Node; init: PyFunction } | undefined {
  const cls = onlyClassNamed(model, className);
  if (!cls) return undefined;
  // A declared type is taken at its word (`self.items: dict = ...`).
  const annotated = attributeAssignmentsOf(model, className, attribute)?.annotations ?? [];
  if (annotated.length > 0 || bodyAnnotations(cls, attribute).length > 0) return undefined;
  const kept = initAssignment(cls, attribute, model);
  const value = kept?.node.childForFieldName('right');
  return kept && value ? { value, init: kept.init } : undefined;
}

/** The one class of the file with that name (a nested class may share it: then none). */
function onlyClassNamed(model: PythonModel, name: string): PyClass | undefined {
  let found: PyClass | undefined;
  for (const cls of model.classes) {
    if (cls.name !== name) continue;
    if (found) return undefined;
    found = cls;
  }
  return found;
}

/** The classes all the declared types name, when they name the same one. */
function agreedClasses(annotations: string[], model: PythonModel): string[] {
  const classes = annotatedClasses(annotations[0], model);
  const same = annotations.every((a) => annotatedClasses(a, model)[0] === classes[0]);
  return same ? classes : [];
}

/** The types the class body declares for `attribute` without assigning it (`repo: Repo`). */
function bodyAnnotations(cls: PyClass, attribute: string): string[] {
  const annotations: string[] = [];
  for (const statement of cls.body.namedChildren) {
    if (statement?.type !== 'expression_statement') continue;
    const assignment = statement.firstNamedChild;
    if (assignment?.type !== 'assignment' || assignment.childForFieldName('right')) continue;
    if (assignment.childForFieldName('left')?.text !== attribute) continue;
    const type = assignment.childForFieldName('type');
    if (type) annotations.push(type.text);
  }
  return annotations;
}

/** Whether the class assigns `self.<attribute>` among several targets (`self.a, self.b = ...`). */
function assignedInTuple(model: PythonModel, cls: PyClass, attribute: string): boolean {
  const start = cls.node.startIndex;
  const end = cls.node.endIndex;
  const target = new RegExp(`\\bself\\.${attribute}\\b`);
  return model.assignmentNodes.some(({ node, target: simple }) => {
    if (simple !== undefined) return false;
    const at = node.startIndex;
    return at >= start && at < end && target.test(node.childForFieldName('left')?.text ?? '');
  });
}

/** The assignment's node when it is a statement of the function's body itself, run on every call. */
function statementOf(fn: PyFunction, assignment: PyAssignment): Node | undefined {
  const node: Node | undefined = fn.assignmentNodes.find(
    (candidate) => candidate.node.startIndex === assignment.start,
  )?.node;
  const isStatement =
    node?.parent?.type === 'expression_statement' && node.parent.parent?.id === fn.body.id;
  return isStatement ? node : undefined;
}
