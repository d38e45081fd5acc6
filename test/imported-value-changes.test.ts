/**
 * What a module records about the workspace values it imports: whether it may shrink them or
 * hand them on, read from the text around each use (`module-collection-only-grows` asks).
 */
import * as assert from 'node:assert/strict';
import { parseTypeScript } from '../server/src/typescript/compiler';
import { importedValueChanges } from '../server/src/typescript/imported-value-changes';
import { buildTsModel } from '../server/src/typescript/model';

/** The changes of a module whose relative imports name workspace modules (`./cache` → `cache`). */
function changesOf(lines: string[], file = 'src/routes.ts'): string[] {
  const model = buildTsModel(parseTypeScript(lines.join('\n'), file), file);
  return importedValueChanges(model, (imported) =>
    imported.module.startsWith('.') ? imported.module.replace(/^\.\//, '') : undefined,
  );
}

describe('imported value changes', () => {
  it('records removals, truncation and hand-offs, under the imported and local names', () => {
    assert.deepEqual(
      changesOf([
        "import { sessions as live, byId, queue, pending } from './cache';",
        'export function a(k: string) { live.delete(k); }',
        'export function b(k: string) { delete byId[k]; }',
        'export function c() { queue.length = 0; }',
        'export function d(k: string) { pending[k]?.splice(0, 1); }',
      ]),
      ['byId', 'live', 'pending', 'queue', 'sessions'],
    );
    assert.deepEqual(
      changesOf([
        "import { a, b, c, d, e } from './cache';",
        'export const all = { a };',
        'export function f() { drain(b); return [c]; }',
        'export const g = () => d;',
        'export const h = e ?? new Map();',
      ]),
      ['a', 'b', 'c', 'd', 'e'],
    );
  });

  it('records a namespace member by its name, and a namespace handed on whole by its module', () => {
    assert.deepEqual(
      changesOf([
        "import * as store from './store';",
        "const legacy = require('./legacy');",
        'export function reset() { store.pages.clear(); legacy.pending.splice(0); }',
        'export function keep() { register(legacy); }',
      ]),
      ['legacy.*', 'pages', 'pending'],
    );
  });

  it('leaves reads, additions, reading calls, packages and tests alone', () => {
    const reads = [
      "import { sessions, byId, list } from './cache';",
      "import { cache } from 'some-package';",
      "import { other } from './other';",
      "import { getUser } from './users';",
      'export function a(k: string, v: string) {',
      '  sessions.set(k, v);',
      '  byId[k] = v;',
      '  list.push(v);',
      '  cache.clear();',
      '  const user = getUser(k);',
      '  const size = sessions.size + list.length;',
      '  const keys = [...sessions.keys()];',
      '  console.log(JSON.stringify(byId), size, keys, other.get(k), user);',
      '  for (const item of list) console.log(item);',
      '}',
      "export { sessions } from './cache';",
    ];
    assert.deepEqual(changesOf(reads), []);
    const test = ["import { sessions } from './cache';", 'afterEach(() => sessions.clear());'];
    assert.deepEqual(changesOf(test, 'src/cache.test.ts'), []);
  });
});
