/**
 * Perflens's own LSP messages, beside the standard ones. Each says who sends it and why.
 */
import { NotificationType, RequestType0 } from 'vscode-languageserver-protocol';

/** One finding as the findings panel shows it. */
export interface PanelFinding {
  uri: string;
  ruleId: string;
  category: string;
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  /** 0-based LSP range. */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** `safe`, `unsafe`, or `none` when the finding has no fix. */
  fix: 'safe' | 'unsafe' | 'none';
}

/** Client → server: every finding of every workspace folder, for the findings panel. */
export const AllFindingsRequest = new RequestType0<PanelFinding[], void>('perflens/allFindings');

export interface StatusParams {
  state: 'analyzing' | 'idle';
  /** Files analysed so far. */
  files: number;
  findings: number;
  /** Files skipped (binary, too large, minified) or that failed, with why. */
  problems: number;
}

/**
 * Server → client: analysis started or finished, with counts; drives the status item. Sent after
 * every change that altered findings, so the client also refreshes the findings panel on it.
 */
export const StatusNotification = new NotificationType<StatusParams>('perflens/status');

/** Client → server: analyse every file of the workspace again (the "Re-analyse workspace" command). */
export const ReanalyzeRequest = new RequestType0<void, void>('perflens/reanalyzeWorkspace');
