/** The Python model: which function and class body hold each loop. */
import * as assert from 'node:assert/strict';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { buildPythonModel } from '../server/src/python/model';

const SOURCE = `
for a in rows:
    pass


def handler(items, defaults=[d for d in DEFAULTS]):
    for b in items:
        pass

    class Report:
        totals = [c for c in items]

        def render(self):
            for e in self.lines:
                pass
`;

describe('Python model', () => {
  before(initParsers);

  it('records the function and class body around each loop', () => {
    const tree = parse('python', SOURCE);
    try {
      const model = buildPythonModel(tree, SOURCE, 'app/report.py');
      const loops = model.loops.map((loop) => ({
        iterable: loop.iterable?.text,
        fn: loop.fn?.name,
        inClassBody: loop.inClassBody,
      }));
      assert.deepEqual(loops, [
        { iterable: 'rows', fn: undefined, inClassBody: false },
        // A default value is evaluated where the function is defined.
        { iterable: 'DEFAULTS', fn: undefined, inClassBody: false },
        { iterable: 'items', fn: 'handler', inClassBody: false },
        // A class body runs in the function that defines the class, but is a scope of its own.
        { iterable: 'items', fn: 'handler', inClassBody: true },
        { iterable: 'self.lines', fn: 'render', inClassBody: false },
      ]);
    } finally {
      tree.delete();
    }
  });

  it('places each call of a long chain in the arguments it is written in', () => {
    const links = 3000;
    const chain = Array.from({ length: links }, (_, i) => `.step${i}(arg${i}())`).join('\n    ');
    const source = `def build(items):\n    for item in items:\n        q = (base\n    ${chain})\n    return q.done()\n`;
    const tree = parse('python', source);
    try {
      const model = buildPythonModel(tree, source, 'app/chain.py');
      const byMethod = new Map(model.calls.map((call) => [call.method, call]));
      for (const i of [0, 1, links - 1]) {
        const argument = byMethod.get(`arg${i}`)!;
        assert.equal(argument.outer?.method, `step${i}`, `arg${i}`);
        assert.equal(argument.loops.length, 1, `arg${i} runs per item`);
      }
      const done = byMethod.get('done')!;
      assert.equal(done.outer, undefined);
      assert.equal(done.loops.length, 0);
      assert.equal(done.fn?.name, 'build');
    } finally {
      tree.delete();
    }
  });
});
