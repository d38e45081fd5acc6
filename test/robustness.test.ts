/** Bad input never crashes or hangs the engine: it analyses what it can and says what it skipped. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import type { Rule } from '../server/src/engine/rule';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { scan } from '../server/src/cli/scan';
import { discoverFiles, isSkippedByDiscovery } from '../server/src/workspace/discovery';
import { analyzeOne } from './support/analyze';
import { makeTempDir } from './support/temp-dir';

const SLEEP_IN_ASYNC = 'import time\n\nasync def handler():\n    time.sleep(1)\n';

async function scanDir(dir: string) {
  const files = discoverFiles([dir], { root: dir, include: [], exclude: [] });
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  return scan({
    files,
    rules,
    settings,
    maxFileBytes: DEFAULT_CONFIG.maxFileSizeKb * 1024,
    jobs: 1,
  });
}

describe('robustness', function () {
  this.timeout(60000);

  it('still reports findings in a file with a syntax error elsewhere (mid-edit)', async () => {
    const text = SLEEP_IN_ASYNC + '\n\ndef broken(:\n    return [1, 2\n\nclass \n';
    const { findings, problems } = await analyzeOne('app.py', text);
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.startPos.line]),
      [['blocking-sleep-in-async', 4]],
    );
    assert.deepEqual(problems, []);
  });

  it('survives half-typed SQL strings and SQL files', async () => {
    const python =
      'def f(conn):\n    return conn.execute("SELECT id, FROM WHERE (((").fetchall()\n';
    assert.doesNotThrow(async () => analyzeOne('app.py', python));
    const { problems } = await analyzeOne(
      'q.sql',
      "SELECT 'unterminated\nCREATE TABLE (;\n/* open comment",
    );
    assert.deepEqual(problems, []);
  });

  it('analyses invalid UTF-8 instead of failing', async () => {
    const dir = makeTempDir('perflens-robust-');
    fs.writeFileSync(
      path.join(dir, 'app.py'),
      Buffer.concat([Buffer.from('# caf\xe9 \xff\xfe\n', 'latin1'), Buffer.from(SLEEP_IN_ASYNC)]),
    );
    const result = await scanDir(dir);
    assert.deepEqual(
      result.reports.flatMap((r) => r.findings.map((f) => [f.ruleId, f.startPos.line])),
      [['blocking-sleep-in-async', 5]],
    );
  });

  it('skips binary files, 10 MB files and minified files with a clear message', async () => {
    const dir = makeTempDir('perflens-robust-');
    fs.writeFileSync(
      path.join(dir, 'blob.py'),
      Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff, 0x00]),
    );
    fs.writeFileSync(path.join(dir, 'huge.py'), 'x = 1\n'.repeat((10 * 1024 * 1024) / 6));
    fs.writeFileSync(path.join(dir, 'bundle.sql'), `SELECT ${'a, '.repeat(40000)}b FROM t;`);
    fs.writeFileSync(path.join(dir, 'app.py'), SLEEP_IN_ASYNC);
    const started = Date.now();
    const result = await scanDir(dir);
    assert.ok(Date.now() - started < 20000, 'skipping must be quick');
    const messages = Object.fromEntries(
      result.problems.map((p) => [path.basename(p.file), p.message]),
    );
    assert.match(messages['blob.py'], /binary file/);
    assert.match(messages['huge.py'], /10\.0 MB is over the 2\.0 MB limit/);
    assert.match(messages['bundle.sql'], /minified/);
    assert.equal(
      result.reports.flatMap((r) => r.findings).length,
      1,
      'the normal file is still analysed',
    );
  });

  it('isolates a throwing rule: others still report, the failure is a problem', async () => {
    const throwing: Rule = {
      meta: { ...ALL_RULES[0].meta, language: 'python', id: 'always-throws' },
      check() {
        throw new Error('boom');
      },
    };
    const { findings, problems } = await analyzeOne('app.py', SLEEP_IN_ASYNC, [
      throwing,
      ...ALL_RULES,
    ]);
    assert.ok(findings.some((f) => f.ruleId === 'blocking-sleep-in-async'));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /rule always-throws failed: Error: boom/);
  });

  it('analyses code nested thousands of levels deep', async () => {
    // The model is built from one native traversal, so no JavaScript recursion follows the depth.
    const deep = [
      `x = ${'('.repeat(20000)}1${')'.repeat(20000)}`,
      `y = ${'f('.repeat(5000)}${')'.repeat(5000)}`,
      `z = (${Array.from({ length: 20000 }, (_, i) => `'part${i}'`).join(' +\n    ')})`,
    ].join('\n');
    const { findings, problems } = await analyzeOne('deep.py', `${deep}\n${SLEEP_IN_ASYNC}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      findings.map((finding) => finding.ruleId),
      ['blocking-sleep-in-async'],
    );
  });

  it('analyses a Python package named like build output, and skips the output', () => {
    const dir = makeTempDir('perflens-robust-build-');
    const write = (relative: string, text: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
      fs.writeFileSync(path.join(dir, relative), text);
    };
    // A Django app named `build` (a BuildOrder app), and setuptools output under `build/lib/`.
    write('inventory/build/__init__.py', '');
    write('inventory/build/tasks.py', SLEEP_IN_ASYNC);
    write('build/lib/inventory/build/tasks.py', SLEEP_IN_ASYNC);
    write('dist/pkg/tasks.py', SLEEP_IN_ASYNC);
    const options = { root: dir, include: [], exclude: [] };
    assert.deepEqual(
      discoverFiles([dir], options).map((file) => file.relativePath),
      ['inventory/build/__init__.py', 'inventory/build/tasks.py'],
    );
    const skipped = (relative: string) => isSkippedByDiscovery(path.join(dir, relative), options);
    assert.equal(skipped('inventory/build/tasks.py'), false);
    assert.equal(skipped('build/lib/inventory/build/tasks.py'), true);
    assert.equal(skipped('dist/pkg/tasks.py'), true);
  });

  it('handles empty files and files of only comments', async () => {
    for (const text of ['', '\n\n', '# nothing here\n', '-- nothing\n']) {
      const { findings, problems } = await analyzeOne(
        text.startsWith('--') ? 'x.sql' : 'x.py',
        text,
      );
      assert.deepEqual([findings, problems], [[], []]);
    }
  });
});
