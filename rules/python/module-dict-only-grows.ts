import type { Node } from 'web-tree-sitter';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import {
  dottedName,
  qualify,
  type PyCall,
  type PyClass,
  type PyFunction,
  type PythonModel,
} from '../../server/src/python/model';
import {
  callsNamed,
  decoratorHeads,
  functionOf,
  globalNames,
  isModuleLevel,
  isTestPath,
  moduleAssignments,
  nameOccurrences,
  positionalArgumentNodes,
} from '../../server/src/python/scope-analysis';
import { isBoundedKey, type KeyContext } from '../../server/src/python/bounded-keys';

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

/** A line at module level (no indent) that may bind an empty container; refined on the tree. */
const EMPTY_CONTAINER_LINE =
  /^\w+\s*(?::[^=\n]*)?=\s*(?:\{\s*\}|\[\s*\]|(?:[\w.]+\.)?(?:dict|list|set|defaultdict|OrderedDict|Counter|deque)\()/m;

/** Whether a module-level value is an empty growable container: `{}`, `[]`, `defaultdict(list)`. */
function isEmptyContainer(value: Node | null, model: PythonModel): boolean {
  if (!value) return false;
  if (value.type === 'dictionary' || value.type === 'list') return value.namedChildCount === 0;
  if (value.type !== 'call') return false;
  const name = qualify(dottedName(value.childForFieldName('function')), model.imports);
  if (!CONTAINERS.has(name)) return false;
  const args = value.childForFieldName('arguments')?.namedChildren ?? [];
  if (name === 'collections.defaultdict')
    return args.length <= 1 && args[0]?.type !== 'keyword_argument';
  return args.length === 0;
}

/** How one container is used across the file. */
interface Usage {
  /** Runtime additions: the function and the code that adds. */
  adds: { fn: PyFunction; code: string }[];
  /** Something may remove entries or replace the container (or it escapes to code we cannot see). */
  shrinks: boolean;
  /** A function rebinds the name through `global`, or the module binds it again. */
  rebound: boolean;
}

/**
 * Functions that fill registries: used as decorators or run only at import (`registrars`, which
 * also names classes instantiated only at import: their `__init__`), `register*` (`_register*`
 * too), `__init_subclass__`, and their inner functions.
 */
function isRegistrar(fn: PyFunction, registrars: ReadonlySet<string>): boolean {
  for (let f: PyFunction | undefined = fn; f; f = f.parent) {
    if (registrars.has(f.name) || /^_*register/.test(f.name) || f.name === '__init_subclass__')
      return true;
    // The constructor of a class that is only instantiated while the module loads.
    if (f.name === '__init__' && f.className !== undefined && registrars.has(f.className))
      return true;
  }
  return false;
}

/** A name as written, not an attribute (`x.name`). */
const NAME = /(?<![\w.])[\p{L}_][\p{L}\p{N}_]*/gu;

/** `del a, b` at module level: names the module removes once it has set itself up. */
const MODULE_DEL = /^del[ \t]+([\w \t,]+)$/gm;

/** Where a file's comments and plain strings are (f-strings hold code); sorted, not nested. */
function proseRanges(model: PythonModel): { contains(offset: number): boolean } {
  const starts: number[] = [];
  const ends: number[] = [];
  for (const node of model.tree.rootNode.descendantsOfType(['comment', 'string'])) {
    if (!node || (node.type === 'string' && /^[rbu]*f/i.test(node.text))) continue;
    if (ends.length > 0 && node.startIndex < ends[ends.length - 1]) continue;
    starts.push(node.startIndex);
    ends.push(node.endIndex);
  }
  return {
    contains(offset) {
      let low = 0;
      let high = starts.length - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if (ends[mid] <= offset) low = mid + 1;
        else if (starts[mid] > offset) high = mid - 1;
        else return true;
      }
      return false;
    },
  };
}

/**
 * Top-level functions that only run while the module is imported: the file calls them only from
 * module-level code or from other such functions (`def_op('LOAD_CONST', 100)` in opcode.py, a loop
 * over `_add_method(m)`), and no other module can call them, because the name is private
 * (`_add_method`) or the module deletes it (`del def_op`; then it may have no calls at all).
 * Their additions fill a registry once. The same holds for private top-level classes instantiated
 * only that way (numpy.ma's `exp = _MaskedUnaryOperation(umath.exp)`): their constructors run once
 * per instance the module makes.
 */
function importTimeFunctions(model: PythonModel): Set<string> {
  const deleted = new Set<string>();
  for (const [, names] of model.source.matchAll(MODULE_DEL))
    for (const name of names.split(',')) deleted.add(name.trim());
  const candidates = new Map<string, PyCall[]>();
  /** Mentions of a candidate's name besides its definition, calls and `del`: base classes. */
  const otherUses = new Map<string, number>();
  const callsOf = (name: string) => callsNamed(model, name).filter((call) => call.callee === name);
  for (const fn of model.functions) {
    const { name } = fn;
    if (fn.parent || fn.className || (!/^_[^_]/.test(name) && !deleted.has(name))) continue;
    const calls = callsOf(name);
    if (calls.length > 0 || deleted.has(name)) candidates.set(name, calls);
  }
  for (const cls of model.classes) {
    const { name } = cls;
    if (!/^_[^_]/.test(name) || !isModuleLevel(cls.node)) continue;
    const calls = callsOf(name);
    if (calls.length === 0) continue;
    candidates.set(name, calls);
    otherUses.set(name, model.classes.filter((other) => other.bases.includes(name)).length);
  }
  if (candidates.size === 0) return new Set();
  // Used only where it is defined, called, subclassed and deleted: not handed to code that runs
  // later. One pass over the text counts every candidate's mentions, but for those in comments
  // and docstrings, which run nothing.
  const prose = proseRanges(model);
  const mentions = new Map<string, number>();
  for (const match of model.source.matchAll(NAME)) {
    const name = match[0];
    if (candidates.has(name) && !prose.contains(match.index))
      mentions.set(name, (mentions.get(name) ?? 0) + 1);
  }
  for (const [name, calls] of candidates) {
    const expected = 1 + calls.length + (deleted.has(name) ? 1 : 0) + (otherUses.get(name) ?? 0);
    if (mentions.get(name) !== expected) candidates.delete(name);
  }
  const found = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, calls] of candidates) {
      if (found.has(name)) continue;
      if (calls.every((call) => !call.inLambda && (!call.fn || found.has(call.fn.name)))) {
        found.add(name);
        grew = true;
      }
    }
  }
  return found;
}

/** What one occurrence of a container's name does to it. */
type Effect =
  | { kind: 'add'; code: string; key?: Node }
  | { kind: 'shrink' }
  | { kind: 'rebind' }
  | { kind: 'read' };

/** Additions that put in one entry under a key (`X.add(k)`, `X.setdefault(k, ...)`): keyed, not appended. */
const KEYED_METHODS = new Set(['add', 'setdefault']);

const READ: Effect = { kind: 'read' };
const SHRINK: Effect = { kind: 'shrink' };

/** Whether `node` is the field `field` of `parent` (compared by id: accessors return new objects). */
function isField(parent: Node, field: string, node: Node): boolean {
  return parent.childForFieldName(field)?.id === node.id;
}

/** The effect of `X.method(...)` or of an uncalled `X.method` (a bound method handed elsewhere). */
function methodEffect(attribute: Node, subject: string): Effect {
  const method = attribute.childForFieldName('attribute')?.text ?? '';
  const call = attribute.parent;
  if (call?.type !== 'call' || !isField(call, 'function', attribute)) {
    // `atexit.register(X.clear)`: whoever gets the bound method may evict.
    return REMOVE_METHODS.has(method) ? SHRINK : READ;
  }
  if (REMOVE_METHODS.has(method)) return SHRINK;
  if (!ADD_METHODS.has(method)) return READ;
  const args = call.childForFieldName('arguments');
  const key = KEYED_METHODS.has(method) && args ? positionalArgumentNodes(args)[0] : undefined;
  return { kind: 'add', code: `${subject}.${method}(...)`, key };
}

/** The key of `X[key]`; `X[a, b]` is keyed by the tuple of its subscripts. */
function keyOf(subscript: Node): Node | undefined {
  const keys = subscript.childrenForFieldName('subscript');
  return keys.length === 1 ? (keys[0] ?? undefined) : undefined;
}

/** What an occurrence of the container's name `name` does: adds, shrinks, rebinds or reads. */
function effectOf(id: Node, name: string, model: PythonModel): Effect {
  const parent = id.parent;
  if (!parent) return READ;
  switch (parent.type) {
    case 'assignment':
    case 'augmented_assignment':
      if (!isField(parent, 'left', id)) return SHRINK; // `alias = X`: escapes to another name
      return parent.type === 'augmented_assignment'
        ? { kind: 'add', code: `${name} += ...` }
        : { kind: 'rebind' };
    case 'attribute':
      return methodEffect(parent, name);
    case 'subscript': {
      const outer = parent.parent;
      if (!outer) return READ;
      if (
        (outer.type === 'assignment' || outer.type === 'augmented_assignment') &&
        isField(outer, 'left', parent)
      )
        return parent.childForFieldName('subscript')?.type === 'slice'
          ? SHRINK
          : { kind: 'add', code: `${name}[...] = ...`, key: keyOf(parent) };
      if (outer.type === 'delete_statement' || outer.parent?.type === 'delete_statement')
        return SHRINK;
      // `X[key].append(...)`: the inner container grows, and a `defaultdict` gains the key.
      if (outer.type === 'attribute') {
        // The inner container grows whatever the key: the addition is not keyed.
        const effect = methodEffect(outer, `${name}[...]`);
        return effect.kind === 'add' ? { kind: 'add', code: effect.code } : READ;
      }
      return READ;
    }
    case 'delete_statement':
    case 'return_statement':
      return SHRINK;
    case 'expression_list': {
      const outer = parent.parent;
      if (outer?.type === 'delete_statement' || outer?.type === 'return_statement') return SHRINK;
      // `acquire, handlers = _acquireLock, X` (logging's `_removeHandlerRef`): an alias, as above.
      return outer?.type === 'assignment' && isField(outer, 'right', parent) ? SHRINK : READ;
    }
    case 'keyword_argument':
    case 'argument_list': {
      const call = parent.type === 'argument_list' ? parent.parent : parent.parent?.parent;
      const callee = call?.type === 'call' ? dottedName(call.childForFieldName('function')) : '';
      // Handed to other code, which may evict; plain reads (`len(X)`) are fine.
      return READING_CALLS.has(qualify(callee, model.imports)) ? READ : SHRINK;
    }
    default:
      return READ;
  }
}

/** `len(X) < N` or `len(X) <= N`, with `X` captured by the caller's check of the name. */
const SIZE_CAP = /^len\(\s*([\w.]+)\s*\)\s*<=?\s*(?:\d[\d_]*|[\p{L}_][\p{L}\p{N}_.]*)$/u;

/** Whether `condition` holds only while the container `name` is below a fixed size (also as a conjunct). */
function capsSize(condition: Node | null, name: string): boolean {
  if (!condition) return false;
  if (condition.type === 'parenthesized_expression')
    return capsSize(condition.namedChildren[0], name);
  if (condition.type === 'boolean_operator') {
    if (condition.childForFieldName('operator')?.text !== 'and') return false;
    return (
      capsSize(condition.childForFieldName('left'), name) ||
      capsSize(condition.childForFieldName('right'), name)
    );
  }
  return condition.type === 'comparison_operator' && SIZE_CAP.exec(condition.text)?.[1] === name;
}

/**
 * Whether the addition at `id` runs only under `if len(X) < N:` in its function (asyncio's
 * `_iscoroutine_typecache`, capped at 100 types): the container stops growing at N.
 */
function isUnderSizeCap(id: Node, name: string, fn: PyFunction): boolean {
  for (let node = id.parent; node && node.id !== fn.node.id; node = node.parent) {
    const statement = node.parent;
    if (statement?.type === 'if_statement' && isField(statement, 'consequence', node))
      if (capsSize(statement.childForFieldName('condition'), name)) return true;
  }
  return false;
}

/**
 * How one container is used across the file, judged from every occurrence of its name. With
 * `keys`, additions under a key the code fixes (`isBoundedKey`) overwrite rather than grow, and
 * are left out.
 */
function usageOf(
  name: string,
  definition: Node,
  model: PythonModel,
  registrars: ReadonlySet<string>,
  keys?: KeyContext,
): Usage {
  const usage: Usage = { adds: [], shrinks: false, rebound: false };
  const occurrences = nameOccurrences(model, name).map((id) => ({ id, fn: functionOf(model, id) }));
  // A function that binds the name without `global` (or takes it as a parameter) has its own local.
  const shadowing = new Set<PyFunction>();
  for (const fn of model.functions)
    if (fn.params.some((param) => param.name === name)) shadowing.add(fn);
  const effects = occurrences.map(({ id, fn }) => {
    const effect = effectOf(id, name, model);
    if (effect.kind === 'rebind' && fn && !globalNames(model, fn).has(name)) shadowing.add(fn);
    return effect;
  });
  const isLocal = (fn: PyFunction | undefined): boolean => {
    for (let f = fn; f; f = f.parent) if (shadowing.has(f)) return true;
    return false;
  };
  occurrences.forEach(({ id, fn }, i) => {
    const effect = effects[i];
    if (isLocal(fn) || id.startIndex === definition.startIndex) return;
    if (effect.kind === 'shrink' || effect.kind === 'rebind') usage.shrinks = true;
    if (effect.kind === 'rebind') usage.rebound = true;
    // Additions at import time or by registrars fill a registry once; they do not grow per call.
    if (effect.kind !== 'add' || !fn || isRegistrar(fn, registrars)) return;
    if (keys && effect.key && isBoundedKey(effect.key, fn, keys)) return;
    if (isUnderSizeCap(id, name, fn)) return;
    usage.adds.push({ fn, code: effect.code });
  });
  return usage;
}

/** What the module's other names are: constants a key may be drawn from. Asked once per name. */
function keyContext(model: PythonModel, registrars: ReadonlySet<string>): KeyContext {
  const usages = new Map<string, Usage | undefined>();
  const usage = (name: string): Usage | undefined => {
    if (!usages.has(name)) {
      const left = moduleAssignments(model).get(name)?.[0]?.childForFieldName('left');
      usages.set(name, left ? usageOf(name, left, model, registrars) : undefined);
    }
    return usages.get(name);
  };
  return {
    model,
    isFixedCollection(name) {
      const found = usage(name);
      return !!found && !found.shrinks && found.adds.length === 0;
    },
    isNeverRebound(name) {
      return usage(name)?.rebound === false;
    },
  };
}

/** An indented line that may bind an empty container in a class body; refined on the tree. */
const EMPTY_CLASS_ATTRIBUTE_LINE =
  /^[ \t]+\w+\s*(?::[^=\n]*)?=\s*(?:\{\s*\}|\[\s*\]|(?:[\w.]+\.)?(?:dict|list|set|defaultdict|OrderedDict|Counter|deque)\()/m;

/**
 * Empty containers a plain class's body binds once (`_prices = {}`), by name, at the name. Only
 * classes without bases (or with `object`) and decorators: a dataclass, pydantic or attrs model,
 * an `Enum` or an ORM model turns such an attribute into a per-instance default, a member or a
 * column, and a base from elsewhere may be one of those.
 */
function classContainers(cls: PyClass, model: PythonModel): Map<string, Node> {
  const found = new Map<string, Node>();
  if (cls.node.parent?.type === 'decorated_definition') return found;
  if (cls.bases.some((base) => base !== 'object')) return found;
  const bound = new Set<string>();
  for (const statement of cls.body.namedChildren) {
    const assignment =
      statement?.type === 'expression_statement' ? statement.namedChildren[0] : undefined;
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier') continue;
    // Bound twice in the body: the later value is not known to be empty.
    if (bound.has(left.text)) found.delete(left.text);
    else if (isEmptyContainer(assignment.childForFieldName('right'), model))
      found.set(left.text, left);
    bound.add(left.text);
  }
  return found;
}

/**
 * How a class attribute is used across the file: through `self.<name>`/`cls.<name>` in the
 * class's methods (and functions nested in them) or `<Class>.<name>` anywhere. Any other
 * `<x>.<name>` may be the same container reached another way, or the name in the class body
 * outside its definition: both count as escapes that may evict. `self.<name> = ...` gives an
 * instance its own container, which hides the shared one from then on: a shrink.
 */
function classAttributeUsage(
  cls: PyClass,
  name: string,
  definition: Node,
  model: PythonModel,
  registrars: ReadonlySet<string>,
  keys: KeyContext,
): Usage {
  const usage: Usage = { adds: [], shrinks: false, rebound: false };
  const inMethod = (fn: PyFunction | undefined): boolean => {
    for (let f = fn; f; f = f.parent) if (f.className === cls.name) return true;
    return false;
  };
  for (const id of nameOccurrences(model, name)) {
    if (id.startIndex === definition.startIndex) continue;
    const fn = functionOf(model, id);
    // In the class body itself (`_aliases = _prices`): an alias.
    if (!fn && cls.node.startIndex <= id.startIndex && id.endIndex <= cls.node.endIndex)
      usage.shrinks = true;
  }
  const source = model.source;
  const root = model.tree.rootNode;
  const dotted = `.${name}`;
  for (let at = source.indexOf(dotted); at !== -1; at = source.indexOf(dotted, at + 1)) {
    if (/\w/.test(source[at + dotted.length] ?? '')) continue;
    const attribute = root.descendantForIndex(at + 1, at + dotted.length)?.parent;
    if (attribute?.type !== 'attribute') continue;
    const object = attribute.childForFieldName('object');
    const fn = functionOf(model, attribute);
    const owner = object?.text ?? '';
    const ours =
      object?.type === 'identifier' &&
      (owner === cls.name || ((owner === 'self' || owner === 'cls') && inMethod(fn)));
    if (!ours) {
      usage.shrinks = true;
      continue;
    }
    const effect = effectOf(attribute, attribute.text, model);
    if (effect.kind === 'shrink' || effect.kind === 'rebind') usage.shrinks = true;
    if (effect.kind === 'rebind') usage.rebound = true;
    if (effect.kind !== 'add' || !fn || isRegistrar(fn, registrars)) continue;
    if (effect.key && isBoundedKey(effect.key, fn, keys)) continue;
    if (isUnderSizeCap(attribute, attribute.text, fn)) continue;
    usage.adds.push({ fn, code: effect.code });
  }
  return usage;
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
        '`.popitem`, `.clear`, `.remove`, slice assignment or reassignment through `global`). The same ' +
        'for an empty container in the body of a plain module-level class (no bases, no decorators: ' +
        '`class PriceService: _prices = {}`), shared by every instance, that its methods add to through ' +
        '`self._prices`/`cls._prices` or anything adds to through `PriceService._prices`.',
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
          'decorators (and their inner functions), `register*` and `_register*` functions, `__init_subclass__`, ' +
          'and functions that run only at import: called only from module-level code or from other such functions, and private (`_add_method`) ' +
          'or deleted by the module (`del def_op`); likewise the constructors of private classes the module only ' +
          'instantiates that way (`exp = _MaskedUnaryOperation(umath.exp)` in numpy.ma). Mentions in comments ' +
          'and docstrings do not count as uses.',
        'Containers created non-empty (constants and lookup tables), `deque(maxlen=...)`, ' +
          '`weakref.WeakValueDictionary()` and other bounded or self-evicting containers.',
        'Containers that anything in the file removes from, clears, slices or rebinds with `global`, even ' +
          'under a size check.',
        'Containers that escape: returned, assigned to another name (also by tuple unpacking: ' +
          '`acquire, handlers = _acquireLock, _handlerList`), or passed to a call other than a plain read ' +
          '(`len`, `sorted`, `json.dumps`, ...), since the receiver or the alias may evict.',
        'Additions under keys the code fixes, which overwrite the same entries each call: constant keys and ' +
          'variables of loops over module-level constants bound once and never changed (`for module, replace ' +
          'in list(MAPPING.items()): LOOKUP[(module, old)] = new`, lib2to3), also through `.items()`, ' +
          '`.keys()`, `.values()`, `list(...)`, `sorted(...)`, `enumerate(...)`. Appends and `X[key].append(...)` ' +
          'always count as growth. Likewise parameters of a private top-level function (`_b32encode(alphabet, s)` ' +
          'in base64) that the file only calls, each call passing a literal or a module-level constant for it ' +
          '(`_b32encode(_b32alphabet, s)`): the keys are those constants. And flags: parameters defaulting to ' +
          '`True`, `False`, `0` or `1` that the function reads only as conditions or in the key itself ' +
          '(`_platform_cache[(aliased, terse)]` in platform).',
        'Additions keyed by the name of a piece of the program: `cls.__tablename__`, `f.__name__`, ' +
          '`f.__qualname__`, `f.__module__`, `obj.__class__`, alone or in a tuple of such keys ' +
          '(`_gfk_types[cls.__tablename__] = cls` in a class decorator another module applies, as in ' +
          'Redash). There is one such key per class or function the code defines, so the registry stops ' +
          'growing once they are in. A tuple that adds a data value (`(row.__tablename__, row.id)`) still ' +
          'counts as growth.',
        'Additions made only under a size cap in the same function (`if len(_typecache) < 100: ' +
          '_typecache.add(t)` in asyncio), also as a conjunct of `and`.',
        'Function-local variables and parameters that happen to share the name; test files.',
        'Removal from another module (`cache_module._cache.clear()`) is not seen: such containers are flagged.',
        'Class attributes of classes with bases or decorators (a dataclass, pydantic or attrs model, an ' +
          '`Enum` or an ORM model makes them per-instance defaults, members or columns), of classes ' +
          'defined inside functions, ones an instance rebinds (`self._quotes = {}` in `__init__`), ' +
          'and ones reached any other way (`other._prices`, in a subclass, named bare in the class ' +
          'body), which may evict.',
      ],
    },
  },
  check(ctx) {
    const model = ctx.python;
    if (!model || isTestPath(ctx.relativePath)) return;
    checkClassAttributes(ctx, model);
    // Most files have no module-level empty container: a text check spares the tree queries.
    if (!EMPTY_CONTAINER_LINE.test(model.source)) return;
    const candidates = new Map<string, Node>();
    for (const [name, assignments] of moduleAssignments(model)) {
      const first = assignments[0];
      if (first.childForFieldName('left')?.type !== 'identifier') continue;
      if (isEmptyContainer(first.childForFieldName('right'), model)) candidates.set(name, first);
    }
    if (candidates.size === 0) return;
    const registrars = new Set([...decoratorHeads(model), ...importTimeFunctions(model)]);
    const keys = keyContext(model, registrars);
    for (const [name, assignment] of candidates) {
      const left = assignment.childForFieldName('left')!;
      const usage = usageOf(name, left, model, registrars, keys);
      if (usage.shrinks || usage.adds.length === 0) continue;
      reportGrowth(ctx, left, `\`${name}\``, usage.adds);
    }
  },
};

/** Reports the container `left` declares, `subject` naming it, with the first place that adds. */
function reportGrowth(ctx: FileContext, left: Node, subject: string, adds: Usage['adds']): void {
  const [first] = adds;
  const others = adds.length > 1 ? ` (and ${adds.length - 1} more)` : '';
  ctx.report({
    start: left.startIndex,
    end: left.endIndex,
    message: `${subject} only grows: \`${first.fn.name}\` adds to it (\`${first.code}\`)${others} and nothing in this file removes entries; bound it (\`lru_cache\`, \`cachetools.TTLCache\`) or evict entries`,
  });
}

/** Empty containers in the bodies of plain classes that methods add to and nothing removes from. */
function checkClassAttributes(ctx: FileContext, model: PythonModel): void {
  if (model.classes.length === 0 || !EMPTY_CLASS_ATTRIBUTE_LINE.test(model.source)) return;
  let registrars: Set<string> | undefined;
  let keys: KeyContext | undefined;
  for (const cls of model.classes) {
    // A class inside a function is made again on each call, and its containers with it.
    if (!isModuleLevel(cls.node)) continue;
    for (const [name, left] of classContainers(cls, model)) {
      registrars ??= new Set([...decoratorHeads(model), ...importTimeFunctions(model)]);
      keys ??= keyContext(model, registrars);
      const usage = classAttributeUsage(cls, name, left, model, registrars, keys);
      if (usage.shrinks || usage.adds.length === 0) continue;
      reportGrowth(ctx, left, `\`${cls.name}.${name}\`, shared by every instance,`, usage.adds);
    }
  }
}
