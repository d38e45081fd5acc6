/**
 * Messages between a scan's main thread and its worker threads. The main thread sends `init`,
 * `prepare` for each chunk of the schema round, `learn` with the other workers' schema facts,
 * `prepare` for each chunk of the other files, then `check` with the other workers' remaining
 * facts. Workers answer `prepare` with `prepared` and `check` with `checked` (or `failed`).
 */
import type { RunSettings } from '../engine/runner';
import type { FileFacts } from '../workspace/facts';
import type { CheckResult, LaneFile, PrepareResult } from './scan-core';

export type ToWorker =
  | { type: 'init'; ruleIds: string[]; settings: RunSettings; maxFileBytes: number }
  | { type: 'prepare'; files: LaneFile[]; deferIndexUsers: boolean }
  | { type: 'learn'; facts: FileFacts[] }
  | { type: 'check'; otherFacts: FileFacts[]; rerunAllReaders: boolean };

export type FromWorker =
  | { type: 'prepared'; result: PrepareResult }
  | { type: 'checked'; result: CheckResult }
  | { type: 'failed'; message: string };
