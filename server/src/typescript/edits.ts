/** Text edits on TypeScript/JavaScript code that keep the code's own formatting. */
import type { TextEdit } from '../engine/types';
import { ts } from './compiler';

/** Leading whitespace of the line holding `offset`. */
function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

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
  const properties = object.properties;
  const last = properties[properties.length - 1];
  if (!last) {
    return [{ start: object.getStart(sourceFile), end: object.end, newText: `{ ${property} }` }];
  }
  const closeBrace = object.end - 1;
  const line = (offset: number): number => sourceFile.getLineAndCharacterOfPosition(offset).line;
  if (line(last.end) === line(closeBrace)) {
    return [{ start: last.end, end: last.end, newText: `, ${property}` }];
  }
  const indent = indentationAt(text, last.getStart(sourceFile));
  // After the trailing comma, if any, and any comment that ends the line.
  const comma = properties.hasTrailingComma ? text.indexOf(',', last.end) + 1 : last.end;
  const at = lineEnd(text, comma);
  const newline = text[at] === '\r' ? '\r\n' : '\n';
  if (properties.hasTrailingComma) {
    return [{ start: at, end: at, newText: `${newline}${indent}${property},` }];
  }
  if (at === last.end) return [{ start: at, end: at, newText: `,${newline}${indent}${property}` }];
  return [
    { start: last.end, end: last.end, newText: ',' },
    { start: at, end: at, newText: `${newline}${indent}${property}` },
  ];
}

/** Fills the empty argument list of `call` with `argument`: `findMany()` → `findMany({ take: 10 })`. */
export function fillEmptyArguments(call: ts.CallExpression, argument: string): TextEdit[] {
  const at = call.arguments.pos;
  return [{ start: at, end: at, newText: argument }];
}
