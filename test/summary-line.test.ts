/** The summary line under a text report: counts by severity and what `--fix` would fix. */
import * as assert from 'node:assert/strict';
import { summaryLine } from '../server/src/cli/format/text';
import type { Finding, Fix } from '../server/src/engine/types';

function finding(fixes: Fix['safety'][]): Finding {
  return {
    ruleId: 'unbounded-orm-query',
    category: 'unbounded-query',
    severity: 'warning',
    message: 'loads every row',
    file: '/work/app.py',
    start: 0,
    end: 1,
    startPos: { line: 1, column: 1 },
    endPos: { line: 1, column: 2 },
    fixes: fixes.map((safety) => ({ title: 'Bound it', safety, edits: [] })),
  };
}

describe('summary line', () => {
  it('counts safe fixes, and unsafe ones as more beside them', () => {
    assert.equal(
      summaryLine([finding(['safe']), finding(['unsafe']), finding([])], 1),
      'Found 3 problems (3 warnings) in 1 of 1 files. 1 fixable with --fix; ' +
        '1 more fixable with --fix --unsafe-fixes.',
    );
  });

  it('says unsafe fixes alone are fixable, not "more" problems', () => {
    assert.equal(
      summaryLine([finding(['unsafe'])], 1),
      'Found 1 problem (1 warning) in 1 of 1 files. 1 fixable with --fix --unsafe-fixes.',
    );
  });
});
