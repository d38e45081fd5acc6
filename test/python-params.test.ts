/** Reading a Python function's parameters from its text agrees with reading them from the tree. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';
import { paramsFromSource, paramsFromTree } from '../server/src/python/params';

/** Every `def` of `text`: the parameters read from the text (undefined: left to the tree) and from the tree. */
function bothReadings(text: string) {
  const tree = parse('python', text);
  try {
    assert.ok(!tree.rootNode.hasError, 'the text parses without errors');
    return tree.rootNode.descendantsOfType('function_definition').map((fn) => {
      const name = fn!.childForFieldName('name')!;
      return {
        fromText: paramsFromSource(text, name.endIndex),
        fromTree: paramsFromTree(fn!.childForFieldName('parameters')),
      };
    });
  } finally {
    tree.delete();
  }
}

function pythonFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return pythonFiles(full);
    return entry.name.endsWith('.py') ? [full] : [];
  });
}

describe('Python parameters from the source text', () => {
  before(initParsers);

  it('reads names, annotations and defaults, skipping *args, **kwargs, * and /', () => {
    const [{ fromText, fromTree }] = bothReadings(
      'def f(a, b: int, c=",", d: Dict[str, int] = {"k": (1, 2)}, /, *args, e=lambda x: x, f: str = \'a\' if x else "b", **kw,):\n    pass\n',
    );
    assert.deepEqual(fromText, fromTree);
    assert.deepEqual(
      fromText?.map((p) => [p.name, p.annotation, p.defaultText]),
      [
        ['a', '', ''],
        ['b', 'int', ''],
        ['c', '', '","'],
        ['d', 'Dict[str, int]', '{"k": (1, 2)}'],
        ['e', '', 'lambda x: x'],
        ['f', 'str', '\'a\' if x else "b"'],
      ],
    );
  });

  it('reads across lines, keyword-only markers, type parameters and comparisons in defaults', () => {
    const readings = bothReadings(
      [
        'def first[T](xs: list[T], *, strict: bool = a == b) -> T:',
        '    return xs[0]',
        '',
        'async def handler(',
        '    request: Request,',
        '    db: Session = Depends(get_db),',
        '    limit: int = Query(50, le=500),',
        '):',
        '    pass',
        '',
        'def raw(pattern=r"\\d+\\"", data=b"x,y", text="""a, b"""):',
        '    pass',
        '',
      ].join('\n'),
    );
    for (const { fromText, fromTree } of readings) assert.deepEqual(fromText, fromTree);
    assert.deepEqual(
      readings[1].fromText?.map((p) => p.defaultText),
      ['', 'Depends(get_db)', 'Query(50, le=500)'],
    );
  });

  it('leaves comments, line continuations and f-strings in signatures to the tree', () => {
    const readings = bothReadings(
      [
        'def a(x,  # the x\n      y):\n    pass',
        'def b(x, \\\n      y):\n    pass',
        'def c(label=f"{name},"):\n    pass',
        '',
      ].join('\n'),
    );
    assert.deepEqual(
      readings.map((r) => r.fromText),
      [undefined, undefined, undefined],
    );
  });

  it('agrees with the tree on every function of the fixtures and demos', () => {
    const root = path.join(__dirname, '..');
    let fromText = 0;
    let total = 0;
    for (const file of [
      ...pythonFiles(path.join(root, 'test', 'fixtures')),
      ...pythonFiles(path.join(root, 'examples')),
    ]) {
      const text = fs.readFileSync(file, 'utf8');
      const tree = parse('python', text);
      const clean = !tree.rootNode.hasError;
      tree.delete();
      if (!clean) continue;
      for (const reading of bothReadings(text)) {
        total++;
        if (reading.fromText === undefined) continue;
        fromText++;
        assert.deepEqual(reading.fromText, reading.fromTree, path.relative(root, file));
      }
    }
    assert.ok(total > 500, `${total} functions`);
    // Nearly every signature is plain: the text path is the one that runs.
    assert.ok(fromText > total * 0.95, `${fromText} of ${total} read from the text`);
  });
});
