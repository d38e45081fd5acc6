/**
 * The Perflens language server's behaviour: documents in, diagnostics out, code actions, workspace
 * analysis with progress, settings. `server.ts` only creates the connection and calls `serve()`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  FileChangeType,
  MessageType,
  ShowMessageNotification,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type InitializeResult,
  type TextDocumentContentChangeEvent,
  type WorkDoneProgressReporter,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from 'vscode-uri';
import { CONFIG_FILE_NAME } from '../config/config';
import { LineIndex } from '../engine/positions';
import { decode, skipReason } from '../engine/source-guard';
import type { Finding } from '../engine/types';
import { languageOf } from '../languages/detect';
import type { ParsedTree } from '../languages/prepare';
import type { SourceFile } from '../languages/prepared';
import { initParsers } from '../parsing/tree-sitter';
import {
  discoverFiles,
  discoveryOptions,
  isSkippedByDiscovery,
  type DiscoveredFile,
} from '../workspace/discovery';
import {
  FIX_ALL_KIND,
  fixAll,
  quickFixes,
  removeSuppressionAction,
  type ActionContext,
} from './code-actions';
import { toDiagnostic, type DiagnosticData } from './convert';
import { DocumentTrees } from './document-trees';
import { isModuleAliasConfig } from '../typescript/path-aliases';
import { Folders, type FolderAnalysis } from './folders';
import { AllFindingsRequest, ReanalyzeRequest, type PanelFinding } from './protocol';
import { Publisher } from './publisher';
import { analyseFolderFiles, folderLaneCount } from './folder-lanes';
import { DEFAULT_EDITOR_SETTINGS, readEditorSettings, type EditorSettings } from './settings';

/** Milliseconds between the last keystroke and the analysis of a document. */
export const DEBOUNCE_MS = 150;
/**
 * Milliseconds of quiet after a keystroke before the document's front end (model, facts, SQL)
 * runs ahead of the debounced analysis: most of the analysis is done when the debounce ends.
 * Short enough to finish well inside the debounce; long enough that a burst of keystrokes (key
 * repeat, fast typing) does not run it per key.
 */
export const PREPARE_AFTER_MS = 50;
/** Files read at once during workspace analysis. */
const BATCH_SIZE = 20;

/** What the folder analysis reports its progress through. */
type ProgressReport = Pick<WorkDoneProgressReporter, 'begin' | 'report' | 'done'>;

interface OpenDocument {
  document: TextDocument;
  /** Changes not yet applied to the document's tree. */
  pending: TextDocumentContentChangeEvent[];
  timer?: NodeJS.Timeout;
  /** Runs the front end ahead of the analysis (PREPARE_AFTER_MS). */
  prepareTimer?: NodeJS.Timeout;
}

export function serve(connection: Connection): void {
  // A request the client answers with an error (it may not implement it) must not end the
  // server: Node ends a process on an unhandled rejection.
  process.on('unhandledRejection', (reason) =>
    connection.console.error(
      `Perflens: ${reason instanceof Error ? reason.stack : String(reason)}`,
    ),
  );
  /** Shows an error to the user; a notification, so no client answer can fail it. */
  const showError = (message: string): void =>
    void connection.sendNotification(ShowMessageNotification.type, {
      type: MessageType.Error,
      message,
    });
  const open = new Map<string, OpenDocument>();
  const trees = new DocumentTrees();
  const folders = new Folders(DEFAULT_EDITOR_SETTINGS);
  let canReadConfiguration = false;
  /** Whether the client lets the server register for settings changes once initialised. */
  let canRegisterForSettings = false;
  /** Whether the client reports workspace folder changes (subscribing otherwise throws). */
  let followsWorkspaceFolders = false;
  let ready: Promise<void> = Promise.resolve();
  /** Whether the grammars are loaded, so a document can be parsed as soon as it changes. */
  let parsersReady = false;

  const fileOf = (uri: string): string | undefined => {
    const parsed = URI.parse(uri);
    return parsed.scheme === 'file' ? parsed.fsPath : undefined;
  };

  async function editorSettings(scopeUri: string): Promise<EditorSettings> {
    if (!canReadConfiguration) return DEFAULT_EDITOR_SETTINGS;
    try {
      return readEditorSettings(
        await connection.workspace.getConfiguration({ scopeUri, section: 'perflens' }),
      );
    } catch (error) {
      connection.console.warn(`Perflens: no editor settings, using the defaults: ${String(error)}`);
      return DEFAULT_EDITOR_SETTINGS;
    }
  }

  const publisher = new Publisher(connection, folders, (uri) => open.get(uri)?.document.version);
  const publish = (folder: FolderAnalysis, files: Iterable<string>): void =>
    publisher.publish(folder, files);
  const reportProblems = (folder: FolderAnalysis): void => publisher.reportProblems(folder);

  /**
   * The tree of an open document's current text, re-parsed incrementally from its previous tree;
   * undefined for languages without one and for huge or binary buffers, which nothing parses.
   */
  function currentTree(
    uri: string,
    entry: OpenDocument,
    file: string,
    folder: FolderAnalysis,
  ): ParsedTree | undefined {
    const language = languageOf(file);
    const text = entry.document.getText();
    const changes = entry.pending.splice(0);
    if (skipReason(text, { maxFileBytes: folder.config.maxFileSizeKb * 1024 })) return undefined;
    if (language === 'python') return trees.update(uri, text, changes);
    if (language === 'typescript') return trees.updateTypeScript(uri, file, text);
    return undefined;
  }

  /**
   * Re-parses an edited document right away, so that when typing pauses the debounced analysis
   * finds its tree up to date: an incremental re-parse costs up to a third of the analysis (a
   * keystroke at the start of a Python line re-parses the rest of the file).
   */
  function parseOnEdit(uri: string): void {
    const opened = openFile(uri);
    if (!parsersReady || !opened || !opened.folder.editor.enable) return;
    const { entry, file, folder } = opened;
    try {
      currentTree(uri, entry, file, folder);
    } catch (error) {
      // The analysis parses again and reports what went wrong.
      connection.console.warn(`Perflens: re-parsing ${file} failed: ${String(error)}`);
    }
  }

  /** An open document of a file in a language Perflens analyses, with the file's folder. */
  function openFile(uri: string) {
    const entry = open.get(uri);
    const file = fileOf(uri);
    if (!entry || !file) return undefined;
    const language = languageOf(file);
    if (!language) return undefined;
    return { entry, file, language, folder: folders.folderOf(file) };
  }

  /** An open document as it is now: its source and up-to-date tree, and its folder. */
  function openSource(uri: string) {
    const opened = openFile(uri);
    if (!opened || !opened.folder.editor.enable) return undefined;
    const { entry, file, language, folder } = opened;
    const text = entry.document.getText();
    const source = { file, relativePath: folder.relativePath(file), text, language };
    return { folder, source, tree: currentTree(uri, entry, file, folder) };
  }

  /** Runs an edited document's front end ahead of its debounced analysis (see PREPARE_AFTER_MS). */
  function prepareWhenQuiet(uri: string): void {
    const entry = open.get(uri);
    if (!entry) return;
    if (entry.prepareTimer) clearTimeout(entry.prepareTimer);
    entry.prepareTimer = setTimeout(() => {
      entry.prepareTimer = undefined;
      if (!parsersReady) return;
      try {
        const current = openSource(uri);
        current?.folder.workspace.prepareAhead(current.source, current.tree);
      } catch (error) {
        // The analysis prepares the document again and reports what went wrong.
        connection.console.warn(`Perflens: preparing ${uri} failed: ${String(error)}`);
      }
    }, PREPARE_AFTER_MS);
  }

  /** Analyses one open document as it is now. */
  function analyseOpen(uri: string): void {
    // A front end still waiting to run ahead would only repeat this analysis's work.
    const entry = open.get(uri);
    if (entry?.prepareTimer) clearTimeout(entry.prepareTimer);
    if (entry) entry.prepareTimer = undefined;
    const current = openSource(uri);
    if (!current) return;
    const { folder, source, tree } = current;
    const file = source.file;
    try {
      // The edited document always gets its diagnostics for this version (clients track versions);
      // other files only when their findings changed.
      const changed = folder.workspace.update(source, tree);
      changed.add(file);
      publish(folder, changed);
    } finally {
      reportProblems(folder);
    }
  }

  function schedule(uri: string, delay: number): void {
    const entry = open.get(uri);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    // A newer edit cancels the pending analysis: only the latest text is ever analysed.
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      void ready.then(() => analyseOpen(uri));
    }, delay);
  }

  /** Analyses a closed file from disk (watched-file change, or a document just closed). */
  function analyseFromDisk(file: string): void {
    const language = languageOf(file);
    if (!language) return;
    const folder = folders.folderOf(file);
    folder.noteDiskChange(file);
    // Build output, dependencies and excluded files change often and are never analysed.
    if (isSkippedByDiscovery(file, discoveryOptions(folder.config, folder.root))) {
      if (folder.workspace.has(file)) publish(folder, folder.workspace.remove(file));
      return;
    }
    let text: string;
    try {
      // perflens-ignore: sync-io-in-async -- one file per change, read at once so changes apply in order
      text = decode(fs.readFileSync(file));
    } catch {
      publish(folder, folder.workspace.remove(file));
      return;
    }
    publish(
      folder,
      folder.workspace.update({ file, relativePath: folder.relativePath(file), text, language }),
    );
    reportProblems(folder);
  }

  const uriOf = (file: string): string => URI.file(file).toString();

  /**
   * `uriOf` that works out each file's URI once: a start-up analysis looks a file's document up
   * when it reads the file, after, and again when it analyses it.
   */
  function rememberingUriOf(): (file: string) => string {
    const uris = new Map<string, string>();
    return (file) => {
      let uri = uris.get(file);
      if (uri === undefined) uris.set(file, (uri = uriOf(file)));
      return uri;
    };
  }

  /**
   * A discovered file with its text, as the folder's workspace analyses it. Discovery ran from the
   * folder's root, so its relativePath is the folder's own.
   */
  function sourceOf(discovered: DiscoveredFile, text: string): SourceFile {
    return { ...discovered, text };
  }

  /** A progress report in the client's UI; one that shows nothing if the client refuses it. */
  async function createProgress(): Promise<ProgressReport> {
    try {
      return await connection.window.createWorkDoneProgress();
    } catch {
      return { begin: () => undefined, report: () => undefined, done: () => undefined };
    }
  }

  /** A closed file's text, or undefined when it cannot be read (gone, unreadable). */
  async function readFromDisk(file: string): Promise<string | undefined> {
    try {
      return decode(await fs.promises.readFile(file));
    } catch {
      return undefined;
    }
  }

  /**
   * The texts of `files`: an open document's buffer, else the file on disk (a file that cannot be
   * read is left out). Files are read together in batches, off the event loop: requests are
   * answered while the disk works.
   */
  async function readSources(
    files: readonly DiscoveredFile[],
    uriOfFile: (file: string) => string,
  ): Promise<SourceFile[]> {
    const sources: SourceFile[] = [];
    for (let start = 0; start < files.length; start += BATCH_SIZE) {
      const batch = files.slice(start, start + BATCH_SIZE);
      const texts = await Promise.all(
        batch.map((discovered) =>
          open.has(uriOfFile(discovered.file)) ? undefined : readFromDisk(discovered.file),
        ),
      );
      batch.forEach((discovered, i) => {
        const text = open.get(uriOfFile(discovered.file))?.document.getText() ?? texts[i];
        if (text !== undefined) sources.push(sourceOf(discovered, text));
      });
    }
    return sources;
  }

  /**
   * Analyses `sources` of `folder` in lanes (folder-lanes.ts) and has its workspace adopt the
   * result; returns the files whose findings changed, or undefined when the folder was reloaded
   * meanwhile (the newer analysis adopts). Lanes in worker threads that fail (a worker that cannot
   * start) leave the analysis to this thread.
   */
  async function analyseAndAdopt(
    folder: FolderAnalysis,
    sources: readonly SourceFile[],
    reportFiles: (done: number, total: number) => void,
  ): Promise<Set<string> | undefined> {
    const generation = folder.generation;
    const lanes = folderLaneCount(folder.workspace, sources);
    connection.console.info(
      `Perflens: analysing ${sources.length} files of ${folder.root} in ${lanes} lane${lanes === 1 ? '' : 's'}`,
    );
    let analysis;
    try {
      analysis = await analyseFolderFiles(folder.workspace, sources, lanes, reportFiles);
    } catch (error) {
      if (lanes === 1) throw error;
      connection.console.warn(`Perflens: analysing in lanes failed: ${String(error)}`);
      analysis = await analyseFolderFiles(folder.workspace, sources, 1, reportFiles);
    }
    if (folder.generation !== generation) return undefined;
    return folder.workspace.adopt(sources, analysis);
  }

  /**
   * Forgets the files analysed in `folder` that are neither in `kept` nor open (gone, or excluded
   * now); returns the files whose findings changed.
   */
  function forgetUnlisted(
    folder: FolderAnalysis,
    kept: readonly SourceFile[],
    changedOnDisk: ReadonlySet<string>,
  ): Set<string> {
    const listed = new Set(kept.map((source) => source.file));
    const changed = new Set<string>();
    for (const file of folder.workspace.fileNames()) {
      if (listed.has(file) || open.has(uriOf(file)) || changedOnDisk.has(file)) continue;
      for (const other of folder.workspace.remove(file)) changed.add(other);
      changed.add(file);
    }
    return changed;
  }

  /**
   * Analyses `folder`: every file discovery finds, or with `knownOnly` only the files analysed so
   * far (a reload of a folder whose workspace was never analysed whole).
   */
  async function analyseFolder(
    folder: FolderAnalysis,
    { knownOnly = false, quiet = false }: { knownOnly?: boolean; quiet?: boolean } = {},
  ): Promise<void> {
    if (folder.configError && !quiet) showError(`Perflens: ${folder.configError}`);
    if (!folder.editor.enable || (knownOnly && folder.workspace.fileNames().length === 0)) return;
    const finished = publisher.beginAnalysis();
    const diskChanges = folder.recordDiskChanges();
    const progress = await createProgress();
    try {
      const reportFiles = (done: number, total: number): void =>
        progress.report(Math.round((done / total) * 100), `${done}/${total} files`);
      let sources: SourceFile[];
      if (knownOnly) {
        sources = folder.workspace.sources();
        progress.begin('Perflens', 0, `Analysing ${sources.length} files`, false);
      } else {
        const files = discoverFiles([folder.root], discoveryOptions(folder.config, folder.root));
        progress.begin('Perflens', 0, `Analysing ${files.length} files`, false);
        sources = await readSources(files, rememberingUriOf());
      }
      const changed = await analyseAndAdopt(folder, sources, reportFiles);
      if (!changed) return;
      if (!knownOnly) {
        folder.analysedWhole = true;
        for (const file of forgetUnlisted(folder, sources, diskChanges.changed)) changed.add(file);
      }
      publish(folder, changed);
      reportProblems(folder);
      // The adoption took the texts read when the analysis began: files that changed on disk since
      // (written, created or deleted while it ran) are read again.
      diskChanges.stop();
      for (const file of diskChanges.changed) if (!open.has(uriOf(file))) analyseFromDisk(file);
    } finally {
      diskChanges.stop();
      progress.done();
      finished();
    }
  }

  async function analyseAll(onlyIfConfigured: boolean): Promise<void> {
    for (const folder of folders.all()) {
      if (!onlyIfConfigured || folder.editor.analyzeWorkspaceOnStartup) await analyseFolder(folder);
    }
  }

  /**
   * Re-reads `folder`'s configuration (perflens.json, module aliases, and `editor` when given) and
   * analyses it again: the whole folder if it was analysed whole (discovery may differ now), else
   * the files it knows. A perflens.json problem is shown unless `quiet`: a tsconfig or jsconfig
   * change says nothing new about perflens.json.
   */
  async function reloadAndAnalyse(
    folder: FolderAnalysis,
    { editor, quiet = false }: { editor?: EditorSettings; quiet?: boolean } = {},
  ): Promise<void> {
    folder.reload(editor);
    // Disabled: the publisher clears the folder's diagnostics.
    if (!folder.editor.enable) publish(folder, folder.workspace.fileNames());
    await analyseFolder(folder, { knownOnly: !folder.analysedWhole, quiet });
    // Open documents, excluded ones too, are analysed as their editors show them.
    for (const [uri, entry] of open) {
      const file = fileOf(uri);
      if (file && !entry.timer && folders.folderOf(file) === folder) schedule(uri, 0);
    }
  }

  async function reloadFolders(): Promise<void> {
    for (const folder of folders.all())
      await reloadAndAnalyse(folder, { editor: await editorSettings(folder.uri) });
  }

  function actionContext(uri: string): ActionContext | undefined {
    const opened = openFile(uri);
    if (!opened) return undefined;
    const { entry, file, language, folder } = opened;
    const text = folder.workspace.text(file);
    // Only act on the text the findings were computed from.
    if (text === undefined || text !== entry.document.getText()) return undefined;
    return {
      uri,
      file,
      version: entry.document.version,
      text,
      language,
      findings: folder.workspace.findings(file),
      resolve: (target) => (path.isAbsolute(target) ? target : path.join(folder.root, target)),
      textOf: (target) => {
        const openTarget = open.get(URI.file(target).toString());
        if (openTarget)
          return { text: openTarget.document.getText(), version: openTarget.document.version };
        const known = folder.workspace.text(target);
        return known === undefined ? undefined : { text: known, version: null };
      },
    };
  }

  connection.onInitialize((params): InitializeResult => {
    canReadConfiguration = !!params.capabilities.workspace?.configuration;
    canRegisterForSettings =
      !!params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration;
    followsWorkspaceFolders = !!params.capabilities.workspace?.workspaceFolders;
    const roots =
      params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    ready = initParsers().then(() => {
      parsersReady = true;
      folders.set(roots, () => DEFAULT_EDITOR_SETTINGS);
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'perflens' },
    };
  });

  connection.onInitialized(async () => {
    await ready;
    if (canReadConfiguration) {
      if (canRegisterForSettings) {
        connection.client
          .register(DidChangeConfigurationNotification.type, { section: 'perflens' })
          .catch((error: unknown) =>
            connection.console.warn(`Perflens: settings changes not followed: ${String(error)}`),
          );
      }
      for (const folder of folders.all()) folder.reload(await editorSettings(folder.uri));
    }
    if (followsWorkspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders(async (event) => {
        const uris = folders
          .all()
          .map((f) => f.uri)
          .filter((uri) => !event.removed.some((r) => r.uri === uri));
        uris.push(...event.added.map((f) => f.uri));
        folders.set(uris, () => DEFAULT_EDITOR_SETTINGS);
        // The other folders are as they were: only the added ones are configured and analysed.
        for (const added of event.added) {
          const folder = folders.all().find((f) => f.uri === added.uri);
          if (!folder) continue;
          folder.reload(await editorSettings(folder.uri));
          await analyseFolder(folder);
        }
      });
    }
    await analyseAll(true);
    // Open documents are analysed again with the whole index; one being typed in already waits
    // for its debounce, which must not be cut short.
    for (const [uri, entry] of open) if (!entry.timer) schedule(uri, 0);
  });

  connection.onDidChangeConfiguration(async () => {
    await ready;
    await reloadFolders();
  });

  connection.onDidOpenTextDocument(({ textDocument }) => {
    const document = TextDocument.create(
      textDocument.uri,
      textDocument.languageId,
      textDocument.version,
      textDocument.text,
    );
    open.set(textDocument.uri, { document, pending: [] });
    schedule(textDocument.uri, 0);
  });

  connection.onDidChangeTextDocument(({ textDocument, contentChanges }) => {
    const entry = open.get(textDocument.uri);
    if (!entry) return;
    entry.document = TextDocument.update(entry.document, contentChanges, textDocument.version);
    entry.pending.push(...contentChanges);
    // The debounce counts from the keystroke: the re-parse runs inside it.
    schedule(textDocument.uri, DEBOUNCE_MS);
    parseOnEdit(textDocument.uri);
    prepareWhenQuiet(textDocument.uri);
  });

  connection.onDidCloseTextDocument(({ textDocument }) => {
    const entry = open.get(textDocument.uri);
    if (entry?.timer) clearTimeout(entry.timer);
    if (entry?.prepareTimer) clearTimeout(entry.prepareTimer);
    open.delete(textDocument.uri);
    trees.close(textDocument.uri);
    // The findings stay: the file is re-read from disk, where unsaved edits are not.
    const file = fileOf(textDocument.uri);
    if (file) void ready.then(() => analyseFromDisk(file));
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    await ready;
    // A tsconfig/jsconfig change re-reads the folder's module aliases (once for many changes);
    // a folder is reloaded once per batch, a perflens.json reload re-reading its aliases too.
    const aliasesChanged = new Set<FolderAnalysis>();
    const reloaded = new Set<FolderAnalysis>();
    for (const change of changes) {
      const file = fileOf(change.uri);
      if (!file || open.has(change.uri)) continue;
      if (path.basename(file) === CONFIG_FILE_NAME) {
        const folder = folders.folderOf(file);
        if (!reloaded.has(folder)) await reloadAndAnalyse(folder);
        reloaded.add(folder);
        continue;
      }
      if (isModuleAliasConfig(file)) {
        aliasesChanged.add(folders.folderOf(file));
        continue;
      }
      if (change.type === FileChangeType.Deleted) {
        const folder = folders.folderOf(file);
        folder.noteDiskChange(file);
        publish(folder, folder.workspace.remove(file));
      } else analyseFromDisk(file);
    }
    for (const folder of aliasesChanged) {
      if (!reloaded.has(folder)) await reloadAndAnalyse(folder, { quiet: true });
    }
  });

  connection.onCodeAction(async (params) => {
    await ready;
    // A save right after typing asks for source.fixAll (editor.codeActionsOnSave) before the
    // debounced analysis ran: analyse the latest text now, or actionContext() finds stale findings.
    const pending = open.get(params.textDocument.uri);
    if (pending?.timer) {
      clearTimeout(pending.timer);
      pending.timer = undefined;
      analyseOpen(params.textDocument.uri);
    }
    const ctx = actionContext(params.textDocument.uri);
    if (!ctx) return [];
    const only = params.context.only;
    const actions: CodeAction[] = [];
    if (!only || only.some((kind) => kind === CodeActionKind.QuickFix)) {
      actions.push(...quickFixes(ctx, params.context.diagnostics));
      for (const diagnostic of params.context.diagnostics) {
        if (diagnostic.source === 'perflens' && diagnostic.code === 'unused-suppression')
          actions.push(removeSuppressionAction(ctx, diagnostic));
      }
    }
    if (only?.some((kind) => FIX_ALL_KIND.startsWith(kind))) {
      const all = fixAll(ctx);
      if (all) actions.push(all);
    }
    return actions;
  });

  connection.onRequest(AllFindingsRequest, async (): Promise<PanelFinding[]> => {
    await ready;
    const result: PanelFinding[] = [];
    for (const folder of folders.all()) {
      if (!folder.editor.enable) continue;
      for (const file of folder.workspace.fileNames()) {
        const text = folder.workspace.text(file);
        if (text === undefined) continue;
        const lines = new LineIndex(text);
        const uri = URI.file(file).toString();
        for (const finding of folder.workspace.findings(file))
          result.push(toPanelFinding(uri, finding, lines));
      }
    }
    return result;
  });

  connection.onRequest(ReanalyzeRequest, async () => {
    await ready;
    await analyseAll(false);
  });

  connection.onShutdown(() => trees.dispose());
}

function toPanelFinding(uri: string, finding: Finding, lines: LineIndex): PanelFinding {
  const diagnostic = toDiagnostic(finding, lines, () => undefined);
  const data = diagnostic.data as DiagnosticData;
  return {
    uri,
    ruleId: finding.ruleId,
    category: finding.category,
    severity: finding.severity,
    message: finding.message,
    range: diagnostic.range,
    fix: data.fix,
  };
}
