/**
 * Decides whether a file is worth parsing before anything parses it: binary files, files over the
 * size limit and minified one-line bundles get a clear message instead of a slow or wasted parse.
 */

export interface GuardLimits {
  /** Largest file analysed, in bytes. */
  maxFileBytes: number;
}

export const DEFAULT_LIMITS: GuardLimits = { maxFileBytes: 2 * 1024 * 1024 };

const MINIFIED_MIN_CHARS = 64 * 1024;
const MINIFIED_AVERAGE_LINE = 500;

const mb = (n: number): string => (n / (1024 * 1024)).toFixed(1);

/** Why a file of `size` bytes should not be read at all, or undefined. */
export function sizeSkipReason(
  size: number,
  limits: GuardLimits = DEFAULT_LIMITS,
): string | undefined {
  if (size <= limits.maxFileBytes) return undefined;
  return `skipped: ${mb(size)} MB is over the ${mb(limits.maxFileBytes)} MB limit (perflens.json "maxFileSizeKb")`;
}

/**
 * What to tell the user when a file could not be analysed after all. JavaScript's stack runs out
 * on code nested thousands of levels deep (a `'a' + 'b' + ...` of thousands of terms, a chain of
 * thousands of calls): the walks over its tree recurse once per level.
 */
export function unanalysableReason(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return 'could not be analysed: its code nests too deeply (thousands of levels, e.g. a very long `a + b + ...` or call chain)';
  return `could not be analysed: ${error instanceof Error ? error.message : String(error)}`;
}

/** Why decoded `text` should not be analysed (too large, binary, minified), or undefined. */
export function skipReason(text: string, limits: GuardLimits = DEFAULT_LIMITS): string | undefined {
  const tooLarge = sizeSkipReason(text.length, limits);
  if (tooLarge) return tooLarge;
  if (text.slice(0, 8192).includes('\0')) return 'skipped: binary file (contains NUL bytes)';
  if (text.length >= MINIFIED_MIN_CHARS) {
    let newlines = 0;
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++;
    if (text.length / (newlines + 1) > MINIFIED_AVERAGE_LINE) {
      return 'skipped: looks minified or generated (average line over 500 characters)';
    }
  }
  return undefined;
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Decodes file bytes; invalid UTF-8 becomes U+FFFD so the rest is still analysed. A BOM is kept so offsets match the file. */
export function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
