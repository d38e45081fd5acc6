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
});
