import type { FileContext, Rule } from '../../server/src/engine/rule';
import { duckdbConfigEntries } from '../../server/src/python/duckdb-config';
import { isMigrationPath, statementRange } from '../../server/src/sql/helpers';
import { settingAssignment } from '../../server/src/sql/statements';
import type { SqlToken } from '../../server/src/sql/tokens';

/** Below this many bytes a DuckDB memory limit is low for analytical work (1 GB). */
const LOW_MEMORY_BYTES = 1e9;
/** Below this many threads DuckDB gives up its parallelism. */
const LOW_THREADS = 2;

const MEMORY_SETTINGS = new Set(['memory_limit', 'max_memory']);
const THREAD_SETTINGS = new Set(['threads', 'worker_threads']);
const UNITS: Record<string, number> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;
const TEST_PATH = /(^|\/)(tests?|testing)\/|(^|\/)(test_[^/]*|[^/]*_test|conftest)\.py$/;

/** Bytes of a DuckDB size literal (`'512MB'`, `'1.5GiB'`), or undefined when it is not one. */
function bytesOf(value: SqlToken[]): number | undefined {
  if (value.length !== 1 || value[0].type !== 'string') return undefined;
  return bytesOfSize(value[0].text.slice(1, -1));
}

/** Bytes of a size as DuckDB reads it (`512MB`, `1.5GiB`), or undefined when it is not one. */
function bytesOfSize(text: string): number | undefined {
  const match = SIZE.exec(text);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Number(match[1]) * unit;
}

/** A thread count literal: `1` or `'1'`. */
function countOf(value: SqlToken[]): number | undefined {
  if (value.length !== 1) return undefined;
  const text = value[0].type === 'string' ? value[0].text.slice(1, -1) : value[0].text;
  if (value[0].type !== 'number' && value[0].type !== 'string') return undefined;
  return countOfText(text);
}

function countOfText(text: string): number | undefined {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
}

/** What is wrong with a memory setting of `bytes`, or undefined when it is not low. */
function memoryProblem(name: string, bytes: number | undefined): string | undefined {
  if (bytes === undefined || bytes >= LOW_MEMORY_BYTES) return undefined;
  return `\`${name}\` caps DuckDB at ${formatBytes(bytes)}: larger joins and aggregations spill to disk or fail with out-of-memory`;
}

/** What is wrong with a thread setting of `threads`, or undefined when it is not low. */
function threadsProblem(name: string, threads: number | undefined): string | undefined {
  if (threads === undefined || threads <= 0 || threads >= LOW_THREADS) return undefined;
  return `\`${name} = ${threads}\` runs every DuckDB query on one core: scans, joins and aggregations lose their parallelism`;
}

/** Low settings in the literal `config=` dict of `duckdb.connect(...)`, reported on the entry. */
function checkConnectConfig(ctx: FileContext): void {
  if (!ctx.python || !ctx.python.source.includes('duckdb')) return;
  for (const entry of duckdbConfigEntries(ctx.python)) {
    let message: string | undefined;
    // DuckDB reads a size only from a string; a bare number there is an error, not a limit.
    if (MEMORY_SETTINGS.has(entry.name))
      message = entry.quoted ? memoryProblem(entry.name, bytesOfSize(entry.value)) : undefined;
    else if (THREAD_SETTINGS.has(entry.name))
      message = threadsProblem(entry.name, countOfText(entry.value));
    if (message) ctx.report({ start: entry.pair.startIndex, end: entry.pair.endIndex, message });
  }
}

/** SQLite also has `PRAGMA threads` (helper threads, harmless when low). */
function isSqliteOnly(ctx: FileContext): boolean {
  const modules = ctx.python ? [...ctx.python.imports.values()] : [];
  return (
    modules.some((m) => m === 'sqlite3' || m.startsWith('sqlite3.')) &&
    !modules.some((m) => m === 'duckdb' || m.startsWith('duckdb.'))
  );
}

function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${+(bytes / 1e9).toFixed(2)} GB` : `${+(bytes / 1e6).toFixed(1)} MB`;
}

/** DuckDB memory and thread settings hard-coded too low for the work. */
export const lowDuckdbResourceSetting: Rule = {
  meta: {
    id: 'low-duckdb-resource-setting',
    language: 'sql',
    category: 'resource-config',
    severity: 'info',
    summary: 'DuckDB `memory_limit` below 1 GB or `threads` set to 1, hard-coded',
    docs: {
      whatItDoes:
        'Finds DuckDB settings that cap its resources low, in `.sql` files and SQL strings passed to ' +
        '`execute`/`sql`: `SET memory_limit` (or `max_memory`) to less than 1 GB (decimal units: `KB`, ' +
        '`MB`, `GB` are powers of 1000, `KiB`, `MiB`, `GiB` of 1024), and `SET threads` (or ' +
        '`worker_threads`) / `PRAGMA threads` to 1. `SET GLOBAL`, `SET ... TO` and `PRAGMA name=value` ' +
        "forms are read, and so are the same settings in the literal `config=` dict of Python's " +
        '`duckdb.connect(path, config={"memory_limit": "512MB", "threads": 1})`.',
      whyIsThisBad:
        "DuckDB's defaults use 80% of the machine's memory and one thread per core. A limit written for a " +
        'laptop or a test stays in production: aggregations and joins over more data than the limit spill ' +
        'to disk or fail with `Out of Memory Error`, and a single thread makes every scan, join and ' +
        'aggregation run on one core while the others idle.',
      example: [
        'con.execute("SET memory_limit = \'256MB\'")',
        'con.execute("SET threads = 1")',
      ].join('\n'),
      useInstead: [
        '# leave the defaults, or size from the environment',
        'con.execute(f"SET memory_limit = \'{settings.duckdb_memory}\'")',
        'con.execute(f"SET threads = {os.cpu_count()}")',
      ].join('\n'),
      notFlagged: [
        'Limits of 1 GB or more and two or more threads.',
        'Values computed at run time (`SET memory_limit = ?`, f-string holes, `config=cfg` or ' +
          '`{"threads": os.cpu_count()}` in `duckdb.connect`): the rule cannot see them.',
        '`PRAGMA threads` in Python files that use `sqlite3` and not `duckdb` (SQLite has a `threads` pragma of its own).',
        'Test files (`tests/`, `test_*.py`, `conftest.py`), where small limits make tests deterministic, and migration folders.',
      ],
    },
  },
  checksPythonToo: true,
  check(ctx) {
    if (isMigrationPath(ctx.relativePath) || TEST_PATH.test(ctx.relativePath)) return;
    checkConnectConfig(ctx);
    for (const unit of ctx.sqlUnits) {
      for (const statement of unit.statements) {
        const setting = settingAssignment(statement);
        if (!setting) continue;
        let message: string | undefined;
        if (MEMORY_SETTINGS.has(setting.name)) {
          message = memoryProblem(setting.name, bytesOf(setting.value));
        } else if (THREAD_SETTINGS.has(setting.name)) {
          if (statement.tokens[0].upper === 'PRAGMA' && isSqliteOnly(ctx)) continue;
          message = threadsProblem(setting.name, countOf(setting.value));
        }
        if (message) ctx.report({ ...statementRange(unit, statement), message });
      }
    }
  },
};
