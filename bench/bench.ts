/**
 * `npm run bench`: scans a generated Python corpus with one job and with every core, each in
 * its own child process so peak RSS is measured per configuration. Figures are printed, never
 * asserted: these machines are noisy, so compare the ratios within one run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { scan } from '../server/src/cli/scan';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { discoverFiles } from '../server/src/workspace/discovery';
import { generateCorpus, generateLargeModule } from './corpus';
import { median } from './stats';

interface RunFigures {
  jobs: number;
  seconds: number;
  /** CPU time of the whole process (all threads: workers, GC, compilers). */
  cpuSeconds: number;
  files: number;
  bytes: number;
  lines: number;
  findings: number;
  peakRssMb: number;
}

/** What scans with `jobs` lanes: the calling thread, and worker threads beside it. */
function lanes(jobs: number): string {
  return jobs === 1 ? 'this thread' : `this thread + ${jobs - 1} worker${jobs === 2 ? '' : 's'}`;
}

/** Child mode: one scan of the corpus with `jobs` lanes; prints its figures as JSON. */
async function measure(dir: string, jobs: number): Promise<void> {
  const files = discoverFiles([dir], { root: dir, include: [], exclude: [] });
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await scan({
    files,
    rules,
    settings,
    maxFileBytes: DEFAULT_CONFIG.maxFileSizeKb * 1024,
    jobs,
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const figures: RunFigures = {
    jobs,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    files: result.stats.files,
    bytes: result.stats.bytes,
    lines: result.stats.lines,
    findings: result.reports.reduce((n, r) => n + r.findings.length, 0),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(figures));
}

function runChild(dir: string, jobs: number): RunFigures {
  const out = execFileSync(process.execPath, [__filename, '--measure', dir, String(jobs)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as RunFigures;
}

/**
 * Child mode: only tree-sitter's parse of every file, in this thread: the floor under the 1-job
 * scan, which parses each file once and analyses it. Prints the seconds it took.
 */
async function measureParse(dir: string): Promise<void> {
  const texts = discoverFiles([dir], { root: dir, include: [], exclude: [] }).map((file) =>
    fs.readFileSync(file.file, 'utf8'),
  );
  await initParsers();
  const started = performance.now();
  for (const text of texts) parse('python', text).delete();
  process.stdout.write(JSON.stringify((performance.now() - started) / 1000));
}

function parseSeconds(dir: string): number {
  const out = execFileSync(process.execPath, [__filename, '--measure-parse', dir], {
    encoding: 'utf8',
  });
  return JSON.parse(out) as number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') return measure(args[1], Number(args[2]));
  if (args[0] === '--measure-parse') return measureParse(args[1]);

  const cores = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const dir = path.join(os.tmpdir(), 'perflens-bench-python');
  const corpus = generateCorpus(dir, 1000);
  const repeats = Number(process.env.PERFLENS_BENCH_REPEATS ?? 3);
  console.log(
    `Python corpus: ${corpus.files} files, ${corpus.lines.toLocaleString()} lines, ` +
      `${(corpus.bytes / 1e6).toFixed(2)} MB (${dir}); ${ALL_RULES.length} rules; ${repeats} runs each, median shown`,
  );
  const configurations = cores > 1 ? [1, cores] : [1];
  const results = new Map<number, RunFigures>();
  for (const jobs of configurations) {
    const runs = Array.from({ length: repeats }, () => runChild(dir, jobs));
    const seconds = median(runs.map((r) => r.seconds));
    const cpuSeconds = median(runs.map((r) => r.cpuSeconds));
    const figures = {
      ...runs[0],
      seconds,
      cpuSeconds,
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    };
    results.set(jobs, figures);
    console.log(
      `  ${String(jobs).padStart(2)} job${jobs === 1 ? ' ' : 's'} (${lanes(jobs)}): ${seconds.toFixed(2)} s  ` +
        `${(figures.bytes / 1e6 / seconds).toFixed(2)} MB/s  ${Math.round(figures.lines / seconds).toLocaleString()} lines/s  ` +
        `${Math.round(figures.files / seconds)} files/s  ${(figures.bytes / 1e6 / cpuSeconds).toFixed(2)} MB per CPU-second  ` +
        `peak RSS ${figures.peakRssMb.toFixed(0)} MB  ` +
        `(${figures.findings} findings)`,
    );
  }
  const parsing = median(Array.from({ length: repeats }, () => parseSeconds(dir)));
  console.log(
    `  tree-sitter parse alone, 1 thread (the floor under the 1-job scan): ${parsing.toFixed(2)} s  ` +
      `${(corpus.bytes / 1e6 / parsing).toFixed(2)} MB/s`,
  );
  // One file just under the default size limit: per-file costs that grow faster than the file.
  const large = generateLargeModule(
    path.join(os.tmpdir(), 'perflens-bench-python-large'),
    DEFAULT_CONFIG.maxFileSizeKb * 1024 - 64 * 1024,
  );
  const largeRun = runChild(large.dir, 1);
  console.log(
    `  one ${(large.bytes / 1e6).toFixed(2)} MB module (${large.lines.toLocaleString()} lines), 1 job: ` +
      `${largeRun.seconds.toFixed(2)} s  ${(large.bytes / 1e6 / largeRun.seconds).toFixed(2)} MB/s  ` +
      `peak RSS ${largeRun.peakRssMb.toFixed(0)} MB  (${largeRun.findings} findings)`,
  );
  if (cores > 1) {
    const single = results.get(1)!;
    const speedup = single.seconds / results.get(cores)!.seconds;
    // V8 collects garbage and compiles on background threads, so one job already uses more
    // than one core; the CPU-time figure above is the honest per-core throughput. The same CPU
    // work spread perfectly over every core would take cpuSeconds / cores: that bounds the
    // speed-up any split of the scan can reach on this machine.
    const busyCores = single.cpuSeconds / single.seconds;
    console.log(
      `  speed-up with ${cores} cores: ${speedup.toFixed(2)}x ` +
        `(the 1-job run already keeps ${busyCores.toFixed(2)} cores busy, so splitting its CPU ` +
        `work over ${cores} cores could reach at most ${(cores / busyCores).toFixed(2)}x)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
