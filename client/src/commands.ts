/** The extension's commands, as a table of handlers that read the current Ctx when they run. */
import * as vscode from 'vscode';
import { CATEGORIES } from '../../server/src/engine/types';
import { ReanalyzeRequest, type PanelFinding } from '../../server/src/lsp/protocol';
import type { Ctx } from './ctx';
import type { GroupBy, TreeNode } from './findings-tree';

type Handler = (ctx: Ctx, ...args: never[]) => unknown;

function findingOf(node: TreeNode | undefined): PanelFinding | undefined {
  return node?.kind === 'finding' ? node.finding : undefined;
}

function rangeOf(finding: PanelFinding): vscode.Range {
  const { start, end } = finding.range;
  return new vscode.Range(start.line, start.character, end.line, end.character);
}

/** Runs the server's code action titled by `pick` for a finding from the panel. */
async function runAction(
  finding: PanelFinding,
  pick: (action: vscode.CodeAction) => boolean,
): Promise<boolean> {
  const uri = vscode.Uri.parse(finding.uri);
  await vscode.workspace.openTextDocument(uri);
  const actions =
    (await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      rangeOf(finding),
      vscode.CodeActionKind.QuickFix.value,
    )) ?? [];
  const action = actions.find(
    (a) =>
      pick(a) &&
      a.diagnostics?.some(
        (d) =>
          d.code === finding.ruleId ||
          (typeof d.code === 'object' && d.code.value === finding.ruleId),
      ),
  );
  if (!action?.edit) return false;
  return vscode.workspace.applyEdit(action.edit);
}

const COMMANDS: Record<string, Handler> = {
  'perflens.reanalyzeWorkspace': async (ctx) => {
    await ctx.client?.sendRequest(ReanalyzeRequest);
  },
  'perflens.showOutput': (ctx) => ctx.output.show(true),
  'perflens.restartServer': async (ctx) => {
    await ctx.restart();
  },
  'perflens.showRuleDocs': async (ctx, ruleId: string) => {
    await vscode.commands.executeCommand('markdown.showPreview', ctx.docsUri(ruleId));
  },
  'perflens.openDocs': async (ctx) => {
    const index = vscode.Uri.joinPath(ctx.extension.extensionUri, 'docs', 'rules');
    const entries = await vscode.workspace.fs.readDirectory(index);
    const rules = entries
      .map(([name]) => name)
      .filter((name) => name.endsWith('.md') && name !== 'README.md')
      .map((name) => name.slice(0, -3));
    const picked = await vscode.window.showQuickPick(['(all rules)', ...rules.sort()], {
      placeHolder: 'Open the documentation of a Perflens rule',
    });
    if (!picked) return;
    const uri =
      picked === '(all rules)' ? vscode.Uri.joinPath(index, 'README.md') : ctx.docsUri(picked);
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  },
  'perflens.findings.groupBy': async (ctx) => {
    const choices: { label: string; value: GroupBy }[] = [
      { label: 'Category → rule → file', value: 'category' },
      { label: 'File → finding', value: 'file' },
      { label: 'Severity', value: 'severity' },
    ];
    const picked = await vscode.window.showQuickPick(choices, {
      placeHolder: 'Group Perflens findings by',
    });
    if (picked) await ctx.findings.setGroupBy(picked.value);
  },
  'perflens.findings.filter': async (ctx) => {
    const items: (vscode.QuickPickItem & { kind2: 'severity' | 'category'; value: string })[] = [
      ...['error', 'warning', 'info', 'hint'].map((value) => ({
        label: value,
        description: 'severity',
        kind2: 'severity' as const,
        value,
        picked: ctx.findings.severities.has(value),
      })),
      ...CATEGORIES.map((value) => ({
        label: value,
        description: 'category',
        kind2: 'category' as const,
        value,
        picked: ctx.findings.categories.has(value),
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      canPickMany: true,
      placeHolder: 'Show only these severities and categories (none = all)',
    });
    if (!picked) return;
    await ctx.findings.setFilters(
      picked.filter((p) => p.kind2 === 'severity').map((p) => p.value),
      picked.filter((p) => p.kind2 === 'category').map((p) => p.value),
    );
  },
  'perflens.findings.applyFix': async (_ctx, node: TreeNode) => {
    const finding = findingOf(node);
    if (
      finding &&
      !(await runAction(
        finding,
        (a) => !a.title.startsWith('Fix all') && !a.title.startsWith('Ignore') && !!a.edit,
      ))
    ) {
      void vscode.window.showWarningMessage(
        'Perflens: this finding has no fix that applies to the current text.',
      );
    }
  },
  'perflens.findings.ignore': async (_ctx, node: TreeNode) => {
    const finding = findingOf(node);
    if (finding) await runAction(finding, (a) => a.title.startsWith('Ignore '));
  },
  'perflens.findings.showDocs': async (ctx, node: TreeNode) => {
    const finding = findingOf(node);
    if (finding)
      await vscode.commands.executeCommand('markdown.showPreview', ctx.docsUri(finding.ruleId));
  },
};

export function registerCommands(ctx: Ctx): void {
  for (const [id, handler] of Object.entries(COMMANDS)) {
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, (...args: unknown[]) =>
        (handler as (ctx: Ctx, ...a: unknown[]) => unknown)(ctx, ...args),
      ),
    );
  }
}

/** Command ids, for package.json consistency tests. */
export const COMMAND_IDS = Object.keys(COMMANDS);
