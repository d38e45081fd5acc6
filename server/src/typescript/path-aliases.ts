/**
 * Module aliases a workspace declares in `tsconfig.json` / `jsconfig.json` (`compilerOptions.paths`
 * and `baseUrl`), so an import such as `@server/models` or `lib/db` names the workspace module it
 * means. The tables are read once per workspace (the CLI's scan, each language server folder) into
 * plain data that run settings carry to every lane; a file's facts then resolve its imports
 * against the table, as they resolve relative imports against the file's path.
 *
 * Config files are parsed with the compiler's JSON reader (comments, trailing commas) and never
 * run. `extends` is followed to files by relative path only (not to packages in `node_modules`).
 * A config that cannot be read or parsed gives no aliases.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_EXCLUDED_DIRS } from '../workspace/discovery';
import { loadTypeScript, ts } from './compiler';

/** One `paths` entry: `prefix*suffix` (or an exact specifier) → workspace-relative target. */
export interface PathAlias {
  pattern: string;
  /** Root-relative, `/`-separated; `*` where the pattern's wildcard text goes. */
  target: string;
}

/** What one config says, for the files under its folder (the nearest config wins, as in tsc). */
export interface AliasScope {
  /** The config's folder relative to the workspace root, `/`-separated; '' for the root. */
  folder: string;
  paths: PathAlias[];
  /** `baseUrl` relative to the root, and the names under it that a bare import may start with. */
  baseUrl?: { folder: string; names: string[] };
}

/** The workspace's scopes, deepest folder first. Plain data: it crosses to worker threads. */
export interface ModuleAliases {
  scopes: AliasScope[];
}

const CONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];
/** Folders below the root searched for configs, and at most how many: start-up stays cheap. */
const MAX_DEPTH = 6;
const MAX_FOLDERS = 5_000;
/** Links of an `extends` chain followed at most (a cycle stops at the first repeat anyway). */
const MAX_EXTENDS = 8;

/**
 * Whether a changed file may change a workspace's aliases: a `tsconfig*.json` / `jsconfig*.json`
 * (`tsconfig.base.json` is a common `extends` target) outside dependencies.
 */
export function isModuleAliasConfig(file: string): boolean {
  return (
    /^[jt]sconfig(?:\..+)?\.json$/.test(path.basename(file)) &&
    !file.split(/[\\/]/).includes('node_modules')
  );
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/**
 * The root-relative path an import names through the aliases of the file's scope: `paths` first
 * (an exact pattern, else the wildcard pattern with the longest prefix), then `baseUrl` for a
 * bare specifier whose first segment exists under it. Undefined when no alias applies.
 */
export function aliasedPath(
  aliases: ModuleAliases | undefined,
  relativePath: string,
  specifier: string,
): string | undefined {
  const scope = aliases?.scopes.find(
    (s) => s.folder === '' || relativePath.startsWith(`${s.folder}/`),
  );
  if (!scope) return undefined;
  let target = matchPaths(scope.paths, specifier);
  if (target === undefined && scope.baseUrl?.names.includes(specifier.split('/')[0]))
    target = scope.baseUrl.folder ? `${scope.baseUrl.folder}/${specifier}` : specifier;
  // A module outside the workspace has no name in the index.
  return target === '..' || target?.startsWith('../') ? undefined : target;
}

function matchPaths(paths: readonly PathAlias[], specifier: string): string | undefined {
  const exact = paths.find((alias) => alias.pattern === specifier);
  if (exact) return exact.target;
  let best: { alias: PathAlias; prefix: string; suffix: string } | undefined;
  for (const alias of paths) {
    const star = alias.pattern.indexOf('*');
    if (star === -1) continue;
    const prefix = alias.pattern.slice(0, star);
    const suffix = alias.pattern.slice(star + 1);
    if (specifier.length < prefix.length + suffix.length) continue;
    if (!specifier.startsWith(prefix) || !specifier.endsWith(suffix)) continue;
    if (!best || prefix.length > best.prefix.length) best = { alias, prefix, suffix };
  }
  if (!best) return undefined;
  const matched = specifier.slice(best.prefix.length, specifier.length - best.suffix.length);
  return best.alias.target.replace('*', matched);
}

/** The aliases of every tsconfig/jsconfig under `root` (dependencies and hidden folders skipped). */
export function loadModuleAliases(root: string): ModuleAliases {
  const scopes: AliasScope[] = [];
  for (const folder of configFolders(root)) {
    const file = CONFIG_NAMES.map((name) => path.join(folder, name)).find(isFile);
    const scope = file && scopeOf(root, file);
    if (scope) scopes.push(scope);
  }
  scopes.sort((a, b) => b.folder.length - a.folder.length);
  return { scopes };
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Folders under `root` (itself included) that hold a config file, level by level: when a huge
 * tree (a scan from a home folder) exhausts the budget, the shallow configs are found already.
 */
function configFolders(root: string): string[] {
  const found: string[] = [];
  let level = [path.resolve(root)];
  let visited = 0;
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      if (++visited > MAX_FOLDERS) return found;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      if (entries.some((entry) => entry.isFile() && CONFIG_NAMES.includes(entry.name)))
        found.push(dir);
      for (const entry of entries)
        if (
          entry.isDirectory() &&
          !entry.name.startsWith('.') &&
          !DEFAULT_EXCLUDED_DIRS.has(entry.name)
        )
          next.push(path.join(dir, entry.name));
    }
    level = next;
  }
  return found;
}

/** The compiler options that matter here, with the folders their relative paths start from. */
interface ResolutionOptions {
  /** Absolute `baseUrl`. */
  baseUrl?: string;
  paths?: Record<string, unknown>;
  /** Folder of the config that declared `paths`: targets start there when there is no baseUrl. */
  pathsBase?: string;
}

/** A config's scope; undefined when it cannot be read (then it neither aliases nor shadows). */
function scopeOf(root: string, file: string): AliasScope | undefined {
  const options = resolutionOptions(file, new Set());
  if (!options) return undefined;
  const folder = toPosix(path.relative(root, path.dirname(file)));
  const relative = (absolute: string): string => toPosix(path.relative(root, absolute));
  const paths: PathAlias[] = [];
  const base = options.baseUrl ?? options.pathsBase;
  for (const [pattern, targets] of Object.entries(options.paths ?? {})) {
    if (!base || (pattern.match(/\*/g)?.length ?? 0) > 1 || !Array.isArray(targets)) continue;
    const usable = targets.filter(
      (t): t is string => typeof t === 'string' && (t.match(/\*/g)?.length ?? 0) <= 1,
    );
    // Like the compiler, the first target that exists: judged by the folder before its wildcard.
    const absolute = usable.map((target) => path.resolve(base, target));
    const chosen = absolute.find((t) => fs.existsSync(folderOf(t))) ?? absolute[0];
    if (chosen) paths.push({ pattern, target: relative(chosen) });
  }
  return {
    folder: folder === '.' ? '' : folder,
    paths,
    ...(options.baseUrl ? { baseUrl: baseUrlOf(relative(options.baseUrl), options.baseUrl) } : {}),
  };
}

/** The folder a target names files in: `/w/src` of `/w/src/*`, `/w/src/lib-*` and `/w/src/db`. */
function folderOf(target: string): string {
  const star = target.indexOf('*');
  return path.dirname(star === -1 ? target : `${target.slice(0, star)}_`);
}

const SOURCE_FILE = /\.[mc]?[jt]sx?$/;

function baseUrlOf(folder: string, absolute: string): AliasScope['baseUrl'] {
  let names: string[] = [];
  try {
    names = fs
      .readdirSync(absolute, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.') && entry.name !== 'node_modules')
      .filter((entry) => entry.isDirectory() || SOURCE_FILE.test(entry.name))
      .map((entry) => entry.name.replace(SOURCE_FILE, ''));
  } catch {
    // An unreadable baseUrl resolves nothing.
  }
  return { folder: folder === '.' ? '' : folder, names: [...new Set(names)] };
}

/** `baseUrl` and `paths` of a config, its `extends` chain merged (the config's own win). */
function resolutionOptions(file: string, seen: Set<string>): ResolutionOptions | undefined {
  if (seen.has(file) || seen.size >= MAX_EXTENDS) return undefined;
  seen.add(file);
  const json = readConfig(file);
  if (!json) return undefined;
  const dir = path.dirname(file);
  let inherited: ResolutionOptions = {};
  const bases = Array.isArray(json.extends) ? json.extends : [json.extends];
  for (const base of bases) {
    const baseFile = typeof base === 'string' ? relativeConfigFile(dir, base) : undefined;
    const options = baseFile && resolutionOptions(baseFile, seen);
    if (options) inherited = { ...inherited, ...options };
  }
  const compilerOptions = isObject(json.compilerOptions) ? json.compilerOptions : {};
  const own: ResolutionOptions = {};
  if (typeof compilerOptions.baseUrl === 'string')
    own.baseUrl = path.resolve(dir, compilerOptions.baseUrl);
  if (isObject(compilerOptions.paths)) {
    own.paths = compilerOptions.paths;
    own.pathsBase = dir;
  }
  return { ...inherited, ...own };
}

/** `./base.json`, `../tsconfig.base` (the `.json` may be left out); not a package's config. */
function relativeConfigFile(dir: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const file = path.resolve(dir, specifier);
  if (isFile(file)) return file;
  return isFile(`${file}.json`) ? `${file}.json` : undefined;
}

function readConfig(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // The bundles load the compiler on first use; a workspace with a tsconfig has TypeScript anyway.
  loadTypeScript();
  const { config, error } = ts.parseConfigFileTextToJson(file, text);
  return !error && isObject(config) ? config : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
