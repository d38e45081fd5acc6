/**
 * The language server's analysis of many files of a folder (start-up, a reconfiguration) in the
 * lanes of the CLI's scan (cli/lanes.ts): the calling thread, yielding between chunks so requests
 * are answered, and worker threads when there is code enough, each preparing a share of the files,
 * after which the folder's live workspace adopts their facts and findings. One thread took ~5 s
 * over the benchmark's 8.6 MB Python corpus, all of it on one core.
 */
import { analyseInLanes, lanesFor } from '../cli/lanes';
import type { Jobs } from '../cli/lane-count';
import type { SourceFile } from '../languages/prepared';
import type { LiveWorkspace } from '../workspace/live-workspace';

/** Overrides the lanes of folder analyses, as `--jobs` does for the CLI (`1` turns them off). */
export const JOBS_VARIABLE = 'PERFLENS_JOBS';

/** The lanes asked for in the environment: a number of lanes, else `auto`. */
function requestedJobs(): Jobs {
  const jobs = Number(process.env[JOBS_VARIABLE]);
  return Number.isInteger(jobs) && jobs >= 1 ? jobs : 'auto';
}

/**
 * How many lanes the analysis of `sources` gets. A type-aware workspace stays in one: each lane
 * would build its own TypeScript program of the whole folder.
 */
export function folderLaneCount(workspace: LiveWorkspace, sources: readonly SourceFile[]): number {
  if (workspace.configuration.settings.typeAware) return 1;
  return lanesFor({ files: sources, jobs: requestedJobs() });
}

/**
 * Analyses `sources` in `lanes` lanes (folderLaneCount) with `workspace`'s configuration. The
 * caller has the workspace adopt the result, unless a newer analysis started meanwhile.
 * Unlike the CLI's scan it leaves V8's interrupt budget alone (jit-budget.ts): the flag would stay
 * raised for the server's life and delay the optimisation of the code that analyses each edit
 * (with it, an edit of 2,000 lines took p50 18.4-19.3 ms against 15.7-16.7, bench-latency
 * --analysis-only 2000).
 */
export function analyseFolderFiles(
  workspace: LiveWorkspace,
  sources: readonly SourceFile[],
  lanes: number,
  onProgress: (done: number, total: number) => void,
): ReturnType<typeof analyseInLanes> {
  const { rules, settings, limits } = workspace.configuration;
  return analyseInLanes({
    files: sources,
    rules,
    settings,
    maxFileBytes: limits.maxFileBytes,
    jobs: lanes,
    onProgress,
  });
}
