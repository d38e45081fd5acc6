/**
 * Name and scope questions several Python rules ask beyond the model: which function a node is
 * in, which names a function declares `global`, which statements bind or mutate names, and what a
 * call passes by keyword. Whole-file answers are computed once per model (through tree-sitter's
 * native `descendantsOfType`, not a JavaScript walk) and cached, so rules can share them cheaply.
 */
import type { Node } from 'web-tree-sitter';
import type { PyCall, PyFunction, PythonModel } from './model';
import { OwnedCache } from './memo';

interface ScopeCache {
  functionsById?: Map<number, PyFunction>;
  globals?: Map<PyFunction, Set<string>>;
  globalKeywords?: number[];
  bindings?: Node[];
  decoratorHeads?: Set<string>;
  moduleAssignments?: Map<string, Node[]>;
}

const caches = new OwnedCache<PythonModel, ScopeCache>('scope analysis');

function cacheOf(model: PythonModel): ScopeCache {
  let cache = caches.get(model);
  if (!cache) {
    cache = {};
    caches.set(model, cache);
  }
  return cache;
}

/** The model's function whose body contains `node` (innermost), or undefined at module level. */
export function functionOf(model: PythonModel, node: Node): PyFunction | undefined {
  const cache = cacheOf(model);
  cache.functionsById ??= new Map(model.functions.map((fn) => [fn.node.id, fn]));
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'function_definition') return cache.functionsById.get(current.id);
  }
  return undefined;
}

/** Whether a definition sits at the top of the module (decorated or not). */
export function isModuleLevel(definition: Node): boolean {
  const parent = definition.parent;
  const holder = parent?.type === 'decorated_definition' ? parent.parent : parent;
  return holder?.type === 'module';
}

/** `await x` and `(x)` are `x` for what a value is. */
export function unwrap(node: Node | null | undefined): Node | null {
  let current = node ?? null;
  for (;;) {
    const type = current?.type;
    if (type !== 'parenthesized_expression' && type !== 'await') return current;
    current = current!.namedChildren[0] ?? null;
  }
}

/** The whole method chain a call heads: `db.query(X).filter(...).all()` for `db.query(X)`. */
export function chainTop(node: Node): Node {
  let top = node;
  for (let parent = top.parent; parent; parent = top.parent) {
    const type = parent.type;
    const continues =
      (type === 'attribute' && parent.childForFieldName('object')?.id === top.id) ||
      (type === 'call' && parent.childForFieldName('function')?.id === top.id);
    if (!continues) break;
    top = parent;
  }
  return top;
}

/** The whole expression a call heads, slices included: `Plan.objects.all()[page : page + 10]`. */
export function chainWithSlices(node: Node): Node {
  let top = chainTop(node);
  for (let parent = top.parent; parent?.type === 'subscript'; parent = top.parent) {
    if (parent.childForFieldName('value')?.id !== top.id) break;
    top = chainTop(parent);
  }
  return top;
}

/** Wrappers that report progress or count items without changing what a loop iterates. */
const PROGRESS_WRAPPERS = new Set(['tqdm', 'enumerate', 'track', 'progressbar', 'alive_it']);

/** `tqdm(range(0, n, size))` -> `range(0, n, size)`: the iterable a progress wrapper passes on. */
export function withoutProgressWrapper(node: Node | null): Node | null {
  let current = node;
  while (current?.type === 'call') {
    const fnNode = current.childForFieldName('function');
    const name =
      fnNode?.type === 'attribute' ? fnNode.childForFieldName('attribute')?.text : fnNode?.text;
    const first = current.childForFieldName('arguments')?.namedChildren[0];
    if (!name || !PROGRESS_WRAPPERS.has(name) || !first || first.type === 'keyword_argument')
      return current;
    current = unwrap(first);
  }
  return current;
}

/**
 * A test that a name holds nothing: `not job`, `_engine is None`, `not self._client`, capturing
 * the name. The name is any run of identifier characters and dots (Python names may be
 * non-ASCII); lazy guards (`if _engine is None:`) and drains (`if job is None: break`) use it.
 */
const LAZY_GUARD = /^(?:not\s+([\p{XID_Continue}.]+)|([\p{XID_Continue}.]+)\s+is\s+None)\s*$/u;

/** The name a condition tests for holding nothing (see `LAZY_GUARD`), or undefined. */
export function noneTestedName(condition: string): string | undefined {
  const guard = LAZY_GUARD.exec(condition);
  return guard?.[1] ?? guard?.[2];
}

/** Names `fn` declares with a `global` statement. */
export function globalNames(model: PythonModel, fn: PyFunction): ReadonlySet<string> {
  const cache = cacheOf(model);
  // Most functions hold no `global` statement: a text check spares the walk of the whole tree,
  // which the first question about a function that does hold one pays for the file.
  cache.globalKeywords ??= [...model.source.matchAll(GLOBAL_KEYWORD)].map((match) => match.index);
  const start = fn.node.startIndex;
  if (!cache.globalKeywords.some((at) => at >= start && at < fn.end)) return EMPTY;
  if (!cache.globals) {
    cache.globals = new Map();
    for (const statement of model.tree.rootNode.descendantsOfType('global_statement')) {
      if (!statement) continue;
      const owner = functionOf(model, statement);
      if (!owner) continue;
      let names = cache.globals.get(owner);
      if (!names) cache.globals.set(owner, (names = new Set()));
      for (const name of statement.namedChildren) if (name) names.add(name.text);
    }
  }
  return cache.globals.get(fn) ?? EMPTY;
}

const EMPTY: ReadonlySet<string> = new Set();
const GLOBAL_KEYWORD = /\bglobal\s/g;

/** Statement kinds that bind, rebind or delete names or items. */
const BINDING_TYPES = ['assignment', 'augmented_assignment', 'delete_statement'];

/** Every assignment, augmented assignment and `del` statement in the file, in source order. */
export function bindingStatements(model: PythonModel): readonly Node[] {
  const cache = cacheOf(model);
  cache.bindings ??= model.tree.rootNode
    .descendantsOfType(BINDING_TYPES)
    .filter((node): node is Node => !!node);
  return cache.bindings;
}

/** The identifiers a binding target binds: `a` in `a = ...`, `a, b` in `for a, b in ...`. */
export function targetNames(target: Node | null): string[] {
  if (!target) return [];
  if (target.type === 'identifier') return [target.text];
  if (
    target.type === 'pattern_list' ||
    target.type === 'tuple_pattern' ||
    target.type === 'list_pattern' ||
    target.type === 'tuple' ||
    target.type === 'list' ||
    target.type === 'parenthesized_expression' ||
    target.type === 'list_splat_pattern' ||
    target.type === 'as_pattern_target'
  ) {
    return target.namedChildren.flatMap((child) => targetNames(child));
  }
  return [];
}

/** The first name of a dotted, subscripted or called expression: `cache` in `cache[k].items()`. */
export function rootName(node: Node | null): string {
  for (let current = node; current;) {
    switch (current.type) {
      case 'identifier':
        return current.text;
      case 'attribute':
        current = current.childForFieldName('object');
        break;
      case 'subscript':
        current = current.childForFieldName('value');
        break;
      case 'call':
        current = current.childForFieldName('function');
        break;
      default:
        return '';
    }
  }
  return '';
}

/**
 * Top-level assignments by the name they bind (`_cache` for `_cache: dict = {}`), in source order;
 * only statements directly in the module, not in `if`/`try` blocks or functions.
 */
export function moduleAssignments(model: PythonModel): ReadonlyMap<string, Node[]> {
  const cache = cacheOf(model);
  if (!cache.moduleAssignments) {
    cache.moduleAssignments = new Map();
    for (const statement of model.tree.rootNode.namedChildren) {
      if (statement?.type !== 'expression_statement') continue;
      const assignment = statement.firstNamedChild;
      if (assignment?.type !== 'assignment') continue;
      for (const name of targetNames(assignment.childForFieldName('left'))) {
        const list = cache.moduleAssignments.get(name);
        if (list) list.push(assignment);
        else cache.moduleAssignments.set(name, [assignment]);
      }
    }
  }
  return cache.moduleAssignments;
}

const IDENTIFIER_CHAR = /\w/;

/**
 * Every identifier node spelled `name` that reads or binds a variable (not `obj.name`, not a
 * keyword argument's name). Found by text search plus a point lookup in the tree, which costs a
 * few lookups per occurrence instead of a walk of the whole tree.
 */
export function nameOccurrences(model: PythonModel, name: string): Node[] {
  const found: Node[] = [];
  const source = model.source;
  const root = model.tree.rootNode;
  for (let at = source.indexOf(name); at !== -1; at = source.indexOf(name, at + name.length)) {
    const before = source[at - 1] ?? '';
    if (IDENTIFIER_CHAR.test(before) || before === '.') continue;
    if (IDENTIFIER_CHAR.test(source[at + name.length] ?? '')) continue;
    const node = root.descendantForIndex(at, at + name.length);
    if (node?.type !== 'identifier' || node.startIndex !== at) continue;
    const parent = node.parent;
    if (parent?.type === 'keyword_argument' && parent.childForFieldName('name')?.id === node.id)
      continue;
    found.push(node);
  }
  return found;
}

/** Names used as decorators anywhere in the file (`register` for `@register` or `@register(...)`). */
export function decoratorHeads(model: PythonModel): ReadonlySet<string> {
  const cache = cacheOf(model);
  if (!cache.decoratorHeads) {
    cache.decoratorHeads = new Set();
    for (const fn of model.functions) {
      for (const decorator of fn.decorators) cache.decoratorHeads.add(decoratorName(decorator));
    }
  }
  return cache.decoratorHeads;
}

/** A decorator's dotted name without its call: `functools.lru_cache` for `functools.lru_cache(maxsize=8)`. */
export function decoratorName(decorator: string): string {
  const paren = decorator.indexOf('(');
  return (paren === -1 ? decorator : decorator.slice(0, paren)).trim();
}

/** The decorator nodes of a function, in source order (empty when it has none). */
export function decoratorNodes(fn: PyFunction): Node[] {
  const parent = fn.node.parent;
  if (parent?.type !== 'decorated_definition') return [];
  return parent.namedChildren.filter((child): child is Node => child?.type === 'decorator');
}

/** The value of a call's keyword argument `name`, if passed. */
export function keywordArgument(call: PyCall, name: string): Node | undefined {
  for (const arg of call.args.namedChildren) {
    if (arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === name)
      return arg.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** Whether a call passes `**kwargs` (which may hold any keyword) or `*args`. */
export function passesSplat(call: PyCall): boolean {
  return call.args.namedChildren.some(
    (arg) => arg?.type === 'dictionary_splat' || arg?.type === 'list_splat',
  );
}

/** Positional arguments of a call, in order. */
export function positionalArguments(call: PyCall): Node[] {
  // `sorted(x for x in xs)`: a lone generator argument is the argument list itself.
  if (call.args.type === 'generator_expression') return [call.args];
  return positionalArgumentNodes(call.args);
}

/** Positional arguments of an `argument_list` node, in order. */
export function positionalArgumentNodes(args: Node): Node[] {
  return args.namedChildren.filter(
    (arg): arg is Node =>
      !!arg &&
      arg.type !== 'keyword_argument' &&
      arg.type !== 'comment' &&
      arg.type !== 'dictionary_splat' &&
      arg.type !== 'list_splat',
  );
}

const TEST_PATH = /(?:^|\/)(?:_?tests?\/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)/;

/** Whether a workspace-relative path is test code (a `tests/` or `_tests/` folder, `test_*.py`, `conftest.py`). */
export function isTestPath(relativePath: string): boolean {
  return TEST_PATH.test(relativePath);
}

/**
 * `isTestPath` for a dotted module name (`tests.test_db`, `app.conftest`, `pkg.db_test`), read as
 * the file it names: for code that knows a module's name but not its path.
 */
export function isTestModuleName(moduleName: string | undefined): boolean {
  return !!moduleName && isTestPath(`${moduleName.replace(/\./g, '/')}.py`);
}

const BATCH_SCRIPT_PATH = /(?:^|\/)(?:management\/commands\/[^/]+\.py$|scripts?\/)/;

/**
 * Whether a workspace-relative path is an operator-run batch command: a Django management command
 * (`<app>/management/commands/*.py`) or a file under `scripts/`. Such code runs on demand or on a
 * schedule, not per request, and often must see every row.
 */
export function isBatchScriptPath(relativePath: string): boolean {
  return BATCH_SCRIPT_PATH.test(relativePath);
}

/**
 * Decorators of background jobs: Celery (`@shared_task`, `@app.task(...)`, `@periodic_task`),
 * Huey (`@huey.db_task()`), Dramatiq (`@dramatiq.actor`), APScheduler (`@scheduler.scheduled_job`)
 * and the task decorators of Prefect and Airflow (`@task`).
 */
const BACKGROUND_JOB_DECORATOR =
  /^(?:[\w.]+\.)?(?:shared_task|task|periodic_task|db_task|db_periodic_task|actor|scheduled_job)\b/;

/**
 * A `tasks.py` module, where Celery's autodiscovery finds an app's jobs (and their helpers), or a
 * module of a `tasks/` or `jobs/` package, where larger apps keep them one per file. The name alone
 * is no proof: apps with a Task or Job entity keep its repository, routes or services there too.
 */
const TASKS_MODULE = /(?:^|\/)(?:tasks\.py$|tasks\/|jobs\/)/;

/**
 * Imports that show a task framework: Celery (also an app's own `celeryconf` / `celery_app`),
 * Huey, Dramatiq, RQ, ARQ, APScheduler, Taskiq, Procrastinate, SAQ, Django-Q, fastapi-utils'
 * `repeat_every`, Prefect, Airflow, Dagster.
 */
const TASK_FRAMEWORK_IMPORT =
  /(?:^|\.)(?:celery\w*|\w*_celery|huey|dramatiq|rq|django_rq|arq|apscheduler|taskiq|procrastinate|saq|django_q|prefect|airflow|dagster)(?:\.|$)|^fastapi_utils\.tasks\b/;

/**
 * Decorators that mark a job in a tasks-named module beyond the framework ones: an app's own
 * scheduling decorator (`@scheduled_task(DAILY)`, `@cron_job`) or fastapi-utils' `@repeat_every`.
 */
const APP_JOB_DECORATOR = /^(?:[\w.]+\.)?(?:\w+_(?:task|job)|repeat_every)\b/;

const isJobFunction = (fn: PyFunction): boolean =>
  fn.decorators.some((decorator) => BACKGROUND_JOB_DECORATOR.test(decorator));

const definesJobs = new OwnedCache<PythonModel, boolean>('defines background jobs');

/** Whether the model defines a background job (`@shared_task`, `@dramatiq.actor`, ...). */
function definesJobFunction(model: PythonModel): boolean {
  let defines = definesJobs.get(model);
  if (defines === undefined) {
    defines = model.functions.some(isJobFunction);
    definesJobs.set(model, defines);
  }
  return defines;
}

/**
 * Whether a tasks-named module shows that it is a task framework's: it imports one, or decorates a
 * function with an app's own job decorator. A `repositories/tasks.py` of a Task entity shows neither.
 */
function showsTaskFramework(model: PythonModel): boolean {
  for (const qualified of model.imports.values()) {
    if (TASK_FRAMEWORK_IMPORT.test(qualified)) return true;
  }
  return model.functions.some((fn) =>
    fn.decorators.some((decorator) => APP_JOB_DECORATOR.test(decorator)),
  );
}

/**
 * Whether code of `model` is background-job code: the module defines a job (`@shared_task`, ...),
 * or it is a `tasks.py` or in a `tasks/` or `jobs/` package and shows a task framework (imports
 * Celery, Dramatiq, ...). A worker runs such code on a queue or a schedule, not per request, and
 * like a batch command it often must see every row. The module's other functions count too: they
 * are the jobs' helpers (`def _archive_old()` called by `@shared_task def nightly_archive()`).
 */
export function isBackgroundJobCode(model: PythonModel, relativePath: string): boolean {
  if (definesJobFunction(model)) return true;
  return TASKS_MODULE.test(relativePath) && showsTaskFramework(model);
}

/**
 * Whether code of `model` at a workspace-relative path is batch code, which usually must see every
 * row: a management command or script (`isBatchScriptPath`), or background-job code
 * (`isBackgroundJobCode`).
 */
export function isBatchCode(model: PythonModel, relativePath: string): boolean {
  return isBatchScriptPath(relativePath) || isBackgroundJobCode(model, relativePath);
}

/** Whether `inner` lies within `outer` (both nodes of the same tree). */
export function contains(outer: Node, inner: Node): boolean {
  return outer.startIndex <= inner.startIndex && inner.endIndex <= outer.endIndex;
}

/**
 * The model's calls by callee (or method) name, in source order, indexed once per file: rules
 * that look calls up by name (an SQL unit's sink, a function's callers) would otherwise go through
 * every call of a large module each time.
 */
export function callsNamed(model: PythonModel, name: string): readonly PyCall[] {
  let byName = callsByName.get(model);
  if (!byName) {
    byName = new Map();
    for (const call of model.calls) {
      const key = call.callee || call.method;
      const list = byName.get(key);
      if (list) list.push(call);
      else byName.set(key, [call]);
    }
    callsByName.set(model, byName);
  }
  return byName.get(name) ?? [];
}

const callsByName = new OwnedCache<PythonModel, Map<string, PyCall[]>>('calls by name');

/**
 * Whether `node` reads the variable `name` (not the attribute of `x.name`, not a keyword's name).
 * The text test first: most nodes do not hold the name at all.
 */
export function readsVariable(node: Node, name: string): boolean {
  if (!node.text.includes(name)) return false;
  if (node.type === 'identifier') return node.text === name;
  if (node.type === 'keyword_argument') {
    const value = node.childForFieldName('value');
    return !!value && readsVariable(value, name);
  }
  if (node.type === 'attribute') {
    const object = node.childForFieldName('object');
    return !!object && readsVariable(object, name);
  }
  return node.namedChildren.some((child) => !!child && readsVariable(child, name));
}
