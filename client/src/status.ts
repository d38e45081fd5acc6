/** The language status item: finding counts, busy while the server analyses. */
import * as vscode from 'vscode';
import type { StatusParams } from '../../server/src/lsp/protocol';
import { DOCUMENT_SELECTOR } from './language-client';

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem(
    'perflens.status',
    DOCUMENT_SELECTOR,
  );

  constructor() {
    this.item.name = 'Perflens';
    this.item.command = { title: 'Show findings', command: 'perflens.findings.focus' };
    this.starting();
  }

  starting(): void {
    this.item.text = 'Perflens: starting';
    this.item.busy = true;
  }

  update(status: StatusParams): void {
    this.item.busy = status.state === 'analyzing';
    const findings = `${status.findings} ${status.findings === 1 ? 'finding' : 'findings'}`;
    this.item.text =
      status.state === 'analyzing' ? `Perflens: analysing… ${findings}` : `Perflens: ${findings}`;
    this.item.detail = `${status.files} files analysed${status.problems > 0 ? `, ${status.problems} skipped` : ''}`;
    this.item.severity =
      status.findings > 0
        ? vscode.LanguageStatusSeverity.Warning
        : vscode.LanguageStatusSeverity.Information;
  }

  dispose(): void {
    this.item.dispose();
  }
}
