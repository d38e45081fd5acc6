/** How the client starts the server: the bundled `dist/server.js` (through its launcher) over IPC, for the supported languages. */
import * as vscode from 'vscode';
import {
  LanguageClient,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { SERVER_EXEC_ARGV } from '../../server/src/lsp/process-options';
import { CACHE_DIR_VARIABLE } from '../../server/src/runtime/code-cache';

/**
 * Documents the server analyses: by VS Code language id, and `.prisma` and docker compose files by
 * name, since the `prisma` language id exists only when the Prisma extension is installed and
 * compose files are `dockercompose` with the Docker extension, `yaml` without (and the server
 * reads no other YAML).
 */
export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'sql' },
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', language: 'typescriptreact' },
  { scheme: 'file', language: 'javascript' },
  { scheme: 'file', language: 'javascriptreact' },
  { scheme: 'file', pattern: '**/*.prisma' },
  {
    scheme: 'file',
    pattern: '**/{docker-compose,docker-compose.*,docker-compose-*,compose,compose.*}.{yml,yaml}',
  },
];

export function createLanguageClient(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
): LanguageClient {
  // The launcher runs `server.js` from the code cache (see server-launcher.ts).
  const module = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server-launcher.js').fsPath;
  // The server keeps its compiled-code cache in the extension's storage (see code-cache.ts).
  const env = {
    ...process.env,
    [CACHE_DIR_VARIABLE]: vscode.Uri.joinPath(context.globalStorageUri, 'code-cache').fsPath,
  };
  const serverOptions: ServerOptions = {
    run: {
      module,
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_EXEC_ARGV], env },
    },
    debug: {
      module,
      transport: TransportKind.ipc,
      options: { execArgv: [...SERVER_EXEC_ARGV, '--nolazy', '--inspect=6019'], env },
    },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    synchronize: {
      configurationSection: 'perflens',
      fileEvents: vscode.workspace.createFileSystemWatcher(
        '**/{*.py,*.pyi,*.sql,*.ts,*.tsx,*.mts,*.cts,*.js,*.jsx,*.mjs,*.cjs,*.prisma,docker-compose*.yml,docker-compose*.yaml,compose*.yml,compose*.yaml,perflens.json,tsconfig*.json,jsconfig*.json,package.json}',
      ),
    },
    outputChannel: output,
    traceOutputChannel: output,
    diagnosticCollectionName: 'perflens',
  };
  return new LanguageClient('perflens', 'Perflens', serverOptions, clientOptions);
}
