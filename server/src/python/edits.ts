/** Text edits Python fixes share: adding imports, inserting keyword arguments. */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../engine/types';
import type { PythonModel } from './model';

/**
 * An edit adding `import <module>` when the file does not import it yet: after the last top-level
 * import, or after the module docstring and `from __future__` lines, or at the top.
 */
export function ensureImport(model: PythonModel, module: string): TextEdit | undefined {
  for (const [local, qualified] of model.imports) {
    if (local === module && qualified === module) return undefined;
  }
  const root = model.tree.rootNode;
  let anchor: Node | undefined;
  for (const child of root.namedChildren) {
    if (!child) continue;
    if (
      child.type === 'import_statement' ||
      child.type === 'import_from_statement' ||
      child.type === 'future_import_statement'
    ) {
      anchor = child;
    } else if (
      !anchor &&
      child.type === 'expression_statement' &&
      child.namedChildren[0]?.type === 'string' &&
      child === root.namedChildren[0]
    ) {
      anchor = child; // module docstring
    } else if (child.type !== 'comment') break;
  }
  if (!anchor) return { start: 0, end: 0, newText: `import ${module}\n` };
  return { start: anchor.endIndex, end: anchor.endIndex, newText: `\nimport ${module}` };
}

/** An edit appending `name=value` to a call's arguments, keeping a trailing comma style. */
export function appendKeywordArgument(
  args: Node,
  source: string,
  name: string,
  value: string,
): TextEdit {
  const close = args.endIndex - 1; // the `)`
  const inner = source.slice(args.startIndex + 1, close);
  const trimmed = inner.replace(/\s+$/, '');
  if (trimmed === '') return { start: close, end: close, newText: `${name}=${value}` };
  const insertAt = args.startIndex + 1 + trimmed.length;
  if (trimmed.endsWith(','))
    return { start: insertAt, end: insertAt, newText: ` ${name}=${value},` };
  return { start: insertAt, end: insertAt, newText: `, ${name}=${value}` };
}
