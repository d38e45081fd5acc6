/**
 * The fixture cases on disk: every file under test/fixtures/<language>/ and every folder under
 * test/fixtures/workspaces/, with the rules and settings each is analysed with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../../rules';
import { loadConfigFile } from '../../server/src/config/config';
import { resolveRules } from '../../server/src/config/resolve';
import type { Rule } from '../../server/src/engine/rule';
import type { RunSettings } from '../../server/src/engine/runner';
import { languageOf } from '../../server/src/languages/detect';
import { loadModuleAliases } from '../../server/src/typescript/path-aliases';
import { DEFAULT_OPTIONS, type MemoryFile } from './analyze';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const ruleIds = new Set(ALL_RULES.map((rule) => rule.meta.id));

export interface FixtureCase {
  name: string;
  /** The rule the case is about: its name up to `--`. */
  rule: string;
  root: string;
  /** A folder under workspaces/ (not one file of a language's folder). */
  workspace: boolean;
  files: MemoryFile[];
}

export const isFixed = (file: string): boolean => /\.fixed\.[^.]+$/.test(file);

function listFiles(dir: string, prefix = ''): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

function read(root: string, relative: string): MemoryFile {
  return { relativePath: relative, text: fs.readFileSync(path.join(root, relative), 'utf8') };
}

/** Every fixture case on disk. */
export function fixtureCases(): FixtureCase[] {
  const cases: FixtureCase[] = [];
  for (const language of fs.readdirSync(FIXTURES)) {
    const dir = path.join(FIXTURES, language);
    if (!fs.statSync(dir).isDirectory()) continue;
    if (language === 'workspaces') {
      for (const name of fs.readdirSync(dir)) {
        const root = path.join(dir, name);
        const files = listFiles(root).filter((file) => !isFixed(file) && languageOf(file));
        cases.push({
          name: `workspaces/${name}`,
          rule: name.split('--')[0],
          root,
          workspace: true,
          files: files.map((f) => read(root, f)),
        });
      }
      continue;
    }
    for (const file of fs.readdirSync(dir)) {
      const compose = language === 'compose' && /\.ya?ml$/.test(file);
      if (isFixed(file) || !(compose || languageOf(file))) continue;
      const name = file.replace(/\.[^.]+$/, '');
      const contents = read(dir, file);
      cases.push({
        name: `${language}/${file}`,
        rule: name.split('--')[0],
        root: dir,
        workspace: false,
        // Compose fixtures are named for their rule; they are analysed under a compose file name.
        files: [compose ? { ...contents, relativePath: `docker-compose.${file}` } : contents],
      });
    }
  }
  return cases;
}

/**
 * The rules and settings a case is analysed with: a workspace case may carry a perflens.json
 * (e.g. to turn on type-aware analysis), and its tsconfig/jsconfig files are read as a scan of
 * its folder reads them.
 */
export function fixtureSettings(fixture: FixtureCase): {
  rules: readonly Rule[];
  settings: RunSettings;
} {
  const configFile = path.join(fixture.root, 'perflens.json');
  if (fs.existsSync(configFile))
    return resolveRules(ALL_RULES, loadConfigFile(configFile, ruleIds), {}, fixture.root);
  return {
    rules: ALL_RULES,
    settings: {
      options: DEFAULT_OPTIONS,
      ...(fixture.workspace ? { moduleAliases: loadModuleAliases(fixture.root) } : {}),
    },
  };
}
