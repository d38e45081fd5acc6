/** Bundles load through V8's code cache: written once used, read next time, never trusted blindly. */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CACHE_DIR_VARIABLE,
  codeCacheUse,
  requireWithCodeCache,
  writePendingCodeCaches,
} from '../server/src/runtime/code-cache';

describe('code cache', () => {
  let work: string;
  let cacheDir: string;
  const saved = process.env[CACHE_DIR_VARIABLE];

  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-code-cache-'));
    cacheDir = path.join(work, 'cache');
    process.env[CACHE_DIR_VARIABLE] = cacheDir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[CACHE_DIR_VARIABLE];
    else process.env[CACHE_DIR_VARIABLE] = saved;
    for (const file of Object.keys(require.cache))
      if (file.startsWith(work)) delete require.cache[file];
    // A cache still pending would be written at exit, making the folder again.
    writePendingCodeCaches();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A bundle-like CommonJS file that requires a sibling and a built-in. */
  function writeBundle(name: string, body = ''): string {
    const file = path.join(work, name);
    fs.writeFileSync(path.join(work, 'helper.js'), 'module.exports = { twice: (n) => n * 2 };\n');
    fs.writeFileSync(
      file,
      `const path = require('node:path');\nconst { twice } = require('./helper.js');\n` +
        `exports.answer = twice(21);\nexports.base = path.basename(__filename);\n` +
        `exports.self = module;\n${body}`,
    );
    return file;
  }

  /** Loads `file` as a new process would: nothing of it in `require.cache`. */
  function loadFresh(file: string): { answer: number; base: string } {
    delete require.cache[file];
    return requireWithCodeCache(file) as { answer: number; base: string };
  }

  const caches = (): string[] => (fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).sort() : []);

  it('runs the module as require would, and registers it so require returns the same one', () => {
    const file = writeBundle('bundle.js');
    const loaded = loadFresh(file);
    assert.equal(loaded.answer, 42);
    assert.equal(loaded.base, 'bundle.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    assert.equal(require(file), loaded);
    assert.equal(requireWithCodeCache(file), loaded);
  });

  it('reads a bundle with characters beyond ASCII as UTF-8', () => {
    const file = writeBundle('bundle.js', "exports.word = 'café ✓';\n");
    assert.equal((loadFresh(file) as unknown as { word: string }).word, 'café ✓');
    writePendingCodeCaches();
    assert.equal((loadFresh(file) as unknown as { word: string }).word, 'café ✓');
    assert.equal(codeCacheUse(file), 'cached');
  });

  it('compiles the first time, writes the cache once used, and reads it the next time', () => {
    const file = writeBundle('bundle.js');
    loadFresh(file);
    assert.equal(codeCacheUse(file), 'compiled');
    assert.deepEqual(caches(), [], 'nothing is written before the process has used the bundle');
    writePendingCodeCaches();
    assert.equal(caches().length, 1);
    assert.match(caches()[0], /^bundle\.js-[0-9a-f]{16}-[0-9a-f]{16}\.v8cache$/);
    assert.equal(loadFresh(file).answer, 42);
    assert.equal(codeCacheUse(file), 'cached');
  });

  it('recompiles and replaces the cache when the bundle changes', () => {
    const file = writeBundle('bundle.js');
    loadFresh(file);
    writePendingCodeCaches();
    const before = caches();
    writeBundle('bundle.js', 'exports.answer = 43;\n');
    assert.equal(loadFresh(file).answer, 43, 'the new source runs, not the cached one');
    assert.equal(codeCacheUse(file), 'compiled');
    writePendingCodeCaches();
    assert.equal(caches().length, 1, 'the older build’s cache is removed');
    assert.notDeepEqual(caches(), before);
  });

  /**
   * Loads `file` in a new process, as the product does, and writes its cache: in this process V8
   * would take a source it compiled before from memory and never look at the cache.
   */
  function loadInNewProcess(file: string): string {
    const codeCache = path.join(__dirname, '..', 'server', 'src', 'runtime', 'code-cache.ts');
    const script =
      `const c = require(${JSON.stringify(codeCache)});` +
      `const m = c.requireWithCodeCache(${JSON.stringify(file)});` +
      `process.stdout.write(m.answer + ' ' + c.codeCacheUse(${JSON.stringify(file)}));`;
    return execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, [CACHE_DIR_VARIABLE]: cacheDir },
    });
  }

  it('ignores a corrupt cache and writes a good one in its place', function () {
    this.timeout(20_000);
    const file = writeBundle('bundle.js');
    assert.equal(loadInNewProcess(file), '42 compiled');
    assert.equal(loadInNewProcess(file), '42 cached');
    const cacheFile = path.join(cacheDir, caches()[0]);
    fs.writeFileSync(cacheFile, Buffer.from('not a V8 code cache'));
    assert.equal(loadInNewProcess(file), '42 compiled');
    assert.equal(loadInNewProcess(file), '42 cached');
  });

  it('keeps the caches of other runtimes and removes those unused for a month', () => {
    fs.mkdirSync(cacheDir, { recursive: true });
    const otherRuntime = path.join(cacheDir, 'bundle.js-0000000000000000-1111111111111111.v8cache');
    const stale = path.join(cacheDir, 'other.js-2222222222222222-3333333333333333.v8cache');
    fs.writeFileSync(otherRuntime, 'x');
    fs.writeFileSync(stale, 'x');
    const monthAgo = new Date(Date.now() - 31 * 24 * 60 * 60 * 1000);
    fs.utimesSync(stale, monthAgo, monthAgo);
    const file = writeBundle('bundle.js');
    loadFresh(file);
    writePendingCodeCaches();
    assert.ok(fs.existsSync(otherRuntime));
    assert.ok(!fs.existsSync(stale));
  });

  it('is a plain require when the cache directory is set empty', () => {
    process.env[CACHE_DIR_VARIABLE] = '';
    const file = writeBundle('bundle.js');
    assert.equal(loadFresh(file).answer, 42);
    assert.equal(codeCacheUse(file), 'plain require');
    writePendingCodeCaches();
    assert.deepEqual(caches(), []);
  });

  it('lets an error thrown by the module reach the caller and forgets the module', () => {
    const file = writeBundle('bundle.js', "throw new Error('broken bundle');\n");
    assert.throws(() => loadFresh(file), /broken bundle/);
    assert.equal(require.cache[file], undefined);
  });
});
