/** tree-sitter plumbing: the direct marshalling path, and incremental re-parses of open documents. */
import * as assert from 'node:assert/strict';
import { DocumentTrees } from '../server/src/lsp/document-trees';
import { speedUpMarshalling } from '../server/src/parsing/fast-marshal';
import * as os from 'node:os';
import { initParsers, parse, usesFastMarshalling } from '../server/src/parsing/tree-sitter';

/** A stand-in for the emscripten module: generic accessors that record what reached them. */
function fakeModule() {
  const generic: string[] = [];
  return {
    generic,
    module: {
      HEAP32: new Int32Array(8),
      getValue: (pointer: number, type = 'i8') => {
        generic.push(`get ${type}@${pointer}`);
        return -1;
      },
      setValue: (pointer: number, value: number, type = 'i8') => {
        generic.push(`set ${type}@${pointer}=${value}`);
      },
    },
  };
}

describe('fast marshalling', () => {
  it('reads and writes i32 values straight through HEAP32', () => {
    const { module, generic } = fakeModule();
    assert.equal(speedUpMarshalling(module), true);
    module.setValue(8, 42, 'i32');
    assert.equal(module.HEAP32[2], 42);
    assert.equal(module.getValue(8, 'i32'), 42);
    assert.deepEqual(generic, []);
  });

  it('leaves every other type to the generic accessors', () => {
    const { module, generic } = fakeModule();
    speedUpMarshalling(module);
    module.setValue(4, 7, 'i8');
    assert.equal(module.getValue(4, 'double'), -1);
    assert.equal(module.getValue(4), -1);
    assert.deepEqual(generic, ['set i8@4=7', 'get double@4', 'get i8@4']);
  });

  it('follows the view emscripten replaces when WASM memory grows', () => {
    const { module } = fakeModule();
    speedUpMarshalling(module);
    module.HEAP32 = new Int32Array(16);
    module.setValue(40, 5, 'i32');
    assert.equal(module.HEAP32[10], 5);
  });

  it('leaves a module without the expected accessors alone', () => {
    const module = { locateFile: () => '' };
    assert.equal(speedUpMarshalling(module), false);
    assert.deepEqual(Object.keys(module), ['locateFile']);
  });
});

describe('tree-sitter with fast marshalling', () => {
  before(initParsers);

  it('is in use on a little-endian host (web-tree-sitter still passes its module through)', () => {
    assert.equal(usesFastMarshalling(), os.endianness() === 'LE');
  });

  it('reports node types, ranges and text', () => {
    const source = 'def f(é):\n    return g(é, "ü")\n';
    const tree = parse('python', source);
    try {
      const call = tree.rootNode.descendantsOfType('call')[0]!;
      assert.equal(call.type, 'call');
      assert.equal(call.text, 'g(é, "ü")');
      assert.equal(source.slice(call.startIndex, call.endIndex), call.text);
      assert.equal(call.childForFieldName('function')?.text, 'g');
      assert.deepEqual(call.startPosition, { row: 1, column: 11 });
    } finally {
      tree.delete();
    }
  });
});

describe('incremental re-parse of an open document', () => {
  before(initParsers);

  it('gives the tree a fresh parse gives, keystroke after keystroke', () => {
    const trees = new DocumentTrees();
    let text = 'import time\n\n\ndef f(db):\n    return db.query(User).all()\n';
    trees.update('file:///a.py', text);
    // Type `time.sleep(1)` at the start of the blank line, one character at a time.
    for (const [i, char] of [...'time.sleep(1)'].entries()) {
      text = text.slice(0, 12 + i) + char + text.slice(12 + i);
      const change = {
        range: { start: { line: 1, character: i }, end: { line: 1, character: i } },
        text: char,
      };
      const incremental = trees.update('file:///a.py', text, [change]);
      const fresh = parse('python', text);
      assert.equal(incremental.rootNode.toString(), fresh.rootNode.toString(), `after ${i + 1}`);
      fresh.delete();
    }
    trees.dispose();
  });

  it('returns the tree it has when the text did not change', () => {
    const trees = new DocumentTrees();
    const tree = trees.update('file:///a.py', 'x = 1\n');
    assert.equal(trees.update('file:///a.py', 'x = 1\n'), tree);
    trees.dispose();
  });
});
