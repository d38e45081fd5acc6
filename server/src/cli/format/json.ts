/** `--format json`: the stable machine-readable output (version 1). */
import type { Finding } from '../../engine/types';
import type { OutputContext } from './output';

export interface JsonFinding {
  ruleId: string;
  category: string;
  severity: string;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  fix: { title: string; safety: string } | null;
}

export function toJsonFinding(finding: Finding, context: OutputContext): JsonFinding {
  const fix = finding.fixes[0];
  return {
    ruleId: finding.ruleId,
    category: finding.category,
    severity: finding.severity,
    message: finding.message,
    file: context.displayPath(finding.file),
    line: finding.startPos.line,
    column: finding.startPos.column,
    endLine: finding.endPos.line,
    endColumn: finding.endPos.column,
    fix: fix ? { title: fix.title, safety: fix.safety } : null,
  };
}

export function formatJson(findings: readonly Finding[], context: OutputContext): string {
  return `${JSON.stringify(
    {
      version: 1,
      tool: { name: 'perflens', version: context.version },
      findings: findings.map((finding) => toJsonFinding(finding, context)),
    },
    null,
    2,
  )}\n`;
}
