/**
 * Filters built field by field: `const where: Prisma.OrderWhereInput = {}; if (q.status)
 * where.status = q.status; prisma.order.findMany({ where })`, as list endpoints with optional
 * query parameters write them. Every field assigned anywhere is taken as present at once: the
 * index checks then see the widest filter, and a field they report is unserved in every narrower
 * one too. Anything else done to the object (passed to a call, spread, a key computed at run
 * time, `delete`, an `AND` added) may add fields no one can see: then nothing is known.
 */
import { ts } from './compiler';
import { unwrap } from './model';
import { isAssignment, referencesTo } from './name-resolution';

/** A field of a filter: its name, where it is written, and its value. */
export interface FilledInField {
  key: string;
  node: ts.Node;
  value: ts.Expression;
}

export interface FilledInFilter {
  /** The object literal the filter starts as. */
  literal: ts.ObjectLiteralExpression;
  /** The fields assigned to it afterwards (`where.status = s`). */
  fields: FilledInField[];
}

/**
 * What the `const` `declaration` (declared in `scope`) holds, when every use other than `use` (the
 * query reading it) assigns a plain field (`where.status = s`) or reads one; undefined otherwise.
 */
export function filledInFields(
  declaration: ts.VariableDeclaration,
  scope: ts.Node,
  use: ts.Identifier,
): FilledInFilter | undefined {
  const literal = declaration.initializer && unwrap(declaration.initializer);
  if (!literal || !ts.isObjectLiteralExpression(literal) || !ts.isIdentifier(declaration.name))
    return undefined;
  const fields: FilledInField[] = [];
  const keys = new Set<string>();
  for (const reference of referencesTo(scope, declaration.name)) {
    if (reference === use || isQueryFilter(reference)) continue;
    const access = reference.parent;
    if (!ts.isPropertyAccessExpression(access) || access.expression !== reference) return undefined;
    const assignment = access.parent;
    const assigned =
      ts.isBinaryExpression(assignment) &&
      assignment.left === access &&
      assignment.operatorToken.kind === ts.SyntaxKind.EqualsToken;
    if (!assigned) {
      // A read of a field (`where.status ?? 'PAID'`) adds nothing; any other write might.
      if (isWritten(access)) return undefined;
      continue;
    }
    const key = access.name.text;
    // `AND` brings in filters of its own; a field assigned twice may differ by path.
    if (key === 'AND' || keys.has(key)) return undefined;
    keys.add(key);
    fields.push({ key, node: access.name, value: unwrap(assignment.right) });
  }
  return { literal, fields };
}

/** Query operations, which read their arguments and change nothing in them. */
const QUERY_OPERATION = /^(?:find|count$|aggregate$|groupBy$|updateMany|deleteMany$)/;

/**
 * The filter handed as the `where` of another query (`prisma.order.count({ where })` next to the
 * `findMany` of a page), which reads it only.
 */
function isQueryFilter(reference: ts.Identifier): boolean {
  const property = reference.parent;
  const named =
    (ts.isShorthandPropertyAssignment(property) && property.name.text === 'where') ||
    (ts.isPropertyAssignment(property) &&
      property.initializer === reference &&
      ts.isIdentifier(property.name) &&
      property.name.text === 'where');
  const args = property.parent;
  const call = args?.parent;
  return (
    named &&
    ts.isObjectLiteralExpression(args) &&
    ts.isCallExpression(call) &&
    call.arguments[0] === args &&
    ts.isPropertyAccessExpression(call.expression) &&
    QUERY_OPERATION.test(call.expression.name.text)
  );
}

/** Whether a field access is written other than by `=`: `where.x += 1`, `delete where.x`, `where.x.y = v`. */
function isWritten(access: ts.PropertyAccessExpression): boolean {
  let node: ts.Node = access;
  while (ts.isPropertyAccessExpression(node.parent) || ts.isElementAccessExpression(node.parent))
    node = node.parent;
  const parent = node.parent;
  if (ts.isDeleteExpression(parent)) return true;
  if (isAssignment(parent) && parent.left === node) return true;
  // A method called on a field (`where.AND.push(...)`) may add to it.
  return ts.isCallExpression(parent) && parent.expression === node && node !== access;
}
