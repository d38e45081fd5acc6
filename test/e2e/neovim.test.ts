/**
 * `perflens lsp --stdio` with a stock LSP client: Neovim's built-in one (Debian's neovim,
 * installed by test/e2e/setup.sh), driven headless by test/e2e/neovim/check.lua.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeTempDir } from '../support/temp-dir';

const ROOT = path.resolve(__dirname, '..', '..');

describe('Neovim as the LSP client', function () {
  this.timeout(60000);

  it('receives Perflens diagnostics and code actions', () => {
    const dir = makeTempDir('perflens-nvim-');
    fs.writeFileSync(
      path.join(dir, 'app.py'),
      'import time\n\n\nasync def handler():\n    time.sleep(1)\n',
    );
    const out = path.join(dir, 'result.json');
    const run = spawnSync(
      'nvim',
      ['--headless', '--clean', '-c', `luafile ${path.join(ROOT, 'test/e2e/neovim/check.lua')}`],
      {
        env: {
          ...process.env,
          PERFLENS_NVIM_ROOT: dir,
          PERFLENS_NVIM_OUT: out,
          PERFLENS_CLI: path.join(ROOT, 'bin/perflens.js'),
        },
        encoding: 'utf8',
        timeout: 50000,
      },
    );
    assert.equal(run.error, undefined, `nvim could not run: ${run.error?.message}`);
    assert.ok(
      fs.existsSync(out),
      `nvim wrote no result (exit ${run.status}):\n${run.stdout}\n${run.stderr}`,
    );
    const result = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(result.arrived, true, 'no diagnostics arrived within 20 s');
    assert.deepEqual(
      result.diagnostics.map((d: { code: string; source: string; lnum: number; col: number }) => [
        d.code,
        d.source,
        d.lnum,
        d.col,
      ]),
      [['blocking-sleep-in-async', 'perflens', 4, 4]],
    );
    assert.deepEqual(result.actions, [
      'Replace with `await asyncio.sleep(...)`',
      'Ignore blocking-sleep-in-async for this line',
      'Show documentation for blocking-sleep-in-async',
    ]);
  });
});
