/**
 * The findings panel: every finding of the workspace (also in files never opened), grouped by
 * category → rule → file (or file → finding, or severity), categories ordered by the cost they
 * usually cause, with counts, a badge and filters.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CATEGORIES } from '../../server/src/engine/types';
import { AllFindingsRequest, type PanelFinding } from '../../server/src/lsp/protocol';
import type { Ctx } from './ctx';

export type GroupBy = 'category' | 'file' | 'severity';
const SEVERITY_ORDER = ['error', 'warning', 'info', 'hint'] as const;

interface GroupNode {
  kind: 'group';
  id: string;
  label: string;
  description?: string;
  icon?: vscode.ThemeIcon;
  resourceUri?: vscode.Uri;
  children: TreeNode[];
  count: number;
}

interface FindingNode {
  kind: 'finding';
  id: string;
  finding: PanelFinding;
  /** Show the file name in the description (when the group is not a file). */
  showFile: boolean;
}

export type TreeNode = GroupNode | FindingNode;

const SEVERITY_ICON: Record<PanelFinding['severity'], vscode.ThemeIcon> = {
  error: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
  warning: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  info: new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground')),
  hint: new vscode.ThemeIcon('lightbulb'),
};

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function byPosition(a: PanelFinding, b: PanelFinding): number {
  return (
    a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character
  );
}

export class FindingsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly view: vscode.TreeView<TreeNode>;
  private findings: PanelFinding[] = [];
  private roots: TreeNode[] = [];
  private timer: NodeJS.Timeout | undefined;
  groupBy: GroupBy;
  severities: Set<string>;
  categories: Set<string>;

  constructor(private readonly ctx: Ctx) {
    const state = ctx.extension.workspaceState;
    this.groupBy = state.get<GroupBy>('perflens.groupBy', 'category');
    this.severities = new Set(state.get<string[]>('perflens.severities', []));
    this.categories = new Set(state.get<string[]>('perflens.categories', []));
    this.view = vscode.window.createTreeView('perflens.findings', {
      treeDataProvider: this,
      showCollapseAll: true,
    });
  }

  /** Re-reads the findings shortly (status notifications come in bursts). */
  refreshSoon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 200);
  }

  async refresh(): Promise<void> {
    const client = this.ctx.client;
    if (!client?.isRunning()) return;
    try {
      this.findings = await client.sendRequest(AllFindingsRequest);
    } catch (error) {
      this.ctx.output.warn(`Could not read findings: ${String(error)}`);
      return;
    }
    this.rebuild();
  }

  /** All findings the panel currently shows (after filters). */
  visible(): PanelFinding[] {
    return this.findings.filter(
      (f) =>
        (this.severities.size === 0 || this.severities.has(f.severity)) &&
        (this.categories.size === 0 || this.categories.has(f.category)),
    );
  }

  async setGroupBy(groupBy: GroupBy): Promise<void> {
    this.groupBy = groupBy;
    await this.ctx.extension.workspaceState.update('perflens.groupBy', groupBy);
    this.rebuild();
  }

  async setFilters(severities: string[], categories: string[]): Promise<void> {
    this.severities = new Set(severities);
    this.categories = new Set(categories);
    await this.ctx.extension.workspaceState.update('perflens.severities', severities);
    await this.ctx.extension.workspaceState.update('perflens.categories', categories);
    this.rebuild();
  }

  private rebuild(): void {
    const findings = this.visible();
    this.roots = this.build(findings);
    const filtered = this.severities.size > 0 || this.categories.size > 0;
    this.view.badge =
      findings.length > 0
        ? { value: findings.length, tooltip: `${findings.length} Perflens findings` }
        : undefined;
    this.view.description = filtered
      ? `filtered: ${findings.length} of ${this.findings.length}`
      : undefined;
    this.view.message =
      findings.length === 0 && this.findings.length > 0
        ? 'No findings match the filter.'
        : undefined;
    void vscode.commands.executeCommand(
      'setContext',
      'perflens.hasFindings',
      this.findings.length > 0,
    );
    this.changed.fire(undefined);
  }

  private fileGroup(uri: string, findings: PanelFinding[], idPrefix: string): GroupNode {
    const resourceUri = vscode.Uri.parse(uri);
    return {
      kind: 'group',
      id: `${idPrefix}/${uri}`,
      label: path.basename(resourceUri.fsPath),
      description: vscode.workspace.asRelativePath(path.dirname(resourceUri.fsPath)),
      resourceUri,
      count: findings.length,
      children: findings
        .sort(byPosition)
        .map((finding) => this.leaf(finding, `${idPrefix}/${uri}`, false)),
    };
  }

  private leaf(finding: PanelFinding, idPrefix: string, showFile: boolean): FindingNode {
    return {
      kind: 'finding',
      id: `${idPrefix}/${finding.ruleId}@${finding.range.start.line}:${finding.range.start.character}`,
      finding,
      showFile,
    };
  }

  private build(findings: PanelFinding[]): TreeNode[] {
    if (this.groupBy === 'file') {
      return [...groupBy(findings, (f) => f.uri)]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([uri, list]) => this.fileGroup(uri, list, 'file'));
    }
    if (this.groupBy === 'severity') {
      const groups = groupBy(findings, (f) => f.severity);
      return SEVERITY_ORDER.filter((s) => groups.has(s)).map((severity) => {
        const list = groups.get(severity)!;
        return {
          kind: 'group',
          id: `severity/${severity}`,
          label: severity,
          icon: SEVERITY_ICON[severity],
          count: list.length,
          children: list
            .sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : byPosition(a, b)))
            .map((f) => this.leaf(f, `severity/${severity}`, true)),
        } satisfies GroupNode;
      });
    }
    const byCategory = groupBy(findings, (f) => f.category);
    const order = [
      ...CATEGORIES,
      ...[...byCategory.keys()].filter((c) => !(CATEGORIES as readonly string[]).includes(c)),
    ];
    return order
      .filter((category) => byCategory.has(category))
      .map((category) => {
        const list = byCategory.get(category)!;
        const rules = [...groupBy(list, (f) => f.ruleId)].sort(([a], [b]) => (a < b ? -1 : 1));
        return {
          kind: 'group',
          id: `category/${category}`,
          label: category,
          icon: new vscode.ThemeIcon('symbol-event'),
          count: list.length,
          children: rules.map(([ruleId, ruleFindings]) => ({
            kind: 'group',
            id: `category/${category}/${ruleId}`,
            label: ruleId,
            icon: new vscode.ThemeIcon('law'),
            count: ruleFindings.length,
            children: [...groupBy(ruleFindings, (f) => f.uri)]
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([uri, fileFindings]) =>
                this.fileGroup(uri, fileFindings, `category/${category}/${ruleId}`),
              ),
          })),
        } satisfies GroupNode;
      });
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) return this.roots;
    return node.kind === 'group' ? node.children : [];
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    if (node.kind === 'group') {
      // A file node gets no count: VS Code already decorates it with the file's problem count (from
      // resourceUri), and a second number beside it read as a contradiction.
      const label = node.resourceUri ? node.label : `${node.label} (${node.count})`;
      const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = node.id;
      item.description = node.description;
      if (node.resourceUri) item.resourceUri = node.resourceUri;
      item.iconPath = node.icon ?? (node.resourceUri ? vscode.ThemeIcon.File : undefined);
      item.contextValue = 'group';
      return item;
    }
    const { finding } = node;
    const line = finding.range.start.line + 1;
    const item = new vscode.TreeItem(
      finding.message.replace(/`/g, ''),
      vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.showFile
      ? `${vscode.workspace.asRelativePath(vscode.Uri.parse(finding.uri))}:${line}`
      : `line ${line}`;
    item.tooltip = new vscode.MarkdownString(
      `**${finding.ruleId}** (${finding.category}, ${finding.severity})\n\n${finding.message}`,
    );
    item.iconPath = SEVERITY_ICON[finding.severity];
    item.contextValue = finding.fix === 'none' ? 'finding' : 'finding.fixable';
    const range = new vscode.Range(
      finding.range.start.line,
      finding.range.start.character,
      finding.range.end.line,
      finding.range.end.character,
    );
    item.command = {
      title: 'Open',
      command: 'vscode.open',
      arguments: [vscode.Uri.parse(finding.uri), { selection: range }],
    };
    return item;
  }

  getParent(): undefined {
    return undefined;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.view.dispose();
    this.changed.dispose();
  }
}
