/** Turns source text into a PreparedFile with the frontend of its language. */
import type { Tree } from 'web-tree-sitter';
import { parseComposeFile } from '../compose/document';
import { LineIndex } from '../engine/positions';
import { parse } from '../parsing/tree-sitter';
import { pythonSqlUnits } from '../python/embedded-sql';
import { extractPythonFacts } from '../python/facts';
import { buildPythonModel } from '../python/model';
import { extractSqlFacts } from '../sql/schema-facts';
import { fileUnit, type SqlUnit } from '../sql/unit';
import { prismaSchemaFacts } from '../prisma/facts';
import { parsePrismaSchema } from '../prisma/schema';
import { parseTypeScriptOnce, type ts } from '../typescript/compiler';
import { tsSqlUnits } from '../typescript/embedded-sql';
import { extractTsFacts } from '../typescript/facts';
import { buildTsModel } from '../typescript/model';
import { emptyFacts } from '../workspace/facts';
import type { Rule } from '../engine/rule';
import type { RunSettings } from '../engine/runner';
import { typeOracleFor } from '../typescript/type-oracle';
import type { PreparedFile, PrepareOptions, SourceFile } from './prepared';

/** What preparing files needs from the rules (their traits) and settings (type awareness). */
export function prepareOptionsFor(rules: readonly Rule[], settings: RunSettings): PrepareOptions {
  return {
    traitContributors: rules.flatMap((rule) => (rule.pythonTraits ? [rule.pythonTraits] : [])),
    moduleTraitContributors: rules.flatMap((rule) =>
      rule.pythonModuleTraits ? [rule.pythonModuleTraits] : [],
    ),
    types: settings.typeAware ? typeOracleFor(settings.typeAware) : undefined,
    moduleAliases: settings.moduleAliases,
  };
}

/** Lazily parsed SQL trees, freed together. */
class SqlTrees {
  private readonly trees = new Map<SqlUnit, Tree>();

  get(unit: SqlUnit): Tree {
    let tree = this.trees.get(unit);
    if (!tree) {
      tree = parse('sql', unit.text);
      this.trees.set(unit, tree);
    }
    return tree;
  }

  dispose(): void {
    for (const tree of this.trees.values()) tree.delete();
    this.trees.clear();
  }
}

/** A tree parsed from a file's text by its caller: tree-sitter's for Python, the compiler's for TS/JS. */
export type ParsedTree = Tree | ts.SourceFile;

const isSourceFile = (tree: ParsedTree | undefined): tree is ts.SourceFile =>
  !!tree && 'statements' in tree;

/**
 * Parses and models a file. `initParsers()` must have resolved. A caller that keeps trees between
 * edits (the language server, for incremental re-parses) passes `parsed`, parsed from
 * `source.text`; it stays the caller's and is not freed by `dispose()`.
 */
export function prepareFile(
  source: SourceFile,
  options: PrepareOptions,
  parsed?: ParsedTree,
): PreparedFile {
  const tree = isSourceFile(parsed) ? undefined : parsed;
  const lines = new LineIndex(source.text);
  const sqlTrees = new SqlTrees();
  if (source.language === 'python') {
    const owned = !tree;
    const pythonTree = tree ?? parse('python', source.text);
    const python = buildPythonModel(pythonTree, source.text, source.relativePath);
    const sqlUnits = pythonSqlUnits(python);
    const facts = extractPythonFacts(
      python,
      source.file,
      options.traitContributors,
      options.moduleTraitContributors,
    );
    return {
      source,
      lines,
      python,
      sqlUnits,
      facts,
      sqlTree: (unit) => sqlTrees.get(unit),
      dispose: () => {
        sqlTrees.dispose();
        if (owned) pythonTree.delete();
      },
    };
  }
  if (source.language === 'typescript') {
    // A tree of the caller's is kept for re-parses; one parsed here lives for this analysis only.
    const own = isSourceFile(parsed) ? undefined : parseTypeScriptOnce(source.text, source.file);
    const sourceFile = own ? own.sourceFile : (parsed as ts.SourceFile);
    const typescript = buildTsModel(sourceFile, source.relativePath);
    typescript.types = options.types?.forFile(source.file, source.text);
    typescript.moduleAliases = options.moduleAliases;
    return {
      source,
      lines,
      typescript,
      sqlUnits: tsSqlUnits(typescript),
      facts: extractTsFacts(typescript, source.file),
      sqlTree: (unit) => sqlTrees.get(unit),
      dispose: () => {
        sqlTrees.dispose();
        own?.release();
      },
    };
  }
  if (source.language === 'prisma') {
    const prisma = parsePrismaSchema(source.text);
    return {
      source,
      lines,
      prisma,
      sqlUnits: [],
      facts: { ...emptyFacts(source.file, 'prisma'), schema: prismaSchemaFacts(prisma) },
      sqlTree: (unit) => sqlTrees.get(unit),
      dispose: () => sqlTrees.dispose(),
    };
  }
  if (source.language === 'compose') {
    return {
      source,
      lines,
      compose: parseComposeFile(source.text),
      sqlUnits: [],
      facts: { ...emptyFacts(source.file, 'compose'), composeText: source.text },
      sqlTree: (unit) => sqlTrees.get(unit),
      dispose: () => sqlTrees.dispose(),
    };
  }
  const unit = fileUnit(source.text);
  return {
    source,
    lines,
    sqlUnits: [unit],
    facts: extractSqlFacts(source.file, source.relativePath, unit, sqlTrees.get(unit)),
    sqlTree: (u) => sqlTrees.get(u),
    dispose: () => sqlTrees.dispose(),
  };
}
