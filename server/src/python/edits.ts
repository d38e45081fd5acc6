/** Text edits Python fixes share: adding imports, inserting keyword arguments. */
import type { Node } from 'web-tree-sitter';
import type { TextEdit } from '../engine/types';
import { collectImports, type PythonModel } from './model';

/**
 * Statements whose blocks run in the scope that holds them: an import inside them binds a name of
 * that scope. `def` and `class` bodies are scopes of their own and are not entered.
 */
const SAME_SCOPE_STATEMENTS: ReadonlySet<string> = new Set([
  'block',
  'if_statement',
  'elif_clause',
  'else_clause',
  'try_statement',
  'except_clause',
  'except_group_clause',
  'finally_clause',
  'with_statement',
  'for_statement',
  'while_statement',
  'match_statement',
  'case_clause',
]);

/** Adds the names imported by statements of one scope (`scope`'s own body) that end before `before`. */
function collectScopeImports(
  scope: Node,
  before: number,
  model: PythonModel,
  into: Map<string, string>,
): void {
  for (const child of scope.namedChildren) {
    if (!child || child.startIndex >= before) continue;
    if (child.type === 'import_statement' || child.type === 'import_from_statement') {
      if (child.endIndex <= before) collectImports(child, model.moduleName, false, into, []);
    } else if (SAME_SCOPE_STATEMENTS.has(child.type)) {
      collectScopeImports(child, before, model, into);
    }
  }
}

/**
 * The imported names code at offset `at` can use (`local -> qualified`): the module's top-level
 * imports (only those before `at` when `at` runs at import time, outside any function), then the
 * imports of each enclosing function made before `at`. An `import asyncio` inside some other
 * function binds nothing here: `model.imports` mixes every scope and cannot answer this.
 */
export function visibleImports(model: PythonModel, at: number): Map<string, string> {
  const root = model.tree.rootNode;
  const functions: Node[] = [];
  for (let node = root.descendantForIndex(at); node; node = node.parent) {
    if (node.type === 'function_definition') functions.unshift(node);
  }
  const visible = new Map<string, string>();
  collectScopeImports(root, functions.length > 0 ? Infinity : at, model, visible);
  for (const fn of functions) {
    const body = fn.childForFieldName('body');
    if (body) collectScopeImports(body, at, model, visible);
  }
  return visible;
}

/**
 * An edit adding `import <module>` when code at offset `at` cannot use the name `<module>` yet
 * (see `visibleImports`): after the last top-level import, or after the module docstring and
 * `from __future__` lines, or at the top.
 */
export function ensureImport(model: PythonModel, module: string, at: number): TextEdit | undefined {
  if (visibleImports(model, at).get(module) === module) return undefined;
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

/**
 * An edit appending `name=value` to a call's arguments, in their layout: after the last argument
 * (`f(a, name=value)`), after its trailing comma (`f(a, name=value,)`), or on a line of its own
 * when the arguments are one per line. A comment after the last argument stays on its line.
 */
export function appendKeywordArgument(
  args: Node,
  source: string,
  name: string,
  value: string,
): TextEdit {
  const keyword = `${name}=${value}`;
  // `sum(x for x in xs)`: the generator is the only argument, and gets parentheses of its own.
  if (args.type === 'generator_expression')
    return { start: args.startIndex, end: args.endIndex, newText: `(${args.text}, ${keyword})` };
  const last = args.namedChildren.filter((child) => child && child.type !== 'comment').pop();
  if (!last) {
    const close = args.endIndex - 1; // the `)`
    return { start: close, end: close, newText: keyword };
  }
  const comma = /^\s*,/.exec(source.slice(last.endIndex, args.endIndex - 1));
  if (!comma) return { start: last.endIndex, end: last.endIndex, newText: `, ${keyword}` };
  const lineStart = source.lastIndexOf('\n', last.startIndex - 1) + 1;
  const indent = source.slice(lineStart, last.startIndex);
  const afterComma = last.endIndex + comma[0].length;
  if (!/^[ \t]*$/.test(indent))
    return { start: afterComma, end: afterComma, newText: ` ${keyword},` };
  // One argument per line: a new line after the last one's (and after its comment, if any).
  const lineEnd = source.indexOf('\n', afterComma);
  const at = lineEnd === -1 || lineEnd > args.endIndex ? afterComma : lineEnd;
  const cr = source[at - 1] === '\r' ? -1 : 0;
  return { start: at + cr, end: at + cr, newText: `\n${indent}${keyword},` };
}
