/** The editor's incremental analysis: edits in one file update findings that depend on it elsewhere. */
import * as assert from 'node:assert/strict';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import type { Rule } from '../server/src/engine/rule';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { analyseInLanes } from '../server/src/cli/lanes';
import { ScanCore } from '../server/src/cli/scan-core';
import { analyseMany } from './support/analyse-many';
import type { SourceFile } from '../server/src/languages/prepared';
import {
  LiveWorkspace,
  sameShape,
  type AdoptedAnalysis,
} from '../server/src/workspace/live-workspace';

const MODELS = (email: string) => `from sqlalchemy import Column, ForeignKey, Integer, String
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = ${email}


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"))
`;

const QUERIES = `from app.models import User


def users_with_email(db, email):
    return db.query(User).filter(User.email == email).all()
`;

const source = (file: string, text: string) => ({
  file,
  relativePath: file,
  text,
  language: 'python' as const,
});

describe('live workspace', () => {
  before(() => initParsers());

  function workspace(): LiveWorkspace {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    return new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
  }

  it('re-checks a query file when the model it depends on changes', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('app/models.py', MODELS('Column(String)')),
      source('app/queries.py', QUERIES),
    ]);
    const rulesIn = (file: string) => live.findings(file).map((f) => f.ruleId);
    assert.ok(rulesIn('app/queries.py').includes('unbounded-orm-query'));
    assert.ok(rulesIn('app/models.py').includes('unindexed-foreign-key'));

    const changed = live.update(source('app/models.py', MODELS('Column(String, unique=True)')));
    assert.ok(changed.has('app/queries.py'), `changed: ${[...changed].join(', ')}`);
    assert.ok(
      !rulesIn('app/queries.py').includes('unbounded-orm-query'),
      'a unique lookup returns one row',
    );
  });

  it('does not re-check other files when an edit leaves the facts unchanged', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('app/models.py', MODELS('Column(String)')),
      source('app/queries.py', QUERIES),
    ]);
    const changed = live.update(
      source('app/queries.py', QUERIES.replace('email):', 'email):  # look up')),
    );
    assert.ok(!changed.has('app/models.py'), `changed: ${[...changed].join(', ')}`);
  });

  it('runs a schema reader once per file at start-up, schema files first, whatever their order', async () => {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    // A rule that reads the schema from the index, as unbounded-orm-query does for unique columns.
    const runs: string[] = [];
    const schemaReader: Rule = {
      meta: { ...ALL_RULES[0].meta, language: 'python', id: 'reads-the-schema' },
      check(ctx) {
        runs.push(ctx.relativePath);
        ctx.index.tables('users');
      },
    };
    const live = new LiveWorkspace([...rules, schemaReader], settings, {
      maxFileBytes: 2 * 1024 * 1024,
    });
    // The query file says nothing of schema (`app.tables`, not `app.models`): it is staged last.
    await analyseMany(live, [
      source('app/queries.py', QUERIES.replace('app.models', 'app.tables')),
      source('app/tables.py', MODELS('Column(String, unique=True)')),
    ]);
    // Before, every such rule was stopped in a first pass and run again once all files were in.
    assert.deepEqual(runs, ['app/tables.py', 'app/queries.py', 'app/tables.py']);
    const rulesIn = (file: string) => live.findings(file).map((f) => f.ruleId);
    assert.ok(!rulesIn('app/queries.py').includes('unbounded-orm-query'), 'sees the unique column');
  });

  it('runs the index readers again when a file the schema sniff passed over declares schema', () => {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    const core = new ScanCore(rules, settings, 2 * 1024 * 1024);
    const lane = (file: string, text: string) => ({ ...source(file, text) });
    // Both in the main round, as if the sniff had said neither declares schema: the unique
    // column comes after the query file's rules ran.
    core.prepare([lane('app/queries.py', QUERIES)], false);
    core.prepare([lane('app/models.py', MODELS('Column(String, unique=True)'))], false);
    const { findings } = core.check([], true);
    const inQueries = findings.filter((f) => f.file === 'app/queries.py').map((f) => f.ruleId);
    assert.ok(!inQueries.includes('unbounded-orm-query'), inQueries.join(', '));
  });

  it('forgets a deleted file and what it caused elsewhere', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('app/models.py', MODELS('Column(String, unique=True)')),
      source('app/queries.py', QUERIES),
    ]);
    assert.ok(!live.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
    const changed = live.remove('app/models.py');
    assert.ok(changed.has('app/models.py') && changed.has('app/queries.py'));
    assert.ok(live.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
  });
});

describe('live workspace with docker compose files', () => {
  before(() => initParsers());
  const BASE = 'services:\n  sonar:\n    image: sonarqube:10\n    mem_limit: 1g\n';
  const OVERRIDE = (limit: string) => `services:\n  sonar:\n    mem_limit: ${limit}\n`;
  const compose = (file: string, text: string) => ({
    ...source(file, text),
    language: 'compose' as const,
  });

  it('re-checks the file an override merges over, and no Python file, as the override changes', async () => {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    // A Python rule that reads the index, as the cross-file Python rules do.
    const runs: string[] = [];
    const indexReader: Rule = {
      meta: { ...ALL_RULES[0].meta, language: 'python', id: 'reads-the-index' },
      check(ctx) {
        runs.push(ctx.relativePath);
        ctx.index.tables('users');
      },
    };
    const live = new LiveWorkspace([...rules, indexReader], settings, {
      maxFileBytes: 2 * 1024 * 1024,
    });
    await analyseMany(live, [
      compose('deploy/docker-compose.yml', BASE),
      compose('deploy/docker-compose.override.yml', OVERRIDE('4g')),
      source('app/queries.py', QUERIES),
    ]);
    const limitFindings = (file: string) =>
      live.findings(file).filter((f) => f.ruleId === 'compose-memory-too-low');
    assert.equal(limitFindings('deploy/docker-compose.yml').length, 0, 'the override raises it');
    runs.length = 0;
    live.update(compose('deploy/docker-compose.override.yml', OVERRIDE('1g')));
    assert.equal(limitFindings('deploy/docker-compose.override.yml').length, 1);
    assert.deepEqual(runs, [], 'a compose edit re-checks no Python file');
    const removed = live.remove('deploy/docker-compose.override.yml');
    assert.ok(removed.has('deploy/docker-compose.yml'), `changed: ${[...removed].join(', ')}`);
    assert.equal(limitFindings('deploy/docker-compose.yml').length, 1, 'judged alone again');
  });
});

describe('live workspace front end run ahead', () => {
  before(() => initParsers());

  const SLEEPS = 'import time\n\n\nasync def f():\n    time.sleep(1)\n';
  const AWAITS = 'import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n';

  /** A workspace whose rules count the front ends run (every front end asks for traits). */
  function countingWorkspace() {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    let traitCalls = 0;
    const counted = rules.map((rule) => {
      const traits = rule.pythonTraits;
      if (!traits) return rule;
      return {
        ...rule,
        pythonTraits: (...args: Parameters<typeof traits>) => (traitCalls++, traits(...args)),
      };
    });
    const perFrontEnd = counted.filter((rule) => rule.pythonTraits).length;
    const live = new LiveWorkspace(counted, settings, { maxFileBytes: 2 * 1024 * 1024 });
    const limits = { maxFileBytes: 2 * 1024 * 1024 };
    return {
      live,
      frontEnds: () => traitCalls / perFrontEnd,
      reconfigure: () => live.reconfigure(counted, settings, limits),
    };
  }

  const sleepFindings = (live: LiveWorkspace) =>
    live.findings('a.py').filter((f) => f.ruleId === 'blocking-sleep-in-async').length;

  it('uses it for the text and tree it ran on, and runs the front end again for any other', () => {
    const { live, frontEnds } = countingWorkspace();
    const sleeps = parse('python', SLEEPS);
    const awaits = parse('python', AWAITS);
    const awaitsAgain = parse('python', AWAITS);
    try {
      live.prepareAhead(source('a.py', SLEEPS), sleeps);
      assert.equal(frontEnds(), 1);
      live.update(source('a.py', SLEEPS), sleeps);
      assert.equal(frontEnds(), 1, 'the analysis reused the front end');
      assert.equal(sleepFindings(live), 1);

      // Typing went on after the front end ran: it is stale.
      live.prepareAhead(source('a.py', SLEEPS), sleeps);
      live.update(source('a.py', AWAITS), awaits);
      assert.equal(frontEnds(), 3);
      assert.equal(sleepFindings(live), 0, 'the findings are those of the newer text');

      live.prepareAhead(source('a.py', AWAITS), awaits);
      live.update(source('a.py', AWAITS), awaitsAgain);
      assert.equal(frontEnds(), 5, 'another tree of the same text is prepared again');
    } finally {
      for (const tree of [sleeps, awaits, awaitsAgain]) tree.delete();
    }
  });

  it('drops it when the file is removed or the rules change', () => {
    const { live, frontEnds, reconfigure } = countingWorkspace();
    live.update(source('a.py', SLEEPS));
    live.prepareAhead(source('a.py', SLEEPS));
    live.remove('a.py');
    live.update(source('a.py', SLEEPS));
    assert.equal(frontEnds(), 3);
    assert.equal(sleepFindings(live), 1);

    // Run with other rules, the front end could miss traits the new rules need. (Reconfiguring
    // analyses nothing itself: the language server analyses the folder again in lanes.)
    live.prepareAhead(source('a.py', SLEEPS));
    reconfigure();
    live.update(source('a.py', SLEEPS));
    assert.equal(frontEnds(), 5);
  });
});

describe('live workspace summary', () => {
  before(() => initParsers());

  it('keeps the finding total in step with edits and removals', async () => {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    const live = new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
    const sleepy = 'import time\n\n\nasync def f():\n    time.sleep(1)\n';
    await analyseMany(live, [
      source('a.py', sleepy),
      source('b.py', 'x = 1\n'),
      source('c.py', '\0binary'),
    ]);
    const total = () => live.fileNames().reduce((n, file) => n + live.findings(file).length, 0);
    assert.deepEqual(live.summary(), { files: 3, findings: total(), skipped: 1 });
    live.update(source('b.py', sleepy + sleepy.replace('def f', 'def g')));
    assert.deepEqual(live.summary(), { files: 3, findings: total(), skipped: 1 });
    live.remove('a.py');
    assert.deepEqual(live.summary(), { files: 2, findings: total(), skipped: 1 });
  });
});

describe('live workspace adopting an analysis made in scan lanes', () => {
  before(() => initParsers());
  const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
  const limits = { maxFileBytes: 2 * 1024 * 1024 };
  const inLanes = (sources: SourceFile[]): Promise<AdoptedAnalysis> =>
    analyseInLanes({ files: sources, rules, settings, maxFileBytes: limits.maxFileBytes, jobs: 1 });
  const SLEEPY = 'import time\n\n\nasync def f():\n    time.sleep(1)\n';
  const SOURCES = [
    source('app/queries.py', QUERIES),
    source('app/models.py', MODELS('Column(String)')),
    source(
      'app/jobs.py',
      `${SLEEPY}\n\nasync def g():\n    time.sleep(2)  # perflens-ignore\n\n# perflens-ignore: n-plus-one-query\n`,
    ),
    source('app/blob.py', '\0binary'),
  ];

  it('ends as an analysis made here does: findings, suppressions, skipped files', async () => {
    const here = new LiveWorkspace(rules, settings, limits);
    for (const each of SOURCES) here.update(each);
    const adopted = new LiveWorkspace(rules, settings, limits);
    const changed = adopted.adopt(SOURCES, await inLanes(SOURCES));
    assert.deepEqual([...changed].sort(), SOURCES.map((s) => s.file).sort());
    for (const { file } of SOURCES) {
      assert.deepEqual(adopted.findings(file), here.findings(file), file);
      assert.deepEqual(adopted.unusedSuppressions(file), here.unusedSuppressions(file), file);
    }
    assert.ok(adopted.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
    assert.equal(adopted.unusedSuppressions('app/jobs.py').length, 1);
    assert.deepEqual(adopted.summary(), here.summary());
    assert.equal(adopted.skipReason('app/blob.py'), here.skipReason('app/blob.py'));
    assert.deepEqual(adopted.problems, []);
  });

  it('follows later edits as if it had analysed the files itself', async () => {
    const adopted = new LiveWorkspace(rules, settings, limits);
    adopted.adopt(SOURCES, await inLanes(SOURCES));
    const changed = adopted.update(source('app/models.py', MODELS('Column(String, unique=True)')));
    assert.ok(changed.has('app/queries.py'), 'the query file read the index for the models');
    assert.ok(!adopted.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
  });

  it('keeps the newer analysis of a file edited while the lanes worked', async () => {
    const live = new LiveWorkspace(rules, settings, limits);
    const analysis = await inLanes(SOURCES);
    const edited = source('app/jobs.py', 'x = 1\n');
    live.update(edited);
    live.adopt(SOURCES, analysis);
    assert.equal(live.text('app/jobs.py'), edited.text);
    assert.deepEqual(live.findings('app/jobs.py'), []);
    assert.ok(live.findings('app/queries.py').length > 0);
  });

  it('runs the index readers of a file edited while the lanes worked with the whole index', async () => {
    const withUnique = [
      source('app/queries.py', QUERIES),
      source('app/models.py', MODELS('Column(String, unique=True)')),
    ];
    const live = new LiveWorkspace(rules, settings, limits);
    const analysis = await inLanes(withUnique);
    // Analysed before any model was known: its lookup by email looks unbounded then.
    live.update(source('app/queries.py', `${QUERIES}# edited\n`));
    assert.ok(live.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
    live.adopt(withUnique, analysis);
    assert.ok(!live.findings('app/queries.py').some((f) => f.ruleId === 'unbounded-orm-query'));
  });
});

describe('facts shape', () => {
  const facts = (start: number, name: string, extra?: object) => ({
    file: 'a.py',
    functions: [{ name, start, end: start + 10, effects: ['db'], ...extra }],
  });

  it('ignores offsets, key order and undefined values', () => {
    assert.ok(sameShape(facts(0, 'f'), facts(40, 'f')));
    assert.ok(sameShape({ a: 1, b: [2] }, { b: [2], a: 1 }));
    assert.ok(sameShape(facts(0, 'f', { cached: undefined }), facts(0, 'f')));
  });

  it('tells any other difference', () => {
    assert.ok(!sameShape(facts(0, 'f'), facts(0, 'g')));
    assert.ok(!sameShape(facts(0, 'f'), facts(0, 'f', { cached: true })));
    assert.ok(!sameShape({ a: [1, 2] }, { a: [1] }));
    assert.ok(!sameShape({ a: [] }, { a: {} }));
    assert.ok(!sameShape(undefined, facts(0, 'f')));
  });
});
