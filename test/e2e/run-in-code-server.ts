/**
 * Runs the extension-host mocha suite (test/e2e/suite) inside code-server's Node extension host:
 * the @vscode/test-electron contract (extensionDevelopmentPath + extensionTestsPath, then
 * `require(extensionTestsPath).run()`) without a desktop VS Code.
 *
 * code-server's CLI does not accept --extensionDevelopmentPath/--extensionTestsPath; in its
 * architecture the workbench (the browser) decides them and hands them to the remote extension host.
 * The web workbench reads them from the `payload` query parameter and, once `run()` settles, calls
 * `window.codeAutomationExit(code)` (the hook @vscode/test-web uses). So the browser only loads one
 * URL; nothing in the UI is clicked. Exit code: 0 when every test passed.
 *
 * Needs: test/e2e/setup.sh, a build (dist/) and the suite bundle (see SUITE); run.sh makes both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  exitWith,
  newRun,
  onExtensionHostLog,
  REPO,
  startChromium,
  startCodeServer,
  stopAll,
  SUITE,
  type Chromium,
  type CodeServer,
} from './harness';

const TIMEOUT_MS = 180_000;

/** Extension-host chatter that says nothing about the tests. */
const NOISE =
  /^\s*$|ENOTFOUND open-vsx|ERR_NAME_NOT_RESOLVED|status of 404|^\s*(Resolv|Creating a socket|Started local extension host|\[remote|\[Service Worker\]|%c)|vsda|iframe|ChatSessionStore|Overwriting extension|additional builtin extensions/;

async function main(): Promise<number> {
  for (const file of [
    SUITE,
    path.join(REPO, 'dist', 'client.js'),
    path.join(REPO, 'dist', 'server.js'),
  ]) {
    if (!fs.existsSync(file))
      throw new Error(`${file} is missing: run test/e2e/run.sh (it builds it)`);
  }
  const started = Date.now();
  const run = newRun('suite');
  const resultsFile = run.log('results.json');
  let server: CodeServer | undefined;
  let chrome: Chromium | undefined;
  let code = 1;
  try {
    // An empty extensions folder: the extension under test is only the development copy (no installed vsix).
    // The extension host inherits code-server's environment, which is how run() learns where to write results.
    server = await startCodeServer(run, {
      extensionsDir: path.join(run.dir, 'extensions'),
      env: {
        PERFLENS_E2E_RESULTS: resultsFile,
        ...(process.env.PERFLENS_E2E_GREP
          ? { PERFLENS_E2E_GREP: process.env.PERFLENS_E2E_GREP }
          : {}),
      },
    });
    chrome = await startChromium(run);
    const { page } = chrome;
    const remote = (file: string): string => `vscode-remote://${new URL(server!.url).host}${file}`; // remoteAuthority = location.host
    const payload = [
      ['extensionDevelopmentPath', remote(REPO)],
      ['extensionTestsPath', remote(SUITE)],
    ];
    const exited = new Promise<number>(
      (resolve) =>
        void page.exposeFunction('codeAutomationExit', (exitCode: number) => resolve(exitCode)),
    );
    onExtensionHostLog(page, (line) => {
      fs.appendFileSync(run.log('extension-host.log'), `${line}\n`);
      if (!NOISE.test(line)) console.log(line); // mocha's spec reporter, from inside the extension host
    });
    await page.goto(
      `${server.url}/?folder=${encodeURIComponent(run.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`the suite did not finish in ${TIMEOUT_MS / 1000} s (no codeAutomationExit)`),
          ),
        TIMEOUT_MS,
      );
    });
    code = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
    if (!fs.existsSync(resultsFile)) {
      console.error(
        `run() did not write ${resultsFile}: the suite did not load (see ${run.log('extension-host.log')})`,
      );
      code = 1;
    } else {
      const { results } = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
        results: { title: string; state: string }[];
      };
      console.log(
        `# ${results.filter((r) => r.state === 'passed').length}/${results.length} extension-host tests passed`,
      );
    }
  } catch (error) {
    console.error(error);
    await chrome?.page.screenshot({ path: run.log('failure.png') }).catch(() => undefined);
    code = 1;
  } finally {
    await stopAll(chrome, server);
    run.finish(code === 0);
  }
  console.log(
    `# code-server extension-host run: exit code ${code}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return code;
}

exitWith(main);
