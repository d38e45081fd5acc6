/** `--format sarif`: SARIF 2.1.0 for code scanning dashboards (GitHub, Azure DevOps, SonarQube). */
import type { Rule } from '../../engine/rule';
import type { Finding, Severity } from '../../engine/types';
import { ruleMarkdown, ruleText } from '../../docs/rule-docs';
import type { OutputContext } from './output';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
  hint: 'note',
};

function sarifRule(rule: Rule) {
  const { meta } = rule;
  return {
    id: meta.id,
    name: meta.id
      .split('-')
      .map((word) => word[0].toUpperCase() + word.slice(1))
      .join(''),
    shortDescription: { text: meta.summary.replace(/`/g, '') },
    fullDescription: { text: meta.docs.whatItDoes.replace(/`/g, '') },
    help: { text: ruleText(rule), markdown: ruleMarkdown(rule) },
    defaultConfiguration: { level: LEVEL[meta.severity] },
    properties: {
      category: meta.category,
      tags: ['performance', meta.category],
      fixSafety: meta.fix?.safety ?? 'none',
    },
  };
}

export function formatSarif(findings: readonly Finding[], context: OutputContext): string {
  const rules = [...context.rules].sort((a, b) => (a.meta.id < b.meta.id ? -1 : 1));
  const ruleIndex = new Map(rules.map((rule, i) => [rule.meta.id, i]));
  const results = findings.map((finding) => ({
    ruleId: finding.ruleId,
    ...(ruleIndex.has(finding.ruleId) ? { ruleIndex: ruleIndex.get(finding.ruleId)! } : {}),
    level: LEVEL[finding.severity],
    message: { text: finding.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: {
            uri: encodeURI(context.displayPath(finding.file)),
            uriBaseId: '%SRCROOT%',
          },
          region: {
            startLine: finding.startPos.line,
            startColumn: finding.startPos.column,
            endLine: finding.endPos.line,
            endColumn: finding.endPos.column,
          },
        },
      },
    ],
    properties: { category: finding.category, fixable: finding.fixes.length > 0 },
  }));
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'perflens',
            version: context.version,
            semanticVersion: context.version,
            rules: rules.map(sarifRule),
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
