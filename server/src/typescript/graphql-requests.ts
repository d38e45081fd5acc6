/**
 * GraphQL over HTTP: every operation is a POST, so the method alone cannot tell a read from a
 * write. The operation text can: a `query` (or the `{ ... }` shorthand) reads, a `mutation`
 * writes. Only operations written in place are read; any other body says nothing.
 */
import { ts } from './compiler';
import { unwrap, type TsCall } from './model';
import { findProperty } from './object-literals';

/** A query operation: `{ orders { id } }` or `query Pending($n: Int) { ... }`, not a mutation. */
const QUERY_OPERATION = /^\s*(?:\{|query\s*(?:\w+\s*)?[({])/;

/**
 * Whether a POST sends a GraphQL query written in place: `fetch(url, { method: 'POST', body:
 * JSON.stringify({ query: '{ ... }' }) })` or `axios.post(url, { query: '{ ... }' })`.
 */
export function postsGraphqlQuery(call: TsCall): boolean {
  const payload = call.name === 'fetch' ? stringifiedBody(call.args[1]) : call.args[1];
  const object = payload && unwrap(payload);
  if (!object || !ts.isObjectLiteralExpression(object)) return false;
  const query = findProperty(object, 'query');
  if (!query || !ts.isPropertyAssignment(query)) return false;
  const text = leadingText(unwrap(query.initializer));
  return text !== undefined && QUERY_OPERATION.test(text);
}

/** The object `JSON.stringify(...)` serialises as `body` of fetch options. */
function stringifiedBody(options: ts.Expression | undefined): ts.Expression | undefined {
  const object = options && unwrap(options);
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  const body = findProperty(object, 'body');
  if (!body || !ts.isPropertyAssignment(body)) return undefined;
  const value = unwrap(body.initializer);
  if (!ts.isCallExpression(value) || value.expression.getText() !== 'JSON.stringify')
    return undefined;
  return value.arguments[0];
}

/** The text a string or template starts with, up to its first substitution. */
function leadingText(node: ts.Expression): string | undefined {
  if (ts.isStringLiteralLike(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text;
  return undefined;
}
