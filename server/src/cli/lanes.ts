/**
 * Analysis of many files in parallel lanes: the calling thread and worker threads, handed small
 * chunks so every core stays busy. Files that may declare schema go first; once every lane knows
 * every table, the others' rules run in one pass; each lane then re-runs its files' deferred
 * index readers against the whole index. The CLI's scan and the language server's start-up both
 * run this; what they do with the results (reports, or a live workspace) is their own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Rule } from '../engine/rule';
import type { RunSettings } from '../engine/runner';
import { decode } from '../engine/source-guard';
import type { Suppression } from '../engine/suppressions';
import type { Finding, Problem } from '../engine/types';
import { mayDeclareSchema } from '../languages/schema-sniff';
import { initParsers } from '../parsing/tree-sitter';
import { declaresSchema, type FileFacts } from '../workspace/facts';
import type { AdoptedAnalysis } from '../workspace/live-workspace';
import { laneBytes, laneCount, type Jobs } from './lane-count';
import { ScanCore, type CheckResult, type LaneFile, type PrepareResult } from './scan-core';
import type { FromWorker, ToWorker } from './worker-protocol';

export interface LanesRequest {
  files: readonly LaneFile[];
  rules: readonly Rule[];
  settings: RunSettings;
  maxFileBytes: number;
  /** Lanes: 1 runs in the calling thread only; `auto` as many as the code pays for (lane-count.ts). */
  jobs: Jobs;
  onProgress?: (done: number, total: number) => void;
}

/** What the lanes found, over all lanes: everything but the cross-file rules' findings. */
export interface LanesResult extends AdoptedAnalysis {
  /** Mutable: the CLI's scan adds the cross-file rules' problems. */
  problems: Problem[];
  /** Bytes and lines analysed, for throughput figures. */
  bytes: number;
  lines: number;
}

const CHUNK_SIZE = 16;

/** One unit of parallel work: a ScanCore in this thread or in a worker thread. */
interface Lane {
  /** Chunks handed to the lane at once: a worker gets its next chunk while it works on one. */
  depth: number;
  prepare(files: LaneFile[], deferIndexUsers: boolean): Promise<PrepareResult>;
  learn(facts: FileFacts[]): void;
  check(otherFacts: FileFacts[], rerunAllReaders: boolean): Promise<CheckResult>;
  close(): Promise<void>;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The lane of the calling thread. It yields to the event loop after each chunk: beside workers,
 * their answers (and their next chunks) would otherwise wait until this lane ran out of work; in
 * the language server, requests are answered while it works. A yield per chunk costs nothing
 * measurable.
 */
function localLane(request: LanesRequest): Lane {
  const core = new ScanCore(request.rules, request.settings, request.maxFileBytes);
  return {
    depth: 1,
    prepare: async (files, defer) => {
      const result = core.prepare(files, defer);
      await yieldToEventLoop();
      return result;
    },
    learn: (facts) => core.learn(facts),
    check: async (otherFacts, rerunAll) => core.check(otherFacts, rerunAll),
    close: async () => undefined,
  };
}

/** The worker script: the bundled `scan-worker.js`, or the TypeScript source under tsx. */
function workerEntry(): { file: string; execArgv: string[] } {
  const bundled = path.join(__dirname, 'scan-worker.js');
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: path.join(__dirname, 'scan-worker.ts'), execArgv: ['--require', 'tsx/cjs'] };
}

function workerLane(request: LanesRequest): Lane {
  const entry = workerEntry();
  const worker = new Worker(entry.file, { execArgv: entry.execArgv });
  // The worker answers requests in the order it got them.
  const pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void }[] = [];
  const failAll = (error: Error): void => {
    for (const waiter of pending.splice(0)) waiter.reject(error);
  };
  worker.on('message', (message: FromWorker) => {
    const waiter = pending.shift();
    if (message.type === 'failed') waiter?.reject(new Error(message.message));
    else waiter?.resolve(message);
  });
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`scan worker exited with code ${code}`)));
  const ask = (message: ToWorker): Promise<FromWorker> =>
    new Promise((resolve, reject) => {
      pending.push({ resolve, reject });
      worker.postMessage(message);
    });
  worker.postMessage({
    type: 'init',
    ruleIds: request.rules.map((rule) => rule.meta.id),
    settings: request.settings,
    maxFileBytes: request.maxFileBytes,
  } satisfies ToWorker);
  return {
    depth: 2,
    prepare: async (files, deferIndexUsers) =>
      ((await ask({ type: 'prepare', files, deferIndexUsers })) as { result: PrepareResult })
        .result,
    // Messages are handled in order, so `learn` needs no answer before the next request.
    learn: (facts) => worker.postMessage({ type: 'learn', facts } satisfies ToWorker),
    check: async (otherFacts, rerunAllReaders) =>
      ((await ask({ type: 'check', otherFacts, rerunAllReaders })) as { result: CheckResult })
        .result,
    close: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/**
 * With `PERFLENS_TIMING=1`, prints how long each phase of a scan took to stderr (like ESLint's
 * `TIMING`), to see where a slow scan spends its time.
 */
export function phaseTimer(): (name: string) => void {
  if (!process.env.PERFLENS_TIMING) return () => undefined;
  let last = performance.now();
  return (name) => {
    const now = performance.now();
    process.stderr.write(`perflens timing: ${name}: ${(now - last).toFixed(0)} ms\n`);
    last = now;
  };
}

/** A file's text from disk, or undefined when it cannot be read. */
export function readText(file: string): string | undefined {
  try {
    return decode(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

/** Whether a file should be analysed in the schema round (it may declare tables or indexes). */
function maySniffSchema(file: LaneFile): boolean {
  const text = file.text ?? readText(file.file);
  return text !== undefined && mayDeclareSchema(text, file.language);
}

/**
 * The lane-worth of the files (a file that is gone counts 0). For files on disk, sizes come from
 * `stat`, not from the schema sniff's reads: the workers start before the sniff, beside it.
 */
function laneWorth(files: readonly LaneFile[]): number {
  let bytes = 0;
  for (const { file, language, text } of files) {
    const size =
      text !== undefined ? text.length : (fs.statSync(file, { throwIfNoEntry: false })?.size ?? 0);
    bytes += laneBytes(language, size);
  }
  return bytes;
}

/** How many lanes `request` gets on this machine (see lane-count.ts). */
export function lanesFor(request: Pick<LanesRequest, 'files' | 'jobs'>): number {
  return laneCount(
    request.jobs,
    Math.ceil(request.files.length / CHUNK_SIZE),
    request.jobs === 'auto' ? laneWorth(request.files) : 0,
    Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
  );
}

/** Analyses `request.files` with every rule but the cross-file ones, in parallel lanes. */
export async function analyseInLanes(request: LanesRequest): Promise<LanesResult> {
  const jobs = lanesFor(request);
  // The calling thread is one of the lanes: a thread that waited on the workers would cost its
  // own start-up and the copying of its lane's facts for nothing.
  await initParsers();
  const lanes = [
    localLane(request),
    ...Array.from({ length: jobs - 1 }, () => workerLane(request)),
  ];
  try {
    const problems: Problem[] = [];
    let bytes = 0;
    let lines = 0;
    let done = 0;
    /** Hands out chunks of `files` to whichever lane is free; returns each lane's facts. */
    const round = async (
      files: readonly LaneFile[],
      deferIndexUsers: boolean,
    ): Promise<FileFacts[][]> => {
      const chunks: LaneFile[][] = [];
      for (let i = 0; i < files.length; i += CHUNK_SIZE)
        chunks.push(files.slice(i, i + CHUNK_SIZE));
      const factsByLane = lanes.map(() => [] as FileFacts[]);
      const slots = lanes.flatMap((lane, laneIndex) => Array<number>(lane.depth).fill(laneIndex));
      let next = 0;
      await Promise.all(
        slots.map(async (laneIndex) => {
          const lane = lanes[laneIndex];
          while (next < chunks.length) {
            const chunk = chunks[next++];
            const result = await lane.prepare(chunk, deferIndexUsers);
            factsByLane[laneIndex].push(...result.facts);
            problems.push(...result.problems);
            bytes += result.bytes;
            lines += result.lines;
            done += chunk.length;
            request.onProgress?.(done, request.files.length);
          }
        }),
      );
      return factsByLane;
    };
    const others = (byLane: FileFacts[][], laneIndex: number): FileFacts[] =>
      byLane.filter((_, i) => i !== laneIndex).flat();

    // Schema first: once every lane knows every table, the other files' rules run in one pass.
    const phase = phaseTimer();
    const schemaFiles = request.files.filter(maySniffSchema);
    phase('sniff schema files');
    const inSchemaRound = new Set(schemaFiles);
    const otherFiles = request.files.filter((file) => !inSchemaRound.has(file));
    const schemaFacts = await round(schemaFiles, true);
    phase(`schema round (${schemaFiles.length} files)`);
    lanes.forEach((lane, laneIndex) => lane.learn(others(schemaFacts, laneIndex)));
    const restFacts = await round(otherFiles, false);
    phase(`main round (${otherFiles.length} files)`);
    // A file the sniff missed declared schema after all: rules that read the index run again.
    const schemaMissed = restFacts.flat().some(declaresSchema);
    const checks = await Promise.all(
      lanes.map((lane, laneIndex) => lane.check(others(restFacts, laneIndex), schemaMissed)),
    );
    phase('re-run deferred index readers');
    const findings: Finding[] = [];
    const suppressions = new Map<string, Suppression[]>();
    const indexReaders = new Map<string, string[]>();
    for (const check of checks) {
      findings.push(...check.findings);
      for (const [file, list] of check.suppressions) suppressions.set(file, list);
      for (const [file, rules] of check.indexReaders) indexReaders.set(file, rules);
      problems.push(...check.problems);
    }
    return {
      facts: [...schemaFacts.flat(), ...restFacts.flat()],
      findings,
      suppressions,
      indexReaders,
      problems,
      bytes,
      lines,
    };
  } finally {
    await Promise.all(lanes.map((lane) => lane.close()));
  }
}
