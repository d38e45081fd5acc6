import type { Rule } from '../../server/src/engine/rule';
import { ts } from '../../server/src/typescript/compiler';
import { unwrap } from '../../server/src/typescript/model';

/** Bundler and framework config files, where every `drop_console` is a build setting. */
const BUILD_CONFIG_FILE =
  /(?:^|\/)(?:vite|vitest|webpack|rollup|terser|next|nuxt|astro|svelte|quasar|vue|craco|rsbuild|rspack)\.config(?:\.[\w-]+)?\.[mc]?[jt]s$/;

function nameOf(name: ts.PropertyName | ts.BindingName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name)) return name.text;
  return undefined;
}

/** `compress: { ... }` or `const compress = { ... }`: terser's compressor options. */
function isCompressOptions(object: ts.ObjectLiteralExpression): boolean {
  let node: ts.Node = object;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent))
    node = node.parent;
  const parent = node.parent;
  if (ts.isPropertyAssignment(parent) || ts.isVariableDeclaration(parent))
    return nameOf(parent.name) === 'compress';
  return false;
}

/**
 * Inside a branch chosen at build time (`isDev ? { drop_console: false } : {...}`,
 * `if (mode === 'development') ...`): the author keeps logs only where they meant to.
 */
function inConditionalBranch(node: ts.Node): boolean {
  for (let child = node, parent = node.parent; parent; child = parent, parent = parent.parent) {
    if (ts.isConditionalExpression(parent) && child !== parent.condition) return true;
    if (ts.isIfStatement(parent) && child !== parent.expression) return true;
    if (
      ts.isBinaryExpression(parent) &&
      child === parent.right &&
      [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken].includes(
        parent.operatorToken.kind,
      )
    )
      return true;
  }
  return false;
}

/** `pure_funcs: ['console.log', 'console.debug']`: some console calls dropped on purpose. */
function dropsSomeConsoleCalls(object: ts.ObjectLiteralExpression): boolean {
  return object.properties.some((property) => {
    if (!ts.isPropertyAssignment(property) || nameOf(property.name) !== 'pure_funcs') return false;
    const value = unwrap(property.initializer);
    return (
      ts.isArrayLiteralExpression(value) &&
      value.elements.some((e) => ts.isStringLiteralLike(e) && e.text.startsWith('console.'))
    );
  });
}

/** Terser/UglifyJS `drop_console: false` in build configuration. */
export const dropConsoleDisabled: Rule = {
  meta: {
    id: 'drop-console-disabled',
    language: 'typescript',
    category: 'build-config',
    severity: 'warning',
    summary: '`drop_console: false` keeps every `console.*` call in the production bundle',
    fix: { title: 'Set `drop_console: true`', safety: 'safe', availability: 'always' },
    docs: {
      whatItDoes:
        'Finds `drop_console: false` in terser (or UglifyJS) compressor options: in a `compress` ' +
        'object anywhere (`terserOptions: { compress: {...} }` in Vite or `terser-webpack-plugin`, ' +
        '`terser({ compress: {...} })` in Rollup), and anywhere in a bundler config file ' +
        '(`vite.config.*`, `webpack.config.*`, `rollup.config.*`, `next.config.*`, ...).',
      whyIsThisBad:
        'Minifiers can remove `console.*` calls from production builds; `drop_console: false` ' +
        'turns that off explicitly. Every debug log then ships: its strings and arguments add to the ' +
        'bundle, logging large objects in hot paths (renders, scroll and socket handlers) costs ' +
        'serialisation time and keeps the objects alive for the devtools, and internal data ' +
        'leaks to anyone who opens the console.',
      example: [
        "import { defineConfig } from 'vite';",
        '',
        'export default defineConfig({',
        '  build: {',
        "    minify: 'terser',",
        '    terserOptions: { compress: { drop_console: false } },',
        '  },',
        '});',
      ].join('\n'),
      useInstead: [
        "import { defineConfig } from 'vite';",
        '',
        'export default defineConfig({',
        '  build: {',
        "    minify: 'terser',",
        '    terserOptions: { compress: { drop_console: true } },',
        '  },',
        '});',
      ].join('\n'),
      notFlagged: [
        '`drop_console: true`, a list of methods (`drop_console: ["log", "info"]`) and values computed ' +
          'at build time (`drop_console: isProduction`).',
        '`drop_console: false` inside a branch chosen at build time (`isDev ? { drop_console: false } : ' +
          '{...}`, an `if` on the mode): development-only settings.',
        '`drop_console: false` next to `pure_funcs` that lists `console.*` functions: the config drops ' +
          'the noisy calls (`console.log`, `console.debug`) and keeps `console.error` on purpose.',
        "esbuild `drop: []` (Vite's default minifier): an empty list is esbuild's default, not an opt-out, " +
          'and a missing setting is not reported.',
        '`drop_console` outside a `compress` object in files that are not bundler configs.',
      ],
      fixSafety:
        'Safe: it changes only the production bundle, which then has no `console.*` calls. ' +
        'That includes `console.error` and `console.warn`; to keep those, use ' +
        "`pure_funcs: ['console.log', 'console.info', 'console.debug']` instead of `drop_console`.",
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    // The setting is spelled out in every form the rule reads: other files need no walk.
    if (!model || !model.text.includes('drop_console')) return;
    const configFile = BUILD_CONFIG_FILE.test(ctx.relativePath);
    const visit = (node: ts.Node): void => {
      if (
        ts.isPropertyAssignment(node) &&
        nameOf(node.name) === 'drop_console' &&
        unwrap(node.initializer).kind === ts.SyntaxKind.FalseKeyword &&
        ts.isObjectLiteralExpression(node.parent)
      ) {
        const options = node.parent;
        if (
          (configFile || isCompressOptions(options)) &&
          !inConditionalBranch(node) &&
          !dropsSomeConsoleCalls(options)
        ) {
          const value = unwrap(node.initializer);
          ctx.report({
            start: node.getStart(model.sourceFile),
            end: node.end,
            message:
              '`drop_console: false` ships every `console.*` call in the production bundle; ' +
              'set `drop_console: true` (or list the noisy ones in `pure_funcs`)',
            fixes: [
              {
                title: 'Set `drop_console: true`',
                safety: 'safe',
                edits: [
                  { start: value.getStart(model.sourceFile), end: value.end, newText: 'true' },
                ],
              },
            ],
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(model.sourceFile);
  },
};
