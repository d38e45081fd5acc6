/**
 * Starts and stops what the real-VS-Code tests run on: code-server 4.100.3 (VS Code 1.100.3's server
 * with a Node extension host) and Debian's headless Chromium as its client, driven over CDP by
 * playwright-core. Both are spawned as leaders of their own process group, so teardown can end
 * them, and everything they started (extension host, language server, pty host, file watcher), by
 * process group id and nothing else.
 *
 * Every run gets a fresh temp folder (user data, a copy of examples/demo-app, logs): restored
 * editors and view state from an earlier run would make the UI flaky. It is deleted when the run
 * passes and kept (its path is printed) when it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '..', '..');
export const CODE_SERVER =
  process.env.CODE_SERVER ??
  path.join(REPO, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const DEMO_APP = path.join(REPO, 'examples', 'demo-app');
/**
 * The extension-host test bundle, built by test/e2e/run.sh (esbuild). It lives outside the
 * repository so that lint and format checks of the repository never see generated code.
 */
export const SUITE = path.join(os.tmpdir(), 'perflens-e2e-suite', 'index.js');
export const VSIX = path.join(REPO, 'perflens.vsix');

/** User settings that keep a fresh VS Code from opening modals and tabs the tests do not expect. */
export const USER_SETTINGS = {
  'security.workspace.trust.enabled': false, // no "Do you trust the authors…" modal
  'workbench.startupEditor': 'none', // no Welcome tab
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden', // no chat panel covering the editor
  'chat.commandCenter.enabled': false,
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'git.enabled': false,
  'files.autoSave': 'off', // the fix-on-save test saves explicitly
  'window.restoreWindows': 'none',
  'editor.accessibilitySupport': 'off',
};

/** The workspace settings of the demo-app copy (`.vscode/settings.json`). */
export const WORKSPACE_SETTINGS = {
  'editor.codeActionsOnSave': { 'source.fixAll.perflens': 'explicit' },
};

export interface Run {
  dir: string;
  /** The copy of examples/demo-app that VS Code opens. */
  workspace: string;
  log(name: string): string;
  /** Deletes the run folder if `passed`, else prints where it is. */
  finish(passed: boolean): void;
}

export function newRun(name: string): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `perflens-e2e-${name}-`));
  const workspace = path.join(dir, 'demo-app');
  fs.cpSync(DEMO_APP, workspace, { recursive: true });
  // Fix on save, set before VS Code starts: set from a test through the API, the workbench took
  // up to a few hundred ms to apply it to saves, so a save right after could run without it.
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify(WORKSPACE_SETTINGS, null, 2),
  );
  return {
    dir,
    workspace,
    log: (file) => path.join(dir, file),
    finish(passed) {
      if (passed && !process.env.PERFLENS_E2E_KEEP)
        fs.rmSync(dir, { recursive: true, force: true });
      else console.log(`# run folder kept for inspection: ${dir}`);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; throws `message` (with the last error) after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end)
      throw new Error(`${message} (after ${timeoutMs} ms)${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * code-server writes `$XDG_DATA_HOME/code-server/{heartbeat,coder-logs}` and
 * `$XDG_CONFIG_HOME/code-server/config.yaml` even when given --user-data-dir: point both into the run.
 */
function codeServerEnv(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
    ...extra,
  };
}

/** Installs a .vsix into `extensionsDir` the way a user would (`code --install-extension`). */
export async function installVsix(run: Run, vsix: string, extensionsDir: string): Promise<void> {
  const output: string[] = [];
  const proc = spawn(
    CODE_SERVER,
    [
      '--install-extension',
      vsix,
      '--force',
      '--extensions-dir',
      extensionsDir,
      '--user-data-dir',
      path.join(run.dir, 'install-user-data'),
    ],
    { env: codeServerEnv(run.dir), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  if (code !== 0)
    throw new Error(
      `code-server --install-extension ${vsix} exited with ${code}:\n${output.join('')}`,
    );
}

export interface CodeServer {
  url: string;
  proc: ChildProcess;
}

export async function startCodeServer(
  run: Run,
  {
    extensionsDir,
    env = {},
    settings = {},
  }: { extensionsDir: string; env?: Record<string, string>; settings?: object },
): Promise<CodeServer> {
  if (!fs.existsSync(CODE_SERVER))
    throw new Error(`${CODE_SERVER} is missing: run test/e2e/setup.sh first`);
  const userData = path.join(run.dir, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2),
  );
  fs.mkdirSync(extensionsDir, { recursive: true });
  const port = await freePort();
  const log = fs.openSync(run.log('code-server.log'), 'a');
  const proc = spawn(
    CODE_SERVER,
    [
      ...[
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--auth',
        'none',
        '--config',
        path.join(run.dir, 'config.yaml'),
      ],
      ...['--user-data-dir', userData, '--extensions-dir', extensionsDir],
      ...[
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
      ],
      ...['--ignore-last-opened', run.workspace],
    ],
    { detached: true, stdio: ['ignore', log, log], env: codeServerEnv(run.dir, env) },
  );
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null)
          throw new Error(
            `code-server exited with ${proc.exitCode}, see ${run.log('code-server.log')}`,
          );
        return (await fetch(`${url}/healthz`)).ok;
      },
      30_000,
      `code-server did not answer on ${url}/healthz`,
    );
  } catch (error) {
    await stopGroup(proc, 'code-server');
    throw error;
  }
  return { url, proc };
}

export interface Chromium {
  proc: ChildProcess;
  browser: Browser;
  page: Page;
}

/**
 * Spawns Chromium ourselves (not playwright's launch) so that we own its pid and flags, then attaches
 * over CDP. playwright-core never downloads a browser this way.
 */
export async function startChromium(run: Run): Promise<Chromium> {
  const log = fs.createWriteStream(run.log('chromium.log'));
  const chromiumTmp = path.join(run.dir, 'chromium-tmp');
  fs.mkdirSync(chromiumTmp, { recursive: true });
  const proc = spawn(
    CHROMIUM,
    [
      ...[
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
      ],
      // offline machine: no background requests to Google services
      ...[
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
      ],
      ...[
        '--window-size=1600,1000',
        '--force-device-scale-factor=1',
        `--user-data-dir=${path.join(run.dir, 'chromium-profile')}`,
      ],
      ...['--remote-debugging-port=0', 'about:blank'],
    ],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Chromium keeps its crash-report database in $XDG_CONFIG_HOME/chromium whatever
      // --user-data-dir says, and its singleton socket in a $TMPDIR folder that a stopped browser
      // leaves behind: keep all of it in the run folder, not in the user's home or /tmp.
      env: {
        ...process.env,
        XDG_CONFIG_HOME: path.join(run.dir, 'xdg-config'),
        XDG_CACHE_HOME: path.join(run.dir, 'xdg-cache'),
        TMPDIR: chromiumTmp,
      },
    },
  );
  proc.stdout!.pipe(log);
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(
        () => reject(new Error(`Chromium printed no DevTools endpoint in 30 s:\n${stderr}`)),
        30_000,
      );
      proc.stderr!.on('data', (data: Buffer) => {
        log.write(data);
        stderr += data.toString();
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited with ${code}:\n${stderr}`));
      });
    });
    const browser = await chromium.connectOverCDP(endpoint);
    const context = browser.contexts()[0];
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      if (message.type() === 'error')
        fs.appendFileSync(run.log('browser-errors.log'), `${message.text()}\n`);
    });
    return { proc, browser, page };
  } catch (error) {
    await stopGroup(proc, 'chromium');
    throw error;
  }
}

/** SIGTERM to the process group we spawned, SIGKILL if it is still there after `graceMs`. */
export async function stopGroup(
  proc: ChildProcess | undefined,
  name: string,
  graceMs = 5000,
): Promise<void> {
  if (!proc?.pid) return;
  const alive = (): boolean => {
    try {
      process.kill(-proc.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(-proc.pid, 'SIGTERM');
  const end = Date.now() + graceMs;
  while (alive() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
  if (alive()) {
    console.log(`# ${name} (process group ${proc.pid}) ignored SIGTERM for ${graceMs} ms: SIGKILL`);
    process.kill(-proc.pid, 'SIGKILL');
  }
}

export async function stopAll(
  chrome: Chromium | undefined,
  server: CodeServer | undefined,
): Promise<void> {
  await chrome?.browser.close().catch(() => undefined);
  await Promise.all([stopGroup(chrome?.proc, 'chromium'), stopGroup(server?.proc, 'code-server')]);
}

/**
 * The remote extension host's console (console.log in the extension and in the mocha suite) reaches
 * the browser console as ('%c INFO', 'color: …', format, ...args): rebuild the original line.
 */
export function onExtensionHostLog(page: Page, sink: (line: string) => void): void {
  page.on('console', async (message) => {
    const values = await Promise.all(message.args().map((arg) => arg.jsonValue().catch(() => '?')));
    const text =
      typeof values[0] === 'string' && values[0].startsWith('%c')
        ? util.format(...values.slice(2))
        : message.text();
    sink(text);
  });
}

/** Runs a script's `main` and exits with the code it returns, or 1 when it throws. */
export function exitWith(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
