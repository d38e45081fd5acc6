/** The whole docs/rules folder as a map of file name to text. */
import type { Rule } from '../engine/rule';
import { CATEGORIES } from '../engine/types';
import { ruleMarkdown } from './rule-docs';

export function renderRuleDocs(rules: readonly Rule[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const rule of rules) files.set(`${rule.meta.id}.md`, ruleMarkdown(rule));
  const index = [
    '# Perflens rules',
    '',
    'Generated from rule metadata by `npm run docs`. Categories are ordered by the cost they usually cause.',
    '',
  ];
  for (const category of CATEGORIES) {
    const inCategory = rules.filter((rule) => rule.meta.category === category);
    if (inCategory.length === 0) continue;
    index.push(
      `## ${category}`,
      '',
      '| rule | language | severity | fix | summary |',
      '|---|---|---|---|---|',
    );
    for (const { meta } of [...inCategory].sort((a, b) => (a.meta.id < b.meta.id ? -1 : 1))) {
      index.push(
        `| [${meta.id}](${meta.id}.md) | ${meta.language} | ${meta.severity} | ${meta.fix ? meta.fix.safety : '-'} | ${meta.summary.replace(/\|/g, '\\|')} |`,
      );
    }
    index.push('');
  }
  files.set('README.md', index.join('\n'));
  return files;
}
