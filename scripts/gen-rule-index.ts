/**
 * Writes rules/index.ts from the rule files themselves, so adding a rule touches no central file
 * by hand. Run by `npm run gen`; a test fails when the committed file is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RULES_DIR, renderRuleIndex } from './rule-index';

const target = path.join(RULES_DIR, 'index.ts');
const next = renderRuleIndex();
if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== next)
  fs.writeFileSync(target, next);
console.log(`rules/index.ts: ${(next.match(/^import \{/gm) ?? []).length} rules`);
