/**
 * The `perflens` command. `perflens scan [paths...]` scans and reports; exit codes: 0 clean (or
 * within --max-warnings), 1 findings over the threshold, 2 usage or config errors.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_RULES } from '../../../rules';
import {
  ConfigError,
  DEFAULT_CONFIG,
  findConfigFile,
  loadConfigFile,
  type PerflensConfig,
} from '../config/config';
import { resolveRules } from '../config/resolve';
import { CATEGORIES, type Category, type Finding } from '../engine/types';
import { discoverFiles, discoveryOptions } from '../workspace/discovery';
import { applyFixes, fixedFindingKey } from './apply-fixes';
import {
  BaselineError,
  filterBaseline,
  readBaseline,
  writeBaseline,
  type BaselineFilter,
} from './baseline';
import { formatJson } from './format/json';
import type { OutputContext } from './format/output';
import { formatSarif } from './format/sarif';
import { formatText, summaryLine } from './format/text';
import type { Jobs } from './lane-count';
import { readText } from './lanes';
import { scan, type ScanResult } from './scan';
import { VERSION } from './version';

const USAGE = `Usage: perflens <command> [options]

Commands:
  scan [paths...]      Find performance problems (default path: .)
  rules                List the rules
  lsp --stdio          Start the language server on stdin/stdout (for Neovim, Helix, Zed, ...)

Options for scan:
  --format <f>         text (default), json or sarif
  --output <file>      Write the report to a file instead of stdout
  --fix                Apply safe fixes
  --unsafe-fixes       With --fix, also apply unsafe fixes
  --rule <id>          Only run this rule (repeatable)
  --category <c>       Only run rules of this category (repeatable)
  --max-warnings <n>   Exit 1 only when there are errors or more than n other findings (default 0)
  --exit-zero          Exit 0 even when problems are found (config and usage errors still exit 2)
  --config <file>      Use this perflens.json instead of the nearest one
  --baseline <file>    Report only findings not in this baseline (accepted ones are counted)
  --write-baseline <file>
                       Write every finding to this baseline, report none and exit 0
  --jobs <n|auto>      Parallel lanes (default auto: one per MB of code, TS/JS counting half, up to one per core)
  --no-progress        Never print the progress line
  -h, --help           Show this help
  -v, --version        Print the version`;

/** A usage error: printed with a hint, exit code 2. */
class UsageError extends Error {}

interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
}

function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}

function displayPathFrom(cwd: string) {
  return (file: string): string => {
    const relative = path.relative(cwd, file);
    return (relative && !relative.startsWith('..') ? relative : file).split(path.sep).join('/');
  };
}

function loadConfig(
  configPath: string | undefined,
  firstPath: string,
  cwd: string,
): { config: PerflensConfig; root: string } {
  const known = new Set(ALL_RULES.map((rule) => rule.meta.id));
  const file = configPath
    ? path.resolve(cwd, configPath)
    : findConfigFile(path.resolve(cwd, firstPath));
  if (!file)
    return { config: DEFAULT_CONFIG, root: defaultRoot(path.resolve(cwd, firstPath), cwd) };
  return { config: loadConfigFile(file, known), root: path.dirname(file) };
}

/**
 * The workspace root without a `perflens.json`: the current folder, or the scanned folder when it
 * lies outside it. Module names derive from paths under the root; `../../tmp/x` would give every
 * module a name no import can match.
 */
function defaultRoot(target: string, cwd: string): string {
  const relative = path.relative(cwd, target);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) return cwd;
  try {
    return fs.statSync(target).isDirectory() ? target : path.dirname(target);
  } catch {
    return cwd;
  }
}

function parseScanArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: 'string', default: 'text' },
      output: { type: 'string' },
      fix: { type: 'boolean', default: false },
      'unsafe-fixes': { type: 'boolean', default: false },
      rule: { type: 'string', multiple: true, default: [] },
      category: { type: 'string', multiple: true, default: [] },
      'max-warnings': { type: 'string' },
      config: { type: 'string' },
      baseline: { type: 'string' },
      'write-baseline': { type: 'string' },
      jobs: { type: 'string' },
      'no-progress': { type: 'boolean', default: false },
      'exit-zero': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!['text', 'json', 'sarif'].includes(values.format!)) {
    throw new UsageError(`--format must be text, json or sarif, not "${values.format}"`);
  }
  const known = new Set(ALL_RULES.map((rule) => rule.meta.id));
  for (const rule of values.rule!)
    if (!known.has(rule))
      throw new UsageError(`--rule: unknown rule "${rule}" (see \`perflens rules\`)`);
  for (const category of values.category!) {
    if (!CATEGORIES.includes(category as Category)) {
      throw new UsageError(
        `--category: unknown category "${category}" (one of ${CATEGORIES.join(', ')})`,
      );
    }
  }
  const integer = (name: string, value: string | undefined, min: number): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new UsageError(`--${name} must be an integer ≥ ${min}, not "${value}"`);
    return Number(value);
  };
  const jobsOption = (value: string | undefined): Jobs => {
    if (value === undefined || value === 'auto') return 'auto';
    if (!/^\d+$/.test(value) || Number(value) < 1)
      throw new UsageError(`--jobs must be auto or an integer ≥ 1, not "${value}"`);
    return Number(value);
  };
  if (values['unsafe-fixes'] && !values.fix)
    throw new UsageError('--unsafe-fixes only makes sense with --fix');
  return {
    paths: positionals.length > 0 ? positionals : ['.'],
    format: values.format as 'text' | 'json' | 'sarif',
    output: values.output,
    fix: values.fix!,
    unsafeFixes: values['unsafe-fixes']!,
    rules: values.rule!,
    categories: values.category! as Category[],
    maxWarnings: integer('max-warnings', values['max-warnings'], 0) ?? 0,
    config: values.config,
    baseline: values.baseline,
    writeBaseline: values['write-baseline'],
    jobs: jobsOption(values.jobs),
    progress: !values['no-progress'],
    exitZero: values['exit-zero']!,
    help: values.help!,
  };
}

/** A progress line on stderr, only on a terminal and only once a scan has taken a moment. */
function progressReporter(io: Io, enabled: boolean) {
  const started = Date.now();
  let shown = false;
  return {
    update(done: number, total: number): void {
      if (!enabled || !io.stderr.isTTY || Date.now() - started < 500) return;
      shown = true;
      io.stderr.write(`\r\x1b[KScanning… ${done}/${total} files`);
    },
    clear(): void {
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

async function runScanCommand(args: string[], io: Io): Promise<number> {
  const options = parseScanArgs(args);
  if (options.help) {
    writeLine(io.stdout, USAGE);
    return 0;
  }
  const { config, root } = loadConfig(options.config, options.paths[0], io.cwd);
  const baselineFile = options.baseline && path.resolve(io.cwd, options.baseline);
  const baseline = baselineFile && !options.writeBaseline ? readBaseline(baselineFile) : undefined;
  /** The findings a scan reports: those the baseline does not accept. */
  const reported = (all: Finding[]): BaselineFilter =>
    baseline
      ? filterBaseline(all, baseline, baselineFile!, readText)
      : { fresh: all, accepted: 0, unmatched: 0 };
  const { rules, settings } = resolveRules(
    ALL_RULES,
    config,
    { rules: options.rules, categories: options.categories },
    root,
  );
  const files = discoverFiles(
    options.paths.map((p) => path.resolve(io.cwd, p)),
    discoveryOptions(config, root),
  );
  const progress = progressReporter(io, options.progress);
  const maxFileBytes = config.maxFileSizeKb * 1024;
  const run = (): Promise<ScanResult> =>
    scan({
      files,
      rules,
      settings,
      maxFileBytes,
      jobs: options.jobs,
      onProgress: (d, t) => progress.update(d, t),
    });

  let result = await run();
  let fixedCount = 0;
  if (options.fix) {
    // Fixes can uncover or overlap other fixes: re-scan and fix again, a few passes at most. A
    // finding still there after its fix was written whole is not fixed again: its fix does not
    // cure it, and writing it again would only repeat the edit.
    const written = new Set<string>();
    for (let pass = 0; pass < 5; pass++) {
      // Findings the baseline accepts are left as they are, fixes included.
      const outcome = applyFixes(
        reported(result.reports.flatMap((r) => r.findings)).fresh.filter(
          (finding) => !written.has(fixedFindingKey(finding)),
        ),
        options.unsafeFixes,
        root,
      );
      for (const finding of outcome.applied) written.add(fixedFindingKey(finding));
      for (const [file, reason] of outcome.skipped)
        writeLine(io.stderr, `perflens: ${file}: ${reason}`);
      if (outcome.filesChanged.length === 0) break;
      fixedCount += outcome.fixed;
      result = await run();
    }
  }
  progress.clear();

  const all: Finding[] = result.reports.flatMap((report) => report.findings);
  if (options.writeBaseline) {
    const target = path.resolve(io.cwd, options.writeBaseline);
    const written = writeBaseline(target, all, readText);
    writeLine(
      io.stderr,
      `perflens: wrote ${written} finding(s) to ${displayPathFrom(io.cwd)(target)}`,
    );
  }
  const {
    fresh: findings,
    accepted,
    unmatched,
  } = options.writeBaseline ? { fresh: [], accepted: all.length, unmatched: 0 } : reported(all);
  const context: OutputContext = {
    version: VERSION,
    displayPath: displayPathFrom(io.cwd),
    rules,
    readText,
    color:
      options.format === 'text' && !options.output && !!io.stdout.isTTY && !process.env.NO_COLOR,
  };
  let report: string;
  if (options.format === 'json') report = formatJson(findings, context);
  else if (options.format === 'sarif') report = formatSarif(findings, context);
  else
    report =
      formatText(findings, context) + summaryLine(findings, result.stats.files, accepted) + '\n';
  if (options.output) fs.writeFileSync(path.resolve(io.cwd, options.output), report);
  else io.stdout.write(report);

  for (const problem of result.problems) {
    const where = problem.file ? `${context.displayPath(problem.file)}: ` : '';
    writeLine(io.stderr, `perflens: ${where}${problem.message}`);
  }
  const unused = result.reports.flatMap((r) =>
    r.unusedSuppressions.map((s) => `${context.displayPath(r.file)}:${s.line}`),
  );
  if (unused.length > 0) {
    writeLine(
      io.stderr,
      `perflens: ${unused.length} suppression comment(s) no longer match any finding: ${unused.join(', ')}`,
    );
  }
  if (options.fix) writeLine(io.stderr, `perflens: fixed ${fixedCount} problem(s)`);
  if (unmatched > 0) {
    writeLine(
      io.stderr,
      `perflens: ${unmatched} baseline entr${unmatched === 1 ? 'y matches' : 'ies match'} no finding any more (fixed or changed): update the baseline with --write-baseline`,
    );
  }
  if (options.format !== 'text' || options.output)
    writeLine(io.stderr, summaryLine(findings, result.stats.files, accepted));

  const errors = findings.filter((f) => f.severity === 'error').length;
  if (options.exitZero) return 0;
  return errors > 0 || findings.length - errors > options.maxWarnings ? 1 : 0;
}

function listRules(io: Io): number {
  for (const rule of [...ALL_RULES].sort((a, b) => (a.meta.id < b.meta.id ? -1 : 1))) {
    const fix = rule.meta.fix ? ` [fix: ${rule.meta.fix.safety}]` : '';
    writeLine(
      io.stdout,
      `${rule.meta.id.padEnd(36)} ${rule.meta.category.padEnd(18)} ${rule.meta.severity.padEnd(8)} ${rule.meta.summary.replace(/`/g, '')}${fix}`,
    );
  }
  return 0;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'scan':
        return await runScanCommand(rest, io);
      case 'rules':
        return listRules(io);
      case 'lsp':
        if (!rest.includes('--stdio')) throw new UsageError('`perflens lsp` needs --stdio');
        (await import('../server')).startServer();
        return new Promise<number>(() => undefined); // runs until the client exits it
      case '-v':
      case '--version':
        writeLine(io.stdout, VERSION);
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        writeLine(io.stdout, USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      writeLine(io.stderr, `perflens: config error: ${error.message}`);
      return 2;
    }
    if (error instanceof BaselineError) {
      writeLine(io.stderr, `perflens: baseline error: ${error.message}`);
      return 2;
    }
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      writeLine(
        io.stderr,
        `perflens: ${(error as Error).message}\nRun \`perflens --help\` for usage.`,
      );
      return 2;
    }
    if (error instanceof Error && /no such file or directory/.test(error.message)) {
      writeLine(io.stderr, `perflens: ${error.message}`);
      return 2;
    }
    writeLine(
      io.stderr,
      `perflens: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 2;
  }
}

/** Entry point of `bin/perflens.js`: runs with the process's arguments and sets its exit code. */
export function run(): void {
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  }).then((code) => {
    process.exitCode = code;
  });
}
