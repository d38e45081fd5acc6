/**
 * The generic fixture runner: every file under test/fixtures/<language>/ and every folder under
 * test/fixtures/workspaces/ is a case. Annotations in the files say where each rule must and must
 * not fire; `<name>.fixed.<ext>` holds the file after the rule's fixes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { applyEdits } from '../server/src/engine/fixes';
import type { Finding } from '../server/src/engine/types';
import { languageOf } from '../server/src/languages/detect';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { parsePrismaSchema } from '../server/src/prisma/schema';
import { typeScriptSyntaxErrors } from '../server/src/typescript/compiler';
import { analyze, DEFAULT_OPTIONS } from './support/analyze';
import { parseAnnotations } from './support/annotations';
import { fixtureCases, fixtureSettings } from './support/fixture-cases';

const ruleIds = new Set(ALL_RULES.map((rule) => rule.meta.id));

function fixedPathOf(relative: string): string {
  return relative.replace(/(\.[^.]+)$/, '.fixed$1');
}

function describeFindings(findings: Finding[]): string {
  return (
    findings.map((f) => `  ${f.file}:${f.startPos.line} ${f.ruleId}: ${f.message}`).join('\n') ||
    '  (none)'
  );
}

describe('rule fixtures', function () {
  this.timeout(20000);
  before(() => initParsers());

  for (const fixture of fixtureCases()) {
    it(fixture.name, async () => {
      assert.ok(
        ruleIds.has(fixture.rule),
        `no rule named ${fixture.rule} for fixture ${fixture.name}`,
      );
      const { rules, settings } = fixtureSettings(fixture);
      const { reports } = await analyze(fixture.files, rules, DEFAULT_OPTIONS, settings);
      for (const file of fixture.files) {
        const annotations = parseAnnotations(file.text);
        for (const annotation of annotations) {
          assert.ok(
            ruleIds.has(annotation.rule),
            `${file.relativePath}:${annotation.commentLine}: unknown rule ${annotation.rule}`,
          );
        }
        const findings =
          reports.find((report) => report.file === file.relativePath)?.findings ?? [];
        const checked = new Set([fixture.rule, ...annotations.map((a) => a.rule)]);
        for (const rule of checked) {
          const expected = annotations
            .filter((a) => a.rule === rule && a.kind === 'ruleid')
            .map((a) => a.line);
          const actual = findings.filter((f) => f.ruleId === rule).map((f) => f.startPos.line);
          const context = `${file.relativePath}, rule ${rule}\nfindings:\n${describeFindings(findings)}`;
          assert.deepEqual(
            [...new Set(actual)].sort((a, b) => a - b),
            [...new Set(expected)].sort((a, b) => a - b),
            context,
          );
        }
        const fixedFile = path.join(fixture.root, fixedPathOf(file.relativePath));
        if (!fs.existsSync(fixedFile)) continue;
        // The file's own fixes, and the edits other files' fixes make to it (cross-file fixes).
        const edits = reports.flatMap((report) =>
          report.findings
            .filter((f) => f.ruleId === fixture.rule && f.fixes.length > 0)
            .flatMap((f) =>
              f.fixes[0].edits.filter((edit) =>
                edit.file ? edit.file === file.relativePath : report.file === file.relativePath,
              ),
            ),
        );
        const fixed = applyEdits(file.text, edits).text;
        assert.equal(
          fixed,
          fs.readFileSync(fixedFile, 'utf8'),
          `fixed text of ${file.relativePath}`,
        );
        const language = languageOf(file.relativePath);
        if (language === 'python') {
          const tree = parse('python', fixed);
          assert.ok(!tree.rootNode.hasError, `the fixed ${file.relativePath} does not parse`);
          tree.delete();
        } else if (language === 'typescript') {
          assert.deepEqual(
            typeScriptSyntaxErrors(fixed, file.relativePath),
            [],
            `the fixed ${file.relativePath} does not parse`,
          );
        } else if (language === 'prisma') {
          assert.deepEqual(
            parsePrismaSchema(fixed).errors,
            [],
            `the fixed ${file.relativePath} does not parse`,
          );
        }
      }
    });
  }
});
