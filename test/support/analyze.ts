/** Test helpers: analyse in-memory files with the real engine and rules. */
import { ALL_RULES } from '../../rules';
import type { Rule, RuleOptions } from '../../server/src/engine/rule';
import type { RunSettings } from '../../server/src/engine/runner';
import { languageOf } from '../../server/src/languages/detect';
import { initParsers } from '../../server/src/parsing/tree-sitter';
import { AnalysisSession, type FileReport } from '../../server/src/workspace/session';

export interface MemoryFile {
  relativePath: string;
  text: string;
}

export const DEFAULT_OPTIONS: RuleOptions = { defaultLimit: 1000 };

/** Analyses `files` as one workspace; returns one report per analysed file, and the session. */
export async function analyze(
  files: MemoryFile[],
  rules: readonly Rule[] = ALL_RULES,
  options: RuleOptions = DEFAULT_OPTIONS,
  settings: RunSettings = { options },
): Promise<{ reports: FileReport[]; session: AnalysisSession }> {
  await initParsers();
  const session = new AnalysisSession(rules, settings);
  for (const file of files) {
    const language = languageOf(file.relativePath);
    if (!language) continue;
    session.add({
      file: file.relativePath,
      relativePath: file.relativePath,
      text: file.text,
      language,
    });
  }
  const reports = session.run();
  session.dispose();
  return { reports, session };
}

/** Findings of one in-memory file analysed alone. */
export async function analyzeOne(
  relativePath: string,
  text: string,
  rules: readonly Rule[] = ALL_RULES,
) {
  const { reports, session } = await analyze([{ relativePath, text }], rules);
  return {
    findings: reports.flatMap((report) => report.findings),
    problems: session.problems,
    reports,
  };
}
