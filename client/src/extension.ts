/**
 * Perflens's VS Code extension: UI only. It starts the language server (which does all analysis),
 * and shows what the server finds: the findings panel, a language status item, commands.
 */
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import type { TreeNode } from './findings-tree';

/**
 * When the bundle began to run: esbuild.mjs puts `var __perflensBundleStarted = performance.now();`
 * at the top of dist/client.js, so activation counts the bundle's own loading. Absent elsewhere.
 */
declare const __perflensBundleStarted: number | undefined;
const bundleStarted =
  typeof __perflensBundleStarted === 'number' ? __perflensBundleStarted : undefined;
const bundleLoaded = performance.now();

/**
 * What `activate()` returns (`vscode.extensions.getExtension('perflens.perflens').exports`). It is
 * small on purpose: the extension-host tests (test/e2e/suite) read the findings panel through it,
 * exactly as the `perflens.findings` view does.
 */
export interface PerflensApi {
  /** The data provider of the findings panel. */
  readonly findings: vscode.TreeDataProvider<TreeNode>;
  /** Re-reads every finding from the server now (the panel does it on each status notification). */
  refreshFindings(): Promise<void>;
  /** How long running the bundle's module code took before `activate()` (0 outside the bundle). */
  readonly loadMs: number;
  /** How long `activate()` took; the language server starts after it, in the background. */
  readonly activationMs: number;
  /** Resolves once the language server is running (activation does not wait for it). */
  readonly serverReady: Promise<void>;
}

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<PerflensApi> {
  const started = performance.now();
  const current = new Ctx(context);
  ctx = current;
  // The server starts in the background, as in lsp-sample: activation (and with it VS Code's
  // start-up) does not wait for a child process; the status item shows "starting" meanwhile.
  const serverReady = current.start().then(
    () =>
      current.output.info(
        `Perflens language server started ${(performance.now() - started).toFixed(0)} ms after activation began`,
      ),
    (error: unknown) => {
      current.output.error(`Perflens language server failed to start: ${String(error)}`);
      throw error;
    },
  );
  serverReady.catch(() => undefined); // reported above; awaiting callers still see the failure
  const activationMs = performance.now() - started;
  return {
    findings: current.findings,
    refreshFindings: async () => {
      await serverReady;
      await current.findings.refresh();
    },
    loadMs: bundleStarted === undefined ? 0 : bundleLoaded - bundleStarted,
    activationMs,
    serverReady,
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
