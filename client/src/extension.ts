/**
 * Perflens's VS Code extension: UI only. It starts the language server (which does all analysis),
 * and shows what the server finds: the findings panel, a language status item, commands.
 */
import * as vscode from 'vscode';
import { Ctx } from './ctx';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  ctx = new Ctx(context);
  await ctx.start();
}

export async function deactivate(): Promise<void> {
  await ctx?.stop();
  ctx = undefined;
}
