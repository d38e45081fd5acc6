/**
 * The TypeScript/JavaScript model: one walk over the compiler's AST records the functions, loops,
 * calls and imports rules ask about, so each rule does not walk the tree again for them. Offsets
 * are the compiler's, which are UTF-16 offsets into the file's text like every engine offset.
 */
import { ts } from './compiler';
import { declarationOf } from './name-resolution';
import type { ModuleAliases } from './path-aliases';
import type { FileTypes } from './type-oracle';

/** A function, method, arrow or function expression. */
export interface TsFunction {
  node: ts.SignatureDeclaration;
  /** Declared name; the variable or property it is assigned to; `default`; or '' if anonymous. */
  name: string;
  /** Enclosing class of a method, constructor or accessor. */
  className?: string;
  isAsync: boolean;
  /** Exported from the module (`export function`, `export const f = () => ...`, `export default`). */
  exported: boolean;
  /** The enclosing function, if nested. */
  parent?: TsFunction;
  /** For a callback: the call it is passed to (`app.get('/x', handler)`, `xs.map(fn)`). */
  callbackOf?: TsCall;
  /** Parameter names as written (destructured parameters give their property names). */
  params: string[];
  /**
   * Names bound in the function by a dynamic import, `const { getHandler } = await
   * import('./get.handler')` (the lazy tRPC routers of cal.com), by local name.
   */
  dynamicImports?: Map<string, TsImport>;
  /** The whole function, from its first token. */
  start: number;
  end: number;
  /** Where the name is written, or the `function`/arrow start for anonymous functions. */
  nameStart: number;
  nameEnd: number;
}

export type TsLoopKind = 'for' | 'for-of' | 'for-in' | 'for-await' | 'while' | 'do' | 'callback';

/** A loop, or a callback run once per item (`xs.forEach(fn)`, `xs.map(fn)`). */
export interface TsLoop {
  kind: TsLoopKind;
  node: ts.Node;
  /** What is iterated: the `of`/`in` expression, or the array whose method takes the callback. */
  iterable?: ts.Expression;
  /** The statement or callback run per iteration. */
  body: ts.Node;
  /** For `callback` loops: the array method (`forEach`, `map`, ...). */
  method?: string;
  /** For `callback` loops: the call of the array method. */
  call?: ts.CallExpression;
  /** The function the loop is in (for callbacks: the function that calls the array method). */
  fn?: TsFunction;
}

/** A call, `new` expression or tagged template. */
export interface TsCall {
  node: ts.CallExpression | ts.NewExpression | ts.TaggedTemplateExpression;
  /** The callee as a dotted chain: `prisma.user.findMany`, `knex().where`, `new PrismaClient`. */
  callee: string;
  /** The last name of the callee: `findMany`, `PrismaClient`, `fetch`. */
  name: string;
  /** What the method is called on (`prisma.user` for `prisma.user.findMany()`). */
  receiver?: ts.Expression;
  /** `receiver` as a dotted chain. */
  receiverText?: string;
  isNew: boolean;
  isTaggedTemplate: boolean;
  args: readonly ts.Expression[];
  /** The innermost enclosing function; undefined at module top level. */
  fn?: TsFunction;
  /** Enclosing loops whose every iteration runs the call, outermost first, up to `fn`'s boundary
   *  (iteration callbacks count as loops and are looked through). */
  loops: TsLoop[];
  /** Directly awaited (`await call`, through parentheses, `as` and `!`). */
  awaited: boolean;
  start: number;
  end: number;
}

export interface TsImport {
  /** The name bound in this file. */
  local: string;
  /** The module specifier as written (`./db`, `@prisma/client`, `node:fs`). */
  module: string;
  /** The exported name: `default`, `*` for namespace imports, or the named export. */
  imported: string;
}

export interface TsModel {
  sourceFile: ts.SourceFile;
  text: string;
  relativePath: string;
  functions: TsFunction[];
  calls: TsCall[];
  loops: TsLoop[];
  /** Imports and `require`s by local name. */
  imports: Map<string, TsImport>;
  /** Module-level `const`/`let`/`var` declarations by name. */
  moduleVariables: Map<string, ts.VariableDeclaration>;
  /** Type-aware answers, when the workspace opted in (`typescript.typeAware`). */
  types?: FileTypes;
  /** The workspace's `paths`/`baseUrl` aliases, for resolving this file's imports. */
  moduleAliases?: ModuleAliases;
  /** The call whose node is `node` (a call, `new` or tagged template), if the model holds one. */
  callAt(node: ts.Node): TsCall | undefined;
}

/** Array methods that call their callback once per item. */
export const ITERATION_METHODS = new Set([
  'forEach',
  'map',
  'flatMap',
  'filter',
  'reduce',
  'reduceRight',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
]);

/** Skips parentheses, type assertions, `satisfies` and non-null assertions. */
export function unwrap(node: ts.Expression): ts.Expression {
  let current = node;
  for (;;) {
    if (ts.isParenthesizedExpression(current)) current = current.expression;
    else if (ts.isAsExpression(current) || ts.isTypeAssertionExpression(current))
      current = current.expression;
    else if (ts.isNonNullExpression(current) || ts.isSatisfiesExpression(current))
      current = current.expression;
    else return current;
  }
}

/**
 * The object whose `method` is called with a callback that takes `parameter` first: `ds` for `tx`
 * in `ds.transaction(async (tx) => ...)`, `em` for `em.transactional((tem) => ...)`.
 */
export function callbackMethodReceiver(
  parameter: ts.ParameterDeclaration,
  method: string,
): ts.Expression | undefined {
  const callback = parameter.parent;
  if (!ts.isArrowFunction(callback) && !ts.isFunctionExpression(callback)) return undefined;
  if (callback.parameters[0] !== parameter) return undefined;
  const call = callback.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(callback)) return undefined;
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && callee.name.text === method
    ? callee.expression
    : undefined;
}

/**
 * The method calls chained on `node`, innermost first, and the outermost of them (or `node`):
 * `.sort()` and `.limit()` of `Model.find().sort().limit()` for `Model.find()`.
 */
export function callsChainedOn(node: ts.Expression): {
  chained: ts.CallExpression[];
  top: ts.Expression;
} {
  const chained: ts.CallExpression[] = [];
  let top = node;
  for (;;) {
    const access = top.parent;
    if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== top) break;
    const next = access.parent;
    if (!next || !ts.isCallExpression(next) || next.expression !== access) break;
    chained.push(next);
    top = next;
  }
  return { chained, top };
}

/** The object or variable at the root of an access chain: `app` for `app.locals.db`. */
export function accessRoot(node: ts.Expression): ts.Expression {
  let root = unwrap(node);
  while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root))
    root = unwrap(root.expression);
  return root;
}

/**
 * A chain segment's name without the `#` of an ES private field (`#prisma` of `this.#prisma`,
 * which `chainText` keeps so messages quote the code as written): what name checks compare.
 */
export const fieldName = (segment: string): string =>
  segment.startsWith('#') ? segment.slice(1) : segment;

/** The expression as a dotted chain (`a.b.c`, `this.db.query`, `knex().where`); '' for others. */
export function chainText(node: ts.Expression): string {
  const inner = unwrap(node);
  if (ts.isIdentifier(inner) || ts.isPrivateIdentifier(inner)) return inner.text;
  if (inner.kind === ts.SyntaxKind.ThisKeyword) return 'this';
  if (inner.kind === ts.SyntaxKind.SuperKeyword) return 'super';
  if (ts.isPropertyAccessExpression(inner)) {
    const left = chainText(inner.expression);
    return left ? `${left}.${inner.name.text}` : '';
  }
  if (ts.isElementAccessExpression(inner) && ts.isStringLiteralLike(inner.argumentExpression)) {
    const left = chainText(inner.expression);
    return left ? `${left}.${inner.argumentExpression.text}` : '';
  }
  if (ts.isCallExpression(inner)) {
    const callee = chainText(inner.expression);
    return callee ? `${callee}()` : '';
  }
  return '';
}

/** The name a callee ends with: `dbTransactionWrap`, `runInTransaction` of `this.db.x`; else ''. */
export function calleeName(callee: ts.Expression): string {
  const node = unwrap(callee);
  if (ts.isIdentifier(node)) return node.text;
  return ts.isPropertyAccessExpression(node) ? node.name.text : '';
}

/** The node's parent, skipping parentheses and type-only wrappers. */
export function semanticParent(node: ts.Node): ts.Node | undefined {
  let parent = node.parent;
  while (
    parent &&
    (ts.isParenthesizedExpression(parent) ||
      ts.isAsExpression(parent) ||
      ts.isNonNullExpression(parent) ||
      ts.isSatisfiesExpression(parent) ||
      ts.isTypeAssertionExpression(parent))
  )
    parent = parent.parent;
  return parent;
}

function isAwaited(node: ts.Node): boolean {
  const parent = semanticParent(node);
  return !!parent && ts.isAwaitExpression(parent);
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return (
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((mod) => mod.kind === kind)
  );
}

function propertyNameText(name: ts.PropertyName | ts.BindingName): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  return '';
}

function paramNames(node: ts.SignatureDeclaration): string[] {
  const names: string[] = [];
  const collect = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.push(name.text);
    else
      for (const element of name.elements) if (ts.isBindingElement(element)) collect(element.name);
  };
  for (const param of node.parameters) collect(param.name);
  return names;
}

/**
 * Memoising wrappers that return a function called exactly like the one they wrap: React's
 * `cache` (per request) and Next.js's `unstable_cache` (across requests, until revalidated). The
 * wrapped function still runs on every call the memo misses, so it stands for the function.
 */
const MEMO_WRAPPERS: Record<string, string> = { react: 'cache', 'next/cache': 'unstable_cache' };

export function isMemoWrapper(callee: ts.Expression, imports: Map<string, TsImport>): boolean {
  const expression = unwrap(callee);
  if (ts.isIdentifier(expression)) {
    const imported = imports.get(expression.text);
    return !!imported && MEMO_WRAPPERS[imported.module] === imported.imported;
  }
  // `React.cache(...)` of `import React from 'react'` / `import * as React from 'react'`.
  if (!ts.isPropertyAccessExpression(expression) || !ts.isIdentifier(expression.expression))
    return false;
  const imported = imports.get(expression.expression.text);
  return (
    !!imported &&
    (imported.imported === '*' || imported.imported === 'default') &&
    MEMO_WRAPPERS[imported.module] === expression.name.text
  );
}

/**
 * The memoising call a function is the first argument of (`cache(async (id) => ...)`), when the
 * call initialises a variable: the function is then known by the variable's name.
 */
function memoWrapperOf(
  node: ts.SignatureDeclaration,
  imports: Map<string, TsImport>,
): ts.CallExpression | undefined {
  const call = semanticParent(node);
  if (!call || !ts.isCallExpression(call) || unwrap(call.arguments[0] ?? call) !== node) return;
  const declaration = semanticParent(call);
  if (!declaration || !ts.isVariableDeclaration(declaration)) return undefined;
  return isMemoWrapper(call.expression, imports) ? call : undefined;
}

/** The name a function is known by, from its declaration or what it is assigned to. */
function functionName(
  node: ts.SignatureDeclaration,
  imports: Map<string, TsImport>,
): { name: string; nameNode?: ts.Node } {
  if (node.name && !ts.isComputedPropertyName(node.name))
    return { name: propertyNameText(node.name), nameNode: node.name };
  if (ts.isConstructorDeclaration(node)) return { name: 'constructor' };
  if (hasModifier(node, ts.SyntaxKind.DefaultKeyword)) return { name: 'default' };
  const memo = memoWrapperOf(node, imports);
  const parent = semanticParent(memo ?? node);
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return { name: parent.name.text, nameNode: parent.name };
  if (parent && ts.isPropertyAssignment(parent) && !ts.isComputedPropertyName(parent.name))
    return { name: propertyNameText(parent.name), nameNode: parent.name };
  if (parent && ts.isPropertyDeclaration(parent) && !ts.isComputedPropertyName(parent.name))
    return { name: propertyNameText(parent.name), nameNode: parent.name };
  if (parent && ts.isExportAssignment(parent)) return { name: 'default' };
  return { name: '' };
}

function isExported(node: ts.SignatureDeclaration, imports: Map<string, TsImport>): boolean {
  if (hasModifier(node, ts.SyntaxKind.ExportKeyword)) return true;
  const parent = semanticParent(memoWrapperOf(node, imports) ?? node);
  if (parent && ts.isExportAssignment(parent)) return true;
  if (parent && ts.isVariableDeclaration(parent)) {
    const statement = parent.parent?.parent;
    return !!statement && hasModifier(statement, ts.SyntaxKind.ExportKeyword);
  }
  return false;
}

function enclosingClassName(node: ts.Node): string | undefined {
  const parent = node.parent;
  if (parent && (ts.isClassDeclaration(parent) || ts.isClassExpression(parent)))
    return parent.name?.text;
  return undefined;
}

/** Whether `node` names an import binding (`import { db }`, `const { db } = require(...)`). */
export function isImportedName(model: TsModel, node: ts.Identifier): boolean {
  if (!model.imports.has(node.text)) return false;
  const holder = declarationOf(node)?.parent;
  return !!holder && isImportBinding(holder);
}

/**
 * As `isImportedName`, also a whole module `require`d (`const db = require('./db')`, which is
 * what that module assigns to `module.exports`).
 */
export function isImportedValue(model: TsModel, node: ts.Identifier): boolean {
  if (!model.imports.has(node.text)) return false;
  const holder = declarationOf(node)?.parent;
  return (
    !!holder &&
    (isImportBinding(holder) ||
      (ts.isVariableDeclaration(holder) && isRequireCall(holder.initializer)))
  );
}

/** The declaration of an `import` binding, or of a name destructured from a `require`. */
function isImportBinding(holder: ts.Node): boolean {
  return (
    ts.isImportSpecifier(holder) ||
    ts.isImportClause(holder) ||
    ts.isNamespaceImport(holder) ||
    ts.isImportEqualsDeclaration(holder) ||
    isRequiredBinding(holder)
  );
}

/** `{ Job }` of `const { Job } = require('./models')`. */
export function isRequiredBinding(node: ts.Node): boolean {
  if (!ts.isBindingElement(node)) return false;
  const declaration = node.parent?.parent;
  return (
    !!declaration && ts.isVariableDeclaration(declaration) && isRequireCall(declaration.initializer)
  );
}

/** `require(...)`, through parentheses and type assertions. */
export function isRequireCall(expression: ts.Expression | undefined): boolean {
  const node = expression && unwrap(expression);
  return (
    !!node &&
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === 'require'
  );
}

/** `import`, `import =` and `require` bindings of a statement. */
function collectImports(statement: ts.Statement, imports: Map<string, TsImport>): void {
  if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
    const module = statement.moduleSpecifier.text;
    const clause = statement.importClause;
    if (!clause) return;
    if (clause.name)
      imports.set(clause.name.text, { local: clause.name.text, module, imported: 'default' });
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings))
      imports.set(bindings.name.text, { local: bindings.name.text, module, imported: '*' });
    else if (bindings)
      for (const element of bindings.elements)
        imports.set(element.name.text, {
          local: element.name.text,
          module,
          imported: (element.propertyName ?? element.name).text,
        });
    return;
  }
  if (ts.isVariableStatement(statement)) {
    for (const declaration of statement.declarationList.declarations) {
      const init = declaration.initializer && unwrap(declaration.initializer);
      if (!init || !ts.isCallExpression(init)) continue;
      if (!ts.isIdentifier(init.expression) || init.expression.text !== 'require') continue;
      const [specifier] = init.arguments;
      if (!specifier || !ts.isStringLiteralLike(specifier)) continue;
      const module = specifier.text;
      if (ts.isIdentifier(declaration.name))
        imports.set(declaration.name.text, { local: declaration.name.text, module, imported: '*' });
      else if (ts.isObjectBindingPattern(declaration.name))
        for (const element of declaration.name.elements) {
          if (!ts.isIdentifier(element.name)) continue;
          const imported = element.propertyName
            ? propertyNameText(element.propertyName)
            : element.name.text;
          imports.set(element.name.text, { local: element.name.text, module, imported });
        }
    }
  }
}

/**
 * The bindings of a dynamic import in `fn`, where `node` is the `import('./m')` call:
 * `const { a, b: c } = await import('./m')` binds `a` and `c`, and `cache.a = await
 * import('./m').then((mod) => mod.a)` binds `cache.a` (the handler cache of cal.com's older
 * routers). Other uses (`(await import('./m')).a()`) bind no name.
 */
function recordDynamicImport(node: TsCall['node'], fn: TsFunction): void {
  if (!ts.isCallExpression(node)) return;
  const [specifier] = node.arguments;
  if (!specifier || !ts.isStringLiteralLike(specifier)) return;
  const bind = (local: string, imported: string): void => {
    fn.dynamicImports ??= new Map();
    fn.dynamicImports.set(local, { local, module: specifier.text, imported });
  };
  const cached = cachedExport(node);
  if (cached) {
    bind(cached.holder, cached.name);
    return;
  }
  const awaited = semanticParent(node);
  const declaration = awaited && ts.isAwaitExpression(awaited) && semanticParent(awaited);
  if (!declaration || !ts.isVariableDeclaration(declaration)) return;
  if (!ts.isObjectBindingPattern(declaration.name)) return;
  for (const element of declaration.name.elements) {
    if (!ts.isIdentifier(element.name) || element.dotDotDotToken) continue;
    bind(
      element.name.text,
      element.propertyName ? propertyNameText(element.propertyName) : element.name.text,
    );
  }
}

/**
 * `cache.a = await import('./m').then((mod) => mod.a)` around the `import('./m')` call `node`:
 * the chain it is stored in (`cache.a`) and the export (`a`).
 */
function cachedExport(node: ts.CallExpression): { holder: string; name: string } | undefined {
  const then = semanticParent(node);
  if (!then || !ts.isPropertyAccessExpression(then) || then.name.text !== 'then') return undefined;
  const call = then.parent;
  if (!ts.isCallExpression(call) || call.expression !== then) return undefined;
  const [callback] = call.arguments;
  if (!callback || !ts.isArrowFunction(callback) || callback.parameters.length !== 1)
    return undefined;
  const [parameter] = callback.parameters;
  const body = unwrap(callback.body as ts.Expression);
  if (!ts.isIdentifier(parameter.name) || !ts.isPropertyAccessExpression(body)) return undefined;
  const owner = unwrap(body.expression);
  if (!ts.isIdentifier(owner) || owner.text !== parameter.name.text) return undefined;
  const awaited = semanticParent(call);
  const assignment = awaited && ts.isAwaitExpression(awaited) && semanticParent(awaited);
  if (!assignment || !ts.isBinaryExpression(assignment)) return undefined;
  if (assignment.operatorToken.kind !== ts.SyntaxKind.EqualsToken) return undefined;
  const holder = ts.isPropertyAccessExpression(assignment.left) && chainText(assignment.left);
  return holder ? { holder, name: body.name.text } : undefined;
}

/** The dynamic import that binds `name` (or a chain, `cache.a`) in `fn` or a function around it. */
export function dynamicImportBinding(
  fn: TsFunction | undefined,
  name: string,
): TsImport | undefined {
  for (let scope = fn; scope; scope = scope.parent) {
    const bound = scope.dynamicImports?.get(name);
    if (bound) return bound;
  }
  return undefined;
}

/**
 * The import that binds `name` where `fn` runs: a dynamic import in `fn` or a function around
 * it (the nearest scope wins), else the file's own imports.
 */
export function importBinding(
  model: TsModel,
  fn: TsFunction | undefined,
  name: string,
): TsImport | undefined {
  return dynamicImportBinding(fn, name) ?? model.imports.get(name);
}

/** Builds the model of a parsed file. */
export function buildTsModel(sourceFile: ts.SourceFile, relativePath: string): TsModel {
  // Calls by node, so a callback can find the call it is passed to (and rules, a node's call).
  const callOf = new Map<ts.Node, TsCall>();
  const model: TsModel = {
    sourceFile,
    text: sourceFile.text,
    relativePath,
    functions: [],
    calls: [],
    loops: [],
    imports: new Map(),
    moduleVariables: new Map(),
    callAt: (node) => callOf.get(node),
  };
  for (const statement of sourceFile.statements) {
    collectImports(statement, model.imports);
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name))
          model.moduleVariables.set(declaration.name.text, declaration);
  }
  const addLoop = (loop: TsLoop): TsLoop => {
    model.loops.push(loop);
    return loop;
  };

  // Where the walk is: the innermost function and the loops around the node being visited. Kept
  // in variables (saved and restored around functions and loop bodies) so the walk needs one
  // `forEachChild` callback, not a closure per node.
  let fn: TsFunction | undefined;
  let loops: TsLoop[] = [];
  const visitChild = (child: ts.Node): undefined => {
    visit(child);
    return undefined;
  };
  /** Visits `node` as if inside `innerFn` and `innerLoops`. */
  const visitIn = (node: ts.Node, innerFn: TsFunction | undefined, innerLoops: TsLoop[]): void => {
    const outerFn = fn;
    const outerLoops = loops;
    fn = innerFn;
    loops = innerLoops;
    visit(node);
    fn = outerFn;
    loops = outerLoops;
  };

  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      visitFunction(node as ts.SignatureDeclaration & { body: ts.Node });
      return;
    }
    switch (node.kind) {
      case ts.SyntaxKind.ForStatement: {
        const loop = node as ts.ForStatement;
        const record = addLoop({ kind: 'for', node, body: loop.statement, fn });
        if (loop.initializer) visit(loop.initializer);
        const inner = [...loops, record];
        if (loop.condition) visitIn(loop.condition, fn, inner);
        if (loop.incrementor) visitIn(loop.incrementor, fn, inner);
        visitIn(loop.statement, fn, inner);
        return;
      }
      case ts.SyntaxKind.ForOfStatement:
      case ts.SyntaxKind.ForInStatement: {
        const loop = node as ts.ForOfStatement | ts.ForInStatement;
        const kind = ts.isForInStatement(loop)
          ? 'for-in'
          : loop.awaitModifier
            ? 'for-await'
            : 'for-of';
        const record = addLoop({ kind, node, iterable: loop.expression, body: loop.statement, fn });
        visit(loop.initializer);
        visit(loop.expression);
        visitIn(loop.statement, fn, [...loops, record]);
        return;
      }
      case ts.SyntaxKind.WhileStatement:
      case ts.SyntaxKind.DoStatement: {
        const loop = node as ts.WhileStatement | ts.DoStatement;
        const kind = ts.isWhileStatement(loop) ? 'while' : 'do';
        const record = addLoop({ kind, node, body: loop.statement, fn });
        const inner = [...loops, record];
        visitIn(loop.expression, fn, inner);
        visitIn(loop.statement, fn, inner);
        return;
      }
      case ts.SyntaxKind.CallExpression:
      case ts.SyntaxKind.NewExpression:
      case ts.SyntaxKind.TaggedTemplateExpression:
        recordCall(node as TsCall['node']);
        break;
    }
    ts.forEachChild(node, visitChild);
  };

  const recordCall = (node: TsCall['node']): void => {
    const target = ts.isTaggedTemplateExpression(node) ? node.tag : node.expression;
    const inner = unwrap(target);
    // The receiver's chain is the callee's chain up to its last name: computed once for both.
    let receiver: ts.Expression | undefined;
    let receiverText: string | undefined;
    let chain: string;
    let name: string;
    if (ts.isPropertyAccessExpression(inner)) {
      receiver = inner.expression;
      receiverText = chainText(receiver);
      name = inner.name.text;
      chain = receiverText ? `${receiverText}.${name}` : '';
    } else if (ts.isElementAccessExpression(inner)) {
      receiver = inner.expression;
      receiverText = chainText(receiver);
      chain =
        receiverText && ts.isStringLiteralLike(inner.argumentExpression)
          ? `${receiverText}.${inner.argumentExpression.text}`
          : '';
      name = chain.split('.').pop() ?? '';
    } else {
      chain = chainText(inner);
      name = ts.isIdentifier(inner) ? inner.text : (chain.split('.').pop() ?? '');
    }
    const call: TsCall = {
      node,
      callee: ts.isNewExpression(node) ? `new ${chain}` : chain,
      name,
      receiver,
      receiverText,
      isNew: ts.isNewExpression(node),
      isTaggedTemplate: ts.isTaggedTemplateExpression(node),
      args: ts.isTaggedTemplateExpression(node) ? [] : (node.arguments ?? []),
      fn,
      loops,
      awaited: isAwaited(node),
      start: node.getStart(sourceFile),
      end: node.end,
    };
    model.calls.push(call);
    callOf.set(node, call);
    if (fn && target.kind === ts.SyntaxKind.ImportKeyword) recordDynamicImport(node, fn);
  };

  /** Records a function (inside the current one) and walks it. */
  const visitFunction = (node: ts.SignatureDeclaration & { body: ts.Node }): void => {
    const outer = fn;
    const { name, nameNode } = functionName(node, model.imports);
    const parent = semanticParent(node);
    // A memoised function (`const f = cache(async () => ...)`) is `f` itself, not a callback.
    const callbackOf =
      parent &&
      (ts.isCallExpression(parent) || ts.isNewExpression(parent)) &&
      !memoWrapperOf(node, model.imports)
        ? callOf.get(parent)
        : undefined;
    const start = node.getStart(sourceFile);
    const inner: TsFunction = {
      node,
      name,
      className: enclosingClassName(node),
      isAsync: hasModifier(node, ts.SyntaxKind.AsyncKeyword),
      exported: isExported(node, model.imports),
      parent: outer,
      callbackOf,
      params: paramNames(node),
      start,
      end: node.end,
      nameStart: nameNode ? nameNode.getStart(sourceFile) : start,
      nameEnd: nameNode ? nameNode.end : start,
    };
    model.functions.push(inner);
    // An iteration callback runs once per item: calls inside it are in a loop of the caller.
    let innerLoops: TsLoop[] = [];
    if (
      callbackOf &&
      !callbackOf.isNew &&
      ITERATION_METHODS.has(callbackOf.name) &&
      callbackOf.receiver &&
      callbackOf.args.includes(node as unknown as ts.Expression)
    ) {
      innerLoops = [
        ...loops,
        addLoop({
          kind: 'callback',
          node: callbackOf.node,
          iterable: callbackOf.receiver,
          body: node.body,
          method: callbackOf.name,
          call: callbackOf.node as ts.CallExpression,
          fn: outer,
        }),
      ];
    }
    for (const param of node.parameters)
      if (param.initializer) visitIn(param.initializer, inner, []);
    visitIn(node.body, inner, innerLoops);
  };

  for (const statement of sourceFile.statements) visit(statement);
  return model;
}

/** The functions enclosing `fn`, innermost first, `fn` included. */
export function* enclosingFunctions(fn: TsFunction | undefined): Generator<TsFunction> {
  for (let current = fn; current; current = current.parent) yield current;
}

/**
 * How a message quotes a call's callee: its dotted chain, or, when the chain holds calls, its
 * source on one line, so `ds.getRepository(Order).delete` does not read as
 * `ds.getRepository().delete` next to `ds.getRepository().findOne` of another entity. A long
 * chain first loses the value arguments of its later steps (`this.knex(collection).update(...)
 * .where`), then its first steps, whole. A callee no dotted chain writes (`prisma[model].findMany`,
 * a computed key, a `(tx || db)('users')` head) is quoted as written too.
 */
export function calleeDisplay(call: TsCall, max: number): string {
  const dotted = call.callee !== '' && !call.callee.includes('()');
  if (dotted || !ts.isCallExpression(call.node))
    return call.callee.length > max ? `${call.callee.slice(0, max - 1)}…` : call.callee;
  // Most chains fit whole: their one-line text is what the steps would join to.
  const expression = call.node.expression;
  const plain = oneLine(
    expression.getSourceFile().text.slice(expression.getStart(), expression.end),
  );
  if (plain.length <= max) return plain;
  const steps = chainSteps(expression, max);
  const text = steps.join('');
  if (text.length <= max) return text;
  // Cut from the front, at a step: the method and the entity or table before it say what the
  // call does (`…AppDataSource.getRepository(ChatMessage).delete`).
  for (let first = 1; first < steps.length; first++) {
    const rest = steps.slice(first).join('').slice(1);
    if (rest.length < max) return `…${rest}`;
  }
  return `…${text.slice(text.length - max + 1)}`;
}

/** Source text on one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '').replace(/\s+/g, ' ');
}

/**
 * Whether an argument list only names things (`'users'`, `collection`, `this.table`, `1`,
 * `` `${Users}.id` ``).
 */
function onlyNames(args: ts.NodeArray<ts.Expression>): boolean {
  return args.every((arg) => {
    const node = unwrap(arg);
    return (
      ts.isIdentifier(node) ||
      ts.isStringLiteralLike(node) ||
      ts.isTemplateExpression(node) ||
      ts.isNumericLiteral(node) ||
      (ts.isPropertyAccessExpression(node) && chainText(node) !== '')
    );
  });
}

/**
 * A chain's source on one line, split before each `.step`, with the value arguments of its later
 * steps written `...`, longest first, until it is `max` long: `this.knex(collection)`,
 * `.update(...)`, `.where`. The first call keeps its arguments, which name the table or entity
 * (`knex(collection)`, `getRepository(Order)`), and so do steps given only names
 * (`from(collection)`).
 */
function chainSteps(callee: ts.Expression, max: number): string[] {
  const source = callee.getSourceFile().text;
  const ranges: ts.NodeArray<ts.Expression>[] = [];
  const cuts: number[] = [];
  for (let node = unwrap(callee); ; node = unwrap(node.expression)) {
    if (ts.isCallExpression(node)) ranges.push(node.arguments);
    else if (ts.isPropertyAccessExpression(node)) cuts.unshift(node.name.getStart() - 1);
    else break;
  }
  // The innermost call names what the chain works on.
  ranges.pop();
  const bounds = [callee.getStart(), ...cuts, callee.end];
  const render = (elided: readonly ts.TextRange[]): string[] =>
    bounds.slice(1).map((end, i) => {
      let text = '';
      let at = bounds[i];
      for (const range of [...elided].sort((a, b) => a.pos - b.pos))
        if (range.pos >= at && range.end <= end) {
          text += `${source.slice(at, range.pos)}...`;
          at = range.end;
        }
      return oneLine(text + source.slice(at, end));
    });
  const candidates = ranges
    .filter((range) => range.length > 0 && !onlyNames(range))
    .sort((a, b) => b.end - b.pos - (a.end - a.pos));
  const whole = render([]);
  // Eliding helps only when the whole chain then fits: cut from the front, steps keep their
  // arguments, which say more than `(...)` does (`` …whereNull(`${Space}.deleted_at`).select ``).
  const fits = (steps: string[]): boolean => steps.join('').length <= max;
  if (fits(whole) || !fits(render(candidates))) return whole;
  const elided: ts.TextRange[] = [];
  let steps = whole;
  for (const range of candidates) {
    if (fits(steps)) break;
    elided.push(range);
    steps = render(elided);
  }
  return steps;
}

const importTestsOfModel = new WeakMap<TsModel, Map<(module: string) => boolean, boolean>>();

/**
 * Whether the file imports (or `require`s) anything from a module `test` accepts, answered once per
 * file and test: `test` should be a module-level function, so repeated asks share the answer.
 */
export function importsModule(model: TsModel, test: (module: string) => boolean): boolean {
  let answers = importTestsOfModel.get(model);
  if (!answers) {
    answers = new Map();
    importTestsOfModel.set(model, answers);
  }
  let found = answers.get(test);
  if (found === undefined) {
    found = [...model.imports.values()].some((imported) => test(imported.module));
    answers.set(test, found);
  }
  return found;
}
