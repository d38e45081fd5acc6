/**
 * The language server over the real protocol: the bundled server runs as a child process
 * (`perflens lsp --stdio`) and a JSON-RPC LSP client talks to it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import {
  CodeActionRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  FileChangeType,
  type CodeAction,
  type TextEdit,
} from 'vscode-languageserver-protocol/node';
import type { PanelFinding } from '../server/src/lsp/protocol';
import { JOBS_VARIABLE } from '../server/src/lsp/folder-lanes';
import { tempWorkspace } from './support/temp-workspace';
import { startClient, testCodeCacheDir, type TestClient } from './support/lsp-client';

const SLEEPY = 'import time\n\n\nasync def handler():\n    time.sleep(1)\n';

const workspace = (files: Record<string, string>): string => tempWorkspace(files, 'perflens-lsp-');

/** Applies LSP text edits to a text (edits of one document, non-overlapping). */
function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (line: number, character: number): number =>
    lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + character;
  const sorted = [...edits].sort(
    (a, b) =>
      offset(b.range.start.line, b.range.start.character) -
      offset(a.range.start.line, a.range.start.character),
  );
  let result = text;
  for (const edit of sorted) {
    const start = offset(edit.range.start.line, edit.range.start.character);
    const end = offset(edit.range.end.line, edit.range.end.character);
    result = result.slice(0, start) + edit.newText + result.slice(end);
  }
  return result;
}

function editsFor(action: CodeAction, uri: string): TextEdit[] {
  const changes = action.edit?.documentChanges ?? [];
  return changes.flatMap((change) =>
    'textDocument' in change && change.textDocument.uri === uri ? change.edits : [],
  ) as TextEdit[];
}

describe('language server over LSP', function () {
  this.timeout(30000);
  let client: TestClient | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('publishes diagnostics for an opened document and fixes one with a code action', async () => {
    const dir = workspace({ 'app.py': SLEEPY });
    const uri = URI.file(path.join(dir, 'app.py')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'python', version: 1, text: SLEEPY },
    });
    const published = await client.waitFor(uri, (p) => p.diagnostics.length > 0);
    const diagnostic = published.diagnostics[0];
    assert.equal(diagnostic.source, 'perflens');
    assert.equal(diagnostic.code, 'blocking-sleep-in-async');
    assert.deepEqual(diagnostic.range, {
      start: { line: 4, character: 4 },
      end: { line: 4, character: 17 },
    });
    assert.match(diagnostic.codeDescription!.href, /docs\/rules\/blocking-sleep-in-async\.md$/);
    assert.deepEqual(diagnostic.data, {
      ruleId: 'blocking-sleep-in-async',
      category: 'blocking-in-async',
      fix: 'safe',
    });

    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    const titles = actions.map((a) => a.title);
    assert.deepEqual(titles, [
      'Replace with `await asyncio.sleep(...)`',
      'Ignore blocking-sleep-in-async for this line',
      'Show documentation for blocking-sleep-in-async',
    ]);
    assert.equal(actions[0].isPreferred, true);
    const fixed = applyTextEdits(SLEEPY, editsFor(actions[0], uri));
    assert.equal(
      fixed,
      'import time\nimport asyncio\n\n\nasync def handler():\n    await asyncio.sleep(1)\n',
    );

    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    await client.waitFor(uri, (p) => p.diagnostics.length === 0 && p.version === 2);
  });

  for (const [entry, bundle] of [
    ['cli', 'cli.js'],
    ['vscode', 'server.js'],
  ] as const) {
    it(`starts from the ${entry} entry, the second time compiled from the code cache`, async () => {
      const dir = workspace({ 'app.py': SLEEPY });
      const uri = URI.file(path.join(dir, 'app.py')).toString();
      const cacheOf = (): fs.Stats | undefined => {
        const name = fs
          .readdirSync(testCodeCacheDir())
          .find((file) => file.startsWith(`${bundle}-`) && file.endsWith('.v8cache'));
        return name ? fs.statSync(path.join(testCodeCacheDir(), name)) : undefined;
      };
      const findingsOnOpen = async (): Promise<void> => {
        client = await startClient(URI.file(dir).toString(), {}, {}, entry);
        await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
          textDocument: { uri, languageId: 'python', version: 1, text: SLEEPY },
        });
        const published = await client.waitFor(uri, (p) => p.diagnostics.length > 0);
        assert.equal(published.diagnostics[0].code, 'blocking-sleep-in-async');
        await client.close();
        client = undefined;
      };
      await findingsOnOpen();
      const written = cacheOf();
      assert.ok(written, `the server wrote the code cache of ${bundle} when it exited`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await findingsOnOpen();
      const read = cacheOf()!;
      // A cache that was used is dated anew; one that was rejected is replaced by a new file.
      assert.equal(read.ino, written.ino, 'the cache was not rewritten');
      assert.ok(read.mtimeMs > written.mtimeMs, 'the cache was used');
    });
  }

  it('re-analyses incrementally edited documents', async () => {
    const dir = workspace({ 'app.py': 'import time\n\n\nasync def handler():\n    pass\n' });
    const uri = URI.file(path.join(dir, 'app.py')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: {
        uri,
        languageId: 'python',
        version: 1,
        text: 'import time\n\n\nasync def handler():\n    pass\n',
      },
    });
    await client.waitFor(uri, (p) => p.version === 1);
    // Type `time.sleep(1)` over `pass` in three keystroke-sized edits.
    const edits = [
      {
        range: { start: { line: 4, character: 4 }, end: { line: 4, character: 8 } },
        text: 'time.',
      },
      {
        range: { start: { line: 4, character: 9 }, end: { line: 4, character: 9 } },
        text: 'sleep(',
      },
      { range: { start: { line: 4, character: 15 }, end: { line: 4, character: 15 } }, text: '1)' },
    ];
    let version = 1;
    for (const change of edits) {
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: ++version },
        contentChanges: [change],
      });
    }
    const published = await client.waitFor(
      uri,
      (p) => p.version === version && p.diagnostics.length === 1,
    );
    assert.deepEqual(published.diagnostics[0].range, {
      start: { line: 4, character: 4 },
      end: { line: 4, character: 17 },
    });
  });

  it('publishes findings of the latest text, not of a front end run ahead on an older one', async () => {
    const sleeps = 'import time\n\n\nasync def handler():\n    time.sleep(1)\n';
    const dir = workspace({ 'app.py': sleeps });
    const uri = URI.file(path.join(dir, 'app.py')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'python', version: 1, text: sleeps },
    });
    await client.waitFor(uri, (p) => p.version === 1 && p.diagnostics.length === 1);
    const edit = (version: number, line: number, character: number, text: string) =>
      client!.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: { line, character }, end: { line, character } }, text }],
      });
    await edit(2, 4, 17, ' ');
    // A pause longer than the wait before the front end runs ahead, shorter than the debounce.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await edit(3, 3, 0, '# moved down\n# by two lines\n');
    // Asking for code actions analyses the latest text at once, before its own front end runs.
    await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri },
      range: { start: { line: 6, character: 4 }, end: { line: 6, character: 8 } },
      context: { diagnostics: [] },
    });
    const published = await client.waitFor(uri, (p) => p.version === 3);
    assert.deepEqual(
      published.diagnostics.map((d) => [d.code, d.range.start.line]),
      [['blocking-sleep-in-async', 6]],
    );
  });

  it('analyses TypeScript as it is typed, and follows a helper edited on disk', async () => {
    const route = [
      "import { loadUser } from './users';",
      'export async function names(ids: string[]) {',
      '  const names = [];',
      '  for (const id of ids) {',
      '    names.push(id);',
      '  }',
      '  return names;',
      '}',
      '',
    ].join('\n');
    const helper =
      'export const loadUser = (id: string) => prisma.user.findUnique({ where: { id } });\n';
    const dir = workspace({ 'src/routes.ts': route, 'src/users.ts': helper });
    const uri = URI.file(path.join(dir, 'src/routes.ts')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'typescript', version: 1, text: route },
    });
    await client.waitFor(uri, (p) => p.version === 1 && p.diagnostics.length === 0);
    // Type `(await loadUser(id)).name` over `id` in `names.push(id)`, keystroke-sized.
    let version = 1;
    for (const [character, text] of [
      [15, '(await '],
      [22, 'loadUser('],
      [33, ')).name'],
    ] as const) {
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version: ++version },
        contentChanges: [
          {
            range: { start: { line: 4, character }, end: { line: 4, character } },
            text,
          },
        ],
      });
    }
    const published = await client.waitFor(
      uri,
      (p) => p.version === version && p.diagnostics.length === 1,
    );
    assert.equal(published.diagnostics[0].code, 'await-in-loop');
    assert.equal(published.diagnostics[0].range.start.line, 4);
    // The helper stops querying: the route's finding goes without touching the route.
    fs.writeFileSync(
      path.join(dir, 'src/users.ts'),
      'export const loadUser = (id: string) => id;\n',
    );
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [
        { uri: URI.file(path.join(dir, 'src/users.ts')).toString(), type: FileChangeType.Changed },
      ],
    });
    await client.waitFor(uri, (p) => p.diagnostics.length === 0);
  });

  it('fixes a Prisma query in schema.prisma, and the edited schema clears it without reopening', async () => {
    const schema = [
      'datasource db {',
      '  provider = "postgresql"',
      '  url      = env("DATABASE_URL")',
      '}',
      '',
      'model Order {',
      '  id        Int      @id',
      '  status    String',
      '  createdAt DateTime @default(now())',
      '}',
      '',
    ].join('\n');
    const route = [
      "app.get('/orders', async () =>",
      "  prisma.order.findMany({ where: { status: 'PAID' }, take: 50 }),",
      ');',
      '',
    ].join('\n');
    const dir = workspace({ 'prisma/schema.prisma': schema, 'src/orders.ts': route });
    const routeUri = URI.file(path.join(dir, 'src/orders.ts')).toString();
    const schemaUri = URI.file(path.join(dir, 'prisma/schema.prisma')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: routeUri, languageId: 'typescript', version: 1, text: route },
    });
    const published = await client.waitFor(routeUri, (p) => p.diagnostics.length === 1);
    const diagnostic = published.diagnostics[0];
    assert.equal(diagnostic.code, 'prisma-query-without-index');
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, {
      textDocument: { uri: routeUri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    const fix = actions.find((action) => action.isPreferred)!;
    const fixed = applyTextEdits(schema, editsFor(fix, schemaUri));
    assert.match(fixed, /@@index\(\[status\]\)\n\}/);
    // The user applies it in the open schema editor: the route's finding goes.
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: schemaUri, languageId: 'prisma', version: 1, text: schema },
    });
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: schemaUri, version: 2 },
      contentChanges: [{ text: fixed }],
    });
    await client.waitFor(routeUri, (p) => p.diagnostics.length === 0);
  });

  it('analyses a docker compose file as it is edited, and YAML mid-edit clears its findings', async () => {
    const compose = 'services:\n  sonar:\n    image: sonarqube:10\n    mem_limit: 1g\n';
    const dir = workspace({ 'deploy/docker-compose.yml': compose, 'ci.yml': compose });
    const uri = URI.file(path.join(dir, 'deploy/docker-compose.yml')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'dockercompose', version: 1, text: compose },
    });
    const published = await client.waitFor(
      uri,
      (p) => p.version === 1 && p.diagnostics.length === 1,
    );
    assert.equal(published.diagnostics[0].code, 'compose-memory-too-low');
    assert.deepEqual(published.diagnostics[0].range, {
      start: { line: 3, character: 15 },
      end: { line: 3, character: 17 },
    });
    const change = async (version: number, text: string) =>
      client!.connection.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version },
        contentChanges: [{ text }],
      });
    await change(2, compose.replace('image: sonarqube:10', 'image: [sonarqube:10'));
    await client.waitFor(uri, (p) => p.version === 2 && p.diagnostics.length === 0);
    await change(3, compose.replace('1g', '2g'));
    await client.waitFor(uri, (p) => p.version === 3 && p.diagnostics.length === 0);
    const all = (await client.connection.sendRequest('perflens/allFindings')) as unknown[];
    assert.equal(all.length, 0, 'ci.yml is not a compose file');
  });

  it('refreshes a compose file when the override merged over it changes', async () => {
    const base = 'services:\n  sonar:\n    image: sonarqube:10\n    mem_limit: 1g\n';
    const override = 'services:\n  sonar:\n    mem_limit: 4g\n';
    const dir = workspace({
      'deploy/docker-compose.yml': base,
      'deploy/docker-compose.override.yml': override,
    });
    const baseUri = URI.file(path.join(dir, 'deploy/docker-compose.yml')).toString();
    const overrideUri = URI.file(path.join(dir, 'deploy/docker-compose.override.yml')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: baseUri, languageId: 'dockercompose', version: 1, text: base },
    });
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: overrideUri, languageId: 'dockercompose', version: 1, text: override },
    });
    await client.waitFor(baseUri, (p) => p.version === 1 && p.diagnostics.length === 0);
    // The override lowers the limit: its line has the finding, and the base file none.
    await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri: overrideUri, version: 2 },
      contentChanges: [{ text: override.replace('4g', '1g') }],
    });
    await client.waitFor(overrideUri, (p) => p.version === 2 && p.diagnostics.length === 1);
    // Closed and deleted: the base file is judged alone again, without being edited.
    fs.rmSync(path.join(dir, 'deploy/docker-compose.override.yml'));
    await client.connection.sendNotification(DidCloseTextDocumentNotification.type, {
      textDocument: { uri: overrideUri },
    });
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: overrideUri, type: FileChangeType.Deleted }],
    });
    const published = await client.waitFor(baseUri, (p) => p.diagnostics.length === 1);
    assert.equal(published.diagnostics[0].code, 'compose-memory-too-low');
  });

  it('analyses the workspace on startup, including files never opened', async () => {
    const dir = workspace({
      'app/models.py': 'x = 1\n',
      'app/jobs.py': SLEEPY,
      'sql/report.sql': 'SELECT id FROM orders;\n',
    });
    client = await startClient(URI.file(dir).toString());
    await client.waitFor(
      URI.file(path.join(dir, 'app/jobs.py')).toString(),
      (p) => p.diagnostics.length === 1,
    );
    await client.waitFor(
      URI.file(path.join(dir, 'sql/report.sql')).toString(),
      (p) => p.diagnostics[0]?.code === 'unbounded-select',
    );
    const all = await client.connection.sendRequest('perflens/allFindings');
    assert.equal((all as unknown[]).length, 2);
  });

  it('analyses a workspace on startup in worker lanes as it does in one thread', async () => {
    const examples = URI.file(path.resolve(__dirname, '..', 'examples')).toString();
    const saved = process.env[JOBS_VARIABLE];
    /** Every finding of the examples once the start-up analysis is over, and how it ran. */
    const startUp = async (jobs: string): Promise<{ findings: string[]; log: string[] }> => {
      process.env[JOBS_VARIABLE] = jobs;
      client = await startClient(examples);
      const log: string[] = [];
      const idle = new Promise<void>((resolve) => {
        client!.connection.onNotification('perflens/status', (status: { state: string }) => {
          if (status.state === 'idle') resolve();
        });
      });
      client.connection.onNotification('window/logMessage', (p: { message: string }) => {
        log.push(p.message);
      });
      await idle;
      const all = (await client.connection.sendRequest('perflens/allFindings')) as PanelFinding[];
      await client.close();
      client = undefined;
      const findings = all.map(
        (f) => `${f.uri}:${f.range.start.line}:${f.range.start.character} ${f.ruleId} ${f.message}`,
      );
      return { findings: findings.sort(), log };
    };
    try {
      const one = await startUp('1');
      const two = await startUp('2');
      assert.ok(one.log.some((line) => / files of .* in 1 lane$/.test(line)));
      assert.ok(two.log.some((line) => / files of .* in 2 lanes$/.test(line)));
      assert.deepEqual(
        two.log.filter((line) => /failed/.test(line)),
        [],
        'the lanes ran, with no fallback to one thread',
      );
      assert.ok(one.findings.length > 50);
      assert.deepEqual(two.findings, one.findings);
    } finally {
      if (saved === undefined) delete process.env[JOBS_VARIABLE];
      else process.env[JOBS_VARIABLE] = saved;
    }
  });

  it('analyses the workspace on startup for a client with no workspace folders or settings', async () => {
    // A minimal client: no `workspace.workspaceFolders`, no `workspace.configuration`.
    const dir = workspace({ 'app/jobs.py': SLEEPY });
    client = await startClient(URI.file(dir).toString(), {}, { workspace: {} });
    await client.waitFor(
      URI.file(path.join(dir, 'app/jobs.py')).toString(),
      (p) => p.diagnostics.length === 1,
    );
  });

  it('keeps serving when the client refuses the requests the server sends it', async () => {
    // An invalid perflens.json makes the server show an error (window/showMessageRequest, which
    // this client does not implement); registering for settings changes, creating a progress
    // report and reading the settings are refused outright.
    const dir = workspace({ 'app/jobs.py': SLEEPY, 'perflens.json': '{"colour": true}' });
    client = await startClient(URI.file(dir).toString(), {}, {}, 'cli', [
      'client/registerCapability',
      'window/workDoneProgress/create',
      'workspace/configuration',
    ]);
    await client.waitFor(
      URI.file(path.join(dir, 'app/jobs.py')).toString(),
      (p) => p.diagnostics.length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(client.process.exitCode, null, client.stderr());
  });

  it('applies a settings change without a restart', async () => {
    const dir = workspace({ 'app.py': SLEEPY });
    const uri = URI.file(path.join(dir, 'app.py')).toString();
    const settings: Record<string, unknown> = {};
    client = await startClient(URI.file(dir).toString(), settings);
    await client.waitFor(uri, (p) => p.diagnostics.length === 1);
    settings.rules = { 'blocking-sleep-in-async': 'off' };
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: {},
    });
    await client.waitFor(uri, (p) => p.diagnostics.length === 0);
    settings.rules = { 'blocking-sleep-in-async': 'error' };
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: {},
    });
    const published = await client.waitFor(uri, (p) => p.diagnostics.length === 1);
    assert.equal(published.diagnostics[0].severity, 1);
  });

  it('analyses the folder again when perflens.json changes what it includes', async () => {
    const dir = workspace({ 'app.py': SLEEPY, 'scripts/job.py': SLEEPY });
    const uriOf = (file: string) => URI.file(path.join(dir, file)).toString();
    client = await startClient(URI.file(dir).toString());
    await client.waitFor(uriOf('scripts/job.py'), (p) => p.diagnostics.length === 1);
    const config = path.join(dir, 'perflens.json');
    fs.writeFileSync(config, JSON.stringify({ exclude: ['scripts/**'] }));
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: URI.file(config).toString(), type: FileChangeType.Created }],
    });
    await client.waitFor(uriOf('scripts/job.py'), (p) => p.diagnostics.length === 0);
    // A file written while it was excluded is found once the exclusion goes.
    fs.writeFileSync(path.join(dir, 'scripts/other.py'), SLEEPY);
    fs.writeFileSync(config, JSON.stringify({ exclude: [] }));
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: URI.file(config).toString(), type: FileChangeType.Changed }],
    });
    await client.waitFor(uriOf('scripts/other.py'), (p) => p.diagnostics.length === 1);
    await client.waitFor(uriOf('scripts/job.py'), (p) => p.diagnostics.length === 1);
  });

  it('keeps a file written on disk while a settings change analyses the folder again', async () => {
    // The analysis lists and reads the folder when it begins; a schema written while its lanes run
    // must survive the adoption of their result (the VS Code suite writes files after a reload).
    const dir = workspace({
      'web/orders.ts': [
        "app.get('/orders', async () =>",
        "  prisma.order.findMany({ where: { status: 'PAID' }, take: 50 }),",
        ');',
        "export const byStatus = () => pool.query('SELECT id FROM orders');",
        '',
      ].join('\n'),
    });
    fs.cpSync(path.resolve(__dirname, '..', 'examples', 'demo-app'), dir, { recursive: true });
    const route = URI.file(path.join(dir, 'web/orders.ts')).toString();
    const saved = process.env[JOBS_VARIABLE];
    process.env[JOBS_VARIABLE] = '2';
    try {
      client = await startClient(URI.file(dir).toString());
      const connection = client.connection;
      const idle = () =>
        new Promise<void>((resolve) => {
          connection.onNotification('perflens/status', (status: { state: string }) => {
            if (status.state === 'idle') resolve();
          });
        });
      await idle();
      const analysing = new Promise<void>((resolve) => {
        connection.onNotification('window/logMessage', (p: { message: string }) => {
          if (/^Perflens: analysing \d+ files .* in 2 lanes$/.test(p.message)) resolve();
        });
      });
      const reloaded = idle();
      await connection.sendNotification(DidChangeConfigurationNotification.type, { settings: {} });
      await analysing;
      const schema = path.join(dir, 'prisma/schema.prisma');
      fs.mkdirSync(path.dirname(schema));
      fs.writeFileSync(schema, 'model Order {\n  id     Int    @id\n  status String\n}\n');
      await connection.sendNotification(DidChangeWatchedFilesNotification.type, {
        changes: [{ uri: URI.file(schema).toString(), type: FileChangeType.Created }],
      });
      await reloaded;
      const all = (await connection.sendRequest('perflens/allFindings')) as PanelFinding[];
      assert.deepEqual(
        all.filter((f) => f.uri === route).map((f) => f.ruleId),
        ['prisma-query-without-index', 'unbounded-select'],
      );
    } finally {
      if (saved === undefined) delete process.env[JOBS_VARIABLE];
      else process.env[JOBS_VARIABLE] = saved;
    }
  });

  it('turns on type-aware analysis from the editor settings', async () => {
    const fixture = path.join(__dirname, 'fixtures', 'workspaces', 'await-in-loop--type-aware');
    const files = ['src/lib/store.ts', 'src/services/orders.ts', 'src/services/audit.ts']
      .concat(['src/services/index.ts', 'src/routes/orders.ts'])
      .map((file) => [file, fs.readFileSync(path.join(fixture, file), 'utf8')]);
    const dir = workspace(Object.fromEntries(files));
    const uri = URI.file(path.join(dir, 'src/routes/orders.ts')).toString();
    const settings: Record<string, unknown> = {};
    client = await startClient(URI.file(dir).toString(), settings);
    await client.waitFor(uri, (p) => p.diagnostics.length === 0);
    settings.typescript = { typeAware: true };
    await client.connection.sendNotification(DidChangeConfigurationNotification.type, {
      settings: {},
    });
    const published = await client.waitFor(uri, (p) => p.diagnostics.length === 2);
    assert.deepEqual(
      published.diagnostics.map((d) => [d.code, d.range.start.line]),
      [
        ['await-in-loop', 9],
        ['await-in-loop', 26],
      ],
    );
  });

  it('re-analyses a watched file that changed on disk', async () => {
    const dir = workspace({ 'app.py': 'x = 1\n' });
    const file = path.join(dir, 'app.py');
    const uri = URI.file(file).toString();
    client = await startClient(URI.file(dir).toString());
    await client.waitFor(uri, (p) => p.diagnostics.length === 0);
    fs.writeFileSync(file, SLEEPY);
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri, type: FileChangeType.Changed }],
    });
    await client.waitFor(uri, (p) => p.diagnostics.length === 1);
  });

  it('follows a tsconfig.json change: its paths resolve imports at once', async () => {
    const route = [
      "import { loadUser } from '@server/users';",
      'export async function names(ids: string[]) {',
      '  const names = [];',
      '  for (const id of ids) names.push(await loadUser(id));',
      '  return names;',
      '}',
      '',
    ].join('\n');
    const helper =
      'export const loadUser = (id: string) => prisma.user.findUnique({ where: { id } });\n';
    const dir = workspace({ 'server/routes.ts': route, 'server/users.ts': helper });
    const uri = URI.file(path.join(dir, 'server/routes.ts')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.waitFor(uri, (p) => p.diagnostics.length === 0);
    const config = path.join(dir, 'tsconfig.json');
    fs.writeFileSync(config, '{ "compilerOptions": { "paths": { "@server/*": ["./server/*"] } } }');
    await client.connection.sendNotification(DidChangeWatchedFilesNotification.type, {
      changes: [{ uri: URI.file(config).toString(), type: FileChangeType.Created }],
    });
    const published = await client.waitFor(uri, (p) => p.diagnostics.length === 1);
    assert.equal(published.diagnostics[0].code, 'await-in-loop');
  });

  it('keeps serving after a 10 MB document and a syntax error mid-edit', async () => {
    const dir = workspace({ 'app.py': SLEEPY });
    const uri = URI.file(path.join(dir, 'app.py')).toString();
    const huge = URI.file(path.join(dir, 'huge.py')).toString();
    client = await startClient(URI.file(dir).toString());
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: {
        uri: huge,
        languageId: 'python',
        version: 1,
        text: 'x = 1\n'.repeat(1_800_000),
      },
    });
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: 'python', version: 1, text: SLEEPY + 'def broken(:\n' },
    });
    const published = await client.waitFor(
      uri,
      (p) => p.version === 1 && p.diagnostics.length === 1,
    );
    assert.equal(published.diagnostics[0].code, 'blocking-sleep-in-async');
  });
});
