/** How many lanes a scan uses: by default one per LANE_BYTES of code, up to one per core. */
import * as assert from 'node:assert/strict';
import { LANE_BYTES, laneBytes, laneCount } from '../server/src/cli/lane-count';

const MB = 1024 * 1024;

describe('scan lanes', () => {
  it('by default keeps a small scan in one lane, however many cores there are', () => {
    assert.equal(laneCount('auto', 30, 0, 8), 1);
    assert.equal(laneCount('auto', 30, 1.7 * MB, 8), 1);
    assert.equal(laneCount('auto', 30, 2 * LANE_BYTES - 1, 2), 1);
  });

  it('by default adds a lane per LANE_BYTES of code, up to one per core', () => {
    assert.equal(laneCount('auto', 100, 2 * LANE_BYTES, 8), 2);
    assert.equal(laneCount('auto', 100, 6.5 * LANE_BYTES, 8), 6);
    assert.equal(laneCount('auto', 100, 8.6 * MB, 2), 2);
    assert.equal(laneCount('auto', 1000, 200 * MB, 8), 8);
  });

  it('counts TypeScript and JavaScript at half weight: every lane compiles their parser again', () => {
    assert.equal(laneBytes('python', 3 * MB), 3 * MB);
    assert.equal(laneBytes('sql', 3 * MB), 3 * MB);
    assert.equal(laneBytes('typescript', 3 * MB), 1.5 * MB);
    // The benchmark's TypeScript corpus (3.95 MB) stays in one lane; its Python corpus does not.
    assert.equal(laneCount('auto', 100, laneBytes('typescript', 3.95e6), 2), 1);
    assert.equal(laneCount('auto', 100, laneBytes('python', 8.6e6), 2), 2);
  });

  it('gives --jobs N its N lanes whatever the amount of code', () => {
    assert.equal(laneCount(4, 10, 0, 2), 4);
    assert.equal(laneCount(1, 10, 200 * MB, 8), 1);
  });

  it('never uses more lanes than chunks of files', () => {
    assert.equal(laneCount(8, 3, 0, 8), 3);
    assert.equal(laneCount('auto', 2, 200 * MB, 8), 2);
    assert.equal(laneCount(8, 0, 0, 8), 1);
  });
});
