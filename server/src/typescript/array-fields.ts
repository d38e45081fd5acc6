/**
 * Properties of exported object types declared as arrays (`export type TSyncUsersDTO = { userIds:
 * string[] }`), recorded for other modules: a `for await` over `userIds` destructured from a
 * parameter of that type walks an array whose items are all there, not a stream whose items
 * arrive one at a time, and only the declaring module can say so.
 */
import { ts } from './compiler';
import { hasModifier, type TsModel } from './model';

/** `T[]`, `readonly T[]`, `Array<T>`, `ReadonlyArray<T>`. */
export function isArrayTypeNode(type: ts.TypeNode): boolean {
  if (ts.isArrayTypeNode(type)) return true;
  if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword)
    return isArrayTypeNode(type.type);
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return false;
  return type.typeName.text === 'Array' || type.typeName.text === 'ReadonlyArray';
}

/**
 * `Type.field` for each property an exported interface or object type alias of the file declares
 * as an array. Members inherited (`extends`) or mapped in (`Pick<...>`) are not read.
 */
export function exportedArrayFields(model: TsModel): string[] {
  const fields: string[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) continue;
    if (!hasModifier(statement, ts.SyntaxKind.ExportKeyword)) continue;
    const members = ts.isInterfaceDeclaration(statement)
      ? statement.members
      : ts.isTypeLiteralNode(statement.type)
        ? statement.type.members
        : [];
    for (const member of members)
      if (
        ts.isPropertySignature(member) &&
        ts.isIdentifier(member.name) &&
        member.type &&
        isArrayTypeNode(member.type)
      )
        fields.push(`${statement.name.text}.${member.name.text}`);
  }
  return fields;
}
