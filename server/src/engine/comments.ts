/**
 * Finds where comments start, skipping string literals, so a suppression directive inside a
 * string (`"# perflens-ignore"`) is not mistaken for one. A lexer this small is enough: it only
 * has to know where strings and comments begin and end.
 */
import type { Language } from './types';

/** Offsets of every comment's first character (`#` in Python, `--` or `/*` in SQL). */
export function commentStarts(text: string, language: Language): number[] {
  return language === 'python' ? pythonComments(text) : sqlComments(text);
}

function pythonComments(text: string): number[] {
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '#') {
      starts.push(i);
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else if (ch === '"' || ch === "'") {
      const triple = text.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      i += quote.length;
      while (i < text.length) {
        if (text[i] === '\\') i += 2;
        else if (text.startsWith(quote, i)) {
          i += quote.length;
          break;
        } else if (!triple && text[i] === '\n')
          break; // unterminated: stop at the line end
        else i++;
      }
    } else i++;
  }
  return starts;
}

function sqlComments(text: string): number[] {
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '-' && text[i + 1] === '-') {
      starts.push(i);
      const newline = text.indexOf('\n', i);
      i = newline === -1 ? text.length : newline;
    } else if (ch === '/' && text[i + 1] === '*') {
      starts.push(i);
      const close = text.indexOf('*/', i + 2);
      i = close === -1 ? text.length : close + 2;
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < text.length && text[i] !== ch) i++;
      i++;
    } else i++;
  }
  return starts;
}
