/**
 * Suppression comments, one syntax for every language:
 *   `# perflens-ignore` / `# perflens-ignore: rule-a, rule-b`   (`--` in SQL, `//` in JS/TS)
 * on the line of a finding, or alone on the line before it; and
 *   `# perflens-ignore-file` / `# perflens-ignore-file: rule-a`
 * anywhere in a file for the whole file. Suppressions that silence nothing are reported so they
 * can be deleted when the code they excused is fixed.
 */
import { commentStarts } from './comments';
import type { LineIndex } from './positions';
import type { Finding, Language } from './types';

export interface Suppression {
  /** 1-based line of the comment. */
  line: number;
  /** 1-based lines it covers. */
  covers: number[];
  fileWide: boolean;
  /** Rule ids, or empty for every rule. */
  rules: string[];
  start: number;
  end: number;
  used: boolean;
}

const COMMENT_MARKERS: Record<Language, string> = {
  python: '#',
  sql: '--',
  typescript: '//',
  prisma: '//',
  compose: '#',
};

/** The comment token for `language`, used when inserting a suppression. */
export function commentMarker(language: Language): string {
  return COMMENT_MARKERS[language];
}

const DIRECTIVE =
  /^(?:#|--|\/\/|\/\*)\s*perflens-ignore(-file)?(?:\s*:\s*([A-Za-z0-9_-]+(?:\s*,\s*[A-Za-z0-9_-]+)*))?/;

/** Finds every suppression comment in `text`. */
export function parseSuppressions(
  text: string,
  lines: LineIndex,
  language: Language,
): Suppression[] {
  if (!text.includes('perflens-ignore')) return [];
  const found: Suppression[] = [];
  for (const start of commentStarts(text, language)) {
    const match = DIRECTIVE.exec(text.slice(start, start + 200));
    if (!match) continue;
    const { line } = lines.position(start);
    const ownLine = text.slice(lines.lineStart(line), start).trim() === '';
    const fileWide = !!match[1];
    found.push({
      line,
      covers: fileWide ? [] : ownLine ? [line, nextCodeLine(lines, line)] : [line],
      fileWide,
      rules: match[2] ? match[2].split(',').map((rule) => rule.trim()) : [],
      start,
      end: start + match[0].length,
      used: false,
    });
  }
  return found;
}

/** The next line after `line` that is not blank, so a comment may sit above a decorator gap. */
function nextCodeLine(lines: LineIndex, line: number): number {
  for (let next = line + 1; next <= lines.lineCount; next++) {
    if (lines.lineText(next).trim() !== '') return next;
  }
  return line + 1;
}

function matches(suppression: Suppression, finding: Finding): boolean {
  if (suppression.rules.length > 0 && !suppression.rules.includes(finding.ruleId)) return false;
  return suppression.fileWide || suppression.covers.includes(finding.startPos.line);
}

/** Removes suppressed findings; marks the suppressions that matched as used. */
export function applySuppressions(findings: Finding[], suppressions: Suppression[]): Finding[] {
  if (suppressions.length === 0) return findings;
  return findings.filter((finding) => {
    let suppressed = false;
    for (const suppression of suppressions) {
      if (matches(suppression, finding)) {
        suppression.used = true;
        suppressed = true;
      }
    }
    return !suppressed;
  });
}
