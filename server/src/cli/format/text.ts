/** `--format text`: one block per finding with a code excerpt, then a summary, like Ruff and ESLint. */
import { LineIndex } from '../../engine/positions';
import type { Finding, Severity } from '../../engine/types';
import type { OutputContext } from './output';

const COLORS = { red: 31, yellow: 33, blue: 34, cyan: 36, gray: 90, bold: 1 } as const;
const SEVERITY_COLOR: Record<Severity, keyof typeof COLORS> = {
  error: 'red',
  warning: 'yellow',
  info: 'blue',
  hint: 'gray',
};

function paint(context: OutputContext, color: keyof typeof COLORS, text: string): string {
  return context.color ? `\x1b[${COLORS[color]}m${text}\x1b[0m` : text;
}

/** The finding's first line with a caret underline (tabs kept so the carets line up). */
function excerpt(finding: Finding, lines: LineIndex, context: OutputContext): string[] {
  const lineNumber = finding.startPos.line;
  const content = lines.lineText(lineNumber);
  if (content.length > 300) return [];
  const gutter = String(lineNumber).length;
  const startColumn = finding.startPos.column - 1;
  const endColumn = finding.endPos.line === lineNumber ? finding.endPos.column - 1 : content.length;
  const padding = content.slice(0, startColumn).replace(/[^\t]/g, ' ');
  const carets = '^'.repeat(Math.max(1, endColumn - startColumn));
  return [
    `${' '.repeat(gutter)} ${paint(context, 'gray', '|')}`,
    `${paint(context, 'gray', String(lineNumber))} ${paint(context, 'gray', '|')} ${content}`,
    `${' '.repeat(gutter)} ${paint(context, 'gray', '|')} ${padding}${paint(context, SEVERITY_COLOR[finding.severity], carets)}`,
  ];
}

export function formatText(findings: readonly Finding[], context: OutputContext): string {
  const out: string[] = [];
  const indexes = new Map<string, LineIndex | undefined>();
  for (const finding of findings) {
    if (!indexes.has(finding.file)) {
      const text = context.readText(finding.file);
      indexes.set(finding.file, text === undefined ? undefined : new LineIndex(text));
    }
    const location = `${context.displayPath(finding.file)}:${finding.startPos.line}:${finding.startPos.column}`;
    const fixable =
      finding.fixes.length > 0
        ? paint(
            context,
            'gray',
            finding.fixes[0].safety === 'safe' ? ' [fixable]' : ' [unsafe fix]',
          )
        : '';
    out.push(
      `${paint(context, 'bold', location)}: ${paint(context, SEVERITY_COLOR[finding.severity], finding.severity)} ` +
        `${paint(context, 'cyan', finding.ruleId)} ${finding.message}${fixable}`,
    );
    const lines = indexes.get(finding.file);
    if (lines) out.push(...excerpt(finding, lines, context));
    out.push('');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

/** One-line summary: counts by severity, files, fixable counts. */
export function summaryLine(findings: readonly Finding[], files: number, accepted = 0): string {
  const inFiles = `${files} ${files === 1 ? 'file' : 'files'}`;
  const baseline = accepted > 0 ? ` ${accepted} accepted by the baseline, not shown.` : '';
  if (findings.length === 0)
    return accepted > 0
      ? `No new performance problems in ${inFiles}; ${accepted} accepted by the baseline.`
      : `No performance problems found in ${inFiles}.`;
  const bySeverity = new Map<Severity, number>();
  for (const finding of findings)
    bySeverity.set(finding.severity, (bySeverity.get(finding.severity) ?? 0) + 1);
  const parts = (['error', 'warning', 'info', 'hint'] as const)
    .filter((severity) => bySeverity.has(severity))
    .map(
      (severity) =>
        `${bySeverity.get(severity)} ${severity}${severity === 'info' ? '' : bySeverity.get(severity) === 1 ? '' : 's'}`,
    );
  const safe = findings.filter((f) => f.fixes.some((fix) => fix.safety === 'safe')).length;
  const unsafe = findings.filter(
    (f) => f.fixes.length > 0 && !f.fixes.some((fix) => fix.safety === 'safe'),
  ).length;
  const fixHints = [
    safe > 0 ? `${safe} fixable with --fix` : '',
    // "more" only beside the safe count: alone it read as "one more problem".
    unsafe > 0 ? `${unsafe} ${safe > 0 ? 'more ' : ''}fixable with --fix --unsafe-fixes` : '',
  ].filter(Boolean);
  const affected = new Set(findings.map((f) => f.file)).size;
  return (
    `Found ${findings.length} ${findings.length === 1 ? 'problem' : 'problems'} (${parts.join(', ')}) in ${affected} of ${files} files.` +
    (fixHints.length > 0 ? ` ${fixHints.join('; ')}.` : '') +
    baseline
  );
}
