/** Text edits on TypeScript/JavaScript code that keep the code's own formatting. */
import type { TextEdit } from '../engine/types';
import { ts } from './compiler';
import type { TsModel } from './model';
import { indentationAt } from './name-resolution';

/** Offset of the end of the line holding `offset` (before `\r\n` or `\n`). */
function lineEnd(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline === -1) return text.length;
  return text[newline - 1] === '\r' ? newline - 1 : newline;
}

/**
 * Adds `property` (`take: 1000`) as the last property of an object literal: `{}` becomes
 * `{ take: 1000 }`; a one-line object gets `, take: 1000`; a multi-line object gets a new line
 * indented like the last property, after any trailing comment, keeping a trailing comma style.
 */
export function appendObjectProperty(
  text: string,
  sourceFile: ts.SourceFile,
  object: ts.ObjectLiteralExpression,
  property: string,
): TextEdit[] {
  return appendObjectProperties(text, sourceFile, object, [property]);
}

/** Adds `properties` after the last property of an object literal, each as `appendObjectProperty` would. */
export function appendObjectProperties(
  text: string,
  sourceFile: ts.SourceFile,
  object: ts.ObjectLiteralExpression,
  properties: readonly string[],
): TextEdit[] {
  if (object.properties.length === 0) {
    const newText = `{ ${properties.join(', ')} }`;
    return [{ start: object.getStart(sourceFile), end: object.end, newText }];
  }
  return appendToList(text, sourceFile, object.properties, object.end - 1, properties);
}

/**
 * Adds `elements` after the last element of an array literal, laid out as
 * `appendObjectProperty` lays out a property: `[]` becomes `[a, b]`.
 */
export function appendArrayElements(
  text: string,
  sourceFile: ts.SourceFile,
  array: ts.ArrayLiteralExpression,
  elements: readonly string[],
): TextEdit[] {
  if (array.elements.length === 0) {
    const newText = `[${elements.join(', ')}]`;
    return [{ start: array.getStart(sourceFile), end: array.end, newText }];
  }
  return appendToList(text, sourceFile, array.elements, array.end - 1, elements);
}

/** Adds `name` as the last of an import's non-empty `{ ... }` list, laid out the same way. */
export function appendNamedImport(
  text: string,
  sourceFile: ts.SourceFile,
  imports: ts.NamedImports,
  name: string,
): TextEdit[] {
  return appendToList(text, sourceFile, imports.elements, imports.end - 1, [name]);
}

/** Whether the module binds `name` to something of its own (a variable, function, class, enum, import). */
function bindsName(model: TsModel, name: string): boolean {
  if (model.imports.has(name) || model.moduleVariables.has(name)) return true;
  return model.sourceFile.statements.some(
    (statement) =>
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name?.text === name,
  );
}

/**
 * Adds `name` to the file's `{ ... }` import from `module` (not a type-only one) when the module
 * binds no `name` of its own: the edits, or undefined when the name is taken or no such import
 * can take it.
 */
export function importNamedFrom(
  model: TsModel,
  module: string,
  name: string,
): TextEdit[] | undefined {
  if (bindsName(model, name)) return undefined;
  for (const statement of model.sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier))
      continue;
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    if (statement.moduleSpecifier.text !== module || clause?.isTypeOnly) continue;
    if (!bindings || !ts.isNamedImports(bindings) || bindings.elements.length === 0) continue;
    return appendNamedImport(model.text, model.sourceFile, bindings, name);
  }
  return undefined;
}

/** Adds `added` after the last of the non-empty `items`, a list closed at `close`. */
function appendToList(
  text: string,
  sourceFile: ts.SourceFile,
  items: ts.NodeArray<ts.Node>,
  close: number,
  added: readonly string[],
): TextEdit[] {
  const last = items[items.length - 1];
  const line = (offset: number): number => sourceFile.getLineAndCharacterOfPosition(offset).line;
  if (line(last.end) === line(close)) {
    return [{ start: last.end, end: last.end, newText: `, ${added.join(', ')}` }];
  }
  const indent = indentationAt(text, last.getStart(sourceFile));
  // After the trailing comma, if any, and any comment that ends the line.
  const comma = items.hasTrailingComma ? text.indexOf(',', last.end) + 1 : last.end;
  const at = lineEnd(text, comma);
  const newline = text[at] === '\r' ? '\r\n' : '\n';
  const lines = added.map((item) => `${newline}${indent}${item}`).join(',');
  if (items.hasTrailingComma) return [{ start: at, end: at, newText: `${lines},` }];
  if (at === last.end) return [{ start: at, end: at, newText: `,${lines}` }];
  return [
    { start: last.end, end: last.end, newText: ',' },
    { start: at, end: at, newText: lines },
  ];
}

/** Fills the empty argument list of `call` with `argument`: `findMany()` → `findMany({ take: 10 })`. */
export function fillEmptyArguments(call: ts.CallExpression, argument: string): TextEdit[] {
  const at = call.arguments.pos;
  return [{ start: at, end: at, newText: argument }];
}
