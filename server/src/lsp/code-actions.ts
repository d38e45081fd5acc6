/**
 * Code actions for Perflens diagnostics: the rule's fix (preferred when safe), "Fix all <rule>
 * problems in this file", "Ignore <rule> for this line", "Show documentation for <rule>", and
 * `source.fixAll.perflens` (safe fixes only, for `editor.codeActionsOnSave`).
 */
import {
  CodeAction,
  CodeActionKind,
  type CreateFile,
  type Diagnostic,
  type TextDocumentEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver';
import { URI } from 'vscode-uri';
import { LineIndex } from '../engine/positions';
import { commentMarker } from '../engine/suppressions';
import type { Finding, Fix, Language, TextEdit as EngineEdit } from '../engine/types';
import { rangeOf, toTextEdits, type DiagnosticData } from './convert';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.perflens`;
export const SHOW_DOCS_COMMAND = 'perflens.showRuleDocs';

/** What code actions need to know of a document and the workspace it belongs to. */
export interface ActionContext {
  uri: string;
  file: string;
  version: number | undefined;
  text: string;
  language: Language;
  findings: Finding[];
  /** Resolves a fix's relative or absolute file name to an absolute path. */
  resolve(file: string): string;
  /** Text and version of another file a cross-file fix edits (open document or disk). */
  textOf(file: string): { text: string; version: number | null } | undefined;
}

function sameRange(finding: Finding, diagnostic: Diagnostic): boolean {
  return (
    finding.startPos.line - 1 === diagnostic.range.start.line &&
    finding.startPos.column - 1 === diagnostic.range.start.character &&
    finding.endPos.line - 1 === diagnostic.range.end.line &&
    finding.endPos.column - 1 === diagnostic.range.end.character
  );
}

/** Builds a workspace edit from engine edits (possibly in several files) and file creations. */
export function workspaceEditOf(
  ctx: ActionContext,
  edits: readonly EngineEdit[],
  fixes: readonly Fix[] = [],
): WorkspaceEdit | undefined {
  const byFile = new Map<string, EngineEdit[]>();
  for (const edit of edits) {
    const file = edit.file ? ctx.resolve(edit.file) : ctx.file;
    const list = byFile.get(file) ?? [];
    list.push(edit);
    byFile.set(file, list);
  }
  const documentChanges: (TextDocumentEdit | CreateFile)[] = [];
  for (const [file, list] of byFile) {
    const target =
      file === ctx.file ? { text: ctx.text, version: ctx.version ?? null } : ctx.textOf(file);
    if (!target) return undefined;
    const unique = [...new Map(list.map((e) => [`${e.start}:${e.end}:${e.newText}`, e])).values()];
    documentChanges.push({
      textDocument: {
        uri: file === ctx.file ? ctx.uri : URI.file(file).toString(),
        version: target.version,
      },
      edits: toTextEdits(unique, new LineIndex(target.text)),
    });
  }
  for (const creation of fixes.flatMap((fix) => fix.creates ?? [])) {
    const uri = URI.file(ctx.resolve(creation.file)).toString();
    documentChanges.push({ kind: 'create', uri, options: { ignoreIfExists: true } });
    documentChanges.push({
      textDocument: { uri, version: null },
      edits: [
        {
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
          newText: creation.content,
        },
      ],
    });
  }
  return { documentChanges };
}

/** Non-overlapping edits of several fixes, first come first served (overlaps wait for the next run). */
function mergeFixes(fixes: readonly Fix[]): EngineEdit[] {
  const taken: EngineEdit[] = [];
  for (const fix of fixes) {
    const overlaps = fix.edits.some((edit) =>
      taken.some(
        (t) => (t.file ?? '') === (edit.file ?? '') && edit.start < t.end && t.start < edit.end,
      ),
    );
    if (!overlaps) taken.push(...fix.edits);
  }
  return taken;
}

function safetyLabel(fix: Fix): string {
  return fix.safety === 'unsafe' ? `${fix.title} (unsafe: may change behaviour)` : fix.title;
}

function ignoreEdit(ctx: ActionContext, finding: Finding): EngineEdit {
  const lines = new LineIndex(ctx.text);
  const end = lines.lineEnd(finding.startPos.line);
  const marker = commentMarker(ctx.language);
  const existing = /perflens-ignore:\s*([A-Za-z0-9_,\s-]+)$/.exec(
    lines.lineText(finding.startPos.line),
  );
  if (existing) return { start: end, end, newText: `, ${finding.ruleId}` };
  return { start: end, end, newText: `  ${marker} perflens-ignore: ${finding.ruleId}` };
}

/** Quick fixes for the diagnostics the client asks about. */
export function quickFixes(ctx: ActionContext, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const seenRules = new Set<string>();
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== 'perflens') continue;
    const data = diagnostic.data as DiagnosticData | undefined;
    const ruleId = data?.ruleId ?? String(diagnostic.code ?? '');
    const finding = ctx.findings.find((f) => f.ruleId === ruleId && sameRange(f, diagnostic));
    if (!finding) continue;
    finding.fixes.forEach((fix, i) => {
      const edit = workspaceEditOf(ctx, fix.edits, [fix]);
      if (!edit) return;
      actions.push({
        title: safetyLabel(fix),
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: i === 0 && fix.safety === 'safe',
        edit,
      });
    });
    if (!seenRules.has(ruleId)) {
      seenRules.add(ruleId);
      const fixable = ctx.findings.filter((f) => f.ruleId === ruleId && f.fixes.length > 0);
      if (fixable.length > 1) {
        const fixes = fixable.map((f) => f.fixes[0]);
        const edit = workspaceEditOf(ctx, mergeFixes(fixes), fixes);
        const unsafe = fixes.some((fix) => fix.safety === 'unsafe');
        if (edit) {
          actions.push({
            title: `Fix all ${ruleId} problems in this file${unsafe ? ' (unsafe: may change behaviour)' : ''}`,
            kind: CodeActionKind.QuickFix,
            diagnostics: [diagnostic],
            edit,
          });
        }
      }
    }
    const ignore = workspaceEditOf(ctx, [ignoreEdit(ctx, finding)]);
    if (ignore) {
      actions.push({
        title: `Ignore ${ruleId} for this line`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: ignore,
      });
    }
    actions.push({
      title: `Show documentation for ${ruleId}`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [diagnostic],
      command: {
        title: `Show documentation for ${ruleId}`,
        command: SHOW_DOCS_COMMAND,
        arguments: [ruleId],
      },
    });
  }
  return actions;
}

/** `source.fixAll.perflens`: every safe fix of the document. */
export function fixAll(ctx: ActionContext): CodeAction | undefined {
  const fixes = ctx.findings.flatMap((f) => (f.fixes[0]?.safety === 'safe' ? [f.fixes[0]] : []));
  if (fixes.length === 0) return undefined;
  const edit = workspaceEditOf(ctx, mergeFixes(fixes), fixes);
  return edit ? { title: 'Fix all safe Perflens problems', kind: FIX_ALL_KIND, edit } : undefined;
}

/** An unused-suppression diagnostic's fix: delete the comment. */
export function removeSuppressionAction(ctx: ActionContext, diagnostic: Diagnostic): CodeAction {
  const lines = new LineIndex(ctx.text);
  const line = diagnostic.range.start.line + 1;
  const start = lines.offset({ line, column: diagnostic.range.start.character + 1 });
  const before = ctx.text.slice(lines.lineStart(line), start);
  // Remove the comment and the spaces before it; an own-line comment takes its line with it.
  const from =
    before.trim() === ''
      ? lines.lineStart(line)
      : start - (before.length - before.trimEnd().length);
  const to =
    before.trim() === '' ? Math.min(ctx.text.length, lines.lineEnd(line) + 1) : lines.lineEnd(line);
  return {
    title: 'Remove unused perflens-ignore comment',
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: true,
    edit: { changes: { [ctx.uri]: [{ range: rangeOf(lines, from, to), newText: '' }] } },
  };
}
