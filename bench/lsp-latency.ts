/**
 * Editor latency: over LSP, the time from an edit (`didChange`) to the diagnostics of that version,
 * for files of 500, 2,000 and 10,000 lines; the server's analysis time alone (in-process, the
 * same code path as an edit, front end included: what an edit costs when nothing ran ahead); and
 * the time from opening the Python benchmark corpus as a workspace to the diagnostics of its last
 * file. Figures are printed, never asserted.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  type ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { URI } from 'vscode-uri';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { DEBOUNCE_MS, PREPARE_AFTER_MS } from '../server/src/lsp/language-server';
import { SERVER_EXEC_ARGV } from '../server/src/lsp/process-options';
import { initParsers } from '../server/src/parsing/tree-sitter';
import { lanesFor } from '../server/src/cli/lanes';
import type { Jobs } from '../server/src/cli/lane-count';
import { DocumentTrees } from '../server/src/lsp/document-trees';
import { JOBS_VARIABLE } from '../server/src/lsp/folder-lanes';
import { discoverFiles } from '../server/src/workspace/discovery';
import { LiveWorkspace } from '../server/src/workspace/live-workspace';
import { generateCorpus } from './corpus';
import { median, percentile } from './stats';

const EDITS = Number(process.env.PERFLENS_BENCH_EDITS ?? 100);
const WARM_UP_RUNS = 20;

/** A realistic module of about `lines` lines: routes, services and SQL, with a few findings. */
function pythonModule(lines: number): string {
  const header =
    'import time\nimport requests\nfrom fastapi import APIRouter, Depends\nfrom sqlalchemy.orm import Session\n\nrouter = APIRouter()\n';
  const block = (n: number) => `

@router.get("/items/${n}")
def list_items_${n}(status: str, skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
    rows = db.query(Item).filter(Item.status == status).offset(skip).limit(limit).all()
    totals = {}
    for row in rows:
        totals[row.kind] = totals.get(row.kind, 0) + row.amount
    return {"rows": [serialize(r) for r in rows], "totals": totals}


def report_${n}(conn, since):
    sql = """
        SELECT day, region, count(*) AS orders
        FROM orders WHERE created_at >= ? GROUP BY 1, 2 ORDER BY 1 LIMIT 500
    """
    return conn.execute(sql, (since,)).fetchall()


async def refresh_${n}(client):
    response = await client.get("/refresh/${n}", timeout=10)
    return response.json()
`;
  let text = header;
  for (let n = 0; text.split('\n').length < lines; n++) text += block(n);
  return text;
}

/**
 * The `i`th keystroke of the benchmark, in the middle of the file: `x` typed at the start of a
 * blank line between functions, then deleted. A keystroke at the start of a line is the costliest
 * for tree-sitter-python's incremental re-parse (it re-parses the rest of the file).
 */
function keystrokes(text: string): (i: number) => TextDocumentContentChangeEvent {
  const lines = text.split('\n');
  const line = lines.findIndex((content, i) => i >= lines.length / 2 && content === '');
  return (i) =>
    i % 2 === 0
      ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'x' }
      : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' };
}

/** `text` after an incremental change (a range edit on one line, as keystrokes() makes). */
function applyChange(text: string, change: TextDocumentContentChangeEvent): string {
  if (!('range' in change)) return change.text;
  const lines = text.split('\n');
  const { start, end } = change.range;
  const line = lines[start.line];
  lines[start.line] = line.slice(0, start.character) + change.text + line.slice(end.character);
  return lines.join('\n');
}

const URI_OF_APP = 'file:///bench/app.py';

/**
 * The language server as editors start it (`perflens lsp --stdio`, the server's V8 options);
 * `env` is added to this process's environment.
 */
function startServer(env: Record<string, string> = {}): {
  child: ChildProcess;
  connection: ProtocolConnection;
} {
  const cli = path.join(__dirname, 'cli.js');
  const child = spawn(
    process.execPath,
    [
      ...SERVER_EXEC_ARGV,
      '-e',
      `require(${JSON.stringify(cli)}).run()`,
      'perflens',
      'lsp',
      '--stdio',
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    },
  );
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  return { child, connection };
}

/** Starts listening (with the notification handlers already set) and initialises on `dir`. */
async function initialize(connection: ProtocolConnection, dir: string): Promise<void> {
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('perflens/status', () => undefined);
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: URI.file(dir).toString(),
    workspaceFolders: [{ uri: URI.file(dir).toString(), name: 'bench' }],
    capabilities: { window: { workDoneProgress: true } },
  });
}

/**
 * Opening a workspace: seconds from `initialized` until every file of `dir` has its diagnostics
 * (the server publishes a list, empty or not, for each file it analyses at start-up), with the
 * start-up analysis in `jobs` lanes (the server's PERFLENS_JOBS).
 */
async function startupOverLsp(dir: string, files: number, jobs: Jobs): Promise<number> {
  const { child, connection } = startServer({ [JOBS_VARIABLE]: String(jobs) });
  const published = new Set<string>();
  let done: () => void = () => undefined;
  const allIn = new Promise<void>((resolve) => (done = resolve));
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    published.add(params.uri);
    if (published.size >= files) done();
  });
  await initialize(connection, dir);
  const started = performance.now();
  await connection.sendNotification(InitializedNotification.type, {});
  await allIn;
  const seconds = (performance.now() - started) / 1000;
  connection.dispose();
  child.kill();
  return seconds;
}

async function overLsp(text: string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-latency-'));
  const file = path.join(dir, 'app.py');
  fs.writeFileSync(file, text);
  const uri = URI.file(file).toString();
  const { child, connection } = startServer();
  const published = new Map<number, number>();
  const waiters = new Map<number, () => void>();
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    if (params.uri !== uri || params.version === undefined) return;
    published.set(params.version, performance.now());
    waiters.get(params.version)?.();
  });
  await initialize(connection, dir);
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  /** When the diagnostics of `version` arrived (they are timed on arrival, not when awaited). */
  const waitFor = async (version: number): Promise<number> => {
    if (!published.has(version)) {
      await new Promise<void>((resolve, reject) => {
        const timeout = setTimeout(
          () => reject(new Error(`no diagnostics for version ${version}`)),
          10_000,
        );
        waiters.set(version, () => {
          clearTimeout(timeout);
          resolve();
        });
      });
      waiters.delete(version);
    }
    return published.get(version)!;
  };
  await waitFor(1);
  const edits = keystrokes(text);
  const latencies: number[] = [];
  // The first edits are untimed, as in analysisAlone(): a server in use has analysed its
  // workspace at startup, and this one has a single file.
  for (let version = 2; version < WARM_UP_RUNS + EDITS + 2; version++) {
    const sent = performance.now();
    await connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [edits(version - 2)],
    });
    const latency = (await waitFor(version)) - sent;
    if (version >= WARM_UP_RUNS + 2) latencies.push(latency);
  }
  connection.dispose();
  child.kill();
  fs.rmSync(dir, { recursive: true, force: true });
  return latencies;
}

/** Per edit: the incremental re-parse (done as the keystroke arrives) and the analysis after it. */
interface EditTimes {
  reparse: number[];
  analysis: number[];
}

function analysisAlone(text: string): EditTimes {
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const live = new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
  const trees = new DocumentTrees();
  const source = (current: string) =>
    ({ file: '/bench/app.py', relativePath: 'app.py', text: current, language: 'python' }) as const;
  live.update(source(text), trees.update(URI_OF_APP, text));
  const times: EditTimes = { reparse: [], analysis: [] };
  let current = text;
  const edits = keystrokes(text);
  // The first edits are untimed, as over LSP: the server analyses every file of the workspace at
  // startup, so V8 has optimised its code by the first keystroke. Without them the first edits
  // measure the JIT's warm-up (150-190 ms each at 2,000 lines).
  for (let i = 0; i < WARM_UP_RUNS + EDITS; i++) {
    const change = edits(i);
    current = applyChange(current, change);
    // The server's work for an edit: the re-parse when the change arrives, the analysis after
    // the debounce.
    const started = performance.now();
    const tree = trees.update(URI_OF_APP, current, [change]);
    const parsed = performance.now();
    live.update(source(current), tree);
    if (i < WARM_UP_RUNS) continue;
    times.reparse.push(parsed - started);
    times.analysis.push(performance.now() - parsed);
  }
  trees.dispose();
  return times;
}

/** The analysis alone in a child process with the server's V8 options, as the server runs it. */
function analysisAloneInServerProcess(lines: number): EditTimes {
  const out = execFileSync(
    process.execPath,
    [...SERVER_EXEC_ARGV, __filename, '--analysis-only', String(lines), '--json'],
    { encoding: 'utf8' },
  );
  return JSON.parse(out) as EditTimes;
}

const p = (values: number[], digits = 1): string =>
  `p50 ${percentile(values, 50).toFixed(digits)} ms, p95 ${percentile(values, 95).toFixed(digits)} ms`;

async function main(): Promise<void> {
  // `--analysis-only <lines> [--json]`: the in-process part alone (also for profiling).
  const only = process.argv.indexOf('--analysis-only');
  if (only !== -1) {
    await initParsers();
    const times = analysisAlone(pythonModule(Number(process.argv[only + 1] ?? 2000)));
    console.log(
      process.argv.includes('--json')
        ? JSON.stringify(times)
        : `re-parse ${p(times.reparse)}; analysis ${p(times.analysis)}`,
    );
    return;
  }
  if (!process.argv.includes('--startup-only')) {
    console.log(
      `Editor latency (${EDITS} keystrokes each after ${WARM_UP_RUNS} untimed; debounce ${DEBOUNCE_MS} ms, the front end run ahead after ${PREPARE_AFTER_MS} ms of quiet; server options ${SERVER_EXEC_ARGV.join(' ')}):`,
    );
    for (const lines of [500, 2000, 10000]) {
      const text = pythonModule(lines);
      const alone = analysisAloneInServerProcess(lines);
      const lsp = await overLsp(text);
      console.log(
        `  ${String(lines).padStart(6)} lines: analysis ${p(alone.analysis)} (re-parse on the keystroke ${p(alone.reparse)});` +
          ` edit-to-diagnostics ${p(lsp, 0)}`,
      );
    }
  }
  // The benchmark's Python corpus (made by `bench.js`, or here), opened as a workspace: analysed
  // in one thread, and in as many lanes as the server takes for it on this machine.
  const dir = path.join(os.tmpdir(), 'perflens-bench-python');
  const corpus = generateCorpus(dir, 1000);
  const runs = Number(process.env.PERFLENS_BENCH_REPEATS ?? 3);
  const lanes = lanesFor({
    files: discoverFiles([dir], { root: dir, include: [], exclude: [] }),
    jobs: 'auto',
  });
  for (const jobs of lanes > 1 ? [1, lanes] : [1]) {
    const times: number[] = [];
    for (let run = 0; run < runs; run++) times.push(await startupOverLsp(dir, corpus.files, jobs));
    console.log(
      `  Opening the Python corpus (${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(2)} MB) as a workspace, ` +
        `${jobs} lane${jobs === 1 ? '' : 's'}: diagnostics of every file after ${median(times).toFixed(2)} s (median of ${runs})`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
