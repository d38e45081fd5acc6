/** Conversions between engine findings and fixes (offsets) and LSP types (0-based positions). */
import {
  Diagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  type Range,
  type TextEdit,
} from 'vscode-languageserver';
import { LineIndex } from '../engine/positions';
import type { Suppression } from '../engine/suppressions';
import type { Finding, Severity, TextEdit as EngineEdit } from '../engine/types';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** What a Perflens diagnostic carries in `data`, for code actions and the findings panel. */
export interface DiagnosticData {
  ruleId: string;
  category: string;
  fix: 'safe' | 'unsafe' | 'none';
}

export function rangeOf(lines: LineIndex, start: number, end: number): Range {
  const from = lines.position(start);
  const to = lines.position(end);
  return {
    start: { line: from.line - 1, character: from.column - 1 },
    end: { line: to.line - 1, character: to.column - 1 },
  };
}

export function toDiagnostic(
  finding: Finding,
  lines: LineIndex,
  docsHref: (ruleId: string) => string | undefined,
): Diagnostic {
  const href = docsHref(finding.ruleId);
  const data: DiagnosticData = {
    ruleId: finding.ruleId,
    category: finding.category,
    fix: finding.fixes[0]?.safety ?? 'none',
  };
  return {
    range: rangeOf(lines, finding.start, finding.end),
    severity: SEVERITY[finding.severity],
    source: 'perflens',
    code: finding.ruleId,
    ...(href ? { codeDescription: { href } } : {}),
    message: finding.message,
    data,
  };
}

/** A hint, greyed out, on a suppression comment that silences nothing. */
export function unusedSuppressionDiagnostic(
  suppression: Suppression,
  lines: LineIndex,
): Diagnostic {
  return {
    range: rangeOf(lines, suppression.start, suppression.end),
    severity: DiagnosticSeverity.Hint,
    source: 'perflens',
    code: 'unused-suppression',
    message:
      suppression.rules.length > 0
        ? `This \`perflens-ignore\` matches no finding of ${suppression.rules.map((r) => `\`${r}\``).join(', ')}; remove it`
        : 'This `perflens-ignore` matches no finding; remove it',
    tags: [DiagnosticTag.Unnecessary],
  };
}

export function toTextEdits(edits: readonly EngineEdit[], lines: LineIndex): TextEdit[] {
  return edits.map((edit) => ({
    range: rangeOf(lines, edit.start, edit.end),
    newText: edit.newText,
  }));
}
