/**
 * How bundles get web-tree-sitter (scripts/web-tree-sitter-patch.mjs): the patch applies to the
 * pinned library and refuses a library it does not fit; a bundle takes the CommonJS build, even
 * from an `import`, and gives the same trees as the library, with no indexed property on nodes.
 */
import * as assert from 'node:assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as TreeSitter from 'web-tree-sitter';
import {
  NODE_HANDLE,
  patchWebTreeSitter,
  webTreeSitterPatch,
} from '../scripts/web-tree-sitter-patch.mjs';
import { initParsers, parse } from '../server/src/parsing/tree-sitter';

const root = path.resolve(__dirname, '..');
const library = path.join(root, 'node_modules/web-tree-sitter');
const pythonWasm = path.join(
  root,
  'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
);

const PYTHON = [
  'import time',
  'from app.db import SessionLocal as S',
  '',
  'async def handler(ids: list[int], db=None):',
  '    for user_id in ids:',
  '        row = db.query(User).filter(User.id == user_id).first()',
  '        time.sleep(0.1)',
  '    return [r for r in rows if r.ok]',
  'def broken(:',
].join('\n');

/** Loads a separate copy of web-tree-sitter from `modulePath` and parses PYTHON with it. */
async function parseWithCopy(modulePath: string): Promise<TreeSitter.Tree> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Parser, Language } = require(modulePath) as typeof TreeSitter;
  await Parser.init({ locateFile: (file: string) => path.join(library, file) });
  const parser = new Parser();
  parser.setLanguage(await Language.load(fs.readFileSync(pythonWasm)));
  return parser.parse(PYTHON)!;
}

/** Everything rules read from nodes, for every node of the tree, reached in several ways. */
function describeTree(tree: TreeSitter.Tree): string[] {
  const lines: string[] = [];
  const visit = (node: TreeSitter.Node, depth: number): void => {
    const name = node.childForFieldName('name');
    lines.push(
      [
        depth,
        node.type,
        node.isNamed,
        node.startIndex,
        node.endIndex,
        JSON.stringify(node.text),
        node.parent?.type ?? '-',
        name ? name.text : '-',
        node.hasError,
        node.parent ? node.parent.children.some((c) => c?.equals(node)) : true,
      ].join(' '),
    );
    for (const child of node.children) if (child) visit(child, depth + 1);
  };
  visit(tree.rootNode, 0);
  for (const node of tree.rootNode.descendantsOfType(['call', 'for_statement', 'identifier']))
    lines.push(`descendant ${node?.type} ${node?.startIndex} ${node?.text}`);
  return lines;
}

describe('web-tree-sitter patch', () => {
  for (const file of ['tree-sitter.js', 'tree-sitter.cjs']) {
    it(`applies to the pinned ${file} and keeps the node handle in a named property`, () => {
      const patched = patchWebTreeSitter(fs.readFileSync(path.join(library, file), 'utf8'));
      assert.doesNotMatch(patched, /node\[0\]|this\[0\] = other/);
      assert.match(patched, new RegExp(`this\\.${NODE_HANDLE} = other;`));
      assert.match(patched, new RegExp(`node\\.${NODE_HANDLE}, "i32"`));
    });
  }

  it('fails, naming the file, when the library no longer has what it patches', () => {
    const text = fs.readFileSync(path.join(library, 'tree-sitter.js'), 'utf8');
    const withoutHandle = text.replace('this[0] = other;', 'this.handle = other;');
    assert.throws(
      () => patchWebTreeSitter(withoutHandle, 'tree-sitter.js'),
      /^Error: tree-sitter\.js: .*this\[0\] = other;.*update scripts\/web-tree-sitter-patch\.mjs/,
    );
    const twice =
      text + '\nfunction again(address, node) {\n  C.setValue(address, node[0], "i32");\n}';
    assert.throws(() => patchWebTreeSitter(twice), /exactly one/);
  });

  it('bundles into a web-tree-sitter whose trees read exactly like the library', async function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-wts-'));
    try {
      const bundle = path.join(dir, 'web-tree-sitter.js');
      await esbuild.build({
        stdin: { contents: "export * from 'web-tree-sitter';", resolveDir: root },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: bundle,
        logLevel: 'silent',
        plugins: [webTreeSitterPatch],
      });
      const text = fs.readFileSync(bundle, 'utf8');
      assert.match(text, new RegExp(`this\\.${NODE_HANDLE} = other`));
      // The CommonJS build: no dynamic import, which code run from the code cache cannot do.
      assert.match(text, /node_modules\/web-tree-sitter\/tree-sitter\.cjs/);
      assert.doesNotMatch(text, /import\("module"\)/);

      const patchedTree = await parseWithCopy(bundle);
      // The library as the tests load it (unpatched), initialised the product's way.
      await initParsers();
      const libraryTree = parse('python', PYTHON);
      assert.deepEqual(describeTree(patchedTree), describeTree(libraryTree));
      const node = patchedTree.rootNode.firstChild!;
      assert.ok(!Object.keys(node).includes('0'), 'a patched node has no indexed property');
      patchedTree.delete();
      libraryTree.delete();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
