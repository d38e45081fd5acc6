/**
 * Entry point of the extension-host tests, in the shape @vscode/test-electron expects of
 * `extensionTestsPath`: a module exporting `run(): Promise<void>` that VS Code calls inside the
 * extension host once the extension under development is loaded; a rejection fails the run.
 * Both drivers use it: run-electron.ts (desktop VS Code) and run-in-code-server.ts (code-server's
 * Node extension host, through the workbench's `payload` query parameter).
 *
 * esbuild bundles this file with the test files into one CommonJS file in the temp folder
 * (test/e2e/run.sh), leaving out `vscode` (the extension host provides it) and mocha, which is
 * loaded from the node_modules of the extension under test: the repository.
 */
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  // mocha 12 is an ES module: import() loads it from CommonJS on every Node the extension host may
  // run. It is resolved from the extension under test (the repository), not from this bundle's folder.
  const extension = vscode.extensions.getExtension('perflens.perflens');
  if (!extension)
    throw new Error('perflens.perflens is not loaded: check extensionDevelopmentPath');
  const mochaUrl = pathToFileURL(require.resolve('mocha', { paths: [extension.extensionPath] }));
  const { default: Mocha } = (await import(mochaUrl.href)) as { default: typeof import('mocha') };
  // PERFLENS_E2E_GREP runs only the matching tests (the benchmark runs the activation test alone).
  const grep = process.env.PERFLENS_E2E_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: 60_000,
    ...(grep ? { grep } : {}),
  });
  // Defines describe/it as globals for the test files, as `mocha.addFile` would for a file on disk.
  mocha.suite.emit('pre-require', globalThis, 'extension.test', mocha);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after pre-require, which an import would precede
  require('./extension.test');

  const results: { title: string; state: string; error?: string }[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('pass', (test: Mocha.Test) =>
      results.push({ title: test.fullTitle(), state: 'passed' }),
    );
    runner.on('fail', (test: Mocha.Test, error: Error) =>
      results.push({
        title: test.fullTitle(),
        state: 'failed',
        error: String(error?.stack ?? error),
      }),
    );
  });
  // Machine-readable results, for drivers that cannot read the extension host's console.
  const resultsFile = process.env.PERFLENS_E2E_RESULTS;
  if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify({ failures, results }, null, 2));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
  if (results.length === 0) throw new Error('no extension-host test ran');
}
