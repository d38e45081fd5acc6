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
