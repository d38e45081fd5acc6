/** Applying fixes as text edits; shared by the CLI's `--fix`, the tests and code actions. */
import type { Finding, Fix, TextEdit } from './types';

/**
 * Applies edits to `text`. Edits are applied from the end so offsets stay valid; an edit that
 * overlaps one already taken is dropped (the next pass of `--fix` picks it up again), and
 * identical edits are applied once.
 */
export function applyEdits(
  text: string,
  edits: readonly TextEdit[],
): { text: string; applied: number; overlapping: ReadonlySet<TextEdit> } {
  // Several fixes may need the same edit (each adds `import asyncio`): apply it once.
  const unique = new Map(edits.map((edit) => [`${edit.start}:${edit.end}:${edit.newText}`, edit]));
  // Applied from the end of the text back. Inserts at one offset (two `CREATE INDEX` after one
  // table) go later-given first, so each lands before the one given after it: the given order.
  const sorted = [...unique.values()]
    .map((edit, order) => ({ edit, order }))
    .sort((a, b) => b.edit.start - a.edit.start || b.edit.end - a.edit.end || b.order - a.order)
    .map(({ edit }) => edit);
  let result = text;
  let floor = Infinity;
  let applied = 0;
  const overlapping = new Set<TextEdit>();
  for (const edit of sorted) {
    if (edit.end > floor) {
      overlapping.add(edit);
      continue;
    }
    result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
    floor = edit.start;
    applied++;
  }
  return { text: result, applied, overlapping };
}

/** Whether a fix may be applied without asking: safe fixes always, unsafe ones when opted in. */
export function isApplicable(fix: Fix, unsafe: boolean): boolean {
  return fix.safety === 'safe' || unsafe;
}

/** The preferred applicable fix of a finding, if any. */
export function chosenFix(finding: Finding, unsafe: boolean): Fix | undefined {
  return finding.fixes.find((fix) => isApplicable(fix, unsafe));
}
