/**
 * The part of a scan that runs next to the files. Pass 1 reads, parses, extracts facts and runs
 * the per-file rules at once, then frees the tree: keeping every tree until the index is complete
 * would cost ~37 bytes of WASM memory per byte of source. Rules that read the (still incomplete)
 * index are deferred; pass 2 re-parses only the files where that happened and runs only those
 * rules, with the whole workspace's facts.
 */
import * as fs from 'node:fs';
import type { Rule } from '../engine/rule';
import type { RunSettings } from '../engine/runner';
import { decode, sizeSkipReason } from '../engine/source-guard';
import { parseSuppressions, type Suppression } from '../engine/suppressions';
import type { Finding, Problem } from '../engine/types';
import type { DiscoveredFile } from '../workspace/discovery';
import type { FileFacts } from '../workspace/facts';
import { AnalysisSession } from '../workspace/session';

export interface PrepareResult {
  facts: FileFacts[];
  problems: Problem[];
  /** Bytes and lines read, for throughput figures. */
  bytes: number;
  lines: number;
}

export interface CheckResult {
  findings: Finding[];
  /** Suppression comments per file, for files that have any. */
  suppressions: [string, Suppression[]][];
  problems: Problem[];
}

export class ScanCore {
  private readonly session: AnalysisSession;
  private readonly findings: Finding[] = [];
  private readonly suppressions: [string, Suppression[]][] = [];
  /** Files whose index-reading rules wait for pass 2. */
  private readonly deferred = new Map<DiscoveredFile, Set<string>>();

  constructor(rules: readonly Rule[], settings: RunSettings, maxFileBytes: number) {
    this.session = new AnalysisSession(rules, settings, { maxFileBytes });
  }

  private read(discovered: DiscoveredFile, problems: Problem[]): { text: string; bytes: number } | undefined {
    try {
      const tooLarge = sizeSkipReason(fs.statSync(discovered.file).size, this.session.limits);
      if (tooLarge) {
        problems.push({ file: discovered.file, kind: 'skipped', message: tooLarge });
        return undefined;
      }
      const data = fs.readFileSync(discovered.file);
      return { text: decode(data), bytes: data.length };
    } catch (error) {
      problems.push({ file: discovered.file, kind: 'skipped', message: `cannot be read: ${(error as Error).message}` });
      return undefined;
    }
  }

  /** Pass 1 over a chunk of files. */
  prepare(files: readonly DiscoveredFile[]): PrepareResult {
    const facts: FileFacts[] = [];
    const problems: Problem[] = [];
    let bytes = 0;
    let lines = 0;
    for (const discovered of files) {
      const read = this.read(discovered, problems);
      if (!read) continue;
      bytes += read.bytes;
      if (!this.session.add({ ...discovered, text: read.text })) continue;
      const file = discovered.file;
      const fileLines = this.session.lines(file)!;
      lines += fileLines.lineCount;
      facts.push(this.session.facts(file)!);
      const result = this.session.checkFileWith(file, { deferIndexUsers: true });
      this.findings.push(...result.findings);
      if (result.indexReaders.length > 0) this.deferred.set(discovered, new Set(result.indexReaders));
      const found = parseSuppressions(read.text, fileLines, discovered.language);
      if (found.length > 0) this.suppressions.push([file, found]);
      this.session.release(file);
    }
    problems.push(...this.session.problems.splice(0));
    return { facts, problems, bytes, lines };
  }

  /** Pass 2: learns the other lanes' facts and re-runs the deferred rules. */
  check(otherFacts: readonly FileFacts[]): CheckResult {
    for (const facts of otherFacts) this.session.addFacts(facts);
    const problems: Problem[] = [];
    for (const [discovered, rules] of this.deferred) {
      const read = this.read(discovered, problems);
      if (!read || !this.session.add({ ...discovered, text: read.text })) continue;
      this.findings.push(...this.session.checkFileWith(discovered.file, { only: rules }).findings);
      this.session.release(discovered.file);
    }
    problems.push(...this.session.problems.splice(0));
    this.session.dispose();
    return { findings: this.findings, suppressions: this.suppressions, problems };
  }
}
