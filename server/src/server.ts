/**
 * The Perflens language server entry point: LSP wiring only. The transport (`--node-ipc` from the
 * VS Code client, `--stdio` from `perflens lsp --stdio` and other editors) comes from the command
 * line; everything Perflens does lives in `lsp/language-server.ts` and the engine.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { serve } from './lsp/language-server';

/** Starts the server on the transport named in `process.argv`. */
export function startServer(): void {
  const connection = createConnection(ProposedFeatures.all);
  serve(connection);
  connection.listen();
}

if (require.main === module) startServer();
