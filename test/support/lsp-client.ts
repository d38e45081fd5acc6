/** A minimal LSP client over stdio for tests: starts the real server bundle as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import {
  createProtocolConnection,
  ErrorCodes,
  InitializeRequest,
  InitializedNotification,
  PublishDiagnosticsNotification,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
  type PublishDiagnosticsParams,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import { CACHE_DIR_VARIABLE } from '../../server/src/runtime/code-cache';
import { makeTempDir } from './temp-dir';

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

const root = path.join(__dirname, '..', '..');

/**
 * How the server is started: as `perflens lsp --stdio` (the CLI's bin, as Neovim or Helix start
 * it), or through the launcher the VS Code client starts. Both run their bundle from the code
 * cache, which the first server to exit writes.
 */
export const SERVER_ENTRIES = {
  cli: [path.join(root, 'bin', 'perflens.js'), 'lsp', '--stdio'],
  vscode: [path.join(root, 'dist', 'server-launcher.js'), '--stdio'],
};

/** One code cache for the servers these tests start, apart from the user's. */
let codeCacheDir: string | undefined;
export function testCodeCacheDir(): string {
  codeCacheDir ??= makeTempDir('perflens-lsp-cache-');
  return codeCacheDir;
}

/**
 * Starts a server on `rootUri` and initialises it. The client answers `workspace/configuration`
 * with `settings`, and with an error the requests named in `refused` (as a client that does not
 * implement them does); requests it has no handler for get an error too, as in any client.
 */
export async function startClient(
  rootUri: string,
  settings: Record<string, unknown> = {},
  extraCapabilities = {},
  entry: keyof typeof SERVER_ENTRIES = 'cli',
  refused: readonly string[] = [],
): Promise<TestClient> {
  const child = spawn(process.execPath, SERVER_ENTRIES[entry], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, [CACHE_DIR_VARIABLE]: testCodeCacheDir() },
  });
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
  const answer = (method: string) => () => {
    if (refused.includes(method))
      throw new ResponseError(ErrorCodes.MethodNotFound, `${method} is not supported`);
    return null;
  };
  connection.onRequest('workspace/configuration', (params: { items: unknown[] }) => {
    answer('workspace/configuration')();
    return params.items.map(() => settings);
  });
  connection.onRequest('window/workDoneProgress/create', answer('window/workDoneProgress/create'));
  connection.onRequest('client/registerCapability', answer('client/registerCapability'));
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
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      // A server that exits by itself writes its code cache on the way out.
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
      connection.dispose();
      child.kill();
    },
  };
}
