/** A minimal LSP client over stdio for tests: starts the real server bundle as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type PublishDiagnosticsParams,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';

export interface TestClient {
  connection: ProtocolConnection;
  process: ChildProcess;
  /** Latest diagnostics per URI. */
  diagnostics: Map<string, PublishDiagnosticsParams>;
  /** Resolves when `predicate` holds for the diagnostics of `uri` (checked on every publish). */
  waitFor(
    uri: string,
    predicate: (params: PublishDiagnosticsParams) => boolean,
    timeoutMs?: number,
  ): Promise<PublishDiagnosticsParams>;
  stderr(): string;
  close(): Promise<void>;
}

export const SERVER_BUNDLE = path.join(__dirname, '..', '..', 'dist', 'cli.js');

export async function startClient(
  rootUri: string,
  settings: Record<string, unknown> = {},
  extraCapabilities = {},
): Promise<TestClient> {
  const child = spawn(
    process.execPath,
    ['-e', `require(${JSON.stringify(SERVER_BUNDLE)}).run()`, 'perflens', 'lsp', '--stdio'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk.toString()));
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const diagnostics = new Map<string, PublishDiagnosticsParams>();
  const waiters: (() => void)[] = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
    diagnostics.set(params.uri, params);
    for (const wake of waiters.splice(0)) wake();
  });
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
    params.items.map(() => settings),
  );
  connection.onRequest('window/workDoneProgress/create', () => null);
  connection.onRequest('client/registerCapability', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.onNotification('$/progress', () => undefined);
  connection.onNotification('perflens/status', () => undefined);
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'test' }],
    capabilities: {
      workspace: { configuration: true, workspaceFolders: true },
      window: { workDoneProgress: true },
      ...extraCapabilities,
    },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  const waitFor: TestClient['waitFor'] = (uri, predicate, timeoutMs = 10000) =>
    new Promise((resolve, reject) => {
      const deadline = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for diagnostics of ${uri}; last: ${JSON.stringify(diagnostics.get(uri))}\n${stderr}`,
            ),
          ),
        timeoutMs,
      );
      const check = (): void => {
        const current = diagnostics.get(uri);
        if (current && predicate(current)) {
          clearTimeout(deadline);
          resolve(current);
        } else waiters.push(check);
      };
      check();
    });
  return {
    connection,
    process: child,
    diagnostics,
    waitFor,
    stderr: () => stderr,
    close: async () => {
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      connection.dispose();
      child.kill();
    },
  };
}
