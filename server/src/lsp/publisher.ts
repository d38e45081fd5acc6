/**
 * Sends what the analysis found to the client: diagnostics per file (with the document version
 * they were computed for), the status notification with totals, and problems to the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection, Diagnostic } from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import { LineIndex } from '../engine/positions';
import { toDiagnostic, unusedSuppressionDiagnostic } from './convert';
import type { FolderAnalysis, Folders } from './folders';
import { StatusNotification } from './protocol';

const DOCS_DIR = [
  path.join(__dirname, '..', 'docs', 'rules'),
  path.join(__dirname, '..', '..', '..', 'docs', 'rules'),
].find((dir) => fs.existsSync(dir));

/** The offline documentation page of a rule, shipped next to the server. */
export function docsHref(ruleId: string): string | undefined {
  if (!DOCS_DIR) return undefined;
  const file = path.join(DOCS_DIR, `${ruleId}.md`);
  return fs.existsSync(file) ? URI.file(file).toString() : undefined;
}

export class Publisher {
  /** Workspace analyses under way; the status says "analyzing" while any runs. */
  private analysing = 0;

  constructor(
    private readonly connection: Connection,
    private readonly folders: Folders,
    /** The version of an open document, so clients can drop diagnostics of older versions. */
    private readonly versionOf: (uri: string) => number | undefined,
  ) {}

  /** Publishes the current diagnostics of `files` (empty for files no longer analysed). */
  publish(folder: FolderAnalysis, files: Iterable<string>): void {
    for (const file of files) {
      const uri = URI.file(file).toString();
      const text = folder.workspace.text(file);
      if (text === undefined || !folder.editor.enable) {
        void this.connection.sendDiagnostics({ uri, diagnostics: [] });
        continue;
      }
      const lines = new LineIndex(text);
      const diagnostics: Diagnostic[] = folder.workspace
        .findings(file)
        .map((f) => toDiagnostic(f, lines, docsHref));
      for (const suppression of folder.workspace.unusedSuppressions(file)) {
        diagnostics.push(unusedSuppressionDiagnostic(suppression, lines));
      }
      const version = this.versionOf(uri);
      void this.connection.sendDiagnostics({
        uri,
        diagnostics,
        ...(version !== undefined ? { version } : {}),
      });
    }
    this.sendStatus();
  }

  /** Marks a workspace analysis as running until the returned function is called. */
  beginAnalysis(): () => void {
    this.analysing++;
    this.sendStatus();
    return () => {
      this.analysing--;
      this.sendStatus();
    };
  }

  sendStatus(): void {
    let files = 0;
    let findings = 0;
    let problems = 0;
    for (const folder of this.folders.all()) {
      const summary = folder.workspace.summary();
      files += summary.files;
      findings += summary.findings;
      problems += summary.skipped;
    }
    void this.connection.sendNotification(StatusNotification, {
      state: this.analysing > 0 ? 'analyzing' : 'idle',
      files,
      findings,
      problems,
    });
  }

  /** Writes what could not be analysed (skipped files, rule errors) to the server log. */
  reportProblems(folder: FolderAnalysis): void {
    for (const problem of folder.workspace.problems.splice(0)) {
      this.connection.console.warn(`${problem.file ? `${problem.file}: ` : ''}${problem.message}`);
    }
  }
}
