/**
 * The TextMate injection that highlights SQL inside Python strings, run through VS Code's own
 * tokenizer (vscode-textmate + Oniguruma) with stand-in Python and SQL grammars.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INITIAL, Registry, parseRawGrammar, type IGrammar } from 'vscode-textmate';
import { OnigScanner, OnigString, loadWASM } from 'vscode-oniguruma';

const INJECTION = path.join(__dirname, '..', 'syntaxes', 'sql-in-python.injection.json');
const TS_INJECTION = path.join(__dirname, '..', 'syntaxes', 'sql-in-typescript.injection.json');
const INJECTIONS: Record<string, { file: string; host: string }> = {
  'perflens.sql-in-python.injection': { file: INJECTION, host: 'source.python' },
  'perflens.sql-in-typescript.injection': { file: TS_INJECTION, host: 'source.ts' },
};

const STAND_INS: Record<string, object> = {
  'source.python': {
    scopeName: 'source.python',
    patterns: [
      { match: '#.*$', name: 'comment.line.number-sign.python' },
      { begin: '"', end: '"', name: 'string.quoted.double.python' },
    ],
  },
  'source.ts': {
    scopeName: 'source.ts',
    patterns: [
      { match: '//.*$', name: 'comment.line.double-slash.ts' },
      { begin: "'", end: "'", name: 'string.quoted.single.ts' },
      { begin: '`', end: '`', name: 'string.template.ts' },
    ],
  },
  'source.sql': {
    scopeName: 'source.sql',
    patterns: [
      {
        match: '(?i)\\b(select|from|where|limit|insert|into|values)\\b',
        name: 'keyword.other.sql',
      },
    ],
  },
};

async function loadGrammar(host: string): Promise<IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s: string[]) => new OnigScanner(s),
      createOnigString: (s: string) => new OnigString(s),
    }),
    loadGrammar: async (scope) => {
      const injection = INJECTIONS[scope];
      if (injection)
        return parseRawGrammar(fs.readFileSync(injection.file, 'utf8'), injection.file);
      const standIn = STAND_INS[scope];
      return standIn ? parseRawGrammar(JSON.stringify(standIn), `${scope}.json`) : null;
    },
    getInjections: (scope) =>
      Object.keys(INJECTIONS).filter((name) => INJECTIONS[name].host === scope),
  });
  return (await registry.loadGrammar(host))!;
}

/** Scopes of the token that covers the first occurrence of `word` in the tokenised lines. */
function scopesOf(grammar: IGrammar, lines: string[], word: string): string[] {
  let state = INITIAL;
  for (const line of lines) {
    const result = grammar.tokenizeLine(line, state);
    const at = line.indexOf(word);
    if (at !== -1) {
      const token = result.tokens.find((t) => t.startIndex <= at && at < t.endIndex)!;
      return token.scopes;
    }
    state = result.ruleStack;
  }
  throw new Error(`${word} not found`);
}

describe('SQL-in-Python grammar', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = await loadGrammar('source.python');
  });

  it('highlights SQL passed to execute(), text() and sql()', () => {
    for (const line of [
      'rows = conn.execute("SELECT id FROM orders")',
      'db.execute(text("SELECT id FROM orders"))',
      "con.sql('SELECT id FROM orders')",
    ]) {
      const scopes = scopesOf(grammar, [line], 'FROM');
      assert.ok(
        scopes.includes('meta.embedded.block.sql') && scopes.includes('keyword.other.sql'),
        `${line}: ${scopes.join(' ')}`,
      );
    }
  });

  it('highlights triple-quoted SQL across lines, including f-strings', () => {
    const lines = [
      'cur.execute(f"""',
      '    SELECT id, total',
      '    FROM orders WHERE id = {order_id}',
      '""")',
      'x = "FROM"',
    ];
    assert.ok(scopesOf(grammar, lines, 'SELECT').includes('keyword.other.sql'));
    assert.ok(scopesOf(grammar, lines, '{order_id}').includes('meta.interpolation.python'));
    assert.ok(
      !scopesOf(grammar, lines.slice(4), 'FROM').includes('meta.embedded.block.sql'),
      'the string after the call is plain',
    );
  });

  it('leaves other strings alone', () => {
    for (const line of [
      'print("SELECT id FROM orders")',
      'df.query("latency > 100 FROM")',
      '# conn.execute("SELECT id FROM t")',
    ]) {
      assert.ok(!scopesOf(grammar, [line], 'FROM').includes('meta.embedded.block.sql'), line);
    }
  });
});

describe('SQL-in-TypeScript grammar', () => {
  let grammar: IGrammar;
  before(async () => {
    grammar = await loadGrammar('source.ts');
  });

  it('highlights SQL tagged templates and strings passed to query calls', () => {
    for (const line of [
      'const rows = await prisma.$queryRaw`SELECT id FROM orders WHERE id = ${id}`;',
      'const q = sql`SELECT id FROM orders`;',
      "await pool.query('SELECT id FROM orders WHERE id = $1', [id]);",
      'await db.execute(`SELECT id FROM orders`);',
    ]) {
      const scopes = scopesOf(grammar, [line], 'FROM');
      assert.ok(
        scopes.includes('meta.embedded.block.sql') && scopes.includes('keyword.other.sql'),
        `${line}: ${scopes.join(' ')}`,
      );
    }
    const hole = scopesOf(grammar, ['prisma.$queryRaw`SELECT id FROM t WHERE id = ${id}`'], '${');
    assert.ok(hole.includes('meta.template.expression.ts'), hole.join(' '));
  });

  it('highlights multi-line templates and leaves other strings alone', () => {
    const lines = ['await prisma.$queryRaw`', '  SELECT id', '  FROM orders', '`;', "x = 'FROM'"];
    assert.ok(scopesOf(grammar, lines, 'SELECT').includes('keyword.other.sql'));
    assert.ok(!scopesOf(grammar, lines.slice(4), 'FROM').includes('meta.embedded.block.sql'));
    for (const line of [
      "console.log('SELECT id FROM orders')",
      "client.query('query Orders { FROM }')",
      "// pool.query('SELECT id FROM t')",
    ]) {
      assert.ok(!scopesOf(grammar, [line], 'FROM').includes('meta.embedded.block.sql'), line);
    }
  });
});
