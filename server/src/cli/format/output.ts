/** What every output format needs besides the findings. */
import type { Rule } from '../../engine/rule';

export interface OutputContext {
  version: string;
  /** Path as shown to the user: relative to the current directory, `/`-separated. */
  displayPath(file: string): string;
  /** The rules that ran (SARIF lists their metadata). */
  rules: readonly Rule[];
  /** Reads a file's current text (for code excerpts). */
  readText(file: string): string | undefined;
  color: boolean;
}
