/**
 * The TypeScript compiler API, taken from ts-morph's copy so the bundle carries one TypeScript
 * (ts-morph pins TypeScript 6; 7 is the native compiler and has no JS API). Its parser is the
 * syntactic path for TypeScript and JavaScript: pure JS objects, measured faster than tree-sitter
 * for TS here, and the same AST ts-morph hands out where rules need types.
 */
import * as tsMorph from 'ts-morph';
import { ts } from 'ts-morph';

export { ts };

/**
 * Makes sure the compiler is loaded. In the bundles `ts` starts empty and is filled here on the
 * first TypeScript parse, so runs that see no TypeScript never pay its start-up (see
 * scripts/plain-typescript-namespace.mjs); unbundled (tests) it is loaded already.
 */
export function loadTypeScript(): void {
  (tsMorph as { loadTypeScript?: () => void }).loadTypeScript?.();
}

/**
 * ts-morph, for the type-aware analysis. The bundles load it on first use (see
 * scripts/plain-typescript-namespace.mjs); unbundled (tests) it is the module imported here.
 */
export function loadTsMorph(): typeof tsMorph {
  const standIn = tsMorph as { loadTsMorph?: () => typeof tsMorph };
  return standIn.loadTsMorph ? standIn.loadTsMorph() : tsMorph;
}

/**
 * A set of syntax kinds built on first use: in the bundles the compiler loads lazily, so module
 * top levels must not read `ts.SyntaxKind`.
 */
export function lazyKinds(list: () => ts.SyntaxKind[]): () => ReadonlySet<ts.SyntaxKind> {
  let kinds: ReadonlySet<ts.SyntaxKind> | undefined;
  return () => (kinds ??= new Set(list()));
}

function scriptKindOf(path: string): ts.ScriptKind {
  const extension = path.slice(path.lastIndexOf('.')).toLowerCase();
  switch (extension) {
    case '.tsx':
      return ts.ScriptKind.TSX;
    case '.jsx':
      return ts.ScriptKind.JSX;
    case '.js':
    case '.mjs':
    case '.cjs':
      return ts.ScriptKind.JS;
    default:
      return ts.ScriptKind.TS;
  }
}

/**
 * Re-parses `text` from the tree of the document's previous text: the changed span is found by
 * comparing the texts from both ends, and the compiler's incremental parser reuses every node
 * outside it. `previous` must not be used afterwards (its nodes are reused or invalidated).
 */
export function reparseTypeScript(previous: ts.SourceFile, text: string): ts.SourceFile {
  const old = previous.text;
  if (old === text) return previous;
  let start = 0;
  const shorter = Math.min(old.length, text.length);
  while (start < shorter && old.charCodeAt(start) === text.charCodeAt(start)) start++;
  let oldEnd = old.length;
  let newEnd = text.length;
  while (
    oldEnd > start &&
    newEnd > start &&
    old.charCodeAt(oldEnd - 1) === text.charCodeAt(newEnd - 1)
  ) {
    oldEnd--;
    newEnd--;
  }
  return ts.updateSourceFile(previous, text, {
    span: { start, length: oldEnd - start },
    newLength: newEnd - start,
  });
}

/** Syntax errors of TypeScript/JavaScript text, as `line:column message` strings. */
export function typeScriptSyntaxErrors(text: string, path: string): string[] {
  const sourceFile = parseTypeScript(text, path) as ts.SourceFile & {
    parseDiagnostics?: readonly ts.Diagnostic[];
  };
  return (sourceFile.parseDiagnostics ?? []).map((diagnostic) => {
    const { line, character } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    return `${line + 1}:${character + 1} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

/**
 * Options of every parse. JSDoc comments are left unparsed (no rule reads them; parsing them costs
 * ~40% of the parse of a JSDoc-heavy file); incremental re-parses inherit the mode from the tree.
 */
let parseOptions: ts.CreateSourceFileOptions | undefined;

/** The options, made on first use (the compiler loads lazily in the bundles). */
function parseOptionsOf(): ts.CreateSourceFileOptions {
  return (parseOptions ??= {
    languageVersion: ts.ScriptTarget.Latest,
    jsDocParsingMode: ts.JSDocParsingMode.ParseNone,
  });
}

/** The node whose children `bindParent` is visiting. */
let parentOfVisited: ts.Node | undefined;
/** Where `bindParent` lists the nodes it links, for a tree that will be released. */
let linked: ts.Node[] | undefined;

/** `ts.forEachChild` callback: points `child` at its parent, then does the same below it. */
function bindParent(child: ts.Node): undefined {
  linked?.push(child);
  (child as { parent: ts.Node | undefined }).parent = parentOfVisited;
  parentOfVisited = child;
  ts.forEachChild(child, bindParent);
  parentOfVisited = child.parent;
  return undefined;
}

/**
 * Sets every node's `parent`, as the parser's `setParentNodes` does but in one plain recursion
 * with no closure or work list per node: parents cost a quarter of the parse the compiler's way.
 * With JSDoc unparsed there are no JSDoc nodes, the only ones `forEachChild` does not reach.
 * With `record`, the linked nodes are listed in it.
 */
function setParents(sourceFile: ts.SourceFile, record?: ts.Node[]): void {
  parentOfVisited = sourceFile;
  linked = record;
  ts.forEachChild(sourceFile, bindParent);
  // Neither may keep the last tree alive.
  parentOfVisited = undefined;
  linked = undefined;
}

function parse(text: string, path: string): ts.SourceFile {
  loadTypeScript();
  const kind = scriptKindOf(path);
  return ts.createSourceFile(
    path,
    text,
    parseOptionsOf(),
    false,
    kind === ts.ScriptKind.JS ? ts.ScriptKind.JSX : kind,
  );
}

/**
 * Parses TypeScript or JavaScript (JSX by extension), with parent pointers. The parser recovers
 * from syntax errors, so a half-typed file still yields a tree for the parts that parse. `.js`
 * files are parsed as JSX-capable JavaScript, since React code often lives in `.js`.
 */
export function parseTypeScript(text: string, path: string): ts.SourceFile {
  const sourceFile = parse(text, path);
  setParents(sourceFile);
  return sourceFile;
}

/** A tree parsed for one analysis, and how to let it go once the analysis is done. */
export interface OneUseTree {
  sourceFile: ts.SourceFile;
  /** Unlinks the parents; the tree must not be used afterwards. */
  release(): void;
}

/**
 * Parses like `parseTypeScript`, for a caller that drops the tree as soon as it has analysed it
 * (a scan). `release()` unlinks the parents again, which is cheap (the linked nodes are listed)
 * and saves more in garbage collection than it costs. Why: the parser makes children before their
 * parents, so when a young-generation GC lands during a parse, the children made so far move to
 * the old generation and the parents made after stay young. Parent links then point from old to
 * young objects, and V8 keeps a young object alive while any old object points at it, dead or
 * not, until a full GC: each such file's young nodes survived, were copied to the old generation
 * and made more of the same. Over the 504-file benchmark corpus that was 85 MB promoted instead of
 * 36, scavenges 160 instead of 70 ms, and ~50 MB more peak RSS.
 */
export function parseTypeScriptOnce(text: string, path: string): OneUseTree {
  const sourceFile = parse(text, path);
  const nodes: ts.Node[] = [];
  setParents(sourceFile, nodes);
  return {
    sourceFile,
    release: () => {
      for (const node of nodes) (node as { parent: ts.Node | undefined }).parent = undefined;
      nodes.length = 0;
    },
  };
}
