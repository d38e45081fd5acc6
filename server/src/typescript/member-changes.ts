/**
 * What a module may do to the members of classes it imports: `TemplateCache.compiled.clear()`,
 * `Cache.entries = new Map()`, `Cache.entries.length = 0`, `delete Cache.byId[id]`,
 * `Cache['entries']`, handing `Cache.entries` or `Cache` itself to a call, aliasing or extending
 * `Cache`. Recorded in the module's facts as `<Class>.<member>` (`<Class>.*` when any member may
 * change), under the name the class is exported by and the one it is imported as, so that
 * `module-collection-only-grows` can tell whether a public static that only grows in its own file
 * is shrunk anywhere else.
 *
 * Read from the text around each occurrence of an imported class name (found with `indexOf`, no
 * walk of the tree, no pass over every call): this runs for every file. Occurrences in comments
 * and strings count too; recording too much only leaves more statics alone.
 */
import type { TsModel } from './model';

/** Methods that remove entries from a `Map`, `Set` or array. */
export const SHRINK_METHODS = new Set(['delete', 'clear', 'splice', 'shift', 'pop']);

/** Classes are named in capitals: other imports (functions, objects, clients) are not recorded. */
const CLASS_NAME = /^[A-Z]/;
/** A character an occurrence of a name may not follow (`xCache`, `this.Cache`) or precede. */
const NAME_BEFORE = /[\w$.]/;
const NAME_AFTER = /[\w$]/;
/** `.member` (sticky: read where the previous name ends). */
const MEMBER = /\s*\.\s*([A-Za-z_$][\w$]*)/y;
/** `[key]`, but not `[]` (an array type: `User[]`). */
const INDEXED = /\s*\[(?!\s*\])/y;
/** What follows `X.member` when it changes: a shrinking call, an assignment, `.length = 0`. */
const CHANGED_AFTER = new RegExp(
  String.raw`\s*(?:\.\s*(?:${[...SHRINK_METHODS].join('|')})\s*\(|(?:\.\s*length\s*)?(?:=(?![=>])|\?\?=|\|\|=|&&=))`,
  'y',
);
/** What precedes `X.member[key]` that deletes an entry. */
export const DELETED_BEFORE = /\bdelete\s+$/;
/** What precedes the class itself when it is aliased, returned or extended. */
export const HANDED_ON_BEFORE = /(?:\b(?:extends|return)\s+|[^=!<>]=\s*)$/;
/** How far back the words before an occurrence are read. */
export const LOOK_BEHIND = 12;

/** An import that may be a class: the names other modules know it by, or a namespace of them. */
type ClassImport = { names: string[] } | 'namespace';

function classImports(model: TsModel): Map<string, ClassImport> {
  const imports = new Map<string, ClassImport>();
  for (const [local, imported] of model.imports) {
    if (imported.imported === '*') {
      imports.set(local, 'namespace');
      continue;
    }
    const names = [...new Set([imported.imported, local])];
    if (names.some((name) => CLASS_NAME.test(name))) imports.set(local, { names });
  }
  return imports;
}

/** The position of the first character after `from` that is not white space. */
export function skipSpace(text: string, from: number, step: 1 | -1): number {
  let at = from;
  while (at >= 0 && at < text.length && /\s/.test(text[at])) at += step;
  return at;
}

/** How far back the bracket an argument list opens with is looked for. */
const MAX_ARGUMENTS_LENGTH = 400;
const CLOSING = new Set([')', ']', '}']);
const OPENING = new Set(['(', '[', '{']);

/** The bracket that opens the list `at` is in (`(` of a call, `{` of `import { A, B }`). */
export function openingBracket(text: string, at: number): string | undefined {
  let depth = 0;
  for (let i = at; i >= 0 && i > at - MAX_ARGUMENTS_LENGTH; i--) {
    const char = text[i];
    if (CLOSING.has(char)) depth++;
    else if (OPENING.has(char) && depth-- === 0) return char;
  }
  return undefined;
}

/**
 * Whether `text[start, end)` is an argument of a call: between `(` or `,` and `)` or `,`, in a
 * list opened by `(` (not an import list or an array).
 */
export function isArgument(text: string, start: number, end: number): boolean {
  const beforeAt = skipSpace(text, start - 1, -1);
  const before = text[beforeAt];
  const after = text[skipSpace(text, end, 1)];
  if (!(before === '(' || before === ',') || !(after === ')' || after === ',')) return false;
  return before === '(' || openingBracket(text, beforeAt - 1) === '(';
}

/** Reads `pattern` (a sticky one) at `at`: the match and where it ends. */
export function readAt(pattern: RegExp, text: string, at: number): RegExpExecArray | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text) ?? undefined;
}

/**
 * What the occurrence of a class at `start`, whose name ends at `end`, may change: a member, `*`
 * for any, or undefined when it only reads or calls.
 */
function changeAt(text: string, start: number, end: number): string | undefined {
  const behind = text.slice(Math.max(0, start - LOOK_BEHIND), start);
  if (readAt(INDEXED, text, end)) return '*';
  const member = readAt(MEMBER, text, end);
  if (!member)
    return HANDED_ON_BEFORE.test(behind) || isArgument(text, start, end) ? '*' : undefined;
  const after = MEMBER.lastIndex;
  if (readAt(CHANGED_AFTER, text, after) || DELETED_BEFORE.test(behind)) return member[1];
  return isArgument(text, start, after) ? member[1] : undefined;
}

/** The `<Class>.<member>` and `<Class>.*` keys of the module's changes to imported classes. */
export function importedMemberChanges(model: TsModel): string[] {
  const imports = classImports(model);
  if (imports.size === 0) return [];
  const { text } = model;
  const changes = new Set<string>();
  for (const [local, imported] of imports) {
    for (let at = text.indexOf(local); at >= 0; at = text.indexOf(local, at + local.length)) {
      const end = at + local.length;
      if ((at > 0 && NAME_BEFORE.test(text[at - 1])) || NAME_AFTER.test(text[end] ?? '')) continue;
      let names: string[];
      let nameEnd = end;
      if (imported === 'namespace') {
        // `ns.Cache.entries`: the class is the namespace's member.
        const member = readAt(MEMBER, text, end);
        if (!member || !CLASS_NAME.test(member[1])) continue;
        names = [member[1]];
        nameEnd = MEMBER.lastIndex;
      } else names = imported.names;
      const change = changeAt(text, at, nameEnd);
      if (change) for (const name of names) changes.add(`${name}.${change}`);
    }
  }
  return [...changes].sort();
}
