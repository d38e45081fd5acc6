/**
 * Which names a piece of code binds and which it reads, syntactically (no type checker): enough to
 * tell whether one statement uses what an earlier one produced, or whether a loop's next request
 * needs the previous response. Reads are over-approximated (a shadowing inner binding still counts
 * as a read), which only makes the callers more cautious.
 */
import { lazyKinds, ts } from './compiler';
import { isReference } from './name-resolution';

/** The names a binding pattern introduces: `a`, `{ a, b: { c } }`, `[d, ...e]`. */
export function boundNames(name: ts.BindingName, into: Set<string> = new Set()): Set<string> {
  if (ts.isIdentifier(name)) into.add(name.text);
  else
    for (const element of name.elements)
      if (ts.isBindingElement(element)) boundNames(element.name, into);
  return into;
}

/** Every name `node` reads (type positions left out: they do not exist at run time). */
export function readNames(node: ts.Node, into: Set<string> = new Set()): Set<string> {
  const visit = (current: ts.Node): void => {
    if (ts.isTypeNode(current)) return;
    if (ts.isIdentifier(current)) {
      if (isReference(current)) into.add(current.text);
      return;
    }
    if (ts.isShorthandPropertyAssignment(current)) {
      into.add(current.name.text);
      return;
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return into;
}

/** Whether `node` reads any of `names`. */
export function readsAny(node: ts.Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  for (const name of readNames(node)) if (names.has(name)) return true;
  return false;
}

/** The root variable an assignment target writes through: `x` for `x`, `x.y[0]`, `x!.y`; `this` for `this.x`. */
export function assignedRoot(target: ts.Expression): string | undefined {
  let current: ts.Expression = target;
  for (;;) {
    if (ts.isIdentifier(current)) return current.text;
    if (current.kind === ts.SyntaxKind.ThisKeyword) return 'this';
    if (
      ts.isPropertyAccessExpression(current) ||
      ts.isElementAccessExpression(current) ||
      ts.isParenthesizedExpression(current) ||
      ts.isNonNullExpression(current) ||
      ts.isAsExpression(current)
    )
      current = current.expression;
    else return undefined;
  }
}

const ASSIGNMENT_OPERATORS = lazyKinds(() => [
  ts.SyntaxKind.EqualsToken,
  ts.SyntaxKind.PlusEqualsToken,
  ts.SyntaxKind.MinusEqualsToken,
  ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken,
  ts.SyntaxKind.PercentEqualsToken,
  ts.SyntaxKind.AsteriskAsteriskEqualsToken,
  ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken,
  ts.SyntaxKind.CaretEqualsToken,
  ts.SyntaxKind.AmpersandAmpersandEqualsToken,
  ts.SyntaxKind.BarBarEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken,
]);

/** An assignment found in code: what it writes (roots of its targets) and the value assigned. */
export interface Assignment {
  roots: string[];
  /** The assigned value; undefined for `x++`. */
  value?: ts.Expression;
  node: ts.Node;
}

function targetRoots(target: ts.Expression, into: string[]): void {
  const inner = ts.isParenthesizedExpression(target) ? target.expression : target;
  if (ts.isArrayLiteralExpression(inner)) {
    for (const element of inner.elements)
      targetRoots(ts.isSpreadElement(element) ? element.expression : element, into);
    return;
  }
  if (ts.isObjectLiteralExpression(inner)) {
    for (const property of inner.properties) {
      if (ts.isShorthandPropertyAssignment(property)) into.push(property.name.text);
      else if (ts.isPropertyAssignment(property)) targetRoots(property.initializer, into);
      else if (ts.isSpreadAssignment(property)) targetRoots(property.expression, into);
    }
    return;
  }
  // A target whose root is not a name (`make().x = 1`) is recorded as `?`: written, but unknown.
  into.push(assignedRoot(inner) ?? '?');
}

/**
 * Assignments (`=`, `+=`, `++`, destructuring) inside `node`; nested functions are left out unless
 * `nested` is set (a closure in a loop body that assigns outside still runs per item).
 */
export function assignmentsIn(node: ts.Node, nested = false): Assignment[] {
  const found: Assignment[] = [];
  const visit = (current: ts.Node): void => {
    if (!nested && ts.isFunctionLike(current)) return;
    if (ts.isBinaryExpression(current) && ASSIGNMENT_OPERATORS().has(current.operatorToken.kind)) {
      const roots: string[] = [];
      targetRoots(current.left, roots);
      found.push({ roots, value: current.right, node: current });
    } else if (
      (ts.isPrefixUnaryExpression(current) || ts.isPostfixUnaryExpression(current)) &&
      (current.operator === ts.SyntaxKind.PlusPlusToken ||
        current.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      found.push({ roots: [assignedRoot(current.operand) ?? '?'], node: current });
    }
    ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}

/**
 * Names declared inside `node` by `let`/`const`/`var`, functions and classes; with `nested`, also
 * the declarations and parameters inside nested functions.
 */
export function declaredNamesIn(node: ts.Node, nested = false): Set<string> {
  const names = new Set<string>();
  const visit = (current: ts.Node): void => {
    if (ts.isVariableDeclaration(current)) boundNames(current.name, names);
    if ((ts.isFunctionDeclaration(current) || ts.isClassDeclaration(current)) && current.name)
      names.add(current.name.text);
    if (nested && ts.isParameter(current)) boundNames(current.name, names);
    if (!nested && ts.isFunctionLike(current)) return;
    ts.forEachChild(current, visit);
  };
  visit(node);
  return names;
}

/** Whether `node` contains an `await` outside nested functions. */
export function containsAwait(node: ts.Node): boolean {
  let found = false;
  const visit = (current: ts.Node): void => {
    if (found || ts.isFunctionLike(current)) return;
    if (ts.isAwaitExpression(current) || (ts.isForOfStatement(current) && current.awaitModifier))
      found = true;
    else ts.forEachChild(current, visit);
  };
  visit(node);
  return found;
}
