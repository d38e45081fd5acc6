/**
 * perflens.json `overrides`: rule settings for the files some globs match, applied to each finding
 * by the file it is reported in, as Ruff's `per-file-ignores` and ESLint's `files` blocks do. Plain
 * data in RunSettings, so worker threads compile their own matchers.
 */
import * as path from 'node:path';
import picomatch from 'picomatch';
import type { RuleOverride, RuleSetting } from '../config/config';

export interface FileOverrides {
  /** The folder the globs are relative to: the config's. */
  root: string;
  list: readonly RuleOverride[];
  /** Rules off in `rules` but on in an override: off wherever no override turns them on. */
  offElsewhere: readonly string[];
  /** Rules named on the command line: they run everywhere, whatever the config turns off. */
  named: readonly string[];
}

type Matcher = (relativePath: string) => boolean;

const matchersOf = new WeakMap<FileOverrides, Matcher[]>();

function matchers(overrides: FileOverrides): Matcher[] {
  let compiled = matchersOf.get(overrides);
  if (!compiled) {
    compiled = overrides.list.map((override) => picomatch(override.files, { dot: true }));
    matchersOf.set(overrides, compiled);
  }
  return compiled;
}

/** The setting `overrides` give `ruleId` in `file` (an absolute path), if they give one. */
export function overriddenSetting(
  overrides: FileOverrides,
  ruleId: string,
  file: string,
): RuleSetting | undefined {
  let setting: RuleSetting | undefined = overrides.offElsewhere.includes(ruleId)
    ? 'off'
    : undefined;
  let relative: string | undefined;
  overrides.list.forEach((override, i) => {
    const own = override.rules[ruleId];
    if (own === undefined) return;
    relative ??= path.relative(overrides.root, file).split(path.sep).join('/');
    if (matchers(overrides)[i](relative)) setting = own;
  });
  return setting === 'off' && overrides.named.includes(ruleId) ? undefined : setting;
}
