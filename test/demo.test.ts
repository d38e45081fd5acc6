/**
 * The embedded demos are tests: each README lists every planted mistake (file, line, rule), and the
 * scan must report each of them and nothing else, so the correct look-alikes stay silent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import { scan } from '../server/src/cli/scan';
import { discoverFiles } from '../server/src/workspace/discovery';

import type { Language } from '../server/src/engine/types';

interface Demo {
  name: string;
  /** Fewest planted rows the README must list. */
  minimumRows: number;
  /** Languages whose every rule the demo must show. */
  languages: Language[];
}

const DEMOS: Demo[] = [
  { name: 'demo-app', minimumRows: 36, languages: ['python', 'compose'] },
  { name: 'fastify-prisma-app', minimumRows: 15, languages: ['typescript', 'prisma'] },
];
const RULE_IDS = new Set(ALL_RULES.map((rule) => rule.meta.id));

interface Planted {
  id: string;
  rule: string;
  /** File relative to the demo, and the line range a finding may start on. */
  places: { file: string; from: number; to: number }[];
}

/** Rows of the README's "Planted mistakes" tables. */
function plantedMistakes(dir: string): Planted[] {
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Planted mistakes'),
    readme.indexOf('## Correct on purpose'),
  );
  const rows: Planted[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (!/^[A-Z]\d+$/.test(cells[1] ?? '')) continue;
    const rule = [...cells[4].matchAll(/`([a-z0-9-]+)`/g)]
      .map((m) => m[1])
      .find((id) => RULE_IDS.has(id));
    assert.ok(rule, `row ${cells[1]} names no rule`);
    // Only the places before "reached from" / "(grows at" are where the finding is.
    const where = cells[2].split(/reached from|\(grows at/)[0];
    const places: Planted['places'] = [];
    let file = '';
    for (const match of where.matchAll(/`([\w./-]+)?:(\d+)(?:-(\d+))?`/g)) {
      file = match[1] ?? file;
      places.push({ file, from: Number(match[2]), to: Number(match[3] ?? match[2]) });
    }
    assert.ok(places.length > 0, `row ${cells[1]} has no file:line`);
    rows.push({ id: cells[1], rule, places });
  }
  return rows;
}

describe('demo apps', function () {
  this.timeout(60000);

  for (const demo of DEMOS) {
    it(`${demo.name}: reports every planted mistake and nothing on the correct code`, () =>
      checkDemo(demo));
  }

  it('the SQL rules all show in the demos together', async () => {
    const kinds = new Set<string>();
    for (const demo of DEMOS) for (const f of await scanDemo(demo)) kinds.add(f.rule);
    const sqlRules = ALL_RULES.filter((rule) => rule.meta.language === 'sql');
    assert.deepEqual(
      sqlRules.map((r) => r.meta.id).filter((id) => !kinds.has(id)),
      [],
      'SQL rules no demo shows',
    );
  });
});

async function scanDemo(demo: Demo) {
  const DEMO = path.join(__dirname, '..', 'examples', demo.name);
  const files = discoverFiles([DEMO], { root: DEMO, include: [], exclude: [] });
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const result = await scan({ files, rules, settings, maxFileBytes: 2 * 1024 * 1024, jobs: 1 });
  assert.deepEqual(result.problems, []);
  return result.reports.flatMap((report) =>
    report.findings.map((f) => ({
      rule: f.ruleId,
      file: path.relative(DEMO, f.file),
      line: f.startPos.line,
    })),
  );
}

async function checkDemo(demo: Demo): Promise<void> {
  const DEMO = path.join(__dirname, '..', 'examples', demo.name);
  const planted = plantedMistakes(DEMO);
  assert.ok(planted.length >= demo.minimumRows, `only ${planted.length} planted rows found`);
  const findings = await scanDemo(demo);
  const matches = (f: (typeof findings)[number], row: Planted) =>
    f.rule === row.rule &&
    row.places.some((p) => p.file === f.file && p.from <= f.line && f.line <= p.to);

  const missed = planted.flatMap((row) =>
    row.places
      .filter((p) => !findings.some((f) => matches(f, { ...row, places: [p] })))
      .map((p) => `${row.id} ${row.rule} ${p.file}:${p.from}`),
  );
  assert.deepEqual(missed, [], 'planted mistakes the scan did not report');
  const unexpected = findings
    .filter((f) => !planted.some((row) => matches(f, row)))
    .map((f) => `${f.rule} ${f.file}:${f.line}`);
  assert.deepEqual(unexpected, [], 'findings on code the README does not list as a mistake');
  const kinds = new Set(findings.map((f) => f.rule));
  const demoRules = ALL_RULES.filter((rule) => demo.languages.includes(rule.meta.language));
  assert.deepEqual(
    demoRules.map((r) => r.meta.id).filter((id) => !kinds.has(id)),
    [],
    'rules the demo never shows',
  );
}
