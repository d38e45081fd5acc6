// Bundles the CLI (with its worker), the language server, the VS Code client and the benchmark,
// and copies the WASM grammars next to the bundles.
// ts-morph brings the TypeScript compiler; it is bundled once, for the CLI/worker/server.
// web-tree-sitter comes as its CommonJS build, patched: see scripts/web-tree-sitter-patch.mjs.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { webTreeSitterPatch } from './scripts/web-tree-sitter-patch.mjs';

const root = path.dirname(new URL(import.meta.url).pathname);
const dist = path.join(root, 'dist');
const production = process.argv.includes('--production');

fs.mkdirSync(path.join(dist, 'grammars'), { recursive: true });

/** ts-morph's own copy of TypeScript (the one its `ts` export hands out). */
const tsMorphTypeScript = createRequire(
  createRequire(path.join(root, 'package.json')).resolve('ts-morph'),
).resolve('@ts-morph/common/dist/typescript.js');

const standIn = path.join(root, 'scripts', 'plain-typescript-namespace.mjs');
const NAMES_MARKER = '/* names used by the product */';

/** Every `ts.<name>` the product's sources use that TypeScript has at run time, sorted. */
function typeScriptNamesUsed() {
  const runtime = createRequire(import.meta.url)(tsMorphTypeScript);
  const names = new Set();
  for (const folder of ['server/src', 'rules', 'bench', 'client/src']) {
    for (const entry of fs.readdirSync(path.join(root, folder), { recursive: true })) {
      if (!String(entry).endsWith('.ts')) continue;
      const text = fs.readFileSync(path.join(root, folder, String(entry)), 'utf8');
      for (const [, name] of text.matchAll(/\bts\.([A-Za-z_$][\w$]*)/g))
        if (name in runtime) names.add(name);
    }
  }
  return [...names].sort();
}

/** Gives compiler.ts a plain copy of ts-morph's TypeScript namespace (see the stand-in). */
const plainTypeScript = {
  name: 'plain-typescript-namespace',
  setup(build) {
    build.onResolve({ filter: /^ts-morph$/ }, (args) =>
      args.importer.endsWith(path.join('typescript', 'compiler.ts'))
        ? { path: standIn }
        : undefined,
    );
    // TypeScript and ts-morph are bundles of their own, which the stand-in loads at run time on
    // first use: inlined, their 11 MB of source cost every process (CLI, each worker, server)
    // ~90 MB and ~0.3 s at load even when no TypeScript is analysed.
    // The names the product uses become own properties of the shell, filled when TypeScript loads.
    build.onLoad({ filter: /plain-typescript-namespace\.mjs$/ }, () => {
      const text = fs.readFileSync(standIn, 'utf8');
      if (!text.includes(NAMES_MARKER)) throw new Error(`${standIn} lost its names marker`);
      const properties = typeScriptNamesUsed().map((name) => `${name}: undefined,`);
      return { contents: text.replace(NAMES_MARKER, properties.join('\n')), loader: 'js' };
    });
  },
};

/**
 * Every bundle shares one `dist/code-cache.js`, which bin/perflens.js and the server launcher load
 * first: one instance per process, so the caches of the bundles it loads are written together.
 */
const sharedCodeCache = {
  name: 'shared-code-cache',
  setup(build) {
    build.onResolve({ filter: /[\\/]runtime[\\/]code-cache$/ }, () => ({
      path: './code-cache.js',
      external: true,
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // Never search the workspace for library config files (see the stub).
  alias: { lilconfig: './scripts/no-config-search.js' },
  plugins: [plainTypeScript, webTreeSitterPatch, sharedCodeCache],
};

/** ts-morph's bundle takes its TypeScript from typescript.js rather than carrying a second copy. */
const sharedTypeScript = {
  name: 'shared-typescript',
  setup(build) {
    build.onResolve({ filter: /^\.\/typescript(?:\.js)?$/ }, (args) =>
      args.importer.includes(path.join('@ts-morph', 'common'))
        ? { path: './typescript.js', external: true }
        : undefined,
    );
  },
};

await Promise.all([
  esbuild.build({
    ...common,
    plugins: [],
    stdin: {
      contents: `module.exports = require(${JSON.stringify(tsMorphTypeScript)});`,
      resolveDir: root,
      loader: 'js',
    },
    outfile: path.join(dist, 'typescript.js'),
  }),
  esbuild.build({
    ...common,
    plugins: [sharedTypeScript],
    stdin: { contents: "module.exports = require('ts-morph');", resolveDir: root, loader: 'js' },
    outfile: path.join(dist, 'ts-morph.js'),
  }),
  esbuild.build({
    ...common,
    plugins: [],
    entryPoints: { 'code-cache': 'server/src/runtime/code-cache.ts' },
    outdir: dist,
  }),
  esbuild.build({ ...common, entryPoints: { cli: 'server/src/cli/cli.ts' }, outdir: dist }),
  esbuild.build({
    ...common,
    entryPoints: { 'scan-worker': 'server/src/cli/scan-worker.ts' },
    outdir: dist,
  }),
  esbuild.build({
    ...common,
    entryPoints: {
      bench: 'bench/bench.ts',
      'bench-latency': 'bench/lsp-latency.ts',
      'bench-typescript': 'bench/bench-typescript.ts',
    },
    outdir: dist,
    // The TypeScript benchmark runs ESLint beside Perflens; both load from node_modules.
    external: ['eslint', 'typescript-eslint'],
  }),
  esbuild.build({
    ...common,
    entryPoints: {
      server: 'server/src/server.ts',
      'server-launcher': 'server/src/lsp/server-launcher.ts',
    },
    outdir: dist,
  }),
  // The client runs in the extension host, which provides `vscode`. The banner marks when the
  // bundle starts to run, so activation figures include its loading (client/src/extension.ts).
  esbuild.build({
    ...common,
    entryPoints: { client: 'client/src/extension.ts' },
    outdir: dist,
    external: ['vscode'],
    banner: { js: '"use strict";\nvar __perflensBundleStarted = performance.now();' },
  }),
]);

const copies = [
  ['node_modules/web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm'],
  [
    'node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-python.wasm',
    'grammars/tree-sitter-python.wasm',
  ],
  ['server/grammars/tree-sitter-sql.wasm', 'grammars/tree-sitter-sql.wasm'],
];
for (const [from, to] of copies) fs.copyFileSync(path.join(root, from), path.join(dist, to));
