import type { Node } from 'web-tree-sitter';
import type { Rule } from '../../server/src/engine/rule';
import { dottedName, qualify, type PyFunction, type PythonModel } from '../../server/src/python/model';
import {
  bindingStatements,
  decoratorHeads,
  functionOf,
  globalNames,
  isTestPath,
  moduleAssignments,
  rootName,
} from '../../server/src/python/scope-analysis';

/** Constructors of empty growable containers (with no arguments, or a `defaultdict` factory). */
const CONTAINERS = new Set([
  'dict',
  'list',
  'set',
  'collections.defaultdict',
  'collections.OrderedDict',
  'collections.Counter',
  'collections.deque',
]);

const ADD_METHODS = new Set([
  'append',
  'appendleft',
  'extend',
  'extendleft',
  'insert',
  'add',
  'update',
  'setdefault',
]);

const REMOVE_METHODS = new Set([
  'pop',
  'popitem',
  'popleft',
  'clear',
  'remove',
  'discard',
  'difference_update',
  'intersection_update',
  '__delitem__',
]);

/** Calls that only read a container handed to them; any other call may evict from it. */
const READING_CALLS = new Set([
  'len',
  'list',
  'tuple',
  'set',
  'dict',
  'sorted',
  'reversed',
  'iter',
  'enumerate',
  'sum',
  'min',
  'max',
  'any',
  'all',
  'bool',
  'str',
  'repr',
  'print',
  'isinstance',
  'json.dumps',
  'json.dump',
  'flask.jsonify',
]);

/** Whether a module-level value is an empty growable container: `{}`, `[]`, `defaultdict(list)`. */
function isEmptyContainer(value: Node | null, model: PythonModel): boolean {
  if (!value) return false;
  if (value.type === 'dictionary' || value.type === 'list') return value.namedChildCount === 0;
  if (value.type !== 'call') return false;
  const name = qualify(dottedName(value.childForFieldName('function')), model.imports);
  if (!CONTAINERS.has(name)) return false;
  const args = value.childForFieldName('arguments')?.namedChildren ?? [];
  if (name === 'collections.defaultdict') return args.length <= 1 && args[0]?.type !== 'keyword_argument';
  return args.length === 0;
}

/** How one container is used across the file. */
interface Usage {
  /** Runtime additions: the function and the code that adds. */
  adds: { fn: PyFunction; code: string }[];
  /** Something may remove entries or replace the container (or it escapes to code we cannot see). */
  shrinks: boolean;
}

/** Functions that fill registries: used as decorators, `register*`, `__init_subclass__`, and their inner functions. */
function isRegistrar(fn: PyFunction, decorators: ReadonlySet<string>): boolean {
  for (let f: PyFunction | undefined = fn; f; f = f.parent) {
    if (decorators.has(f.name) || f.name.startsWith('register') || f.name === '__init_subclass__')
      return true;
  }
  return false;
}

/** Tracks the candidates' uses through the file: statements, method calls, escapes. */
class UsageTracker {
  readonly usage = new Map<string, Usage>();
  /** Functions where a candidate's name is a local variable, keyed by name. */
  private readonly shadowed = new Map<string, Set<PyFunction>>();

  constructor(
    names: Iterable<string>,
    private readonly model: PythonModel,
    private readonly decorators: ReadonlySet<string>,
  ) {
    for (const name of names) this.usage.set(name, { adds: [], shrinks: false });
  }

  /** Whether `name` in `fn` refers to the module-level container. */
  private isModuleName(name: string, fn: PyFunction | undefined): boolean {
    for (let f = fn; f; f = f.parent) if (this.shadowed.get(name)?.has(f)) return false;
    return true;
  }

  private add(name: string, fn: PyFunction | undefined, code: string): void {
    const usage = this.usage.get(name);
    // Additions at import time or by registrars fill a registry once; they do not grow per call.
    if (!usage || !fn || !this.isModuleName(name, fn) || isRegistrar(fn, this.decorators)) return;
    usage.adds.push({ fn, code });
  }

  private shrink(name: string, fn: PyFunction | undefined): void {
    const usage = this.usage.get(name);
    if (usage && this.isModuleName(name, fn)) usage.shrinks = true;
  }

  /** Parameters and plain local assignments (without `global`) hide the module name. */
  findShadows(): void {
    for (const fn of this.model.functions) {
      for (const param of fn.params) this.shadow(param.name, fn);
    }
    for (const statement of bindingStatements(this.model)) {
      if (statement.type !== 'assignment') continue;
      const left = statement.childForFieldName('left');
      if (left?.type !== 'identifier' || !this.usage.has(left.text)) continue;
      const fn = functionOf(this.model, statement);
      if (fn && !globalNames(this.model, fn).has(left.text)) this.shadow(left.text, fn);
    }
  }

  private shadow(name: string, fn: PyFunction): void {
    if (!this.usage.has(name)) return;
    let set = this.shadowed.get(name);
    if (!set) this.shadowed.set(name, (set = new Set()));
    set.add(fn);
  }

  /** `X[k] = v` adds; `X[:] = []`, `del X[k]` and `global X; X = ...` shrink; `y = X` escapes. */
  scanStatements(): void {
    const roots = moduleAssignments(this.model);
    for (const statement of bindingStatements(this.model)) {
      if (statement.type === 'delete_statement') {
        const fn = functionOf(this.model, statement);
        // `del X[k]` has one target; `del X[k], Y` has an expression list of them.
        const only = statement.namedChildren[0];
        const targets = only?.type === 'expression_list' ? only.namedChildren : [only];
        for (const target of targets) this.shrink(rootName(target ?? null), fn);
        continue;
      }
      const left = statement.childForFieldName('left');
      const right = statement.childForFieldName('right');
      const fn = functionOf(this.model, statement);
      if (right?.type === 'identifier' && this.usage.has(right.text)) this.shrink(right.text, fn);
      if (!left) continue;
      if (left.type === 'identifier' && this.usage.has(left.text)) {
        if (!fn) {
          if (roots.get(left.text)?.[0]?.id !== statement.id) this.shrink(left.text, fn);
        } else if (globalNames(this.model, fn).has(left.text)) {
          if (statement.type === 'augmented_assignment') this.add(left.text, fn, `${left.text} += ...`);
          else this.shrink(left.text, fn);
        }
        continue;
      }
      if (left.type !== 'subscript') continue;
      const name = rootName(left);
      if (!this.usage.has(name)) continue;
      if (left.childForFieldName('subscript')?.type === 'slice') this.shrink(name, fn);
      else this.add(name, fn, `${name}[...] = ...`);
    }
  }

  /** `X.append(...)` adds, `X.pop(...)` shrinks; passing `X` (or `X.clear`) to other code escapes. */
  scanCalls(): void {
    for (const call of this.model.calls) {
      const receiver = call.receiver;
      if (receiver) {
        const direct = receiver.type === 'identifier';
        const name = direct ? receiver.text : receiver.type === 'subscript' ? rootName(receiver) : '';
        if (this.usage.has(name)) {
          if (REMOVE_METHODS.has(call.method) && direct) this.shrink(name, call.fn);
          else if (ADD_METHODS.has(call.method))
            this.add(name, call.fn, `${direct ? name : `${name}[...]`}.${call.method}(...)`);
        }
      }
      if (READING_CALLS.has(call.qualified)) continue;
      for (const arg of call.args.namedChildren) {
        const value = arg?.type === 'keyword_argument' ? arg.childForFieldName('value') : arg;
        if (!value) continue;
        if (value.type === 'identifier' || value.type === 'attribute') {
          const name = rootName(value);
          if (this.usage.has(name)) this.shrink(name, call.fn);
        }
      }
    }
  }

  /** `return X` hands the container to callers, which may evict from it. */
  scanReturns(): void {
    for (const statement of this.model.tree.rootNode.descendantsOfType('return_statement')) {
      const value = statement?.namedChildren[0];
      if (value?.type === 'identifier' && this.usage.has(value.text))
        this.shrink(value.text, functionOf(this.model, statement));
    }
  }
}

/** Module-level containers that functions add to and nothing removes from. */
export const moduleDictOnlyGrows: Rule = {
  meta: {
    id: 'module-dict-only-grows',
    language: 'python',
    category: 'memory-leak',
    severity: 'warning',
    summary: 'Module-level dict/list/set that functions add to but nothing ever removes from',
    docs: {
      whatItDoes:
        'Finds module-level containers created empty (`_cache = {}`, `[]`, `set()`, `defaultdict(list)`, ' +
        '`OrderedDict()`, `deque()`) that functions add to at run time (`_cache[key] = value`, `.append`, ' +
        '`.add`, `.setdefault`, `.update`) while nothing in the file ever removes from them (`del`, `.pop`, ' +
        '`.popitem`, `.clear`, `.remove`, slice assignment or reassignment through `global`).',
      whyIsThisBad:
        'A module-level container lives as long as the process. When request handlers or jobs add entries ' +
        'keyed by users, ids or timestamps and nothing evicts them, memory grows with traffic until the worker ' +
        'is killed; the restart hides the cause and the cycle repeats.',
      example: [
        '_rates = {}',
        '',
        'def exchange_rate(currency: str, day: date) -> Decimal:',
        '    key = (currency, day)',
        '    if key not in _rates:',
        '        _rates[key] = fetch_rate(currency, day)',
        '    return _rates[key]',
      ].join('\n'),
      useInstead: [
        'from functools import lru_cache',
        '',
        '@lru_cache(maxsize=4096)',
        'def exchange_rate(currency: str, day: date) -> Decimal:',
        '    return fetch_rate(currency, day)',
      ].join('\n'),
      notFlagged: [
        'Registries filled at import time: additions in module-level code, class bodies, functions used as ' +
          'decorators (and their inner functions), `register*` functions and `__init_subclass__`.',
        'Containers created non-empty (constants and lookup tables), `deque(maxlen=...)`, ' +
          '`weakref.WeakValueDictionary()` and other bounded or self-evicting containers.',
        'Containers that anything in the file removes from, clears, slices or rebinds with `global`, even ' +
          'under a size check.',
        'Containers that escape: returned, assigned to another name, or passed to a call other than a plain ' +
          'read (`len`, `sorted`, `json.dumps`, ...), since the receiver may evict.',
        'Function-local variables and parameters that happen to share the name; test files.',
        'Removal from another module (`cache_module._cache.clear()`) is not seen: such containers are flagged.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    const candidates = new Map<string, Node>();
    for (const [name, assignments] of moduleAssignments(model)) {
      const first = assignments[0];
      if (first.childForFieldName('left')?.type !== 'identifier') continue;
      if (isEmptyContainer(first.childForFieldName('right'), model)) candidates.set(name, first);
    }
    if (candidates.size === 0) return;
    const tracker = new UsageTracker(candidates.keys(), model, decoratorHeads(model));
    tracker.findShadows();
    tracker.scanStatements();
    tracker.scanCalls();
    tracker.scanReturns();
    for (const [name, usage] of tracker.usage) {
      if (usage.shrinks || usage.adds.length === 0) continue;
      const left = candidates.get(name)!.childForFieldName('left')!;
      const first = usage.adds[0];
      const others = usage.adds.length > 1 ? ` (and ${usage.adds.length - 1} more)` : '';
      ctx.report({
        start: left.startIndex,
        end: left.endIndex,
        message: `\`${name}\` only grows: \`${first.fn.name}\` adds to it (\`${first.code}\`)${others} and nothing in this file removes entries; bound it (\`lru_cache\`, \`cachetools.TTLCache\`) or evict entries`,
      });
    }
  },
};
