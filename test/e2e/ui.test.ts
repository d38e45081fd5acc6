/**
 * The Perflens UI in the real VS Code 1.100.3 workbench (code-server), driven in headless Chromium
 * with playwright-core: the packaged perflens.vsix is installed the way a user installs it, a copy
 * of examples/demo-app is opened, and the test uses the keyboard like a user (Quick Open, Ctrl+.,
 * the command palette). It saves a screenshot of each screen it checks in test/e2e/screenshots/.
 *
 * Run through test/e2e/run.sh (it builds perflens.vsix first). Selectors are VS Code's own DOM; the
 * ones that are not obvious are explained where they are used.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import {
  installVsix,
  newRun,
  startChromium,
  startCodeServer,
  stopAll,
  VSIX,
  type Chromium,
  type CodeServer,
  type Run,
  waitFor,
} from './harness';

const SHOTS = path.join(__dirname, 'screenshots');

describe('Perflens UI in the VS Code workbench', function () {
  this.timeout(90_000);
  let run: Run;
  let server: CodeServer | undefined;
  let chrome: Chromium | undefined;
  let page: Page;
  let failed = false;
  /** The Perflens view container's badge: the number of findings in the workspace. */
  const badge = (): Locator =>
    page.locator('.activitybar .action-item:has(a[aria-label^="Perflens"]) .badge-content');

  const shot = async (name: string): Promise<string> => {
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    return file;
  };

  /** Runs a command from the command palette (F1), choosing the row whose label contains `label`. */
  const runCommand = async (label: string): Promise<void> => {
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill(`>${label}`);
    await page
      .locator('.quick-input-widget .monaco-list-row.focused', { hasText: label })
      .waitFor();
    await page.keyboard.press('Enter');
  };

  /** Drags the sash between the side bar and the editor, so that findings fit in the screenshot. */
  const widenSideBar = async (): Promise<void> => {
    const box = await page.locator('.part.sidebar').boundingBox();
    assert.ok(box, 'the side bar is visible');
    await page.mouse.move(box.x + box.width, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width + 300, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
  };

  /** The editor's text as rendered (Monaco renders spaces as U+00A0). */
  const editorText = async (): Promise<string> =>
    (await page.locator('.editor-instance .monaco-editor .view-lines').innerText()).replace(
      /\u00a0/g,
      ' ',
    );

  before(async function () {
    this.timeout(120_000);
    assert.ok(
      fs.existsSync(VSIX),
      `${VSIX} is missing: run test/e2e/run.sh (it runs npm run package)`,
    );
    fs.rmSync(SHOTS, { recursive: true, force: true });
    fs.mkdirSync(SHOTS, { recursive: true });
    run = newRun('ui');
    const extensionsDir = path.join(run.dir, 'extensions');
    await installVsix(run, VSIX, extensionsDir);
    server = await startCodeServer(run, { extensionsDir });
    chrome = await startChromium(run);
    page = chrome.page;
    try {
      await page.goto(`${server.url}/?folder=${encodeURIComponent(run.workspace)}`);
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // Rows in the Explorer mean the remote file system answered too, not only the workbench shell.
      await page
        .locator('.explorer-folders-view .monaco-list-row[aria-label="alembic"]')
        .waitFor({ timeout: 60_000 });
    } catch (error) {
      failed = true;
      await shot('FAIL-startup').catch(() => undefined);
      throw error;
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      failed = true;
      const name = `FAIL-${this.currentTest.title.replace(/\W+/g, '-')}`;
      await shot(name).then(
        (file) => console.log(`# screenshot of the failure: ${file}`),
        () => undefined,
      );
    }
  });

  after(async function () {
    await stopAll(chrome, server);
    run?.finish(!failed);
  });

  it('shows Perflens diagnostics in the editor and the Problems panel', async function () {
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('webhooks.py');
    await page
      .locator('.quick-input-widget .monaco-list-row.focused', { hasText: 'webhooks.py' })
      .waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: 'webhooks.py' }).waitFor();
    // The squiggle under time.sleep(1.5): the server analysed the file opened in the editor.
    await page
      .locator('.editor-instance .monaco-editor .squiggly-warning')
      .first()
      .waitFor({ timeout: 30_000 });

    await runCommand('View: Focus Problems');
    // Files never opened have problems too (workspace analysis): the status bar counts them all.
    // Hints are not counted there, nor listed in the Problems panel.
    const status = page.locator('#status\\.problems');
    await waitFor(
      async () => /Warnings: \d\d+/.test((await status.getAttribute('aria-label')) ?? ''),
      20_000,
      'the status bar never counted the whole workspace',
    );
    const label = (await status.getAttribute('aria-label')) ?? '';
    await page
      .locator('.markers-panel .monaco-list-row', { hasText: 'admin_server.py' })
      .first()
      .waitFor();
    // The panel lists every file with problems, more than fit: filter it down to the opened file's.
    await page
      .locator('.markers-panel-action-filter input, .viewpane-filter input')
      .first()
      .fill('webhooks.py');
    const row = page.locator('.markers-panel .monaco-list-row', {
      hasText: 'blocks the event loop',
    });
    await row.first().waitFor({ timeout: 30_000 });
    const text = await row.first().innerText();
    assert.match(text, /perflens/, `the Problems row names its source: ${text}`);
    assert.match(text, /blocking-sleep-in-async/, `the Problems row names the rule: ${text}`);
    assert.match(text, /\[Ln 18, Col 9\]/, `the Problems row points at line 18: ${text}`);
    assert.match(
      label,
      /Warnings: \d\d+/,
      `the status bar counts the whole demo app's warnings: "${label}"`,
    );
    await shot('01-problems-panel');
  });

  it('lists every finding of the workspace in the Perflens findings panel', async function () {
    // The command VS Code generates for every view (`perflens.findings.focus`). Clicking the
    // activity bar icon does the same, but its count badge takes the click in headless Chromium.
    await runCommand('Focus on Findings View');
    const pane = page.locator('.pane', {
      has: page.locator('.pane-header', { hasText: 'Findings' }),
    });
    const rows = pane.locator('.monaco-list-row');
    await rows.first().waitFor({ timeout: 30_000 });
    // Grouped category → rule → file → finding, all expanded. The list renders only the rows in
    // view, so check the first rows' shape rather than look for a particular finding.
    const firstRows = await rows.evaluateAll((elements) =>
      elements.slice(0, 4).map((e) => ({
        level: e.getAttribute('aria-level'),
        // label and description, as a reader sees them (innerText runs them together)
        text: [...e.querySelectorAll('.label-name, .label-description')]
          .map((part) => part.textContent?.trim())
          .join(' '),
      })),
    );
    const shape = JSON.stringify(firstRows);
    assert.deepEqual(
      firstRows.map((row) => row.level),
      ['1', '2', '3', '4'],
      `category → rule → file → finding: ${shape}`,
    );
    assert.match(
      firstRows[0].text,
      /^n-plus-one \(\d+\)$/,
      `the costliest category comes first, with a count: ${shape}`,
    );
    assert.match(firstRows[1].text, /^[a-z-]+ \(\d+\)$/, `a rule with a count: ${shape}`);
    assert.match(firstRows[2].text, /^\S+\.(py|sql) \S+/, `a file with its folder: ${shape}`);
    assert.doesNotMatch(firstRows[2].text, /\(\d+\)/, `no second count on a file row: ${shape}`);
    assert.match(firstRows[3].text, /\w.* line \d+$/, `a finding's message and line: ${shape}`);
    assert.doesNotMatch(
      firstRows[3].text,
      /`/,
      `finding rows show plain text, not Markdown: ${shape}`,
    );
    // Files never opened are listed: only webhooks.py was opened.
    await rows
      .filter({ hasText: /^(shipping|orders|customers)\.py/ })
      .first()
      .waitFor();
    // The view container's badge counts the findings.
    const count = Number(await badge().innerText());
    assert.ok(count > 10, `activity bar badge: ${count}`);
    await widenSideBar();
    await shot('03-findings-panel');
  });

  it('offers the safe fix first in the quick-fix menu and applies it', async function () {
    const findingsBefore = Number(await badge().innerText());
    await page.locator('.editor-instance .monaco-editor .view-lines').click();
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').fill(':18:9');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+Period');
    // The menu ignores mouse clicks in headless Chromium (a pointer-blocking overlay): use the keyboard.
    const menu = page.locator('.action-widget');
    await menu.locator('.monaco-list-row.focused', { hasText: 'Replace with' }).waitFor();
    await menu
      .locator('.monaco-list-row', { hasText: 'Ignore blocking-sleep-in-async for this line' })
      .waitFor();
    await shot('02-quick-fix-menu');
    await page.keyboard.press('Enter');
    await waitFor(
      async () => (await editorText()).includes('await asyncio.sleep(1.5)'),
      10_000,
      'the quick fix did not change the editor text',
    );
    assert.match(await editorText(), /await asyncio\.sleep\(1\.5\)/);
    // The finding leaves the panel once the server re-analysed the edited text: one fewer in the badge.
    await badge()
      .filter({ hasText: new RegExp(`^${findingsBefore - 1}$`) })
      .waitFor({ timeout: 15_000 });
    await shot('04-after-quick-fix');
  });
});
