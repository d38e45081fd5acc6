/** `perflens-ignore` comments: per line, the line before, per rule, per file, and unused ones. */
import * as assert from 'node:assert/strict';
import { analyzeOne } from './support/analyze';

const body = (line: string): string => `import time\n\n\nasync def handler():\n${line}\n`;

describe('suppressions', () => {
  it('silences a finding with a trailing comment, for all rules or the named one', async () => {
    for (const comment of [
      '# perflens-ignore',
      '# perflens-ignore: blocking-sleep-in-async',
      '#perflens-ignore:blocking-sleep-in-async, unbounded-select',
    ]) {
      const { findings, reports } = await analyzeOne('a.py', body(`    time.sleep(1)  ${comment}`));
      assert.deepEqual(findings, [], comment);
      assert.deepEqual(reports[0].unusedSuppressions, [], comment);
    }
  });

  it('silences with a comment on the line before', async () => {
    const { findings } = await analyzeOne(
      'a.py',
      body('    # perflens-ignore: blocking-sleep-in-async\n    time.sleep(1)'),
    );
    assert.deepEqual(findings, []);
  });

  it('does not silence other rules or other lines', async () => {
    const other = await analyzeOne(
      'a.py',
      body('    time.sleep(1)  # perflens-ignore: unbounded-select'),
    );
    assert.equal(other.findings.length, 1);
    assert.equal(
      other.reports[0].unusedSuppressions.length,
      1,
      'the comment silences nothing: reported',
    );
    const earlier = await analyzeOne(
      'a.py',
      body('    # perflens-ignore\n    x = 1\n    time.sleep(1)'),
    );
    assert.equal(earlier.findings.length, 1);
  });

  it('silences a whole file with perflens-ignore-file', async () => {
    const { findings } = await analyzeOne(
      'a.py',
      `# perflens-ignore-file: blocking-sleep-in-async\n${body('    time.sleep(1)')}`,
    );
    assert.deepEqual(findings, []);
  });

  it('uses -- comments in SQL', async () => {
    const { findings } = await analyzeOne(
      'q.sql',
      '-- perflens-ignore: unbounded-select\nSELECT id FROM orders;\n',
    );
    assert.deepEqual(findings, []);
    const inString = await analyzeOne(
      'q.sql',
      "SELECT id FROM orders WHERE note = '-- perflens-ignore';\n",
    );
    assert.equal(inString.findings.length, 1, 'a marker inside a string literal is not a comment');
  });

  it('ignores the directive text inside a Python string', async () => {
    const { findings } = await analyzeOne(
      'a.py',
      body('    time.sleep(1); x = "# perflens-ignore"'),
    );
    assert.equal(findings.length, 1);
  });
});
