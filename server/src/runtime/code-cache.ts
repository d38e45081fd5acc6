/**
 * Loads the product's bundles with V8's code cache, as Node 22's `module.enableCompileCache()`
 * does for every module (Node 20 and VS Code's runtime lack it): the CLI (`bin/perflens.js`), the
 * language server (its launcher), the TypeScript compiler and ts-morph. Compiling `typescript.js`
 * (10 MB) costs ~200 ms in every process that analyses TypeScript: the CLI, each scan worker, the
 * language server on its first TypeScript file. From the cache it costs ~45 ms, and the parser's
 * functions come compiled too. The CLI's own bundle saves ~60 ms per run (0.35 -> 0.29 s for the
 * demo scan). The bundles share this module as `dist/code-cache.js`, one instance per process.
 *
 * The cache holds what V8 compiled while the process ran, written once the process has used the
 * bundle (on exit, or a while after loading in a long-lived server). It lives in the user's cache
 * directory (VS Code passes the extension's storage), in files owned by the user: code from a
 * cache is run, so a file someone else could have written is never read. Any failure falls back
 * to a plain `require`.
 */
import * as buffer from 'node:buffer';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Module } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { isMainThread } from 'node:worker_threads';

/** Overrides where the cache lives; an empty value turns the cache off. */
export const CACHE_DIR_VARIABLE = 'PERFLENS_CACHE_DIR';

/** How long a long-lived process runs before its cache is written (if it has not exited). */
const WRITE_AFTER_MS = 15_000;

/** The platform's cache directory for Perflens, or undefined when there is none. */
function defaultCacheDirectory(): string | undefined {
  const home = os.homedir();
  if (process.platform === 'win32') {
    const local = process.env.LOCALAPPDATA;
    return local ? path.join(local, 'perflens', 'Cache') : undefined;
  }
  if (process.platform === 'darwin')
    return home ? path.join(home, 'Library', 'Caches', 'perflens') : undefined;
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'perflens');
  return home ? path.join(home, '.cache', 'perflens') : undefined;
}

/** Where code caches are kept: `PERFLENS_CACHE_DIR`, else the platform's cache directory. */
export function codeCacheDirectory(): string | undefined {
  const configured = process.env[CACHE_DIR_VARIABLE];
  if (configured !== undefined) return configured.trim() === '' ? undefined : configured;
  const base = defaultCacheDirectory();
  return base ? path.join(base, 'code-cache') : undefined;
}

const hash = (parts: readonly unknown[]): string =>
  createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);

/**
 * The cache file of `file` as it is now, under this runtime. V8 rejects a cache made by another
 * V8 version or with other flags, and checks only the source's length, so the name holds the
 * runtime (version and options) and the file (path, size and modification time). Runtimes keep
 * a cache each: the CLI's Node and VS Code's do not take turns overwriting one file.
 */
function cacheFileOf(directory: string, file: string, stat: fs.Stats): string {
  const runtime = hash([process.versions.v8, process.arch, ...process.execArgv]);
  const build = hash([file, stat.size, stat.mtimeMs]);
  return path.join(directory, `${path.basename(file)}-${runtime}-${build}.v8cache`);
}

/**
 * The text of a bundle. esbuild writes ASCII (it escapes other characters), and an ASCII file
 * read as Latin-1 is the same string without UTF-8 decoding: 3 ms instead of 20 for the 10 MB
 * TypeScript compiler. Any other file is decoded as UTF-8.
 */
function readSource(file: string): string {
  const bytes = fs.readFileSync(file);
  const isAscii = (buffer as { isAscii?: (input: Buffer) => boolean }).isAscii;
  return isAscii?.(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** The cache's bytes, if the file exists and this user owns it (code from it is run). */
function readOwnCache(cacheFile: string): Buffer | undefined {
  try {
    const stat = fs.statSync(cacheFile);
    if (!stat.isFile()) return undefined;
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) return undefined;
    return fs.readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Caches unused this long are removed (made by a runtime or a build no longer in use). */
const MAX_UNUSED_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Writes the cache of `script` in place of this runtime's caches of older builds of the bundle,
 * and removes caches nobody has used for a month; errors are ignored.
 */
function writeCache(script: vm.Script, cacheFile: string): void {
  try {
    const directory = path.dirname(cacheFile);
    fs.mkdirSync(directory, { recursive: true, mode: 0o700 });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, cacheFile);
    const sameRuntime = cacheFile.slice(0, cacheFile.lastIndexOf('-') + 1);
    const now = Date.now();
    for (const name of fs.readdirSync(directory)) {
      const other = path.join(directory, name);
      if (!name.endsWith('.v8cache') || other === cacheFile) continue;
      if (other.startsWith(sameRuntime) || now - fs.statSync(other).mtimeMs > MAX_UNUSED_MS)
        fs.rmSync(other, { force: true });
    }
  } catch {
    // A cache that cannot be written only means the next process compiles again.
  }
}

/** Dates a cache's last use, which keeps it from removal as unused. */
function markUsed(cacheFile: string): void {
  try {
    const now = new Date();
    fs.utimesSync(cacheFile, now, now);
  } catch {
    // Only its removal after a month unused depends on it.
  }
}

/** Caches to write, by cache file: those of bundles that loaded without one this run. */
const pending = new Map<string, vm.Script>();

/**
 * Writes the caches of bundles loaded without one. Runs on exit, or a while after loading in a
 * long-lived process: by then the cache holds the functions the process went on to compile.
 */
export function writePendingCodeCaches(): void {
  for (const [cacheFile, script] of pending) writeCache(script, cacheFile);
  pending.clear();
}

function writeLater(script: vm.Script, cacheFile: string): void {
  if (pending.size === 0) {
    process.once('exit', writePendingCodeCaches);
    setTimeout(writePendingCodeCaches, WRITE_AFTER_MS).unref();
  }
  pending.set(cacheFile, script);
}

/** Runs a CommonJS file the way Node's loader does, with its compiled code from `cachedData`. */
function runModule(file: string, source: string, cachedData: Buffer | undefined): vm.Script {
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n})`;
  const script = new vm.Script(wrapped, { filename: file, cachedData });
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = (
    Module as unknown as { _nodeModulePaths(dir: string): string[] }
  )._nodeModulePaths(path.dirname(file));
  // Registered first, as Node does, so the bundles that require this file get this instance.
  require.cache[file] = loaded;
  try {
    const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
    wrapper.call(
      loaded.exports,
      loaded.exports,
      Module.createRequire(file),
      loaded,
      file,
      path.dirname(file),
    );
  } catch (error) {
    delete require.cache[file];
    throw error;
  }
  loaded.loaded = true;
  return script;
}

/** How each bundle was loaded, for the server log and tests. */
export type CodeCacheUse = 'cached' | 'compiled' | 'plain require';
// perflens-ignore: module-collection-only-grows -- one entry per bundle of this product, at most five
const uses = new Map<string, CodeCacheUse>();

/** How `file` was loaded by `requireWithCodeCache`, if it was. */
export function codeCacheUse(file: string): CodeCacheUse | undefined {
  return uses.get(file);
}

/**
 * `require(file)` for a bundle of this product, compiled from the code cache when one matches.
 * `file` must be an absolute path.
 */
export function requireWithCodeCache(file: string): unknown {
  const known = require.cache[file];
  if (known) return known.exports;
  const directory = codeCacheDirectory();
  let stat: fs.Stats;
  let source: string;
  try {
    if (!directory) throw new Error('no cache directory');
    stat = fs.statSync(file);
    source = readSource(file);
  } catch {
    uses.set(file, 'plain require');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file known only at run time
    return require(file);
  }
  const cacheFile = cacheFileOf(directory, file, stat);
  const cachedData = readOwnCache(cacheFile);
  const script = runModule(file, source, cachedData);
  const hit = cachedData !== undefined && !script.cachedDataRejected;
  uses.set(file, hit ? 'cached' : 'compiled');
  if (hit) markUsed(cacheFile);
  // Worker threads read the cache; the main thread, which has run longest, writes it.
  else if (isMainThread) writeLater(script, cacheFile);
  return require.cache[file]!.exports;
}
