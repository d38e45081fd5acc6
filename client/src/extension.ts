/**
 * Perflens's VS Code extension: UI only. It starts the language server (which does all analysis),
 * and shows what the server finds: the findings panel, a language status item, commands.
 */
import * as vscode from 'vscode';
import { Ctx } from './ctx';
import type { TreeNode } from './findings-tree';

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
  /** How long `activate()` took, language server start included (reported by the e2e run). */
  readonly activationMs: number;
}

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<PerflensApi> {
  const started = performance.now();
  const current = new Ctx(context);
  ctx = current;
  await current.start();
  const activationMs = performance.now() - started;
  current.output.info(
    `Perflens activated in ${activationMs.toFixed(0)} ms (language server started)`,
  );
  return {
    findings: current.findings,
    refreshFindings: () => current.findings.refresh(),
    activationMs,
  };
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
