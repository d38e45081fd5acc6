/**
 * Whether a key a function writes into a dict or set can take only values the code fixes: then
 * calling the function again overwrites entries instead of adding new ones. `module-dict-only-grows`
 * asks this of each `X[key] = ...`, `X.setdefault(key, ...)` and `X.add(key)`.
 */
import type { Node } from 'web-tree-sitter';
import { CONSTANT_LITERAL_TYPES, type PyFunction, type PyLoop, type PythonModel } from './model';
import { isConstantCollection, loopTarget, singleBinding } from './loop-analysis';
import { localFlow } from './local-flow';
import {
  callsNamed,
  contains,
  functionOf,
  keywordArgument,
  moduleAssignments,
  nameOccurrences,
  passesSplat,
  positionalArgumentNodes,
  positionalArguments,
  targetNames,
  unwrap,
} from './scope-analysis';

/** What the caller knows about the file's module-level names. */
export interface KeyContext {
  model: PythonModel;
  /** Whether nothing in the file adds to, removes from, rebinds or hands out the collection `name`. */
  isFixedCollection(name: string): boolean;
  /** Whether nothing in the file rebinds the module-level `name` (`global name` then `name = ...`). */
  isNeverRebound(name: string): boolean;
}

/** Calls that iterate their argument's elements (or keys) as they are. */
const ELEMENT_WRAPPERS = new Set(['list', 'tuple', 'set', 'sorted', 'reversed', 'enumerate']);
const DICT_VIEWS = new Set(['items', 'keys', 'values']);

/**
 * Whether `key`, written in `fn`, is made only of constants, of variables of loops over module
 * constants (`for module, replace in list(MAPPING.items())` in lib2to3's fix_renames), and of
 * parameters every call passes a constant for (base64's `_b32encode(_b32alphabet, s)`).
 */
export function isBoundedKey(key: Node, fn: PyFunction, context: KeyContext): boolean {
  return isBoundedPart(key, key, fn, context);
}

function isBoundedPart(part: Node, key: Node, fn: PyFunction, context: KeyContext): boolean {
  const value = unwrap(part);
  if (!value) return false;
  if (CONSTANT_LITERAL_TYPES.has(value.type)) return true;
  if (value.type === 'attribute' && namesCodeEntity(value)) return true;
  if (value.type === 'tuple') {
    const elements = value.namedChildren.filter((child) => child?.type !== 'comment');
    return elements.every((element) => !!element && isBoundedPart(element, key, fn, context));
  }
  if (value.type !== 'identifier') return false;
  return (
    isConstantLoopVariable(value, fn, context, 0) ||
    isConstantParameter(value.text, fn, context) ||
    isFlagParameter(value.text, key, fn, context)
  );
}

/**
 * Attributes that name a class, function or module rather than data: `__name__`, `__qualname__`,
 * `__module__`, `__class__`, and SQLAlchemy's `__tablename__`.
 */
const CODE_ENTITY_NAMES = new Set([
  '__name__',
  '__qualname__',
  '__module__',
  '__class__',
  '__tablename__',
]);

/**
 * `cls.__tablename__`, `func.__qualname__`, `obj.__class__`: a key that names a piece of the
 * program takes one value per class or function the code defines, so a registry keyed by it
 * (Redash's `_gfk_types[cls.__tablename__] = cls`, filled by a class decorator another module
 * applies) stops growing once those are registered.
 */
function namesCodeEntity(attribute: Node): boolean {
  return CODE_ENTITY_NAMES.has(attribute.childForFieldName('attribute')?.text ?? '');
}

/**
 * A variable of a loop around `id` (in its own function) whose iterable holds constants: each
 * element of a constant collection is a constant, so iterating one (`replace.items()` inside
 * `for module, replace in MAPPING.items()`) is iterating constants too.
 */
function isConstantLoopVariable(
  id: Node,
  fn: PyFunction,
  context: KeyContext,
  depth: number,
): boolean {
  if (depth > 3) return false;
  if (localFlow(fn).assignments.has(id.text)) return false; // rebound in the body too
  // The innermost such loop (the model lists outer loops first): an inner loop may rebind the name.
  const { loops } = context.model;
  let loop: PyLoop | undefined;
  for (let i = loops.length - 1; i >= 0 && !loop; i--) {
    const candidate = loops[i];
    if (
      candidate.fn === fn &&
      candidate.kind !== 'while' &&
      contains(candidate.node, id) &&
      targetNames(loopTarget(candidate)).includes(id.text)
    )
      loop = candidate;
  }
  return !!loop && iteratesConstants(loop.iterable ?? null, fn, context, depth);
}

/** `MAPPING`, `list(MAPPING.items())`, `sorted(TABLE)`, a literal of constants, or a constant element. */
function iteratesConstants(
  node: Node | null,
  fn: PyFunction,
  context: KeyContext,
  depth: number,
): boolean {
  const value = unwrap(node);
  if (!value) return false;
  if (isConstantCollection(value)) return true;
  if (value.type === 'call') {
    const callee = value.childForFieldName('function');
    if (callee?.type === 'identifier' && ELEMENT_WRAPPERS.has(callee.text)) {
      const args = value.childForFieldName('arguments');
      const [first] = args ? positionalArgumentNodes(args) : [];
      return iteratesConstants(first ?? null, fn, context, depth);
    }
    if (
      callee?.type === 'attribute' &&
      DICT_VIEWS.has(callee.childForFieldName('attribute')?.text ?? '')
    )
      return iteratesConstants(callee.childForFieldName('object'), fn, context, depth);
    return false;
  }
  if (value.type !== 'identifier') return false;
  return (
    isModuleConstant(value.text, fn, context, 'collection') ||
    isConstantLoopVariable(value, fn, context, depth + 1)
  );
}

/**
 * `name`, read in `fn`, is a module-level name bound once and never changed to a collection of
 * constants (`MAPPING = {"sys": {"maxint": "maxsize"}}`) or a literal (`_b32alphabet = b'ABC...'`).
 */
function isModuleConstant(
  name: string,
  fn: PyFunction | undefined,
  context: KeyContext,
  kind: 'collection' | 'literal',
): boolean {
  const { model } = context;
  const bound = singleBinding(model, fn, name);
  const assignments = moduleAssignments(model).get(name);
  if (!bound || assignments?.length !== 1) return false;
  if (assignments[0].childForFieldName('right')?.id !== bound.id) return false;
  return kind === 'collection'
    ? isConstantCollection(bound) && context.isFixedCollection(name)
    : CONSTANT_LITERAL_TYPES.has(bound.type) && context.isNeverRebound(name);
}

/** A literal (`b"..."`, `0`) or a module constant bound to one. */
function isConstantArgument(node: Node, fn: PyFunction | undefined, context: KeyContext): boolean {
  const value = unwrap(node);
  if (!value) return false;
  if (CONSTANT_LITERAL_TYPES.has(value.type)) return true;
  return value.type === 'identifier' && isModuleConstant(value.text, fn, context, 'literal');
}

/**
 * A parameter of a private top-level function (`_b32encode`) that the file only calls, every call
 * passing a constant for it (or leaving a constant default): its values are those constants.
 * Private names are not called from other modules; one handed elsewhere (`map(_f, xs)`) is not
 * accepted, since its mentions then outnumber its calls.
 */
function isConstantParameter(name: string, fn: PyFunction, context: KeyContext): boolean {
  const { model } = context;
  if (fn.parent || fn.className || !/^_[^_]/.test(fn.name)) return false;
  const flow = localFlow(fn);
  if (flow.assignments.has(name) || flow.opaque.has(name)) return false;
  const position = positionOf(fn, name);
  if (position === undefined) return false;
  const calls = callsNamed(model, fn.name).filter((call) => call.callee === fn.name);
  if (calls.length === 0 || nameOccurrences(model, fn.name).length !== calls.length + 1)
    return false;
  const fallback = fn.params.find((param) => param.name === name)?.defaultText ?? '';
  return calls.every((call) => {
    if (passesSplat(call)) return false;
    const passed =
      keywordArgument(call, name) ??
      (position >= 0 ? positionalArguments(call)[position] : undefined);
    if (passed) return isConstantArgument(passed, call.fn, context);
    return /^(?:True|False|None|-?\d+|(['"])\w*\1)$/.test(fallback);
  });
}

/**
 * Where a parameter sits among those a call may pass by position (-1 when only by keyword, after
 * `*` or `*args`); undefined when `fn` has no such parameter.
 */
function positionOf(fn: PyFunction, name: string): number | undefined {
  const parameters = fn.node.childForFieldName('parameters')?.namedChildren ?? [];
  let position = 0;
  let positional = true;
  for (const param of parameters) {
    if (!param) continue;
    if (param.type === 'list_splat_pattern' || param.type === 'keyword_separator') {
      positional = false;
      continue;
    }
    if (param.type === 'positional_separator' || param.type === 'comment') continue;
    const id =
      param.type === 'identifier'
        ? param
        : (param.childForFieldName('name') ??
          param.namedChildren.find((child) => child?.type === 'identifier'));
    if (id?.text === name) return positional ? position : -1;
    position++;
  }
  return undefined;
}

/** Defaults that mark a parameter as an on/off switch. */
const FLAG_DEFAULT = /^(?:True|False|0|1)$/;
/** Where a name is read only for its truth: `if terse:`, `not aliased`, `terse or not os_name`. */
const TRUTH_TESTS = new Set([
  'if_statement',
  'elif_clause',
  'while_statement',
  'not_operator',
  'boolean_operator',
]);

/**
 * A flag: a parameter defaulting to `True`, `False`, `0` or `1` that the function reads only as a
 * condition or in the key itself (platform's `_platform_cache[(aliased, terse)]` for
 * `def platform(aliased=0, terse=0)`). Keys made of flags take a handful of values.
 */
function isFlagParameter(name: string, key: Node, fn: PyFunction, context: KeyContext): boolean {
  if (!FLAG_DEFAULT.test(fn.params.find((param) => param.name === name)?.defaultText ?? '')) {
    return false;
  }
  const flow = localFlow(fn);
  if (flow.assignments.has(name) || flow.opaque.has(name)) return false;
  const keyText = unwrap(key)?.text;
  return nameOccurrences(context.model, name).every((id) => {
    if (!contains(fn.node, id)) return true;
    if (functionOf(context.model, id) !== fn) return false; // a nested function may use its value
    const parent = id.parent;
    if (!parent || parent.type === 'default_parameter') return true;
    if (TRUTH_TESTS.has(parent.type)) return true;
    // The same key read elsewhere in the function: `_platform_cache.get((aliased, terse))`.
    for (let up: Node | null = parent; up && up.type !== 'block'; up = up.parent) {
      const inner = unwrap(up);
      if (inner?.text === keyText) return true;
      if (up.type !== 'tuple' && up.type !== 'parenthesized_expression') break;
    }
    return false;
  });
}
