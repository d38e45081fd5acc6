/**
 * The semantic model of one Python file, built in a single walk of its tree-sitter tree: imports,
 * classes, functions and every call with the context rules ask about (which function it is in,
 * which loops surround it, whether it is awaited). Rules read this instead of walking the tree
 * again, which keeps twenty rules about as cheap as one.
 */
import type { Node, Tree } from 'web-tree-sitter';
import { OwnedCache, type Memoizing } from './memo';
import { paramsFromSource, paramsFromTree, type PyParam } from './params';
import { isModuleLevel } from './scope-analysis';

export type { PyParam } from './params';

export interface PyFunction extends Memoizing {
  node: Node;
  /** `node.endIndex`, read once: every read of a node's end crosses into WASM. */
  end: number;
  name: string;
  /** Where the name is in the source (the whole definition when it has none). */
  nameStart: number;
  nameEnd: number;
  /** `module.Class.name` style name, unique within the workspace for top-level code. */
  qualifiedName: string;
  isAsync: boolean;
  /** Decorator expressions as written, without the `@`. */
  decorators: string[];
  params: PyParam[];
  className?: string;
  /** The function this one is nested in, if any. */
  parent?: PyFunction;
  /** Loops of the enclosing function that contain this nested function's definition. */
  body: Node;
  /**
   * The assignment nodes whose innermost function this is (those in classes defined in it too),
   * in source order.
   */
  assignmentNodes: PyAssignmentNode[];
  /**
   * Whether the body itself (not a nested function) uses `await`, `async for` or `async with`:
   * such a function cannot simply become a plain `def`.
   */
  usesAwait?: boolean;
}

export interface PyClass {
  node: Node;
  name: string;
  /** Base class expressions as written. */
  bases: string[];
  body: Node;
}

/** A loop or comprehension: anything whose body runs once per item. */
export type PyLoopKind = 'for' | 'while' | 'comprehension';

export interface PyLoop extends Memoizing {
  node: Node;
  kind: PyLoopKind;
  /** The iterated expression for `for` loops and comprehensions, e.g. `users` in `for u in users`. */
  iterable?: Node;
  /** Whether `iterable` is a literal list/tuple/set of constants, i.e. a small fixed loop. */
  overConstantLiteral: boolean;
  /** The function whose body holds the loop; undefined at module level. */
  fn?: PyFunction;
  /** Whether a class body holds the loop directly, outside any method of it. */
  inClassBody: boolean;
}

export interface PyCall extends Memoizing {
  node: Node;
  /** `node.startIndex`, read once: every read of a node's start crosses into WASM. */
  start: number;
  /** `node.endIndex`, read once: every read of a node's end crosses into WASM. */
  end: number;
  /**
   * Where the receiver ends when the callee was read from the source and is an attribute
   * (`db.query(X)` in `db.query(X).all()`), else -1: with `start`, the receiver's range, so a
   * receiver that is itself a call is found in `callsByRange` without asking the tree.
   */
  receiverEnd: number;
  /** The callee as written when it is a dotted name (`db.query`, `time.sleep`), else ''. */
  callee: string;
  /** `callee` with its first segment resolved through imports (`sleep` -> `time.sleep`). */
  qualified: string;
  /** The last name of the callee: the function or method called (`all` in `q.all()`). */
  method: string;
  /** The object a method is called on (`db.query(X).filter(...)` for `.all()`), or null. */
  receiver: Node | null;
  /** Whether `receiver` is not null: a dotted callee tells without reading a node. */
  hasReceiver: boolean;
  args: Node;
  fn?: PyFunction;
  /** Loops around the call inside its own function, innermost last. */
  loops: PyLoop[];
  awaited: boolean;
  /** Inside a lambda: runs when the lambda is called, which may be on another thread or later. */
  inLambda: boolean;
  /**
   * The innermost call whose argument list holds this call (`to_thread` in
   * `to_thread(fn, load())`), within the same function; undefined when none.
   */
  outer?: PyCall;
}

export interface PythonModel extends Memoizing {
  tree: Tree;
  source: string;
  /** Dotted module name of this file, e.g. `app.services.users`. */
  moduleName: string;
  /** Local name -> fully qualified imported name (`np` -> `numpy`, `sleep` -> `time.sleep`). */
  imports: Map<string, string>;
  /** Modules imported with `from <module> import *`. */
  starImports: string[];
  functions: PyFunction[];
  classes: PyClass[];
  calls: PyCall[];
  loops: PyLoop[];
  /**
   * Calls whose result is bound to a name (`client = OpenAI()`, `with open(p) as f`), keyed by
   * `bindingKey`: lets rules tell what kind of object a receiver like `client` is. A name last
   * assigned something other than a call maps to null.
   */
  bindings?: Map<string, PyCall | null>;
  /** Assignments to a plain name or `self.<attr>`, in source order. */
  assignments: PyAssignment[];
  /**
   * Every `assignment` and `augmented_assignment` node, whatever its target (tuples and subscripts
   * too), in source order: rules look for assignments in a range here instead of walking the tree.
   */
  assignmentNodes: PyAssignmentNode[];
  /** Every call by its range, keyed `${start}:${end}`. */
  callsByRange: Map<string, PyCall>;
}

/** An assignment node as the model's walk met it. */
export interface PyAssignmentNode {
  node: Node;
  /** `x += 1` rather than `x = 1`. */
  augmented: boolean;
  /**
   * The target as read from the source (`name` or `self.attr`), when it is one of those; it is
   * then exactly the `left` node's text, and that node is an identifier unless it holds a dot.
   */
  target?: string;
}

/** `target = value` (or `target += value`), read from the source text. */
export interface PyAssignment {
  /** `name` or `self.attr`. */
  target: string;
  start: number;
  end: number;
  /** Where the assigned value starts. */
  valueStart: number;
  augmented: boolean;
  fn?: PyFunction;
  /** The class whose body holds the assignment directly (a class attribute). */
  className?: string;
}

/** `name =`, `self.attr =`, `name: T =` or `name +=` at the start of an assignment. */
const ASSIGNMENT_HEAD =
  /^((?:self\.)?[\p{L}_][\p{L}\p{N}_]*)\s*(?::[^=\n]*)?([-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)\s*/u;

/**
 * The key of a binding in `PythonModel.bindings`: a local of `fn`, a module-level name (no
 * `fn`), or a `self.<attr>` attribute of the class `className`.
 */
export function bindingKey(name: string, fn?: PyFunction, className?: string): string {
  if (className) return `class:${className}:${name}`;
  return fn ? `fn:${fn.qualifiedName}:${name}` : `module:${name}`;
}

/** The class a function's `self` belongs to: its own class, or that of an enclosing method. */
export function classOfFunction(fn: PyFunction | undefined): string | undefined {
  for (let f = fn; f; f = f.parent) if (f.className) return f.className;
  return undefined;
}

/** The `def`s a class body holds, decorated or not: its methods as written. */
export function methodDefinitions(cls: PyClass): Node[] {
  const methods: Node[] = [];
  for (const statement of cls.body.namedChildren) {
    const definition =
      statement?.type === 'decorated_definition'
        ? statement.childForFieldName('definition')
        : statement;
    if (definition?.type === 'function_definition') methods.push(definition);
  }
  return methods;
}

const LOOP_TYPES: Record<string, PyLoopKind> = {
  for_statement: 'for',
  while_statement: 'while',
  list_comprehension: 'comprehension',
  set_comprehension: 'comprehension',
  dictionary_comprehension: 'comprehension',
  generator_expression: 'comprehension',
};

/** The dotted text of `node` if it is a name or a chain of attribute accesses, else ''. */
export function dottedName(node: Node | null): string {
  if (!node) return '';
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const object = dottedName(node.childForFieldName('object'));
    const attribute = node.childForFieldName('attribute');
    return object && attribute ? `${object}.${attribute.text}` : '';
  }
  return '';
}

/** Resolves the first segment of a dotted name through the file's imports. */
export function qualify(name: string, imports: Map<string, string>): string {
  if (!name) return '';
  const dot = name.indexOf('.');
  const head = dot === -1 ? name : name.slice(0, dot);
  const resolved = imports.get(head);
  if (!resolved) return name;
  return dot === -1 ? resolved : resolved + name.slice(dot);
}

/** `callsByFunction`'s answer for a model. */
const callsOfFunctions = new OwnedCache<PythonModel, Map<PyFunction, PyCall[]>>(
  'calls by function',
);

/**
 * Calls grouped by the function they are made in (a function making none is absent), built once
 * per model: callers must not change the lists.
 */
export function callsByFunction(model: PythonModel): Map<PyFunction, PyCall[]> {
  const cached = callsOfFunctions.get(model);
  if (cached) return cached;
  const byFunction = new Map<PyFunction, PyCall[]>();
  for (const call of model.calls) {
    if (!call.fn) continue;
    const list = byFunction.get(call.fn);
    if (list) list.push(call);
    else byFunction.set(call.fn, [call]);
  }
  callsOfFunctions.set(model, byFunction);
  return byFunction;
}

/**
 * The qualified name of a class a file names (`JobQuerySet` imported from `jobs.querysets`, or
 * declared at the top of this module), as the index names classes; undefined for other names.
 */
export function qualifiedClassName(name: string, model: PythonModel): string | undefined {
  const head = name.split('.')[0];
  if (model.imports.has(head)) return qualify(name, model.imports);
  const local = model.classes.some((cls) => cls.name === name && isModuleLevel(cls.node));
  if (!local) return undefined;
  return model.moduleName ? `${model.moduleName}.${name}` : name;
}

/** The module name of a file from its path relative to the workspace root. */
export function moduleNameOf(relativePath: string): string {
  const parts = relativePath
    .replace(/\\/g, '/')
    .replace(/\.pyi?$/, '')
    .split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  return parts.filter((part) => part && part !== '.').join('.');
}

function resolveRelative(
  moduleName: string,
  isPackage: boolean,
  prefix: string,
  rest: string,
): string {
  const parts = moduleName ? moduleName.split('.') : [];
  // `from . import x` in a module refers to its package; in `__init__.py` to the package itself.
  const up = prefix.length - (isPackage ? 1 : 0);
  const base = parts.slice(0, Math.max(0, parts.length - up));
  if (rest) base.push(rest);
  return base.join('.');
}

/** Records the names one import statement binds (`local -> qualified`) into `into`. */
export function collectImports(
  node: Node,
  moduleName: string,
  isPackage: boolean,
  into: Map<string, string>,
  stars: string[],
): void {
  if (node.type === 'import_statement') {
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'dotted_name') {
        // `import os.path` binds `os`.
        const head = child.text.split('.')[0];
        into.set(head, head);
      } else if (child.type === 'aliased_import') {
        const name = child.childForFieldName('name')?.text ?? '';
        const alias = child.childForFieldName('alias')?.text ?? '';
        if (name && alias) into.set(alias, name);
      }
    }
    return;
  }
  // import_from_statement
  const moduleNode = node.childForFieldName('module_name');
  if (!moduleNode) return;
  let from = moduleNode.text;
  if (moduleNode.type === 'relative_import') {
    const prefix = moduleNode.namedChildren.find((c) => c?.type === 'import_prefix')?.text ?? '.';
    const rest = moduleNode.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '';
    from = resolveRelative(moduleName, isPackage, prefix, rest);
  }
  if (from && node.namedChildren.some((child) => child?.type === 'wildcard_import'))
    stars.push(from);
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    if (child.type === 'dotted_name')
      into.set(child.text, from ? `${from}.${child.text}` : child.text);
    else if (child.type === 'aliased_import') {
      const name = child.childForFieldName('name')?.text ?? '';
      const alias = child.childForFieldName('alias')?.text ?? '';
      if (name && alias) into.set(alias, from ? `${from}.${name}` : name);
    }
  }
}

/** Node types of the literals a constant literal collection (`for x in ("a", "b")`) holds. */
export const CONSTANT_LITERAL_TYPES: ReadonlySet<string> = new Set([
  'string',
  'integer',
  'float',
  'true',
  'false',
  'none',
  'concatenated_string',
]);

function isConstantLiteral(node: Node | undefined | null): boolean {
  if (!node) return false;
  if (node.type !== 'list' && node.type !== 'tuple' && node.type !== 'set') return false;
  return node.namedChildren.every(
    (child) => !!child && (CONSTANT_LITERAL_TYPES.has(child.type) || isConstantLiteral(child)),
  );
}

function loopOf(node: Node, kind: PyLoopKind, scope: Scope): PyLoop {
  let iterable: Node | undefined;
  if (kind === 'for') iterable = node.childForFieldName('right') ?? undefined;
  else if (kind === 'comprehension') {
    const clause = node.namedChildren.find((c) => c?.type === 'for_in_clause');
    iterable = clause?.childForFieldName('right') ?? undefined;
  }
  return {
    node,
    kind,
    iterable,
    overConstantLiteral: isConstantLiteral(iterable),
    fn: scope.fn,
    inClassBody: scope.className !== undefined,
    memo: undefined,
  };
}

interface Scope {
  fn?: PyFunction;
  className?: string;
  loops: PyLoop[];
  inLambda?: boolean;
  /** The call whose arguments are being visited. */
  outerCall?: PyCall;
}

/** Whether a statement or clause node starts with the `async` keyword (`async for`, `async with`). */
function isAsyncForm(node: Node): boolean {
  return node.child(0)?.type === 'async';
}

const DOTTED = /^[\p{L}_][\p{L}\p{N}_]*(?:\.[\p{L}_][\p{L}\p{N}_]*)*$/u;
const NAME_CHARACTER = /[\p{L}\p{N}_]/u;

/**
 * The attribute a callee text ends with (`all` in `db.query(X).all`) and the offset of its dot.
 * Read backwards from the end: a regex anchored at the end still tries every offset from the
 * start, and each call of a long chain (`q.a().b()...`, thousands of links) has the whole chain
 * before it.
 */
function trailingAttribute(text: string): { dot: number; name: string } | undefined {
  let start = text.length;
  while (start > 0 && NAME_CHARACTER.test(text[start - 1])) start--;
  const name = text.slice(start);
  if (name === '' || /\p{N}/u.test(name[0])) return undefined;
  let dot = start - 1;
  while (dot >= 0 && isBlank(text.charCodeAt(dot))) dot--;
  return dot >= 0 && text[dot] === '.' ? { dot, name } : undefined;
}

/** Python whitespace between tokens inside brackets: space, tab, form feed, line breaks. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 12 || code === 10 || code === 13;
}

/** Where the receiver before the method's dot at `dot` ends: blanks may separate the two. */
function receiverEndAt(source: string, dot: number): number {
  let end = dot;
  while (isBlank(source.charCodeAt(end - 1))) end--;
  return end;
}

/**
 * A call of the model. Names come from the callee's source text, and the nodes rules ask for less
 * often (callee, receiver, awaited) are looked up on first use: each node access crosses into
 * WASM, and most calls are never inspected past their name.
 */
class LazyCall implements PyCall {
  readonly callee: string;
  readonly qualified: string;
  readonly method: string;
  readonly fn?: PyFunction;
  readonly loops: PyLoop[];
  readonly inLambda: boolean;
  readonly outer?: PyCall;
  receiverEnd = -1;
  memo?: Map<object, unknown> = undefined;
  /** The argument list node, or null for a call without one (`print "x"` in broken code). */
  readonly argumentList: Node | null;
  private functionNode?: Node | null;
  private receiverNode?: Node | null;
  private awaitedFlag?: boolean;
  /** Whether the callee text was read from the source, so its offsets are the file's. */
  private fromSource = false;

  constructor(
    readonly node: Node,
    readonly start: number,
    readonly end: number,
    /** The file's text, when its tree has no errors: the callee is then read from it. */
    source: string | undefined,
    imports: Map<string, string>,
    scope: Scope,
    /** `await` expressions seen so far: where each operand starts -> where it ends. */
    private readonly awaits: ReadonlyMap<number, number>,
    /** The model's calls by range: complete before any call's receiver is asked for. */
    private readonly callsByRange: ReadonlyMap<string, PyCall>,
  ) {
    this.argumentList = node.childForFieldName('arguments');
    const text = this.calleeText(source);
    let dot: number;
    if (DOTTED.test(text)) {
      this.callee = text;
      dot = text.lastIndexOf('.');
      this.method = text.slice(dot + 1);
    } else {
      // `db.query(X).all`: not a dotted name, but the method is still the trailing attribute.
      this.callee = '';
      const trailing = trailingAttribute(text);
      dot = trailing ? trailing.dot : -1;
      this.method = trailing?.name ?? '';
    }
    if (dot > 0 && this.fromSource) this.receiverEnd = receiverEndAt(source!, start + dot);
    this.qualified = qualify(this.callee, imports);
    this.fn = scope.fn;
    this.loops = scope.loops;
    this.inLambda = !!scope.inLambda;
    this.outer = scope.outerCall;
  }

  /**
   * The callee's text. In a tree without errors the callee runs from the call's start to its
   * argument list, so it is read from the source without asking the tree for the callee node,
   * unless a comment or a line continuation may sit between the two.
   */
  private calleeText(source: string | undefined): string {
    const args = this.argumentList;
    if (source !== undefined && args) {
      const start = this.start;
      let end = args.startIndex;
      while (end > start && isBlank(source.charCodeAt(end - 1))) end--;
      const head = source.slice(start, end);
      if (!head.includes('#') && !head.includes('\\')) {
        this.fromSource = true;
        return head;
      }
    }
    return this.functionExpression?.text ?? '';
  }

  /** The callee expression node (`db.query` in `db.query(X)`), looked up on first use. */
  private get functionExpression(): Node | null {
    if (this.functionNode === undefined)
      this.functionNode = this.node.childForFieldName('function');
    return this.functionNode;
  }

  get receiver(): Node | null {
    if (this.receiverNode === undefined) {
      // A receiver that is a call (`db.query(X)` in `db.query(X).all()`) is that call's node:
      // no other expression the receiver could be spans exactly the same range.
      const inner =
        this.receiverEnd < 0
          ? undefined
          : this.callsByRange.get(`${this.start}:${this.receiverEnd}`);
      if (inner) this.receiverNode = inner.node;
      else {
        const fn = this.functionExpression;
        this.receiverNode = fn?.type === 'attribute' ? fn.childForFieldName('object') : null;
      }
    }
    return this.receiverNode;
  }

  get hasReceiver(): boolean {
    // A dotted callee spells an attribute chain; a plain name has no receiver. A receiver range
    // is known only for an attribute callee.
    if (this.callee) return this.callee.includes('.');
    return this.receiverEnd >= 0 || this.receiver !== null;
  }

  get args(): Node {
    return this.argumentList ?? this.node;
  }

  get awaited(): boolean {
    // The `await` node comes before its operand in source order, so it is already known.
    this.awaitedFlag ??= this.awaits.get(this.node.startIndex) === this.end;
    return this.awaitedFlag;
  }
}

/** A stretch of source whose code runs in `scope` (a function body, a loop body, call arguments). */
interface Region {
  start: number;
  end: number;
  scope: Scope;
}

/** Whether `a` is entered before `b`: it starts first, or starts with it and holds it. */
function entersBefore(a: Region, b: Region): boolean {
  return a.start < b.start || (a.start === b.start && a.end > b.end);
}

/** Node types the model is built from; everything else is never materialised as a JS object. */
const MODEL_NODE_TYPES = [
  'augmented_assignment',
  'decorated_definition',
  'import_statement',
  'import_from_statement',
  'class_definition',
  'function_definition',
  'lambda',
  'assignment',
  'as_pattern',
  'await',
  'with_statement',
  'for_in_clause',
  'call',
  ...Object.keys(LOOP_TYPES),
];

/** Assignments and `with ... as` targets, bound once every call is known. */
type PendingBinding =
  | { kind: 'assignment'; assignment: PyAssignment }
  | { kind: 'with'; target: Node | null; value: Node | null; scope: Scope };

/**
 * Builds the model of a parsed Python file. `relativePath` names the module for cross-file links.
 *
 * One native traversal (`descendantsOfType`) returns only the nodes the model needs, in source
 * order; which function, loop, lambda or call arguments each belongs to follows from source
 * ranges, kept on a stack of regions. Walking every node from JavaScript instead costs more than
 * the parse itself, because each node visit crosses into WASM.
 */
export function buildPythonModel(tree: Tree, source: string, relativePath: string): PythonModel {
  const builder = new PythonModelBuilder(tree, source, relativePath);
  for (const node of tree.rootNode.descendantsOfType(MODEL_NODE_TYPES)) {
    if (node) builder.add(node);
  }
  return builder.finish();
}

/**
 * The state of one model build, with a method per kind of node. Small methods rather than one
 * large loop body: V8 optimises each on its own, so a node kind first met late (after the loop
 * was optimised) recompiles one method instead of the whole walk, which cost ~200 ms of compile
 * time each time, competing with the other scan lanes for the cores.
 */
class PythonModelBuilder {
  readonly model: PythonModel;
  private readonly moduleName: string;
  private readonly isPackage: boolean;
  private readonly rootScope: Scope = { loops: [] };
  /** The file's text where the tree is sure of every call's shape: callees are read from it. */
  private readonly calleeSource: string | undefined;
  /** Regions holding the node being added, the innermost last. */
  private readonly regions: Region[] = [];
  /**
   * Regions that start past the nodes added so far (a call's arguments, a body), the one to enter
   * first last. They wait here rather than on `regions`: each link of a long call chain opens its
   * arguments ahead of the chain's other nodes, and looking past thousands of them for every node
   * made a chain quadratic.
   */
  private readonly ahead: Region[] = [];
  private readonly pendingBindings: PendingBinding[] = [];
  /** `await` expressions seen so far: where each operand starts -> where it ends. */
  private readonly awaitOperands = new Map<number, number>();
  /** Decorators by the start of the definition they decorate (it follows them in source order). */
  private readonly decoratorsAt = new Map<number, string[]>();

  constructor(
    tree: Tree,
    private readonly source: string,
    relativePath: string,
  ) {
    this.moduleName = moduleNameOf(relativePath);
    this.isPackage = /(^|[\\/])__init__\.pyi?$/.test(relativePath);
    this.calleeSource = tree.rootNode.hasError ? undefined : source;
    this.model = {
      tree,
      source,
      moduleName: this.moduleName,
      imports: new Map(),
      starImports: [],
      functions: [],
      classes: [],
      calls: [],
      loops: [],
      bindings: new Map(),
      assignments: [],
      assignmentNodes: [],
      callsByRange: new Map(),
      memo: undefined,
    };
  }

  /** Adds one node of MODEL_NODE_TYPES; nodes come in source order. */
  add(node: Node): void {
    const type = node.type;
    // Every read of a node's end crosses into WASM: it is read once per node.
    const start = node.startIndex;
    const end = node.endIndex;
    const scope = this.scopeOf(start, end);
    switch (type) {
      case 'decorated_definition':
        return this.addDecorators(node);
      case 'import_statement':
      case 'import_from_statement':
        return collectImports(
          node,
          this.moduleName,
          this.isPackage,
          this.model.imports,
          this.model.starImports,
        );
      case 'class_definition':
        return this.addClass(node, scope);
      case 'function_definition':
        return this.addFunction(node, start, end, scope);
      case 'lambda':
        // A lambda body runs when the lambda is called, not where it is written.
        return this.openNode(node.childForFieldName('body'), {
          fn: scope.fn,
          loops: [],
          inLambda: true,
          outerCall: scope.outerCall,
        });
      case 'assignment':
      case 'augmented_assignment':
        return this.addAssignment(node, type === 'augmented_assignment', start, end, scope);
      case 'as_pattern':
        return this.addWithTarget(node, scope);
      case 'await':
        return this.addAwait(node, start, end, scope);
      case 'with_statement':
      case 'for_in_clause':
        if (scope.fn && !scope.inLambda && this.isAsyncAt(node, start)) scope.fn.usesAwait = true;
        return;
      case 'call':
        return this.addCall(node, start, end, scope);
    }
    const loopKind = LOOP_TYPES[type];
    if (loopKind) this.addLoop(node, loopKind, start, end, scope);
  }

  /** Records `target = <call>` and `with <call> as target` so receivers can be traced to their maker. */
  finish(): PythonModel {
    const { model } = this;
    const callAt = model.callsByRange;
    for (const pending of this.pendingBindings) {
      if (pending.kind === 'assignment') {
        bindAssignment(model, pending.assignment, callAt);
        continue;
      }
      const { target, value: valueNode, scope } = pending;
      if (!target || !valueNode) continue;
      const value = valueNode.type === 'await' ? valueNode.namedChildren[0] : valueNode;
      // Anything but a call still hides an outer binding of the same name: record it as unknown.
      const call =
        value?.type === 'call'
          ? (callAt.get(`${value.startIndex}:${value.endIndex}`) ?? null)
          : null;
      if (target.type === 'identifier' && scope.className) {
        // A class attribute is what `self.<name>` reads until an instance assigns its own.
        model.bindings!.set(bindingKey(`self.${target.text}`, undefined, scope.className), call);
      } else if (target.type === 'identifier') {
        model.bindings!.set(bindingKey(target.text, scope.fn), call);
      } else if (
        target.type === 'attribute' &&
        target.childForFieldName('object')?.text === 'self'
      ) {
        const className = classOfFunction(scope.fn);
        if (className) model.bindings!.set(bindingKey(target.text, undefined, className), call);
      }
    }
    return model;
  }

  private scopeOf(start: number, end: number): Scope {
    const { regions, ahead } = this;
    while (regions.length > 0 && regions[regions.length - 1].end <= start) regions.pop();
    while (ahead.length > 0 && ahead[ahead.length - 1].start <= start) {
      const entered = ahead.pop()!;
      if (entered.end > start) regions.push(entered);
    }
    for (let i = regions.length - 1; i >= 0; i--) {
      const region = regions[i];
      if (region.start <= start && end <= region.end) return region.scope;
    }
    return this.rootScope;
  }

  private open(start: number, end: number, scope: Scope): void {
    const region = { start, end, scope };
    const { ahead } = this;
    // Usually the new region starts first (it lies in the node just added); a loop's body opens
    // after its target, and of two regions that start together the outer is entered first.
    let at = ahead.length;
    while (at > 0 && entersBefore(ahead[at - 1], region)) at--;
    ahead.splice(at, 0, region);
  }

  private openNode(node: Node | null | undefined, scope: Scope): void {
    if (node) this.open(node.startIndex, node.endIndex, scope);
  }

  private addDecorators(node: Node): void {
    const definition = node.childForFieldName('definition');
    if (!definition) return;
    this.decoratorsAt.set(
      definition.startIndex,
      node.namedChildren
        .filter((c) => c?.type === 'decorator')
        .map((c) => c!.text.replace(/^@\s*/, '')),
    );
  }

  private addClass(node: Node, scope: Scope): void {
    const name = node.childForFieldName('name')?.text ?? '';
    const body = node.childForFieldName('body');
    const superclasses = node.childForFieldName('superclasses');
    this.model.classes.push({
      node,
      name,
      bases: superclasses ? superclasses.namedChildren.map((c) => c?.text ?? '') : [],
      body: body ?? node,
    });
    this.openNode(body, { fn: scope.fn, className: name, loops: scope.loops });
  }

  private addFunction(node: Node, start: number, end: number, scope: Scope): void {
    const { moduleName, calleeSource } = this;
    const nameNode = node.childForFieldName('name');
    const name = nameNode?.text ?? '';
    const body = node.childForFieldName('body') ?? node;
    const prefix = scope.fn
      ? scope.fn.qualifiedName
      : scope.className
        ? `${moduleName}.${scope.className}`
        : moduleName;
    const fn: PyFunction = {
      node,
      end,
      name,
      nameStart: nameNode ? nameNode.startIndex : start,
      nameEnd: nameNode ? nameNode.startIndex + name.length : end,
      qualifiedName: prefix ? `${prefix}.${name}` : name,
      isAsync: node.child(0)?.type === 'async',
      decorators: this.decoratorsAt.get(start) ?? [],
      // Read from the text where the tree has no errors (see params.ts).
      params:
        (calleeSource !== undefined && nameNode
          ? paramsFromSource(calleeSource, nameNode.startIndex + name.length)
          : undefined) ?? paramsFromTree(node.childForFieldName('parameters')),
      className: scope.fn ? undefined : scope.className,
      parent: scope.fn,
      body,
      assignmentNodes: [],
      // Set from the start, like every field: functions then share one object shape.
      usesAwait: false,
      memo: undefined,
    };
    this.model.functions.push(fn);
    // Default values and decorators run where the function is defined, not in its body.
    this.openNode(body, { fn, loops: [] });
  }

  private addAssignment(
    node: Node,
    augmented: boolean,
    start: number,
    end: number,
    scope: Scope,
  ): void {
    const assignmentNode: PyAssignmentNode = { node, augmented, target: undefined };
    this.model.assignmentNodes.push(assignmentNode);
    scope.fn?.assignmentNodes.push(assignmentNode);
    // Read from the text: asking the tree for `left` and `right` of every assignment cost more.
    const head = ASSIGNMENT_HEAD.exec(this.source.slice(start, start + 300));
    if (!head || augmented !== !!head[2]) return;
    assignmentNode.target = head[1];
    const assignment: PyAssignment = {
      target: head[1],
      start,
      end,
      valueStart: start + head[0].length,
      augmented,
      fn: scope.fn,
      className: scope.className,
    };
    this.model.assignments.push(assignment);
    this.pendingBindings.push({ kind: 'assignment', assignment });
  }

  /** `with <call> as name`: the first child is the value, the alias names its result. */
  private addWithTarget(node: Node, scope: Scope): void {
    if (node.parent?.type !== 'with_item') return;
    this.pendingBindings.push({
      kind: 'with',
      target: node.childForFieldName('alias')?.namedChildren[0] ?? null,
      value: node.namedChildren[0],
      scope,
    });
  }

  private addAwait(node: Node, start: number, end: number, scope: Scope): void {
    // The `await` keyword token has the same type name as the expression around it.
    if (!node.isNamed) return;
    if (scope.fn && !scope.inLambda) scope.fn.usesAwait = true;
    const operand = /^await\s*/.exec(this.source.slice(start, start + 40));
    if (operand) this.awaitOperands.set(start + operand[0].length, end);
  }

  private addCall(node: Node, start: number, end: number, scope: Scope): void {
    const callAt = this.model.callsByRange;
    const call = new LazyCall(
      node,
      start,
      end,
      this.calleeSource,
      this.model.imports,
      scope,
      this.awaitOperands,
      callAt,
    );
    this.model.calls.push(call);
    callAt.set(`${start}:${end}`, call);
    // Only the arguments are "inside" this call; the callee expression is evaluated around it.
    this.openNode(call.argumentList, { ...scope, outerCall: call });
  }

  /**
   * `isAsyncForm` for a node starting at `start`: an `async` form starts with an `a`, so the others
   * skip asking the tree for their first child.
   */
  private isAsyncAt(node: Node, start: number): boolean {
    return this.source.charCodeAt(start) === 0x61 && isAsyncForm(node);
  }

  private addLoop(node: Node, kind: PyLoopKind, start: number, end: number, scope: Scope): void {
    if (kind === 'for' && scope.fn && !scope.inLambda && this.isAsyncAt(node, start))
      scope.fn.usesAwait = true;
    const loop = loopOf(node, kind, scope);
    this.model.loops.push(loop);
    const inner: Scope = { ...scope, loops: [...scope.loops, loop] };
    if (kind === 'comprehension') {
      // Everything repeats per item except the first iterable, evaluated once before the loop.
      const once = loop.iterable;
      if (once) {
        this.open(start, once.startIndex, inner);
        this.open(once.endIndex, end, inner);
      } else this.openNode(node, inner);
    } else if (kind === 'for') {
      // The iterable runs once and the `else:` clause after the loop; the target and body repeat.
      this.openNode(node.childForFieldName('left'), inner);
      this.openNode(node.childForFieldName('body'), inner);
    } else {
      this.openNode(node.childForFieldName('condition'), inner);
      this.openNode(node.childForFieldName('body'), inner);
    }
  }
}

/** Binds an assignment's target to the call it assigns, or to null for any other value. */
function bindAssignment(
  model: PythonModel,
  assignment: PyAssignment,
  callAt: Map<string, PyCall>,
): void {
  if (assignment.augmented) return;
  const { source } = model;
  let valueStart = assignment.valueStart;
  const awaited = /^await\s+/.exec(source.slice(valueStart, valueStart + 20));
  if (awaited) valueStart += awaited[0].length;
  // Anything but a call still hides an outer binding of the same name: record it as unknown.
  const call = callAt.get(`${valueStart}:${assignment.end}`) ?? null;
  const { target } = assignment;
  if (assignment.className && !target.startsWith('self.')) {
    // A class attribute is what `self.<name>` reads until an instance assigns its own.
    model.bindings!.set(bindingKey(`self.${target}`, undefined, assignment.className), call);
  } else if (!target.includes('.')) {
    model.bindings!.set(bindingKey(target, assignment.fn), call);
  } else {
    const className = classOfFunction(assignment.fn);
    if (className) model.bindings!.set(bindingKey(target, undefined, className), call);
  }
}
