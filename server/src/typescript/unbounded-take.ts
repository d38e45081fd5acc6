import { ts } from './compiler';
import {
  declarationOf,
  enclosingFunctionNode,
  isWithin,
  isWrittenReference,
  referencesTo,
} from './name-resolution';
import { unwrap } from './model';

/** Values that bound nothing: `Number.MAX_SAFE_INTEGER`, `Number.MAX_VALUE`, `Infinity`. */
function isEndless(expression: ts.Expression): boolean {
  const value = unwrap(expression);
  if (ts.isIdentifier(value)) return value.text === 'Infinity';
  return (
    ts.isPropertyAccessExpression(value) &&
    ts.isIdentifier(value.expression) &&
    value.expression.text === 'Number' &&
    ['MAX_SAFE_INTEGER', 'MAX_VALUE', 'POSITIVE_INFINITY'].includes(value.name.text)
  );
}

/**
 * The endless default of the parameter `id` names (`take = Number.MAX_SAFE_INTEGER`, also
 * destructured from an options object), as written.
 */
function endlessDefault(id: ts.Identifier): string | undefined {
  const declaration = declarationOf(id);
  const holder = declaration?.parent;
  if (!declaration || !holder || (!ts.isBindingElement(holder) && !ts.isParameter(holder)))
    return undefined;
  const initializer = holder.initializer;
  if (!initializer || !isEndless(initializer)) return undefined;
  const fn = enclosingFunctionNode(holder);
  if (!fn || !fn.parameters.some((parameter) => isWithin(holder, parameter))) return undefined;
  // A parameter written again in the body (`take = Math.min(take, 100)`) may be bounded there.
  if (referencesTo(fn.body, declaration).some(isWrittenReference)) return undefined;
  return initializer.getText();
}

/**
 * How a `take` property bounds nothing, for a message: `take: Infinity` as written, or a `take`
 * whose parameter defaults to an endless value (Ghostfolio's `getMarketData({ take =
 * Number.MAX_SAFE_INTEGER })`: a caller that passes no `take` reads every row). Undefined for any
 * other `take`, which is taken for a bound.
 */
export function endlessTake(property: ts.ObjectLiteralElementLike): string | undefined {
  if (ts.isShorthandPropertyAssignment(property)) {
    const fallback = endlessDefault(property.name);
    return fallback && `\`take\` defaulting to \`${fallback}\``;
  }
  if (!ts.isPropertyAssignment(property)) return undefined;
  const value = unwrap(property.initializer);
  if (isEndless(value)) return `\`take: ${value.getText()}\``;
  // `take: take ?? Number.MAX_SAFE_INTEGER`, `take: limit || Infinity`.
  if (
    ts.isBinaryExpression(value) &&
    (value.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
      value.operatorToken.kind === ts.SyntaxKind.BarBarToken) &&
    isEndless(value.right)
  )
    return `\`take\` defaulting to \`${unwrap(value.right).getText()}\``;
  if (!ts.isIdentifier(value)) return undefined;
  const fallback = endlessDefault(value);
  return fallback && `\`take\` defaulting to \`${fallback}\``;
}
