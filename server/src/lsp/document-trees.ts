/**
 * Keeps the tree of each open Python (tree-sitter) and TypeScript/JavaScript (compiler) document
 * and re-parses it incrementally on every edit: the old tree is told what changed and the parser
 * reuses what did not. A small edit in a large file then costs a fraction of a full parse.
 */
import type { Point, Tree } from 'web-tree-sitter';
import { parseTypeScript, reparseTypeScript, type ts } from '../typescript/compiler';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver';
import { LineIndex } from '../engine/positions';
import { parse } from '../parsing/tree-sitter';

function pointAt(lines: LineIndex, offset: number): Point {
  const position = lines.position(offset);
  return { row: position.line - 1, column: position.column - 1 };
}

function endPointOf(start: Point, text: string): Point {
  const newlines = text.split('\n');
  if (newlines.length === 1) return { row: start.row, column: start.column + text.length };
  return { row: start.row + newlines.length - 1, column: newlines[newlines.length - 1].length };
}

export class DocumentTrees {
  private readonly trees = new Map<string, { tree: Tree; text: string }>();
  private readonly sourceFiles = new Map<string, ts.SourceFile>();

  /** The compiler's tree of an open TypeScript/JavaScript document's `newText` at `path`. */
  updateTypeScript(uri: string, path: string, newText: string): ts.SourceFile {
    const previous = this.sourceFiles.get(uri);
    if (previous?.text === newText) return previous;
    const sourceFile = previous
      ? reparseTypeScript(previous, newText)
      : parseTypeScript(newText, path);
    this.sourceFiles.set(uri, sourceFile);
    return sourceFile;
  }

  /**
   * The tree of `newText`, re-parsed from the previous tree with `changes` (LSP incremental
   * changes, in order) when there is one; parsed from scratch otherwise. The tree stays owned here.
   * A tree that is already of `newText` is returned as it is.
   */
  update(
    uri: string,
    newText: string,
    changes: readonly TextDocumentContentChangeEvent[] = [],
  ): Tree {
    const previous = this.trees.get(uri);
    if (previous && changes.length === 0 && previous.text === newText) return previous.tree;
    let tree: Tree;
    if (previous && changes.length > 0 && changes.every((change) => 'range' in change)) {
      let text = previous.text;
      for (const change of changes) {
        if (!('range' in change)) break;
        const lines = new LineIndex(text);
        const start = lines.offset({
          line: change.range.start.line + 1,
          column: change.range.start.character + 1,
        });
        const oldEnd = lines.offset({
          line: change.range.end.line + 1,
          column: change.range.end.character + 1,
        });
        const startPosition = pointAt(lines, start);
        previous.tree.edit({
          startIndex: start,
          oldEndIndex: oldEnd,
          newEndIndex: start + change.text.length,
          startPosition,
          oldEndPosition: pointAt(lines, oldEnd),
          newEndPosition: endPointOf(startPosition, change.text),
        });
        text = text.slice(0, start) + change.text + text.slice(oldEnd);
      }
      tree = text === newText ? parse('python', newText, previous.tree) : parse('python', newText);
      previous.tree.delete();
    } else {
      previous?.tree.delete();
      tree = parse('python', newText);
    }
    this.trees.set(uri, { tree, text: newText });
    return tree;
  }

  close(uri: string): void {
    this.sourceFiles.delete(uri);
    this.trees.get(uri)?.tree.delete();
    this.trees.delete(uri);
  }

  dispose(): void {
    for (const { tree } of this.trees.values()) tree.delete();
    this.trees.clear();
    this.sourceFiles.clear();
  }
}
