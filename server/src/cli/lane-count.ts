/**
 * How many lanes (the calling thread plus worker threads) a scan uses.
 *
 * A worker lane is not free: it starts its own copy of the engine (~110 ms) and V8 compiles and
 * optimises the analysis afresh in every thread, on cores the lanes share. Measured on 2 cores,
 * one lane against two, with V8's interrupt budget raised for lanes (jit-budget.ts):
 * - subsets of the benchmark's Python corpus: 0.43 MB 0.61 vs 0.68 s, 0.86 MB 0.91 vs 0.84 s,
 *   1.7 MB 1.39 vs 1.21 s, 3.4 MB 2.37 vs 1.96 s, 8.6 MB 4.95 vs 3.99 s;
 * - the TypeScript corpus, whose parser is itself JavaScript that every lane compiles again:
 *   2.0 MB 1.59 vs 1.70 s, 3.95 MB 2.44 vs 2.38 s, 7.9 MB 4.21 vs 3.98 s.
 * So by default a scan adds a lane for every LANE_BYTES of source, TypeScript and JavaScript
 * counting half, up to one per core; `--jobs N` asks for N lanes whatever the amount of code.
 */
import type { Language } from '../engine/types';

/** `--jobs`: a number of lanes, or `auto` (the default): as many as the code pays for. */
export type Jobs = number | 'auto';

/** Source per lane below which one more worker costs more than it saves. */
export const LANE_BYTES = 1024 * 1024;

/** How much a byte of each language weighs against LANE_BYTES. */
const LANE_WEIGHT: Record<Language, number> = {
  python: 1,
  sql: 1,
  prisma: 1,
  compose: 1,
  typescript: 0.5,
};

/** The lane-worth of `bytes` of `language` source: a worker pays off from 2 * LANE_BYTES on. */
export function laneBytes(language: Language, bytes: number): number {
  return bytes * LANE_WEIGHT[language];
}

/**
 * The lanes for a scan of `bytes` of lane-worth (laneBytes) handed out in `chunks` chunks on
 * `cores` cores: never more lanes than chunks, since a lane without a chunk only costs its start.
 */
export function laneCount(jobs: Jobs, chunks: number, bytes: number, cores: number): number {
  const wanted =
    jobs === 'auto' ? Math.min(cores, Math.floor(bytes / LANE_BYTES)) : Math.floor(jobs);
  return Math.max(1, Math.min(wanted, chunks));
}
