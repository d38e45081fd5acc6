import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from './temp-dir';

/**
 * Writes `files` (relative path -> text) into a new temporary folder and returns its path; the
 * folder is removed when the test process exits.
 */
export function tempWorkspace(files: Record<string, string>, prefix = 'perflens-test-'): string {
  const dir = makeTempDir(prefix);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
