/**
 * A file ready for rules: text, line index, language model and SQL units, and the facts it adds to
 * the workspace index. It owns WASM trees: call `dispose()` when done.
 */
import type { Tree } from 'web-tree-sitter';
import { LineIndex } from '../engine/positions';
import type { ModuleTraitContributor, TraitContributor } from '../python/facts';
import type { ComposeFile } from '../compose/document';
import type { PrismaSchemaModel } from '../prisma/schema';
import type { PythonModel } from '../python/model';
import type { TsModel } from '../typescript/model';
import type { ModuleAliases } from '../typescript/path-aliases';
import type { TypeOracle } from '../typescript/type-oracle';
import type { SqlUnit } from '../sql/unit';
import type { Language } from '../engine/types';
import type { FileFacts } from '../workspace/facts';

export interface SourceFile {
  /** Path as the caller names it (absolute in the CLI and server). */
  file: string;
  /** Path relative to the workspace root, `/`-separated; module names derive from it. */
  relativePath: string;
  text: string;
  language: Language;
}

export interface PreparedFile {
  source: SourceFile;
  lines: LineIndex;
  python?: PythonModel;
  typescript?: TsModel;
  prisma?: PrismaSchemaModel;
  compose?: ComposeFile;
  sqlUnits: SqlUnit[];
  facts: FileFacts;
  /** Parses a SQL unit on first use; trees are freed by `dispose()`. */
  sqlTree(unit: SqlUnit): Tree;
  dispose(): void;
}

export interface PrepareOptions {
  traitContributors: readonly TraitContributor[];
  /** Rules' contributors of Python module traits (`FileFacts.traits`). */
  moduleTraitContributors?: readonly ModuleTraitContributor[];
  /** Type-aware answers for TypeScript files, when the workspace opted in. */
  types?: TypeOracle;
  /** The workspace's `paths`/`baseUrl` aliases, for TypeScript imports. */
  moduleAliases?: ModuleAliases;
}
