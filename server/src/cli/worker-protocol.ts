/**
 * Messages between a scan's main thread and its worker threads. The main thread sends `init`, then
 * `prepare` with the worker's share of files, then `check` with every other worker's facts; each
 * worker answers `prepared` and `checked` (or `failed`).
 */
import type { RunSettings } from '../engine/runner';
import type { DiscoveredFile } from '../workspace/discovery';
import type { FileFacts } from '../workspace/facts';
import type { CheckResult, PrepareResult } from './scan-core';

export type ToWorker =
  | { type: 'init'; ruleIds: string[]; settings: RunSettings; maxFileBytes: number }
  | { type: 'prepare'; files: DiscoveredFile[] }
  | { type: 'check'; otherFacts: FileFacts[] };

export type FromWorker =
  | { type: 'prepared'; result: PrepareResult }
  | { type: 'checked'; result: CheckResult }
  | { type: 'failed'; message: string };
