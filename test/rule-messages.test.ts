/**
 * What findings tell the user to do. Fixtures prove where rules fire; these check that the advice
 * in a message fits the code it is about, where a rule words it by case.
 */
import * as assert from 'node:assert/strict';
import { analyze, analyzeOne } from './support/analyze';

/** The messages of one rule's findings in a workspace of several files. */
async function messagesIn(
  ruleId: string,
  files: { relativePath: string; text: string }[],
): Promise<string[]> {
  const { reports } = await analyze(files);
  return reports
    .flatMap((report) => report.findings)
    .filter((f) => f.ruleId === ruleId)
    .map((f) => f.message);
}

async function messagesOf(ruleId: string, relativePath: string, text: string): Promise<string[]> {
  const { findings } = await analyzeOne(relativePath, text);
  return findings.filter((f) => f.ruleId === ruleId).map((f) => f.message);
}

describe('rule messages', () => {
  it('await-in-loop suggests the batch command each Redis read has', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/users.ts',
      [
        "import Redis from 'ioredis';",
        'const redis = new Redis();',
        'export async function names(ids: string[]) {',
        '  const out = [];',
        '  for (const id of ids) out.push(await redis.get(`name:${id}`));',
        "  for (const id of ids) out.push(await redis.hget(`user:${id}`, 'name'));",
        '  for (const id of ids) out.push(await redis.smembers(`roles:${id}`));',
        '  return out;',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    const [get, hget, smembers] = messages;
    assert.match(get, /one `mget\(\.\.\.keys\)`/);
    // `hget` on a different hash per item: `mget` (string keys) cannot replace it.
    assert.doesNotMatch(hget, /`mget/);
    assert.match(hget, /pipeline.*`hmget` when the fields are in one hash/);
    assert.doesNotMatch(smembers, /mget/);
    assert.match(smembers, /pipeline/);
  });

  it('await-in-loop advises running a read that takes nothing from the loop once before it', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/tagging.ts',
      [
        "import { PrismaClient } from '@prisma/client';",
        'const prisma = new PrismaClient();',
        'export async function tag(docs: { id: string }[], organizationId: string) {',
        '  for (const doc of docs) await prisma.rule.findMany({ where: { organizationId } });',
        '  await Promise.all(',
        '    docs.map(async (doc) => prisma.rule.count({ where: { organizationId } })),',
        '  );',
        '  await Promise.all(',
        '    docs.map(async (doc) => {',
        '      await prisma.rule.count({ where: { organizationId } });',
        '    }),',
        '  );',
        '  for (const doc of docs) await prisma.rule.findMany({ where: { id: doc.id } });',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    const [serial, concurrent, perItem] = messages;
    assert.match(serial, /reads nothing the loop changes: .* run it once before the loop/);
    assert.doesNotMatch(serial, /Promise\.all/);
    assert.match(concurrent, /same query, concurrently.*run it once before the `map`/);
    assert.match(perItem, /load them in one query/);
  });

  it('await-in-loop suggests the batch form of each Redis write, and a pipeline for locks', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/jobs.ts',
      [
        "import Redis from 'ioredis';",
        'const redis = new Redis();',
        'export async function run(ids: string[]) {',
        '  for (const id of ids) {',
        "    const claimed = await redis.set(`job_lock:${id}`, 'busy', 'EX', 600, 'NX');",
        '    if (!claimed) continue;',
        '  }',
        "  for (const id of ids) await redis.set(`seen:${id}`, '1');",
        "  for (const id of ids) await redis.set(`seen:${id}`, '1', 'EX', 60);",
        '  for (const id of ids) await redis.del(`job_lock:${id}`);',
        "  for (const id of ids) await redis.sadd('done', id);",
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 5);
    const [lock, set, setWithExpiry, del, sadd] = messages;
    assert.doesNotMatch(lock, /del\(|mset/);
    assert.match(lock, /locks together in one pipeline.*or keep one `set` per item/);
    assert.match(set, /one `mset`/);
    assert.doesNotMatch(set, /del\(/);
    assert.match(setWithExpiry, /pipeline.*`mset` cannot set an expiry/);
    assert.match(del, /one command \(`del\(\.\.\.keys\)`\)/);
    assert.match(sadd, /one `sadd\(key, \.\.\.\)` with every member/);
  });

  it('await-in-loop reads a node-redis lock from its options object', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/locks.ts',
      [
        "import { createClient } from 'redis';",
        'const redisClient = createClient();',
        'export async function claim(ids: string[]) {',
        '  for (const id of ids) {',
        "    const ok = await redisClient.set(`lock:${id}`, 'busy', { NX: true, EX: 30 });",
        '    if (!ok) continue;',
        '  }',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0], /locks together in one pipeline/);
  });

  it('await-in-loop does not advise Promise.all for a helper handed a transaction', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/shelves.ts',
      [
        "import { EntityManager } from 'typeorm';",
        "import { runInTransaction } from './db';",
        "import { Shelf } from './entities';",
        'async function moveShelf(em: EntityManager, id: string, roomId: string) {',
        '  await em.update(Shelf, { id }, { roomId });',
        '}',
        'export async function moveShelves(ids: string[], roomId: string, em: EntityManager) {',
        '  await runInTransaction(async (tx: EntityManager) => {',
        '    for (const id of ids) await moveShelf(tx, id, roomId);',
        '  });',
        '  for (const id of ids) await moveShelf(em, id, roomId);',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [inTransaction, onPool] = messages;
    assert.match(inTransaction, /batch variant.*share the transaction/);
    assert.doesNotMatch(inTransaction, /run the calls together/);
    assert.match(onPool, /run the calls together with `Promise.all`/);
  });

  it('await-in-loop does not advise prisma.$transaction inside a transaction', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/seats.ts',
      [
        "import { Prisma, PrismaClient } from '@prisma/client';",
        'const prisma = new PrismaClient();',
        'export async function renumber(tx: Prisma.TransactionClient, ids: string[]) {',
        '  for (const [i, id] of ids.entries()) await tx.seat.update({ where: { id }, data: { row: i } });',
        '}',
        'export async function renumberAll(ids: string[]) {',
        '  for (const [i, id] of ids.entries()) await prisma.seat.update({ where: { id }, data: { row: i } });',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [inTransaction, onClient] = messages;
    assert.doesNotMatch(inTransaction, /\$transaction/);
    assert.match(inTransaction, /UPDATE \.\.\. FROM \(VALUES/);
    assert.match(onClient, /prisma\.\$transaction\(\[\.\.\.\]\)/);
  });

  it('await-in-loop writes the per-row UPDATE in the SQL of the Prisma datasource', async () => {
    const loop = [
      "import { PrismaClient } from '@prisma/client';",
      'const prisma = new PrismaClient();',
      'export async function reconcile(toUpdate: { id: string; amount: number }[]) {',
      '  await prisma.$transaction(async (tx) => {',
      '    for (const { id, amount } of toUpdate) await tx.payout.update({ where: { id }, data: { amount } });',
      '  });',
      '}',
    ].join('\n');
    const schema = (provider: string) =>
      [
        `datasource db {\n  provider = "${provider}"\n  url = env("DATABASE_URL")\n}`,
        'model Payout {\n  id String @id\n  amount Int\n}',
      ].join('\n');
    // MySQL has no `UPDATE ... FROM`: the advice is a `CASE` on the key there.
    const mysql = await messagesIn('await-in-loop', [
      { relativePath: 'prisma/schema.prisma', text: schema('mysql') },
      { relativePath: 'src/reconcile.ts', text: loop },
    ]);
    assert.equal(mysql.length, 1);
    assert.match(mysql[0], /CASE id WHEN/);
    assert.doesNotMatch(mysql[0], /FROM \(VALUES/);
    const postgres = await messagesIn('await-in-loop', [
      { relativePath: 'prisma/schema.prisma', text: schema('postgresql') },
      { relativePath: 'src/reconcile.ts', text: loop },
    ]);
    assert.equal(postgres.length, 1);
    assert.match(postgres[0], /UPDATE \.\.\. FROM \(VALUES/);
  });

  it('unbounded-select says a grouped query returns one row per group, in every host', async () => {
    const python = await messagesOf(
      'unbounded-select',
      'app/report.py',
      [
        'def clicks_by_link(conn, since):',
        '    return conn.execute(',
        '        "SELECT link, count(*) FROM clicks WHERE created_at > ? GROUP BY link", (since,)',
        '    ).fetchall()',
        '',
        'def clicks(conn, since):',
        '    return conn.execute("SELECT link FROM clicks WHERE created_at > ?", (since,)).fetchall()',
      ].join('\n'),
    );
    const typescript = await messagesOf(
      'unbounded-select',
      'src/report.ts',
      [
        "import { Pool } from 'pg';",
        'const pool = new Pool();',
        'export async function clicksByLink(since: Date) {',
        '  const { rows } = await pool.query(',
        "    'SELECT link, count(*) AS n FROM clicks WHERE created_at > $1 GROUP BY link ORDER BY n DESC',",
        '    [since],',
        '  );',
        '  return rows;',
        '}',
      ].join('\n'),
    );
    assert.equal(python.length, 2);
    assert.equal(typescript.length, 1);
    for (const grouped of [python[0], typescript[0]]) {
      assert.match(grouped, /returns one row per group/);
      assert.doesNotMatch(grouped, /every matching row/);
    }
    assert.match(python[1], /returns every matching row/);
  });

  it('unbounded-select asks batch code to read in pieces and offers no LIMIT there', async () => {
    const code = [
      'from celery import shared_task',
      '',
      '@shared_task',
      'def refresh_totals(cursor):',
      '    cursor.execute("SELECT store_id, SUM(amount) FROM sales GROUP BY store_id")',
      '    return cursor.fetchall()',
    ].join('\n');
    const { findings } = await analyzeOne('reports/jobs.py', code);
    const [job] = findings.filter((f) => f.ruleId === 'unbounded-select');
    assert.match(job.message, /returns one row per group/);
    assert.match(job.message, /batch code .* read them in pieces/);
    assert.match(job.message, /no fix is offered: a `LIMIT` would silently skip the rest/);
    assert.equal(job.fixes?.length ?? 0, 0);
    // Without the job decorator the same module is request code and keeps the LIMIT fix.
    const plain = await analyzeOne('reports/views.py', code.replace('@shared_task\n', ''));
    const [view] = plain.findings.filter((f) => f.ruleId === 'unbounded-select');
    assert.doesNotMatch(view.message, /batch code/);
    assert.ok((view.fixes?.length ?? 0) > 0);
  });

  it("await-in-loop names the loop's collection when the query filters by the item", async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/jobs.ts',
      [
        "import { Model } from 'sequelize';",
        "import { DataSource } from 'typeorm';",
        'class Job extends Model {}',
        'export async function load(emails: string[], people: { email: string }[], ds: DataSource) {',
        '  for (const email of emails) await Job.findOne({ where: { email } });',
        '  for (const email of emails) await ds.manager.findOneBy(User, { email: email });',
        '  for (const person of people) await Job.findOne({ where: { email: person.email } });',
        '}',
      ].join('\n'),
    );
    const [shorthand, manager, property] = messages;
    assert.match(shorthand, /`findAll\(\{ where: \{ email: emails \} \}\)`/);
    assert.match(manager, /`findBy\(User, \{ email: In\(emails\) \}\)`/);
    // Not the item itself: the values are the items' emails, which the code does not list.
    assert.match(property, /`findAll\(\{ where: \{ email: ids \} \}\)`/);
  });

  it('await-in-loop batches on the field the query filters by', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/videos.ts',
      [
        "import { Model } from 'sequelize';",
        "import { DataSource } from 'typeorm';",
        "import { prisma } from './db';",
        'class Blocklist extends Model {}',
        'export async function load(ids: number[], ds: DataSource) {',
        '  const out = [];',
        '  for (const id of ids) {',
        '    out.push(await Blocklist.findOne({ where: { videoId: id } }));',
        "    out.push(await prisma.tag.findFirst({ where: { itemId: id, kind: 'label' } }));",
        "    const criteria = { status: 'stale', ownerId: id };",
        '    out.push(await ds.getRepository(Upload).delete(criteria));',
        '    out.push(await ds.manager.findOneBy(Upload, { ownerId: id }));',
        '    out.push(await Blocklist.findByPk(id));',
        '  }',
        '  return out;',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 5);
    const [sequelize, prisma, deletion, manager, byKey] = messages;
    assert.match(sequelize, /`findAll\(\{ where: \{ videoId: ids \} \}\)`/);
    assert.match(prisma, /`findMany\(\{ where: \{ itemId: \{ in: ids \} \} \}\)`/);
    // The repository's entity is quoted, and the filter is read through the const it is in.
    assert.match(deletion, /^`ds\.getRepository\(Upload\)\.delete\(\.\.\.\)`/);
    assert.match(deletion, /`delete\(\{ ownerId: In\(ids\) \}\)`/);
    assert.match(manager, /`findBy\(Upload, \{ ownerId: In\(ids\) \}\)`/);
    assert.match(byKey, /`findAll\(\{ where: \{ id: ids \} \}\)`/);
  });

  it('await-in-loop gives Objection writes and reads their own batched form', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'server/settings.js',
      [
        "const { Model } = require('objection');",
        'class Provider extends Model {}',
        'async function save(providers, ids) {',
        '  for (const p of providers)',
        "    await Provider.query().patch({ isEnabled: p.isEnabled }).where('key', p.key);",
        '  for (const id of ids) await Provider.query().deleteById(id);',
        '  for (const p of providers) await Provider.query().insert({ key: p.key });',
        '  for (const id of ids) await Provider.query().findById(id);',
        '}',
        'module.exports = { save };',
      ].join('\n'),
    );
    assert.equal(messages.length, 4);
    const [patch, remove, insert, read] = messages;
    assert.match(patch, /`query\(\)\.patch\(values\)\.whereIn\('key', ids\)` when every row/);
    assert.match(remove, /`query\(\)\.delete\(\)\.whereIn\('id', ids\)`/);
    assert.match(insert, /one `insert\(\[\.\.\.\]\)`/);
    assert.match(read, /`query\(\)\.whereIn\('id', ids\)`, `findByIds\(ids\)`/);
    for (const write of [patch, remove, insert]) assert.doesNotMatch(write, /load them/);
  });

  it('await-in-loop batches a knex write as one statement, not by loading the rows', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/users.ts',
      [
        "import Knex from 'knex';",
        "const knex = Knex({ client: 'pg' });",
        'export async function touch(ids: number[], names: string[], cutoffs: Date[]) {',
        "  for (const id of ids) await knex('users').where({ id }).update({ seenAt: new Date() });",
        "  for (const id of ids) await knex('sessions').where('userId', id).del();",
        "  for (const name of names) await knex('tags').insert({ name });",
        "  for (const id of ids) await knex('users').where({ id }).first();",
        "  for (const cutoff of cutoffs) await knex('events').where('at', '<', cutoff).del();",
        "  for (const since of cutoffs) await knex('users').whereBetween('seenAt', [since, new Date()]).update({ active: true });",
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 6);
    const [update, remove, insert, read, rangeDelete, rangeUpdate] = messages;
    // A range per item is no value one `whereIn` could gather.
    for (const ranged of [rangeDelete, rangeUpdate]) {
      assert.doesNotMatch(ranged, /whereIn/);
      assert.match(ranged, /one statement whose `where` covers every item's range/);
    }
    assert.match(
      update,
      /`whereIn\('id', ids\)\.update\(values\)`\) when every row gets the same values/,
    );
    assert.match(remove, /`whereIn\('userId', ids\)\.del\(\)`/);
    assert.match(insert, /one multi-row `insert\(\[\.\.\.\]\)`/);
    for (const write of [update, remove, insert]) assert.doesNotMatch(write, /load the rows/);
    assert.match(read, /load the rows in one query/);
  });

  it('await-in-loop batches builder-first knex chains like the table-call form', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/events.ts',
      [
        "import { Knex } from 'knex';",
        'export class EventService {',
        '  constructor(private readonly knex: Knex) {}',
        '  async record(events: object[], ids: string[]) {',
        "    for (const event of events) await this.knex.insert(event).into('events');",
        "    for (const id of ids) await this.knex.update({ seen: true }).table('events').where({ id });",
        "    for (const id of ids) await this.knex.select('id').from('events').where({ id }).first();",
        '  }',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    const [insert, update, read] = messages;
    assert.match(insert, /one multi-row `insert\(\[\.\.\.\]\)`/);
    assert.match(update, /`whereIn\('id', ids\)\.update\(values\)`/);
    assert.match(read, /load the rows in one query/);
  });

  it('await-in-loop gives a knex instance of another module knex advice, not Drizzle advice', async () => {
    const messages = await messagesIn('await-in-loop', [
      {
        relativePath: 'src/db.ts',
        text: [
          "import Knex from 'knex';",
          "const connection = Knex({ client: 'pg' });",
          'export default connection;',
        ].join('\n'),
      },
      {
        relativePath: 'src/users.ts',
        text: [
          "import database from './db';",
          'export async function load(ids: string[], accountIds: string[], times: Date[]) {',
          "  for (const id of ids) await database.select('id').from('users').where({ id });",
          "  for (const accountId of accountIds) await database('invoices').where({ accountId }).sum('total');",
          "  for (const since of times) await database('events').where('created_at', '>', since).select('id');",
          '}',
        ].join('\n'),
      },
    ]);
    assert.equal(messages.length, 3);
    const [read, sum, range] = messages;
    assert.match(read, /load the rows in one query \(`whereIn\('id', ids\)`\)/);
    assert.doesNotMatch(read, /inArray/);
    assert.match(sum, /`whereIn\('accountId', ids\)\.groupBy\('accountId'\)`/);
    // A range per item is no lookup by value: no `whereIn('created_at', ids)`.
    assert.doesNotMatch(range, /whereIn/);
  });

  it('await-in-loop quotes a long knex chain with the call that names its table', async () => {
    const [message] = await messagesOf(
      'await-in-loop',
      'src/sort.ts',
      [
        "import { Knex } from 'knex';",
        'export class SortService {',
        '  constructor(private readonly knex: Knex) {}',
        '  async fill(collection: string, sortField: string, rows: { id: string }[], n: number) {',
        '    let lastSortValue = n;',
        '    for (const row of rows) {',
        '      lastSortValue++;',
        '      await this.knex(collection)',
        '        .update({ [sortField]: lastSortValue })',
        '        .where({ id: row.id });',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    assert.match(message, /^`this\.knex\(collection\)\.update\(\.\.\.\)\.where\(\.\.\.\)` makes/);
  });

  it('orm-find-without-limit quotes a long builder-first knex read by its instance and table', async () => {
    const messages = await messagesOf(
      'orm-find-without-limit',
      'src/routes.ts',
      [
        "import express from 'express';",
        "import createKnex from 'knex';",
        "const db = createKnex({ client: 'pg' });",
        'export const router = express.Router();',
        "router.get('/rows/:collection', async (req, res) => {",
        '  const { collection } = req.params;',
        "  res.json(await db.select('id').from(collection).orderBy('id'));",
        "  res.json(await db.select('primary_key_field', 'sort_field').from(collection).whereNull('sort_field'));",
        '});',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [short, long] = messages;
    assert.match(
      short,
      /^`db\.select\('id'\)\.from\(collection\)…orderBy\(\)` has no `\.limit\(\)`/,
    );
    assert.match(long, /^`db…from\(collection\)…whereNull\(\)` has no `\.limit\(\)`/);
  });

  it('await-in-loop tells a batch overload calling itself per item from a tree walk', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/records.ts',
      [
        "import { Knex } from 'knex';",
        'type Row = Record<string, unknown>;',
        'export class RecordService {',
        '  constructor(private readonly knex: Knex) {}',
        '  async update(data: Row | Row[], key?: string): Promise<void> {',
        '    if (!Array.isArray(data)) {',
        "      await this.knex('records').update(data).where({ id: key });",
        '      return;',
        '    }',
        '    for (const single of data) await this.update(single, single.id as string);',
        '  }',
        '  async read(keys: string | string[]): Promise<Row[]> {',
        "    if (!Array.isArray(keys)) return [await this.knex('records').where({ id: keys }).first()];",
        '    const rows: Row[] = [];',
        '    for (const key of keys) rows.push(...(await this.read(key)));',
        '    return rows;',
        '  }',
        '  async removeBranch(parentId: string): Promise<void> {',
        "    const children = await this.knex('records').select('id').where({ parent_id: parentId });",
        '    for (const child of children) await this.removeBranch(child.id as string);',
        "    await this.knex('records').where({ id: parentId }).del();",
        '  }',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    const [update, read, branch] = messages;
    assert.match(
      update,
      /^`this\.update\(\)` calls the single-item `update\(\)` for each `single` in `data`: each call runs its own writes/,
    );
    assert.match(update, /a batch write path \(one multi-row statement\)/);
    assert.doesNotMatch(update, /tree/);
    assert.match(read, /give the helper a batch variant that takes every id/);
    assert.doesNotMatch(read, /tree/);
    assert.match(branch, /load the whole tree in one query \(a recursive CTE\)/);
  });

  it('prisma-find-many-without-take says to filter the query an id list feeds', async () => {
    const messages = await messagesOf(
      'prisma-find-many-without-take',
      'src/routes.ts',
      [
        "import express from 'express';",
        "import { prisma } from './db';",
        'const app = express();',
        "app.delete('/tags', async (req, res) => {",
        '  const ownerId = Number(req.query.owner);',
        '  const links = await prisma.link.findMany({ where: { ownerId }, select: { id: true } });',
        '  const ids = links.map((link) => link.id);',
        '  await prisma.link.updateMany({ where: { id: { in: ids } }, data: { stale: true } });',
        '  res.json({ stale: ids.length });',
        '});',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '`prisma.link.findMany()` has no `take`: it loads every matching `Link` row on each request ' +
        '(in request handler `DELETE /tags`); its rows become the `in` list of another query: give ' +
        'that query the same `where` instead of loading every id',
    ]);
  });

  it('prisma-find-many-without-take names a take that bounds nothing, and offers no second take', async () => {
    const { findings } = await analyzeOne(
      'src/routes.ts',
      [
        "import express from 'express';",
        "import { prisma } from './db';",
        'const app = express();',
        'async function profiles({ take = Number.MAX_SAFE_INTEGER }: { take?: number }) {',
        '  return prisma.symbolProfile.findMany({ take });',
        '}',
        "app.get('/profiles', async (_req, res) => res.json(await profiles({})));",
      ].join('\n'),
    );
    const [finding] = findings.filter((f) => f.ruleId === 'prisma-find-many-without-take');
    assert.match(
      finding?.message ?? '',
      /^`prisma\.symbolProfile\.findMany\(\)` reads with `take` defaulting to `Number\.MAX_SAFE_INTEGER`, which bounds nothing: it loads every matching `SymbolProfile` row on each request .*give `take` a page-sized default/,
    );
    assert.deepEqual(finding?.fixes ?? [], []);
  });

  it('Prisma findings quote a delegate picked at run time as written, with no model', async () => {
    const { findings } = await analyzeOne(
      'src/routes.ts',
      [
        "import express from 'express';",
        "import prisma from './db';",
        'const app = express();',
        "app.get('/:model', async (req, res) => {",
        '  const model = req.params.model;',
        '  const rows = await prisma.client[model].findMany({ where: { archived: false } });',
        '  const count = await prisma.client[model].count();',
        '  for (const id of rows.map((row) => row.id))',
        '    await prisma.client[model].update({ where: { id }, data: { seen: true } });',
        '  res.json({ rows, count });',
        '});',
      ].join('\n'),
    );
    const messageOf = (ruleId: string) => findings.find((f) => f.ruleId === ruleId)?.message;
    assert.match(
      messageOf('sequential-independent-awaits') ?? '',
      /^`prisma\.client\[model\]\.findMany\(\.\.\.\)` and `prisma\.client\[model\]\.count\(\.\.\.\)` /,
    );
    assert.match(
      messageOf('prisma-find-many-without-take') ?? '',
      /^`prisma\.client\[model\]\.findMany\(\)` has no `take`: it loads every matching row on each request/,
    );
    assert.match(
      messageOf('await-in-loop') ?? '',
      /^`prisma\.client\[model\]\.update\(\.\.\.\)` makes a database round trip /,
    );
  });

  it('query-in-loop-via-helper does not advise gathering queries on one session', async () => {
    const messages = await messagesOf(
      'query-in-loop-via-helper',
      'app/memberships.py',
      [
        'from sqlalchemy import select',
        'from sqlalchemy.ext.asyncio import AsyncSession',
        '',
        'from app.models import Membership',
        '',
        '',
        'class Memberships:',
        '    def __init__(self, session: AsyncSession) -> None:',
        '        self.session = session',
        '',
        '    async def find(self, user_id, team_id):',
        '        result = await self.session.execute(',
        '            select(Membership).where(Membership.user_id == user_id, Membership.team_id == team_id)',
        '        )',
        '        return result.scalar()',
        '',
        '    async def join_all(self, user_id, team_ids):',
        '        for team_id in team_ids:',
        '            await self.find(user_id, team_id)',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    assert.match(
      messages[0],
      /batch the lookups into one query before the loop \(queries on one session or connection cannot run together\)$/,
    );
  });

  it('orm-find-without-limit names a tRPC procedure held in a variable after it', async () => {
    const messages = await messagesOf(
      'orm-find-without-limit',
      'src/server/routers/branches.ts',
      [
        "import { eq } from 'drizzle-orm';",
        "import { z } from 'zod';",
        "import { t } from '../trpc';",
        "import { branches } from '../schema';",
        'export const listByProject = t.procedure',
        '  .input(z.object({ projectId: z.string() }))',
        '  .query(async ({ ctx, input }) => {',
        '    return ctx.db.query.branches.findMany({ where: eq(branches.projectId, input.projectId) });',
        '  });',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    assert.match(messages[0], /\(in request handler `listByProject`\)/);
  });

  it('drizzle-foreign-key-without-index names a parent table of the file by its database name', async () => {
    const messages = await messagesOf(
      'drizzle-foreign-key-without-index',
      'src/schema.ts',
      [
        "import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';",
        "import { workspace } from './workspace';",
        "export const statusReport = sqliteTable('status_report', { id: integer('id').primaryKey() });",
        "export const statusReportUpdate = sqliteTable('status_report_update', {",
        "  id: integer('id').primaryKey(),",
        "  statusReportId: integer('status_report_id').references(() => statusReport.id),",
        "  workspaceId: integer('workspace_id').references(() => workspace.id),",
        "  note: text('note'),",
        '});',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    assert.match(
      messages[0],
      /^Foreign key `status_report_update\.statusReportId` \(to `status_report\.id`\) .*: deletes of `status_report` rows /,
    );
    // A table of another file: its variable is all this file knows.
    assert.match(messages[1], /\(to `workspace\.id`\) .*: deletes of `workspace` rows /);
  });

  it('typeorm-foreign-key-without-index names the join column, the parent and the entity table', async () => {
    const messages = await messagesOf(
      'typeorm-foreign-key-without-index',
      'src/entities/line.entity.ts',
      [
        "import { Entity, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';",
        "import { Invoice } from './invoice.entity';",
        "@Entity('invoice_line')",
        'export class InvoiceLine {',
        '  @PrimaryGeneratedColumn() id: number;',
        "  @ManyToOne(() => Invoice, { onDelete: 'CASCADE' })",
        "  @JoinColumn({ name: 'invoice_id' })",
        '  invoice: Invoice;',
        "  @ManyToOne('Product') product: unknown;",
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    assert.match(
      messages[0],
      /^Foreign key `invoice_id` of `InvoiceLine\.invoice` \(`@ManyToOne` to `Invoice`\) .*`where: \{ invoice: \{ id \} \}` filters and deletes of `Invoice` rows scan the whole `invoice_line` table$/,
    );
    // The default column name, said to be the default, and a target written as a string.
    assert.match(
      messages[1],
      /^Foreign key of `InvoiceLine\.product` \(`@ManyToOne` to `Product`; `productId` by default\) has no index/,
    );
  });

  it('await-in-loop advises one insert for Drizzle inserts, one filtered write for updates', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/settings.ts',
      [
        "import { eq } from 'drizzle-orm';",
        "import { db } from './db';",
        "import { settings } from './schema';",
        'export async function save(values: [string, string][]) {',
        '  for (const [key, value] of values) {',
        '    await db.insert(settings).values({ key, value });',
        '    await db.update(settings).set({ value }).where(eq(settings.key, key));',
        '  }',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    assert.match(
      messages[0],
      /insert them in one statement \(`insert\(table\)\.values\(\[\.\.\.\]\)`\)$/,
    );
    // `value` differs per item: one filtered `update` cannot write it.
    assert.match(
      messages[1],
      /change them in one statement \(`\.where\(inArray\(settings\.key, ids\)\)`\) when every row gets the same values; otherwise one upsert .*`onConflictDoUpdate`.* or a `CASE` update, or one transaction$/,
    );
  });

  it('await-in-loop names the column a Drizzle chain filters by, and one statement for shared values', async () => {
    // Modelled on OpenStatus: the checker cron reads each monitor's status rows; the billing
    // downgrade of Unkey-like code sets the same values on every row it finds.
    const messages = await messagesOf(
      'await-in-loop',
      'src/cron/checker.ts',
      [
        "import { and, eq, isNull } from 'drizzle-orm';",
        "import { db } from '../db';",
        "import { monitor, monitorStatus, workspaces } from '../schema';",
        'export async function statuses(rows: { id: number }[]) {',
        '  const out = [];',
        '  for (const row of rows) {',
        '    out.push(await db.select().from(monitorStatus).where(eq(monitorStatus.monitorId, row.id)).all());',
        '    out.push(await db.query.monitor.findFirst({ where: and(isNull(monitor.deletedAt), eq(monitor.id, row.id)) }));',
        '    out.push(await db.query.keys.findFirst({ where: (table, { eq }) => eq(table.id, row.id) }));',
        '  }',
        '  return out;',
        '}',
        'export async function pauseAll(ids: string[]) {',
        '  await db.transaction(async (tx) => {',
        '    for (const id of ids) {',
        "      await tx.update(workspaces).set({ plan: 'free', planChanged: null }).where(eq(workspaces.id, id));",
        '      await tx.update(workspaces).set({ name: `paused ${id}` }).where(eq(workspaces.id, id));',
        '    }',
        '  });',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 5);
    const [select, relational, callback, sameValues, perItem] = messages;
    assert.match(
      select,
      /load them in one query \(`\.where\(inArray\(monitorStatus\.monitorId, ids\)\)`\) before the loop$/,
    );
    assert.match(
      relational,
      /load them in one query \(`findMany\(\{ where: inArray\(monitor\.id, ids\) \}\)`\) before the loop$/,
    );
    // Unkey writes the callback form: the advice keeps it.
    assert.match(
      callback,
      /`findMany\(\{ where: \(table, \{ inArray \}\) => inArray\(table\.id, ids\) \}\)`/,
    );
    assert.match(
      sameValues,
      /write them in one statement \(`\.where\(inArray\(workspaces\.id, ids\)\)`\)$/,
    );
    // Inside the transaction already: no transaction is advised.
    assert.match(perItem, /or a `CASE` update$/);
  });

  it('await-in-loop does not advise prisma.$transaction inside an interactive transaction callback', async () => {
    // Modelled on Teable: `this.prismaService.$tx(async (prisma) => ...)` wraps `$transaction`.
    const messages = await messagesOf(
      'await-in-loop',
      'src/base.service.ts',
      [
        "import { PrismaClient } from '@prisma/client';",
        'const prisma = new PrismaClient();',
        'export async function shuffle(ids: string[]) {',
        '  await prisma.$transaction(async (client) => {',
        '    for (let i = 0; i < ids.length; i++) await client.base.update({ data: { order: i }, where: { id: ids[i] } });',
        '  });',
        '}',
        'export class BaseService {',
        '  constructor(private readonly prismaService: { $tx<T>(fn: (prisma: PrismaClient) => Promise<T>): Promise<T> }) {}',
        '  async shuffle(ids: string[]) {',
        '    await this.prismaService.$tx(async (prisma) => {',
        '      for (let i = 0; i < ids.length; i++) await prisma.base.update({ data: { order: i }, where: { id: ids[i] } });',
        '    });',
        '  }',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    for (const message of messages) {
      assert.doesNotMatch(message, /\$transaction/);
      assert.match(message, /UPDATE \.\.\. FROM \(VALUES/);
    }
  });

  it('await-in-loop counts Mongoose documents per key in one aggregate', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/notices.ts',
      [
        "import mongoose from 'mongoose';",
        "const Notice = mongoose.model('Notice', new mongoose.Schema({ accountId: String }));",
        'export async function unread(accountIds: string[]) {',
        '  const counts = [];',
        '  for (const accountId of accountIds) {',
        '    counts.push(await Notice.countDocuments({ accountId, readAt: null }));',
        '    counts.push(await Notice.findOne({ accountId }).lean());',
        '  }',
        '  return counts;',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [count, read] = messages;
    assert.match(
      count,
      /count them in one `aggregate\(\[\{ \$match: \{ accountId: \{ \$in: accountIds \} \} \}, \{ \$group: \{ _id: '\$accountId', count: \{ \$sum: 1 \} \} \}\]\)`/,
    );
    assert.match(read, /`find\(\{ accountId: \{ \$in: accountIds \} \}\)`/);
  });

  it('await-in-loop reports a Mongoose query chain once, with the filter of its find', async () => {
    const messages = await messagesOf(
      'await-in-loop',
      'src/columns.ts',
      [
        "import { Model } from 'mongoose';",
        'interface IColumn { boardId: string; name: string }',
        'export async function perBoard(Columns: Model<IColumn>, boardIds: string[]) {',
        '  const out = [];',
        '  for (const boardId of boardIds) {',
        '    out.push(await Columns.find({ boardId }).countDocuments());',
        "    out.push(await Columns.find({ boardId }).distinct('name'));",
        '    out.push(await Columns.findOne({ boardId }).exec());',
        '  }',
        '  return out;',
        '}',
      ].join('\n'),
    );
    // One finding per awaited query: `.exec()` runs the `findOne` it follows, no second query.
    assert.equal(messages.length, 3);
    const [count, distinct, read] = messages;
    assert.match(
      count,
      /count them in one `aggregate\(\[\{ \$match: \{ boardId: \{ \$in: boardIds \} \} \}, \{ \$group: \{ _id: '\$boardId', count: \{ \$sum: 1 \} \} \}\]\)`/,
    );
    assert.match(
      distinct,
      /collect them in one `aggregate\(\[\{ \$match: \{ boardId: \{ \$in: boardIds \} \} \}, \{ \$group: \{ _id: '\$boardId', values: \{ \$addToSet: '\$name' \} \} \}\]\)`/,
    );
    assert.match(
      read,
      /^`Columns\.findOne\(\.\.\.\)`.*`find\(\{ boardId: \{ \$in: boardIds \} \}\)`/,
    );
  });

  it('large-column-in-list-query names the schema that leaves the column out', async () => {
    const messages = await messagesOf(
      'large-column-in-list-query',
      'app/notes.py',
      [
        'from fastapi import APIRouter',
        'from pydantic import BaseModel',
        'from sqlalchemy import Column, Integer, String, Text',
        'from sqlalchemy.orm import declarative_base',
        '',
        'Base = declarative_base()',
        'router = APIRouter()',
        '',
        'class Note(Base):',
        '    __tablename__ = "note"',
        '    id = Column(Integer, primary_key=True)',
        '    title = Column(String(200))',
        '    body = Column(Text)',
        '',
        'class NoteTitle(BaseModel):',
        '    id: int',
        '    title: str',
        '',
        '@router.get("/notes", response_model=list[NoteTitle])',
        'def list_notes(db):',
        '    notes = (db.query(Note).order_by(Note.id).limit(50).all())',
        '    return notes',
        '',
        'def note_titles(db):',
        '    notes = db.query(Note).order_by(Note.id).limit(50).all()',
        '    return [NoteTitle.model_validate(n) for n in notes]',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [returned, built] = messages;
    // The route returns the rows: its schema decides, the function reads nothing itself.
    assert.match(returned, /although `NoteTitle` does not include them/);
    assert.doesNotMatch(returned, /does not read them/);
    assert.match(built, /`note_titles` does not read them and `NoteTitle` does not include them/);
  });

  it('query-in-loop advises one grouped count for counts per item', async () => {
    const code = [
      'from shop.models import Agent, Entry',
      'def usage(request):',
      '    entries = Entry.objects.filter(archived=False)',
      '    for agent in Agent.objects.all()[:50]:',
      '        print(entries.filter(agent=agent).count())',
      '        print(Entry.objects.filter(agent=agent).exists())',
      '        print(Entry.objects.get(agent=agent))',
    ].join('\n');
    const messages = await messagesOf('query-in-loop', 'shop/views.py', code);
    assert.equal(messages.length, 3, messages.join('\n'));
    const [count, exists, get] = messages;
    assert.match(count, /one grouped query before the loop/);
    assert.match(exists, /one grouped query before the loop/);
    assert.match(get, /batch it with `IN \(\.\.\.\)`/);
  });

  it('query-in-loop does not advise a grouped count when each item filters by its own list', async () => {
    const code = [
      'from django.contrib.auth.models import User',
      'from shop.models import Entry',
      'STATES = ["open", "held"]',
      'def sync_memberships(groups, ak_groups):',
      '    total = 0',
      '    for group in groups:',
      '        members = group.get("attributes", {}).get("member", [])',
      '        users = User.objects.filter(**{f"attributes__{DN}__in": members})',
      '        total += users.count()',
      '        ak_groups[group["dn"]].users.set(users)',
      '    return total',
      'def open_entries(agents):',
      '    for agent in agents:',
      '        print(Entry.objects.filter(tag__in=agent.tags).exists())',
      '        print(Entry.objects.filter(agent=agent, state__in=STATES).count())',
    ].join('\n');
    const messages = await messagesOf('query-in-loop', 'sync/membership.py', code);
    assert.equal(messages.length, 3, messages.join('\n'));
    const [dnCount, tagExists, stateCount] = messages;
    assert.match(
      dnCount,
      /each `group` counts the rows matching its own list \(`members`\), which one grouped count cannot express: read the rows matching the union/,
    );
    assert.match(tagExists, /each `agent` tests for rows matching its own list \(`agent\.tags`\)/);
    // A list that is the same for every item: one grouped count still answers every item.
    assert.match(stateCount, /one grouped query before the loop/);
  });

  it('query-in-loop advises one `__in` check for a loop that stops at the first match', async () => {
    const code = [
      'from shop.models import Agent',
      'def mentions_local_agent(tags):',
      '    for tag in tags:',
      '        if Agent.objects.filter(remote_id=tag, local=True).exists():',
      '            return True',
      '    return False',
      '',
      'def flagged(tags):',
      '    found = []',
      '    for tag in tags:',
      '        if Agent.objects.filter(remote_id=tag).exists():',
      '            found.append(tag)',
      '    return found',
    ].join('\n');
    const messages = await messagesOf('query-in-loop', 'shop/views.py', code);
    assert.equal(messages.length, 2, messages.join('\n'));
    const [first, every] = messages;
    assert.match(first, /stops at the first item that has a match/);
    assert.match(first, /`filter\(remote_id__in=tags, local=True\)\.exists\(\)`/);
    // Near miss: the loop checks every item, so a grouped count is the advice.
    assert.match(every, /one grouped query before the loop/);
  });

  it('query-in-loop writes the one `__in` check only from an equality lookup', async () => {
    const code = [
      'from shop.models import Agent',
      'def any_group_known(groups):',
      '    for group in groups:',
      '        if Agent.objects.filter(remote_id__in=group).exists():',
      '            return True',
      '    return False',
      '',
      'def any_exact_known(tags):',
      '    for tag in tags:',
      '        if Agent.objects.filter(remote_id__exact=tag).exists():',
      '            return True',
      '    return False',
    ].join('\n');
    const messages = await messagesOf('query-in-loop', 'shop/views.py', code);
    assert.equal(messages.length, 2, messages.join('\n'));
    const [group, exact] = messages;
    // Each item is a list already: `remote_id__in__in=groups` is no lookup Django knows.
    assert.match(group, /stops at the first item that has a match/);
    assert.doesNotMatch(group, /__in__in|\(`filter/);
    assert.match(exact, /`filter\(remote_id__in=tags\)\.exists\(\)`/);
  });

  it('query-in-loop asks to hoist a query that reads nothing the loop changes', async () => {
    const code = [
      'from shop.models import Plan, Profile, Setting',
      'def remind(request):',
      '    filters = {"active": True}',
      '    for profile in Profile.objects.all()[:50]:',
      '        plan = Plan.objects.filter(tier="gold").first()',
      '        print(Plan.objects.filter(owner=profile).first())',
      '        print(Setting.objects.filter(**filters).first())',
      '        filters.update(kind=profile.kind)',
      '    for n in range(int(request.GET["pages"])):',
      '        page = n * 10',
      '        print(Plan.objects.all()[page : page + 10])',
    ].join('\n');
    const messages = await messagesOf('query-in-loop', 'shop/views.py', code);
    assert.equal(messages.length, 4, messages.join('\n'));
    const [invariant, byItem, changedArgument, reassigned] = messages;
    assert.match(invariant, /reads nothing the loop changes: .* run it once before the loop/);
    // The item, a dict the body updates, a name the body assigns: each pass asks something else.
    for (const message of [byItem, changedArgument, reassigned])
      assert.match(message, /batch it with `IN \(\.\.\.\)`/);
  });

  it('unbounded-orm-query asks to page the parents of rows grouped per parent', async () => {
    const code = [
      'from typing import cast',
      'from sqlalchemy import select',
      'from connectors.models import Pair, DocumentSet, SetPair',
      'def fetch_document_sets(db_session):',
      '    stmt = select(DocumentSet, Pair).join(SetPair, isouter=True).join(Pair, isouter=True)',
      '    results = cast(list, db_session.execute(stmt).all())',
      '    grouped = {}',
      '    for document_set, pair in results:',
      '        if document_set.id not in grouped:',
      '            grouped[document_set.id] = (document_set, [])',
      '        grouped[document_set.id][1].append(pair)',
      '    return list(grouped.values())',
    ].join('\n');
    const [message] = await messagesOf('unbounded-orm-query', 'connectors/db.py', code);
    assert.match(message, /line 11 groups them per `document_set\.id`: page the parents/);
    assert.match(
      message,
      /then load the children of each page; a bound .* cut the last group short/,
    );
  });

  it('unbounded-orm-query names the whole queryset up to the read, each read its own', async () => {
    const code = [
      'from shop.models import Order',
      'def order_ids(since):',
      '    qs = Order.objects.values_list("id")',
      '    paid = qs.filter(status="paid", payment__captured_at__gte=since)',
      '    refunded = qs.filter(status="refunded", refund__processed_at__gte=since)',
      '    return set(paid) | set(refunded)',
      'def regional(region):',
      '    orders = Order.objects.all().select_related("customer").filter(customer__region=region)',
      '    return list(orders.order_by("-placed_at"))',
      'def doubled(region):',
      '    qs = Order.objects.filter(customer__region=region)',
      '    return list(qs) + list(qs)',
    ].join('\n');
    const messages = await messagesOf('unbounded-orm-query', 'shop/views.py', code);
    const quoted = messages.map((message) => /^`([^`]*)`/.exec(message)?.[1]);
    assert.deepEqual(quoted, [
      // Long filters keep their keywords: the two reads of one line tell themselves apart.
      'Order.objects.values_list("id").filter(status=…, payment__captured_at__gte=…)',
      'Order.objects.values_list("id").filter(status=…, refund__processed_at__gte=…)',
      // The filter after the first call, and the sort at the read, are named; the middle is not.
      'Order.objects.all()...filter(customer__region=region).order_by("-placed_at")',
      // One read written twice on a line: one finding.
      'Order.objects.filter(customer__region=region)',
    ]);
  });

  it('unbounded-orm-query quotes a query through a local alias as written', async () => {
    const code = [
      'from shop.models import Rule',
      'def pairs(request):',
      '    RuleVariant = Rule.variants.through',
      '    existing = (',
      '        RuleVariant.objects.using("replica")',
      '        .values_list("rule_id", "variant_id")',
      '    )',
      '    return [RuleVariant(rule_id=r, variant_id=v) for r, v in existing]',
    ].join('\n');
    const [message] = await messagesOf('unbounded-orm-query', 'shop/views.py', code);
    assert.match(
      message,
      /^`RuleVariant\.objects\.using\("replica"\)\.values_list\("rule_id", "variant_id"\)` is evaluated whole/,
    );
  });

  it('unbounded-orm-query names every entity of a long select of names only', async () => {
    const code = [
      'from sqlalchemy import select',
      'def document_sets(db):',
      '    stmt = select(',
      '        DocumentSetRecord,',
      '        ConnectorCredentialPairRecord,',
      '    ).outerjoin(ConnectorCredentialPairRecord)',
      '    return db.execute(stmt).all()',
      'def labelled(db):',
      '    stmt = select(DocumentSetRecord, literal("document-set").label("kind"))',
      '    return db.execute(stmt).all()',
    ].join('\n');
    const [entities, labelled] = await messagesOf('unbounded-orm-query', 'app/sets.py', code);
    assert.match(entities, /^`select\(DocumentSetRecord, ConnectorCredentialPairRecord\)` loads/);
    // Arguments other than names still shorten a long quote.
    assert.match(labelled ?? '', /^`select\(\.\.\.\)` loads/);
  });

  it('unbounded-orm-query advises streaming, not a bound, in batch commands and jobs', async () => {
    const code = [
      'from sqlalchemy import select',
      'from shop.models import Order',
      'def run(session):',
      '    for order in Order.objects.filter(paid=False):',
      '        print(order.id)',
      '    for order in session.query(Order).filter(Order.paid == False).all():',
      '        print(order.id)',
      '    for order in session.scalars(select(Order).where(Order.paid == False)).all():',
      '        print(order.id)',
    ].join('\n');
    const [django, query, select] = await messagesOf(
      'unbounded-orm-query',
      'shop/management/commands/remind.py',
      code,
    );
    assert.match(
      django,
      /batch code \(a command or a background job\) .* stream them with `\.iterator\(\)`/,
    );
    assert.match(query, /stream them with `\.yield_per\(n\)`/);
    assert.match(select, /stream them with `\.execution_options\(yield_per=n\)`/);
    // On a request path the same reads keep the message that explains the missing bound.
    const [requestPath] = await messagesOf('unbounded-orm-query', 'shop/views.py', code);
    assert.match(requestPath, /the queryset is not sliced/);
  });

  it('unbounded-orm-query asks for a chunk_size to stream a queryset that prefetches', async () => {
    const [prefetching, plain] = await messagesOf(
      'unbounded-orm-query',
      'shop/management/commands/reindex.py',
      [
        'from shop.models import Order',
        'def run():',
        '    for order in Order.objects.filter(paid=True).prefetch_related("lines"):',
        '        print(order.id)',
        '    for order in Order.objects.filter(paid=False):',
        '        print(order.id)',
      ].join('\n'),
    );
    // Django 4.1+ prefetches per chunk only with a `chunk_size`; Django 5.0 raises without one.
    assert.match(prefetching, /stream them with `\.iterator\(chunk_size=n\)`/);
    assert.match(plain, /stream them with `\.iterator\(\)`/);
  });

  it('unbounded-orm-query keeps a queryset iterated twice to one pass (Pretix waiting list)', async () => {
    const [twice, ...rest] = await messagesOf(
      'unbounded-orm-query',
      'shop/management/commands/assign.py',
      [
        'from shop.models import Entry',
        'def run():',
        '    qs = Entry.objects.filter(voucher__isnull=True).order_by("created")',
        '    for entry in qs:',
        '        entry._quota = entry.item.quota',
        '    for entry in qs:',
        '        entry.assign(entry._quota)',
        '    for entry in Entry.objects.filter(voucher__isnull=False):',
        '        print(entry.id)',
      ].join('\n'),
    );
    // The second loop reuses the rows (and `_quota`) the first cached: `.iterator()` would
    // run the query again there and lose them.
    assert.match(
      twice,
      /`\.iterator\(\)` in a single pass: the queryset is iterated again on line 6/,
    );
    assert.deepStrictEqual(rest.length, 1);
    assert.doesNotMatch(rest[0] ?? '', /single pass/);
  });

  it('unbounded-orm-query names the grouping of a GROUP BY, inline or in a QuerySet method', async () => {
    const models = [
      'from django.db import models',
      'from django.db.models import Count',
      'class EditQuerySet(models.QuerySet):',
      '    def per_editor(self):',
      '        return self.values("editor").annotate(n=Count("id"))',
      'class Edit(models.Model):',
      '    editor = models.CharField(max_length=50)',
      '    objects = EditQuerySet.as_manager()',
    ].join('\n');
    const views = [
      'from django.db.models import Count',
      'from reports.models import Edit',
      'def credits(request):',
      '    return [row for row in Edit.objects.filter(live=True).per_editor()]',
      'def per_day(request):',
      '    return list(Edit.objects.values("day").annotate(n=Count("id")))',
    ].join('\n');
    const [method, inline] = await messagesIn('unbounded-orm-query', [
      { relativePath: 'reports/models.py', text: models },
      { relativePath: 'reports/views.py', text: views },
    ]);
    assert.match(method, /reads every group of `per_editor\(\)` at once/);
    assert.match(inline, /reads every group of `values\(\.\.\.\)` \+ `annotate\(\.\.\.\)`/);
    assert.match(inline, /a bare bound would drop groups/);
  });

  it('unpaginated-list-endpoint words a detail endpoint that embeds rows apart from a list', async () => {
    const service = [
      'from sqlalchemy.orm import Session',
      'from app.models import Member',
      'def members_with_role(db: Session, role: str):',
      '    return db.query(Member).filter(Member.role == role).all()',
    ].join('\n');
    const routes = [
      'from fastapi import APIRouter, Depends',
      'from sqlalchemy.orm import Session',
      'from app import people',
      'from app.deps import get_db',
      'from app.models import Member, Team',
      'from app.schemas import TeamDetail',
      'from fastapi.responses import JSONResponse',
      'router = APIRouter()',
      '@router.get("/teams/{team_id}")',
      'def team_detail(team_id: int, db: Session = Depends(get_db)):',
      '    team = db.query(Team).filter(Team.id == team_id).first()',
      '    admins = db.query(Member).filter(Member.role == "admin").all()',
      '    return {"team": team, "admins": admins}',
      '@router.get("/teams/{team_id}/card", response_model=TeamDetail)',
      'def team_card(team_id: int, db: Session = Depends(get_db)):',
      '    return TeamDetail(id=team_id, admins=people.members_with_role(db, "admin"))',
      '@router.get("/teams/{team_id}/admins")',
      'def team_admins(team_id: int, db: Session = Depends(get_db)):',
      '    admins = db.query(Member).filter(Member.role == "admin").all()',
      '    return {"items": admins, "total": len(admins)}',
      '@router.get("/teams/{team_id}/guests")',
      'def team_guests(team_id: int, db: Session = Depends(get_db)):',
      '    return {"items": people.members_with_role(db, "guest")}',
      '@router.get("/roles/{role}")',
      'def members_in_role(role: str, db: Session = Depends(get_db)):',
      '    return db.query(Member).filter(Member.role == role).all()',
      '@router.get("/role-ids/{role}")',
      'def member_ids_in_role(role: str, db: Session = Depends(get_db)):',
      '    rows = db.query(Member).filter(Member.role == role).all()',
      '    return JSONResponse(content=[row.id for row in rows])',
      '@router.get("/role-names/{role}")',
      'def member_names_in_role(role: str, db: Session = Depends(get_db)):',
      '    rows = db.query(Member).filter(Member.role == role).all()',
      '    return JSONResponse(content={"role": role, "names": [row.name for row in rows]})',
    ].join('\n');
    const flask = [
      'from flask import Blueprint, jsonify, make_response',
      'from app.models import Member, Team, db',
      'teams = Blueprint("teams", __name__)',
      '@teams.route("/teams/<int:team_id>")',
      'def team_page(team_id):',
      '    admins = db.session.query(Member).filter(Member.role == "admin").all()',
      '    data = {"team": db.session.get(Team, team_id).name, "admins": [a.name for a in admins]}',
      '    return make_response(jsonify(data), 200)',
      '@teams.route("/teams/<int:team_id>/guests")',
      'def team_guests_page(team_id):',
      '    guests = db.session.query(Member).filter(Member.role == "guest").all()',
      '    return jsonify([guest.name for guest in guests])',
    ].join('\n');
    const messages = await messagesIn('unpaginated-list-endpoint', [
      { relativePath: 'app/people.py', text: service },
      { relativePath: 'app/routes.py', text: routes },
      { relativePath: 'app/pages.py', text: flask },
    ]);
    const of = (handler: string) => messages.find((m) => m.includes(`\`${handler}\``)) ?? '';
    assert.equal(messages.length, 9, messages.join('\n'));
    // One object (a detail path or a one-object response model) that embeds the rows.
    assert.match(
      of('team_detail'),
      /^Endpoint `team_detail` answers one object that embeds every row `db\.query\(Member\)` matches: .*a paged endpoint of its own/,
    );
    assert.match(
      of('team_card'),
      /^Endpoint `team_card` answers one object that embeds every row `people\.members_with_role\(\)` loads/,
    );
    // A list wrapped in a dict on a collection path, and rows returned as they are: list endpoints.
    assert.match(of('team_admins'), /^List endpoint `team_admins` returns every row/);
    assert.match(of('team_guests'), /^List endpoint `team_guests` returns every row/);
    assert.match(of('members_in_role'), /^List endpoint `members_in_role` returns every row/);
    // Response wrappers: one object when they wrap a dict (a local only ever assigned one too).
    assert.match(of('member_ids_in_role'), /^List endpoint `member_ids_in_role`/);
    assert.match(of('member_names_in_role'), /^Endpoint `member_names_in_role` answers one object/);
    assert.match(of('team_page'), /^Endpoint `team_page` answers one object/);
    assert.match(of('team_guests_page'), /^List endpoint `team_guests_page`/);
  });

  it('unbounded-orm-query says why code that must see every row gets no bound', async () => {
    const code = [
      'from django.core.cache import cache',
      'from django.dispatch import receiver',
      'from shop.models import Order',
      '@receiver(post_save)',
      'def on_save(sender, instance, **kwargs):',
      '    for order in Order.objects.filter(customer=instance):',
      '        print(order.id)',
      'def reprice(rate):',
      '    for order in Order.objects.filter(paid=False):',
      '        order.total *= rate',
      '        order.save()',
      'def rebuild():',
      '    ids = set()',
      '    for order in Order.objects.filter(paid=False):',
      '        ids.add(order.customer_id)',
      '    cache.set("unpaid", ids)',
    ].join('\n');
    const [handler, writeBack, fold] = await messagesOf(
      'unbounded-orm-query',
      'shop/services.py',
      code,
    );
    assert.match(
      handler,
      /a signal handler that must update every row should stream them with `\.iterator\(\)`/,
    );
    assert.match(
      writeBack,
      /writes every row back.*`\.iterator\(\)`, or write them in one `update\(\.\.\.\)` on the queryset or `bulk_update/,
    );
    assert.match(fold, /folds every row into `ids`, which is kept whole/);
  });

  it('unbounded-orm-query offers no bulk write to the fallback of one that failed', async () => {
    const code = [
      'from django.db import IntegrityError, transaction',
      'from shop.models import Order',
      'def move(old, new):',
      '    try:',
      '        with transaction.atomic():',
      '            Order.objects.filter(customer=old).update(customer=new)',
      '    except IntegrityError:',
      '        for order in Order.objects.filter(customer=old):',
      '            try:',
      '                with transaction.atomic():',
      '                    Order.objects.filter(pk=order.pk).update(customer=new)',
      '            except IntegrityError:',
      '                order.delete()',
      'def reassign(old, new):',
      '    for order in Order.objects.filter(customer=old):',
      '        Order.objects.filter(pk=order.pk).update(customer=new)',
    ].join('\n');
    const [fallback, plain] = await messagesOf('unbounded-orm-query', 'shop/services.py', code);
    assert.match(
      fallback,
      /writes the rows one by one because their bulk write failed.*stream them with `\.iterator\(\)`$/,
    );
    assert.doesNotMatch(fallback, /update\(\.\.\.\)|bulk_update/);
    assert.match(plain, /or write them in one `update\(\.\.\.\)` on the queryset/);
  });

  it('query-in-loop asks a loop that reads in batches to end, not to batch with IN', async () => {
    const code = [
      'import sqlalchemy as sa',
      'from shop.models import Order',
      'def retry(session, stop, queue):',
      '    while True:',
      '        rows = session.scalars(sa.select(Order).where(Order.failed).limit(100)).all()',
      '        if stop.is_set():',
      '            break',
      '    while queue:',
      '        shop = queue.pop()',
      '        rows = session.scalars(sa.select(Order).where(Order.shop_id == shop).limit(100)).all()',
    ].join('\n');
    const [same, perItem] = await messagesOf('query-in-loop', 'shop/jobs.py', code);
    assert.match(
      same,
      /same `\.limit\(\.\.\.\)` query: end the loop when a batch comes back short/,
    );
    assert.doesNotMatch(same, /IN \(/);
    // Each pass reads the batch of another item: one query for all items is the cure.
    assert.match(perItem, /batch it with `IN \(\.\.\.\)`/);
  });

  it('query-in-loop offers the batch write Django has for a write repeated per row', async () => {
    const messages = await messagesOf(
      'query-in-loop',
      'shop/services.py',
      [
        'from shop.models import Label, Order',
        '',
        'async def archive(customer, names):',
        '    for name in names:',
        '        await Label.objects.acreate(customer=customer, name=name)',
        '    async for order in Order.objects.filter(customer=customer).aiterator():',
        '        order.archived = True',
        '        await order.asave()',
        '    for order in Order.objects.filter(customer=customer, draft=True)[:100]:',
        '        order.delete()',
        '    for name in names:',
        '        label = await Label.objects.aget(customer=customer, name=name)',
      ].join('\n'),
    );
    assert.equal(messages.length, 4);
    const [create, save, remove, read] = messages;
    assert.match(create, /`Label\.objects\.acreate\(\.\.\.\)` .* one `abulk_create\(\[\.\.\.\]\)`/);
    assert.match(save, /`aupdate\(\.\.\.\)` on the queryset, or `abulk_update\(rows, fields\)`/);
    assert.match(remove, /one statement with `delete\(\)` on the queryset/);
    // A read keeps the advice to fetch in one query.
    assert.match(read, /batch it with `IN \(\.\.\.\)`/);
  });

  it('query-in-loop keeps a per-row save or delete the model overrides out of bulk advice', async () => {
    const models = [
      'from django.db import models',
      '',
      'class Stored(models.Model):',
      '    class Meta:',
      '        abstract = True',
      '',
      '    def delete(self, *args, **kwargs):',
      '        return super().delete(*args, **kwargs)',
      '',
      'class Export(Stored):',
      '    expired = models.BooleanField(default=False)',
      '',
      'class Ledger(models.Model):',
      '    total = models.IntegerField(default=0)',
      '',
      '    def save(self, *args, **kwargs):',
      '        super().save(*args, **kwargs)',
      '',
      'class Draft(models.Model):',
      '    expired = models.BooleanField(default=False)',
    ].join('\n');
    const services = [
      'from shop.models import Draft, Export, Ledger',
      '',
      'async def cleanup():',
      '    for export in Export.objects.filter(expired=True):',
      '        export.delete()',
      '    exports = Export.objects.filter(expired=True)',
      '    async for export in exports:',
      '        await export.adelete()',
      '    for ledger in Ledger.objects.filter(total__lt=0):',
      '        ledger.total = 0',
      '        ledger.save()',
      '    for draft in Draft.objects.filter(expired=True):',
      '        draft.delete()',
    ].join('\n');
    const files = [
      { relativePath: 'shop/models.py', text: models },
      { relativePath: 'shop/services.py', text: services },
    ];
    const [remove, removeAsync, save, plain] = await messagesIn('query-in-loop', files);
    assert.match(
      remove,
      /`Export\.delete\(\)` is overridden: a queryset `delete\(\)` would skip it; batch what it does, or keep the loop and page through the rows/,
    );
    // `adelete()` runs the overridden `delete()`.
    assert.match(removeAsync, /`Export\.delete\(\)` is overridden: a queryset `adelete\(\)`/);
    assert.match(
      save,
      /`Ledger\.save\(\)` is overridden: a queryset `update\(\.\.\.\)` or `bulk_update`/,
    );
    // Near miss: a model without the override keeps the one-statement advice.
    assert.match(plain, /delete the rows in one statement with `delete\(\)` on the queryset/);
    // The unbounded read of a save loop does not offer the `update(...)` the override rules out;
    // the delete loops are left to query-in-loop.
    const [unbounded, ...others] = await messagesIn('unbounded-orm-query', files);
    assert.equal(others.length, 0);
    assert.match(unbounded, /saves every row through the overridden `save\(\)`.*`\.iterator\(\)`$/);
  });

  it('query-in-loop keeps a per-row delete of related manager rows the model overrides out of bulk advice', async () => {
    // Modelled on Mayan EDMS: a retention job deletes each expired document of each document type
    // through the type's related manager, and `Document.delete()` moves the row to the trash.
    const models = [
      'from django.db import models',
      '',
      'class DocumentType(models.Model):',
      '    label = models.CharField(max_length=64)',
      '',
      'class Document(models.Model):',
      '    document_type = models.ForeignKey(',
      '        on_delete=models.CASCADE, related_name="documents", to=DocumentType',
      '    )',
      '    date_added = models.DateTimeField(db_index=True)',
      '',
      '    def delete(self, *args, **kwargs):',
      '        return super().delete(*args, **kwargs)',
      '',
      'class Draft(models.Model):',
      '    document_type = models.ForeignKey(',
      '        DocumentType, on_delete=models.CASCADE, related_name="drafts"',
      '    )',
    ].join('\n');
    const services = [
      'from docs.models import DocumentType',
      '',
      'def check_trash_periods(cutoff):',
      '    for document_type in DocumentType.objects.all():',
      '        for document in document_type.documents.filter(date_added__lt=cutoff):',
      '            document.delete()',
      '        drafts = document_type.drafts.all()',
      '        for draft in drafts:',
      '            draft.delete()',
    ].join('\n');
    const files = [
      { relativePath: 'docs/models.py', text: models },
      { relativePath: 'docs/services.py', text: services },
    ];
    const messages = await messagesIn('query-in-loop', files);
    const remove = messages.find((message) => message.startsWith('`document.delete('));
    const plain = messages.find((message) => message.startsWith('`draft.delete('));
    assert.match(
      remove ?? '',
      /`Document\.delete\(\)` is overridden: a queryset `delete\(\)` would skip it/,
    );
    // Near miss: the rows of a related manager whose model keeps Django's `delete()`.
    assert.match(plain ?? '', /delete the rows in one statement with `delete\(\)` on the queryset/);
  });

  it('query-in-loop keeps bulk advice out of a save given a keyword Django does not take', async () => {
    // Modelled on Kolibri: its syncable models inherit a `save()` from a sync library outside the
    // workspace that takes `update_dirty_bit_to`; the bulk forms would skip it.
    const models = [
      'from django.db import models',
      'from morango.models import SyncableModel',
      '',
      'class Lesson(SyncableModel):',
      '    title = models.CharField(max_length=50)',
      '',
      'class LessonAssignment(SyncableModel):',
      '    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE)',
      '    collection_id = models.UUIDField()',
    ].join('\n');
    const services = [
      'from lessons.models import Lesson, LessonAssignment',
      '',
      'def sync_assignments(user_id, collection_id):',
      '    for lesson in Lesson.objects.filter(title__startswith="x"):',
      '        assignment = LessonAssignment(lesson=lesson, collection_id=collection_id)',
      '        assignment.save(update_dirty_bit_to=False)',
      '    for assignment in LessonAssignment.objects.filter(lesson__title="x"):',
      '        assignment.collection_id = collection_id',
      '        assignment.save(update_dirty_bit_to=False)',
      '    for assignment in LessonAssignment.objects.filter(lesson__title="y"):',
      '        assignment.collection_id = collection_id',
      '        assignment.save(update_fields=["collection_id"])',
    ].join('\n');
    const files = [
      { relativePath: 'lessons/models.py', text: models },
      { relativePath: 'lessons/services.py', text: services },
    ];
    const [insert, update, plain] = await messagesIn('query-in-loop', files);
    assert.match(
      insert,
      /one `bulk_create\(\[\.\.\.\]\)` would skip the `save\(\)` that takes `update_dirty_bit_to`, which Django's own does not/,
    );
    assert.match(
      update,
      /a queryset `update\(\.\.\.\)` or `bulk_update` would skip the `save\(\)` that takes `update_dirty_bit_to`/,
    );
    // Near miss: Django's own keywords say nothing of an override.
    assert.match(plain, /write the rows in one statement with `update\(\.\.\.\)` on the queryset/);
  });

  it('query-in-loop offers no Prefetch for a related read whose filter takes values of each row', async () => {
    // Modelled on Mayan EDMS: each document type keeps its trashed documents for its own period.
    const models = [
      'from django.db import models',
      '',
      'class DocumentType(models.Model):',
      '    trash_days = models.IntegerField(default=30)',
      '',
      'class Document(models.Model):',
      '    document_type = models.ForeignKey(',
      '        DocumentType, on_delete=models.CASCADE, related_name="documents"',
      '    )',
      '    date_added = models.DateTimeField(db_index=True)',
    ].join('\n');
    const services = [
      'from datetime import timedelta',
      'from django.utils.timezone import now',
      'from docs.models import DocumentType',
      '',
      'def expired_per_type():',
      '    out = []',
      '    for document_type in DocumentType.objects.all():',
      '        delta = timedelta(days=document_type.trash_days)',
      '        out.append(list(document_type.documents.filter(date_added__lt=now() - delta)))',
      '    return out',
      '',
      'def expired_before(cutoff):',
      '    out = []',
      '    for document_type in DocumentType.objects.all():',
      '        out.append(list(document_type.documents.filter(date_added__lt=cutoff)))',
      '    return out',
    ].join('\n');
    const files = [
      { relativePath: 'docs/models.py', text: models },
      { relativePath: 'docs/services.py', text: services },
    ];
    const [perRow, shared] = await messagesIn('query-in-loop', files);
    assert.match(
      perRow,
      /its filter takes values of each row, which one `Prefetch\("documents", queryset=\.\.\.\)` cannot state/,
    );
    // Near miss: one condition for every row fits one `Prefetch` queryset.
    assert.match(
      shared,
      /prefetch the rows it needs with `prefetch_related\(Prefetch\("documents"/,
    );
  });

  it('query-in-loop keeps bulk_create and bulk_update out of advice for models with save hooks', async () => {
    const models = [
      'from django.db import models',
      'from django_lifecycle import AFTER_CREATE, BEFORE_DELETE, LifecycleModelMixin, hook',
      '',
      'class Audited(LifecycleModelMixin, models.Model):',
      '    class Meta:',
      '        abstract = True',
      '',
      '    @hook(AFTER_CREATE)',
      '    def record_creation(self):',
      '        AuditEntry.objects.create(subject=str(self.pk))',
      '',
      'class Toggle(Audited):',
      '    environment = models.CharField(max_length=40)',
      '',
      '    @classmethod',
      '    def seed_environments(cls, environments):',
      '        for environment in environments:',
      '            cls._seed_one(environment)',
      '',
      '    @classmethod',
      '    def _seed_one(cls, environment):',
      '        cls.objects.create(environment=environment)',
      '',
      'class Preference(models.Model):',
      '    key = models.CharField(max_length=40)',
      '',
      'class Snapshot(LifecycleModelMixin, models.Model):',
      '    label = models.CharField(max_length=40)',
      '',
      '    @hook(BEFORE_DELETE)',
      '    def release_storage(self):',
      '        pass',
      '',
      'class AuditEntry(models.Model):',
      '    subject = models.CharField(max_length=40)',
    ].join('\n');
    const signals = [
      'from django.db.models.signals import post_save',
      'from django.dispatch import receiver',
      'from settings_app.models import Preference',
      '',
      '@receiver(post_save, sender=Preference)',
      'def publish_preference(sender, instance, created, **kwargs):',
      '    pass',
    ].join('\n');
    const services = [
      'from settings_app.models import Preference, Snapshot, Toggle',
      '',
      'def seed(environments, keys, labels):',
      '    for environment in environments:',
      '        Toggle.objects.create(environment=environment)',
      '    for key in keys:',
      '        Preference.objects.create(key=key)',
      '    for preference in Preference.objects.filter(key__in=keys):',
      '        preference.key = preference.key.lower()',
      '        preference.save()',
      '    for label in labels:',
      '        Snapshot.objects.create(label=label)',
    ].join('\n');
    const files = [
      { relativePath: 'settings_app/models.py', text: models },
      { relativePath: 'settings_app/signals.py', text: signals },
      { relativePath: 'settings_app/services.py', text: services },
    ];
    const [toggle, preference, preferenceSave, snapshot] = await messagesIn('query-in-loop', files);
    assert.match(
      toggle,
      /one `bulk_create\(\[\.\.\.\]\)` would skip what `Toggle\.save\(\)` runs \(`@hook\(AFTER_CREATE\)`\): batch what it does, or keep the loop$/,
    );
    assert.match(
      preference,
      /would skip what `Preference\.save\(\)` runs \(a `post_save` receiver\)/,
    );
    assert.match(
      preferenceSave,
      /a queryset `update\(\.\.\.\)` or `bulk_update` would skip what `Preference\.save\(\)` runs \(a `post_save` receiver\)/,
    );
    // Near miss: a delete hook does not run on insert, so `bulk_create` stays the advice.
    assert.match(snapshot, /insert the rows with one `bulk_create\(\[\.\.\.\]\)`$/);
    const [helper, ...others] = await messagesIn('query-in-loop-via-helper', files);
    assert.equal(others.length, 0);
    assert.match(
      helper,
      /`bulk_create`, `bulk_update` and a queryset's `update\(\.\.\.\)` would skip what `Toggle\.save\(\)` runs \(`@hook\(AFTER_CREATE\)`\)/,
    );
  });

  it('unbounded-orm-query asks for a total, not a group_by, when rows are summed with no key', async () => {
    const [summed] = await messagesOf(
      'unbounded-orm-query',
      'app/usage.py',
      [
        'from app.models import Step',
        '',
        'def job_usage(session, job_id):',
        '    steps = session.query(Step).filter(Step.job_id == job_id).all()',
        '    return sum(step.total_tokens or 0 for step in steps), len(steps)',
      ].join('\n'),
    );
    assert.match(
      summed,
      /aggregate in the database instead \(`db\.query\(func\.sum\(Step\.<column>\), func\.count\(\)\)`\); a bound/,
    );
  });

  it('unbounded-orm-query asks to aggregate in the database when rows are only counted', async () => {
    const messages = await messagesOf(
      'unbounded-orm-query',
      'app/reports.py',
      [
        'from sqlalchemy import select',
        'from app.models import Job, Invoice',
        '',
        'async def job_states(session):',
        '    jobs = (await session.execute(select(Job))).scalars().all()',
        '    counts = {}',
        '    for job in jobs:',
        '        counts[job.state] = counts.get(job.state, 0) + 1',
        '    return counts',
        '',
        'def overdue(db, today):',
        '    rows = db.query(Invoice).filter(Invoice.due_on < today).all()',
        '    return len(rows)',
        '',
        'def newest_jobs(db):',
        '    newest = {}',
        '    for job in db.query(Job).order_by(Job.started_at).all():',
        '        newest[job.queue] = job',
        '    return list(newest.values())',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    const [grouped, counted, latest] = messages;
    assert.match(
      latest,
      /only to keep one per `queue` in Python: ask the database for one row per key instead \(`\.order_by\(key, \.\.\.\)\.distinct\(key\)` on PostgreSQL/,
    );
    assert.match(
      grouped,
      /only to count, sum or group them in Python: aggregate in the database instead \(`select\(Job\.state, func\.count\(\)\)\.group_by\(Job\.state\)`/,
    );
    assert.match(
      counted,
      /only to count them: ask for the number with `\.count\(\)`; a bound would make the count silently wrong$/,
    );
    const [distinct] = await messagesOf(
      'unbounded-orm-query',
      'app/views.py',
      [
        'from app.models import Trait',
        '',
        'def trait_keys(environment):',
        '    return [k for k in Trait.objects.filter(environment=environment).values("key").distinct()]',
      ].join('\n'),
    );
    assert.match(
      distinct ?? '',
      /scans every matching row to collect the distinct values: only those come back/,
    );
  });

  it('query-in-loop says a created row saved again in the same pass must be built whole first', async () => {
    const models = [
      'from django.db import models',
      'class Device(models.Model):',
      '    name = models.CharField(max_length=50)',
      'class Port(models.Model):',
      '    device = models.ForeignKey(Device, related_name="ports", on_delete=models.CASCADE)',
      '    address = models.CharField(max_length=40, null=True)',
    ].join('\n');
    const services = [
      'from net.models import Port',
      'def wire(devices, allocator):',
      '    for device in devices:',
      '        port = Port.objects.create(device=device)',
      '        port.address = allocator.next_free()',
      '        port.save()',
      'def wire_later(devices):',
      '    created = []',
      '    for device in devices:',
      '        port = Port.objects.create(device=device)',
      '        created.append(port)',
      '    return created',
      'def wire_related(devices, allocator):',
      '    for device in devices:',
      '        port = device.ports.create()',
      '        port.address = allocator.next_free()',
      '        port.save()',
      'async def wire_async(devices, allocator):',
      '    for device in devices:',
      '        port = await Port.objects.acreate(device=device)',
      '        port.address = allocator.next_free()',
      '        await port.asave()',
    ].join('\n');
    const messages = await messagesIn('query-in-loop', [
      { relativePath: 'net/models.py', text: models },
      { relativePath: 'net/services.py', text: services },
    ]);
    const about = (head: string): string[] => messages.filter((m) => m.startsWith(head));
    assert.deepEqual(about('`Port.objects.create(...)`'), [
      '`Port.objects.create(...)` runs one query for each `device` in `devices`; each row is saved again after `create` (`port.save()`): build the objects whole first, then insert them with one `bulk_create([...])`',
      // Near miss: nothing writes the created row again, so one `bulk_create` replaces the loop.
      '`Port.objects.create(...)` runs one query for each `device` in `devices`; insert the rows with one `bulk_create([...])`',
    ]);
    assert.deepEqual(about('`device.ports.create(...)`'), [
      '`device.ports.create(...)` runs one query for each `device` in `devices`; each row is saved again after `create` (`port.save()`): build the objects whole first, then insert them with one `bulk_create([...])` of the related model, each row given its relation',
    ]);
    assert.deepEqual(about('`Port.objects.acreate(...)`'), [
      '`Port.objects.acreate(...)` runs one query for each `device` in `devices`; each row is saved again after `acreate` (`port.asave()`): build the objects whole first, then insert them with one `abulk_create([...])`',
    ]);
  });

  it('query-in-loop tells a related manager create to set the relation on each bulk row', async () => {
    const models = [
      'from django.db import models',
      'class Order(models.Model):',
      '    number = models.CharField(max_length=20)',
      'class Line(models.Model):',
      '    order = models.ForeignKey(Order, related_name="lines", on_delete=models.CASCADE)',
      '    title = models.CharField(max_length=100)',
      'class Counter(models.Model):',
      '    tally = TallyManager()',
    ].join('\n');
    const services = [
      'from shop.models import Counter',
      'def copy_lines(order, items):',
      '    for item in items:',
      '        order.lines.create(title=item.title)',
      'def count_up(names):',
      '    for name in names:',
      '        Counter.tally.create(name=name)',
    ].join('\n');
    const files = [
      { relativePath: 'shop/models.py', text: models },
      { relativePath: 'shop/services.py', text: services },
    ];
    const [related, custom] = await messagesIn('query-in-loop', files);
    assert.match(
      related,
      /`order\.lines\.create\(\.\.\.\)` runs one query for each `item` in `items`; insert the rows with one `bulk_create\(\[\.\.\.\]\)` of the related model, each row given its relation$/,
    );
    // A model's own manager makes the rows of its model: no relation to set.
    assert.match(
      custom,
      /`Counter\.tally\.create\(\.\.\.\)`.*insert the rows with one `bulk_create\(\[\.\.\.\]\)`$/,
    );
  });

  it('query-in-loop-via-helper names the call that runs a queryset, not the lazy queryset', async () => {
    const messages = await messagesOf(
      'query-in-loop-via-helper',
      'app/outbox.py',
      [
        'from app.models import OutboxMessage',
        '',
        'def resend_next(account_id):',
        '    pending = OutboxMessage.objects.filter(account_id=account_id)',
        '    pending = pending.exclude(channel="muted")',
        '    message = pending.first()',
        '    if message is not None:',
        '        message.deliver()',
        '',
        'def resend_all(account_ids):',
        '    for account_id in account_ids:',
        '        resend_next(account_id)',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    // `filter` and `exclude` only describe the query; `first()` sends it.
    assert.match(messages[0], /\(`pending\.first` at app\/outbox\.py:6\)/);
  });

  it("query-in-loop-via-helper names the awaited call that runs an async helper's queryset", async () => {
    const messages = await messagesOf(
      'query-in-loop-via-helper',
      'app/outbox.py',
      [
        'from app.models import OutboxMessage',
        '',
        'async def next_pending(account_id):',
        '    pending = OutboxMessage.objects.filter(account_id=account_id).order_by("created")',
        '    return await pending.afirst()',
        '',
        'async def resend_all(account_ids):',
        '    for account_id in account_ids:',
        '        await next_pending(account_id)',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    // Awaited, `afirst()` blocks nothing, yet it is the round trip: `filter` only builds the query.
    assert.match(messages[0], /\(`pending\.afirst` at app\/outbox\.py:5\)/);
  });

  it('query-in-loop-via-helper gives write advice when the helper only writes', async () => {
    const messages = await messagesOf(
      'query-in-loop-via-helper',
      'app/outbox.py',
      [
        'from app.models import OutboxMessage',
        '',
        'def mark_sent(message_id, remote_id):',
        '    OutboxMessage.objects.filter(pk=message_id).update(remote_id=remote_id)',
        '',
        'def load(message_id):',
        '    return OutboxMessage.objects.get(pk=message_id)',
        '',
        'def send_all(pairs):',
        '    for message_id, remote_id in pairs:',
        '        mark_sent(message_id, remote_id)',
        '        load(message_id)',
      ].join('\n'),
    );
    const [write, read] = messages;
    assert.match(
      write,
      /write them in one statement after the loop \(`update\(\.\.\.\)` on one queryset, `bulk_update` or `bulk_create`\)/,
    );
    assert.doesNotMatch(write, /fetch everything/);
    assert.match(read, /fetch everything in one batch before the loop/);
  });

  it("query-in-loop-via-helper warns that bulk writes skip a model's own save() it calls", async () => {
    // NetBox's Cable.save(): one `CableTermination(...).save()` per termination, whose override
    // also points the terminating object at the cable.
    const messages = await messagesOf(
      'query-in-loop-via-helper',
      'dcim/models.py',
      [
        'from django.db import models',
        '',
        'class Port(models.Model):',
        '    cable_id = models.IntegerField(null=True)',
        '',
        'class CableTermination(models.Model):',
        '    cable_id = models.IntegerField()',
        '    port_id = models.IntegerField()',
        '',
        '    def save(self, *args, **kwargs):',
        '        super().save(*args, **kwargs)',
        '        Port.objects.filter(pk=self.port_id).update(cable_id=self.cable_id)',
        '',
        'class Cable(models.Model):',
        '    def attach(self, port_ids):',
        '        for port_id in port_ids:',
        '            CableTermination(cable_id=self.pk, port_id=port_id).save()',
      ].join('\n'),
    );
    assert.equal(messages.length, 1);
    assert.match(
      messages[0],
      /`bulk_create`, `bulk_update` and a queryset's `update\(\.\.\.\)` would skip the overridden `CableTermination\.save\(\)`: batch what it does, or keep the loop$/,
    );
    assert.doesNotMatch(messages[0], /collect the changes/);
  });

  it('query-in-loop asks to move the test into the filter when a loop writes some rows only', async () => {
    // authentik's clean_temporary_users: only the generated users whose expiry passed are deleted.
    const messages = await messagesOf(
      'query-in-loop',
      'accounts/cleanup.py',
      [
        'from datetime import datetime',
        'from django.db import models',
        '',
        'class Account(models.Model):',
        '    attributes = models.JSONField(default=dict)',
        '    active = models.BooleanField(default=True)',
        '',
        'def clean_temporary(now: datetime):',
        '    for account in Account.objects.filter(attributes__generated=True)[:500]:',
        '        if not account.attributes.get("expires"):',
        '            continue',
        '        if datetime.fromtimestamp(account.attributes["expires"]) < now:',
        '            account.delete()',
        '',
        'def deactivate_some():',
        '    for account in Account.objects.filter(active=True)[:500]:',
        '        if account.attributes.get("temporary"):',
        '            account.active = False',
        '            account.save()',
        '',
        'def drop_generated():',
        '    for account in Account.objects.filter(attributes__generated=True)[:500]:',
        '        account.delete()',
      ].join('\n'),
    );
    const [picked, saved, every] = messages;
    assert.match(
      picked,
      /delete the rows in one statement with `delete\(\)` on the queryset: move the test that picks the rows into the queryset's filter first, or it reaches every row$/,
    );
    assert.match(saved, /`bulk_update\(rows, fields\)`: move the test that picks the rows/);
    // Near miss: every row the loop reads is deleted, so the queryset's delete() is the cure as is.
    assert.match(every, /delete the rows in one statement with `delete\(\)` on the queryset$/);
  });

  it('query-in-loop-via-helper advises sending HTTP requests together, not one batch', async () => {
    const code = [
      'import httpx',
      'import requests',
      '',
      'def post_event(hook, payload):',
      '    return requests.post(hook.url, json=payload, timeout=10)',
      '',
      'async def post_event_async(client: httpx.AsyncClient, hook, payload):',
      '    return await client.post(hook.url, json=payload)',
      '',
      'def notify_hooks(hooks, payload):',
      '    for hook in hooks:',
      '        post_event(hook, payload)',
      '',
      'async def notify_hooks_async(client, hooks, payload):',
      '    for hook in hooks:',
      '        await post_event_async(client, hook, payload)',
    ].join('\n');
    const [sync, awaited] = await messagesOf('query-in-loop-via-helper', 'app/webhooks.py', code);
    // One request to each subscriber's URL cannot be fetched in one batch before the loop.
    assert.match(sync, /makes an HTTP request for each `hook`/);
    assert.match(sync, /thread pool \(`concurrent\.futures\.ThreadPoolExecutor\(\)\.map`\)/);
    assert.doesNotMatch(sync, /fetch everything|asyncio/);
    assert.match(awaited, /send them together with `asyncio\.gather`/);
  });

  it('http-call-in-loop suggests a thread pool, not asyncio.gather, in a sync function', async () => {
    const code = [
      'import requests',
      'def warm(urls):',
      '    for url in urls:',
      '        requests.get(url, timeout=30)',
      'async def warm_async(urls):',
      '    for url in urls:',
      '        requests.get(url, timeout=30)',
    ].join('\n');
    const [sync, inAsync] = await messagesOf('http-call-in-loop', 'app/warmup.py', code);
    assert.match(sync, /thread pool \(`concurrent\.futures\.ThreadPoolExecutor\(\)\.map`\)/);
    assert.doesNotMatch(sync, /asyncio/);
    assert.match(inAsync, /an async client with `asyncio\.gather`/);
  });

  it('unindexed-query-column counts no query that a primary key drives', async () => {
    const messages = await messagesOf(
      'unindexed-query-column',
      'app/models.py',
      [
        'from sqlalchemy import DateTime, Integer, select, update',
        'from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column',
        'class Base(DeclarativeBase):',
        '    pass',
        'class Record(Base):',
        '    __abstract__ = True',
        '    id: Mapped[int] = mapped_column(Integer, primary_key=True)',
        'class Job(Record):',
        '    __tablename__ = "jobs"',
        '    run_at: Mapped[DateTime] = mapped_column(DateTime)',
        'def claim(db, job_id, when):',
        '    db.execute(update(Job).where(Job.id == job_id, Job.run_at == when).values(run_at=None))',
        'def due(db, now):',
        '    return db.scalars(select(Job).where(Job.run_at <= now).limit(10)).all()',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '`jobs.run_at` is filtered in 1 query (app/models.py:14 in `due`) but has no index: each ' +
        'one scans `jobs`',
    ]);
  });

  it("unindexed-query-column names a concrete parent's table for the fields a child inherits", async () => {
    const messages = await messagesIn('unindexed-query-column', [
      {
        relativePath: 'catalog/models.py',
        text: [
          'from django.db import models',
          'class Item(models.Model):',
          '    container = models.ForeignKey("self", null=True, on_delete=models.SET_NULL)',
          '    label = models.CharField(max_length=100)',
          'class Crate(Item):',
          '    side = models.PositiveSmallIntegerField()',
        ].join('\n'),
      },
      {
        relativePath: 'warehouse/models.py',
        text: [
          'from django.db import models',
          'from catalog.models import Item',
          'class Pallet(Item):',
          '    bay = models.CharField(max_length=8)',
        ].join('\n'),
      },
      {
        relativePath: 'warehouse/views.py',
        text: [
          'from catalog.models import Crate, Item',
          'from warehouse.models import Pallet',
          'def facing(container, side):',
          '    return list(Crate.objects.filter(container=container, side=side)[:50])',
          'def labelled(label):',
          '    return list(Item.objects.filter(label=label)[:50])',
          'def crates_labelled(label):',
          '    return list(Crate.objects.filter(label=label)[:50])',
          'def pallets_labelled(label, bay):',
          '    return list(Pallet.objects.filter(label=label, bay=bay)[:50])',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages.sort(), [
      '`catalog_item.label` is filtered in 3 queries (warehouse/views.py:6 in `labelled`, ' +
        'warehouse/views.py:8 in `crates_labelled`, warehouse/views.py:10 in `pallets_labelled`) ' +
        'but has no index: each one scans `catalog_item`',
      '`warehouse_pallet.bay` is filtered in 1 query (warehouse/views.py:10 in `pallets_labelled`) ' +
        'but has no index: each one scans `warehouse_pallet`',
    ]);
  });

  it('unindexed-query-column says where a column sits in an index that does not lead with it', async () => {
    const messages = await messagesOf(
      'unindexed-query-column',
      'app/models.py',
      [
        'from sqlalchemy import Column, Index, Integer, String, select',
        'from sqlalchemy.orm import declarative_base',
        'Base = declarative_base()',
        'class Member(Base):',
        '    __tablename__ = "member"',
        '    __table_args__ = (Index("ix_member_login", "realm_id", "login"),)',
        '    id = Column(Integer, primary_key=True)',
        '    realm_id = Column(Integer)',
        '    login = Column(String(80))',
        '    nickname = Column(String(80))',
        'def by_login(db, login):',
        '    return db.scalars(select(Member).where(Member.login == login).limit(5)).all()',
        'def by_nickname(db, nickname):',
        '    return db.scalars(select(Member).where(Member.nickname == nickname).limit(5)).all()',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '`member.login` is filtered in 1 query (app/models.py:12 in `by_login`) but no index leads ' +
        'with it (it is column 2 of `ix_member_login`): each one scans `member`',
      '`member.nickname` is filtered in 1 query (app/models.py:14 in `by_nickname`) but has no ' +
        'index: each one scans `member`',
    ]);
  });

  it('unindexed-query-column suggests one composite index per query: its filters, then its sort', async () => {
    const messages = await messagesOf(
      'unindexed-query-column',
      'app/models.py',
      [
        'from sqlalchemy import Column, Integer, String, select',
        'from sqlalchemy.orm import declarative_base',
        'Base = declarative_base()',
        'class Shot(Base):',
        '    __tablename__ = "shots"',
        '    id = Column(Integer, primary_key=True)',
        '    project_id = Column(Integer, index=True)',
        '    sequence_id = Column(Integer, index=True)',
        '    code = Column(String(40), index=True)',
        'def shots_of(db, project_id, sequence_id):',
        '    stmt = select(Shot).where(Shot.project_id == project_id, Shot.sequence_id == sequence_id)',
        '    return db.scalars(stmt.order_by(Shot.code).limit(100)).all()',
        'def sequence_shots(db, sequence_id):',
        '    stmt = select(Shot).where(Shot.sequence_id == sequence_id).order_by(Shot.code)',
        '    return db.scalars(stmt.limit(100)).all()',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      '`shots.project_id`, `sequence_id` filters + `code` sort (1 query: app/models.py:12 in ' +
        '`shots_of`) use separate indexes; one composite index serves them all: ' +
        '`Index("ix_shots_project_id_sequence_id_code", "project_id", "sequence_id", "code")`',
      '`shots.sequence_id` filter + `code` sort (1 query: app/models.py:14 in `sequence_shots`) ' +
        'use separate indexes; one composite index serves both: ' +
        '`Index("ix_shots_sequence_id_code", "sequence_id", "code")`',
    ]);
  });

  it('unindexed-query-column names the composite index that serves the filters but not the sort', async () => {
    const messages = await messagesOf(
      'unindexed-query-column',
      'notes/models.py',
      [
        'from django.db import models',
        'class Note(models.Model):',
        '    board = models.ForeignKey("Board", models.CASCADE)',
        '    author = models.ForeignKey("Author", models.CASCADE)',
        '    lane = models.IntegerField()',
        '    pinned = models.BooleanField(default=False)',
        '    created = models.DateTimeField()',
        '    edited = models.DateTimeField()',
        '    class Meta:',
        '        indexes = [',
        '            models.Index(fields=["board", "author", "pinned"]),',
        '            models.Index(fields=["lane", "board", "created"]),',
        '            models.Index(fields=["created", "author"]),',
        '            models.Index(fields=["edited"]),',
        '        ]',
        'def latest_of(board, author):',
        '    return Note.objects.filter(board=board, author=author).order_by("-created").first()',
        'def lane_notes(board, lane):',
        '    return list(Note.objects.filter(board=board, lane=lane).order_by("edited")[:20])',
        'def lane_latest(board, lane):',
        '    return Note.objects.filter(lane=lane, board=board).order_by("-created").first()',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      // `(board, author, pinned)` finds the rows of one board and author: only the order is missing.
      '`notes_note.board_id`, `author_id` filters + `created` sort (1 query: notes/models.py:17 in ' +
        '`latest_of`): the index on (board_id, author_id, pinned) serves the filters but lacks the ' +
        'sort column `created`; one composite index serves them all: ' +
        '`models.Index(fields=["board", "author", "created"])`',
      // `lane` leads `(lane, board, created)`, which also pins `board`: the suggestion keeps both.
      '`notes_note.lane`, `board_id` filters + `edited` sort (1 query: notes/models.py:19 in ' +
        '`lane_notes`): the index on (lane, board_id, created) serves the filters but lacks the ' +
        'sort column `edited`; one composite index serves them all: ' +
        '`models.Index(fields=["lane", "board", "edited"])`',
      // `lane_latest` is served in order by `(lane, board, created)`: no suggestion.
    ]);
  });

  it('unindexed-query-column names up to three query sites, in file order', async () => {
    const messages = await messagesIn('unindexed-query-column', [
      {
        relativePath: 'shop/models.py',
        text: [
          'from django.db import models',
          'class Coupon(models.Model):',
          '    code = models.CharField(max_length=20)',
          '    campaign = models.CharField(max_length=40)',
        ].join('\n'),
      },
      {
        relativePath: 'shop/views.py',
        text: [
          'from shop.models import Coupon',
          'def redeem(request, code):',
          '    return Coupon.objects.filter(code=code).first()',
          'def lookup(request, code):',
          '    return Coupon.objects.get(code=code)',
          'DEFAULT = Coupon.objects.filter(code="WELCOME").first()',
          'def by_campaign(request, campaign):',
          '    return list(Coupon.objects.filter(campaign=campaign)[:20])',
          'def campaign_count(request, campaign):',
          '    return Coupon.objects.filter(campaign=campaign).count()',
          'def campaign_exists(request, campaign):',
          '    return Coupon.objects.filter(campaign=campaign).exists()',
          'def first_of_campaign(request, campaign):',
          '    return Coupon.objects.filter(campaign=campaign).first()',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages.sort(), [
      // Four queries: the count says enough.
      '`shop_coupon.campaign` is filtered in 4 queries but has no index: each one scans `shop_coupon`',
      '`shop_coupon.code` is filtered in 3 queries (shop/views.py:3 in `redeem`, shop/views.py:5 ' +
        'in `lookup`, shop/views.py:6) but has no index: each one scans `shop_coupon`',
    ]);
  });

  it('unindexed-foreign-key names every table that inherits an unindexed mixin column', async () => {
    const messages = await messagesOf(
      'unindexed-foreign-key',
      'app/models.py',
      [
        'from sqlalchemy import ForeignKey',
        'from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column',
        'class Base(DeclarativeBase):',
        '    pass',
        'class Owned:',
        '    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))',
        'class Folder(Owned, Base):',
        '    __tablename__ = "folders"',
        '    id: Mapped[int] = mapped_column(primary_key=True)',
        'class Note(Owned, Base):',
        '    __tablename__ = "notes"',
        '    id: Mapped[int] = mapped_column(primary_key=True)',
      ].join('\n'),
    );
    assert.deepEqual(messages, [
      'Foreign key `owner_id` (to `users`), inherited by `folders` and `notes`, has no index: ' +
        'joins and lookups by `owner_id`, and deletes in `users`, scan each of those tables whole',
    ]);
  });

  it('connection-per-call names what a factory call creates, and where, at the call site', async () => {
    const messages = await messagesIn('connection-per-call', [
      {
        relativePath: 'app/kit.py',
        text: [
          'from sqlalchemy import create_engine',
          '',
          'def engine_for(url):',
          '    return create_engine(url, pool_pre_ping=True)',
        ].join('\n'),
      },
      {
        relativePath: 'app/jobs.py',
        text: [
          'import httpx',
          'from app.kit import engine_for',
          '',
          'def warehouse_engine():',
          '    return engine_for("postgresql://dw@db/dw")',
          '',
          'def nightly_export():',
          '    return warehouse_engine().url',
          '',
          'def partner():',
          '    return httpx.Client(base_url="https://partner.example.com")',
          '',
          'def sync_orders():',
          '    with partner() as client:',
          '        return client.get("/orders").json()',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages.sort(), [
      '`partner()` creates a new HTTP client and its connection pool (`httpx.Client()`) on every ' +
        'call of `sync_orders`; create it once (module level or app lifespan) and reuse it',
      '`warehouse_engine()` creates a new SQLAlchemy engine and its pool (`create_engine()` in ' +
        '`app.kit.engine_for`) on every call of `nightly_export`; create it once (module level or ' +
        'app lifespan) and reuse it',
    ]);
  });

  it('sync-db-in-async advises by the client: Redis, SQLAlchemy session or unknown', async () => {
    const messages = await messagesIn('sync-db-in-async', [
      {
        relativePath: 'app/cache.py',
        text: [
          'from contextlib import contextmanager',
          'import redis',
          '',
          'pool = redis.ConnectionPool.from_url("redis://cache")',
          '',
          '@contextmanager',
          'def cache_session():',
          '    client = redis.Redis(connection_pool=pool)',
          '    try:',
          '        yield client',
          '    finally:',
          '        client.close()',
        ].join('\n'),
      },
      {
        relativePath: 'app/routes.py',
        text: [
          'from fastapi import APIRouter',
          'from app.cache import cache_session',
          'from app.db import reports_session',
          '',
          'router = APIRouter()',
          '',
          '@router.get("/cached/{key}")',
          'async def cached(key: str):',
          '    with cache_session() as cache:',
          '        return {"value": cache.get(key)}',
          '',
          '@router.get("/accounts/{account_id}")',
          'async def account(account_id: int):',
          '    with reports_session() as db:',
          '        return db.get(Account, account_id)',
          '',
          '@router.get("/reports/{name}")',
          'async def report(name: str):',
          '    with reports_session() as db:',
          '        return db.get(name)',
          '',
          'async def account_count(db):',
          '    return db.query(Account).count()',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      '`cache.get()` is a blocking Redis call inside `async def`; make the endpoint a plain ' +
        '`def` or use `redis.asyncio`',
      '`db.get()` is a blocking database call inside `async def`; make the endpoint a plain ' +
        '`def` or use an `AsyncSession`',
      '`db.get()` is a blocking database call inside `async def`; make the endpoint a plain ' +
        '`def` or use an async client',
      // Not an endpoint: no plain `def` to suggest, and the session is still SQLAlchemy's.
      '`db.query()` is a blocking database call inside `async def`; use an `AsyncSession` or ' +
        '`await asyncio.to_thread(...)`',
    ]);
  });

  it('sync-db-in-async names Redis for commands of a sync client, local or imported', async () => {
    const messages = await messagesIn('sync-db-in-async', [
      {
        relativePath: 'app/cache.py',
        text: ['import redis', '', 'redis_client = redis.from_url("redis://cache")'].join('\n'),
      },
      {
        relativePath: 'app/routes.py',
        text: [
          'import redis',
          'from app.cache import redis_client',
          '',
          'counters = redis.Redis(host="cache")',
          '',
          'async def visit(page: str):',
          '    counters.incr(page)',
          '    pipe = redis_client.pipeline()',
          '    pipe.set(page, 1)',
          '    pipe.execute()',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      '`counters.incr()` is a blocking Redis call inside `async def`; use `redis.asyncio` or ' +
        '`await asyncio.to_thread(...)`',
      '`pipe.execute()` is a blocking Redis call inside `async def`; use `redis.asyncio` or ' +
        '`await asyncio.to_thread(...)`',
    ]);
  });
});

describe('rule messages: Prisma', () => {
  it('unbounded-select says why no LIMIT fix is offered', async () => {
    const messages = await messagesOf(
      'unbounded-select',
      'src/links.ts',
      [
        "import { PrismaClient } from '@prisma/client';",
        'const prisma = new PrismaClient();',
        'export async function children(parentId: string) {',
        '  return prisma.$queryRaw`SELECT name FROM links WHERE parent_id = ${parentId}`;',
        '}',
        'export async function everyName() {',
        '  return prisma.$queryRaw`SELECT name FROM links UNION SELECT name FROM archived_links`;',
        '}',
        'export async function byOwner(ownerId: string) {',
        '  return prisma.$queryRaw`SELECT name FROM links WHERE owner_id = ${ownerId} ORDER BY name`;',
        '}',
      ].join('\n'),
    );
    assert.equal(messages.length, 3);
    assert.match(messages[0], /no fix is offered: the statement ends with an interpolated value/);
    assert.match(messages[1], /no fix is offered: after `UNION`, `INTERSECT` or `EXCEPT`/);
    assert.doesNotMatch(messages[2], /no fix is offered/);
  });

  it('prisma-find-many-without-take names the handler in the other file, past a nested function', async () => {
    const [message] = await messagesIn('prisma-find-many-without-take', [
      {
        relativePath: 'app/api/folders/route.ts',
        text: [
          "import { folderTree } from '@/lib/folders';",
          'export async function GET(req: Request) {',
          "  return Response.json(await folderTree(new URL(req.url).searchParams.get('root')!));",
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'lib/folders.ts',
        text: [
          "import { prisma } from './db';",
          'export async function folderTree(rootId: string) {',
          '  async function children(parentId: string) {',
          '    return prisma.folder.findMany({ where: { parentId } });',
          '  }',
          '  return children(rootId);',
          '}',
        ].join('\n'),
      },
    ]);
    assert.match(
      message,
      /on each request \(reached from request handler `GET` in app\/api\/folders\/route\.ts via `folderTree\(\)` → `children\(\)`\)/,
    );
  });

  it('prisma-find-many-without-take names the resolver that calls the injected service', async () => {
    const [message] = await messagesIn('prisma-find-many-without-take', [
      {
        relativePath: 'src/steps/steps.resolver.ts',
        text: [
          "import { Parent, ResolveField, Resolver } from '@nestjs/graphql';",
          "import { StepsService } from './steps.service';",
          '@Resolver()',
          'export class RunResolver {',
          '  constructor(private readonly steps: StepsService) {}',
          '  @ResolveField()',
          '  steps(@Parent() run: { id: string }) {',
          '    return this.steps.forRun(run.id);',
          '  }',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/steps/steps.service.ts',
        text: [
          "import { Injectable } from '@nestjs/common';",
          '@Injectable()',
          'export class StepsService {',
          '  constructor(private readonly prisma: PrismaService) {}',
          '  forRun(runId: string) {',
          '    return this.prisma.step.findMany({ where: { runId } });',
          '  }',
          '}',
        ].join('\n'),
      },
    ]);
    assert.match(
      message,
      /on each request \(called from request handler `steps` in src\/steps\/steps\.resolver\.ts\)/,
    );
  });

  it('prisma-find-many-without-take says a cron route runs per call, and to read in pages', async () => {
    const [message] = await messagesIn('prisma-find-many-without-take', [
      {
        relativePath: 'app/api/cron/reminders/route.ts',
        text: [
          "import { prisma } from '@/lib/db';",
          'export async function POST() {',
          '  const due = await prisma.reminder.findMany({ where: { sent: false } });',
          '  return Response.json({ due });',
          '}',
        ].join('\n'),
      },
    ]);
    assert.match(message, /on each call of the cron route \(in request handler `POST`\)/);
    assert.match(message, /read them in pages with `take` and a `cursor`/);
    assert.doesNotMatch(message, /each request/);
  });

  it('prisma-find-many-without-take advises counting in the database for rows only counted', async () => {
    const [perKey, total] = await messagesIn('prisma-find-many-without-take', [
      {
        relativePath: 'src/routes.ts',
        text: [
          "import express from 'express';",
          "import { prisma } from './db';",
          'const app = express();',
          "app.get('/counts', async (req, res) => {",
          '  const votes = await prisma.vote.findMany({ where: { pollId: String(req.query.poll) } });',
          '  const tally = new Map<string, number>();',
          '  for (const { optionId } of votes) tally.set(optionId, (tally.get(optionId) ?? 0) + 1);',
          '  res.json(Object.fromEntries(tally));',
          '});',
          "app.get('/total', async (req, res) => {",
          '  const votes = await prisma.vote.findMany({ where: { pollId: String(req.query.poll) } });',
          '  res.json({ total: votes.length });',
          '});',
        ].join('\n'),
      },
    ]);
    assert.match(
      perKey,
      /only counted per `optionId`: `groupBy\(\{ by: \['optionId'\], _count: true \}\)` with the same `where`/,
    );
    assert.match(total, /only counted: `count\(\)` with the same `where`/);
    assert.doesNotMatch(perKey + total, /bound it with `take`/);
  });

  it('prisma-find-many-without-take advises batches for rows each handed to a side effect', async () => {
    const [emailed, returned] = await messagesIn('prisma-find-many-without-take', [
      {
        relativePath: 'src/routes.ts',
        text: [
          "import express from 'express';",
          "import { prisma } from './db';",
          "import { getEmailClient } from './emails';",
          'const app = express();',
          "app.post('/polls/:id/comments', async (req, res) => {",
          '  const watchers = await prisma.watcher.findMany({ where: { pollId: req.params.id } });',
          '  for (const watcher of watchers) {',
          "    getEmailClient(watcher.locale).queueTemplate('NewComment', { to: watcher.email });",
          '  }',
          '  res.status(201).end();',
          '});',
          "app.get('/polls/:id/watchers', async (req, res) => {",
          '  const watchers = await prisma.watcher.findMany({ where: { pollId: req.params.id } });',
          '  res.json(watchers.map((watcher) => ({ id: watcher.id })));',
          '});',
        ].join('\n'),
      },
    ]);
    assert.equal(
      emailed,
      '`prisma.watcher.findMany()` has no `take`: it loads every matching `Watcher` row on each ' +
        'request (in request handler `POST /polls/:id/comments`); its rows each get ' +
        '`…queueTemplate()` in a loop, so every row is needed and a ' +
        '`take` would silently skip the rest: process them in batches (`take` with a `cursor`, ' +
        'looping until none are left) or move the fan-out to a background job',
    );
    assert.match(returned, /; bound it with `take` and page with a `cursor`$/);
  });

  it('orm-find-without-limit advises batches for rows each handed to a side effect', async () => {
    const [reminded, computed] = await messagesIn('orm-find-without-limit', [
      {
        relativePath: 'src/routes.ts',
        text: [
          "import express from 'express';",
          "import { Invoice } from './entities';",
          "import { dataSource } from './data-source';",
          "import { reminderQueue } from './queues';",
          'const app = express();',
          "app.post('/invoices/remind', async (req, res) => {",
          '  const unpaid = await dataSource.manager.find(Invoice, { where: { paid: false } });',
          "  unpaid.forEach((invoice) => reminderQueue.add('remind', { id: invoice.id }));",
          '  res.status(202).end();',
          '});',
          "app.get('/invoices/cents', async (req, res) => {",
          '  const invoices = await dataSource.manager.find(Invoice, { where: { paid: false } });',
          '  let cents = 0;',
          '  for (const invoice of invoices) cents += invoice.amount * 100;',
          '  res.json({ cents });',
          '});',
        ].join('\n'),
      },
    ]);
    assert.match(
      reminded,
      /; its rows each get `reminderQueue\.add\(\)` in a loop, so every row is needed and a `take` would silently skip the rest: process them in batches \(`take` with `skip`, looping until none are left\) or move the fan-out to a background job$/,
    );
    assert.match(computed, /; bound it with `take` and page with `skip`$/);
  });

  it('orm-find-without-limit names the model, the handler in the other file, and its bound', async () => {
    const messages = await messagesIn('orm-find-without-limit', [
      {
        relativePath: 'src/models/comment.ts',
        text: [
          "import { Model } from 'sequelize';",
          'export class Comment extends Model {',
          '  static forPost(postId: number) {',
          '    return this.findAll({ where: { postId } });',
          '  }',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/routes/comments.ts',
        text: [
          "import { Router } from 'express';",
          "import { Comment } from '../models/comment';",
          'export const router = Router();',
          "router.get('/posts/:id/comments', async (req, res) => {",
          '  res.json(await Comment.forPost(Number(req.params.id)));',
          '});',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      '`this.findAll()` has no `limit`: it loads every matching `Comment` row on each request ' +
        '(called from request handler `GET /posts/:id/comments` in src/routes/comments.ts); ' +
        'bound it with `limit` and page with `offset`',
    ]);
  });

  it('orm-find-without-limit names a Mongoose model, not the type a receiver is declared with', async () => {
    const messages = await messagesOf(
      'orm-find-without-limit',
      'src/routes/cards.ts',
      [
        "import { Router } from 'express';",
        "import mongoose, { Model } from 'mongoose';",
        'interface ICard { columnId: string }',
        'interface ICardModel extends Model<ICard> {}',
        "const Card = mongoose.model<ICard, ICardModel>('Card', new mongoose.Schema({ columnId: String }));",
        'export const router = Router();',
        "router.get('/cards', async (req, res) => {",
        '  const cards: ICardModel = Card;',
        '  res.json(await cards.find({ columnId: String(req.query.column) }));',
        '  res.json(await Card.find({ columnId: String(req.query.column) }));',
        '});',
      ].join('\n'),
    );
    assert.equal(messages.length, 2);
    const [typed, made] = messages;
    assert.match(typed, /loads every matching document on each request/);
    assert.match(made, /loads every matching `Card` document on each request/);
  });

  it('orm-find-without-limit says a cron route runs per call, and to read in pages', async () => {
    const [message] = await messagesOf(
      'orm-find-without-limit',
      'app/api/cron/reminders/route.ts',
      [
        "import { DataSource } from 'typeorm';",
        "import { Reminder } from '@/entities';",
        'const dataSource = new DataSource({ type: "postgres" });',
        'export async function POST() {',
        "  const due = await dataSource.getRepository(Reminder).createQueryBuilder('r')",
        "    .where('r.sent = false').getMany();",
        '  return Response.json({ due: due.length });',
        '}',
      ].join('\n'),
    );
    assert.equal(
      message,
      '`dataSource.getRepository(Reminder).createQueryBuilder()…getMany()` has no `.take()`: it ' +
        'loads every matching `Reminder` row on each call of the cron route (in request handler ' +
        '`POST`); read them in pages with `.take()` and `.skip()`',
    );
  });

  it('orm-find-without-limit names the Kysely table, the controller reaching it, and `.limit()`', async () => {
    const messages = await messagesIn('orm-find-without-limit', [
      {
        relativePath: 'src/repositories/tag.repository.ts',
        text: [
          "import { Kysely } from 'kysely';",
          'export class TagRepository {',
          '  constructor(private db: Kysely<DB>) {}',
          '  getAll(userId: string) {',
          "    return this.db.selectFrom('tag').selectAll().where('userId', '=', userId).execute();",
          '  }',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/controllers/tag.controller.ts',
        text: [
          "import { Controller, Get, Query } from '@nestjs/common';",
          "import { TagRepository } from '../repositories/tag.repository';",
          "@Controller('tags')",
          'export class TagController {',
          '  constructor(private tags: TagRepository) {}',
          '  @Get()',
          "  list(@Query('user') user: string) {",
          '    return this.tags.getAll(user);',
          '  }',
          '}',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      "`this.db.selectFrom('tag')…execute()` has no `.limit()`: it loads every matching `tag` row " +
        'on each request (called from request handler `list` in src/controllers/tag.controller.ts); ' +
        'bound it with `.limit()` and page with `.offset()`',
    ]);
  });

  it('prisma-query-without-index says when the field has only a hash index', async () => {
    const messages = await messagesIn('prisma-query-without-index', [
      {
        relativePath: 'prisma/schema.prisma',
        text: [
          'datasource db {',
          '  provider = "postgresql"',
          '  url      = env("DATABASE_URL")',
          '}',
          'model Shift {',
          '  id       Int      @id',
          '  startsAt DateTime',
          '  @@index([startsAt], type: Hash)',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/shifts.ts',
        text: [
          "import { prisma } from './db';",
          'export const upcoming = (from: Date) =>',
          '  prisma.shift.findMany({ where: { startsAt: { gt: from } }, take: 10 });',
          "export const first = () => prisma.shift.findMany({ orderBy: { startsAt: 'asc' }, take: 10 });",
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      '`Shift.startsAt` is filtered or sorted on in 2 queries but no B-tree index in schema.prisma ' +
        'starts with it (a hash index serves only equality): each one scans `Shift`',
      '`Shift.startsAt` is filtered or sorted on in 2 queries but no B-tree index in schema.prisma ' +
        'starts with it (a hash index serves only equality): each one scans `Shift`',
    ]);
  });
  it('prisma-query-without-index says a sort orders the rows the query matches, not every row', async () => {
    const messages = await messagesIn('prisma-query-without-index', [
      {
        relativePath: 'prisma/schema.prisma',
        text: [
          'datasource db {',
          '  provider = "postgresql"',
          '  url      = env("DATABASE_URL")',
          '}',
          'model Document {',
          '  id        Int      @id',
          '  title     String',
          '  createdAt DateTime',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/documents.ts',
        text: [
          "import { prisma } from './db';",
          'export const search = (query: string) =>',
          '  prisma.document.findMany({',
          "    where: { title: { contains: query, mode: 'insensitive' } },",
          "    orderBy: { createdAt: 'desc' },",
          '    take: 5,',
          '  });',
        ].join('\n'),
      },
    ]);
    assert.deepEqual(messages, [
      '`Document.createdAt` is sorted on in 1 query but no index in schema.prisma starts with it: ' +
        'each one sorts every matching row of `Document` to return the first ones',
    ]);
  });
});

describe('rule messages: across files', () => {
  it('sync-io-in-async names the async caller in the other file', async () => {
    const [message] = await messagesIn('sync-io-in-async', [
      {
        relativePath: 'src/auth/check.ts',
        text: [
          "import { matches } from './hash';",
          'export async function checkKey(stored: string, given: string) {',
          '  return matches(stored, given);',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/auth/hash.ts',
        text: [
          "import { scryptSync } from 'node:crypto';",
          'export function matches(stored: string, given: string) {',
          "  return scryptSync(given, 'salt', 64).toString('hex') === stored;",
          '}',
        ].join('\n'),
      },
    ]);
    assert.match(
      message,
      /blocks the event loop in `matches\(\)`, called from async `checkKey\(\)` in src\/auth\/check\.ts:/,
    );
  });

  it('await-in-loop quotes the scoped query a helper in another file makes', async () => {
    const [message] = await messagesIn('await-in-loop', [
      {
        relativePath: 'src/models/share.ts',
        text: [
          "import { Model } from 'sequelize-typescript';",
          'export class ShareModel extends Model {',
          '  static loadByUrl(url: string) {',
          "    return ShareModel.scope('withActor').findOne({ where: { url } });",
          '  }',
          '}',
        ].join('\n'),
      },
      {
        relativePath: 'src/lib/refresh.ts',
        text: [
          "import { ShareModel } from '../models/share';",
          'export async function refresh(urls: string[]) {',
          '  for (const url of urls) await ShareModel.loadByUrl(url);',
          '}',
        ].join('\n'),
      },
    ]);
    assert.match(
      message,
      /makes a query \(`ShareModel\.scope\('withActor'\)\.findOne\(\.\.\.\)` in src\/models\/share\.ts\)/,
    );
  });

  it('query-in-loop asks for bulk_update when each row gets values of its own', async () => {
    const code = [
      'from sqlalchemy import update',
      'from fleet.models import Route, Stop',
      'def retrace(db, routes):',
      '    for route in Route.objects.filter(active=True):',
      '        new_stops = route.recompute()',
      '        Route.objects.filter(pk=route.pk).update(stops=new_stops)',
      '    for route in routes:',
      '        Route.objects.filter(pk=route.pk).update(active=False)',
      '    for route in routes:',
      '        db.execute(update(Stop).where(Stop.id == route.first_stop_id).values(order=route.rank))',
      '    for route in routes:',
      '        list(Stop.objects.filter(id__in=route.stop_ids))',
      '    for route in routes:',
      '        Stop.objects.filter(route_id=route.id).update(route_name=route.name)',
      '    for route in routes:',
      '        list(Stop.objects.filter(route_id=route.id, kind__in=["depot", "hub"]))',
    ].join('\n');
    const [django, same, sqlalchemy, batched, perGroup, fixedList] = await messagesOf(
      'query-in-loop',
      'fleet/jobs.py',
      code,
    );
    assert.match(
      django,
      /values of its own, which one `IN \(\.\.\.\)` cannot carry: .*`bulk_update\(rows, fields\)`/,
    );
    assert.match(same, /batch it with `IN \(\.\.\.\)`/);
    assert.match(sqlalchemy, /values of its own.*`session\.execute\(update\(X\), \[/);
    assert.match(batched, /already sends one `IN \(\.\.\.\)` per pass: collect every pass's keys/);
    // Near misses: an update of a group of rows, and an IN over a fixed list.
    assert.match(perGroup, /batch it with `IN \(\.\.\.\)`/);
    assert.match(fixedList, /batch it with `IN \(\.\.\.\)`/);
  });

  it('query-in-loop does not merge the NOT IN lists of exclude(...) across passes', async () => {
    // Weblate's cleanuptrans: each project's comments whose checksum is not among its units.
    const code = [
      'from django.db.models import Q',
      'from trans.models import Comment, Project, Unit',
      'def cleanup(projects):',
      '    for prj in projects:',
      '        units = Unit.objects.filter(project=prj).values("checksum")',
      '        Comment.objects.filter(project=prj).exclude(checksum__in=units).delete()',
      '    for prj in projects:',
      '        kept = list(prj.checksums)',
      '        Comment.objects.filter(~Q(checksum__in=kept), project=prj).delete()',
      '    for prj in projects:',
      '        Comment.objects.filter(checksum__in=prj.checksums).delete()',
    ].join('\n');
    const [excluded, negatedQ, listed] = await messagesOf(
      'query-in-loop',
      'trans/cleanup.py',
      code,
    );
    assert.doesNotMatch(excluded, /already sends one `IN/);
    assert.match(excluded, /batch it with `IN \(\.\.\.\)`/);
    assert.doesNotMatch(negatedQ, /already sends one `IN/);
    // Near miss: a positive list per pass merges into one.
    assert.match(listed, /already sends one `IN \(\.\.\.\)` per pass/);
  });

  it('query-in-loop offers no bulk_update for an update whose per-row count the code uses', async () => {
    const code = [
      'from django.utils import timezone',
      'from fleet.models import Route',
      'def close_idle(routes, cutoff):',
      '    for route in routes:',
      '        closed = Route.objects.filter(pk=route.pk, state="open", seen__lte=cutoff).update(',
      '            state="closed", closed_at=timezone.now()',
      '        )',
      '        if closed:',
      '            route.notify_closed()',
      '    for route in routes:',
      '        if not Route.objects.filter(id=route.id).update(rank=route.rank):',
      '            route.save()',
      '    for route in routes:',
      '        unused = Route.objects.filter(pk=route.pk).update(checked_at=route.checked_at)',
    ].join('\n');
    const [checked, inline, ignored] = await messagesOf('query-in-loop', 'fleet/jobs.py', code);
    for (const counted of [checked, inline]) {
      assert.match(counted, /uses the row count each `update\(\)` returns/);
      assert.match(counted, /keep one `update\(\)` per row, or lock the rows/);
      assert.doesNotMatch(counted, /bulk_update\(rows, fields\)/);
    }
    // Near miss: a count assigned but never read is no check.
    assert.match(ignored, /values of its own.*`bulk_update\(rows, fields\)`/);
  });

  it('query-in-loop-via-helper advises one commit after the loop for a helper that commits', async () => {
    const code = [
      'from sqlalchemy.orm import Session',
      'class Counters:',
      '    def __init__(self, session: Session):',
      '        self.session = session',
      '    def bump(self, counter):',
      '        counter.value += 1',
      '        self.session.commit()',
      '    def bump_all(self, counters: list):',
      '        for counter in counters:',
      '            self.bump(counter)',
    ].join('\n');
    const [message] = await messagesOf('query-in-loop-via-helper', 'app/counters.py', code);
    assert.match(
      message,
      /`self\.bump\(\)` commits a transaction for each `counter` in `counters`/,
    );
    assert.match(message, /commit once after the loop/);
    assert.doesNotMatch(message, /fetch everything/);
  });

  it('query-in-loop advises one flush after the loop for a flush per item', async () => {
    const code = [
      'from sqlalchemy.ext.asyncio import AsyncSession',
      'async def add_tags(session: AsyncSession, labels: list[str]):',
      '    for label in labels:',
      '        session.add(Tag(label=label))',
      '        await session.flush()',
    ].join('\n');
    const [message] = await messagesOf('query-in-loop', 'app/tags.py', code);
    assert.match(message, /`session\.flush\(\)` flushes the session for each `label` in `labels`/);
    assert.match(message, /add every row, then flush once after the loop/);
  });

  it('query-in-loop-via-helper advises one flush after the loop for a helper that flushes', async () => {
    const code = [
      'from sqlalchemy.orm import Session',
      'def add_tag(db: Session, label):',
      '    db.add(Tag(label=label))',
      '    db.flush()',
      'def add_tags(db: Session, labels: list):',
      '    for label in labels:',
      '        add_tag(db, label)',
    ].join('\n');
    const [message] = await messagesOf('query-in-loop-via-helper', 'app/tags.py', code);
    assert.match(message, /`add_tag\(\)` flushes the session for each `label` in `labels`/);
    assert.match(message, /add every row, then flush once after the loop/);
    assert.doesNotMatch(message, /fetch everything/);
  });

  it('lazy-load-in-loop does not advise eager loading for a dynamic relationship', async () => {
    const code = [
      'from sqlalchemy import Column, ForeignKey, Integer, String',
      'from sqlalchemy.orm import Session, declarative_base, relationship',
      'Base = declarative_base()',
      'class PrivacyRequest(Base):',
      '    __tablename__ = "privacyrequest"',
      '    id = Column(Integer, primary_key=True)',
      '    status = Column(String, index=True)',
      '    request_tasks = relationship("RequestTask", lazy="dynamic")',
      'class RequestTask(Base):',
      '    __tablename__ = "requesttask"',
      '    id = Column(Integer, primary_key=True)',
      '    privacy_request_id = Column(Integer, ForeignKey("privacyrequest.id"), index=True)',
      'def errored(db: Session):',
      '    for pr in db.query(PrivacyRequest).filter(PrivacyRequest.status == "x").limit(100).all():',
      '        if pr.request_tasks.count():',
      '            yield pr.id',
    ].join('\n');
    const [message] = await messagesOf('lazy-load-in-loop', 'app/requests.py', code);
    assert.match(
      message,
      /`pr\.request_tasks` queries `PrivacyRequest\.request_tasks` once per row/,
    );
    assert.match(message, /cannot be loaded eagerly/);
    assert.doesNotMatch(message, /selectinload/);
  });
});
