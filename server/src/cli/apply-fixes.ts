/**
 * `--fix`: writes the preferred applicable fix of each finding to disk. Edits are grouped by the
 * file they change (cross-file fixes edit other files) and files a fix creates are written only
 * when they do not exist yet.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, chosenFix } from '../engine/fixes';
import { decode } from '../engine/source-guard';
import type { Finding, TextEdit } from '../engine/types';

export interface FixOutcome {
  /** Findings whose fix was applied. */
  fixed: number;
  /** The findings whose fix was written whole (none of its edits overlapped another's). */
  applied: Finding[];
  filesChanged: string[];
  /** Files left alone, with the reason. */
  skipped: [string, string][];
}

/** A finding as the next pass of `--fix` would find it again if its fix did not cure it. */
export function fixedFindingKey(finding: Finding): string {
  const { file, ruleId, message, startPos } = finding;
  return `${file}\0${ruleId}\0${startPos.line}:${startPos.column}\0${message}`;
}

/** Applies fixes; `root` resolves relative file names in cross-file edits. */
export function applyFixes(
  findings: readonly Finding[],
  unsafe: boolean,
  root: string,
): FixOutcome {
  const editsByFile = new Map<string, TextEdit[]>();
  const creations = new Map<string, string>();
  const fixing: [Finding, TextEdit[]][] = [];
  let fixed = 0;
  for (const finding of findings) {
    const fix = chosenFix(finding, unsafe);
    if (!fix) continue;
    fixed++;
    fixing.push([finding, fix.edits]);
    for (const edit of fix.edits) {
      const target = edit.file ? path.resolve(root, edit.file) : finding.file;
      const list = editsByFile.get(target) ?? [];
      list.push(edit);
      editsByFile.set(target, list);
    }
    for (const creation of fix.creates ?? [])
      creations.set(path.resolve(root, creation.file), creation.content);
  }
  const filesChanged: string[] = [];
  const skipped: [string, string][] = [];
  const notWritten = new Set<TextEdit>();
  for (const [file, edits] of editsByFile) {
    const raw = fs.readFileSync(file);
    const before = decode(raw);
    // Writing text decoded from invalid UTF-8 would replace the bad bytes: leave such files alone.
    if (!Buffer.from(before, 'utf8').equals(raw)) {
      skipped.push([file, 'not valid UTF-8; fixes not written']);
      for (const edit of edits) notWritten.add(edit);
      continue;
    }
    const { text, overlapping } = applyEdits(before, edits);
    for (const edit of overlapping) notWritten.add(edit);
    if (text !== before) {
      fs.writeFileSync(file, text);
      filesChanged.push(file);
    }
  }
  const applied = fixing
    .filter(([, edits]) => !edits.some((edit) => notWritten.has(edit)))
    .map(([finding]) => finding);
  for (const [file, content] of creations) {
    if (fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    filesChanged.push(file);
  }
  return { fixed, applied, filesChanged, skipped };
}
