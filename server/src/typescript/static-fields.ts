/**
 * Static fields of module-level classes (`private static cache = new Map()`, `static #cache = new
 * Map()`, `static cache = new Map()`): they live as long as the module, like a module variable.
 * Only the class's own code can reach a private one, which makes every use findable in one file; a
 * public one is findable in its file only while the class is not handed on there, and other
 * modules may reach it through an import (the workspace index records what they do to it).
 */
import { ts } from './compiler';
import { hasModifier, unwrap } from './model';
import { declarationOf, identifiersNamed, isReference } from './name-resolution';

/** A private static field and every expression of the file that uses it. */
export interface PrivateStaticField {
  declaration: ts.PropertyDeclaration & { initializer: ts.Expression };
  /** How the code names it: `TemplateCache.compiled`, `TemplateCache.#compiled`. */
  display: string;
  /** Each use: `TemplateCache.compiled` or `this.compiled` in static code. */
  references: ts.PropertyAccessExpression[];
}

/**
 * The initialised private static fields of the file's top-level classes whose every use is read
 * plainly. A field named in any other way (`this.compiled` where `this` is an instance, `const
 * { compiled } = Cache`, `Cache['compiled']`, an alias of the class, a member of the same name) is
 * left out: its uses cannot all be told.
 */
export function privateStaticFields(sourceFile: ts.SourceFile): PrivateStaticField[] {
  const fields: PrivateStaticField[] = [];
  for (const statement of sourceFile.statements) {
    if (!ts.isClassDeclaration(statement) || !statement.name) continue;
    for (const member of statement.members) {
      if (!ts.isPropertyDeclaration(member) || !member.initializer) continue;
      if (!hasModifier(member, ts.SyntaxKind.StaticKeyword)) continue;
      const isPrivate =
        ts.isPrivateIdentifier(member.name) || hasModifier(member, ts.SyntaxKind.PrivateKeyword);
      if (!isPrivate || !(ts.isIdentifier(member.name) || ts.isPrivateIdentifier(member.name)))
        continue;
      const references = usesIn(statement, statement, member.name);
      if (references)
        fields.push({
          declaration: member as PrivateStaticField['declaration'],
          display: `${statement.name.text}.${member.name.text}`,
          references,
        });
    }
  }
  return fields;
}

/** A public or protected static field: other modules may reach it through the class. */
export interface PublicStaticField extends PrivateStaticField {
  /** The field's name (`compiled`). */
  member: string;
  /** The names other modules may import the class by: its own, `default`, export aliases. */
  classNames: string[];
}

/**
 * The initialised public and protected static fields of the file's top-level classes whose
 * initializer `wanted` accepts, when every use of the field in the file is read plainly and the
 * class itself is only used as `Class.x`, `new Class()`, `x instanceof Class` or exported (handed
 * to a call, aliased or extended here, its statics may be reached under another name). Other
 * modules may still change them: callers ask the workspace index.
 */
export function publicStaticFields(
  sourceFile: ts.SourceFile,
  wanted: (initializer: ts.Expression) => boolean,
): PublicStaticField[] {
  const fields: PublicStaticField[] = [];
  for (const statement of sourceFile.statements) {
    if (!ts.isClassDeclaration(statement) || !statement.name) continue;
    let classNames: string[] | undefined;
    for (const member of statement.members) {
      if (!ts.isPropertyDeclaration(member) || !member.initializer) continue;
      if (!ts.isIdentifier(member.name) || !hasModifier(member, ts.SyntaxKind.StaticKeyword))
        continue;
      if (hasModifier(member, ts.SyntaxKind.PrivateKeyword) || !wanted(member.initializer))
        continue;
      classNames ??= classUsedPlainly(sourceFile, statement)
        ? exportNames(sourceFile, statement)
        : [];
      if (classNames.length === 0) break; // the class is handed on: its statics may be reached anywhere
      const references = usesIn(sourceFile, statement, member.name);
      if (references)
        fields.push({
          declaration: member as PrivateStaticField['declaration'],
          display: `${statement.name.text}.${member.name.text}`,
          references,
          member: member.name.text,
          classNames,
        });
    }
  }
  return fields;
}

/** Whether the file uses the class only as `Class.x`, `new Class()`, `instanceof` or an export. */
function classUsedPlainly(sourceFile: ts.SourceFile, owner: ts.ClassDeclaration): boolean {
  const name = owner.name!;
  return identifiersNamed(sourceFile, name.text).every((node) => {
    if (node === name || !isReference(node) || declarationOf(node) !== name) return true;
    const parent = node.parent;
    return (
      (ts.isPropertyAccessExpression(parent) && parent.expression === node) ||
      (ts.isNewExpression(parent) && parent.expression === node) ||
      (ts.isBinaryExpression(parent) &&
        parent.operatorToken.kind === ts.SyntaxKind.InstanceOfKeyword &&
        parent.right === node) ||
      ts.isExportAssignment(parent)
    );
  });
}

/** The class's name and the names the file exports it under (`default`, `export { A as B }`). */
function exportNames(sourceFile: ts.SourceFile, owner: ts.ClassDeclaration): string[] {
  const own = owner.name!.text;
  const names = [own];
  if (hasModifier(owner, ts.SyntaxKind.DefaultKeyword)) names.push('default');
  for (const statement of sourceFile.statements) {
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const value = unwrap(statement.expression);
      if (ts.isIdentifier(value) && value.text === own) names.push('default');
    }
    if (
      ts.isExportDeclaration(statement) &&
      !statement.moduleSpecifier &&
      statement.exportClause &&
      ts.isNamedExports(statement.exportClause)
    )
      for (const element of statement.exportClause.elements)
        if ((element.propertyName ?? element.name).text === own) names.push(element.name.text);
  }
  return [...new Set(names)];
}

/**
 * Every use of the field `name` of `owner` within `scope` (the class, or the file for a public
 * field), or undefined when one is not a plain access.
 */
function usesIn(
  scope: ts.Node,
  owner: ts.ClassDeclaration,
  name: ts.Identifier | ts.PrivateIdentifier,
): ts.PropertyAccessExpression[] | undefined {
  const uses: ts.PropertyAccessExpression[] = [];
  let unclear = false;
  const visit = (node: ts.Node): void => {
    if (unclear) return;
    // `this['compiled']`: a key written as a string reaches the field too.
    if (ts.isStringLiteralLike(node) && node.text === name.text) unclear = true;
    if ((ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) && node !== name) {
      if (node.text === name.text) {
        const access = node.parent;
        if (
          ts.isPropertyAccessExpression(access) &&
          access.name === node &&
          namesOwner(unwrap(access.expression), owner)
        )
          uses.push(access);
        else unclear = true;
      }
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(scope, visit);
  return unclear ? undefined : uses;
}

/** `Owner` (the class's own name) or a `this` that is the class: in static members. */
function namesOwner(receiver: ts.Expression, owner: ts.ClassDeclaration): boolean {
  if (ts.isIdentifier(receiver)) return declarationOf(receiver) === owner.name;
  return receiver.kind === ts.SyntaxKind.ThisKeyword && isStaticThis(receiver, owner);
}

/** Whether `this` is the class itself: inside a static member, through arrow functions only. */
function isStaticThis(node: ts.Node, owner: ts.ClassDeclaration): boolean {
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isArrowFunction(current)) continue;
    if (ts.isClassStaticBlockDeclaration(current)) return current.parent === owner;
    if (ts.isClassElement(current))
      return current.parent === owner && hasModifier(current, ts.SyntaxKind.StaticKeyword);
    // A function of its own, or a nested class, binds another `this`.
    if (ts.isFunctionLike(current) || ts.isClassLike(current)) return false;
  }
  return false;
}
