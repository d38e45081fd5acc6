/**
 * A baseline: the findings a team accepts for now, so that a scan in CI fails only on new ones,
 * as ESLint's bulk suppressions and Detekt's baselines do. An entry is a finding's file (relative
 * to the baseline's folder, so the scan may run from anywhere), its rule and the trimmed text of
 * the line it starts on: code that moves up or down keeps its entry, a changed line makes its
 * finding new. Entries count: two identical lines with the same finding take two entries. The
 * file is plain JSON, sorted, so a pull request that adds to it shows what it accepts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineIndex } from '../engine/positions';
import type { Finding } from '../engine/types';

export interface BaselineEntry {
  file: string;
  rule: string;
  line: string;
}

interface BaselineFile {
  version: 1;
  tool: 'perflens';
  findings: BaselineEntry[];
}

/** A baseline that cannot be read: the message names the file (and the entry at fault). */
export class BaselineError extends Error {}

export interface BaselineFilter {
  /** Findings not in the baseline: what the scan reports. */
  fresh: Finding[];
  /** Findings the baseline accepts, not reported. */
  accepted: number;
  /** Entries no finding matched any more (fixed, or the line changed). */
  unmatched: number;
}

/** The entry of `finding` in a baseline kept in `folder`. */
function entryOf(
  finding: Finding,
  folder: string,
  linesOf: (file: string) => LineIndex | undefined,
): BaselineEntry {
  const file = path.relative(folder, finding.file).split(path.sep).join('/');
  const line = linesOf(finding.file)?.lineText(finding.startPos.line).trim() ?? '';
  return { file, rule: finding.ruleId, line };
}

const key = (entry: BaselineEntry): string => [entry.file, entry.rule, entry.line].join('\0');

/** A line index per file, read once: the findings' lines as they are on disk. */
function diskLines(readText: (file: string) => string | undefined) {
  const cache = new Map<string, LineIndex | undefined>();
  return (file: string): LineIndex | undefined => {
    if (!cache.has(file)) {
      const text = readText(file);
      cache.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return cache.get(file);
  };
}

/** Writes every finding to `baselineFile`; returns how many entries it holds. */
export function writeBaseline(
  baselineFile: string,
  findings: readonly Finding[],
  readText: (file: string) => string | undefined,
): number {
  const folder = path.dirname(baselineFile);
  const linesOf = diskLines(readText);
  const entries = findings
    .map((finding) => entryOf(finding, folder, linesOf))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const content: BaselineFile = { version: 1, tool: 'perflens', findings: entries };
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(baselineFile, `${JSON.stringify(content, null, 2)}\n`);
  return entries.length;
}

/** Reads and checks a baseline file; throws BaselineError naming what is wrong. */
export function readBaseline(baselineFile: string): BaselineEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(baselineFile, 'utf8'));
  } catch (error) {
    throw new BaselineError(`${baselineFile}: cannot be read: ${(error as Error).message}`);
  }
  const findings = (raw as Partial<BaselineFile> | null)?.findings;
  if ((raw as Partial<BaselineFile> | null)?.version !== 1 || !Array.isArray(findings))
    throw new BaselineError(
      `${baselineFile}: not a Perflens baseline (expected {"version": 1, "findings": [...]}; write one with --write-baseline)`,
    );
  findings.forEach((entry: unknown, i) => {
    const { file, rule, line } = (entry ?? {}) as Partial<BaselineEntry>;
    if (typeof file !== 'string' || typeof rule !== 'string' || typeof line !== 'string')
      throw new BaselineError(
        `${baselineFile}: "findings[${i}]" must be an object with string "file", "rule" and "line"`,
      );
  });
  return findings;
}

/** Splits `findings` into those `entries` accept and the fresh ones. */
export function filterBaseline(
  findings: readonly Finding[],
  entries: readonly BaselineEntry[],
  baselineFile: string,
  readText: (file: string) => string | undefined,
): BaselineFilter {
  const left = new Map<string, number>();
  for (const entry of entries) left.set(key(entry), (left.get(key(entry)) ?? 0) + 1);
  const folder = path.dirname(baselineFile);
  const linesOf = diskLines(readText);
  const fresh: Finding[] = [];
  let accepted = 0;
  for (const finding of findings) {
    const entry = key(entryOf(finding, folder, linesOf));
    const count = left.get(entry) ?? 0;
    if (count === 0) {
      fresh.push(finding);
      continue;
    }
    left.set(entry, count - 1);
    accepted++;
  }
  let unmatched = 0;
  for (const count of left.values()) unmatched += count;
  return { fresh, accepted, unmatched };
}
