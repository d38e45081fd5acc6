/** Module aliases from tsconfig/jsconfig `paths` and `baseUrl`, and imports resolved through them. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSpecifier } from '../server/src/typescript/facts';
import { loadModuleAliases, type ModuleAliases } from '../server/src/typescript/path-aliases';

/** A workspace on disk: file path → text (a path ending in `/` is an empty folder). */
function workspace(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'perflens-aliases-'));
  for (const [file, text] of Object.entries(files)) {
    const absolute = path.join(root, file);
    if (file.endsWith('/')) fs.mkdirSync(absolute, { recursive: true });
    else {
      fs.mkdirSync(path.dirname(absolute), { recursive: true });
      fs.writeFileSync(absolute, text);
    }
  }
  return root;
}

describe('TypeScript path aliases', () => {
  const roots: string[] = [];
  const load = (files: Record<string, string>): ModuleAliases => {
    const root = workspace(files);
    roots.push(root);
    return loadModuleAliases(root);
  };
  after(() => {
    for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
  });

  it('maps wildcard and exact patterns, the longest matching prefix first', () => {
    const aliases = load({
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          baseUrl: '.',
          paths: {
            '@server/*': ['./server/*'],
            '@server/models/*': ['./server/db/models/*'],
            '@config': ['./server/config/index.ts'],
            '@views/*.page': ['./app/pages/*'],
          },
        },
      }),
      'server/': '',
      'app/pages/': '',
    });
    const from = (specifier: string) => resolveSpecifier('server/routes/a.ts', specifier, aliases);
    assert.equal(from('@server/services/documents'), 'server.services.documents');
    assert.equal(from('@server/models/user.js'), 'server.db.models.user');
    assert.equal(from('@server/models'), 'server.models');
    assert.equal(from('@config'), 'server.config');
    assert.equal(from('@views/home.page'), 'app.pages.home');
    assert.equal(from('@prisma/client'), undefined);
    assert.equal(from('./b'), 'server.routes.b');
  });

  it('takes the first target whose folder exists, as the compiler takes the first file', () => {
    const targets = { '@lib/*': ['./generated/*', './src/lib/*', './lib/*'] };
    const config = JSON.stringify({ compilerOptions: { paths: targets } });
    const one = load({ 'tsconfig.json': config, 'src/lib/': '', 'lib/': '' });
    assert.equal(resolveSpecifier('src/a.ts', '@lib/db', one), 'src.lib.db');
    const both = load({ 'tsconfig.json': config, 'generated/': '', 'src/lib/': '' });
    assert.equal(resolveSpecifier('src/a.ts', '@lib/db', both), 'generated.db');
  });

  it('resolves bare imports from baseUrl only when their first segment is there', () => {
    const aliases = load({
      'tsconfig.json': JSON.stringify({ compilerOptions: { baseUrl: './src' } }),
      'src/lib/db.ts': 'export const db = 1;',
      'src/config.ts': 'export const config = 1;',
    });
    assert.equal(resolveSpecifier('src/routes/a.ts', 'lib/db', aliases), 'src.lib.db');
    assert.equal(resolveSpecifier('src/routes/a.ts', 'config', aliases), 'src.config');
    assert.equal(resolveSpecifier('src/routes/a.ts', 'express', aliases), undefined);
    assert.equal(resolveSpecifier('src/routes/a.ts', 'lodash/map', aliases), undefined);
  });

  it('resolves nothing outside the workspace', () => {
    const root = workspace({
      'app/tsconfig.json': JSON.stringify({
        compilerOptions: { baseUrl: '../vendor', paths: { '@lib/*': ['../lib/*'] } },
      }),
      'vendor/store.ts': 'export const store = 1;',
    });
    roots.push(root);
    const aliases = loadModuleAliases(path.join(root, 'app'));
    assert.equal(resolveSpecifier('a.ts', '@lib/db', aliases), undefined);
    assert.equal(resolveSpecifier('a.ts', 'store', aliases), undefined);
  });

  it('follows relative extends; paths start at baseUrl, else at the config that declares them', () => {
    const aliases = load({
      'configs/base.json': JSON.stringify({
        compilerOptions: { paths: { '@shared/*': ['../shared/*'] } },
      }),
      'tsconfig.json': JSON.stringify({ extends: './configs/base' }),
      'web/tsconfig.json': JSON.stringify({
        extends: ['../configs/base.json', '@tsconfig/node20/tsconfig.json'],
        compilerOptions: { baseUrl: './src' },
      }),
      'shared/': '',
    });
    // Declared in configs/ without a baseUrl: `../shared/*` from configs/.
    assert.equal(resolveSpecifier('api/a.ts', '@shared/format', aliases), 'shared.format');
    // web/ sets a baseUrl: the inherited paths now start there, as with tsc.
    assert.equal(resolveSpecifier('web/src/a.ts', '@shared/format', aliases), 'web.shared.format');
  });

  it('reads comments and trailing commas, and jsconfig.json', () => {
    const aliases = load({
      'jsconfig.json': [
        '{',
        '  // The app imports its modules by name.',
        '  "compilerOptions": {',
        '    "baseUrl": ".", /* from the root */',
        '    "paths": { "@app/*": ["src/app/*",], },',
        '  },',
        '}',
      ].join('\n'),
    });
    assert.equal(resolveSpecifier('src/a.js', '@app/store', aliases), 'src.app.store');
  });

  it("applies the nearest config to a package's files", () => {
    const aliases = load({
      'tsconfig.json': JSON.stringify({
        compilerOptions: { baseUrl: '.', paths: { '@server/*': ['./server/*'] } },
      }),
      'packages/web/tsconfig.json': JSON.stringify({
        compilerOptions: { baseUrl: '.', paths: { '@web/*': ['./src/*'] } },
      }),
      'packages/web-legacy/': '',
      'node_modules/some-package/tsconfig.json': JSON.stringify({
        compilerOptions: { paths: { '@server/*': ['./elsewhere/*'] } },
      }),
    });
    assert.equal(
      resolveSpecifier('packages/web/src/a.ts', '@web/api', aliases),
      'packages.web.src.api',
    );
    assert.equal(resolveSpecifier('packages/web/src/a.ts', '@server/db', aliases), undefined);
    assert.equal(resolveSpecifier('packages/web-legacy/a.ts', '@web/api', aliases), undefined);
    assert.equal(resolveSpecifier('server/a.ts', '@server/db', aliases), 'server.db');
    assert.equal(aliases.scopes.length, 2);
  });

  it('gives no aliases for a broken, cyclic or missing config, and keeps the @/ fallback', () => {
    const broken = load({
      'tsconfig.json': '{ "compilerOptions": { "paths": { "@server/*": ["./server/*"] ',
      'a/tsconfig.json': JSON.stringify({ extends: '../b/tsconfig.json' }),
      'b/tsconfig.json': JSON.stringify({ extends: '../a/tsconfig.json' }),
    });
    assert.equal(resolveSpecifier('server/a.ts', '@server/db', broken), undefined);
    assert.equal(resolveSpecifier('a/x.ts', '@/lib/db', broken), 'lib.db');
    assert.equal(resolveSpecifier('src/x.ts', '@/lib/db', load({})), 'lib.db');
    assert.deepEqual(loadModuleAliases(path.join(os.tmpdir(), 'perflens-no-such-folder')), {
      scopes: [],
    });
  });
});
