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
  contains,
  moduleAssignments,
  positionalArgumentNodes,
  targetNames,
  unwrap,
} from './scope-analysis';

/** What the caller knows about the file's module-level names. */
export interface KeyContext {
  model: PythonModel;
  /** Whether nothing in the file adds to, removes from, rebinds or hands out the collection `name`. */
  isFixedCollection(name: string): boolean;
}

/** Calls that iterate their argument's elements (or keys) as they are. */
const ELEMENT_WRAPPERS = new Set(['list', 'tuple', 'set', 'sorted', 'reversed', 'enumerate']);
const DICT_VIEWS = new Set(['items', 'keys', 'values']);

/**
 * Whether `key`, written in `fn`, is made only of constants, of variables of loops over module
 * constants (`for module, replace in list(MAPPING.items())` in lib2to3's fix_renames).
 */
export function isBoundedKey(key: Node, fn: PyFunction, context: KeyContext): boolean {
  const value = unwrap(key);
  if (!value) return false;
  if (CONSTANT_LITERAL_TYPES.has(value.type)) return true;
  if (value.type === 'tuple') {
    const elements = value.namedChildren.filter((child) => child?.type !== 'comment');
    return elements.every((element) => !!element && isBoundedKey(element, fn, context));
  }
  if (value.type !== 'identifier') return false;
  return isConstantLoopVariable(value, fn, context, 0);
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
    isModuleConstant(value.text, fn, context) ||
    isConstantLoopVariable(value, fn, context, depth + 1)
  );
}

/**
 * `name`, read in `fn`, is a module-level name bound once and never changed to a collection of
 * constants (`MAPPING = {"sys": {"maxint": "maxsize"}}`).
 */
function isModuleConstant(name: string, fn: PyFunction | undefined, context: KeyContext): boolean {
  const { model } = context;
  const bound = singleBinding(model, fn, name);
  const assignments = moduleAssignments(model).get(name);
  if (!bound || assignments?.length !== 1) return false;
  if (assignments[0].childForFieldName('right')?.id !== bound.id) return false;
  return isConstantCollection(bound) && context.isFixedCollection(name);
}
