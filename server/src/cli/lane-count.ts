/**
 * How many lanes (the calling thread plus worker threads) a scan uses.
 *
 * A worker lane is not free: it starts its own copy of the engine (~110 ms) and V8 compiles and
 * optimises the analysis afresh in every thread, on cores the lanes share. Measured on 2 cores
 * with subsets of the benchmark's Python corpus, one lane against two: 0.44 MB 0.68 vs 0.81 s,
 * 0.87 MB 0.96 vs 1.06 s, 1.7 MB 1.46 vs 1.63 s, 3.5 MB 2.40 vs 2.44 s, 8.6 MB 4.9 vs 4.3 s. So
 * by default a scan adds a lane for every LANE_BYTES of source, up to one per core; `--jobs N`
 * asks for N lanes whatever the amount of code.
 */

/** `--jobs`: a number of lanes, or `auto` (the default): as many as the code pays for. */
export type Jobs = number | 'auto';

/** Source per lane below which one more worker costs more than it saves. */
export const LANE_BYTES = 2 * 1024 * 1024;

/**
 * The lanes for a scan of `bytes` of source handed out in `chunks` chunks on `cores` cores:
 * never more lanes than chunks, since a lane without a chunk only costs its start.
 */
export function laneCount(jobs: Jobs, chunks: number, bytes: number, cores: number): number {
  const wanted =
    jobs === 'auto' ? Math.min(cores, Math.floor(bytes / LANE_BYTES)) : Math.floor(jobs);
  return Math.max(1, Math.min(wanted, chunks));
}
