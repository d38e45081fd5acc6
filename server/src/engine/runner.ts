/**
 * Runs rules. Each rule is isolated: an exception is recorded as a problem and the other rules go
 * on. A file's rules share a time budget; rules are synchronous, so the budget is checked between
 * rules, and rules left when it runs out are skipped with a message rather than stalling the caller.
 */
import type { PreparedFile } from '../languages/prepared';
import type { DiscoveryOptions } from '../workspace/discovery';
import type { WorkspaceIndex } from '../workspace/index';
import type { LineIndex } from './positions';
import type { Tree } from 'web-tree-sitter';
import type { ComposeFile } from '../compose/document';
import type { PrismaSchemaModel } from '../prisma/schema';
import type { PythonModel } from '../python/model';
import type { TsModel } from '../typescript/model';
import type { ModuleAliases } from '../typescript/path-aliases';
import type { SqlUnit } from '../sql/unit';
import type { FileContext, ReportInput, Rule, RuleOptions, WorkspaceContext } from './rule';
import type { Finding, Language, Problem, Severity } from './types';
import { overriddenSetting, type FileOverrides } from './overrides';

export interface RunSettings {
  options: RuleOptions;
  /** Severity per rule id, overriding the rule's default. */
  severities?: ReadonlyMap<string, Severity>;
  /** Milliseconds the rules of one file may take together. */
  budgetMs?: number;
  /**
   * Type-aware TypeScript analysis (ts-morph) over the workspace discovery describes; off when
   * undefined. Plain data, so worker threads build their own program.
   */
  typeAware?: DiscoveryOptions;
  /**
   * The workspace's tsconfig/jsconfig `paths` and `baseUrl`, read once per workspace: facts resolve
   * TypeScript imports through them. Plain data, so worker threads get the same table.
   */
  moduleAliases?: ModuleAliases;
  /** perflens.json `overrides`: rule settings per file, applied to each finding. */
  overrides?: FileOverrides;
}

export interface RunResult {
  findings: Finding[];
  problems: Problem[];
}

export interface FileRunResult extends RunResult {
  /** Rules that read the workspace index for this file: their findings depend on other files. */
  indexReaders: string[];
  /** Index readers that were stopped (see `FileRunOptions`): they must run again once the index is complete. */
  deferred: string[];
}

export interface FileRunOptions {
  /**
   * The index is still being built (first pass of a parallel scan): a rule that reads it gets
   * deferred instead of reporting findings based on half a workspace.
   */
  deferIndexUsers?: boolean;
  /**
   * Function facts are still incomplete (a scan adds files in order): a rule that asks about the
   * workspace's functions (`resolve`, `functions`, `allFacts`, `get`) gets deferred, while rules
   * that read only the schema, which a scan indexes first, run at once.
   */
  deferFunctionReaders?: boolean;
  /** Only run these rule ids. */
  only?: ReadonlySet<string>;
}

const DEFAULT_BUDGET_MS = 2000;

/**
 * Converts what a rule reported into a finding with positions; undefined when the config turns
 * the rule off for the file (`overrides`).
 */
export function makeFinding(
  rule: Rule,
  file: string,
  lines: LineIndex,
  input: ReportInput,
  settings: RunSettings,
): Finding | undefined {
  const overridden =
    settings.overrides && overriddenSetting(settings.overrides, rule.meta.id, file);
  if (overridden === 'off') return undefined;
  const start = Math.max(0, Math.min(input.start, lines.text.length));
  const end = Math.max(start, Math.min(input.end, lines.text.length));
  return {
    ruleId: rule.meta.id,
    category: rule.meta.category,
    severity: overridden ?? settings.severities?.get(rule.meta.id) ?? rule.meta.severity,
    message: input.message,
    file,
    start,
    end,
    startPos: lines.position(start),
    endPos: lines.position(end),
    fixes: input.fixes ?? [],
  };
}

/**
 * Thrown from `ctx.index` when the index is still incomplete: the rule stops at once (its findings
 * would be discarded anyway) instead of querying half a workspace, which made the first pass of a
 * scan quadratic.
 */
class DeferredForIndex extends Error {}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/**
 * Index queries that answer from function, class and instance facts, as opposed to the schema
 * views: those facts are complete only once every file is in (test/scan-lanes.test.ts proves each
 * rule's findings do not depend on the order files are scanned in).
 */
const FUNCTION_QUERIES = new Set<PropertyKey>([
  'functions',
  'resolve',
  'allFacts',
  'get',
  'size',
  'ormModelOf',
  'fieldOrmOf',
  'fieldPathOrmOf',
  'tortoiseRelationsOf',
  'instanceClassNames',
  'callSitesNamed',
  'changesImportedMember',
  'hasFunctionWithTrait',
]);

/** The index as a rule sees it while function facts are incomplete: function queries defer the rule. */
function withoutFunctions(index: WorkspaceIndex): WorkspaceIndex {
  return new Proxy(index, {
    get(target, property) {
      if (FUNCTION_QUERIES.has(property)) throw new DeferredForIndex();
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Whether `rule` checks files like `prepared` (SQL rules also check SQL embedded in code). */
export function appliesTo(rule: Rule, prepared: PreparedFile): boolean {
  if (!rule.check) return false;
  if (rule.meta.language === prepared.source.language) return true;
  if (rule.meta.language !== 'sql') return false;
  return (
    prepared.sqlUnits.length > 0 ||
    (!!rule.checksPythonToo && prepared.source.language === 'python')
  );
}

/**
 * What one rule sees of one file. A class, not an object literal with a `get index()`: V8 allocates
 * the accessor pair of such a literal in the old generation, and through its closure the young
 * collector then kept each file's model alive until the next full GC (measured with
 * `--trace-gc-nvp`: an empty rule made a scan of 400 files promote 150 MB more).
 */
class RuleFileContext implements FileContext {
  readonly file: string;
  readonly relativePath: string;
  readonly text: string;
  readonly lines: LineIndex;
  readonly language: Language;
  readonly options: RuleOptions;
  readonly python?: PythonModel;
  readonly typescript?: TsModel;
  readonly prisma?: PrismaSchemaModel;
  readonly compose?: ComposeFile;
  readonly sqlUnits: SqlUnit[];
  readonly reported: Finding[] = [];
  /** Whether the rule asked for the index: its findings depend on other files. */
  readIndex = false;

  constructor(
    private readonly prepared: PreparedFile,
    private readonly rule: Rule,
    private readonly workspaceIndex: WorkspaceIndex,
    private readonly settings: RunSettings,
    private readonly deferIndexUsers: boolean,
  ) {
    const { source } = prepared;
    this.file = source.file;
    this.relativePath = source.relativePath;
    this.text = source.text;
    this.lines = prepared.lines;
    this.language = source.language;
    this.options = settings.options;
    this.python = prepared.python;
    this.typescript = prepared.typescript;
    this.prisma = prepared.prisma;
    this.compose = prepared.compose;
    this.sqlUnits = prepared.sqlUnits;
  }

  get index(): WorkspaceIndex {
    this.readIndex = true;
    if (this.deferIndexUsers) throw new DeferredForIndex();
    return this.workspaceIndex;
  }

  sqlTree(unit: SqlUnit): Tree {
    return this.prepared.sqlTree(unit);
  }

  report(input: ReportInput): void {
    const finding = makeFinding(this.rule, this.file, this.lines, input, this.settings);
    if (finding) this.reported.push(finding);
  }
}

/** Runs the per-file rules on one prepared file. */
export function runFileRules(
  prepared: PreparedFile,
  rules: readonly Rule[],
  index: WorkspaceIndex,
  settings: RunSettings,
  runOptions: FileRunOptions = {},
): FileRunResult {
  const findings: Finding[] = [];
  const problems: Problem[] = [];
  const indexReaders: string[] = [];
  const deferred: string[] = [];
  const partialIndex = runOptions.deferFunctionReaders ? withoutFunctions(index) : index;
  const { source } = prepared;
  const deadline = performance.now() + (settings.budgetMs ?? DEFAULT_BUDGET_MS);
  const applicable = rules.filter(
    (rule) => appliesTo(rule, prepared) && (!runOptions.only || runOptions.only.has(rule.meta.id)),
  );
  for (let i = 0; i < applicable.length; i++) {
    const rule = applicable[i];
    if (performance.now() > deadline) {
      const skipped = applicable.slice(i).map((r) => r.meta.id);
      problems.push({
        file: source.file,
        kind: 'timeout',
        message: `analysis took longer than ${settings.budgetMs ?? DEFAULT_BUDGET_MS} ms; skipped ${skipped.join(', ')}`,
      });
      break;
    }
    const ctx = new RuleFileContext(
      prepared,
      rule,
      partialIndex,
      settings,
      !!runOptions.deferIndexUsers,
    );
    try {
      rule.check!(ctx);
      findings.push(...ctx.reported);
    } catch (error) {
      if (error instanceof DeferredForIndex) deferred.push(rule.meta.id);
      else {
        problems.push({
          file: source.file,
          kind: 'rule-error',
          message: `rule ${rule.meta.id} failed: ${describeError(error)}`,
        });
      }
    }
    if (ctx.readIndex) indexReaders.push(rule.meta.id);
  }
  return { findings, problems, indexReaders, deferred };
}

/** Runs the cross-file rules; findings are keyed by file. */
export function runWorkspaceRules(
  rules: readonly Rule[],
  index: WorkspaceIndex,
  settings: RunSettings,
  readText: (file: string) => string | undefined,
  lineIndexOf: (file: string) => LineIndex | undefined,
): RunResult {
  const findings: Finding[] = [];
  const problems: Problem[] = [];
  for (const rule of rules) {
    if (!rule.checkWorkspace) continue;
    const ctx: WorkspaceContext = {
      index,
      options: settings.options,
      readText,
      report: (file, input) => {
        const lines = lineIndexOf(file);
        const finding = lines && makeFinding(rule, file, lines, input, settings);
        if (finding) findings.push(finding);
      },
    };
    try {
      rule.checkWorkspace(ctx);
    } catch (error) {
      problems.push({
        file: '',
        kind: 'rule-error',
        message: `rule ${rule.meta.id} failed: ${describeError(error)}`,
      });
    }
  }
  return { findings, problems };
}

/** Findings by the file they are in, each file's in the order given. */
export function groupByFile(findings: Iterable<Finding>): Map<string, Finding[]> {
  const byFile = new Map<string, Finding[]>();
  for (const finding of findings) {
    const list = byFile.get(finding.file);
    if (list) list.push(finding);
    else byFile.set(finding.file, [finding]);
  }
  return byFile;
}

/** Orders findings by position, then rule id, and drops exact duplicates. */
export function sortFindings(findings: Finding[]): Finding[] {
  const sorted = [...findings].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.start - b.start ||
      a.end - b.end ||
      (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
  return sorted.filter(
    (f, i) =>
      i === 0 ||
      !(
        f.file === sorted[i - 1].file &&
        f.start === sorted[i - 1].start &&
        f.ruleId === sorted[i - 1].ruleId &&
        f.message === sorted[i - 1].message
      ),
  );
}
