/**
 * Compose's variable interpolation, as far as the file alone decides it: `${VAR:-default}` and
 * `${VAR-default}` read as their default, `$$` as a literal `$`. A variable with no default
 * (`$VAR`, `${VAR}`, `${VAR:?error}`, `${VAR:+alternative}`) is left as written: `.env` and the
 * shell decide it at `docker compose up`, and no reader here guesses a value for it.
 */

export interface Interpolated {
  /** The text with defaults substituted; variables without a default stay as written (`${HEAP}`). */
  text: string;
  /** The variables whose default the text took: set in `.env` or the shell, they decide instead. */
  defaulted: string[];
  /** Whether every variable had a default: otherwise some `${...}` is still in `text`. */
  complete: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** The offset of the `}` closing the `${` at `open`, counting nested `${...}`; -1 if none. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') {
      depth++;
      i++;
    } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Interpolates `text` as compose does, using defaults and never guessing a variable's value. */
export function interpolate(text: string): Interpolated {
  if (!text.includes('$')) return { text, defaulted: [], complete: true };
  let out = '';
  const defaulted: string[] = [];
  let complete = true;
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text[dollar + 1] === '$') {
      out += '$';
      i = dollar + 2;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      // `$VAR` (no default possible), or a lone `$`: as written.
      const name = NAME.exec(text.slice(dollar + 1))?.[0] ?? '';
      out += text.slice(dollar, dollar + 1 + name.length);
      if (name) complete = false;
      i = dollar + 1 + name.length;
      continue;
    }
    const close = closingBrace(text, dollar);
    if (close === -1) {
      out += text.slice(dollar);
      complete = false;
      break;
    }
    const inner = text.slice(dollar + 2, close);
    const name = NAME.exec(inner)?.[0];
    const operator = name === undefined ? undefined : /^:?-/.exec(inner.slice(name.length))?.[0];
    const fallback =
      name !== undefined && operator !== undefined
        ? interpolate(inner.slice(name.length + operator.length))
        : undefined;
    if (name !== undefined && fallback?.complete) {
      out += fallback.text;
      defaulted.push(name, ...fallback.defaulted);
    } else {
      out += text.slice(dollar, close + 1);
      complete = false;
    }
    i = close + 1;
  }
  return { text: out, defaulted, complete };
}
