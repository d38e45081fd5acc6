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
});
