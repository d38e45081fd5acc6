/** Edits to `schema.prisma` that fixes share. */
import { lineEndingOf } from '../engine/line-endings';
import type { TextEdit } from '../engine/types';
import type { PrismaIndex, PrismaModel } from './schema';

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * The indentation most of the model's field and attribute lines share (the first one's on a tie);
 * two spaces when there is none. Hand-edited schemas mix tabs and spaces on a stray line, often
 * the first, which the new line should not copy.
 */
function memberIndent(text: string, model: PrismaModel): string {
  const starts = [...model.fields, ...model.indexes]
    .map((member) => member.start)
    .sort((a, b) => a - b);
  const counts = new Map<string, number>();
  for (const start of starts) {
    const indent = text.slice(lineStartOf(text, start), start);
    if (/^[ \t]*$/.test(indent)) counts.set(indent, (counts.get(indent) ?? 0) + 1);
  }
  let best = '  ';
  let bestCount = 0;
  for (const [indent, count] of counts) {
    if (count > bestCount) [best, bestCount] = [indent, count];
  }
  return best;
}

/**
 * Whether a blank line should set the new attribute apart: `prisma format` style keeps block
 * attributes (`@@index`, `@@unique`) in their own group after the fields.
 */
function needsSeparator(text: string, model: PrismaModel, before: number): boolean {
  // The lines before the one `before` starts (its preceding newline left out).
  const body = text
    .slice(model.start, Math.max(model.start, before - 1))
    .replace(/\r/g, '')
    .split('\n');
  const last = body.map((line) => line.trim()).filter((line) => !line.startsWith('//'));
  const previous = last.pop() ?? '';
  return previous !== '' && !previous.startsWith('@@') && !previous.endsWith('{');
}

/**
 * Whether an index of the model already has exactly this field list, in this order: adding
 * `@@index([fields])` beside it would duplicate it (and clash with its default name when it is an
 * `@@index` too, which `prisma validate` rejects), so fixes leave such models alone.
 */
export function hasIndexOnFields(model: PrismaModel, fields: readonly string[]): boolean {
  return model.indexes.some(
    (index) =>
      index.fields.length === fields.length &&
      index.fields.every((field, i) => field === fields[i]),
  );
}

/**
 * Adds `@@index([fields])` as the last line of a model, before its closing brace, indented like
 * the model's fields. `file` targets the schema from a fix reported in another file. The blank line
 * that sets it apart from the fields is an edit of its own, at the end of the line before, so fixes
 * adding several indexes to one model agree on it and it is applied once.
 */
export function addPrismaIndexEdits(
  text: string,
  model: PrismaModel,
  fields: readonly string[],
  file?: string,
): TextEdit[] {
  const eol = lineEndingOf(text);
  const attribute = `${memberIndent(text, model)}@@index([${fields.join(', ')}])`;
  const brace = model.closeBrace;
  const lineStart = lineStartOf(text, brace);
  const target = file === undefined ? {} : { file };
  const before = text.slice(lineStart, brace);
  if (/^[ \t]*$/.test(before)) {
    const edits: TextEdit[] = [
      { ...target, start: lineStart, end: lineStart, newText: `${attribute}${eol}` },
    ];
    if (needsSeparator(text, model, lineStart)) {
      const previousEnd = lineStart - eol.length;
      edits.unshift({ ...target, start: previousEnd, end: previousEnd, newText: eol });
    }
    return edits;
  }
  // `model Tag { id Int @id }`: the brace shares a line with the last member.
  const start = lineStart + before.trimEnd().length;
  return [{ ...target, start, end: brace, newText: `${eol}${attribute}${eol}` }];
}

/** `@@index([tenantId])` or `@@index(fields: [tenantId])`: the list to widen, up to its `]`. */
const PLAIN_INDEX_LIST = /^@@index\(\s*(?:fields:\s*)?\[[^\]]*(?=\])/;

/** `@@index(tenantId)`, one field without brackets: the text before it, and the field. */
const BARE_INDEX_FIELD = /^(@@index\(\s*(?:fields:\s*)?)(\w+)(?=\s*[,)])/;

/** The edit that appends `missing` to the index's field list, bracketing a bare field. */
function appendFieldsEdit(
  text: string,
  index: PrismaIndex,
  missing: string[],
): TextEdit | undefined {
  const source = text.slice(index.start, index.end);
  const appended = missing.map((field) => `, ${field}`).join('');
  const list = PLAIN_INDEX_LIST.exec(source);
  if (list) {
    const at = index.start + list[0].length;
    return { start: at, end: at, newText: appended };
  }
  const bare = BARE_INDEX_FIELD.exec(source);
  if (!bare) return undefined;
  const start = index.start + bare[1].length;
  return { start, end: start + bare[2].length, newText: `[${bare[2]}${appended}]` };
}

/**
 * Widens a plain B-tree `@@index` made of some of `fields` to hold all of them, its own first and
 * the others after, in the order given: one index then serves both its old lookups and the new
 * ones. Undefined for an `@@id`, an `@@unique` (widening changes what it enforces), a hash or other
 * index, or one with other fields. `file` targets the schema from a fix reported in another file.
 */
export function widenEdits(
  text: string,
  index: PrismaIndex,
  fields: readonly string[],
  file?: string,
): { widened: string[]; edits: TextEdit[] } | undefined {
  if (index.kind !== 'index' || (index.type !== undefined && index.type !== 'BTree')) return;
  if (!index.fields.every((field) => fields.includes(field))) return;
  const missing = fields.filter((field) => !index.fields.includes(field));
  const edit = appendFieldsEdit(text, index, missing);
  if (!edit) return;
  return {
    widened: [...index.fields, ...missing],
    edits: [file === undefined ? edit : { ...edit, file }],
  };
}
