/** How many lanes a scan uses: by default one per LANE_BYTES of code, up to one per core. */
import * as assert from 'node:assert/strict';
import { LANE_BYTES, laneCount } from '../server/src/cli/lane-count';

const MB = 1024 * 1024;

describe('scan lanes', () => {
  it('by default keeps a small scan in one lane, however many cores there are', () => {
    assert.equal(laneCount('auto', 30, 0, 8), 1);
    assert.equal(laneCount('auto', 30, 1.7 * MB, 8), 1);
    assert.equal(laneCount('auto', 30, LANE_BYTES - 1, 2), 1);
  });

  it('by default adds a lane per LANE_BYTES of code, up to one per core', () => {
    assert.equal(laneCount('auto', 100, 2 * LANE_BYTES, 8), 2);
    assert.equal(laneCount('auto', 100, 6.5 * LANE_BYTES, 8), 6);
    assert.equal(laneCount('auto', 100, 8.6 * MB, 2), 2);
    assert.equal(laneCount('auto', 1000, 200 * MB, 8), 8);
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
