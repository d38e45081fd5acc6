// How bundles get web-tree-sitter (pinned at 0.25.10): its CommonJS build, patched to keep a
// node's WASM handle in a named property instead of the index `[0]`.
//
// - The CommonJS build, which tests load too: the ES module build reaches Node's `module` through a
//   dynamic `import()`, which code compiled with `vm.Script` (bundles loaded through the code cache,
//   server/src/runtime/code-cache.ts) cannot run without an experimental loader option.
// - The handle: every node the analysis touches is a `Node` object, and its constructor stores the
//   handle as `this[0]`, an indexed property, so each node allocates a separate elements store
//   besides the object. That made node construction ~5x slower than with a named property (130 vs
//   25 ns), about 6% of a Python scan. Only the constructor writes the handle and only
//   `marshalNode` reads it, so the patch changes exactly those places. Each anchor must match once:
//   a web-tree-sitter that no longer has them fails the build instead of being bundled half patched.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';

/** Where the handle lives after the patch. */
export const NODE_HANDLE = '_handle';

/** [what the library says (exactly once), what the bundle says instead]. */
const REPLACEMENTS = [
  // The field declaration that gives every Node an indexed property before the constructor runs.
  [
    '  /** @internal */\n  // @ts-expect-error: never read\n  [0] = 0;\n  // Internal handle for Wasm\n  /** @internal */\n  _children;',
    '  /** @internal */\n  _children;',
  ],
  [
    '    assertInternal(internal);\n    this[0] = other;',
    `    assertInternal(internal);\n    this.${NODE_HANDLE} = other;`,
  ],
  ['  C.setValue(address, node[0], "i32");', `  C.setValue(address, node.${NODE_HANDLE}, "i32");`],
];

/** Applies the patch to the text of `tree-sitter.js` (or `.cjs`); throws if an anchor is missing. */
export function patchWebTreeSitter(text, file = 'web-tree-sitter') {
  let patched = text;
  for (const [from, to] of REPLACEMENTS) {
    const first = patched.indexOf(from);
    if (first === -1 || patched.indexOf(from, first + 1) !== -1) {
      throw new Error(
        `${file}: the node handle patch expects exactly one ${JSON.stringify(from.trim().split('\n').pop())}; ` +
          'web-tree-sitter changed, so update scripts/web-tree-sitter-patch.mjs',
      );
    }
    patched = patched.slice(0, first) + to + patched.slice(first + from.length);
  }
  return patched;
}

/** The esbuild plugin that bundles web-tree-sitter's CommonJS build, patched. */
export const webTreeSitterPatch = {
  name: 'web-tree-sitter-commonjs-patched',
  setup(build) {
    build.onResolve({ filter: /^web-tree-sitter$/ }, (args) => ({
      // Resolved as `require` would from the importer's folder: the CommonJS build.
      path: createRequire(path.join(args.resolveDir, 'importer.js')).resolve('web-tree-sitter'),
    }));
    build.onLoad({ filter: /[\\/]web-tree-sitter[\\/]tree-sitter\.c?js$/ }, async (args) => ({
      contents: patchWebTreeSitter(await readFile(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};
