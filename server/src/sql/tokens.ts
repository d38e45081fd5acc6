/**
 * A forgiving SQL tokenizer. The tree-sitter grammar gives structure (DDL, columns, references) but
 * knows no `TOP`, `FETCH FIRST`, DuckDB or driver placeholders, and its error recovery can move a
 * trailing `LIMIT` into an ERROR node; questions about top-level keywords are asked of these tokens,
 * which every dialect and every half-typed string produce.
 */

export type SqlTokenType = 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct';

export interface SqlToken {
  type: SqlTokenType;
  text: string;
  /** Upper-cased text for words, as written otherwise. */
  upper: string;
  start: number;
  end: number;
  /** Parenthesis depth within its statement (0 = top level). */
  depth: number;
}

const WORD = /[A-Za-z_\u00C0-\uFFFF][A-Za-z0-9_$\u00C0-\uFFFF]*/y;
const NUMBER = /\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+/y;
// Driver placeholders: psycopg `%s` / `%(name)s`, sqlite `?` / `?1` / `:name`, Postgres `$1`.
const PARAM = /%\(\w+\)s|%s|\?\d*|:[A-Za-z_]\w*|\$\d+/y;

/** A token standing for a run-time value (an f-string hole or a concatenated variable). */
export function isHole(token: SqlToken): boolean {
  return token.type === 'word' && /^_+$/.test(token.text);
}

function matchAt(regex: RegExp, text: string, at: number): number {
  regex.lastIndex = at;
  return regex.test(text) ? regex.lastIndex : -1;
}

/** Index just past a quoted run that starts at `start` with `quote`; doubled quotes escape. */
function skipQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else if (text[i] === '\\' && quote === "'") i += 2;
    else i++;
  }
  return text.length;
}

/** Tokenizes `text`; comments and whitespace are dropped; depth restarts at each `;`. */
export function tokenize(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let depth = 0;
  let i = 0;
  const push = (type: SqlTokenType, start: number, end: number): void => {
    const raw = text.slice(start, end);
    tokens.push({
      type,
      text: raw,
      upper: type === 'word' ? raw.toUpperCase() : raw,
      start,
      end,
      depth,
    });
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      i++;
    } else if (ch === '-' && text[i + 1] === '-') {
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else if (ch === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
    } else if (ch === "'") {
      const end = skipQuoted(text, i, "'");
      push('string', i, end);
      i = end;
    } else if (ch === '"' || ch === '`') {
      const end = skipQuoted(text, i, ch);
      push('quoted', i, end);
      i = end;
    } else if (ch === '[' && depth >= 0 && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      // T-SQL [bracketed] identifiers.
      const close = text.indexOf(']', i);
      const end = close === -1 ? text.length : close + 1;
      push('quoted', i, end);
      i = end;
    } else {
      let end = matchAt(WORD, text, i);
      if (end !== -1) {
        push('word', i, end);
        i = end;
        continue;
      }
      end = matchAt(NUMBER, text, i);
      if (end !== -1) {
        push('number', i, end);
        i = end;
        continue;
      }
      end = matchAt(PARAM, text, i);
      if (end !== -1 && !(ch === ':' && text[i + 1] === ':')) {
        push('param', i, end);
        i = end;
        continue;
      }
      if (ch === ':' && text[i + 1] === ':') {
        push('punct', i, i + 2);
        i += 2;
        continue;
      }
      if (ch === ')') depth = Math.max(0, depth - 1);
      push('punct', i, i + 1);
      if (ch === '(') depth++;
      if (ch === ';') depth = 0;
      i++;
    }
  }
  return tokens;
}
