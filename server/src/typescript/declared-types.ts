/**
 * The type a receiver is declared with, read from the syntax: a class field (a property or a
 * constructor parameter property, as NestJS injects services and repositories), or a parameter
 * or variable with a type annotation, or else initialised with `new X(...)` (`const sequelize =
 * new Sequelize(url)` declares a `Sequelize` as surely as an annotation). Only plain type names
 * (`UsersService`, `Repository<User>` gives `Repository`), also viewed through a utility type that
 * keeps members as they are (`Pick<PrismaService, T>` gives `PrismaService`); the file's imports
 * say where a name comes from.
 */
import { ts } from './compiler';
import { declarationOf } from './name-resolution';
import { unwrap } from './model';

/** Field name → the plain type name it is declared with, per class, read once per class. */
const fieldTypesOfClass = new WeakMap<ts.Node, Map<string, string>>();

/**
 * Utility types that keep (some of) the members of their first argument as they are:
 * `Pick<PrismaService, T>` has the delegates of `PrismaService` it picks, with their methods.
 */
export const MEMBER_VIEWS = new Set(['Pick', 'Omit', 'Partial', 'Required', 'Readonly']);

function plainTypeName(type: ts.TypeNode | undefined): string | undefined {
  if (!type || !ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  const name = type.typeName.text;
  const [viewed] = type.typeArguments ?? [];
  return MEMBER_VIEWS.has(name) && viewed ? plainTypeName(viewed) : name;
}

/** `X` of a `new X(...)` initializer (in parentheses or not); a cast (`as Y`) says otherwise. */
function constructedTypeName(initializer: ts.Expression | undefined): string | undefined {
  let node = initializer;
  while (node && ts.isParenthesizedExpression(node)) node = node.expression;
  return node && ts.isNewExpression(node) && ts.isIdentifier(node.expression)
    ? node.expression.text
    : undefined;
}

/** The type an annotation gives, else the class an initializer constructs. */
function typeOfDeclaration(
  type: ts.TypeNode | undefined,
  initializer: ts.Expression | undefined,
): string | undefined {
  return type ? plainTypeName(type) : constructedTypeName(initializer);
}

/** The class around `node` (its nearest class-like ancestor), if any. */
export function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isClassLike(current)) current = current.parent;
  return current as ts.ClassLikeDeclaration | undefined;
}

/** The declared field types of the class around `node` (empty outside a class). */
export function declaredFieldTypes(node: ts.Node): Map<string, string> {
  const cls = enclosingClass(node);
  return cls ? fieldTypesOf(cls) : new Map();
}

/** The declared field types of a class: its own properties and constructor parameter properties. */
export function fieldTypesOf(cls: ts.ClassLikeDeclaration): Map<string, string> {
  const known = fieldTypesOfClass.get(cls);
  if (known) return known;
  const types = new Map<string, string>();
  const record = (name: ts.Node, typeName: string | undefined): void => {
    if (typeName && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)))
      types.set(name.text, typeName);
  };
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member))
      record(member.name, typeOfDeclaration(member.type, member.initializer));
    else if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters)
        if (ts.isParameterPropertyDeclaration(parameter, member))
          record(parameter.name, typeOfDeclaration(parameter.type, parameter.initializer));
    }
  }
  fieldTypesOfClass.set(cls, types);
  return types;
}

/**
 * The plain type name `expression` is declared with: `this.repo` (a field), or `repo` (a
 * parameter or variable with an annotation or a `new X()` initializer). Undefined when the syntax
 * does not say.
 */
export function declaredTypeName(
  expression: ts.Expression,
  /** The identifier's declaration, when the caller looked it up already. */
  declaration: ts.Identifier | undefined = undefined,
): string | undefined {
  const node = unwrap(expression);
  if (
    ts.isPropertyAccessExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ThisKeyword &&
    (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name))
  )
    return declaredFieldTypes(node).get(node.name.text);
  if (!ts.isIdentifier(node)) return undefined;
  const holder = (declaration ?? declarationOf(node))?.parent;
  if (holder && (ts.isParameter(holder) || ts.isVariableDeclaration(holder)))
    return typeOfDeclaration(holder.type, holder.initializer);
  return undefined;
}
