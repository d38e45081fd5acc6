/**
 * What a module may do to the values it imports from other modules of the workspace:
 * `cache.clear()` of `import { cache } from './cache'`, `delete byId[id]`, `byKey[k].splice(i, 1)`,
 * `store.cache.delete(k)` of `import * as store` (or of a CommonJS `require`), handing `cache` to a
 * call, returning or aliasing it, or putting it in an object or array. Recorded in the module's facts
 * (`FileFacts.valueChanges`) under the names the value is imported by (`cache`, or `byId` as well as
 * `idsByName` of `import { idsByName as byId }`), and as `<module>.*` when the module's whole
 * namespace is handed on, so that `module-collection-only-grows` can tell whether an exported
 * collection that only grows in its own file is shrunk, or may be, anywhere else.
 *
 * Read from the text around each occurrence of an imported name, as `member-changes.ts` reads
 * classes: this runs for every file, so there is no walk of the tree. Only imports of workspace
 * modules are read. Occurrences in comments and strings count too; recording too much only leaves
 * more collections alone. Tests, scripts, seeds and migrations record nothing: they run in a
 * process of their own (a test's `cache.clear()` in `afterEach` resets it between tests), so what
 * they remove does not bound the server's collection.
 */
import { ts } from './compiler';
import {
  DELETED_BEFORE,
  HANDED_ON_BEFORE,
  isArgument,
  LOOK_BEHIND,
  openingBracket,
  readAt,
  SHRINK_METHODS,
  skipSpace,
} from './member-changes';
import { isScriptOrTestPath } from './knowledge';
import type { TsImport, TsModel } from './model';

/** Calls that only read a collection handed to them; any other call may evict from it. */
export const READING_CALLS =
  /^(?:Map|Set|Array|JSON\.stringify|Array\.from|Array\.isArray|Object\.(?:keys|values|entries|freeze)|structuredClone|console\.\w+|String|Boolean|Number)$/;

/** A character an occurrence of a name may not follow (`xCache`, `this.cache`) or precede. */
const NAME_BEFORE = /[\w$.]/;
const NAME_AFTER = /[\w$]/;
/** `.`, `?.`, `!.` between an object and its member. */
const ACCESS = String.raw`\s*!?\s*\??\.\s*`;
const SHRINKING = [...SHRINK_METHODS].join('|');
/** `.member` (sticky: read where the name before ends). */
const MEMBER = new RegExp(String.raw`${ACCESS}([A-Za-z_$][\w$]*)`, 'y');
/** What follows a collection that changes: a shrinking call, an assignment, `.length = 0`. */
const CHANGED_AFTER = new RegExp(
  String.raw`(?:${ACCESS}(?:${SHRINKING})\s*\(|(?:${ACCESS}length)?\s*(?:=(?![=>])|\?\?=|\|\|=|&&=))`,
  'y',
);
/** What follows `x[key]` when the entry's own list is trimmed: `.splice(`, `.length = 0`. */
const ENTRY_CHANGED_AFTER = new RegExp(
  String.raw`(?:${ACCESS}(?:${SHRINKING})\s*\(|${ACCESS}length\s*=(?![=>]))`,
  'y',
);
/** `[` after a name, `?.[` and `![` too. */
const INDEXED = /\s*!?\s*(?:\?\.\s*)?\[/y;
/** A call of the name (`getUser(id)`, `sql\`...\``): an imported function, not a collection. */
const CALLED_AFTER = /\s*(?:\?\.\s*)?[(`]/y;
/** A member access that goes on (`x.a.b`, `x.a[k]`, `x.a(...)`): not a `delete x.key`. */
const GOES_ON = /\s*(?:[.[(]|\?\.|!)/y;
/** A value that flows on: `=> x`, `?? x`, `|| x`, `cond ? x : y`, `{ key: x }`. */
const FLOWS_BEFORE = /(?:=>|\?\?|\|\||[?:])\s*$/;
const FLOWS_AFTER = /\s*(?:\?\?|\|\|)/y;
/** The callee of a call whose first argument starts right after it (`JSON.stringify(`). */
const CALLEE_BEFORE = /([\w$.]+)\s*$/;
/** How far a closing bracket is looked for. */
const MAX_KEY_LENGTH = 200;

/** The position of the `]` that closes the `[` at `open`, if near. */
function closingBracket(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length && i < open + MAX_KEY_LENGTH; i++) {
    const char = text[i];
    if (char === '[' || char === '(' || char === '{') depth++;
    else if ((char === ']' || char === ')' || char === '}') && --depth === 0) return i;
  }
  return undefined;
}

/** Whether the value at `text[start, end)` is passed to a call that may keep or change it. */
function passedToCall(text: string, start: number, end: number): boolean {
  if (!isArgument(text, start, end)) return false;
  const before = skipSpace(text, start - 1, -1);
  if (text[before] !== '(') return true;
  const callee = CALLEE_BEFORE.exec(text.slice(Math.max(0, before - 80), before));
  return !callee || !READING_CALLS.test(callee[1]);
}

/** Whether `text[start, end)` is an element of an object or array literal: `{ cache }`, `[a, cache]`. */
function isListed(text: string, start: number, end: number): boolean {
  const beforeAt = skipSpace(text, start - 1, -1);
  const before = text[beforeAt];
  const after = text[skipSpace(text, end, 1)];
  if (!'{[,'.includes(before ?? '') || !'}],'.includes(after ?? '')) return false;
  return before !== ',' || openingBracket(text, beforeAt - 1) !== '(';
}

/** Whether the whole value at `text[start, end)` goes on to other code. */
function handedOn(text: string, start: number, end: number): boolean {
  const behind = text.slice(Math.max(0, start - LOOK_BEHIND), start);
  return (
    HANDED_ON_BEFORE.test(behind) ||
    FLOWS_BEFORE.test(behind) ||
    !!readAt(FLOWS_AFTER, text, end) ||
    passedToCall(text, start, end) ||
    isListed(text, start, end)
  );
}

/**
 * Whether the collection named at `text[start, end)` may shrink there, or (unless `handOn` is
 * false) goes where it may.
 */
function valueChangeAt(text: string, start: number, end: number, handOn = true): boolean {
  if (readAt(CALLED_AFTER, text, end)) return false;
  const deleted = DELETED_BEFORE.test(text.slice(Math.max(0, start - LOOK_BEHIND), start));
  if (readAt(CHANGED_AFTER, text, end)) return true;
  if (readAt(INDEXED, text, end)) {
    if (deleted) return true;
    const close = closingBracket(text, INDEXED.lastIndex - 1);
    return close !== undefined && !!readAt(ENTRY_CHANGED_AFTER, text, close + 1);
  }
  // `x.get(k)`, `x.set(k, v)`, `x.size`: a read or an addition; `delete x.key` removes one.
  if (readAt(MEMBER, text, end)) return deleted && !readAt(GOES_ON, text, MEMBER.lastIndex);
  return handOn && handedOn(text, start, end);
}

/** Where the module's import and export declarations are: the names there are not uses. */
function declarationRanges(model: TsModel): [number, number][] {
  const ranges: [number, number][] = [];
  for (const statement of model.sourceFile.statements)
    if (
      ts.isImportDeclaration(statement) ||
      ts.isExportDeclaration(statement) ||
      ts.isImportEqualsDeclaration(statement) ||
      (ts.isVariableStatement(statement) && /\brequire\s*\(/.test(statement.getText()))
    )
      ranges.push([statement.getStart(), statement.end]);
  return ranges;
}

/**
 * The names (and `<module>.*` keys) of imported workspace values the module may change; see the
 * file's comment. `moduleOf` names the workspace module an import comes from (undefined outside).
 */
export function importedValueChanges(
  model: TsModel,
  moduleOf: (imported: TsImport) => string | undefined,
): string[] {
  if (isScriptOrTestPath(model.relativePath)) return [];
  const imports = [...model.imports.values()]
    .map((imported) => ({ imported, module: moduleOf(imported) }))
    .filter((entry): entry is { imported: TsImport; module: string } => !!entry.module);
  if (imports.length === 0) return [];
  const { text } = model;
  const skipped = declarationRanges(model);
  const changes = new Set<string>();
  for (const { imported, module } of imports) {
    const { local } = imported;
    // A named import is the value; a namespace or default import holds the module's values.
    const holder = imported.imported === '*' || imported.imported === 'default';
    const whole = holder ? [`${module}.*`] : [...new Set([imported.imported, local])];
    for (let at = text.indexOf(local); at >= 0; at = text.indexOf(local, at + local.length)) {
      const end = at + local.length;
      if ((at > 0 && NAME_BEFORE.test(text[at - 1])) || NAME_AFTER.test(text[end] ?? '')) continue;
      if (skipped.some(([from, to]) => at >= from && at < to)) continue;
      if (valueChangeAt(text, at, end)) {
        for (const name of whole) changes.add(name);
        if (!holder) continue;
      }
      // `store.cache.clear()`, `const c = store.cache`: the member of a namespace. A named import
      // may be one too (`export * as store`), but its members are mostly a collection's own
      // (`sessions.size`), so only a removal counts there.
      const member = readAt(MEMBER, text, end);
      if (member && valueChangeAt(text, at, MEMBER.lastIndex, holder)) changes.add(member[1]);
    }
  }
  return [...changes].sort();
}
