/**
 * The workspace index: every file's facts, and the views cross-file rules ask for (functions by
 * qualified name, tables and indexes). Built once and updated one file at a time; views are
 * rebuilt lazily after a change, so an edit costs one fact extraction plus one cheap merge.
 */
import * as path from 'node:path';
import type { Database } from '../config/database';
import type { PrismaDatasource } from '../prisma/schema';
import { databaseOfUrls } from '../python/database-urls';
import {
  declaresSchema as hasSchema,
  type CallSite,
  type ClassFact,
  type FieldFact,
  type FileFacts,
  type FunctionFacts,
  type IndexFact,
  type IndexOperation,
  type InstanceFact,
  type MigrationFact,
  type QuerySetPin,
  type Reexport,
  type RelatedRowsFact,
  type RelationshipFact,
  type TableFact,
} from './facts';
import { dropFile, nameKeys, NamedViews, push, type NamedEntry } from './named-views';
import { hasLinks, SchemaLinks } from './schema-links';

export interface IndexedFunction {
  file: string;
  fn: FunctionFacts;
}

/** A call site with the function (and file) it is made in. */
export interface IndexedCallSite extends IndexedFunction {
  site: CallSite;
}

interface IndexedInstance {
  file: string;
  instance: InstanceFact;
}

interface IndexedClass {
  file: string;
  cls: ClassFact;
}

export interface IndexedTable {
  file: string;
  table: TableFact;
}

/** The rows of a Django reverse accessor (`WorkspaceIndex.djangoDefaultAccessorRows`). */
export interface DefaultAccessorRows {
  className: string;
  /** The foreign keys of the rows that add the accessor, each with the class that gets it. */
  backTo: readonly { on: string; field: string }[];
}

/** An index known to exist after models, DDL files and migrations are all applied. */
export interface KnownIndex {
  table: string;
  columns: string[];
  name?: string;
  unique: boolean;
  /** The access method when not a B-tree (IndexFact.method). */
  method?: string;
  file: string;
  start: number;
  end: number;
}

interface FunctionViews {
  functions: Map<string, IndexedFunction[]>;
  /** Functions by every dotted suffix of their qualified name of two or more parts. */
  functionsBySuffix: Map<string, IndexedFunction[]>;
  /**
   * For each trait prefix `hasFunctionWithTrait` was asked about, how many functions of each name
   * carry a trait with it: counted on first request, then kept up to date in place.
   */
  namesByTrait: Map<string, Map<string, number>>;
}

/** How many functions' returns a value path follows (`get_repositories()` → `AllRepositories()`). */
const MAX_VALUE_DEPTH = 4;

/** How many classes `baseChain` follows (model → paranoid base → id base → `Model`, ...). */
const MAX_BASES = 6;
/** How many fields a call target is followed through (`IContext.models.Boards` is two). */
const MAX_FIELD_PATH = 3;

/**
 * A class in a Python method resolution order: the names it is known by (a base as written,
 * qualified), and its facts when the workspace records it with bases of its own.
 */
interface MroClass {
  names: readonly string[];
  cls?: ClassFact;
}

/** What makes two entries of a method resolution order the same class. */
function mroKey(entry: MroClass): unknown {
  return entry.cls ?? entry.names[0];
}

/**
 * Python's C3 merge of the bases' orders and the list of bases: repeatedly the first head that is
 * in no list's tail. Undefined when there is none (an order Python itself would refuse).
 */
function c3Merge(sequences: readonly (readonly MroClass[])[]): MroClass[] | undefined {
  const lists = sequences.map((sequence) => [...sequence]).filter((list) => list.length > 0);
  const merged: MroClass[] = [];
  while (lists.length > 0) {
    const inTail = (key: unknown): boolean =>
      lists.some((list) => list.slice(1).some((entry) => mroKey(entry) === key));
    const head = lists.map((list) => list[0]).find((entry) => !inTail(mroKey(entry)));
    if (!head) return undefined;
    merged.push(head);
    const key = mroKey(head);
    for (const list of lists) if (mroKey(list[0]) === key) list.shift();
    for (let i = lists.length - 1; i >= 0; i--) if (lists[i].length === 0) lists.splice(i, 1);
  }
  return merged;
}

/** What the schema (tables, indexes, migrations) says; rebuilt only when some schema changes. */
interface Views {
  tablesByName: Map<string, IndexedTable[]>;
  tablesByClass: Map<string, IndexedTable[]>;
  /** Core `Table(...)` objects by the module variable they are assigned to. */
  tablesByVariable: Map<string, IndexedTable[]>;
  indexes: KnownIndex[];
  /** `indexes` by lower-cased table name, filled once every operation is applied. */
  indexesByTable: Map<string, KnownIndex[]>;
  migrationFiles: { file: string; migration: MigrationFact }[];
  /** Files that declare a Prisma `datasource` block. */
  prismaDatasources: { file: string; datasource: PrismaDatasource }[];
  /** Lower-cased names of primary-key and unique columns of every table, built on first use. */
  keyColumnNames?: ReadonlySet<string>;
  /** Attribute names of the Django related managers every model declares, built on first use. */
  djangoRelatedManagers?: ReadonlySet<string>;
  /** Relationship and related-manager names of every model, built on first use. */
  relationNames?: ReadonlySet<string>;
  /** The related managers of the workspace by `<class>.<manager>`, built on first use. */
  djangoRelatedRows?: ReadonlyMap<string, readonly RelatedRowsFact[]>;
  /** The reverse accessors left at their default name, by name, built on first use. */
  djangoDefaultAccessorRows?: ReadonlyMap<string, readonly RelatedRowsFact[]>;
  /** The related managers of the workspace by name alone, built on first use. */
  djangoRelatedRowsByName?: ReadonlyMap<string, readonly RelatedRowsFact[]>;
  /** The Django save signals the workspace receives, by sender class name, built on first use. */
  djangoSaveReceivers?: ReadonlyMap<string, ReadonlySet<string>>;
}

const lower = (name: string): string => name.toLowerCase();

// Numeric runs compare as numbers, so `V10__x.sql` applies after `V9__y.sql` as Flyway does.
const fileOrder = new Intl.Collator('en', { numeric: true });

export class WorkspaceIndex {
  private readonly files = new Map<string, FileFacts>();
  private views: Views | undefined;
  private functionViews: FunctionViews | undefined;
  /** Barrel files' re-exports by module name (and each dotted suffix of it); built on first use. */
  private reexportViews: Map<string, Barrel[]> | undefined;
  /** What each target resolved to through re-exports (null: nothing), until any file changes. */
  private readonly reexportResolutions = new Map<string, IndexedFunction | null>();
  /**
   * Module-level instances by qualified name and dotted suffix, built on first use: those of
   * Python files, and apart from them those of TypeScript/JavaScript files (as for classes).
   */
  private instanceViews: NamedViews<IndexedInstance> | undefined;
  private tsInstanceViews: NamedViews<IndexedInstance> | undefined;
  /** `instanceClassNames` answers by name (null: no instance), until any file changes. */
  private readonly instanceResolutions = new Map<string, readonly string[] | null>();
  /** `valueClasses` answers by value path (null: none), until any file changes. */
  private readonly valueResolutions = new Map<string, readonly string[] | null>();
  /**
   * Classes with their bases, built on first use: those of TypeScript/JavaScript files, and apart from them those of Python files (whose names would
   * otherwise make suffixes of TypeScript classes ambiguous in a workspace holding both).
   */
  private classViews: NamedViews<IndexedClass> | undefined;
  private pythonClassViews: NamedViews<IndexedClass> | undefined;
  /** `pythonMro` answers by class, until any file changes. */
  private readonly mros = new Map<ClassFact, MroClass[]>();
  /** `ormModelOf` answers by target list (null: not a model), until any file changes. */
  private readonly ormModels = new Map<string, string | null>();
  /** `djangoQuerySetMethods` answers by model class name, until any file changes. */
  private readonly querySetMethods = new Map<string, ReadonlySet<string>>();
  /** `djangoQuerySetGroupingMethods` answers by model class name, until any file changes. */
  private readonly querySetGroupingMethods = new Map<string, ReadonlySet<string>>();
  /** `djangoQuerySetPins` answers by model class name, until any file changes. */
  private readonly querySetPins = new Map<string, readonly QuerySetPin[]>();
  /** Tortoise reverse accessors by the bare name of the class they are added to, built on use. */
  private tortoiseReverse: Map<string, Map<string, boolean>> | undefined;
  /** `databaseOfUrls`'s answer (null: unknown), until a file with database URLs changes. */
  private urlDatabase: Database | null | undefined;
  /** Call sites by the last name of their callee, built on first use, until any file changes. */
  private callSiteViews: Map<string, IndexedCallSite[]> | undefined;
  /** `declaresArrayField`'s answers, built on first use, dropped when a file declaring one changes. */
  private arrayFields: Set<string> | undefined;
  private memberChanges: Set<string> | undefined;
  private valueChanges: Set<string> | undefined;

  /**
   * Replaces the facts of one file. Schema views are dropped only when the file declares or
   * declared schema: per-file rules read them while a scan adds files, and rebuilding them after
   * every file made scans quadratic.
   */
  update(facts: FileFacts): void {
    const previous = this.files.get(facts.file);
    this.files.set(facts.file, facts);
    if (this.functionViews) {
      // Kept up to date in place: an edit in one file must not cost a pass over every function.
      if (previous) removeFunctions(this.functionViews, previous);
      addFunctions(this.functionViews, facts);
    }
    if (hasSchema(previous) || hasSchema(facts)) this.views = undefined;
    if (previous?.reexports || facts.reexports || importsChanged(previous, facts))
      this.reexportViews = undefined;
    if (previous?.databaseUrls || facts.databaseUrls) this.urlDatabase = undefined;
    if (previous?.arrayFields || facts.arrayFields) this.arrayFields = undefined;
    if (previous?.memberChanges || facts.memberChanges) this.memberChanges = undefined;
    if (previous?.valueChanges || facts.valueChanges) this.valueChanges = undefined;
    if (declaresRelations(previous) || declaresRelations(facts)) this.tortoiseReverse = undefined;
    for (const views of this.namedViews()) {
      if (previous) views.remove(previous);
      views.add(facts);
    }
    this.reexportResolutions.clear();
    this.instanceResolutions.clear();
    this.valueResolutions.clear();
    this.ormModels.clear();
    this.mros.clear();
    this.querySetMethods.clear();
    this.querySetGroupingMethods.clear();
    this.querySetPins.clear();
    this.callSiteViews = undefined;
  }

  remove(file: string): void {
    const previous = this.files.get(file);
    if (!previous) return;
    this.files.delete(file);
    if (this.functionViews) removeFunctions(this.functionViews, previous);
    if (hasSchema(previous)) this.views = undefined;
    if (previous.reexports || previous.moduleImports) this.reexportViews = undefined;
    if (previous.databaseUrls) this.urlDatabase = undefined;
    if (previous.arrayFields) this.arrayFields = undefined;
    if (previous.memberChanges) this.memberChanges = undefined;
    if (previous.valueChanges) this.valueChanges = undefined;
    if (declaresRelations(previous)) this.tortoiseReverse = undefined;
    for (const views of this.namedViews()) views.remove(previous);
    this.reexportResolutions.clear();
    this.instanceResolutions.clear();
    this.valueResolutions.clear();
    this.ormModels.clear();
    this.mros.clear();
    this.querySetMethods.clear();
    this.querySetGroupingMethods.clear();
    this.querySetPins.clear();
    this.callSiteViews = undefined;
  }

  /** The named views built so far, which files added and removed keep up to date. */
  private *namedViews(): Generator<NamedViews<IndexedInstance> | NamedViews<IndexedClass>> {
    const all = [this.instanceViews, this.tsInstanceViews, this.classViews, this.pythonClassViews];
    for (const views of all) if (views) yield views;
  }

  /** `views` holding every file's entries. */
  private filled<T extends { file: string }>(views: NamedViews<T>): NamedViews<T> {
    for (const facts of this.files.values()) views.add(facts);
    return views;
  }

  /**
   * Whether a TypeScript module declares the property an array: `declaresArrayField(
   * 'src.services.user.user-types.TSyncUsersDTO.userIds')` (see `FileFacts.arrayFields`).
   */
  declaresArrayField(qualified: string): boolean {
    if (!this.arrayFields) {
      this.arrayFields = new Set();
      for (const facts of this.files.values())
        for (const field of facts.arrayFields ?? [])
          this.arrayFields.add(facts.moduleName ? `${facts.moduleName}.${field}` : field);
    }
    return this.arrayFields.has(qualified);
  }

  /**
   * Whether some module may change `member` of a class it imports under one of `names` (the
   * class's name, `default`, the names it is exported as): shrinks or reassigns it, hands it to a
   * call, or reaches the class in a way that could touch any member (see `FileFacts.memberChanges`).
   * Names a barrel re-exports the class under (`export { Cache as PageCache }`) count too.
   */
  changesImportedMember(names: readonly string[], member: string): boolean {
    if (!this.memberChanges) {
      this.memberChanges = new Set();
      for (const facts of this.files.values())
        for (const change of facts.memberChanges ?? []) this.memberChanges.add(change);
    }
    if (this.memberChanges.size === 0) return false;
    const known = new Set(names);
    for (const facts of this.files.values())
      for (const { imported, exported } of facts.reexports ?? [])
        if (imported && known.has(imported) && /^[\w$]+$/.test(exported)) known.add(exported);
    const changes = this.memberChanges;
    return [...known].some((name) => changes.has(`${name}.${member}`) || changes.has(`${name}.*`));
  }

  /**
   * Whether some module may shrink or hand on a value it imports under one of `names` (see
   * `FileFacts.valueChanges`), or hands on the whole namespace of one of `modules`.
   */
  changesImportedValue(names: Iterable<string>, modules: Iterable<string>): boolean {
    if (!this.valueChanges) {
      this.valueChanges = new Set();
      for (const facts of this.files.values())
        for (const change of facts.valueChanges ?? []) this.valueChanges.add(change);
    }
    const changes = this.valueChanges;
    if (changes.size === 0) return false;
    for (const name of names) if (changes.has(name)) return true;
    for (const module of modules) if (changes.has(`${module}.*`)) return true;
    return false;
  }

  /**
   * The modules that export names of `module`, by the names they export them under: `module`
   * itself with `names`, then the barrels that re-export them, directly or through other barrels
   * (`export * from './cache'`, `export { cache as store } from './cache'`, `export * as caches`).
   * Asked rarely (per exported collection that only grows), so it is not kept.
   */
  exportersOf(module: string, names: readonly string[]): Map<string, Set<string>> {
    const exporters = new Map<string, Set<string>>([[module, new Set(names)]]);
    const pending = [module];
    const barrels = [...this.files.values()].filter((facts) => facts.reexports?.length);
    for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
      const known = exporters.get(current)!;
      for (const barrel of barrels) {
        if (barrel.moduleName === undefined) continue;
        const added = new Set<string>();
        for (const { exported, module: from, imported } of barrel.reexports!) {
          if (from !== current) continue;
          if (exported === '*' || imported === '*') for (const name of known) added.add(name);
          else if (known.has(imported ?? exported))
            // `default.cache` of `export default { cache }`: read as `barrel.cache` elsewhere.
            added.add(exported.slice(exported.lastIndexOf('.') + 1));
        }
        const names = exporters.get(barrel.moduleName) ?? new Set<string>();
        const before = names.size;
        for (const name of added) names.add(name);
        if (names.size === before) continue;
        exporters.set(barrel.moduleName, names);
        pending.push(barrel.moduleName);
      }
    }
    return exporters;
  }

  get(file: string): FileFacts | undefined {
    return this.files.get(file);
  }

  allFacts(): IterableIterator<FileFacts> {
    return this.files.values();
  }

  get size(): number {
    return this.files.size;
  }

  /**
   * The call sites of every function whose callee's last name is `name` (`accounts.list_users(db)`
   * for `list_users`): the candidate callers of a function of that name, which `resolve` confirms.
   * Module-level calls are not among them (facts record calls inside functions only).
   */
  callSitesNamed(name: string): readonly IndexedCallSite[] {
    if (!this.callSiteViews) {
      const views = new Map<string, IndexedCallSite[]>();
      for (const facts of this.files.values())
        for (const fn of facts.functions)
          for (const site of fn.calls)
            push(views, site.callee.slice(site.callee.lastIndexOf('.') + 1), {
              file: facts.file,
              fn,
              site,
            });
      this.callSiteViews = views;
    }
    return this.callSiteViews.get(name) ?? [];
  }

  /**
   * Whether a function named `name` carries a trait starting with `prefix`: a rule resolves only
   * the calls that may reach one, and leaves every other call alone.
   */
  hasFunctionWithTrait(prefix: string, name: string): boolean {
    const views = this.functionView();
    let counts = views.namesByTrait.get(prefix);
    if (!counts) {
      views.namesByTrait.set(prefix, (counts = new Map()));
      for (const facts of this.files.values()) countTraits(counts, prefix, facts, 1);
    }
    return counts.has(name);
  }

  /** Functions defined in the workspace under a qualified name, in file order. */
  functions(qualifiedName: string): IndexedFunction[] {
    return inFileOrder(this.functionView().functions.get(qualifiedName) ?? []);
  }

  /**
   * Resolves a call site's candidate targets to a workspace function. A target also matches by
   * suffix, because import paths (`app.services.x`) are relative to a source root that the
   * workspace root may sit above (`examples/demo-app/app/services.py`). A method called on a
   * module-level instance (`app.services.product.product_service.fetch`) resolves to the method of
   * its class (`app.services.product.ProductService.fetch`).
   */
  resolve(targets: readonly string[]): IndexedFunction | undefined {
    const views = this.functionView();
    for (const target of targets) {
      const found = lookUp(views, target);
      if (found) return found;
    }
    // `src.services.getUser` imported from a barrel that re-exports `src.services.users`.
    for (const target of targets) {
      let found = this.reexportResolutions.get(target);
      if (found === undefined) {
        const find = (candidate: string): IndexedFunction | undefined => lookUp(views, candidate);
        found =
          this.throughReexports(find, target.split('.'), 0, new Set()) ??
          this.throughInstance(target) ??
          this.throughClass(target) ??
          this.throughInheritedField(target) ??
          this.throughValuePath(target) ??
          null;
        this.reexportResolutions.set(target, found);
      }
      if (found) return found;
    }
    return undefined;
  }

  /**
   * `<instance>.<method>`, where the instance is a module-level `name = Cls(...)` (Python) or
   * `const name = new Cls()` (TypeScript) found by qualified name, unique suffix or through
   * barrels: the method `Cls.<method>`, when it is one, else the method a base class of `Cls` in
   * the workspace defines (`CRUDUser(CRUDBase[User])`, `class RoleService extends BaseService`).
   */
  private throughInstance(target: string): IndexedFunction | undefined {
    const dot = target.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const name = target.slice(0, dot);
    const method = target.slice(dot + 1);
    const python = this.findInstance(name, true);
    if (python) return this.methodOf(python.instance.classNames, method, true);
    const typescript = this.findInstance(name, false);
    return typescript && this.methodOf(typescript.instance.classNames, method, false);
  }

  /**
   * The classes a module-level instance (`redis_client = redis.Redis(...)`) may be of, most
   * specific first, found by qualified name (`app.cache.redis_client`), unique suffix or through
   * barrels; undefined when no module-level instance has that name.
   */
  instanceClassNames(name: string): readonly string[] | undefined {
    let found = this.instanceResolutions.get(name);
    if (found === undefined) {
      found = this.findInstance(name, true)?.instance.classNames ?? null;
      this.instanceResolutions.set(name, found);
    }
    return found ?? undefined;
  }

  /**
   * The module-level instance of a name in a Python file (or a TypeScript/JavaScript one), by
   * qualified name, unique suffix or through barrels.
   */
  private findInstance(name: string, python: boolean): IndexedInstance | undefined {
    const views = python
      ? (this.instanceViews ??= this.filled(new NamedViews(instanceEntries(true))))
      : (this.tsInstanceViews ??= this.filled(new NamedViews(instanceEntries(false))));
    if (views.isEmpty) return undefined;
    const find = (candidate: string): IndexedInstance | undefined => views.lookUp(candidate);
    return find(name) ?? this.throughReexports(find, name.split('.'), 0, new Set());
  }

  /**
   * `<Class>.<method>` that the class inherits: the method a base class of the Python or
   * TypeScript class in the workspace defines (the call sites of `stats.rows()` on a parameter
   * annotated `Stats`, or of `roles.readRole()` on a `new RoleService()`, name the class). The
   * class's own methods are found by name before this is asked.
   */
  private throughClass(target: string): IndexedFunction | undefined {
    const dot = target.lastIndexOf('.');
    if (dot <= 0) return undefined;
    const holder = target.slice(0, dot);
    const method = target.slice(dot + 1);
    if (this.findClass([holder], true)) return this.methodOf([holder], method, true);
    // TypeScript classes are recorded when they extend something (the only ones that inherit) or
    // declare fields of workspace classes.
    if (this.findClass([holder], false)) return this.methodOf([holder], method, false);
    return undefined;
  }

  /**
   * `<Class>.<field>.<method>` (TypeScript): the method of the class a field of `Class` or of one
   * of its bases is declared with (`this.userRepository.get()` in `class UserService extends
   * BaseService`, whose constructor injects `userRepository: UserRepository`). Also through
   * several fields of interfaces, `<IContext>.models.Boards.<method>` (`IContext { models: IModels
   * }`, `IModels { Boards: IBoardModel }`): the method of the type the last one is declared with.
   */
  private throughInheritedField(target: string): IndexedFunction | undefined {
    const parts = target.split('.');
    if (parts.length < 3) return undefined;
    const method = parts.pop() as string;
    // The fewest fields first: the longest holder that is a class or interface.
    for (let fields = 1; fields <= MAX_FIELD_PATH && fields < parts.length; fields++) {
      const holder = parts.slice(0, -fields).join('.');
      const declared = this.declaredFieldPath([holder], parts.slice(-fields));
      if (declared) return this.methodOf(declared.classNames, method, false);
    }
    return undefined;
  }

  /**
   * The last field of a path as the classes and interfaces on the way declare it (`Boards` of
   * `IModels`, reached through `models` of `IContext`), or undefined when a step is no field, or
   * reads past one holding a model.
   */
  private declaredFieldPath(
    classNames: readonly string[],
    path: readonly string[],
  ): FieldFact | undefined {
    let declared: FieldFact | undefined;
    for (const field of path) {
      if (declared?.orm) return undefined;
      declared = this.declaredField(declared?.classNames ?? classNames, field);
      if (!declared) return undefined;
    }
    return declared;
  }

  /**
   * `<root>().<step>...<method>` (Python; see `python/value-paths.ts`): the method of the class
   * the path leads to (`get_one` of `RepositoryRecipes` for
   * `app.repos.AllRepositories().recipes.get_one`, through the property `recipes`).
   */
  private throughValuePath(target: string): IndexedFunction | undefined {
    const dot = target.lastIndexOf('.');
    if (dot <= 0 || !target.includes('()', 0) || target.endsWith(')')) return undefined;
    const classes = this.valueClasses(target.slice(0, dot), 0);
    const found = classes && this.methodOf(classes, target.slice(dot + 1), true);
    // Only Python files write value paths: a TypeScript callee like `api().get` is no such path.
    return found && this.files.get(found.file)?.language === 'python' ? found : undefined;
  }

  /**
   * The classes a value path leads to, most specific first: its root `<name>()` is an instance
   * of the class `name` when no workspace function has that name, else what the function
   * returns; each step reads a property (`recipes`) or calls a method (`by_user()`) of the class
   * reached, and leads to what that returns (`FunctionFacts.returns`, or the same class for
   * `returnsSelf`). Undefined as soon as a step is no such member or returns nothing known.
   * Cached per path until any file changes.
   */
  private valueClasses(path: string, depth: number): readonly string[] | undefined {
    let found = this.valueResolutions.get(path);
    if (found !== undefined) return found ?? undefined;
    // A path that returns to itself (`def a(): return b()`, `def b(): return a()`) ends here.
    this.valueResolutions.set(path, null);
    found = depth < MAX_VALUE_DEPTH ? (this.walkValuePath(path, depth) ?? null) : null;
    this.valueResolutions.set(path, found);
    return found ?? undefined;
  }

  private walkValuePath(path: string, depth: number): readonly string[] | undefined {
    const open = path.indexOf('()');
    if (open <= 0 || (open + 2 < path.length && path[open + 2] !== '.')) return undefined;
    const root = path.slice(0, open);
    const made = this.resolve([root]);
    let classes: readonly string[] | undefined = made
      ? this.returnedClasses(made, undefined, depth)
      : [root];
    const steps = open + 3 < path.length ? path.slice(open + 3).split('.') : [];
    for (const step of steps) {
      if (!classes) return undefined;
      const called = step.endsWith('()');
      const member = this.methodOf(classes, called ? step.slice(0, -2) : step, true);
      // A property is read (`recipes`), a method called (`by_user()`).
      if (!member || !!member.fn.property === called) return undefined;
      classes = this.returnedClasses(member, classes, depth);
    }
    return classes;
  }

  /** The classes a Python function or method (called on `self`) returns, as its facts say. */
  private returnedClasses(
    { file, fn }: IndexedFunction,
    self: readonly string[] | undefined,
    depth: number,
  ): readonly string[] | undefined {
    if (this.files.get(file)?.language !== 'python') return undefined;
    if (fn.returnsSelf) return self;
    const classes: string[] = [];
    for (const path of fn.returns ?? [])
      classes.push(...(this.valueClasses(path, depth + 1) ?? []));
    return classes.length > 0 ? [...new Set(classes)] : undefined;
  }

  /**
   * The method `method` of the class named by `classNames` (found by qualified name, unique
   * suffix or through barrels), else the one a base class of it in the workspace defines (among
   * the classes of Python files, or of the others).
   */
  private methodOf(
    classNames: readonly string[],
    method: string,
    python: boolean,
  ): IndexedFunction | undefined {
    const functions = this.functionView();
    const find = (candidate: string): IndexedFunction | undefined => {
      const fn = lookUp(functions, candidate);
      // A function nested in a function (`make_service()` returning an object) is no method.
      return fn && !functions.functions.has(parentName(fn.fn.qualifiedName)) ? fn : undefined;
    };
    const definedBy = (names: readonly string[]): IndexedFunction | undefined => {
      for (const className of names) {
        const candidate = `${className}.${method}`;
        const fn =
          find(candidate) ?? this.throughReexports(find, candidate.split('.'), 0, new Set());
        if (fn) return fn;
      }
      return undefined;
    };
    const own = definedBy(classNames);
    if (own) return own;
    if (python) {
      // Every base, in the order Python searches them: `get` of `class Person(db.Model, CrudMixin)`.
      for (const base of this.pythonMro(classNames).slice(1)) {
        const inherited = definedBy(base.names);
        if (inherited) return inherited;
      }
      return undefined;
    }
    for (const { cls } of this.baseChain(classNames, python)) {
      if (!cls.base) break;
      const inherited = definedBy(cls.base);
      if (inherited) return inherited;
    }
    return undefined;
  }

  /**
   * The Python class `classNames` names and its bases in method resolution order (C3, as Python
   * orders them), as far as the workspace declares them: a base found among the classes recorded
   * with bases is followed into its own bases; any other (a mixin of no base, a library class) is
   * a leaf, still searched by name for methods. Bases more than `MAX_BASES` levels up are left
   * out. Cached per class until any file changes.
   */
  private pythonMro(classNames: readonly string[]): MroClass[] {
    const start = this.findClass(classNames, true);
    if (!start) return [{ names: classNames }];
    return this.linearize({ names: classNames, cls: start.cls }, 0, new Set());
  }

  private linearize(of: MroClass, depth: number, visiting: Set<ClassFact>): MroClass[] {
    const cls = of.cls;
    if (!cls) return [of];
    const cached = this.mros.get(cls);
    if (cached) return cached;
    // A base that resolves back to a class on the way here (`class User(User)` by suffix).
    if (visiting.has(cls) || depth >= MAX_BASES) return [of];
    visiting.add(cls);
    const bases = [
      ...(cls.base ? [cls.base] : []),
      ...(cls.mixins ?? []).map((name) => [name]),
    ].map((names): MroClass => ({ names, cls: this.findClass(names, true)?.cls }));
    const lines = bases.map((base) => this.linearize(base, depth + 1, visiting));
    visiting.delete(cls);
    // Bases in an order C3 refuses are searched depth first, each class once.
    const mro = [of];
    const seen = new Set([mroKey(of)]);
    for (const entry of c3Merge([...lines, bases]) ?? lines.flat()) {
      const key = mroKey(entry);
      if (!seen.has(key)) mro.push(entry);
      seen.add(key);
    }
    this.mros.set(cls, mro);
    return mro;
  }

  /**
   * Resolves a target whose module part names a barrel file: the longest such module prefix
   * first, following barrels of barrels a few levels deep but never through a barrel twice. A
   * name that several `export *` modules define resolves to nothing, as it would be ambiguous.
   * (Without the `visiting` check, a target under asyncio, whose `__init__.py` has 16 `import *`,
   * went back through that barrel at every level: 16^4 paths, and 80 s for the cross-file rules
   * of a scan of Python's standard library.)
   */
  private throughReexports<T>(
    find: (target: string) => T | undefined,
    parts: readonly string[],
    depth: number,
    visiting: Set<Barrel>,
  ): T | undefined {
    if (depth > 3) return undefined;
    this.reexportViews ??= buildReexportViews(this.files.values());
    if (this.reexportViews.size === 0) return undefined;
    for (let k = parts.length - 1; k >= 1; k--) {
      const barrels = this.reexportViews.get(parts.slice(0, k).join('.'));
      if (barrels?.length !== 1) continue;
      const barrel = barrels[0];
      // A barrel already on the way here leads back to where the search came from.
      if (visiting.has(barrel)) continue;
      visiting.add(barrel);
      try {
        const [name, ...rest] = parts.slice(k);
        const through = (reexport: Reexport, exported = name, after = rest): T | undefined => {
          const via = reexportedPath(reexport, exported);
          if (!via) return undefined;
          const candidate = [...via, ...after];
          return (
            find(candidate.join('.')) ?? this.throughReexports(find, candidate, depth + 1, visiting)
          );
        };
        // A member of an exported object (`models.User` of `export default { User }`) first.
        if (rest.length > 0) {
          const member = `${name}.${rest[0]}`;
          for (const reexport of barrel.byName.get(member) ?? []) {
            const hit = through(reexport, member, rest.slice(1));
            if (hit) return hit;
          }
        }
        // A name the barrel re-exports by name wins over `export *`.
        for (const reexport of barrel.byName.get(name) ?? []) {
          const hit = through(reexport);
          if (hit) return hit;
        }
        const found = new Set<T>();
        for (const reexport of barrel.stars) {
          const hit = through(reexport);
          if (hit) found.add(hit);
        }
        if (found.size === 1) return [...found][0];
        if (found.size > 1) return undefined;
      } finally {
        visiting.delete(barrel);
      }
    }
    return undefined;
  }

  /**
   * The ORM whose model the class named by `targets` is (`sequelize`), or undefined: the class
   * (found like a function: by qualified name, unique suffix or through barrels) extends the ORM's
   * model base in its own file, or a class that does, following bases through other files.
   * `python`: among the classes of Python files (Tortoise and Beanie models), else the others.
   */
  ormModelOf(targets: readonly string[], python = false): string | undefined {
    const key = `${python ? 'py:' : ''}${targets.join('\n')}`;
    let orm = this.ormModels.get(key);
    if (orm === undefined) {
      orm = null;
      for (const { cls } of this.baseChain(targets, python)) {
        if (cls.orm) {
          orm = cls.orm;
          break;
        }
      }
      this.ormModels.set(key, orm);
    }
    return orm ?? undefined;
  }

  /**
   * The ORM kind of what a field of a TypeScript class holds (`prisma-client` for `model` of
   * `class PrismaRepository { model: Pick<PrismaService, T> }`, `PrismaService extends
   * PrismaClient`): the field as the class named by `classNames` or a base of it declares it, its
   * own kind when declared with a package's ORM class, else `ormModelOf` its declared class.
   */
  fieldOrmOf(classNames: readonly string[], field: string): string | undefined {
    const key = `field:${field}\n${classNames.join('\n')}`;
    let orm = this.ormModels.get(key);
    if (orm === undefined) {
      const declared = this.declaredField(classNames, field);
      orm = declared ? (declared.orm ?? this.ormModelOf(declared.classNames) ?? null) : null;
      this.ormModels.set(key, orm);
    }
    return orm ?? undefined;
  }

  /**
   * The ORM kind of what a path of fields leads to from the TypeScript class or interface
   * `classNames` names (`models`, then `Boards` of `IContext { models: IModels }`, `IModels {
   * Boards: IBoardModel }`): each field as the type or one of its bases declares it, the last one
   * as `fieldOrmOf` says; with no fields, `ormModelOf` the type itself.
   */
  fieldPathOrmOf(classNames: readonly string[], path: readonly string[]): string | undefined {
    if (path.length === 0) return this.ormModelOf(classNames);
    let holder = classNames;
    for (const field of path.slice(0, -1)) {
      const declared = this.declaredField(holder, field);
      if (!declared || declared.orm) return undefined;
      holder = declared.classNames;
    }
    return this.fieldOrmOf(holder, path[path.length - 1]);
  }

  /** A field as the TypeScript class `classNames` names, or the nearest base of it, declares it. */
  private declaredField(classNames: readonly string[], field: string): FieldFact | undefined {
    for (const { cls } of this.baseChain(classNames, false)) {
      const declared = cls.fields?.find((candidate) => candidate.name === field);
      if (declared) return declared;
    }
    return undefined;
  }

  /**
   * The relations of the Tortoise model class `targets` names, by name, with whether each holds
   * many rows: those it and its bases declare, and the reverse accessors (`related_name=`) that
   * fields of other models add to it (Tortoise names the target by its bare class name).
   */
  tortoiseRelationsOf(targets: readonly string[]): ReadonlyMap<string, boolean> {
    const relations = new Map<string, boolean>();
    let own: string | undefined;
    for (const { cls } of this.baseChain(targets, true)) {
      own ??= cls.name;
      for (const relation of cls.relations ?? [])
        if (!relations.has(relation.name)) relations.set(relation.name, !!relation.many);
    }
    if (own === undefined) return relations;
    this.tortoiseReverse ??= this.reverseRelations();
    for (const [name, many] of this.tortoiseReverse.get(own) ?? [])
      if (!relations.has(name)) relations.set(name, many);
    return relations;
  }

  private reverseRelations(): Map<string, Map<string, boolean>> {
    const reverse = new Map<string, Map<string, boolean>>();
    for (const facts of this.files.values()) {
      if (facts.language !== 'python') continue;
      for (const cls of facts.classes ?? []) {
        for (const { to, reverse: name, reverseMany } of cls.relations ?? []) {
          if (!to || !name) continue;
          let names = reverse.get(to);
          if (!names) reverse.set(to, (names = new Map()));
          names.set(name, !!reverseMany);
        }
      }
    }
    return reverse;
  }

  /**
   * The class `start` names, then its base, the base's base, ...: each found like `findClass`,
   * ending at a class without a base, one not found, one met before, or after MAX_BASES classes.
   */
  private *baseChain(start: readonly string[], python: boolean): Generator<IndexedClass> {
    const seen = new Set<ClassFact>();
    let found = this.findClass(start, python);
    while (found && !seen.has(found.cls) && seen.size < MAX_BASES) {
      seen.add(found.cls);
      yield found;
      found = found.cls.base ? this.findClass(found.cls.base, python) : undefined;
    }
  }

  /**
   * The first class outside the workspace the Python class `qualifiedName` derives from
   * (`django.db.models.ForeignKey` for a `FlexibleForeignKey(models.ForeignKey)` of the
   * workspace, through its bases in any module): the name itself when the workspace declares no
   * such class, undefined when the chain of bases loops or runs past MAX_BASES.
   */
  private pythonBaseOutsideWorkspace(qualifiedName: string): string | undefined {
    let last: IndexedClass | undefined;
    for (const found of this.baseChain([qualifiedName], true)) last = found;
    if (!last) return qualifiedName;
    const base = last.cls.base?.[0];
    return base && !this.findClass(last.cls.base!, true) ? base : undefined;
  }

  /** The one class a target list names, directly or through barrels. */
  private findClass(targets: readonly string[], python = false): IndexedClass | undefined {
    const views = python
      ? (this.pythonClassViews ??= this.filled(new NamedViews(classEntries(true))))
      : (this.classViews ??= this.filled(new NamedViews(classEntries(false))));
    const find = (target: string): IndexedClass | undefined => views.lookUp(target);
    for (const target of targets) {
      const found = find(target);
      if (found) return found;
    }
    for (const target of targets) {
      const found = this.throughReexports(find, target.split('.'), 0, new Set());
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The Prisma datasource that applies to a `.prisma` file: its own, or, in a multi-file schema,
   * the one declared in the nearest file of its folder or a folder above it.
   */
  prismaDatasource(file: string): PrismaDatasource | undefined {
    const own = this.files.get(file)?.schema.prismaDatasource;
    if (own) return own;
    let best: { folder: string; datasource: PrismaDatasource } | undefined;
    for (const { file: declaring, datasource } of this.view().prismaDatasources) {
      const folder = path.dirname(declaring);
      // Paths come as callers name them: absolute, or relative with either separator.
      const inside =
        folder === '.' || (file.startsWith(folder) && /[\\/]/.test(file.charAt(folder.length)));
      if (inside && (!best || folder.length > best.folder.length)) best = { folder, datasource };
    }
    return best?.datasource;
  }

  /**
   * The `provider` every Prisma `datasource` of the workspace names (`mysql`); undefined when
   * there is none, or they name several.
   */
  prismaProvider(): string | undefined {
    const providers = new Set(
      this.view().prismaDatasources.map(({ datasource }) => datasource.provider),
    );
    const [only] = providers;
    return providers.size === 1 ? only : undefined;
  }

  /**
   * The database the workspace's database URL literals (and TypeORM connection options) all name
   * (`mysql+pymysql://...` in every one: MySQL); undefined when there are none, or they name
   * several databases.
   */
  databaseOfUrls(): Database | undefined {
    if (this.urlDatabase === undefined) {
      const kinds = new Set([...this.files.values()].flatMap((facts) => facts.databaseUrls ?? []));
      this.urlDatabase = databaseOfUrls(kinds) ?? null;
    }
    return this.urlDatabase ?? undefined;
  }

  /** Tables by SQL name (case-insensitive). */
  tables(name: string): IndexedTable[] {
    return this.view().tablesByName.get(lower(name)) ?? [];
  }

  /** Tables declared by an ORM model class of this name. */
  tablesOfClass(className: string): IndexedTable[] {
    return this.view().tablesByClass.get(className) ?? [];
  }

  /** Tables a query names by entity: an ORM class, else a Core table's variable. */
  tablesOfEntity(name: string): IndexedTable[] {
    const byClass = this.tablesOfClass(name);
    return byClass.length > 0 ? byClass : (this.view().tablesByVariable.get(name) ?? []);
  }

  allTables(): IndexedTable[] {
    return [...this.view().tablesByName.values()].flat();
  }

  /**
   * Lower-cased names of every primary-key or unique column of every table: a `WHERE <name> = ?`
   * on one of them reads at most one row. Cached with the views (rules ask once per file).
   */
  keyColumnNames(): ReadonlySet<string> {
    const view = this.view();
    if (!view.keyColumnNames) {
      const keys = new Set<string>();
      for (const tables of view.tablesByName.values()) {
        for (const { table } of tables) {
          for (const column of table.columns)
            if (column.primaryKey || column.unique) keys.add(lower(column.name));
        }
      }
      view.keyColumnNames = keys;
    }
    return view.keyColumnNames;
  }

  /**
   * Attribute names of the related managers Django models of the workspace declare (`posts` of
   * `ForeignKey(Author, related_name="posts")`, `post_set`, a `ManyToManyField`'s name): reading
   * one of them from an instance gives a queryset of related rows.
   */
  djangoRelatedManagers(): ReadonlySet<string> {
    const view = this.view();
    if (!view.djangoRelatedManagers) {
      const names = new Set<string>();
      for (const tables of view.tablesByName.values())
        for (const { table } of tables)
          for (const name of table.relatedManagers ?? []) names.add(name);
      view.djangoRelatedManagers = names;
    }
    return view.djangoRelatedManagers;
  }

  /**
   * Names of the relations models of the workspace have (`relationships`, Django related
   * managers): an attribute read by any other name is no relation of any of them.
   */
  relationNames(): ReadonlySet<string> {
    const view = this.view();
    if (!view.relationNames) {
      const names = new Set(this.djangoRelatedManagers());
      for (const tables of view.tablesByName.values())
        for (const { table } of tables) for (const name of table.relationships) names.add(name);
      view.relationNames = names;
    }
    return view.relationNames;
  }

  /**
   * The class of the rows a Django related manager holds, read from an instance of `className`
   * (`Project` for `projects` on `Release`, of `projects = ManyToManyField(Project)` on `Release`,
   * or of `releases = ManyToManyField(Release, related_name="projects")` on `Project`): undefined
   * when no model of the workspace declares it, or several disagree.
   */
  djangoRelatedRows(className: string, manager: string): string | undefined {
    return this.djangoRelatedManagerRows(className, manager)?.className;
  }

  /**
   * `djangoRelatedRows`, with the foreign keys of the rows that add the manager (`customer` of
   * `orders` on `Customer`, of `customer = ForeignKey(Customer, related_name="orders")`): Django
   * fills them with the instance the manager is read from.
   */
  djangoRelatedManagerRows(className: string, manager: string): DefaultAccessorRows | undefined {
    const view = this.view();
    view.djangoRelatedRows ??= relatedRowsBy(view, (found) => `${found.on}.${found.manager}`);
    return oneClassOfRows(view.djangoRelatedRows.get(`${className}.${manager}`) ?? []);
  }

  /**
   * The rows of a Django reverse accessor left at its default name (`shelfbook_set`), whatever
   * instance it is read from: the one model class of the workspace so named (lowercased) whose
   * `ForeignKey` or `ManyToManyField` adds it, with the foreign keys that add it, one per class
   * that gets it (`user` for `Reader`, `book` for `Edition`). Undefined when none does (every such
   * field gives a `related_name`, which removes the default accessor) or models of several classes
   * do.
   */
  djangoDefaultAccessorRows(accessor: string): DefaultAccessorRows | undefined {
    const view = this.view();
    view.djangoDefaultAccessorRows ??= relatedRowsBy(view, (found) =>
      found.manager === `${found.rows.toLowerCase()}_set` ? found.manager : undefined,
    );
    return oneClassOfRows(view.djangoDefaultAccessorRows.get(accessor) ?? []);
  }

  /**
   * The class of the rows a Django related manager of this name holds, whatever instance it is
   * read from (`document_type.documents` where the instance's class is not known): the one model
   * class every field of the workspace that adds a manager so named points back from; undefined
   * when none does or several classes do.
   */
  djangoRelatedRowsNamed(manager: string): string | undefined {
    const view = this.view();
    view.djangoRelatedRowsByName ??= relatedRowsBy(view, (found) => found.manager);
    return oneClassOfRows(view.djangoRelatedRowsByName.get(manager) ?? [])?.className;
  }

  /**
   * The row writes (`save`, `delete`, `asave`, `adelete`) the Django model class of this name
   * overrides, itself or through its abstract bases: a queryset's `update()`/`delete()` skips them.
   */
  djangoOverriddenWrites(className: string): ReadonlySet<string> {
    return this.namesOfClass(className, (table) => table.overriddenWrites);
  }

  /**
   * What the `save()` of the Django model class of this name runs that the bulk writes
   * (`bulk_create`, `bulk_update`, a queryset's `update()`) skip, quoted for a message: its
   * django-lifecycle hooks other than the delete ones (`@hook(AFTER_CREATE)`), itself or through
   * its abstract bases, and the `pre_save`/`post_save` receivers the workspace connects for it.
   * An overridden `save()` itself is in `djangoOverriddenWrites`.
   */
  djangoSaveHooks(className: string): string[] {
    const hooks = [...this.namesOfClass(className, (table) => table.lifecycleHooks)]
      .filter((moment) => !moment.endsWith('_DELETE'))
      .map((moment) => `\`@hook(${moment})\``);
    const view = this.view();
    if (!view.djangoSaveReceivers) {
      const bySender = new Map<string, Set<string>>();
      for (const facts of this.files.values()) {
        for (const { signal, sender } of facts.schema.djangoSaveReceivers ?? []) {
          const signals = bySender.get(sender) ?? new Set<string>();
          signals.add(signal);
          bySender.set(sender, signals);
        }
      }
      view.djangoSaveReceivers = bySender;
    }
    const signals = [...(view.djangoSaveReceivers.get(className) ?? [])].sort();
    return [...hooks, ...signals.map((signal) => `a \`${signal}\` receiver`)];
  }

  /**
   * The managers the Django model class of this name declares under names of its own (`open` of
   * `open = OpenBasketManager()`), itself or through its abstract bases.
   */
  djangoCustomManagers(className: string): ReadonlySet<string> {
    return this.namesOfClass(className, (table) => table.customManagers);
  }

  /**
   * The methods of the model class's own QuerySet or Manager class that return a narrowed
   * queryset of its rows (`is_finished` of `objects = JobQuerySet.as_manager()`; see
   * `TableFact.querySetMethods`), declared in the model's file, another module or a base class.
   */
  djangoQuerySetMethods(className: string): ReadonlySet<string> {
    return this.querySetMethodNames(
      className,
      this.querySetMethods,
      (fact) => fact.querySetMethods,
    );
  }

  /**
   * The Django model classes a manager of which is made from the QuerySet or Manager class of
   * this qualified name (`tm.models.TranslationQuerySet` of `objects =
   * TranslationQuerySet.as_manager()`): whose rows `self` hands out in the class's methods.
   */
  djangoModelsOfQuerySetClass(qualified: string): string[] {
    const models = new Set<string>();
    for (const { table } of this.allTables())
      if (table.className && table.querySetClasses?.includes(qualified))
        models.add(table.className);
    return [...models];
  }

  /**
   * Those of `djangoQuerySetMethods` whose queryset groups the rows (`authors_list` returning
   * `self.values("author").annotate(n=Count("id"))`): one row per group.
   */
  djangoQuerySetGroupingMethods(className: string): ReadonlySet<string> {
    return this.querySetMethodNames(
      className,
      this.querySetGroupingMethods,
      (fact) => fact.querySetGroupingMethods,
    );
  }

  /**
   * The fields the methods of `djangoQuerySetMethods` pin to one of their parameters
   * (`get_live(self, environment)` filtering `environment=environment`), wherever declared.
   */
  djangoQuerySetPins(className: string): readonly QuerySetPin[] {
    return this.collectQuerySetFacts(
      className,
      this.querySetPins,
      (fact) => fact.querySetPins,
      (pins) => pins,
    );
  }

  /** Method names of a model's QuerySet classes that `pick` lists, wherever declared; cached. */
  private querySetMethodNames(
    className: string,
    cache: Map<string, ReadonlySet<string>>,
    pick: (fact: TableFact | ClassFact) => readonly string[] | undefined,
  ): ReadonlySet<string> {
    return this.collectQuerySetFacts(className, cache, pick, (names) => new Set(names));
  }

  /**
   * What `pick` lists of each table of a model class and of the QuerySet classes it declares (in
   * another module, or a base they inherit methods from), table by table, made into what `cache`
   * keeps by `make`; cached by class name.
   */
  private collectQuerySetFacts<T, R>(
    className: string,
    cache: Map<string, R>,
    pick: (fact: TableFact | ClassFact) => readonly T[] | undefined,
    make: (found: T[]) => R,
  ): R {
    const known = cache.get(className);
    if (known) return known;
    const found: T[] = [];
    for (const { table } of this.tablesOfClass(className)) {
      found.push(...(pick(table) ?? []));
      for (const source of table.querySetClasses ?? [])
        for (const { cls } of this.baseChain([source], true)) found.push(...(pick(cls) ?? []));
    }
    const made = make(found);
    cache.set(className, made);
    return made;
  }

  /** The names a list of every table of a model class holds (`pick`), merged. */
  private namesOfClass(
    className: string,
    pick: (table: TableFact) => readonly string[] | undefined,
  ): ReadonlySet<string> {
    const names = new Set<string>();
    for (const { table } of this.tablesOfClass(className))
      for (const name of pick(table) ?? []) names.add(name);
    return names;
  }

  /** Indexes on `table` after models, DDL and migrations (drops applied in revision order). */
  indexesOn(table: string): KnownIndex[] {
    return [...(this.view().indexesByTable.get(lower(table)) ?? [])];
  }

  /** Whether some index has `column` as its leading column (so lookups on it can use it). */
  isIndexedColumn(table: string, column: string): boolean {
    const name = lower(column);
    const indexes = this.view().indexesByTable.get(lower(table)) ?? [];
    return indexes.some((index) => lower(index.columns[0] ?? '') === name);
  }

  /** Alembic migration files, oldest first. */
  migrations(): { file: string; migration: MigrationFact }[] {
    return this.view().migrationFiles;
  }

  /** Alembic revisions no other migration builds on: where a new migration goes. */
  migrationHeads(): { file: string; migration: MigrationFact }[] {
    const migrations = this.migrations();
    const parents = new Set(
      migrations.flatMap(
        ({ migration }) =>
          migration.downRevisions ?? (migration.downRevision ? [migration.downRevision] : []),
      ),
    );
    return migrations.filter(({ migration }) => !parents.has(migration.revision));
  }

  private view(): Views {
    this.views ??= this.buildViews();
    return this.views;
  }

  private functionView(): FunctionViews {
    if (!this.functionViews) {
      const views: FunctionViews = {
        functions: new Map(),
        functionsBySuffix: new Map(),
        namesByTrait: new Map(),
      };
      for (const facts of this.files.values()) addFunctions(views, facts);
      this.functionViews = views;
    }
    return this.functionViews;
  }

  private buildViews(): Views {
    const views: Views = {
      tablesByName: new Map(),
      tablesByClass: new Map(),
      tablesByVariable: new Map(),
      indexes: [],
      indexesByTable: new Map(),
      migrationFiles: [],
      prismaDatasources: [],
    };
    const migrationOps: { file: string; migration: MigrationFact; operations: IndexOperation[] }[] =
      [];
    const ddlOps: { file: string; operations: IndexOperation[] }[] = [];
    const sortedFiles = [...this.files.values()].sort((a, b) => fileOrder.compare(a.file, b.file));
    let links: SchemaLinks | undefined;
    // Single-table subclasses of a parent in another module, folded in once every table is in.
    const singleTables: { entry: IndexedTable; parent: { file: string; className: string } }[] = [];
    for (const facts of sortedFiles) {
      if (!hasSchema(facts)) continue;
      const datasource = facts.schema.prismaDatasource;
      if (datasource) views.prismaDatasources.push({ file: facts.file, datasource });
      // Tables their bases name (`nameFromBases`) or drop (no base makes them one), by declared
      // name: the name they get or undefined, for the file's indexes on them.
      const renamed = new Map<string, string | undefined>();
      for (const declared of facts.schema.tables) {
        // Columns of base classes and aliases declared in other modules, merged in.
        let table = declared;
        let singleTableOf: { file: string; className: string } | undefined;
        if (hasLinks(declared)) {
          links ??= new SchemaLinks(sortedFiles, (name) => this.pythonBaseOutsideWorkspace(name));
          const resolved = links.resolve(facts.file, declared);
          if (resolved?.table.name !== declared.name)
            renamed.set(declared.name, resolved?.table.name);
          if (!resolved) continue;
          table = resolved.table;
          singleTableOf = resolved.singleTableOf;
          if (resolved.compositeKey)
            views.indexes.push(knownFrom(resolved.compositeKey, facts.file));
          for (const inherited of resolved.inheritedIndexes)
            views.indexes.push(knownFrom(inherited.index, inherited.file));
        }
        const entry = { file: facts.file, table };
        if (singleTableOf) singleTables.push({ entry, parent: singleTableOf });
        else addTable(views, entry);
        for (const column of table.columns) {
          // A concrete parent's field: the parent's table has its index.
          if (column.ownerTable) continue;
          if (column.indexed || column.primaryKey || column.unique) {
            views.indexes.push({
              table: table.name,
              columns: [column.name],
              name: implicitIndexName(table, column.name, column.primaryKey || column.unique),
              unique: column.unique || column.primaryKey,
              file: column.file ?? facts.file,
              start: column.start,
              end: column.end,
            });
          }
        }
      }
      for (const index of facts.schema.indexes) {
        if (!renamed.has(index.table)) views.indexes.push(knownFrom(index, facts.file));
        else if (renamed.get(index.table))
          views.indexes.push(knownFrom({ ...index, table: renamed.get(index.table)! }, facts.file));
      }
      if (facts.schema.migration) {
        migrationOps.push({
          file: facts.file,
          migration: facts.schema.migration,
          operations: facts.schema.operations,
        });
      } else if (facts.schema.operations.length > 0) {
        ddlOps.push({ file: facts.file, operations: facts.schema.operations });
      }
    }
    for (const { entry, parent } of singleTables) foldSingleTable(views, entry, parent);
    addBackrefs(views);
    for (const { file, operations } of ddlOps) applyOperations(views.indexes, file, operations);
    for (const { file, migration, operations } of orderMigrations(migrationOps)) {
      views.migrationFiles.push({ file, migration });
      applyOperations(views.indexes, file, operations);
    }
    for (const index of views.indexes) push(views.indexesByTable, lower(index.table), index);
    return views;
  }
}

function addTable(views: Views, entry: IndexedTable): void {
  const { table } = entry;
  push(views.tablesByName, lower(table.name), entry);
  if (table.className) push(views.tablesByClass, table.className, entry);
  for (const name of table.singleTableClasses ?? []) push(views.tablesByClass, name, entry);
  if (table.variable) push(views.tablesByVariable, table.variable, entry);
}

/**
 * A single-table-inheritance subclass (`entry`: its own columns, under its parent's table name)
 * joins its parent's table in another module: its columns (declared in its file) are added to that
 * table, once, and its class name maps it. Kept as a table of its own if the parent is not found.
 */
function foldSingleTable(
  views: Views,
  entry: IndexedTable,
  parent: { file: string; className: string },
): void {
  const target = views.tablesByClass.get(parent.className)?.find((t) => t.file === parent.file);
  const className = entry.table.className;
  if (!target || !className) {
    addTable(views, entry);
    return;
  }
  const table = target.table;
  const attributes = new Set(table.columns.map((column) => column.attribute));
  const added = entry.table.columns
    .filter((column) => !attributes.has(column.attribute))
    .map((column) => ({ ...column, file: column.file ?? entry.file }));
  const relationships = entry.table.relationships.filter(
    (name) => !table.relationships.includes(name),
  );
  const details = entry.table.relationshipDetails;
  // A new fact: the parent file's own facts stay as that file declared them.
  target.table = {
    ...table,
    columns: [...table.columns, ...added],
    relationships: [...table.relationships, ...relationships],
    ...(details ? { relationshipDetails: { ...details, ...table.relationshipDetails } } : {}),
    singleTableClasses: [...(table.singleTableClasses ?? []), className],
  };
  push(views.tablesByClass, className, target);
}

/**
 * The relationships `backref=` adds to the classes SQLAlchemy relationships point to
 * (`relationship("Task", backref="incident")` on `Incident` gives `Task.incident`), wherever the
 * target is declared: recorded on the target's tables with the class they point back to, unless
 * the target declares that name itself. New facts: each file's own stay as it declared them.
 */
function addBackrefs(views: Views): void {
  const added = new Map<IndexedTable, Record<string, RelationshipFact>>();
  for (const tables of views.tablesByName.values()) {
    for (const { table } of tables) {
      if (!table.className || !table.relationshipDetails) continue;
      for (const details of Object.values(table.relationshipDetails)) {
        const { target, backref } = details;
        if (!target || !backref) continue;
        const reverse: RelationshipFact = {
          target: table.className,
          ...(backref.lazy ? { lazy: backref.lazy } : {}),
        };
        for (const entry of views.tablesByClass.get(target) ?? []) {
          if (entry.table.relationships.includes(backref.name)) continue;
          let found = added.get(entry);
          if (!found) added.set(entry, (found = {}));
          found[backref.name] ??= reverse;
        }
      }
    }
  }
  for (const [entry, reverse] of added) {
    const { table } = entry;
    entry.table = {
      ...table,
      relationships: [...table.relationships, ...Object.keys(reverse)],
      relationshipDetails: { ...table.relationshipDetails, ...reverse },
    };
  }
}

/** The related managers the workspace's Django models add, grouped by `keyOf` (none: left out). */
function relatedRowsBy(
  view: Views,
  keyOf: (found: RelatedRowsFact) => string | undefined,
): Map<string, RelatedRowsFact[]> {
  const grouped = new Map<string, RelatedRowsFact[]>();
  for (const tables of view.tablesByName.values())
    for (const { table } of tables)
      for (const found of table.relatedRows ?? []) {
        const key = keyOf(found);
        if (key !== undefined) push(grouped, key, found);
      }
  return grouped;
}

/**
 * The class of the rows related managers hold, when they agree on one, with the foreign keys
 * that add them; undefined for none, or several classes.
 */
function oneClassOfRows(found: readonly RelatedRowsFact[]): DefaultAccessorRows | undefined {
  const classes = new Set(found.map((rows) => rows.rows));
  if (classes.size !== 1) return undefined;
  const backTo = found.flatMap(({ on, field }) => (field ? [{ on, field }] : []));
  return { className: [...classes][0], backTo };
}

/** A function by exact qualified name or by a unique dotted suffix of one. */
function lookUp(views: FunctionViews, target: string): IndexedFunction | undefined {
  const exact = views.functions.get(target);
  if (exact?.length === 1) return exact[0];
  const bySuffix = views.functionsBySuffix.get(target);
  return bySuffix?.length === 1 ? bySuffix[0] : undefined;
}

/** The module-level instances of Python files, or of the other files, by qualified name. */
function instanceEntries(python: boolean) {
  return function* (facts: FileFacts): Generator<NamedEntry<IndexedInstance>> {
    if (!facts.instances || (facts.language === 'python') !== python) return;
    const prefix = facts.moduleName ? `${facts.moduleName}.` : '';
    for (const instance of facts.instances) {
      yield [`${prefix}${instance.name}`, { file: facts.file, instance }];
    }
  };
}

function parentName(qualifiedName: string): string {
  return qualifiedName.slice(0, Math.max(0, qualifiedName.lastIndexOf('.')));
}

/** Where `name`, imported from a barrel, comes from through `reexport` (undefined if not from it). */
function reexportedPath(reexport: Reexport, name: string): string[] | undefined {
  const module = reexport.module ? reexport.module.split('.') : [];
  if (reexport.exported === '*') return [...module, name];
  if (reexport.exported !== name) return undefined;
  // `export * as ns from './x'`: `ns.f` is `x.f`.
  return reexport.imported === '*' ? module : [...module, reexport.imported ?? name];
}

/**
 * A barrel's re-exports: those of one name, by that name (`import { a } from`, `export { a }`,
 * `export * as a`), and the `*` ones. A package `__init__.py` may import hundreds of names, and
 * every call site asks for one of them.
 */
interface Barrel {
  byName: Map<string, Reexport[]>;
  stars: Reexport[];
}

function barrelOf(reexports: readonly Reexport[]): Barrel {
  const barrel: Barrel = { byName: new Map(), stars: [] };
  for (const reexport of reexports) {
    if (reexport.exported === '*') barrel.stars.push(reexport);
    else push(barrel.byName, reexport.exported, reexport);
  }
  return barrel;
}

/**
 * Each barrel's re-exports under its module name and every dotted suffix of it. A Python module's
 * own imports (`moduleImports`) count under a name no package barrel has: a package's
 * `__init__.py` is where names are meant to be imported from.
 */
function buildReexportViews(files: Iterable<FileFacts>): Map<string, Barrel[]> {
  const views = new Map<string, Barrel[]>();
  const modules = new Map<string, Barrel[]>();
  for (const facts of files) {
    if (facts.moduleName === undefined) continue;
    const reexports = facts.reexports ?? facts.moduleImports;
    if (!reexports) continue;
    const into = facts.reexports ? views : modules;
    const parts = facts.moduleName.split('.');
    const barrel = barrelOf(reexports);
    for (let i = 0; i < parts.length; i++) push(into, parts.slice(i).join('.'), barrel);
  }
  for (const [name, barrels] of modules) if (!views.has(name)) views.set(name, barrels);
  return views;
}

/**
 * Whether an edit changed what a Python module imports: every module imports something, and
 * most edits (a keystroke in a function) leave the imports as they were.
 */
function importsChanged(previous: FileFacts | undefined, facts: FileFacts): boolean {
  const before = previous?.moduleImports ?? [];
  const after = facts.moduleImports ?? [];
  return (
    before.length !== after.length ||
    before.some(
      (reexport, i) =>
        reexport.exported !== after[i].exported ||
        reexport.module !== after[i].module ||
        reexport.imported !== after[i].imported,
    )
  );
}

/**
 * Lists are kept in the order files were added and sorted only when read whole: `resolve` only
 * asks whether a name has exactly one function, and keeping every list sorted on insertion (a
 * locale-aware comparison per insert) cost more than any lookup.
 */
function inFileOrder(list: IndexedFunction[]): IndexedFunction[] {
  return list.length < 2 ? list : [...list].sort((a, b) => fileOrder.compare(a.file, b.file));
}

/** Whether a file's classes declare Tortoise relations (see `tortoiseRelationsOf`). */
function declaresRelations(facts: FileFacts | undefined): boolean {
  return !!facts?.classes?.some((cls) => cls.relations);
}

/**
 * The classes of Python files, or of the other files, under their qualified names (and
 * `module.default` for default exports).
 */
function classEntries(python: boolean) {
  return function* (facts: FileFacts): Generator<NamedEntry<IndexedClass>> {
    if (!facts.classes || (facts.language === 'python') !== python) return;
    const prefix = facts.moduleName ? `${facts.moduleName}.` : '';
    for (const cls of facts.classes) {
      const entry = { file: facts.file, cls };
      yield [`${prefix}${cls.name}`, entry];
      if (cls.isDefault) yield [`${prefix}default`, entry];
    }
  };
}

function addFunctions(views: FunctionViews, facts: FileFacts): void {
  for (const fn of facts.functions) {
    const entry = { file: facts.file, fn };
    const { exact, suffixes } = nameKeys(fn.qualifiedName);
    push(views.functions, exact, entry);
    for (const suffix of suffixes) push(views.functionsBySuffix, suffix, entry);
  }
  for (const [prefix, counts] of views.namesByTrait) countTraits(counts, prefix, facts, 1);
}

/** Counts (`step` 1) or uncounts (-1) the functions of a file with a trait starting with `prefix`. */
function countTraits(
  counts: Map<string, number>,
  prefix: string,
  facts: FileFacts,
  step: 1 | -1,
): void {
  for (const fn of facts.functions) {
    if (!fn.traits.some((trait) => trait.startsWith(prefix))) continue;
    const count = (counts.get(fn.name) ?? 0) + step;
    if (count > 0) counts.set(fn.name, count);
    else counts.delete(fn.name);
  }
}

function removeFunctions(views: FunctionViews, facts: FileFacts): void {
  for (const fn of facts.functions) {
    const { exact, suffixes } = nameKeys(fn.qualifiedName);
    dropFile(views.functions, exact, facts.file);
    for (const suffix of suffixes) dropFile(views.functionsBySuffix, suffix, facts.file);
  }
  for (const [prefix, counts] of views.namesByTrait) countTraits(counts, prefix, facts, -1);
}

/** SQLAlchemy names `index=True` indexes `ix_<table>_<column>`, so migrations can drop them by name. */
function implicitIndexName(table: TableFact, column: string, isKey: boolean): string | undefined {
  if (isKey || (table.source !== 'sqlalchemy' && table.source !== 'alembic')) return undefined;
  return `ix_${table.name}_${column}`;
}

function knownFrom(index: IndexFact | IndexOperation, file: string): KnownIndex {
  const { table, columns, name, unique, start, end } = index;
  const method = 'method' in index ? index.method : undefined;
  return { table, columns, name, unique, ...(method ? { method } : {}), file, start, end };
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => lower(column) === lower(b[i]));
}

function applyOperations(indexes: KnownIndex[], file: string, operations: IndexOperation[]): void {
  for (const operation of operations) {
    if (operation.kind === 'create') {
      indexes.push(knownFrom(operation, file));
      continue;
    }
    // A drop names the index or, failing that, its table and columns.
    for (let i = indexes.length - 1; i >= 0; i--) {
      const index = indexes[i];
      const byName = !!operation.name && index.name === operation.name;
      const byColumns =
        !operation.name &&
        lower(index.table) === lower(operation.table) &&
        sameColumns(index.columns, operation.columns);
      if (byName || byColumns) indexes.splice(i, 1);
    }
  }
}

/**
 * Orders Alembic revisions so each comes after every revision it revises (a merge migration after
 * all its parents); unknown parents are ignored, and cycles or duplicates keep file order.
 */
function orderMigrations<T extends { migration: MigrationFact }>(migrations: T[]): T[] {
  const byRevision = new Map(migrations.map((m) => [m.migration.revision, m]));
  const parentsOf = (m: T): string[] =>
    (
      m.migration.downRevisions ?? (m.migration.downRevision ? [m.migration.downRevision] : [])
    ).filter((parent) => parent !== m.migration.revision && byRevision.has(parent));
  const children = new Map<string, T[]>();
  const waiting = new Map<T, number>();
  const ready: T[] = [];
  for (const m of migrations) {
    const parents = parentsOf(m);
    waiting.set(m, parents.length);
    for (const parent of parents) push(children, parent, m);
    if (parents.length === 0) ready.push(m);
  }
  const ordered: T[] = [];
  const placed = new Set<T>();
  while (ready.length > 0) {
    const m = ready.shift()!;
    if (placed.has(m)) continue;
    placed.add(m);
    ordered.push(m);
    for (const child of children.get(m.migration.revision) ?? []) {
      const left = (waiting.get(child) ?? 1) - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  for (const m of migrations) if (!placed.has(m)) ordered.push(m);
  return ordered;
}
