/**
 * What findings tell the user to do. Fixtures prove where rules fire; these check that the advice
 * in a message fits the code it is about, where a rule words it by case.
 */
import * as assert from 'node:assert/strict';
import { analyzeOne } from './support/analyze';

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
      '`jobs.run_at` is filtered in 1 query but has no index: each one scans `jobs`',
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
});
