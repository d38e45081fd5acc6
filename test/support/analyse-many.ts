/** Many files analysed at once, as the language server analyses a folder. */
import type { SourceFile } from '../../server/src/languages/prepared';
import { analyseFolderFiles } from '../../server/src/lsp/folder-lanes';
import type { LiveWorkspace } from '../../server/src/workspace/live-workspace';

/** Analyses `sources` in one scan lane and has `live` adopt the result; returns the files changed. */
export async function analyseMany(
  live: LiveWorkspace,
  sources: readonly SourceFile[],
): Promise<Set<string>> {
  return live.adopt(sources, await analyseFolderFiles(live, sources, 1, () => undefined));
}
