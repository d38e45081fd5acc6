/**
 * One analysis per workspace folder (multi-root workspaces get one each): its effective config
 * (`perflens.json` merged with the editor settings), its LiveWorkspace, and the mapping between
 * file paths and the folder. Files outside every folder go to a folder of their own directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import { ALL_RULES } from '../../../rules';
import {
  CONFIG_FILE_NAME,
  ConfigError,
  DEFAULT_CONFIG,
  loadConfigFile,
  type PerflensConfig,
} from '../config/config';
import { resolveRules } from '../config/resolve';
import { releaseTypeOracle } from '../typescript/type-oracle';
import { LiveWorkspace } from '../workspace/live-workspace';
import { mergeSettings, type EditorSettings } from './settings';

const KNOWN_RULES = new Set(ALL_RULES.map((rule) => rule.meta.id));

export class FolderAnalysis {
  readonly root: string;
  config: PerflensConfig = DEFAULT_CONFIG;
  /** A `perflens.json` problem to show the user (the folder then runs with defaults). */
  configError?: string;
  workspace: LiveWorkspace;
  /** Counts reloads: an analysis started before the latest one is stale and not adopted. */
  generation = 0;
  /** Whether the whole folder was analysed (not only files opened): a reload analyses it again. */
  analysedWhole = false;
  /** The files each analysis in flight has seen change on disk since it listed and read its own. */
  private readonly diskChangesInFlight = new Set<Set<string>>();

  constructor(
    readonly uri: string,
    public editor: EditorSettings,
  ) {
    this.root = URI.parse(uri).fsPath;
    const { rules, settings } = this.resolve();
    this.workspace = new LiveWorkspace(rules, settings, {
      maxFileBytes: this.config.maxFileSizeKb * 1024,
    });
  }

  /** Re-reads `perflens.json` and the editor settings; the caller re-analyses. */
  reload(editor: EditorSettings = this.editor): void {
    this.editor = editor;
    this.generation++;
    const { rules, settings } = this.resolve();
    this.workspace.reconfigure(rules, settings, { maxFileBytes: this.config.maxFileSizeKb * 1024 });
  }

  private resolve() {
    this.configError = undefined;
    let config = DEFAULT_CONFIG;
    const file = path.join(this.root, CONFIG_FILE_NAME);
    if (fs.existsSync(file)) {
      try {
        config = loadConfigFile(file, KNOWN_RULES);
      } catch (error) {
        this.configError = error instanceof ConfigError ? error.message : String(error);
      }
    }
    this.config = mergeSettings(config, this.editor);
    return resolveRules(ALL_RULES, this.config, {}, this.root);
  }

  /**
   * Records the files that change on disk (`noteDiskChange`) until `stop`: an analysis of the
   * whole folder listed and read its files when it began, and must not adopt, or forget, a file
   * that changed since as it was then.
   */
  recordDiskChanges(): { changed: ReadonlySet<string>; stop(): void } {
    const changed = new Set<string>();
    this.diskChangesInFlight.add(changed);
    return { changed, stop: () => this.diskChangesInFlight.delete(changed) };
  }

  noteDiskChange(file: string): void {
    for (const changed of this.diskChangesInFlight) changed.add(file);
  }

  contains(file: string): boolean {
    const relative = path.relative(this.root, file);
    return !relative.startsWith('..') && !path.isAbsolute(relative);
  }

  relativePath(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }

  /** Lets go of what the folder keeps beyond its own object: its type-aware program. */
  dispose(): void {
    releaseTypeOracle(this.root);
  }
}

export class Folders {
  private folders: FolderAnalysis[] = [];

  constructor(private defaults: EditorSettings) {}

  /** Replaces the set of folders (workspace folders changed). */
  set(uris: readonly string[], settingsOf: (uri: string) => EditorSettings): void {
    for (const folder of this.folders) if (!uris.includes(folder.uri)) folder.dispose();
    const kept = this.folders.filter((folder) => uris.includes(folder.uri));
    for (const uri of uris) {
      if (!kept.some((folder) => folder.uri === uri))
        kept.push(new FolderAnalysis(uri, settingsOf(uri)));
    }
    // Nested folders: the deepest root wins, so sort longest first.
    this.folders = kept.sort((a, b) => b.root.length - a.root.length);
  }

  all(): FolderAnalysis[] {
    return this.folders;
  }

  /** The folder a file belongs to; a loose file gets a folder of its own directory. */
  folderOf(file: string): FolderAnalysis {
    const found = this.folders.find((folder) => folder.contains(file));
    if (found) return found;
    const loose = new FolderAnalysis(URI.file(path.dirname(file)).toString(), this.defaults);
    this.folders.push(loose);
    this.folders.sort((a, b) => b.root.length - a.root.length);
    return loose;
  }
}
