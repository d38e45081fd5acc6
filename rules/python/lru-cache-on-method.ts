import type { Rule } from '../../server/src/engine/rule';
import { qualify, type PyClass } from '../../server/src/python/model';
import { decoratorName, decoratorNodes } from '../../server/src/python/scope-analysis';

/** The `functools` caches that hold their arguments, `self` included, as strong references. */
const CACHE_DECORATORS = new Set(['functools.lru_cache', 'functools.cache']);

/** Decorators whose methods take no instance: `cls` and static functions outlive any cache anyway. */
const NO_INSTANCE = new Set(['staticmethod', 'classmethod']);

/**
 * Methods Python makes static or class methods without a decorator: they receive the class, so
 * the cache keys hold classes, not instances (importlib.metadata caches `FastPath.__new__` to
 * reuse one object per root).
 */
const IMPLICIT_NO_INSTANCE = new Set(['__new__', '__init_subclass__', '__class_getitem__']);

/** Enum members are created once and live as long as the class: caching them leaks nothing. */
const ENUM_BASE = /^(?:enum\.)?(?:Enum|IntEnum|StrEnum|Flag|IntFlag)$/;

/** A class-wide cache on an instance method keeps every instance it sees alive. */
export const lruCacheOnMethod: Rule = {
  meta: {
    id: 'lru-cache-on-method',
    language: 'python',
    category: 'memory-leak',
    severity: 'warning',
    summary: '`@lru_cache` / `@cache` on an instance method keeps every `self` alive',
    docs: {
      whatItDoes:
        'Finds `@functools.lru_cache` and `@functools.cache` (under any import name) applied to instance ' +
        'methods, including those combined with `@property`.',
      whyIsThisBad:
        'The cache belongs to the function, which is shared by the whole class, and its keys include `self`. ' +
        'Every instance the method is called on stays referenced by the cache, with everything it holds ' +
        '(sessions, DataFrames, request data), until the entry is evicted: never with `@cache` or ' +
        '`maxsize=None`, and only after `maxsize` newer calls otherwise. Objects created per request then ' +
        'accumulate for the life of the process.',
      example: [
        'from functools import lru_cache',
        '',
        'class ReportBuilder:',
        '    def __init__(self, rows):',
        '        self.rows = rows',
        '',
        '    @lru_cache(maxsize=None)',
        '    def totals(self):',
        '        return summarize(self.rows)',
      ].join('\n'),
      useInstead: [
        'from functools import cached_property',
        '',
        'class ReportBuilder:',
        '    def __init__(self, rows):',
        '        self.rows = rows',
        '',
        '    @cached_property',
        '    def totals(self):',
        '        return summarize(self.rows)',
      ].join('\n'),
      notFlagged: [
        '`@staticmethod` and `@classmethod` methods: no instance is cached (classes live as long as the process).',
        '`__new__`, `__init_subclass__` and `__class_getitem__`, which Python calls with the class, not an ' +
          'instance (`@lru_cache` on `__new__` reuses one object per argument, a deliberate interning cache).',
        '`@functools.cached_property`, which stores the value on the instance and dies with it.',
        'Module-level and nested functions (see `unbounded-lru-cache` for unbounded caches there).',
        'Methods of `Enum` classes, whose members exist once for the life of the process.',
        'Other caching libraries (`cachetools.cached` with an explicit cache object), whose key and lifetime ' +
          'the code chooses.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    let classes: Map<string, PyClass> | undefined;
    for (const fn of model.functions) {
      if (!fn.className || fn.decorators.length === 0) continue;
      if (IMPLICIT_NO_INSTANCE.has(fn.name)) continue;
      const index = fn.decorators.findIndex((decorator) =>
        CACHE_DECORATORS.has(qualify(decoratorName(decorator), model.imports)),
      );
      if (index === -1 || fn.decorators.some((d) => NO_INSTANCE.has(decoratorName(d)))) continue;
      classes ??= new Map(model.classes.map((cls) => [cls.name, cls]));
      if (classes.get(fn.className)?.bases.some((base) => ENUM_BASE.test(base))) continue;
      const decorator = decoratorNodes(fn)[index];
      if (!decorator) continue;
      ctx.report({
        start: decorator.startIndex,
        end: decorator.endIndex,
        message: `\`@${decoratorName(fn.decorators[index])}\` on method \`${fn.className}.${fn.name}\` keeps every instance it is called on alive in a class-wide cache; cache on the instance (\`@cached_property\` or an attribute) instead`,
      });
    }
  },
};
