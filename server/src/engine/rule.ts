/**
 * The rule API: what a rule file exports and what it may look at. Rules import from here and from
 * the language models below; nothing here imports a rule.
 */
import type { Tree } from 'web-tree-sitter';
import type { ComposeFile } from '../compose/document';
import type { Database } from '../config/database';
import type { ModuleTraitContributor, TraitContributor } from '../python/facts';
import type { PrismaSchemaModel } from '../prisma/schema';
import type { PythonModel } from '../python/model';
import type { TsModel } from '../typescript/model';
import type { SqlUnit } from '../sql/unit';
import type { WorkspaceIndex } from '../workspace/index';
import type { LineIndex } from './positions';
import type { Fix, Language, RuleMeta } from './types';

/** Options every rule may read; resolved from settings and `perflens.json`. */
export interface RuleOptions {
  /** Row count used by fixes that add a `LIMIT`, `.limit()` or `take`. */
  defaultLimit: number;
  /** The database `sql.database` names; unset when the config does not say. */
  database?: Database;
}

export interface ReportInput {
  /** UTF-16 offsets into the file's text. */
  start: number;
  end: number;
  message: string;
  /** Fixes, preferred first. */
  fixes?: Fix[];
}

/** What a rule sees of one file. */
export interface FileContext {
  /** Path as the caller named the file (absolute in the CLI and server). */
  file: string;
  /** Path relative to the workspace root, with `/` separators. */
  relativePath: string;
  text: string;
  lines: LineIndex;
  language: Language;
  options: RuleOptions;
  /** The Python model, for Python files. */
  python?: PythonModel;
  /** The TypeScript/JavaScript model, for `.ts`, `.tsx`, `.js`, ... files. */
  typescript?: TsModel;
  /** The parsed schema, for `.prisma` files. */
  prisma?: PrismaSchemaModel;
  /** The services of a docker compose file. */
  compose?: ComposeFile;
  /** SQL in this file: the whole file for `.sql`, strings passed to DB calls elsewhere. */
  sqlUnits: SqlUnit[];
  /** The tree-sitter tree of a SQL unit, parsed on first request and freed after the file. */
  sqlTree(unit: SqlUnit): Tree;
  /** The workspace index, for rules that look across files while checking one. */
  index: WorkspaceIndex;
  report(finding: ReportInput): void;
}

/** What a cross-file rule sees: the facts of every file. */
export interface WorkspaceContext {
  index: WorkspaceIndex;
  options: RuleOptions;
  /** The current text of a workspace file, for fixes; undefined if it cannot be read. */
  readText(file: string): string | undefined;
  report(file: string, finding: ReportInput): void;
}

export interface Rule {
  meta: RuleMeta;
  /** Checks one file. Runs for files of `meta.language`; SQL rules also get embedded SQL. */
  check?(ctx: FileContext): void;
  /**
   * SQL rules: `check` also runs on Python files without embedded SQL, for settings Python code
   * passes as data (`duckdb.connect(config={...})`).
   */
  checksPythonToo?: boolean;
  /** Checks the workspace as a whole from the index; runs after every file's facts are in. */
  checkWorkspace?(ctx: WorkspaceContext): void;
  /** Records traits of Python functions this rule needs across files (see `FunctionFacts`). */
  pythonTraits?: TraitContributor;
  /** Records traits of Python modules' own code this rule needs across files (see `FileFacts`). */
  pythonModuleTraits?: ModuleTraitContributor;
}
