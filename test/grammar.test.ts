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

const STAND_INS: Record<string, object> = {
  'source.python': {
    scopeName: 'source.python',
    patterns: [
      { match: '#.*$', name: 'comment.line.number-sign.python' },
      { begin: '"', end: '"', name: 'string.quoted.double.python' },
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

async function loadPython(): Promise<IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (s: string[]) => new OnigScanner(s),
      createOnigString: (s: string) => new OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope === 'perflens.sql-in-python.injection')
        return parseRawGrammar(fs.readFileSync(INJECTION, 'utf8'), INJECTION);
      const standIn = STAND_INS[scope];
      return standIn ? parseRawGrammar(JSON.stringify(standIn), `${scope}.json`) : null;
    },
    getInjections: (scope) =>
      scope === 'source.python' ? ['perflens.sql-in-python.injection'] : undefined,
  });
  return (await registry.loadGrammar('source.python'))!;
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
    grammar = await loadPython();
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
