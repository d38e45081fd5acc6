/**
 * Perflens inside a real VS Code extension host, on a copy of examples/demo-app (the drivers open
 * it as the only workspace folder). The server really runs: forked over IPC from dist/server.js.
 * The tests share one window and run in order; each leaves the workspace as the next one expects.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { PerflensApi } from '../../../client/src/extension';
import type { TreeNode } from '../../../client/src/findings-tree';

/** Workspace analysis of the demo app takes about a second; generous for slow CI machines. */
const ANALYSIS_TIMEOUT_MS = 30_000;

function root(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the driver must open a copy of examples/demo-app as the workspace folder');
  return folder.uri;
}

const fileUri = (relative: string): vscode.Uri =>
  vscode.Uri.joinPath(root(), ...relative.split('/'));

function ruleOf(diagnostic: vscode.Diagnostic): string | undefined {
  const { code } = diagnostic;
  return typeof code === 'object'
    ? String(code.value)
    : code === undefined
      ? undefined
      : String(code);
}

function perflensDiagnostics(uri: vscode.Uri, ruleId?: string): vscode.Diagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'perflens' && (ruleId === undefined || ruleOf(d) === ruleId));
}

function describeDiagnostics(uri: vscode.Uri): string {
  const list = perflensDiagnostics(uri).map((d) => `${ruleOf(d)}@${d.range.start.line + 1}`);
  return list.length > 0 ? list.join(', ') : 'none';
}

/** Polls `check` until it returns a value other than undefined/false; fails with `message` otherwise. */
async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  message: () => string,
  timeoutMs = ANALYSIS_TIMEOUT_MS,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`${message()} (waited ${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface PanelRow {
  label: string;
  description: string;
  ruleId: string;
  uri: string;
  line: number;
}

/** Every finding row of the findings panel, read through the same provider the view uses. */
async function panelFindings(api: PerflensApi): Promise<PanelRow[]> {
  await api.refreshFindings();
  const rows: PanelRow[] = [];
  const visit = async (node?: TreeNode): Promise<void> => {
    for (const child of (await api.findings.getChildren(node)) ?? []) {
      if (child.kind === 'finding') {
        const item = await api.findings.getTreeItem(child);
        rows.push({
          label: String(typeof item.label === 'object' ? item.label.label : item.label),
          description: String(item.description ?? ''),
          ruleId: child.finding.ruleId,
          uri: child.finding.uri,
          line: child.finding.range.start.line,
        });
      } else {
        await visit(child);
      }
    }
  };
  await visit();
  return rows;
}

async function open(relative: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(fileUri(relative));
  return vscode.window.showTextDocument(document);
}

async function setWorkspaceSetting(section: string, key: string, value: unknown): Promise<void> {
  await vscode.workspace
    .getConfiguration(section)
    .update(key, value, vscode.ConfigurationTarget.Workspace);
}

describe('Perflens in VS Code', function () {
  let api: PerflensApi;
  let serverReadyMs = 0;

  before(async function () {
    const extension = vscode.extensions.getExtension<PerflensApi>('perflens.perflens');
    assert.ok(
      extension,
      'extension perflens.perflens is not loaded (check extensionDevelopmentPath)',
    );
    api = await extension.activate();
    assert.ok(api?.findings, 'activate() must return the test API (findings provider)');
    const started = performance.now();
    await api.serverReady;
    serverReadyMs = performance.now() - started;
  });

  it('activates, then starts the language server in the background (activation figures)', function () {
    assert.ok(Number.isFinite(api.loadMs) && Number.isFinite(api.activationMs));
    // Figures for the notes and `npm run bench`, not assertions: timings are never asserted.
    console.log(
      `# activation: ${(api.loadMs + api.activationMs).toFixed(0)} ms (loading the bundle ${api.loadMs.toFixed(0)} ms, activate() ${api.activationMs.toFixed(0)} ms); language server ready ${serverReadyMs.toFixed(0)} ms later`,
    );
  });

  after(async function () {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('reports diagnostics in an opened Python file', async function () {
    const uri = fileUri('app/routes/webhooks.py');
    await open('app/routes/webhooks.py');
    const [diagnostic] = await waitFor(
      () => {
        const found = perflensDiagnostics(uri, 'blocking-sleep-in-async');
        return found.length > 0 && found;
      },
      () =>
        `no blocking-sleep-in-async diagnostic in app/routes/webhooks.py; it has: ${describeDiagnostics(uri)}`,
    );
    assert.equal(diagnostic.range.start.line + 1, 18, 'the time.sleep(1.5) call is on line 18');
    assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(diagnostic.message, /time\.sleep\(\)/);
    // The diagnostic links to the rule's page shipped with the extension.
    assert.ok(
      typeof diagnostic.code === 'object' &&
        diagnostic.code.target.path.endsWith('/docs/rules/blocking-sleep-in-async.md'),
    );
  });

  it('lists the findings of files that were never opened in the findings panel', async function () {
    const opened = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const neverOpened = ['app/models.py', 'sql/schema.sql', 'app/services/shipping.py'].map((f) =>
      fileUri(f).toString(),
    );
    for (const uri of neverOpened)
      assert.ok(!opened.has(uri), `${uri} must not be open for this test to mean anything`);

    const rows = await waitFor(
      async () => {
        const all = await panelFindings(api);
        return neverOpened.every((uri) => all.some((row) => row.uri === uri)) && all;
      },
      () =>
        'the findings panel never listed app/models.py, sql/schema.sql and app/services/shipping.py',
    );
    const models = rows.filter((row) => row.uri === fileUri('app/models.py').toString());
    assert.ok(
      models.some((row) => row.ruleId === 'unindexed-foreign-key'),
      `app/models.py rows: ${JSON.stringify(models)}`,
    );
    // The panel and the Problems panel show the same findings: one row per Perflens diagnostic.
    const diagnostics = vscode.languages
      .getDiagnostics()
      .flatMap(([uri, list]) =>
        list
          .filter((d) => d.source === 'perflens' && ruleOf(d) !== 'unused-suppression')
          .map(() => uri.toString()),
      );
    assert.equal(
      rows.length,
      diagnostics.length,
      'findings panel rows vs Perflens diagnostics of the workspace',
    );
    // Rows read as messages (no Markdown backticks) with the line.
    const sleep = rows.find((row) => row.ruleId === 'blocking-sleep-in-async');
    assert.ok(sleep, 'the blocking-sleep-in-async finding of webhooks.py is in the panel');
    assert.ok(!sleep.label.includes('`'), `label without backticks: ${sleep.label}`);
    assert.equal(sleep.description, 'line 18');
  });

  it('applies a quick fix', async function () {
    const editor = await open('app/routes/webhooks.py');
    const uri = editor.document.uri;
    const [diagnostic] = perflensDiagnostics(uri, 'blocking-sleep-in-async');
    assert.ok(diagnostic, `the previous test saw the diagnostic; now: ${describeDiagnostics(uri)}`);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.title.startsWith('Replace with') && a.edit);
    assert.ok(fix, `no "Replace with await asyncio.sleep" quick fix among: ${titles.join(' | ')}`);
    assert.ok(
      fix.isPreferred,
      'the safe fix is the preferred action (Ctrl+. then Enter, and auto-fix)',
    );
    assert.ok(
      titles.includes('Ignore blocking-sleep-in-async for this line'),
      `titles: ${titles.join(' | ')}`,
    );

    assert.ok(await vscode.workspace.applyEdit(fix.edit!), 'workspace.applyEdit returned false');
    assert.equal(editor.document.lineAt(17).text.trim(), 'await asyncio.sleep(1.5)');
    await waitFor(
      () => perflensDiagnostics(uri, 'blocking-sleep-in-async').length === 0,
      () => `the diagnostic stayed after the fix: ${describeDiagnostics(uri)}`,
    );
    assert.ok(await editor.document.save(), 'could not save webhooks.py');
  });

  it('fixes only safe problems on save (source.fixAll.perflens)', async function () {
    const relative = 'app/routes/slow_e2e.py';
    const uri = fileUri(relative);
    const source = [
      'import time',
      '',
      'import requests',
      '',
      '',
      'async def poll_status() -> None:',
      '    time.sleep(2)',
      '',
      '',
      'def fetch(url: str) -> bytes:',
      '    return requests.get(url).content',
      '',
    ].join('\n');
    await vscode.workspace.fs.writeFile(uri, Buffer.from(source));
    const editor = await open(relative);
    await waitFor(
      () =>
        perflensDiagnostics(uri, 'blocking-sleep-in-async').length === 1 &&
        perflensDiagnostics(uri, 'http-call-without-timeout').length === 1,
      () =>
        `expected a safe (blocking-sleep-in-async) and an unsafe (http-call-without-timeout) finding; got ${describeDiagnostics(uri)}`,
    );

    // The drivers write it into the workspace's .vscode/settings.json (see harness.ts).
    assert.deepEqual(
      vscode.workspace.getConfiguration('editor', uri).get('codeActionsOnSave'),
      { 'source.fixAll.perflens': 'explicit' },
      'the workspace must enable source.fixAll.perflens on save',
    );
    // What VS Code asks the server for on save: one action with the safe fixes only.
    const asked = Date.now();
    const fixAll = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, editor.document.lineCount, 0),
      'source.fixAll.perflens',
    );
    const took = Date.now() - asked;
    assert.deepEqual(
      fixAll.map((action) => action.title),
      ['Fix all safe Perflens problems'],
      `source.fixAll.perflens actions (answered in ${took} ms)`,
    );
    // Code actions on save run for saves of modified documents: make one edit, then save.
    assert.ok(
      await editor.edit((edit) =>
        edit.insert(new vscode.Position(0, 0), '"""Polls the carrier."""\n'),
      ),
    );
    // An explicit save, as Ctrl+S: save participants (code actions on save) run first.
    assert.ok(await editor.document.save(), 'saving slow_e2e.py failed');
    assert.ok(!editor.document.isDirty, 'slow_e2e.py is still dirty after the save');

    const text = editor.document.getText();
    assert.match(
      text,
      /^ {4}await asyncio\.sleep\(2\)$/m,
      `the safe fix was not applied on save:\n${text}`,
    );
    assert.match(text, /^import asyncio$/m, `the safe fix must add "import asyncio":\n${text}`);
    assert.match(
      text,
      /requests\.get\(url\)\.content/,
      `the unsafe fix (timeout=) must not be applied on save:\n${text}`,
    );
    assert.doesNotMatch(
      text,
      /timeout=/,
      `the unsafe fix (timeout=) must not be applied on save:\n${text}`,
    );
    const onDisk = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    assert.equal(onDisk, text, 'the fixed text is what was saved');
  });

  it('turns a rule off through the perflens.rules setting', async function () {
    const uri = fileUri('app/routes/shipping.py');
    await open('app/routes/shipping.py');
    await waitFor(
      () => perflensDiagnostics(uri, 'blocking-http-in-async').length > 0,
      () =>
        `no blocking-http-in-async diagnostic in shipping.py; it has: ${describeDiagnostics(uri)}`,
    );
    const others = perflensDiagnostics(uri).filter(
      (d) => ruleOf(d) !== 'blocking-http-in-async',
    ).length;
    assert.ok(others > 0, 'shipping.py has other findings, which must stay');

    await setWorkspaceSetting('perflens', 'rules', { 'blocking-http-in-async': 'off' });
    try {
      await waitFor(
        () => perflensDiagnostics(uri, 'blocking-http-in-async').length === 0,
        () =>
          `blocking-http-in-async is still reported with the rule off: ${describeDiagnostics(uri)}`,
      );
      assert.equal(
        perflensDiagnostics(uri).length,
        others,
        `the other rules still report: ${describeDiagnostics(uri)}`,
      );
      const rows = await waitFor(
        async () => {
          const all = await panelFindings(api);
          return !all.some((row) => row.ruleId === 'blocking-http-in-async') && all;
        },
        () => 'the findings panel still lists blocking-http-in-async with the rule off',
      );
      assert.ok(rows.length > 0, 'the panel still lists the other findings');
    } finally {
      await setWorkspaceSetting('perflens', 'rules', undefined);
    }
    // Back on: the finding returns, so it was the setting that removed it.
    await waitFor(
      () => perflensDiagnostics(uri, 'blocking-http-in-async').length > 0,
      () =>
        `blocking-http-in-async did not come back with the setting removed: ${describeDiagnostics(uri)}`,
    );
  });
  it('analyses TypeScript and Prisma documents and lists them in the panel', async function () {
    // Written into the workspace for this test, then removed: the demo app is Python.
    const schema = fileUri('prisma/schema.prisma');
    const route = fileUri('web/orders.ts');
    const write = async (uri: vscode.Uri, text: string) => {
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
      await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    };
    await write(schema, 'model Order {\n  id     Int    @id\n  status String\n}\n');
    await write(
      route,
      [
        "app.get('/orders', async () =>",
        "  prisma.order.findMany({ where: { status: 'PAID' }, take: 50 }),",
        ');',
        "export const byStatus = () => pool.query('SELECT id FROM orders');",
        '',
      ].join('\n'),
    );
    try {
      const document = await vscode.workspace.openTextDocument(route);
      assert.equal(document.languageId, 'typescript');
      await vscode.window.showTextDocument(document);
      const rules = await waitFor(
        () => {
          const found = perflensDiagnostics(route).map(
            (d) => `${ruleOf(d)}@${d.range.start.line + 1}`,
          );
          return found.length === 2 && found.sort();
        },
        () => `web/orders.ts has: ${describeDiagnostics(route)}`,
      );
      assert.deepEqual(rules, ['prisma-query-without-index@2', 'unbounded-select@4']);
      const rows = await panelFindings(api);
      assert.ok(
        rows.some((row) => row.ruleId === 'prisma-query-without-index'),
        'the findings panel lists the TypeScript finding',
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(root(), 'web'), { recursive: true });
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(root(), 'prisma'), { recursive: true });
    }
  });
});
