/**
 * One analysis of a set of files against one workspace index: the single-threaded core that the
 * CLI workers, the language server and the tests all drive. Files are added (parsed, modelled,
 * facts indexed) first, then checked, so per-file rules see the whole workspace.
 */
import { LineIndex } from '../engine/positions';
import type { Rule } from '../engine/rule';
import {
  runFileRules,
  runWorkspaceRules,
  sortFindings,
  type FileRunOptions,
  type FileRunResult,
  type RunSettings,
} from '../engine/runner';
import { skipReason, unanalysableReason } from '../engine/source-guard';
import { applySuppressions, parseSuppressions, type Suppression } from '../engine/suppressions';
import type { Finding, Language, Problem } from '../engine/types';
import { languageOf } from '../languages/detect';
import { prepareFile, prepareOptionsFor } from '../languages/prepare';
import type { PreparedFile, PrepareOptions, SourceFile } from '../languages/prepared';
import type { FileFacts } from './facts';
import { WorkspaceIndex } from './index';

export interface FileReport {
  file: string;
  findings: Finding[];
  /** Suppression comments that silenced nothing. */
  unusedSuppressions: Suppression[];
}

export class AnalysisSession {
  readonly index = new WorkspaceIndex();
  private readonly prepared = new Map<string, PreparedFile>();
  private readonly texts = new Map<string, string>();
  private readonly lineIndexes = new Map<string, LineIndex>();
  private readonly prepareOptions: PrepareOptions;
  readonly problems: Problem[] = [];

  constructor(
    private readonly rules: readonly Rule[],
    private readonly settings: RunSettings,
    readonly limits = { maxFileBytes: 2 * 1024 * 1024 },
  ) {
    this.prepareOptions = prepareOptionsFor(rules, settings);
  }

  /**
   * Parses a file and indexes its facts; returns false (with a problem) when it is skipped. A
   * file re-added only to run more rules (`reindex: false`) leaves the index alone, which keeps
   * the index's derived views valid.
   */
  add(source: SourceFile, reindex = true): boolean {
    if (reindex) this.remove(source.file);
    else this.release(source.file);
    const reason = skipReason(source.text, this.limits);
    if (reason) {
      this.problems.push({ file: source.file, kind: 'skipped', message: reason });
      return false;
    }
    this.texts.set(source.file, source.text);
    try {
      const prepared = prepareFile(source, this.prepareOptions);
      this.prepared.set(source.file, prepared);
      this.lineIndexes.set(source.file, prepared.lines);
      if (reindex) this.index.update(prepared.facts);
      return true;
    } catch (error) {
      this.problems.push({
        file: source.file,
        kind: 'parse-error',
        message: unanalysableReason(error),
      });
      return false;
    }
  }

  /** Adds facts of a file prepared elsewhere (another worker). */
  addFacts(facts: FileFacts): void {
    this.index.update(facts);
  }

  remove(file: string): void {
    this.prepared.get(file)?.dispose();
    this.prepared.delete(file);
    this.texts.delete(file);
    this.lineIndexes.delete(file);
    this.index.remove(file);
  }

  facts(file: string): FileFacts | undefined {
    return this.prepared.get(file)?.facts;
  }

  /** The text of an added file. */
  text(file: string): string | undefined {
    return this.texts.get(file);
  }

  /** The line index of an added file. */
  lines(file: string): LineIndex | undefined {
    return this.lineIndexes.get(file);
  }

  language(file: string): Language | undefined {
    return this.prepared.get(file)?.source.language;
  }

  /** Files added and prepared, in insertion order. */
  files(): string[] {
    return [...this.prepared.keys()];
  }

  /** Findings of the per-file rules for one added file (before suppressions). */
  checkFile(file: string): Finding[] {
    return this.checkFileWith(file).findings;
  }

  /** `checkFile` with runner options (deferral of index readers, a subset of rules). */
  checkFileWith(file: string, options: FileRunOptions = {}): FileRunResult {
    const prepared = this.prepared.get(file);
    if (!prepared) return { findings: [], problems: [], indexReaders: [], deferred: [] };
    const result = runFileRules(prepared, this.rules, this.index, this.settings, options);
    this.problems.push(...result.problems);
    return result;
  }

  /** Frees a file's trees and text but keeps its facts in the index. */
  release(file: string): void {
    this.prepared.get(file)?.dispose();
    this.prepared.delete(file);
    this.texts.delete(file);
    this.lineIndexes.delete(file);
  }

  /** Findings of the cross-file rules, for every file they concern. */
  checkWorkspace(
    readText: (file: string) => string | undefined = (file) => this.texts.get(file),
  ): Finding[] {
    const result = runWorkspaceRules(this.rules, this.index, this.settings, readText, (file) =>
      this.lineIndexOf(file, readText),
    );
    this.problems.push(...result.problems);
    return result.findings;
  }

  /** Runs every rule on every added file and applies suppressions. */
  run(): FileReport[] {
    const byFile = new Map<string, Finding[]>();
    for (const file of this.prepared.keys()) byFile.set(file, this.checkFile(file));
    for (const finding of this.checkWorkspace()) {
      const list = byFile.get(finding.file);
      if (list) list.push(finding);
      else byFile.set(finding.file, [finding]);
    }
    return [...byFile].map(([file, findings]) =>
      this.finish(file, findings, this.texts.get(file) ?? ''),
    );
  }

  /** Applies a file's suppressions to its findings and sorts them. */
  finish(file: string, findings: Finding[], text: string): FileReport {
    const lines = this.lineIndexOf(file, () => text) ?? new LineIndex(text);
    const language = this.prepared.get(file)?.source.language ?? languageOf(file) ?? 'python';
    const suppressions = parseSuppressions(text, lines, language);
    const kept = applySuppressions(sortFindings(findings), suppressions);
    return { file, findings: kept, unusedSuppressions: suppressions.filter((s) => !s.used) };
  }

  /** Frees every tree. */
  dispose(): void {
    for (const prepared of this.prepared.values()) prepared.dispose();
    this.prepared.clear();
  }

  private lineIndexOf(
    file: string,
    readText: (file: string) => string | undefined,
  ): LineIndex | undefined {
    let lines = this.lineIndexes.get(file);
    if (!lines) {
      const text = readText(file);
      if (text === undefined) return undefined;
      lines = new LineIndex(text);
      this.lineIndexes.set(file, lines);
    }
    return lines;
  }
}
