/**
 * A whole-workspace scan: files are analysed in parallel lanes (lanes.ts), their facts merged into
 * one index, and the cross-file rules run once in the calling thread.
 */
import { LineIndex } from '../engine/positions';
import { groupByFile, runWorkspaceRules, sortFindings } from '../engine/runner';
import { applySuppressions } from '../engine/suppressions';
import type { Problem } from '../engine/types';
import { WorkspaceIndex } from '../workspace/index';
import type { FileReport } from '../workspace/session';
import { tuneJitForLanes } from './jit-budget';
import { analyseInLanes, lanesFor, phaseTimer, readText, type LanesRequest } from './lanes';

/** A scan asks what the lanes ask: its files, rules and settings, and how many lanes. */
export type ScanRequest = LanesRequest;

export interface ScanStats {
  files: number;
  bytes: number;
  lines: number;
  milliseconds: number;
}

export interface ScanResult {
  reports: FileReport[];
  problems: Problem[];
  stats: ScanStats;
}

/** Scans files with every rule; returns per-file findings after suppressions. */
export async function scan(request: ScanRequest): Promise<ScanResult> {
  const started = performance.now();
  const jobs = lanesFor(request);
  tuneJitForLanes(jobs);
  const lanes = await analyseInLanes({ ...request, jobs });
  const phase = phaseTimer();
  const problems = lanes.problems;
  const index = new WorkspaceIndex();
  for (const facts of lanes.facts) index.update(facts);

  const texts = new Map<string, LineIndex>();
  const lineIndexOf = (file: string): LineIndex | undefined => {
    if (!texts.has(file)) {
      const text = readText(file);
      if (text !== undefined) texts.set(file, new LineIndex(text));
    }
    return texts.get(file);
  };
  const workspace = runWorkspaceRules(
    request.rules,
    index,
    request.settings,
    readText,
    lineIndexOf,
  );
  phase('cross-file rules');
  problems.push(...workspace.problems);
  const findingsByFile = groupByFile([...lanes.findings, ...workspace.findings]);

  const files = new Set([...findingsByFile.keys(), ...lanes.suppressions.keys()]);
  const reports: FileReport[] = [...files].sort().map((file) => {
    const fileSuppressions = lanes.suppressions.get(file) ?? [];
    const findings = applySuppressions(
      sortFindings(findingsByFile.get(file) ?? []),
      fileSuppressions,
    );
    return { file, findings, unusedSuppressions: fileSuppressions.filter((s) => !s.used) };
  });
  return {
    reports,
    problems,
    stats: {
      files: index.size,
      bytes: lanes.bytes,
      lines: lanes.lines,
      milliseconds: performance.now() - started,
    },
  };
}
