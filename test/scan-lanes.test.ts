/**
 * The scan's lanes (the CLI and the language server's start-up) against the whole-workspace
 * analysis the fixtures are checked with. Lanes run a file's rules while other files are still
 * unread and re-run those that asked the index too early; a rule that reads some part of the index
 * the lanes do not hold back sees half a workspace, and its findings depend on file order. Every
 * workspace fixture is scanned in discovery order and reversed, and must give the same findings.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { scan } from '../server/src/cli/scan';
import type { LaneFile } from '../server/src/cli/scan-core';
import { languageOf } from '../server/src/languages/detect';
import { initParsers } from '../server/src/parsing/tree-sitter';
import type { FileReport } from '../server/src/workspace/session';
import { analyze, DEFAULT_OPTIONS } from './support/analyze';
import { fixtureCases, fixtureSettings } from './support/fixture-cases';

/** One line per finding: file, position, rule and message. */
function findingLines(reports: readonly FileReport[], root: string): string[] {
  return reports
    .flatMap((report) =>
      report.findings.map(
        (finding) =>
          `${path.relative(root, path.resolve(root, report.file))}:${finding.startPos.line}:` +
          `${finding.startPos.column} ${finding.ruleId} ${finding.message}`,
      ),
    )
    .sort();
}

describe('scan lanes', function () {
  this.timeout(20000);
  before(() => initParsers());

  for (const fixture of fixtureCases().filter((candidate) => candidate.workspace)) {
    it(`${fixture.name}: same findings as the whole-workspace analysis, in any file order`, async () => {
      const { rules, settings } = fixtureSettings(fixture);
      const { reports } = await analyze(fixture.files, rules, DEFAULT_OPTIONS, settings);
      const expected = findingLines(reports, fixture.root);
      const files: LaneFile[] = fixture.files.map((file) => ({
        file: path.join(fixture.root, file.relativePath),
        relativePath: file.relativePath,
        language: languageOf(file.relativePath)!,
        text: file.text,
      }));
      for (const order of [files, [...files].reverse()]) {
        const result = await scan({
          files: order,
          rules,
          settings,
          maxFileBytes: 1 << 22,
          jobs: 1,
        });
        assert.deepEqual(findingLines(result.reports, fixture.root), expected);
      }
    });
  }
});
