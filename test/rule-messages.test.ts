/**
 * What findings tell the user to do. Fixtures prove where rules fire; these check that the advice
 * in a message fits the code it is about, where a rule words it by case.
 */
import * as assert from 'node:assert/strict';
import { analyze, analyzeOne } from './support/analyze';

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
  it('connection-per-call names what a factory call creates, and where, at the call site', async () => {
    const { reports } = await analyze([
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
    const messages = reports
      .flatMap((report) => report.findings)
      .filter((finding) => finding.ruleId === 'connection-per-call')
      .map((finding) => finding.message);
    assert.deepEqual(messages.sort(), [
      '`partner()` creates a new HTTP client and its connection pool (`httpx.Client()`) on every ' +
        'call of `sync_orders`; create it once (module level or app lifespan) and reuse it',
      '`warehouse_engine()` creates a new SQLAlchemy engine and its pool (`create_engine()` in ' +
        '`app.kit.engine_for`) on every call of `nightly_export`; create it once (module level or ' +
        'app lifespan) and reuse it',
    ]);
  });
});
