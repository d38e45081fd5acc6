/**
 * Owns everything the extension creates: the language client, the output channel, the status
 * item, the findings panel and the commands, and disposes them together. Commands are registered
 * once and look up the current client, so they work before, during and after a server restart.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { StatusNotification } from '../../server/src/lsp/protocol';
import { registerCommands } from './commands';
import { FindingsTree } from './findings-tree';
import { createLanguageClient } from './language-client';
import { StatusItem } from './status';

export class Ctx {
  readonly output = vscode.window.createOutputChannel('Perflens', { log: true });
  readonly findings: FindingsTree;
  readonly status = new StatusItem();
  client: LanguageClient | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.findings = new FindingsTree(this);
    extension.subscriptions.push(this.output, this.findings, this.status);
    registerCommands(this);
  }

  async start(): Promise<void> {
    const client = createLanguageClient(this.extension, this.output);
    this.client = client;
    await client.start();
    this.extension.subscriptions.push(
      client.onNotification(StatusNotification, (status) => {
        this.status.update(status);
        this.findings.refreshSoon();
      }),
    );
    this.findings.refreshSoon();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client?.isRunning()) await client.stop();
  }

  async restart(): Promise<void> {
    await this.stop();
    this.status.starting();
    await this.start();
  }

  /** The rule's documentation page shipped in the extension (offline). */
  docsUri(ruleId: string): vscode.Uri {
    return vscode.Uri.joinPath(this.extension.extensionUri, 'docs', 'rules', `${ruleId}.md`);
  }
}
