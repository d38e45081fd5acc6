/**
 * Whether a module-level collection's keys, as their type is written, can take only finitely many
 * values: `new Map<Grammar, Parser>()` with `type Grammar = 'python' | 'sql'` holds at most two
 * entries however often it is filled. Read from the syntax of one file: aliases and enums declared
 * in it are followed, imported types are not (they count as unbounded).
 */
import { ts } from './compiler';
import { unwrap } from './model';

/** Type aliases and enums declared at the top of a file, by name. */
export type LocalTypes = ReadonlyMap<string, ts.TypeAliasDeclaration | ts.EnumDeclaration>;

export function localTypes(sourceFile: ts.SourceFile): LocalTypes {
  const types = new Map<string, ts.TypeAliasDeclaration | ts.EnumDeclaration>();
  for (const statement of sourceFile.statements)
    if (ts.isTypeAliasDeclaration(statement) || ts.isEnumDeclaration(statement))
      types.set(statement.name.text, statement);
  return types;
}

/** A module variable or a static field holding the collection. */
type CollectionDeclaration = ts.VariableDeclaration | ts.PropertyDeclaration;

/** Annotations that wrap a collection type without changing its keys. */
const WRAPPERS = new Set(['Partial', 'Readonly', 'Required']);
/** Collection types whose first type argument is the key (the element, for a set). */
const KEYED_TYPES = new Set(['Map', 'ReadonlyMap', 'Set', 'ReadonlySet', 'Record']);

/** The key type of an annotation: `Map<K, V>`, `Set<K>`, `Record<K, V>`, `{ [P in K]?: V }`. */
function annotatedKeyType(type: ts.TypeNode): ts.TypeNode | undefined {
  if (ts.isParenthesizedTypeNode(type)) return annotatedKeyType(type.type);
  if (ts.isMappedTypeNode(type)) return type.typeParameter.constraint;
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  const [first] = type.typeArguments ?? [];
  if (!first) return undefined;
  const name = type.typeName.text;
  if (WRAPPERS.has(name)) return annotatedKeyType(first);
  return KEYED_TYPES.has(name) ? first : undefined;
}

/** The key type of a declaration, from its annotation or from `new Map<K, V>()` / `new Set<K>()`. */
function keyTypeOf(declaration: CollectionDeclaration): ts.TypeNode | undefined {
  const annotated = declaration.type && annotatedKeyType(declaration.type);
  if (annotated) return annotated;
  const init = declaration.initializer && unwrap(declaration.initializer);
  return init && ts.isNewExpression(init) ? init.typeArguments?.[0] : undefined;
}

/** Aliases followed before giving up (an alias cycle is an error the compiler reports). */
const MAX_ALIAS_DEPTH = 8;

/**
 * Whether a type has finitely many values: literals (`'sql'`, `1`, `true`), `boolean`, enums and
 * their members, `keyof` of a named type, and unions and same-file aliases of those.
 */
function isFinite(type: ts.TypeNode, locals: LocalTypes, depth: number): boolean {
  if (depth > MAX_ALIAS_DEPTH) return false;
  if (ts.isParenthesizedTypeNode(type)) return isFinite(type.type, locals, depth);
  if (ts.isLiteralTypeNode(type) || type.kind === ts.SyntaxKind.BooleanKeyword) return true;
  if (ts.isUnionTypeNode(type))
    return type.types.every((member) => isFinite(member, locals, depth));
  // `keyof Options`, `keyof typeof TABLE`; `keyof any` is every string, number and symbol.
  if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.KeyOfKeyword)
    return type.type.kind !== ts.SyntaxKind.AnyKeyword;
  if (!ts.isTypeReferenceNode(type) || type.typeArguments) return false;
  const name = type.typeName;
  if (ts.isIdentifier(name)) {
    const local = locals.get(name.text);
    if (!local) return false;
    return ts.isEnumDeclaration(local) || isFinite(local.type, locals, depth + 1);
  }
  // `Region.Eu`: a member of an enum declared here.
  const owner = ts.isIdentifier(name.left) ? locals.get(name.left.text) : undefined;
  return owner !== undefined && ts.isEnumDeclaration(owner);
}

/** Whether the collection declared by `declaration` is keyed by a type with finitely many values. */
export function hasFiniteKeys(declaration: CollectionDeclaration, locals: LocalTypes): boolean {
  const key = keyTypeOf(declaration);
  return !!key && isFinite(key, locals, 0);
}
