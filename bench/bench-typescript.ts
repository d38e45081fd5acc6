/**
 * `npm run bench`, TypeScript part: scans a generated TypeScript/React/Prisma corpus with the
 * front end alone (parse, model, facts, embedded SQL: the syntactic pass), with every rule, and
 * runs ESLint with typescript-eslint's parser on the same files in the same run. Each
 * configuration runs in its own child process so CPU time and peak RSS are its own. Figures are
 * printed, never asserted: compare the ratios within one run.
 */
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { scan } from '../server/src/cli/scan';
import { parseTypeScript, reparseTypeScript, type ts } from '../server/src/typescript/compiler';
import { discoverFiles } from '../server/src/workspace/discovery';
import { LiveWorkspace } from '../server/src/workspace/live-workspace';
import { generateTsCorpus } from './ts-corpus';
import { median, percentile } from './stats';

type Mode = 'syntactic' | 'all-rules' | 'type-aware' | 'eslint';

interface RunFigures {
  seconds: number;
  cpuSeconds: number;
  findings: number;
  peakRssMb: number;
}

/** Child mode: one pass over the corpus; prints its figures as JSON. */
async function measure(dir: string, mode: Mode): Promise<void> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const findings = mode === 'eslint' ? await runEslint(dir) : await runPerflens(dir, mode);
  const cpu = process.cpuUsage(cpuBefore);
  const figures: RunFigures = {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    findings,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(figures));
}

async function runPerflens(dir: string, mode: Mode): Promise<number> {
  const files = discoverFiles([dir], { root: dir, include: [], exclude: [] });
  const config = { ...DEFAULT_CONFIG, typescript: { typeAware: mode === 'type-aware' } };
  const { rules, settings } = resolveRules(ALL_RULES, config, {}, dir);
  const result = await scan({
    files,
    // With no rules the scan still parses, models and indexes every file: the syntactic pass.
    rules: mode === 'syntactic' ? [] : rules,
    settings,
    maxFileBytes: DEFAULT_CONFIG.maxFileSizeKb * 1024,
    jobs: 1,
  });
  return result.reports.reduce((n, report) => n + report.findings.length, 0);
}

/**
 * ESLint 10 with typescript-eslint's parser and its recommended rules (no type information, as
 * Perflens's syntactic pass has none) plus `no-await-in-loop`, the closest core rule to ours.
 * Loaded at run time from node_modules: they are development tools, not part of the product.
 */
async function runEslint(dir: string): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ESLint } = require('eslint') as typeof import('eslint');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tseslint = require('typescript-eslint') as typeof import('typescript-eslint');
  const eslint = new ESLint({
    cwd: dir,
    overrideConfigFile: true,
    overrideConfig: [
      ...(tseslint.configs.recommended as object[]),
      {
        files: ['**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}'],
        languageOptions: {
          parser: tseslint.parser,
          parserOptions: { ecmaFeatures: { jsx: true } },
        },
        rules: { 'no-await-in-loop': 'warn' },
      },
    ] as never,
  });
  const results = await eslint.lintFiles(['**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts}']);
  return results.reduce((n, r) => n + r.messages.length, 0);
}

/** A realistic Fastify + Prisma route module of about `lines` lines, with a few findings. */
function routeModule(lines: number): string {
  const header = [
    "import type { FastifyInstance } from 'fastify';",
    "import { prisma } from '../db';",
    "import { fetchRates } from '../services/rates';",
    '',
    'export async function routes(app: FastifyInstance): Promise<void> {',
  ].join('\n');
  const block = (n: number) => `
  app.get('/orders/${n}', async (request, reply) => {
    const { status, cursor } = request.query as { status: string; cursor?: number };
    const orders = await prisma.order.findMany({
      where: { status, customerId: Number(request.params) },
      orderBy: { createdAt: 'desc' },
      take: 50,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    const totals = new Map<string, number>();
    for (const order of orders) {
      totals.set(order.currency, (totals.get(order.currency) ?? 0) + order.totalCents);
    }
    return reply.send({ orders, totals: Object.fromEntries(totals) });
  });

  app.post('/orders/${n}/refresh', async (request) => {
    const ids = (request.body as { ids: number[] }).ids;
    const rates = await fetchRates('EUR');
    for (const id of ids) {
      await prisma.order.update({ where: { id }, data: { rate: rates.get(id) ?? 1 } });
    }
    return prisma.$queryRaw\`SELECT id, status FROM orders WHERE id = ANY(\${ids}) LIMIT 100\`;
  });
`;
  let text = header;
  for (let n = 0; text.split('\n').length < lines; n++) text += block(n);
  return `${text}}\n`;
}

/**
 * The server's work per edit of an open .ts file, in-process: as the language server does, the
 * document is parsed when opened and re-parsed incrementally from its previous tree on each edit
 * (`reparseTypeScript`, what `DocumentTrees` calls), then modelled and checked by every rule.
 */
const WARM_UP_EDITS = 20;

function editLatency(): void {
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  console.log(
    "  Editing one .ts file (the language server's analysis per edit, 40 edits after 20 untimed):",
  );
  for (const lines of [500, 2000, 10000]) {
    const live = new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
    const text = routeModule(lines);
    const analyse = (edited: string, tree: ts.SourceFile): void => {
      live.update(
        {
          file: '/bench/src/routes/orders.ts',
          relativePath: 'src/routes/orders.ts',
          text: edited,
          language: 'typescript',
        },
        tree,
      );
    };
    // Opening the document: a full parse, not timed.
    let tree = parseTypeScript(text, '/bench/src/routes/orders.ts');
    analyse(text, tree);
    const times: number[] = [];
    // The first 20 edits are not timed: the server has analysed the workspace at startup, so V8
    // has optimised its code before the first keystroke (the Python latency bench does the same).
    for (let i = 0; i < WARM_UP_EDITS + 40; i++) {
      const started = performance.now();
      // Alternate a one-character edit so every run analyses a changed text.
      const edited = i % 2 === 0 ? text.replace('take: 50', 'take: 51') : text;
      tree = reparseTypeScript(tree, edited);
      analyse(edited, tree);
      if (i >= WARM_UP_EDITS) times.push(performance.now() - started);
    }
    console.log(
      `    ${String(lines).padStart(6)} lines: p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`,
    );
  }
}

function runChild(dir: string, mode: Mode): RunFigures {
  const out = execFileSync(process.execPath, [__filename, '--measure', dir, mode], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as RunFigures;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') return measure(args[1], args[2] as Mode);
  if (args[0] === '--edit-latency') return editLatency();

  const dir = path.join(os.tmpdir(), 'perflens-bench-typescript');
  // Generated once and reused while the generator's version is unchanged (its marker file).
  const size = generateTsCorpus(dir);
  const repeats = Number(process.env.PERFLENS_BENCH_REPEATS ?? 3);
  const tsRules = ALL_RULES.filter((rule) => rule.meta.language === 'typescript').length;
  console.log(
    `TypeScript corpus: ${size.files} files, ${size.lines.toLocaleString()} lines, ` +
      `${(size.bytes / 1e6).toFixed(2)} MB (${dir}); ${tsRules} TypeScript rules + the SQL rules; ` +
      `1 worker; ${repeats} runs each, median shown`,
  );
  const results = new Map<Mode, RunFigures>();
  const labels: Record<Mode, string> = {
    syntactic: 'Perflens syntactic pass (parse, model, facts, SQL)',
    'all-rules': 'Perflens with every rule',
    'type-aware': 'Perflens with every rule, type-aware (ts-morph program of the workspace)',
    eslint: 'ESLint + typescript-eslint parser (recommended + no-await-in-loop)',
  };
  for (const mode of ['syntactic', 'all-rules', 'type-aware', 'eslint'] as const) {
    const runs = Array.from({ length: repeats }, () => runChild(dir, mode));
    const figures: RunFigures = {
      seconds: median(runs.map((r) => r.seconds)),
      cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
      findings: runs[0].findings,
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    };
    results.set(mode, figures);
    console.log(
      `  ${labels[mode]}: ${figures.seconds.toFixed(2)} s  ` +
        `${(size.bytes / 1e6 / figures.seconds).toFixed(2)} MB/s  ` +
        `${(size.bytes / 1e6 / figures.cpuSeconds).toFixed(2)} MB per CPU-second  ` +
        `peak RSS ${figures.peakRssMb.toFixed(0)} MB  (${figures.findings} findings)`,
    );
  }
  const eslint = results.get('eslint')!;
  const perflens = results.get('all-rules')!;
  console.log(
    `  Perflens (every rule) is ${(eslint.seconds / perflens.seconds).toFixed(1)}x faster than ESLint ` +
      `+ typescript-eslint on the same files (${(eslint.cpuSeconds / perflens.cpuSeconds).toFixed(1)}x in CPU time)`,
  );
  editLatency();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
