/**
 * A function's parameters: names, annotations and defaults as written. The model reads them for
 * every function; from the source text when the signature is plain, because asking the tree for
 * each parameter's parts cost more than the rest of the function's entry in the model.
 */
import type { Node } from 'web-tree-sitter';

export interface PyParam {
  name: string;
  /** Annotation text, e.g. `Session`; empty when unannotated. */
  annotation: string;
  /** Default value text, e.g. `Depends(get_db)`; empty when none. */
  defaultText: string;
}

/** The parameters of a `parameters` node, read from the tree. */
export function paramsFromTree(parameters: Node | null): PyParam[] {
  const params: PyParam[] = [];
  if (!parameters) return params;
  for (const param of parameters.namedChildren) {
    if (!param) continue;
    let name: string;
    let annotation = '';
    let defaultText = '';
    switch (param.type) {
      case 'identifier':
        name = param.text;
        break;
      case 'typed_parameter':
        name = param.namedChildren.find((c) => c?.type === 'identifier')?.text ?? '';
        annotation = param.childForFieldName('type')?.text ?? '';
        break;
      case 'default_parameter':
      case 'typed_default_parameter':
        name = param.childForFieldName('name')?.text ?? '';
        annotation = param.childForFieldName('type')?.text ?? '';
        defaultText = param.childForFieldName('value')?.text ?? '';
        break;
      default:
        continue;
    }
    if (name) params.push({ name, annotation, defaultText });
  }
  return params;
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;
const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

/** Where the string literal opening at `start` ends (after its closing quote), or -1. */
function stringEnd(source: string, start: number, limit: number): number {
  const quote = source[start];
  const triple = source.startsWith(quote.repeat(3), start);
  const close = triple ? quote.repeat(3) : quote;
  for (let i = start + close.length; i < limit; i++) {
    const char = source[i];
    if (char === '\\') i++;
    else if (!triple && char === '\n') return -1;
    else if (source.startsWith(close, i)) return i + close.length;
  }
  return -1;
}

/** One parameter's text split at its top-level `:` and `=` (-1 when absent). */
interface Part {
  start: number;
  end: number;
  colon: number;
  equals: number;
}

/**
 * The parameters of the `def` whose name ends at `nameEnd`, read from `source`; undefined when
 * the signature holds anything but plain parameters (a comment, a line continuation, an
 * unclosed bracket or string), and the caller reads the tree instead. Valid only for a file
 * whose tree has no errors.
 */
export function paramsFromSource(source: string, nameEnd: number): PyParam[] | undefined {
  let i = nameEnd;
  const limit = source.length;
  const skipBlanks = (): void => {
    while (i < limit && (source[i] === ' ' || source[i] === '\t')) i++;
  };
  skipBlanks();
  // Type parameters (`def first[T](xs: list[T])`) come before the parameter list.
  if (source[i] === '[') {
    let depth = 0;
    for (; i < limit; i++) {
      if (source[i] === '[') depth++;
      else if (source[i] === ']' && --depth === 0) break;
    }
    i++;
    skipBlanks();
  }
  if (source[i] !== '(') return undefined;
  const parts: Part[] = [];
  let part: Part = { start: i + 1, end: -1, colon: -1, equals: -1 };
  let depth = 0;
  for (i++; i < limit; i++) {
    const char = source[i];
    if (char === '"' || char === "'") {
      // f-strings may nest quotes (`f"{d["k"]}"`): left to the tree.
      if (/[fF][rRbB]?$|[rRbB][fF]$/.test(source.slice(Math.max(0, i - 2), i))) return undefined;
      const end = stringEnd(source, i, limit);
      if (end === -1) return undefined;
      i = end - 1;
    } else if (char === '#' || char === '\\') {
      return undefined;
    } else if (OPEN.has(char)) {
      depth++;
    } else if (CLOSE.has(char)) {
      if (depth === 0) {
        if (char !== ')') return undefined;
        part.end = i;
        parts.push(part);
        const params: PyParam[] = [];
        for (const each of parts) {
          const param = paramOf(source, each);
          if (param === undefined) return undefined;
          if (param) params.push(param);
        }
        return params;
      }
      depth--;
    } else if (depth > 0) {
      continue;
    } else if (char === ',') {
      part.end = i;
      parts.push(part);
      part = { start: i + 1, end: -1, colon: -1, equals: -1 };
    } else if (char === ':' && part.colon === -1 && part.equals === -1 && source[i + 1] !== '=') {
      part.colon = i;
    } else if (
      char === '=' &&
      part.equals === -1 &&
      source[i + 1] !== '=' &&
      !'=!<>:'.includes(source[i - 1])
    ) {
      part.equals = i;
    }
  }
  return undefined;
}

/**
 * The parameter one part declares: null for `*args`, `**kwargs`, `*`, `/` and the empty part
 * after a trailing comma; undefined for anything unexpected.
 */
function paramOf(source: string, part: Part): PyParam | null | undefined {
  const text = source.slice(part.start, part.end).trim();
  if (text === '' || text.startsWith('*') || text === '/') return null;
  const nameEnd = part.colon !== -1 ? part.colon : part.equals !== -1 ? part.equals : part.end;
  const name = source.slice(part.start, nameEnd).trim();
  if (!IDENTIFIER.test(name)) return undefined;
  const annotation =
    part.colon === -1
      ? ''
      : source.slice(part.colon + 1, part.equals !== -1 ? part.equals : part.end).trim();
  const defaultText = part.equals === -1 ? '' : source.slice(part.equals + 1, part.end).trim();
  return { name, annotation, defaultText };
}
