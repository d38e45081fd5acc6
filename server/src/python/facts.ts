/**
 * Extracts the facts a Python file contributes to the workspace index: its functions with their
 * direct effects and outgoing calls (the call graph cross-file rules follow), its schema (models
 * and migrations) and the columns its queries filter and sort on.
 */
import type {
  CallSite,
  Effect,
  FileFacts,
  FunctionFacts,
  InstanceFact,
  Reexport,
} from '../workspace/facts';
import { asyncOrmClassQueryTargets } from './async-orm-models';
import { blockingEffect, describeCall } from './blocking';
import { databaseUrlKinds } from './database-urls';
import { sendsRowFetchSql } from './embedded-sql';
import { iteratesResult, onlyBuildsGenerator } from './generator-calls';
import { onlyEnqueues } from './huey-tasks';
import {
  describesQueryOnly,
  evaluatesQuerySetVariable,
  handsBackUnevaluated,
} from './django-round-trips';
import {
  classesWithBases,
  classNamed,
  constructedReceiverClasses,
  instanceReceiver,
  localInstanceClasses,
  moduleInstances,
  selfAttributeClasses,
  shadowed,
} from './instances';
import { isDbRoundTrip, isHttpRequest, isRouteHandler } from './knowledge';
import { chainCallee, isSqlModelExec, runsModelQuery } from './loop-analysis';
import { rowClasses, rowLoopOf } from './loop-rows';
import {
  callsByFunction,
  classOfFunction,
  type PyCall,
  type PyFunction,
  type PythonModel,
} from './model';
import { OwnedCache } from './memo';
import { extractPythonQueryColumns, extractPythonSchema } from './schema';
import { calledReceiverTargets, returnFacts, valuePathTargets } from './value-paths';
import { commitsSession } from './session-commits';
import { flushesSession } from './session-flushes';

/** Adds rule-specific traits to a function's facts; see `FunctionFacts.traits`. */
export type TraitContributor = (fn: PyFunction, calls: PyCall[], model: PythonModel) => string[];

/** Adds rule-specific traits to a file's facts; see `FileFacts.traits`. */
export type ModuleTraitContributor = (model: PythonModel) => string[];

function effectOf(call: PyCall, model: PythonModel): Effect | undefined {
  const start = call.node.startIndex;
  const end = call.end;
  const callee = call.callee || call.method;
  const blocking = blockingEffect(call, model);
  if (blocking) return { kind: blocking, blocking: true, callee, start, end };
  // `await db.commit()` / `await db.flush()` on an `AsyncSession`: the same round trip as the
  // sync call, which `blockingEffect` records, but awaited it blocks nothing.
  if (call.awaited && (commitsSession(call, model) || flushesSession(call, model)))
    return { kind: 'db', blocking: false, callee, start, end };
  if (isDbRoundTrip(call, model)) {
    const effect: Effect = { kind: 'db', blocking: false, callee, start, end };
    if (describesQueryOnly(call)) {
      effect.lazy = true;
      if (handsBackUnevaluated(call, model)) effect.returned = true;
    }
    return effect;
  }
  // `await qs.afirst()` on a queryset built in variables: a round trip that awaits its answer.
  if (evaluatesQuerySetVariable(call, model))
    return { kind: 'db', blocking: false, callee, start, end };
  if (isHttpRequest(call)) return { kind: 'http', blocking: false, callee, start, end };
  // `Person.query.get(id)`, `cls.query.filter_by(**kw).first()` in a classmethod: Flask-SQLAlchemy.
  if (runsModelQuery(call, !!call.fn?.decorators.includes('classmethod')))
    return { kind: 'db', blocking: false, callee: chainCallee(call), start, end };
  // `await self.session.exec(select(X))`: SQLModel's query, which helpers run as often as Core's.
  if (isSqlModelExec(call)) return { kind: 'db', blocking: false, callee, start, end };
  // `await db.fetchone("SELECT ...", values)`: a `databases` query or a wrapper's sending SQL.
  if (sendsRowFetchSql(call, model)) return { kind: 'db', blocking: false, callee, start, end };
  return undefined;
}

const callTargetsCache = new OwnedCache<PyCall, readonly string[]>('call targets');

/**
 * Candidate qualified names of a call's target, most specific first. Facts and several rules'
 * traits ask for every call of a file, so the answer is kept on the call.
 */
export function callTargets(call: PyCall, model: PythonModel): readonly string[] {
  let targets = callTargetsCache.get(call);
  if (!targets) callTargetsCache.set(call, (targets = findCallTargets(call, model)));
  return targets;
}

function findCallTargets(call: PyCall, model: PythonModel): string[] {
  const callee = call.callee;
  if (!callee) {
    // `Stats().rows()`: the method of the class constructed right there.
    const constructed = constructedReceiverClasses(call, model);
    if (constructed.length > 0) return constructed.map((cls) => `${cls}.${call.method}`);
    // `self.repos.recipes.by_user(id).get_one(slug)`: see `valuePathTargets`.
    return [...calledReceiverTargets(call, model)];
  }
  // Every call of a file is asked about, some twice: the callee is cut at its dots, not split.
  const dot = callee.indexOf('.');
  const head = dot === -1 ? callee : callee.slice(0, dot);
  const targets: string[] = [];
  if (head === 'self' || head === 'cls') {
    const cls = classOfFunction(call.fn);
    if (!cls || dot === -1) return targets;
    const second = callee.indexOf('.', dot + 1);
    // `self.method(...)`: exactly one name after `self`.
    if (second === -1) targets.push(`${model.moduleName}.${cls}.${callee.slice(dot + 1)}`);
    else if (head === 'self' && !callee.includes('.', second + 1)) {
      // `self.repo.fetch(...)`: the method of the class `self.repo` holds an instance of.
      const method = callee.slice(second + 1);
      for (const holder of selfAttributeClasses(cls, callee.slice(dot + 1, second), model))
        targets.push(`${holder}.${method}`);
    }
    // `self.repos.recipes.get_one(...)`, `self.recipes.get_one(...)` of a property: only the
    // index can tell the class, through the properties of other files.
    if (targets.length === 0 && head === 'self') targets.push(...valuePathTargets(call, model));
    return targets;
  }
  if (model.imports.has(head)) {
    // A parameter named like the import (`invoice_service: Svc = Depends(...)`) hides it.
    if (!shadowed(head, call.fn, model)) targets.push(call.qualified);
    else targets.push(...localMethodTargets(call, model));
  } else if (instanceReceiver(call, model)) {
    // `product_service.fetch(...)` on this module's `product_service = ProductService()`: the
    // index resolves the instance to its class.
    targets.push(model.moduleName ? `${model.moduleName}.${callee}` : callee);
  } else if (dot === -1) {
    // A function of this module, or one nested in the caller.
    if (call.fn) targets.push(`${call.fn.qualifiedName}.${call.callee}`);
    targets.push(model.moduleName ? `${model.moduleName}.${call.callee}` : call.callee);
  } else targets.push(...localMethodTargets(call, model));
  // `repos.users.get_one(...)` on `repos = get_repositories(session)`: see `valuePathTargets`.
  if (targets.length === 0 && dot !== -1) targets.push(...valuePathTargets(call, model));
  return targets;
}

/**
 * `stats.rows()` on a parameter annotated `Stats` (`stats: Stats = Depends(get_stats)`), a local
 * `stats = Stats()`, or the variable of a loop over rows of `Stats` (`for stats in
 * db.query(Stats)`, see `rowClasses`), or `Stats.latest()` on a class this module defines: the
 * method of that class (exactly one name after the receiver), its own or one it inherits.
 */
function localMethodTargets(call: PyCall, model: PythonModel): string[] {
  const { callee } = call;
  const dot = callee.indexOf('.');
  if (dot === -1 || callee.includes('.', dot + 1)) return [];
  const method = callee.slice(dot + 1);
  const receiver = callee.slice(0, dot);
  // Imported classes are named through the imports (`call.qualified`) before this is asked.
  if (/^_?[A-Z]/.test(receiver) && !shadowed(receiver, call.fn, model)) {
    const own = classNamed(receiver, model);
    if (own.length > 0) return own.map((cls) => `${cls}.${method}`);
  }
  let classes = localInstanceClasses(receiver, call.fn, model);
  if (classes.length === 0 && call.loops.length > 0) {
    const rows = rowLoopOf(receiver, call, model);
    if (rows) classes = rowClasses(rows, model);
  }
  return classes.map((cls) => `${cls}.${method}`);
}

/** Builds the facts of one Python file from its model; rules contribute function traits. */
export function extractPythonFacts(
  model: PythonModel,
  file: string,
  traitContributors: readonly TraitContributor[],
  moduleTraitContributors: readonly ModuleTraitContributor[] = [],
): FileFacts {
  const byFunction = callsByFunction(model);
  const functions: FunctionFacts[] = model.functions.map((fn) => {
    const calls = byFunction.get(fn) ?? [];
    const effects: Effect[] = [];
    const sites: CallSite[] = [];
    for (const call of calls) {
      const effect = effectOf(call, model);
      if (effect) {
        effects.push(effect);
        continue;
      }
      // `await Book.get(...)`: a query if the index confirms `Book` is a Tortoise or Beanie model.
      // The call stays a call site too: `Book` may be a plain class with a `get` of its own.
      const ormModel = asyncOrmClassQueryTargets(call, model);
      if (ormModel) {
        const callee = call.callee;
        effects.push({
          kind: 'db',
          blocking: false,
          callee,
          start: call.node.startIndex,
          end: call.end,
          ormModel,
        });
      }
      const targets = callTargets(call, model);
      if (targets.length === 0) continue;
      sites.push({
        targets,
        // `Stats(...).rows` for a method of a constructed object, which has no dotted callee.
        callee: call.callee || describeCall(call).slice(0, -2),
        start: call.node.startIndex,
        end: call.end,
        inLoop: call.loops.some((loop) => !loop.overConstantLiteral),
        awaited: call.awaited,
        ...(iteratesResult(call, model) ? { iterated: true } : {}),
      });
    }
    return {
      qualifiedName: fn.qualifiedName,
      name: fn.name,
      isAsync: fn.isAsync,
      isRouteHandler: isRouteHandler(fn),
      start: fn.node.startIndex,
      end: fn.end,
      nameStart: fn.nameStart,
      nameEnd: fn.nameEnd,
      effects,
      ...(onlyBuildsGenerator(fn, model) ? { generator: true } : {}),
      ...(onlyEnqueues(fn, model) ? { enqueued: true } : {}),
      calls: sites,
      ...returnFacts(fn, model),
      traits: traitContributors.flatMap((contribute) => contribute(fn, calls, model)),
    };
  });
  const imported = importedNames(model);
  const isPackage = /(^|[\\/])__init__\.pyi?$/.test(file);
  const reexports = isPackage ? imported : [];
  const moduleImports = isPackage ? [] : imported;
  const classes = classesWithBases(model);
  const instances: InstanceFact[] = [...moduleInstances(model)].map(([name, classNames]) => ({
    name,
    classNames,
  }));
  const traits = moduleTraitContributors.flatMap((contribute) => contribute(model));
  const databaseUrls = databaseUrlKinds(model);
  return {
    file,
    language: 'python',
    moduleName: model.moduleName,
    functions,
    schema: extractPythonSchema(model),
    queryColumns: extractPythonQueryColumns(model),
    ...(reexports.length > 0 ? { reexports } : {}),
    ...(moduleImports.length > 0 ? { moduleImports } : {}),
    ...(instances.length > 0 ? { instances } : {}),
    ...(classes.length > 0 ? { classes } : {}),
    ...(traits.length > 0 ? { traits } : {}),
    ...(databaseUrls.length > 0 ? { databaseUrls } : {}),
  };
}

/**
 * What a module imports by name, which other modules may import from it: a package's
 * `__init__.py` (`from .users import get_user`, `... as fetch_user`, `from .users import *`), so
 * that `from app.services import get_user` resolves to `app.services.users.get_user`, and any
 * other module as well (`from app.repos.repos import RepositoryGeneric`).
 */
function importedNames(model: PythonModel): Reexport[] {
  const reexports: Reexport[] = [];
  for (const [local, qualified] of model.imports) {
    const dot = qualified.lastIndexOf('.');
    // `import x` binds a module, which callers already reach by its own name.
    if (dot === -1 || local === qualified) continue;
    const imported = qualified.slice(dot + 1);
    reexports.push({
      exported: local,
      module: qualified.slice(0, dot),
      ...(imported !== local ? { imported } : {}),
    });
  }
  for (const module of model.starImports) reexports.push({ exported: '*', module });
  return reexports;
}
