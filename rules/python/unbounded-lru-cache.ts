import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import { ensureImport, visibleImports } from '../../server/src/python/edits';
import { qualify, type PyFunction, type PythonModel } from '../../server/src/python/model';
import { decoratorName, decoratorNodes } from '../../server/src/python/scope-analysis';

/** The bound the fix gives a cache: large enough to keep hot keys, small enough to cap memory. */
const MAX_SIZE = 1024;

const FIX_TITLE = `Bound the cache with \`maxsize=${MAX_SIZE}\``;

/** Annotations whose values form a small fixed set, so caching on them cannot grow without bound. */
const BOUNDED_ANNOTATION = /^(?:bool|(?:typing\.)?Literal\[.*\])$/s;
const ENUM_BASE = /^(?:enum\.)?(?:Enum|IntEnum|StrEnum|Flag|IntFlag)$/;

/** An unbounded cache decorator of `fn`: its node and the `None` that unbounds `lru_cache`, if any. */
interface UnboundedCache {
  decorator: Node;
  /** `cache` / `functools.cache` as written (no call), or the `None` passed as `maxsize`. */
  target: Node;
  kind: 'cache' | 'maxsize-none';
}

function findUnboundedCache(fn: PyFunction, model: PythonModel): UnboundedCache | undefined {
  let nodes: Node[] | undefined;
  for (let i = 0; i < fn.decorators.length; i++) {
    const qualified = qualify(decoratorName(fn.decorators[i]), model.imports);
    if (qualified !== 'functools.cache' && qualified !== 'functools.lru_cache') continue;
    nodes ??= decoratorNodes(fn);
    const expression = nodes[i]?.namedChildren[0];
    if (!expression) continue;
    if (qualified === 'functools.cache' && expression.type !== 'call')
      return { decorator: nodes[i], target: expression, kind: 'cache' };
    if (qualified !== 'functools.lru_cache' || expression.type !== 'call') continue;
    const args = expression.childForFieldName('arguments');
    const list = args?.namedChildren ?? [];
    for (let j = 0; j < list.length; j++) {
      const arg = list[j];
      const isMaxsize =
        arg?.type === 'keyword_argument' && arg.childForFieldName('name')?.text === 'maxsize';
      const value = isMaxsize ? arg.childForFieldName('value') : arg;
      // `maxsize` is `lru_cache`'s first positional parameter.
      if (value?.type === 'none' && (isMaxsize || j === 0))
        return { decorator: nodes[i], target: value, kind: 'maxsize-none' };
    }
  }
  return undefined;
}

/** Whether some parameter can take unboundedly many values (strings, ids, request data). */
function hasUnboundedParameter(fn: PyFunction, enums: Set<string>): boolean {
  return fn.params.some((param) => {
    const annotation = param.annotation.trim();
    if (BOUNDED_ANNOTATION.test(annotation) || enums.has(annotation)) return false;
    return !(!annotation && (param.defaultText === 'True' || param.defaultText === 'False'));
  });
}

/** `@cache` -> `@lru_cache(maxsize=N)` under a name the file already has, else `functools.`. */
function boundFix(found: UnboundedCache, model: PythonModel): Fix {
  const edits: TextEdit[] = [];
  const { target } = found;
  if (found.kind === 'maxsize-none') {
    edits.push({ start: target.startIndex, end: target.endIndex, newText: String(MAX_SIZE) });
  } else {
    let replacement: string;
    if (target.type === 'attribute') {
      const module = target.childForFieldName('object')?.text ?? 'functools';
      replacement = `${module}.lru_cache`;
    } else {
      // Names imported inside some function are not usable by a module-level decorator.
      const imports = [...visibleImports(model, target.startIndex)];
      const local = imports.find(([, q]) => q === 'functools.lru_cache')?.[0];
      const module = imports.find(([, q]) => q === 'functools')?.[0];
      replacement = local ?? `${module ?? 'functools'}.lru_cache`;
      if (!local && !module) {
        const importEdit = ensureImport(model, 'functools', target.startIndex);
        if (importEdit) edits.push(importEdit);
      }
    }
    edits.push({
      start: target.startIndex,
      end: target.endIndex,
      newText: `${replacement}(maxsize=${MAX_SIZE})`,
    });
  }
  return { title: FIX_TITLE, safety: 'unsafe', edits };
}

/** `@cache` / `@lru_cache(maxsize=None)` on module functions whose arguments are unbounded. */
export const unboundedLruCache: Rule = {
  meta: {
    id: 'unbounded-lru-cache',
    language: 'python',
    category: 'memory-leak',
    severity: 'info',
    summary:
      '`@cache` / `@lru_cache(maxsize=None)` on a function of unbounded arguments grows forever',
    fix: { title: FIX_TITLE, safety: 'unsafe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds `@functools.cache` and `@functools.lru_cache(maxsize=None)` on module-level functions that take ' +
        'at least one parameter whose values are not a small fixed set (anything but `bool`, `Literal[...]` ' +
        'or an `Enum` of the same file).',
      whyIsThisBad:
        'An unbounded cache keeps one entry per distinct argument tuple for the life of the process. Keyed by ' +
        'user ids, tenant names, query strings or request payloads, it grows with traffic: memory climbs ' +
        'slowly for days until the worker is killed, and the restart hides the cause.',
      example: [
        'from functools import cache',
        '',
        '@cache',
        'def load_profile(user_id: int) -> dict:',
        '    return fetch_profile(user_id)',
      ].join('\n'),
      useInstead: [
        'from functools import lru_cache',
        '',
        `@lru_cache(maxsize=${MAX_SIZE})`,
        'def load_profile(user_id: int) -> dict:',
        '    return fetch_profile(user_id)',
      ].join('\n'),
      notFlagged: [
        'Functions without parameters (`@cache def get_settings()`): one entry, a lazy singleton.',
        'Functions whose parameters are all `bool`, `Literal[...]`, an `Enum` class defined in the file, or ' +
          'unannotated with a `True`/`False` default; and functions taking only `*args`/`**kwargs` (their ' +
          'key space cannot be judged).',
        '`@lru_cache` and `@lru_cache(maxsize=N)`, which are bounded (128 entries by default).',
        'Methods (see `lru-cache-on-method`) and functions nested in other functions, whose cache dies with ' +
          'the enclosing call.',
      ],
      fixSafety:
        `Unsafe: with \`maxsize=${MAX_SIZE}\` old entries are evicted and recomputed on the next call. Results ` +
        'stay equal for pure functions, but code that relies on getting the very same object back (a cached ' +
        'client or a mutable result shared by callers) may now see a fresh one; and a hot set larger than ' +
        `${MAX_SIZE} keys recomputes more often. \`import functools\` is added when the module imports neither ` +
        '`functools` nor `lru_cache` at the top level (imports inside functions do not count).',
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model) return;
    let enums: Set<string> | undefined;
    for (const fn of model.functions) {
      if (fn.className || fn.parent || fn.decorators.length === 0 || fn.params.length === 0)
        continue;
      const found = findUnboundedCache(fn, model);
      if (!found) continue;
      enums ??= new Set(
        model.classes.filter((c) => c.bases.some((b) => ENUM_BASE.test(b))).map((c) => c.name),
      );
      if (!hasUnboundedParameter(fn, enums)) continue;
      const params = fn.params.map((param) => param.name).join(', ');
      ctx.report({
        start: found.decorator.startIndex,
        end: found.decorator.endIndex,
        message: `\`${found.decorator.text}\` on \`${fn.name}(${params})\` keeps one entry per distinct argument forever; bound it with \`maxsize\``,
        fixes: [boundFix(found, model)],
      });
    }
  },
};
