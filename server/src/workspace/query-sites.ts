/**
 * Where a few query sites of the workspace are, for messages reported elsewhere (at a model
 * column): `app/views.py:12 in \`find_member\``. A finding at the column that only counts its
 * queries leaves the reader to search for them.
 */
import { LineIndex } from '../engine/positions';
import type { FileFacts } from './facts';
import type { WorkspaceIndex } from './index';

/** A place in a file of the workspace. */
export interface Site {
  file: string;
  start: number;
}

/**
 * A file's path as a message shows it: from the root package of its module (`app/views.py` for
 * module `app.views`), which is how the workspace names it; as given when that is not known.
 */
export function displayPath(facts: FileFacts | undefined, file: string): string {
  const normalized = file.replace(/\\/g, '/');
  if (!facts?.moduleName) return normalized;
  const modulePath = facts.moduleName.replace(/\./g, '/');
  const at = normalized.lastIndexOf(`/${modulePath}`);
  return at === -1 ? normalized : normalized.slice(at + 1);
}

/** Names sites, reading each file's text at most once. */
export class SiteNames {
  private readonly lines = new Map<string, LineIndex | undefined>();

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly readText: (file: string) => string | undefined,
  ) {}

  /** `app/views.py:12 in \`find_member\``: the path, the line, and the innermost function. */
  name(site: Site): string {
    const facts = this.index.get(site.file);
    const line = this.line(site.file, site.start);
    const where = `${displayPath(facts, site.file)}${line ? `:${line}` : ''}`;
    const fn = innermostFunction(facts, site.start);
    return fn ? `${where} in \`${fn}\`` : where;
  }

  /** The 1-based line of an offset in a file; undefined when the file cannot be read. */
  line(file: string, offset: number): number | undefined {
    return this.lineIndex(file)?.position(offset).line;
  }

  private lineIndex(file: string): LineIndex | undefined {
    if (!this.lines.has(file)) {
      const text = this.readText(file);
      this.lines.set(file, text === undefined ? undefined : new LineIndex(text));
    }
    return this.lines.get(file);
  }
}

/** The name of the innermost function of the file around an offset. */
function innermostFunction(facts: FileFacts | undefined, offset: number): string | undefined {
  let found: { name: string; size: number } | undefined;
  for (const fn of facts?.functions ?? []) {
    if (offset < fn.start || offset >= fn.end) continue;
    const size = fn.end - fn.start;
    if (!found || size < found.size) found = { name: fn.name, size };
  }
  return found?.name;
}
