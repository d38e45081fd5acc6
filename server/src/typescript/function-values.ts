/** Functions as values: the function a variable holds, and the values a function returns. */
import { ts } from './compiler';
import { unwrap } from './model';

/**
 * The values a function body returns: an arrow's expression body, else its `return`s outside
 * nested functions.
 */
export function returnedValues(body: ts.ConciseBody): ts.Expression[] {
  if (!ts.isBlock(body)) return [body];
  const values: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node)) return;
    if (ts.isReturnStatement(node) && node.expression) values.push(node.expression);
    else ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return values;
}

/**
 * What a function expression returns when its body is an expression or a lone `return` (callbacks
 * written as one expression: `(qb) => qb.where(...)`, `() => { return users.id; }`); undefined for
 * anything else. Parentheses are left on the value for the caller to unwrap or keep.
 */
export function returnedExpression(fn: ts.Expression): ts.Expression | undefined {
  const node = unwrap(fn);
  if (!ts.isArrowFunction(node) && !ts.isFunctionExpression(node)) return undefined;
  if (!ts.isBlock(node.body)) return node.body;
  const [only, ...rest] = node.body.statements;
  return only && rest.length === 0 && ts.isReturnStatement(only) ? only.expression : undefined;
}

/** The function a variable holds (`export const getDb = () => client.db('app')`), if any. */
export function functionValue(
  declaration: ts.VariableDeclaration,
): ts.SignatureDeclaration | undefined {
  const value = declaration.initializer && unwrap(declaration.initializer);
  return value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value)) ? value : undefined;
}
