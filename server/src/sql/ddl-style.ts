/**
 * How a schema file writes its DDL, so a statement a fix adds reads like its neighbours: keyword
 * case (`create index` in a lower-case file), index names (`orders__customer_id`,
 * `idx_orders_customer_id`, `orders_customer_id_idx`) and blank lines between statements.
 */

/** An index name pattern: how an index on `table (column)` is named. */
type NamingPattern = (table: string, column: string) => string;

const NAMING_PATTERNS: {
  matches: (name: string, table: string) => boolean;
  name: NamingPattern;
}[] = [
  { matches: (name, table) => name.startsWith(`${table}__`), name: (t, c) => `${t}__${c}` },
  { matches: (name, table) => name.startsWith(`idx_${table}_`), name: (t, c) => `idx_${t}_${c}` },
  { matches: (name, table) => name.startsWith(`ix_${table}_`), name: (t, c) => `ix_${t}_${c}` },
  {
    matches: (name, table) => name.startsWith(`${table}_`) && name.endsWith('_index'),
    name: (t, c) => `${t}_${c}_index`,
  },
  {
    matches: (name, table) => name.startsWith(`${table}_`) && name.endsWith('_idx'),
    name: (t, c) => `${t}_${c}_idx`,
  },
];

const DEFAULT_NAMING: NamingPattern = (table, column) => `${table}_${column}_idx`;

/** `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] <name> ON [ONLY] <table>`. */
const CREATE_INDEX =
  /\bcreate\s+(?:unique\s+)?index\s+(?:concurrently\s+)?(?:if\s+not\s+exists\s+)?"?([\w$]+)"?\s+on\s+(?:only\s+)?(?:"?[\w$]+"?\.)?"?([\w$]+)"?/gi;

/**
 * The name the file's own indexes suggest for a new index on `table (column)`: the pattern most
 * of its `CREATE INDEX` statements follow, `<table>_<column>_idx` when none shows one.
 */
export function indexNameLike(text: string, table: string, column: string): string {
  const votes = new Map<NamingPattern, number>();
  for (const [, name, on] of text.matchAll(CREATE_INDEX)) {
    const pattern = NAMING_PATTERNS.find((candidate) =>
      candidate.matches(name.toLowerCase(), on.toLowerCase()),
    );
    if (pattern) votes.set(pattern.name, (votes.get(pattern.name) ?? 0) + 1);
  }
  let best: NamingPattern = DEFAULT_NAMING;
  let most = 0;
  for (const [pattern, count] of votes) {
    if (count > most) [best, most] = [pattern, count];
  }
  return unusedName(text, best(table, column));
}

/**
 * `name`, or `name_2`, `name_3`... when the file already names something so: an index of that
 * name dropped further down (`DROP INDEX shares_search_id_idx`) would drop the new one too, and a
 * second `CREATE INDEX` of one name fails.
 */
function unusedName(text: string, name: string): string {
  const used = (candidate: string): boolean =>
    new RegExp(`(?<![\\w$])"?${escapeRegExp(candidate)}"?(?![\\w$])`, 'i').test(text);
  if (!used(name)) return name;
  let suffix = 2;
  while (used(`${name}_${suffix}`)) suffix++;
  return `${name}_${suffix}`;
}

/** Whether the file writes its keywords in lower case (`create table`), as many schema files do. */
export function writesLowerCaseKeywords(text: string): boolean {
  const lower = (text.match(/\bcreate\s+(?:table|index)\b/g) ?? []).length;
  const upper = (text.match(/\bCREATE\s+(?:TABLE|INDEX)\b/g) ?? []).length;
  return lower > upper;
}

/** What goes before a statement added after the one ending at `end`: a blank line if one follows. */
export function statementSeparator(text: string, end: number): string {
  return /^[ \t]*\r?\n[ \t]*\r?\n/.test(text.slice(end, end + 16)) ? '\n\n' : '\n';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
