/** A scan in several lanes makes V8 optimise later (jit-budget.ts); a scan in one lane does not. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { LANE_INTERRUPT_BUDGET } from '../server/src/cli/jit-budget';
import { scan } from '../server/src/cli/scan';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { discoverFiles } from '../server/src/workspace/discovery';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const v8 = require('node:v8') as typeof import('node:v8');

describe('V8 interrupt budget of a scan', () => {
  let dir: string;
  const flagsSet: string[] = [];
  const setFlags = v8.setFlagsFromString;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-jit-'));
    // Two chunks of files, so two lanes each get one.
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `m${i}.py`), 'x = 1\n');
    v8.setFlagsFromString = (flags: string) => void flagsSet.push(flags);
  });

  after(() => {
    v8.setFlagsFromString = setFlags;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const scanIn = async (jobs: number) => {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG, {}, dir);
    await scan({
      files: discoverFiles([dir], { root: dir, include: [], exclude: [] }),
      rules,
      settings,
      maxFileBytes: DEFAULT_CONFIG.maxFileSizeKb * 1024,
      jobs,
    });
  };

  it('is left alone in one lane', async () => {
    flagsSet.length = 0;
    await scanIn(1);
    assert.deepEqual(flagsSet, []);
  });

  it('is raised before the workers start when there are several lanes', async () => {
    flagsSet.length = 0;
    await scanIn(2);
    assert.deepEqual(flagsSet, [`--interrupt-budget=${LANE_INTERRUPT_BUDGET}`]);
  });
});
