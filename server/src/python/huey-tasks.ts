/**
 * Huey tasks. Calling a function decorated with `@huey.task()`, `@db_task()` or one of their
 * periodic forms does not run its body: Huey's wrapper puts a message on the queue and a worker
 * runs the body later (unlike Celery or Dramatiq, whose tasks run inline when called directly).
 * Rules that follow helpers must not count the body's round trips at such a call.
 */
import { OwnedCache } from './memo';
import { type PyFunction, type PythonModel, qualify } from './model';
import { moduleInstances } from './instances';

/** `huey.task(...)`, `db_task(...)`, `huey.periodic_task(...)`: the callee of a Huey decorator. */
const HUEY_DECORATOR_CALL =
  /(?:^|[^\w.])((?:\w+\.)?(?:task|db_task|periodic_task|db_periodic_task|context_task))\s*\(/g;
const HUEY_MODULE = /^huey(?:\.|$)/;
const HUEY_CLASS = /(?:^|\.)\w*Huey$/;

/**
 * Whether `callee` (as written, `huey.task` or `db_task`) names a Huey decorator: its first
 * segment is imported from `huey` (`from huey.contrib.djhuey import HUEY as huey`, `db_task`), or
 * is a module-level Huey instance (`huey = RedisHuey("app")`).
 */
function isHueyDecorator(callee: string, model: PythonModel): boolean {
  const head = callee.split('.')[0] ?? '';
  if (HUEY_MODULE.test(qualify(callee, model.imports)) && model.imports.has(head)) return true;
  if (!callee.includes('.')) return false;
  const classes = moduleInstances(model).get(head) ?? [];
  return classes.some((name) => HUEY_CLASS.test(name) && HUEY_MODULE.test(name));
}

/** Whether some Huey decorator is called in `text` (a decorator, or a decorator factory's body). */
function callsHueyDecorator(text: string, model: PythonModel): boolean {
  for (const match of text.matchAll(HUEY_DECORATOR_CALL)) {
    if (isHueyDecorator(match[1]!, model)) return true;
  }
  return false;
}

const mentions = new OwnedCache<PythonModel, boolean>('mentions huey');

/** Whether the file says `huey` anywhere: files without it define no Huey task. */
function mentionsHuey(model: PythonModel): boolean {
  let found = mentions.get(model);
  if (found === undefined) {
    found = model.source.includes('huey');
    mentions.set(model, found);
  }
  return found;
}

const factories = new OwnedCache<PythonModel, Set<string>>('huey task factories');

/**
 * Module-level functions that wrap a Huey decorator (linkding's `def task(retries=5): def
 * deco(fn): ... return huey.task(retries=retries)(inner)`), used as `@task()`.
 */
function hueyDecoratorFactories(model: PythonModel): Set<string> {
  let names = factories.get(model);
  if (!names) {
    names = new Set(
      model.functions
        .filter((fn) => !fn.parent && !fn.className && callsHueyDecorator(fn.body.text, model))
        .map((fn) => fn.name),
    );
    factories.set(model, names);
  }
  return names;
}

/** Whether calling `fn` only enqueues it: a Huey task, or one made by the module's own factory. */
export function onlyEnqueues(fn: PyFunction, model: PythonModel): boolean {
  if (fn.decorators.length === 0 || !mentionsHuey(model)) return false;
  return fn.decorators.some((decorator) => {
    if (callsHueyDecorator(decorator, model)) return true;
    const factory = /^(\w+)\s*\(/.exec(decorator)?.[1];
    return factory !== undefined && hueyDecoratorFactories(model).has(factory);
  });
}
