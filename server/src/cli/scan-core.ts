/**
 * The part of a scan that runs next to the files. Each file is read, parsed, its facts extracted
 * and its per-file rules run at once, then its tree is freed: keeping every tree until the index
 * is complete would cost ~37 bytes of WASM memory per byte of source. Files that may declare
 * schema go first (with index readers deferred); once their facts are shared, the other files'
 * rules see every table. Files whose rules were deferred keep their trees for the final pass
 * while they fit in a memory budget; only the others are parsed a second time.
 */
import * as fs from 'node:fs';
import type { Rule } from '../engine/rule';
import type { RunSettings } from '../engine/runner';
import { decode, sizeSkipReason } from '../engine/source-guard';
import { parseSuppressions, type Suppression } from '../engine/suppressions';
import type { Finding, Problem } from '../engine/types';
import type { SourceFile } from '../languages/prepared';
import type { DiscoveredFile } from '../workspace/discovery';
import type { FileFacts } from '../workspace/facts';
import { KEPT_SOURCE_BYTES } from '../workspace/kept-trees';
import { AnalysisSession } from '../workspace/session';

export interface PrepareResult {
  facts: FileFacts[];
  problems: Problem[];
  /** Bytes and lines read, for throughput figures. */
  bytes: number;
  lines: number;
}

/**
 * A file to analyse in a lane: found on disk, or with the text to analyse (the language server's
 * start-up, which reads the files itself and takes open documents as their editors show them).
 */
export type LaneFile = DiscoveredFile & { text?: string };

export interface CheckResult {
  /** Findings of the per-file rules. */
  findings: Finding[];
  /** Suppression comments per file, for files that have any. */
  suppressions: [string, Suppression[]][];
  /** The rules that read the index, per file that has any. */
  indexReaders: [string, string[]][];
  problems: Problem[];
}

/** The source the session analyses: the discovered file with the text read for it. */
function sourceOf(discovered: LaneFile, text: string): SourceFile {
  return { ...discovered, text };
}

export class ScanCore {
  private readonly session: AnalysisSession;
  private readonly findings: Finding[] = [];
  private readonly suppressions: [string, Suppression[]][] = [];
  /** Per file: rules stopped for an incomplete index, and rules that ran with a partial one. */
  private readonly readers = new Map<LaneFile, { deferred: string[]; ran: string[] }>();
  /** Files still prepared in the session for the final pass, and their source bytes. */
  private readonly kept = new Set<string>();
  private keptBytes = 0;

  constructor(rules: readonly Rule[], settings: RunSettings, maxFileBytes: number) {
    this.session = new AnalysisSession(rules, settings, { maxFileBytes });
  }

  private read(
    discovered: LaneFile,
    problems: Problem[],
  ): { text: string; bytes: number } | undefined {
    if (discovered.text !== undefined)
      return { text: discovered.text, bytes: Buffer.byteLength(discovered.text) };
    try {
      const tooLarge = sizeSkipReason(fs.statSync(discovered.file).size, this.session.limits);
      if (tooLarge) {
        problems.push({ file: discovered.file, kind: 'skipped', message: tooLarge });
        return undefined;
      }
      const data = fs.readFileSync(discovered.file);
      return { text: decode(data), bytes: data.length };
    } catch (error) {
      problems.push({
        file: discovered.file,
        kind: 'skipped',
        message: `cannot be read: ${(error as Error).message}`,
      });
      return undefined;
    }
  }

  /**
   * Analyses a chunk of files: parse, facts, per-file rules, then frees the trees. With
   * `deferIndexUsers` (the index is still being built) rules that read the index stop and are
   * re-run by `check`; otherwise they run, and are re-run only if the index changes after all.
   */
  prepare(files: readonly LaneFile[], deferIndexUsers: boolean): PrepareResult {
    const facts: FileFacts[] = [];
    const problems: Problem[] = [];
    let bytes = 0;
    let lines = 0;
    for (const discovered of files) {
      const read = this.read(discovered, problems);
      if (!read) continue;
      bytes += read.bytes;
      if (!this.session.add(sourceOf(discovered, read.text))) continue;
      const file = discovered.file;
      const fileLines = this.session.lines(file)!;
      lines += fileLines.lineCount;
      facts.push(this.session.facts(file)!);
      // Function facts are complete only when every file is in: rules asking about them wait.
      const result = this.session.checkFileWith(file, {
        deferIndexUsers,
        deferFunctionReaders: true,
      });
      this.findings.push(...result.findings);
      if (result.indexReaders.length > 0) {
        this.readers.set(discovered, {
          deferred: result.deferred,
          ran: result.indexReaders.filter((rule) => !result.deferred.includes(rule)),
        });
      }
      const found = parseSuppressions(read.text, fileLines, discovered.language);
      if (found.length > 0) this.suppressions.push([file, found]);
      if (result.deferred.length > 0 && this.keptBytes + read.bytes <= KEPT_SOURCE_BYTES) {
        this.kept.add(file);
        this.keptBytes += read.bytes;
      } else this.session.release(file);
    }
    problems.push(...this.session.problems.splice(0));
    return { facts, problems, bytes, lines };
  }

  /** Adds facts of files analysed by other lanes to this lane's index. */
  learn(facts: readonly FileFacts[]): void {
    for (const fileFacts of facts) this.session.addFacts(fileFacts);
  }

  /**
   * Final pass: re-runs deferred index readers with the complete index; with `rerunAllReaders`
   * (schema turned up where it was not expected) every index reader runs again.
   */
  check(otherFacts: readonly FileFacts[], rerunAllReaders: boolean): CheckResult {
    this.learn(otherFacts);
    const problems: Problem[] = [];
    for (const [discovered, { deferred, ran }] of this.readers) {
      const rerun = rerunAllReaders ? [...deferred, ...ran] : deferred;
      if (rerun.length === 0) continue;
      if (!this.kept.delete(discovered.file)) {
        const read = this.read(discovered, problems);
        if (!read || !this.session.add(sourceOf(discovered, read.text), false)) continue;
      }
      // Rules that ran with a partial index are replaced by their run with the whole one.
      const rules = new Set(rerun);
      if (rerunAllReaders) this.dropFindings(discovered.file, new Set(ran));
      this.findings.push(...this.session.checkFileWith(discovered.file, { only: rules }).findings);
      this.session.release(discovered.file);
    }
    problems.push(...this.session.problems.splice(0));
    this.session.dispose();
    const indexReaders = [...this.readers].map(
      ([discovered, { deferred, ran }]): [string, string[]] => [
        discovered.file,
        [...ran, ...deferred],
      ],
    );
    return { findings: this.findings, suppressions: this.suppressions, indexReaders, problems };
  }

  private dropFindings(file: string, rules: ReadonlySet<string>): void {
    let kept = 0;
    for (const finding of this.findings) {
      if (finding.file !== file || !rules.has(finding.ruleId)) this.findings[kept++] = finding;
    }
    this.findings.length = kept;
  }
}
