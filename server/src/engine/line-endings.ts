/** The line ending of a file, for the lines a fix writes into it. */

/**
 * `\r\n` when the file has any (it was written on Windows, or by a tool that keeps them), else
 * `\n`: new lines then match the file's, and editors that keep one style see no mixed endings.
 */
export function lineEndingOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}
