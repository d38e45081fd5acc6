/** Reading call arguments and literals the way schema declarations write them. */
import type { Node } from 'web-tree-sitter';
import { qualify, type PyClass, type PythonModel } from './model';

/** The positional arguments of a call's argument list (comments and keywords left out). */
export function positionalArgs(args: Node): Node[] {
  // Each `type` read crosses into WASM: once per child.
  const positional: Node[] = [];
  for (const child of args.namedChildren) {
    if (child && isPositionalType(child.type)) positional.push(child);
  }
  return positional;
}

/** A call's arguments read in one pass: positional values and keyword values by name. */
function isPositionalType(type: string): boolean {
  return (
    type !== 'keyword_argument' &&
    type !== 'comment' &&
    type !== 'list_splat' &&
    type !== 'dictionary_splat'
  );
}

export interface CallArgs {
  positional: Node[];
  keywords: Map<string, Node>;
}

/** Reads an argument list once (tree access is the expensive part of schema extraction). */
export function readArgs(args: Node): CallArgs {
  const positional: Node[] = [];
  const keywords = new Map<string, Node>();
  for (const child of args.namedChildren) {
    if (!child) continue;
    const type = child.type;
    if (type === 'keyword_argument') {
      const name = child.childForFieldName('name');
      const value = child.childForFieldName('value');
      if (name && value) keywords.set(name.text, value);
    } else if (isPositionalType(type)) {
      positional.push(child);
    }
  }
  return { positional, keywords };
}

/** The value of keyword argument `name`, if the call passes it. */
export function keywordArg(args: Node, name: string): Node | undefined {
  for (const child of args.namedChildren) {
    if (child?.type === 'keyword_argument' && child.childForFieldName('name')?.text === name)
      return child.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** The value of a string literal without interpolation (adjacent literals joined), else undefined. */
export function stringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  const type = node.type;
  if (type === 'concatenated_string') {
    let text = '';
    for (const part of node.namedChildren) {
      const value = stringValue(part);
      if (value === undefined) return undefined;
      text += value;
    }
    return text;
  }
  if (type !== 'string') return undefined;
  let text = '';
  for (const child of node.namedChildren) {
    if (!child) continue;
    const childType = child.type;
    if (childType === 'string_content') text += child.text;
    else if (childType === 'escape_sequence') text += unescape(child.text);
    else if (childType === 'interpolation') return undefined;
  }
  return text;
}

function unescape(sequence: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', '"': '"', "'": "'", '\\': '\\' };
  return simple[sequence[1]] ?? sequence;
}

/** The UTF-16 offset where a plain string literal's content starts (after prefix and quotes). */
export function stringContentStart(node: Node): number {
  const start = node.namedChildren.find((child) => child?.type === 'string_start');
  return start ? start.endIndex : node.startIndex;
}

/** Where a keyword argument goes: right after the last argument, before any trailing comma. */
export function argumentInsertAt(args: Node): number {
  const real = args.namedChildren.filter((child) => child && child.type !== 'comment');
  const last = real[real.length - 1];
  return last ? last.endIndex : args.startIndex + 1;
}

/** The table and column of a `"schema.table.column"` foreign-key target, else undefined. */
export function keyTarget(text: string): { table: string; column: string } | undefined {
  const parts = text.split('.');
  if (parts.length < 2) return undefined;
  return { table: parts[parts.length - 2], column: parts[parts.length - 1] };
}

/** `True` literal. */
export function isTrue(node: Node | undefined): boolean {
  return node?.type === 'true';
}

/** A `True` or `False` literal as a boolean; undefined for anything else or no node. */
export function boolLiteral(node: Node | undefined): boolean | undefined {
  return isTrue(node) ? true : isFalse(node) ? false : undefined;
}

/** `False` literal. */
export function isFalse(node: Node | undefined): boolean {
  return node?.type === 'false';
}

/** The called name's last segment: `Column` for `sa.Column(...)`, '' when not a plain call. */
export function calledName(node: Node | null | undefined): string {
  return node?.type === 'call' ? trailingName(node.childForFieldName('function')) : '';
}

/** The name a dotted name ends in: `user` of `request.user` or of `user`, '' for anything else. */
export function trailingName(node: Node | null | undefined): string {
  if (node?.type === 'identifier') return node.text;
  if (node?.type === 'attribute') return node.childForFieldName('attribute')?.text ?? '';
  return '';
}

/** A call's argument list node. */
export function argsOf(call: Node): Node | undefined {
  const args = call.childForFieldName('arguments');
  return args?.type === 'argument_list' ? args : undefined;
}

/** The elements of a list, tuple or set literal; a single other value as a one-item list. */
export function elementsOf(node: Node | undefined): Node[] {
  if (!node) return [];
  const type = node.type;
  if (type === 'list' || type === 'tuple' || type === 'set')
    return node.namedChildren.filter((c): c is Node => !!c && c.type !== 'comment');
  if (type === 'parenthesized_expression') return elementsOf(node.namedChildren[0] ?? undefined);
  return [node];
}

/** Strings of a list literal (`["a", "b"]`); non-string elements are skipped. */
export function stringList(node: Node | undefined): string[] {
  return elementsOf(node).flatMap((element) => {
    const value = stringValue(element);
    return value === undefined ? [] : [value];
  });
}

/** The top-level `name = value` (or `name: T = value`) assignments of a block, by name. */
export function blockAssignments(
  block: Node,
): Map<string, { assignment: Node; value: Node | null }> {
  const result = new Map<string, { assignment: Node; value: Node | null }>();
  for (const statement of block.namedChildren) {
    if (statement?.type !== 'expression_statement') continue;
    const assignment = statement.namedChildren[0];
    if (assignment?.type !== 'assignment') continue;
    const left = assignment.childForFieldName('left');
    if (left?.type !== 'identifier') continue;
    result.set(left.text, { assignment, value: assignment.childForFieldName('right') });
  }
  return result;
}

/** Modules whose classes and types are no models or column aliases of the workspace. */
const LIBRARIES = new Set([
  'abc',
  'builtins',
  'datetime',
  'decimal',
  'django',
  'enum',
  'flask_sqlalchemy',
  'pydantic',
  'sqlalchemy',
  'sqlmodel',
  'typing',
  'typing_extensions',
  'uuid',
]);

/** The qualified name of a base or type imported from another module of the workspace, if so. */
export function importedName(name: string, model: PythonModel): string | undefined {
  if (!/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
  const qualified = qualify(name, model.imports);
  if (qualified === name || LIBRARIES.has(qualified.split('.')[0])) return undefined;
  return qualified;
}

/**
 * Classes that a later class of the same name in the same block replaces: Python binds the name
 * to the later one, which is the one other modules import and later classes derive from.
 */
export function redefinedClasses(model: PythonModel): Set<PyClass> {
  const redefined = new Set<PyClass>();
  const latest = new Map<string, PyClass>();
  for (const cls of model.classes) {
    const holder = cls.node.parent?.type === 'decorated_definition' ? cls.node.parent : cls.node;
    const key = `${holder.parent?.id ?? ''}:${cls.name}`;
    const earlier = latest.get(key);
    if (earlier) redefined.add(earlier);
    latest.set(key, cls);
  }
  return redefined;
}
