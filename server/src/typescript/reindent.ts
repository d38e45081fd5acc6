/**
 * Re-indenting code that a fix moves one level deeper (into `Promise.all([...])`, into a callback
 * body), in the file's own indentation, without touching the text of string or template literals:
 * a line that starts inside a multi-line template is part of a run-time value (an email body, SQL,
 * markdown), and adding spaces to it would change what the program outputs.
 */
import { ts } from './compiler';
import { indentationAt } from './name-resolution';

const DEFAULT_UNIT = '  ';
const fileUnits = new WeakMap<ts.SourceFile, string>();

/**
 * The indentation step the file uses most: a tab when more lines start with a tab than with a
 * space, else the most common increase in leading spaces from one code line to the next (JSDoc
 * ` * ` lines left out), else two spaces.
 */
function fileIndentUnit(sourceFile: ts.SourceFile): string {
  const known = fileUnits.get(sourceFile);
  if (known !== undefined) return known;
  let tabLines = 0;
  let spaceLines = 0;
  let previous = 0;
  const steps = new Map<number, number>();
  for (const line of sourceFile.text.split('\n')) {
    const indentation = /^[ \t]*/.exec(line)![0];
    const rest = line.slice(indentation.length);
    if (rest.trim() === '' || rest.startsWith('*')) continue;
    if (indentation.startsWith('\t')) tabLines++;
    else if (indentation.length > 0) spaceLines++;
    const width = indentation.startsWith('\t') ? previous : indentation.length;
    if (width > previous && width - previous <= 8)
      steps.set(width - previous, (steps.get(width - previous) ?? 0) + 1);
    previous = width;
  }
  let unit = DEFAULT_UNIT;
  if (tabLines > spaceLines) unit = '\t';
  else if (steps.size > 0) {
    // The most common step; of equally common ones, the smallest.
    const [step] = [...steps].sort(([a, m], [b, n]) => n - m || a - b)[0];
    unit = ' '.repeat(step);
  }
  fileUnits.set(sourceFile, unit);
  return unit;
}

/**
 * One indentation step for code nested inside `statement`: what the statement's line adds to the
 * line of the brace that opens its block (`\t` in a tab-indented function body), or the file's
 * usual step when the statement is not in a block or that difference says nothing.
 */
export function indentUnitAt(sourceFile: ts.SourceFile, statement: ts.Node): string {
  const text = sourceFile.text;
  const own = indentationAt(text, statement.getStart(sourceFile));
  const block = statement.parent;
  if (ts.isBlock(block) || ts.isModuleBlock(block) || ts.isCaseClause(block)) {
    const outer = indentationAt(text, block.getStart(sourceFile));
    if (own.length > outer.length && own.startsWith(outer)) {
      const step = own.slice(outer.length);
      if (/^(?:\t|( )\1{0,7})$/.test(step)) return step;
    }
  }
  return fileIndentUnit(sourceFile);
}

/** The spans of string and template literal text inside `node` (template holes excluded). */
function literalSpans(node: ts.Node, sourceFile: ts.SourceFile): [number, number][] {
  const spans: [number, number][] = [];
  const visit = (child: ts.Node): void => {
    if (
      ts.isStringLiteral(child) ||
      ts.isNoSubstitutionTemplateLiteral(child) ||
      ts.isTemplateHead(child) ||
      ts.isTemplateMiddle(child) ||
      ts.isTemplateTail(child)
    ) {
      spans.push([child.getStart(sourceFile), child.end]);
      return;
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return spans;
}

/**
 * The text of `node` with `added` put before each of its lines after the first, except lines that
 * start inside a string or template literal: their leading whitespace is the literal's content.
 */
export function reindentedText(node: ts.Node, sourceFile: ts.SourceFile, added: string): string {
  const start = node.getStart(sourceFile);
  const text = sourceFile.text.slice(start, node.end);
  if (!text.includes('\n')) return text;
  const spans = literalSpans(node, sourceFile);
  const inLiteral = (offset: number): boolean =>
    spans.some(([from, to]) => from < offset && offset < to);
  // Blank lines stay blank: indenting them would only add trailing whitespace.
  return text.replace(/\n(?!\r?\n)/g, (newline, at: number) =>
    inLiteral(start + at) ? newline : `${newline}${added}`,
  );
}
