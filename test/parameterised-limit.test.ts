/** unbounded-select's second fix: `LIMIT <placeholder>` plus the limit in the literal parameters. */
import * as assert from 'node:assert/strict';
import { applyEdits } from '../server/src/engine/fixes';
import { parse } from '../server/src/parsing/tree-sitter';
import { analyzeOne } from './support/analyze';

async function parameterised(code: string): Promise<string | undefined> {
  const { findings } = await analyzeOne('app.py', code);
  const fix = findings.find((f) => f.ruleId === 'unbounded-select')?.fixes[1];
  if (!fix) return undefined;
  assert.match(fix.title, /as a query parameter$/);
  const fixed = applyEdits(code, fix.edits).text;
  const tree = parse('python', fixed);
  assert.ok(!tree.rootNode.hasError, `does not parse:\n${fixed}`);
  tree.delete();
  return fixed;
}

describe('parameterised LIMIT fix', () => {
  it('follows the placeholder style and extends the parameters', async () => {
    const cases: [string, string][] = [
      [
        'def a(conn, level):\n    return conn.execute("SELECT id FROM events WHERE level = ?", (level,)).fetchall()\n',
        'def a(conn, level):\n    return conn.execute("SELECT id FROM events WHERE level = ? LIMIT ?", (level, 1000)).fetchall()\n',
      ],
      [
        'def b(cur, uid):\n    cur.execute("SELECT id FROM orders WHERE user_id = %s", [uid])\n    return cur.fetchall()\n',
        'def b(cur, uid):\n    cur.execute("SELECT id FROM orders WHERE user_id = %s LIMIT %s", [uid, 1000])\n    return cur.fetchall()\n',
      ],
      [
        'def c(db, since):\n    return db.execute(text("SELECT id FROM events WHERE created_at > :since"), {"since": since}).all()\n',
        'def c(db, since):\n    return db.execute(text("SELECT id FROM events WHERE created_at > :since LIMIT :limit"), {"since": since, "limit": 1000}).all()\n',
      ],
      [
        'async def d(pool, day):\n    return await pool.fetch("SELECT id FROM events WHERE day = $1", *())\n',
        '',
      ],
    ];
    for (const [code, expected] of cases) {
      assert.equal((await parameterised(code)) ?? '', expected, code);
    }
  });

  it('is not offered when a trailing OFFSET would take the new position, or without parameters', async () => {
    assert.equal(
      await parameterised(
        'def d(conn):\n    return conn.execute("SELECT id FROM t WHERE x = ? OFFSET ?", (1, 2)).fetchall()\n',
      ),
      undefined,
    );
    assert.equal(
      await parameterised(
        'def e(conn):\n    return conn.execute("SELECT id FROM t WHERE x = 1").fetchall()\n',
      ),
      undefined,
    );
  });
});
