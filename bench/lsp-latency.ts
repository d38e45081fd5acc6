/**
 * Editor latency: over LSP, the time from an edit (`didChange`) to the diagnostics of that version,
 * for files of 500, 2,000 and 10,000 lines; and the server's analysis time alone (in-process, the
 * same code path as an edit). Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process';
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
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { URI } from 'vscode-uri';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { DEBOUNCE_MS } from '../server/src/lsp/language-server';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { LiveWorkspace } from '../server/src/workspace/live-workspace';
import { percentile } from './stats';

const EDITS = 40;
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

async function overLsp(text: string): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-latency-'));
  const file = path.join(dir, 'app.py');
  fs.writeFileSync(file, text);
  const uri = URI.file(file).toString();
  const cli = path.join(__dirname, 'cli.js');
  const child = spawn(
    process.execPath,
    ['-e', `require(${JSON.stringify(cli)}).run()`, 'perflens', 'lsp', '--stdio'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const published = new Map<number, number>();
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    if (params.uri === uri && params.version !== undefined)
      published.set(params.version, performance.now());
  });
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onNotification('perflens/status', () => undefined);
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: URI.file(dir).toString(),
    workspaceFolders: [{ uri: URI.file(dir).toString(), name: 'bench' }],
    capabilities: { window: { workDoneProgress: true } },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  await connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: 'python', version: 1, text },
  });
  const waitFor = async (version: number): Promise<number> => {
    for (let i = 0; i < 2000 && !published.has(version); i++)
      await new Promise((r) => setTimeout(r, 2));
    const at = published.get(version);
    if (at === undefined) throw new Error(`no diagnostics for version ${version}`);
    return at;
  };
  await waitFor(1);
  const lines = text.split('\n');
  // Keystrokes in the middle of the file: type `x` on a blank line between functions, delete it.
  const line = lines.findIndex((content, i) => i >= lines.length / 2 && content === '');
  const latencies: number[] = [];
  for (let version = 2; version < EDITS + 2; version++) {
    const typing = version % 2 === 0;
    const sent = performance.now();
    await connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version },
      contentChanges: [
        typing
          ? { range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: 'x' }
          : { range: { start: { line, character: 0 }, end: { line, character: 1 } }, text: '' },
      ],
    });
    latencies.push((await waitFor(version)) - sent);
  }
  connection.dispose();
  child.kill();
  return latencies;
}

function analysisAlone(text: string): number[] {
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const live = new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
  const times: number[] = [];
  let tree = parse('python', text);
  // The server analyses every file of the workspace at startup and the file again when it opens,
  // so V8 has optimised its code by the first keystroke; untimed runs stand for that. Without
  // them the first edits measure the JIT's warm-up (150-190 ms each at 2,000 lines).
  for (let i = 0; i < WARM_UP_RUNS; i++)
    live.update({ file: '/bench/app.py', relativePath: 'app.py', text, language: 'python' }, tree);
  for (let i = 0; i < EDITS; i++) {
    const started = performance.now();
    // The same work as an edit: an incremental re-parse (nothing changed) and the analysis.
    const next = parse('python', text, tree);
    tree.delete();
    tree = next;
    live.update({ file: '/bench/app.py', relativePath: 'app.py', text, language: 'python' }, tree);
    times.push(performance.now() - started);
  }
  tree.delete();
  return times;
}

async function main(): Promise<void> {
  await initParsers();
  // `--analysis-only <lines>`: the in-process part alone, for profiling.
  const only = process.argv.indexOf('--analysis-only');
  if (only !== -1) {
    const times = analysisAlone(pythonModule(Number(process.argv[only + 1] ?? 2000)));
    console.log(
      `analysis p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms`,
    );
    return;
  }
  console.log(`Editor latency (${EDITS} edits each; debounce ${DEBOUNCE_MS} ms):`);
  for (const lines of [500, 2000, 10000]) {
    const text = pythonModule(lines);
    const alone = analysisAlone(text);
    const lsp = await overLsp(text);
    console.log(
      `  ${String(lines).padStart(6)} lines: analysis p50 ${percentile(alone, 50).toFixed(1)} ms, p95 ${percentile(alone, 95).toFixed(1)} ms;` +
        ` edit-to-diagnostics p50 ${percentile(lsp, 50).toFixed(0)} ms, p95 ${percentile(lsp, 95).toFixed(0)} ms`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
