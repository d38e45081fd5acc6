/** Reading object literals as written: `{ where: { id }, take: 10 }`. */
import { ts } from './compiler';

/** A property's name when it is written plainly (`where`, `'where'`), else undefined. */
export function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  const name = property.name;
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return undefined;
}

/** The property of `object` named `name`, whatever its form (`a: 1`, `a`, `a() {}`). */
export function findProperty(
  object: ts.ObjectLiteralExpression,
  name: string,
): ts.ObjectLiteralElementLike | undefined {
  return object.properties.find((property) => propertyName(property) === name);
}

/**
 * The literal `true` or `false` the property named `name` is set to (`unique: true`); undefined
 * when there is no such property or its value is anything else.
 */
export function booleanPropertyValue(
  object: ts.ObjectLiteralExpression,
  name: string,
): boolean | undefined {
  const property = findProperty(object, name);
  if (!property || !ts.isPropertyAssignment(property)) return undefined;
  if (property.initializer.kind === ts.SyntaxKind.TrueKeyword) return true;
  return property.initializer.kind === ts.SyntaxKind.FalseKeyword ? false : undefined;
}

/**
 * The text of the first property named `name` whose value is a string literal (`url: '/users'`).
 * `identifierKeysOnly` leaves quoted keys (`'url': ...`) out, for readers that have always read
 * only plain ones.
 */
export function stringPropertyValue(
  object: ts.ObjectLiteralExpression,
  name: string,
  { identifierKeysOnly = false } = {},
): string | undefined {
  for (const property of object.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isStringLiteralLike(property.initializer))
      continue;
    if (identifierKeysOnly && !ts.isIdentifier(property.name)) continue;
    if (propertyName(property) === name) return property.initializer.text;
  }
  return undefined;
}
