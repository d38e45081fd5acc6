/**
 * Syntactic name resolution for one file: which declaration an identifier refers to, where a name
 * is used, and walks that stay inside one function. The model has no type checker; lexical scopes
 * (blocks, functions, catch clauses, loop heads) are enough for the memory-leak and polling rules,
 * which ask "is this declared inside that callback or outside it?".
 */
import { ts } from './compiler';

/** A function-like node with a body: declaration, expression, arrow, method or accessor. */
export function isFunctionWithBody(
  node: ts.Node,
): node is ts.SignatureDeclaration & { body: ts.Node } {
  return ts.isFunctionLike(node) && 'body' in node && node.body !== undefined;
}

/** Visits the descendants of `node` (not `node` itself) without entering nested functions. */
export function forEachOwnDescendant(node: ts.Node, visit: (child: ts.Node) => void): void {
  const walk = (current: ts.Node): void => {
    ts.forEachChild(current, (child) => {
      visit(child);
      if (!isFunctionWithBody(child) && !ts.isClassLike(child)) walk(child);
    });
  };
  walk(node);
}

/** Visits every descendant of `node`, nested functions included. */
export function forEachDescendant(node: ts.Node, visit: (child: ts.Node) => void): void {
  const walk = (current: ts.Node): void => {
    ts.forEachChild(current, (child) => {
      visit(child);
      walk(child);
    });
  };
  walk(node);
}

/** The identifiers a binding name declares (`a`, `{ a, b: c }`, `[a, ...rest]`). */
export function bindingIdentifiers(name: ts.BindingName): ts.Identifier[] {
  if (ts.isIdentifier(name)) return [name];
  return name.elements.flatMap((element) =>
    ts.isBindingElement(element) ? bindingIdentifiers(element.name) : [],
  );
}

/** Every name the statements declare: variables, functions, classes, enums and imports. */
function declaredInStatements(statements: readonly ts.Statement[]): ts.Identifier[] {
  const found: ts.Identifier[] = [];
  for (const statement of statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        found.push(...bindingIdentifiers(declaration.name));
    } else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      found.push(statement.name);
    } else if (ts.isImportDeclaration(statement) && statement.importClause) {
      const clause = statement.importClause;
      if (clause.name) found.push(clause.name);
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) found.push(bindings.name);
      else if (bindings && ts.isNamedImports(bindings))
        for (const element of bindings.elements) found.push(element.name);
    }
  }
  return found;
}

/** Declarations of a statement list by name, built once per block (lookups repeat per reference). */
const blockDeclarations = new WeakMap<ts.Node, Map<string, ts.Identifier>>();

function statementDeclarations(
  scope: ts.SourceFile | ts.Block | ts.ModuleBlock,
): Map<string, ts.Identifier> {
  let names = blockDeclarations.get(scope);
  if (!names) {
    names = new Map();
    for (const id of declaredInStatements(scope.statements))
      if (!names.has(id.text)) names.set(id.text, id);
    blockDeclarations.set(scope, names);
  }
  return names;
}

/** The names a scope node declares directly, matching `name`. */
function declaredIn(scope: ts.Node, name: string): ts.Identifier | undefined {
  if (ts.isSourceFile(scope) || ts.isBlock(scope) || ts.isModuleBlock(scope))
    return statementDeclarations(scope).get(name);
  if (ts.isCaseBlock(scope))
    return scope.clauses
      .flatMap((clause) => declaredInStatements(clause.statements))
      .find((id) => id.text === name);
  if (isFunctionWithBody(scope)) {
    for (const param of scope.parameters) {
      const id = bindingIdentifiers(param.name).find((binding) => binding.text === name);
      if (id) return id;
    }
    // A named function expression sees its own name.
    if (
      (ts.isFunctionExpression(scope) || ts.isClassExpression(scope)) &&
      scope.name?.text === name
    )
      return scope.name;
    return undefined;
  }
  if (
    (ts.isForStatement(scope) || ts.isForOfStatement(scope) || ts.isForInStatement(scope)) &&
    scope.initializer &&
    ts.isVariableDeclarationList(scope.initializer)
  ) {
    for (const declaration of scope.initializer.declarations) {
      const id = bindingIdentifiers(declaration.name).find((binding) => binding.text === name);
      if (id) return id;
    }
  }
  if (ts.isCatchClause(scope) && scope.variableDeclaration) {
    return bindingIdentifiers(scope.variableDeclaration.name).find((id) => id.text === name);
  }
  return undefined;
}

/**
 * The identifier that declares the name `id` refers to (a variable, parameter, function, class or
 * import binding), or undefined for globals and names this file does not declare.
 */
export function declarationOf(id: ts.Identifier): ts.Identifier | undefined {
  for (let scope: ts.Node | undefined = id.parent; scope; scope = scope.parent) {
    const found = declaredIn(scope, id.text);
    if (found) return found;
  }
  return undefined;
}

/** Whether an identifier is a name being read or written, not a property key or declaration. */
export function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (!parent) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === id) return false;
  if (ts.isQualifiedName(parent) && parent.right === id) return false;
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isGetAccessor(parent) ||
      ts.isSetAccessor(parent) ||
      ts.isEnumMember(parent)) &&
    parent.name === id
  )
    return false;
  if (ts.isBindingElement(parent) && (parent.name === id || parent.propertyName === id))
    return false;
  if (
    (ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isFunctionDeclaration(parent) ||
      ts.isFunctionExpression(parent) ||
      ts.isClassDeclaration(parent) ||
      ts.isClassExpression(parent)) &&
    parent.name === id
  )
    return false;
  if (
    ts.isImportSpecifier(parent) ||
    ts.isImportClause(parent) ||
    ts.isNamespaceImport(parent) ||
    ts.isExportSpecifier(parent) ||
    ts.isLabeledStatement(parent) ||
    ts.isBreakOrContinueStatement(parent) ||
    ts.isJsxAttribute(parent)
  )
    return false;
  // Type positions (`typeof x` in a type, `x.Y` type names) run no code.
  if (ts.isTypeQueryNode(parent) || ts.isTypeReferenceNode(parent)) return false;
  return true;
}

/** Identifiers of each file by name, built once per parsed file (rules ask about many names). */
const identifierIndexes = new WeakMap<ts.SourceFile, Map<string, ts.Identifier[]>>();

/** Every identifier in the file spelled `name` (references, declarations and property names). */
export function identifiersNamed(
  sourceFile: ts.SourceFile,
  name: string,
): readonly ts.Identifier[] {
  let index = identifierIndexes.get(sourceFile);
  if (!index) {
    const built = new Map<string, ts.Identifier[]>();
    forEachDescendant(sourceFile, (node) => {
      if (!ts.isIdentifier(node)) return;
      const list = built.get(node.text);
      if (list) list.push(node);
      else built.set(node.text, [node]);
    });
    identifierIndexes.set(sourceFile, built);
    index = built;
  }
  return index.get(name) ?? [];
}

/** Every reference in `root` to the binding `declaration` declares. */
export function referencesTo(root: ts.Node, declaration: ts.Identifier): ts.Identifier[] {
  return identifiersNamed(declaration.getSourceFile(), declaration.text).filter(
    (node) =>
      node !== declaration &&
      isWithin(node, root) &&
      isReference(node) &&
      declarationOf(node) === declaration,
  );
}

/** Whether `inner` lies within `outer` (by position; both from the same file). */
export function isWithin(inner: ts.Node, outer: ts.Node): boolean {
  return inner.pos >= outer.pos && inner.end <= outer.end;
}

/** The innermost function-like node with a body that contains `node`, if any. */
export function enclosingFunctionNode(
  node: ts.Node,
): (ts.SignatureDeclaration & { body: ts.Node }) | undefined {
  for (let current = node.parent; current; current = current.parent)
    if (isFunctionWithBody(current)) return current;
  return undefined;
}

/** A variable declared in a function, as `localVariableOf` finds it. */
export interface LocalVariable {
  /** The name where it is declared (what `declarationOf` returns for its uses). */
  declaration: ts.Identifier;
  holder: ts.VariableDeclaration & { initializer: ts.Expression };
  /** The function it is declared in, where all its uses are. */
  scope: ts.SignatureDeclaration & { body: ts.Node };
}

/**
 * The variable `id` names when it is a plain `const`/`let`/`var` with an initializer, declared in
 * the function that uses it (`const qb = repo.createQueryBuilder('u')` read by `qb.getMany()`).
 */
export function localVariableOf(id: ts.Identifier): LocalVariable | undefined {
  const declaration = declarationOf(id);
  const holder = declaration?.parent;
  if (!declaration || !holder || !ts.isVariableDeclaration(holder) || holder.name !== declaration)
    return undefined;
  if (!holder.initializer) return undefined;
  const scope = enclosingFunctionNode(holder);
  if (!scope || scope !== enclosingFunctionNode(id)) return undefined;
  return { declaration, holder: holder as LocalVariable['holder'], scope };
}

/** The initializer of the `const` `id` names, declared in the function that uses it. */
export function localConstInitializer(id: ts.Identifier): ts.Expression | undefined {
  const local = localVariableOf(id);
  const list = local?.holder.parent;
  if (!local || !list || !ts.isVariableDeclarationList(list)) return undefined;
  return list.flags & ts.NodeFlags.Const ? local.holder.initializer : undefined;
}

/**
 * The initializer of the `const` `id` names, or of a `let` that nothing assigns again (`let
 * delegate = prisma[model]` never written after), declared in the function that uses it. Every
 * write anywhere in that function, closures included, counts: the value may then be anything.
 */
export function localUnchangedInitializer(id: ts.Identifier): ts.Expression | undefined {
  const local = localVariableOf(id);
  const list = local?.holder.parent;
  if (!local || !list || !ts.isVariableDeclarationList(list)) return undefined;
  if (list.flags & ts.NodeFlags.Const) return local.holder.initializer;
  // A `var` may be declared again further down, which is a write no reference shows.
  if (!(list.flags & ts.NodeFlags.Let)) return undefined;
  const written = referencesTo(local.scope, local.declaration).some(isWrittenReference);
  return written ? undefined : local.holder.initializer;
}

/** Whether a reference is written: `x = ...`, `x += ...`, `x++`, `[x] = ...`, `for (x of ...)`. */
export function isWrittenReference(reference: ts.Identifier): boolean {
  const parent = reference.parent;
  if (
    (ts.isPrefixUnaryExpression(parent) || ts.isPostfixUnaryExpression(parent)) &&
    (parent.operator === ts.SyntaxKind.PlusPlusToken ||
      parent.operator === ts.SyntaxKind.MinusMinusToken)
  )
    return true;
  // Climb out of destructuring targets (`[x] = ...`, `({ x } = ...)`, `({ a: x } = ...)`).
  let target: ts.Node = reference;
  while (
    ts.isParenthesizedExpression(target.parent) ||
    ts.isArrayLiteralExpression(target.parent) ||
    ts.isSpreadElement(target.parent) ||
    ts.isShorthandPropertyAssignment(target.parent) ||
    ts.isSpreadAssignment(target.parent) ||
    (ts.isPropertyAssignment(target.parent) && target.parent.initializer === target) ||
    ts.isObjectLiteralExpression(target.parent)
  )
    target = target.parent;
  const holder = target.parent;
  if (isAssignment(holder) && holder.left === target) return true;
  return (
    (ts.isForOfStatement(holder) || ts.isForInStatement(holder)) && holder.initializer === target
  );
}

/** `a = b`, `a += b`, `a ??= b` and the other assignments: the operators TypeScript ranks as such. */
export function isAssignment(node: ts.Node): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
    node.operatorToken.kind <= ts.SyntaxKind.LastAssignment
  );
}

/** Whether `name` is declared or used anywhere in the file (a cheap clash check for new names). */
export function nameIsUsed(sourceFile: ts.SourceFile, name: string): boolean {
  return identifiersNamed(sourceFile, name).length > 0;
}

/** The first of `candidates` no identifier in the file spells. */
export function unusedName(sourceFile: ts.SourceFile, candidates: readonly string[]): string {
  for (const candidate of candidates) if (!nameIsUsed(sourceFile, candidate)) return candidate;
  let n = 2;
  while (nameIsUsed(sourceFile, `${candidates[0]}${n}`)) n++;
  return `${candidates[0]}${n}`;
}

/** The whitespace that starts the line `offset` is on. */
export function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))![0];
}
