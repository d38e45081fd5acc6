/**
 * How long V8 lets a function run before it optimises it, for scans in several lanes.
 *
 * V8 optimises a function once it has executed its "interrupt budget" of bytecode (66 KB in
 * Node 20) and again after every deoptimisation. A scan's code is large and meets new shapes of
 * input for a while, so with the default budget V8 compiled 2.0 s of optimised code over the
 * benchmark's Python corpus (`--trace-opt`), in background threads. With one lane that is nearly
 * free, on a core the scan does not use. With several, every lane is its own isolate compiling the
 * same code again, on the cores the lanes need: over the same corpus on 2 cores, two lanes spent
 * 8.0 CPU-seconds against 6.4 for one. Waiting for more feedback before optimising compiles
 * fewer functions, fewer times: 0.78 s with a budget of 600,000, and two lanes then took 3.98 s
 * instead of 4.50 s, 6.9 CPU-seconds instead of 8.1. A single lane gains nothing from it (5.1 s
 * either way), so the budget is only raised when a scan starts workers.
 */
import * as v8 from 'node:v8';

/** Bytecode a function executes between V8's tiering checks, in a scan with worker lanes. */
export const LANE_INTERRUPT_BUDGET = 600_000;

/**
 * Raises V8's interrupt budget for this process and the workers it starts next, when a scan runs
 * in more than one lane. The flag only changes when V8 optimises, never what the code computes.
 */
export function tuneJitForLanes(lanes: number): void {
  if (lanes > 1) v8.setFlagsFromString(`--interrupt-budget=${LANE_INTERRUPT_BUDGET}`);
}
