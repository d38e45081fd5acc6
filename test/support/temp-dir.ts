import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Folders made by `makeTempDir` in this process. */
const made: string[] = [];

function removeAll(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A new temporary folder, removed when the test process exits, failed tests included. Tests write
 * workspaces, 10 MB files and caches there: left behind, each `npm test` kept ~15 MB in the
 * temporary folder.
 */
export function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (made.length === 0) process.once('exit', removeAll);
  made.push(dir);
  return dir;
}
