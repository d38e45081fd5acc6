/**
 * Finds the files to analyse under the given paths: files of a supported language that no
 * `.gitignore` (at any level), default exclude or `perflens.json` exclude rules out. Symlinked
 * folders are not followed, so a link cycle cannot hang a scan.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { Language } from '../engine/types';
import type { PerflensConfig } from '../config/config';
import { isGeneratedFileName, languageOf } from '../languages/detect';

export interface DiscoveredFile {
  /** Absolute path. */
  file: string;
  /** Path relative to the root, `/`-separated. */
  relativePath: string;
  language: Language;
}

export interface DiscoveryOptions {
  /** Folder that globs and relative paths are relative to (the config's folder, or the cwd). */
  root: string;
  include: readonly string[];
  exclude: readonly string[];
  /** Skip `DEFAULT_EXCLUDED_DIRS` and generated file names (default true). */
  defaultExcludes?: boolean;
}

/** Discovery options from a config whose folder is `root`. */
export function discoveryOptions(config: PerflensConfig, root: string): DiscoveryOptions {
  return {
    root,
    include: config.include,
    exclude: config.exclude,
    defaultExcludes: config.defaultExcludes,
  };
}

/** Folders never worth analysing: dependencies, caches, build output, VCS data. */
export const DEFAULT_EXCLUDED_DIRS = new Set([
  'node_modules',
  '.git',
  '.hg',
  '.svn',
  '.venv',
  'venv',
  '__pycache__',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  '.tox',
  '.nox',
  'site-packages',
  '.eggs',
  'dist',
  'build',
  '.next',
  'coverage',
  '.perflens-bench',
]);

/**
 * Default-excluded names that a Python package may also have: Django's BuildOrder app is `build/`
 * (InvenTree). Build output holds no `__init__.py` of its own (setuptools writes `build/lib/...`),
 * so such a folder with one is source.
 */
const PACKAGE_NAMES_LIKE_OUTPUT = new Set(['build', 'dist', 'coverage']);

/** Whether a default exclude applies to the folder `absolute` (dependencies, caches, output). */
function isDefaultExcludedDir(absolute: string): boolean {
  const name = path.basename(absolute);
  if (!DEFAULT_EXCLUDED_DIRS.has(name)) return false;
  return !(
    PACKAGE_NAMES_LIKE_OUTPUT.has(name) && fs.existsSync(path.join(absolute, '__init__.py'))
  );
}

interface IgnoreLayer {
  base: string;
  rules: Ignore;
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

function readGitignore(dir: string): IgnoreLayer | undefined {
  const file = path.join(dir, '.gitignore');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return { base: dir, rules: ignore().add(text) };
}

/** `.gitignore` layers from the filesystem root's nearest repository down to `dir`. */
function ancestorLayers(dir: string): IgnoreLayer[] {
  const chain: string[] = [];
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    chain.unshift(current);
    if (fs.existsSync(path.join(current, '.git')) || path.dirname(current) === current) break;
  }
  return chain.flatMap((folder) => readGitignore(folder) ?? []);
}

function ignoredBy(layers: readonly IgnoreLayer[], absolute: string, isDir: boolean): boolean {
  for (const layer of layers) {
    const relative = toPosix(path.relative(layer.base, absolute));
    if (!relative || relative.startsWith('..')) continue;
    if (layer.rules.ignores(isDir ? `${relative}/` : relative)) return true;
  }
  return false;
}

/**
 * Whether a scan of `options.root` would skip `file`: not a supported language, under a default
 * excluded folder (`node_modules`, `dist`, ...), git-ignored, or outside the include / inside the
 * exclude globs. Lets a watched-file change in build output or dependencies be ignored.
 */
export function isSkippedByDiscovery(file: string, options: DiscoveryOptions): boolean {
  const root = path.resolve(options.root);
  const absolute = path.resolve(file);
  if (!languageOf(absolute)) return true;
  const defaults = options.defaultExcludes !== false;
  if (defaults && isGeneratedFileName(absolute)) return true;
  const relativePath = toPosix(path.relative(root, absolute));
  if (relativePath.startsWith('..')) return false;
  const folders = relativePath.split('/').slice(0, -1);
  if (
    defaults &&
    folders.some((_, i) => isDefaultExcludedDir(path.join(root, ...folders.slice(0, i + 1))))
  )
    return true;
  if (
    options.include.length > 0 &&
    !picomatch(options.include as string[], { dot: true })(relativePath)
  )
    return true;
  if (options.exclude.length > 0) {
    const exclude = picomatch(options.exclude as string[], { dot: true });
    if (exclude(relativePath)) return true;
    for (let i = 1; i <= folders.length; i++)
      if (exclude(`${folders.slice(0, i).join('/')}/`)) return true;
  }
  const layers = ancestorLayers(path.dirname(absolute));
  for (let dir = path.dirname(absolute); dir.length >= root.length; dir = path.dirname(dir)) {
    if (dir !== path.dirname(absolute) && ignoredBy(layers, dir, true)) return true;
    if (dir === root) break;
  }
  return ignoredBy(layers, absolute, false);
}

/** Discovers files under `paths` (files or folders). Explicitly named files are always kept. */
export function discoverFiles(
  paths: readonly string[],
  options: DiscoveryOptions,
): DiscoveredFile[] {
  const root = path.resolve(options.root);
  const include =
    options.include.length > 0 ? picomatch(options.include as string[], { dot: true }) : undefined;
  const exclude =
    options.exclude.length > 0 ? picomatch(options.exclude as string[], { dot: true }) : undefined;
  const found = new Map<string, DiscoveredFile>();
  const defaults = options.defaultExcludes !== false;

  const relativeOf = (absolute: string): string => toPosix(path.relative(root, absolute));
  const accept = (absolute: string, explicit: boolean): void => {
    const language = languageOf(absolute);
    if (!language) return;
    if (!explicit && defaults && isGeneratedFileName(absolute)) return;
    const relativePath = relativeOf(absolute);
    if (!explicit && include && !include(relativePath)) return;
    if (!explicit && exclude && exclude(relativePath)) return;
    found.set(absolute, { file: absolute, relativePath, language });
  };

  const walk = (dir: string, layers: IgnoreLayer[]): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // unreadable folders are skipped, as git does
    }
    const own = readGitignore(dir);
    const active = own && !layers.some((layer) => layer.base === dir) ? [...layers, own] : layers;
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (defaults && isDefaultExcludedDir(absolute)) continue;
        if (ignoredBy(active, absolute, true)) continue;
        if (exclude && exclude(`${relativeOf(absolute)}/`)) continue;
        walk(absolute, active);
      } else if (entry.isFile()) {
        if (ignoredBy(active, absolute, false)) continue;
        accept(absolute, false);
      }
    }
  };

  for (const given of paths) {
    const absolute = path.resolve(given);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      throw new Error(`${given}: no such file or directory`);
    }
    if (stat.isDirectory()) walk(absolute, ancestorLayers(absolute));
    else accept(absolute, true);
  }
  return [...found.values()].sort((a, b) => (a.relativePath < b.relativePath ? -1 : 1));
}
