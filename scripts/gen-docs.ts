/**
 * Writes docs/rules/<id>.md for every rule and docs/rules/README.md, the index by category, from
 * rule metadata, and docs/perflens.schema.json, the schema VS Code checks perflens.json with. Never edit those files by hand; `npm run docs` rewrites them and a test fails when
 * they are stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { renderConfigSchema } from '../server/src/docs/config-schema';
import { renderRuleDocs } from '../server/src/docs/docs-set';

const dir = path.resolve(__dirname, '..', 'docs', 'rules');
fs.mkdirSync(dir, { recursive: true });
const wanted = renderRuleDocs(ALL_RULES);
for (const file of fs.readdirSync(dir)) {
  if (file.endsWith('.md') && !wanted.has(file)) fs.unlinkSync(path.join(dir, file));
}
for (const [file, text] of wanted) fs.writeFileSync(path.join(dir, file), text);
console.log(`docs/rules: ${wanted.size} files`);

const schemaFile = path.resolve(__dirname, '..', 'docs', 'perflens.schema.json');
fs.writeFileSync(schemaFile, renderConfigSchema(ALL_RULES));
console.log('docs/perflens.schema.json');
