/**
 * Private static fields of module-level classes (`private static cache = new Map()`, `static
 * #cache = new Map()`): they live as long as the module, like a module variable, and only the
 * class's own code can reach them. That is what makes every use findable in one file: a public
 * static may be cleared by any module the class is handed to.
 */
import { ts } from './compiler';
import { hasModifier, unwrap } from './model';
import { declarationOf } from './name-resolution';

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
      const references = usesIn(statement, member.name);
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

/** Every use of the field `name` in its class, or undefined when one is not a plain access. */
function usesIn(
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
  ts.forEachChild(owner, visit);
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
