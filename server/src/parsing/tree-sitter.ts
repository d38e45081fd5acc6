/**
 * Loads web-tree-sitter and the WASM grammars once per thread. The bundle copies every `.wasm` it
 * needs into `dist/grammars/`; when running from source (tests) they are read from node_modules and
 * `server/grammars/` instead.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';
import { speedUpMarshalling } from './fast-marshal';

export type GrammarName = 'python' | 'sql';

const GRAMMAR_FILES: Record<GrammarName, string> = {
  python: 'tree-sitter-python.wasm',
  sql: 'tree-sitter-sql.wasm',
};

const root = path.resolve(__dirname, '../../..');

/** Where a wasm file lives: next to the bundle, or in its source package during development. */
function locateWasm(file: string): string {
  const candidates =
    file === 'tree-sitter.wasm'
      ? [path.join(__dirname, file), path.join(root, 'node_modules/web-tree-sitter', file)]
      : [
          path.join(__dirname, 'grammars', file),
          path.join(root, 'server/grammars', file),
          path.join(root, 'node_modules/@vscode/tree-sitter-wasm/wasm', file),
        ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found)
    throw new Error(
      `Perflens: grammar file ${file} is missing (looked in ${candidates.join(', ')})`,
    );
  return found;
}

let ready: Promise<Map<GrammarName, Language>> | undefined;
let loaded: Map<GrammarName, Language> | undefined;
let fastMarshalling = false;

/** Whether web-tree-sitter marshals nodes through the direct path (see fast-marshal.ts). */
export function usesFastMarshalling(): boolean {
  return fastMarshalling;
}

async function loadAll(): Promise<Map<GrammarName, Language>> {
  const module = { locateFile: (file: string) => locateWasm(file) };
  await Parser.init(module);
  fastMarshalling = speedUpMarshalling(module);
  const languages = new Map<GrammarName, Language>();
  for (const name of Object.keys(GRAMMAR_FILES) as GrammarName[]) {
    languages.set(name, await Language.load(fs.readFileSync(locateWasm(GRAMMAR_FILES[name]))));
  }
  return languages;
}

const parsers = new Map<GrammarName, Parser>();

function parserFor(name: GrammarName, languages: Map<GrammarName, Language>): Parser {
  let parser = parsers.get(name);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(languages.get(name)!);
    parsers.set(name, parser);
  }
  return parser;
}

/**
 * Parses `text` synchronously. `initParsers()` must have resolved. The caller owns the tree and
 * must `delete()` it: WASM memory is not garbage collected.
 */
export function parse(name: GrammarName, text: string, oldTree?: Tree | null): Tree {
  if (!loaded) throw new Error('Perflens: parse() called before initParsers() resolved');
  const tree = parserFor(name, loaded).parse(text, oldTree ?? null);
  if (!tree) throw new Error(`Perflens: the ${name} parser returned no tree`);
  return tree;
}

/** The grammar, for building queries. */
export function language(name: GrammarName): Language {
  if (!loaded) throw new Error('Perflens: language() called before initParsers() resolved');
  return loaded.get(name)!;
}

/** Initialises tree-sitter and every grammar; call before parsing (cheap after the first call). */
export async function initParsers(): Promise<void> {
  ready ??= loadAll();
  loaded = await ready;
}
