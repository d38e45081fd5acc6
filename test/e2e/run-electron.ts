/**
 * Runs the extension-host mocha suite (test/e2e/suite) in desktop VS Code with
 * @vscode/test-electron, on a copy of examples/demo-app. Only when VSCODE_EXECUTABLE_PATH names a
 * VS Code binary: test-electron would otherwise download VS Code, which offline machines (and this
 * repository's CI) cannot, so the run is skipped with a message instead. Exit code: 0 = passed or skipped.
 *   VSCODE_EXECUTABLE_PATH=/opt/VSCode-linux-x64/code test/e2e/run.sh
 * On a machine without a display, run it under xvfb-run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { exitWith, newRun, REPO, SUITE, USER_SETTINGS } from './harness';

async function main(): Promise<number> {
  const executable = process.env.VSCODE_EXECUTABLE_PATH;
  if (!executable) {
    console.log(
      'SKIPPED: set VSCODE_EXECUTABLE_PATH to a VS Code binary to run the suite with @vscode/test-electron',
    );
    return 0;
  }
  if (!fs.existsSync(SUITE))
    throw new Error(`${SUITE} is missing: run test/e2e/run.sh (it builds it)`);
  const run = newRun('electron');
  const userData = path.join(run.dir, 'user-data');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(USER_SETTINGS, null, 2),
  );
  const resultsFile = run.log('results.json');
  let code = 1;
  try {
    code = await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: SUITE,
      extensionTestsEnv: {
        PERFLENS_E2E_RESULTS: resultsFile,
        ...(process.env.PERFLENS_E2E_GREP
          ? { PERFLENS_E2E_GREP: process.env.PERFLENS_E2E_GREP }
          : {}),
      },
      // --disable-extensions: only the extension under development, none the user installed.
      launchArgs: [
        run.workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        `--user-data-dir=${userData}`,
      ],
    });
  } catch (error) {
    console.error(error);
  }
  run.finish(code === 0);
  return code;
}

exitWith(main);
