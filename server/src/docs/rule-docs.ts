/** Renders a rule's documentation from its metadata: Markdown for docs/ and SARIF, plain text for terminals. */
import type { Rule } from '../engine/rule';
import { commentMarker } from '../engine/suppressions';
import type { Language } from '../engine/types';

const FENCE_LANGUAGE: Record<Language, string> = {
  python: 'python',
  sql: 'sql',
  typescript: 'ts',
  prisma: 'prisma',
  compose: 'yaml',
};

/** The rule's page, under Ruff's headings. */
export function ruleMarkdown(rule: Rule): string {
  const { meta } = rule;
  const fence = FENCE_LANGUAGE[meta.language] ?? '';
  const fix = meta.fix
    ? `Fix: ${meta.fix.title} (${meta.fix.safety}; ${meta.fix.availability === 'always' ? 'always available' : 'sometimes available'})`
    : 'Fix: none';
  const sections = [
    `# ${meta.id}`,
    '',
    `${meta.summary}`,
    '',
    `Category: \`${meta.category}\` · Default severity: ${meta.severity} · Language: ${meta.language} · ${fix}`,
    '',
    '## What it does',
    meta.docs.whatItDoes,
    '',
    '## Why is this bad?',
    meta.docs.whyIsThisBad,
    '',
    '## Example',
    '```' + fence,
    meta.docs.example,
    '```',
    '',
    '## Use instead',
    '```' + fence,
    meta.docs.useInstead,
    '```',
    '',
    '## Not flagged',
    ...meta.docs.notFlagged.map((item) => `- ${item}`),
  ];
  if (meta.docs.fixSafety) sections.push('', '## Fix safety', meta.docs.fixSafety);
  sections.push(
    '',
    '## Suppressing',
    `Add \`${commentMarker(meta.language)} perflens-ignore: ${meta.id}\` at the end of the line, or on the line before. ` +
      `Turn the rule off in \`perflens.json\`: \`{ "rules": { "${meta.id}": "off" } }\`.`,
  );
  return sections.join('\n') + '\n';
}

/** The same page without Markdown, for plain-text help. */
export function ruleText(rule: Rule): string {
  return ruleMarkdown(rule)
    .replace(/^#+ /gm, '')
    .replace(/^```\w*$/gm, '')
    .replace(/`/g, '');
}
