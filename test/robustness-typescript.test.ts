/** Bad TypeScript/JavaScript/Prisma input and vendored code neither crash nor slow a scan. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { scan } from '../server/src/cli/scan';
import { discoverFiles, isSkippedByDiscovery } from '../server/src/workspace/discovery';
import { analyzeOne } from './support/analyze';
import { makeTempDir } from './support/temp-dir';

const UNBOUNDED = "export const list = () => pool.query('SELECT id FROM orders');\n";

function tempDir(): string {
  return makeTempDir('perflens-robust-ts-');
}

function write(dir: string, relative: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
  fs.writeFileSync(path.join(dir, relative), text);
}

async function scanDir(dir: string) {
  const files = discoverFiles([dir], { root: dir, include: [], exclude: [] });
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const result = await scan({
    files,
    rules,
    settings,
    maxFileBytes: DEFAULT_CONFIG.maxFileSizeKb * 1024,
    jobs: 1,
  });
  return { files, result };
}

describe('robustness: TypeScript, JavaScript and Prisma', function () {
  this.timeout(60000);

  it('still reports findings in a file with a syntax error elsewhere (mid-edit)', async () => {
    const text = UNBOUNDED + 'function broken( {\n  const x = ;\n  return <div\n';
    const { findings, problems } = await analyzeOne('src/orders.ts', text);
    assert.deepEqual(
      findings.map((f) => [f.ruleId, f.startPos.line]),
      [['unbounded-select', 1]],
    );
    assert.deepEqual(problems, []);
  });

  it('keeps the models of a schema.prisma whose other block is half-typed', async () => {
    const schema = 'model A {\n  id Int @id\n}\n\nmodel B {\n  id Int @\n';
    const { problems } = await analyzeOne('prisma/schema.prisma', schema);
    assert.deepEqual(problems, []);
  });

  it('skips node_modules, build output, declarations and a 10 MB minified bundle', async () => {
    const dir = tempDir();
    write(dir, 'src/orders.ts', UNBOUNDED);
    write(dir, 'node_modules/pkg/index.js', UNBOUNDED);
    write(dir, 'dist/server.js', UNBOUNDED);
    write(dir, '.next/server/page.js', UNBOUNDED);
    write(dir, 'src/types.d.ts', 'export declare const x: number;\n');
    write(dir, 'public/vendor.min.js', UNBOUNDED);
    // A bundle with a non-standard name: caught by its size, then by its line length.
    write(dir, 'public/app.js', `var a=1;${'function f(){return 1};'.repeat(480000)}\n`);
    const started = Date.now();
    const { files, result } = await scanDir(dir);
    assert.ok(Date.now() - started < 20000, 'skipping must be quick');
    assert.deepEqual(
      files.map((f) => f.relativePath),
      ['public/app.js', 'src/orders.ts'],
    );
    assert.match(result.problems[0].message, /over the 2\.0 MB limit|minified/);
    assert.deepEqual(
      result.reports.flatMap((r) => r.findings.map((f) => path.relative(dir, f.file))),
      [path.join('src', 'orders.ts')],
    );
  });

  it('finds a query reached through a helper whatever order the scan reads the files in', async () => {
    const dir = tempDir();
    write(
      dir,
      'src/a-routes.ts',
      [
        "import { loadUser } from './z-services';",
        'export async function list(ids: string[]) {',
        '  const users = [];',
        '  for (const id of ids) users.push(await loadUser(id));',
        '  return users;',
        '}',
        '',
      ].join('\n'),
    );
    write(
      dir,
      'src/z-services.ts',
      'export const loadUser = (id: string) => prisma.user.findUnique({ where: { id } });\n',
    );
    const { result } = await scanDir(dir);
    assert.deepEqual(
      result.reports.flatMap((r) => r.findings.map((f) => [f.ruleId, f.startPos.line])),
      [['await-in-loop', 4]],
    );
  });

  it('analyses dependencies and generated files too when defaultExcludes is off', () => {
    const dir = tempDir();
    write(dir, 'src/a.ts', UNBOUNDED);
    write(dir, 'node_modules/pkg/index.js', UNBOUNDED);
    write(dir, 'src/types.d.ts', 'export declare const x: number;\n');
    const found = (defaultExcludes: boolean) =>
      discoverFiles([dir], { root: dir, include: [], exclude: [], defaultExcludes }).map(
        (f) => f.relativePath,
      );
    assert.deepEqual(found(true), ['src/a.ts']);
    assert.deepEqual(found(false), ['node_modules/pkg/index.js', 'src/a.ts', 'src/types.d.ts']);
  });

  it('tells watched-file changes in excluded places from analysable ones', () => {
    const dir = tempDir();
    write(dir, '.gitignore', 'generated/\n');
    const options = { root: dir, include: [], exclude: ['legacy/**'] };
    const skipped = (relative: string) => isSkippedByDiscovery(path.join(dir, relative), options);
    assert.equal(skipped('src/a.ts'), false);
    assert.equal(skipped('node_modules/x/a.js'), true);
    assert.equal(skipped('dist/a.js'), true);
    assert.equal(skipped('generated/a.ts'), true);
    assert.equal(skipped('legacy/a.ts'), true);
    assert.equal(skipped('src/a.d.ts'), true);
    assert.equal(skipped('README.md'), true);
  });

  it('analyses deeply nested code, and names code nested too deeply to analyse', async () => {
    // Hundreds of levels: analysed like any file.
    const terms = Array.from({ length: 1000 }, (_, i) => `'part${i}'`).join(' +\n  ');
    const deep = `const x = ${'('.repeat(300)}1${')'.repeat(300)};\nconst s = ${terms};\n`;
    const analysed = await analyzeOne('deep.ts', deep + UNBOUNDED);
    assert.deepEqual(analysed.problems, []);
    assert.deepEqual(
      analysed.findings.map((finding) => finding.ruleId),
      ['unbounded-select'],
    );
    const jsx = `const y = ${'<div>'.repeat(300)}${'</div>'.repeat(300)};\n`;
    assert.deepEqual((await analyzeOne('deep.tsx', jsx)).problems, []);
    // Thousands: the compiler's parser and the walks recurse per level, and JavaScript's stack
    // runs out. The file gets a clear message and the others are analysed as usual.
    const dir = tempDir();
    write(
      dir,
      'src/generated.ts',
      `const x = ${'('.repeat(3000)}1${')'.repeat(3000)};\n` + UNBOUNDED,
    );
    write(dir, 'src/orders.ts', UNBOUNDED);
    const { result } = await scanDir(dir);
    assert.deepEqual(
      result.problems.map((problem) => [path.basename(problem.file), problem.message]),
      [
        [
          'generated.ts',
          'could not be analysed: its code nests too deeply (thousands of levels, e.g. a very long `a + b + ...` or call chain)',
        ],
      ],
    );
    assert.deepEqual(
      result.reports.map((report) => [path.basename(report.file), report.findings.length]),
      [['orders.ts', 1]],
    );
  });

  it('handles empty files and files of only comments', async () => {
    for (const [file, text] of [
      ['x.ts', ''],
      ['x.js', '// nothing\n'],
      ['x.tsx', '/* */'],
      ['schema.prisma', '// nothing\n'],
    ]) {
      const { findings, problems } = await analyzeOne(file, text);
      assert.deepEqual([findings, problems], [[], []]);
    }
  });
});
