/**
 * Finds where comments start, skipping string literals, so a suppression directive inside a
 * string (`"# perflens-ignore"`) is not mistaken for one. A lexer this small is enough: it only
 * has to know where strings and comments begin and end.
 */
import { yamlCommentStarts } from '../compose/comments';
import type { Language } from './types';

/** Offsets of every comment's first character (`#` in Python, `--` or `/*` in SQL, `//` or `/*` in JS). */
export function commentStarts(text: string, language: Language): number[] {
  switch (language) {
    case 'python':
      return pythonComments(text);
    case 'sql':
      return sqlComments(text);
    case 'typescript':
    case 'prisma':
      return slashComments(text);
    case 'compose':
      return yamlCommentStarts(text);
  }
}

/** Where a line comment starting at `start` ends: its newline, or the end of the text. */
function lineEnd(text: string, start: number): number {
  const newline = text.indexOf('\n', start);
  return newline === -1 ? text.length : newline;
}

/** Just past the `*\/` closing a block comment that starts at `start` (unclosed: the text end). */
function blockCommentEnd(text: string, start: number): number {
  const close = text.indexOf('*/', start + 2);
  return close === -1 ? text.length : close + 2;
}

function pythonComments(text: string): number[] {
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '#') {
      starts.push(i);
      i = lineEnd(text, i);
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

/** Characters after which a `/` starts a regular expression rather than a division. */
const BEFORE_REGEX = new Set([
  '',
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
]);

/**
 * `//` and `/* *\/` comments of JavaScript, TypeScript and Prisma, skipping strings, template
 * literals (with `${}` holes) and regular expression literals, told from division the usual way:
 * by the character before the slash.
 */
function slashComments(text: string): number[] {
  const starts: number[] = [];
  // Brace depth of each open template hole, so `}` ends the hole and resumes the template.
  const holes: number[] = [];
  let braces = 0;
  let previous = '';
  let i = 0;
  const skipTemplate = (): void => {
    while (i < text.length) {
      const ch = text[i];
      if (ch === '\\') i += 2;
      else if (ch === '`') {
        i++;
        return;
      } else if (ch === '$' && text[i + 1] === '{') {
        i += 2;
        holes.push(braces);
        braces++;
        return;
      } else i++;
    }
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '/' && text[i + 1] === '/') {
      starts.push(i);
      i = lineEnd(text, i);
    } else if (ch === '/' && text[i + 1] === '*') {
      starts.push(i);
      i = blockCommentEnd(text, i);
    } else if (ch === '"' || ch === "'") {
      i++;
      while (i < text.length && text[i] !== ch && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      previous = ch;
    } else if (ch === '`') {
      i++;
      skipTemplate();
      previous = '`';
    } else if (ch === '/' && BEFORE_REGEX.has(previous)) {
      // A regular expression literal: skip to its closing slash (not one inside a class).
      i++;
      let inClass = false;
      while (i < text.length && text[i] !== '\n') {
        if (text[i] === '\\') i++;
        else if (text[i] === '[') inClass = true;
        else if (text[i] === ']') inClass = false;
        else if (text[i] === '/' && !inClass) break;
        i++;
      }
      i++;
      previous = '/';
    } else {
      if (ch === '{') braces++;
      else if (ch === '}') {
        braces--;
        if (holes.length > 0 && holes[holes.length - 1] === braces) {
          holes.pop();
          i++;
          skipTemplate();
          previous = '`';
          continue;
        }
      }
      if (ch !== ' ' && ch !== '\t' && ch !== '\n' && ch !== '\r') {
        // Words count as one "previous" character: `return /x/` is a regex, `a / b` is not.
        previous = /[\w$]/.test(ch) ? (isRegexKeywordEnd(text, i) ? '(' : 'w') : ch;
      }
      i++;
    }
  }
  return starts;
}

/** Whether the word ending at `i` is a keyword after which a regex may follow (`return /x/`). */
function isRegexKeywordEnd(text: string, i: number): boolean {
  if (/[\w$]/.test(text[i + 1] ?? '')) return false;
  let start = i;
  while (start > 0 && /[\w$]/.test(text[start - 1])) start--;
  const word = text.slice(start, i + 1);
  return (
    word === 'return' ||
    word === 'typeof' ||
    word === 'case' ||
    word === 'in' ||
    word === 'of' ||
    word === 'yield' ||
    word === 'await' ||
    word === 'void' ||
    word === 'delete'
  );
}

function sqlComments(text: string): number[] {
  const starts: number[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '-' && text[i + 1] === '-') {
      starts.push(i);
      i = lineEnd(text, i);
    } else if (ch === '/' && text[i + 1] === '*') {
      starts.push(i);
      i = blockCommentEnd(text, i);
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < text.length && text[i] !== ch) i++;
      i++;
    } else i++;
  }
  return starts;
}
