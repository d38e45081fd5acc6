/** Workspace folders of the language server: a folder that leaves lets go of its program. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { URI } from 'vscode-uri';
import { Folders } from '../server/src/lsp/folders';
import { DEFAULT_EDITOR_SETTINGS } from '../server/src/lsp/settings';
import { typeOracleFor } from '../server/src/typescript/type-oracle';

describe('language server folders', () => {
  const made: string[] = [];
  const folder = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-folder-'));
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it("releases a removed folder's type oracle and keeps the others'", () => {
    const [kept, removed] = [folder(), folder()];
    const oracleOf = (root: string) => typeOracleFor({ root, include: [], exclude: [] });
    const folders = new Folders(DEFAULT_EDITOR_SETTINGS);
    const uris = [kept, removed].map((root) => URI.file(root).toString());
    folders.set(uris, () => DEFAULT_EDITOR_SETTINGS);
    const keptOracle = oracleOf(kept);
    const removedOracle = oracleOf(removed);
    assert.equal(oracleOf(removed), removedOracle, 'one oracle per folder while it is open');

    folders.set([uris[0]], () => DEFAULT_EDITOR_SETTINGS);
    assert.equal(oracleOf(kept), keptOracle);
    assert.notEqual(oracleOf(removed), removedOracle, 'a folder added again starts afresh');
  });
});
