/**
 * The engine's vocabulary: what a rule declares and what a finding carries. Plain data only, so
 * findings cross worker threads and process boundaries unchanged, and nothing here knows of LSP.
 */

/** Finding categories, ordered by the cost they usually cause (see shared/categories.md). */
export const CATEGORIES = [
  'n-plus-one',
  'unbounded-query',
  'missing-index',
  'blocking-in-async',
  'connection-churn',
  'memory-leak',
  'polling',
  'serialized-work',
  'redundant-work',
  'over-fetching',
  'resource-config',
  'build-config',
  'ui-rendering',
] as const;

export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['error', 'warning', 'info', 'hint'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Safe fixes keep behaviour; unsafe ones may change it and are applied only on request. */
export type FixSafety = 'safe' | 'unsafe';

/**
 * Languages a source file can be analysed as. `typescript` covers TypeScript and JavaScript in
 * every flavour (.ts .tsx .mts .cts .js .jsx .mjs .cjs): one parser and one rule pack read them all.
 * `compose` is a docker compose file (`docker-compose.yml`, `compose.yaml`, ...), not any YAML.
 */
export type Language = 'python' | 'sql' | 'typescript' | 'prisma' | 'compose';

/** Documentation written next to each rule, under Ruff's fixed headings. */
export interface RuleDocs {
  /** One paragraph: what the rule finds. */
  whatItDoes: string;
  /** Why the pattern is slow or fragile in production. */
  whyIsThisBad: string;
  /** Code that the rule flags. */
  example: string;
  /** The code to write instead. */
  useInstead: string;
  /** What the rule deliberately leaves alone, so users can trust a silence. */
  notFlagged: string[];
  /** Why the fix is safe or unsafe; omitted when the rule has no fix. */
  fixSafety?: string;
}

export interface RuleFixMeta {
  /** Title of the code action, e.g. "Add `LIMIT 1000`". Findings may refine it. */
  title: string;
  safety: FixSafety;
  /** Whether every finding gets a fix or only some. */
  availability: 'always' | 'sometimes';
}

/** A rule's metadata: the docs generator, settings schema and CLI all read this. */
export interface RuleMeta {
  /** Kebab-case name that reads well after "allow", e.g. `blocking-sleep-in-async`. */
  id: string;
  language: Language;
  category: Category;
  severity: Severity;
  /** One-line summary of the pattern, used in rule lists and SARIF short descriptions. */
  summary: string;
  fix?: RuleFixMeta;
  docs: RuleDocs;
}

/** A replacement of `[start, end)` (UTF-16 offsets into the file's text) by `newText`. */
export interface TextEdit {
  /** Workspace-relative or absolute path of the file edited; the finding's own file when absent. */
  file?: string;
  start: number;
  end: number;
  newText: string;
}

/** A new file a fix creates (e.g. an Alembic migration). */
export interface FileCreation {
  file: string;
  content: string;
}

export interface Fix {
  title: string;
  safety: FixSafety;
  edits: TextEdit[];
  creates?: FileCreation[];
}

/** 1-based line and column, as editors and the CLI show them. */
export interface Position {
  line: number;
  column: number;
}

export interface Finding {
  ruleId: string;
  category: Category;
  severity: Severity;
  message: string;
  /** Path as given to the engine (absolute in the CLI and server). */
  file: string;
  start: number;
  end: number;
  startPos: Position;
  endPos: Position;
  /** Fixes, preferred first. Empty when the rule cannot fix this finding. */
  fixes: Fix[];
}

/** Something the engine could not analyse, told to the user instead of a crash. */
export interface Problem {
  file: string;
  message: string;
  kind: 'skipped' | 'parse-error' | 'rule-error' | 'timeout' | 'config';
}
