/** The workspace index resolving calls through package barrels (`__init__.py`, `index.ts`). */
import * as assert from 'node:assert/strict';
import { emptySchema, type FileFacts } from '../server/src/workspace/facts';
import { WorkspaceIndex } from '../server/src/workspace/index';
import { analyze, type MemoryFile } from './support/analyze';

/** A package whose `__init__.py` star-imports `modules` sibling modules, like asyncio's. */
function starBarrelPackage(modules: number): MemoryFile[] {
  const files: MemoryFile[] = [
    {
      relativePath: 'app/services/__init__.py',
      text: Array.from({ length: modules }, (_, i) => `from .part${i} import *\n`).join(''),
    },
  ];
  for (let i = 0; i < modules; i++) {
    files.push({
      relativePath: `app/services/part${i}.py`,
      text:
        i === 7
          ? 'from app.models import User\n\n\ndef get_owner(db, owner_id):\n    return db.query(User).get(owner_id)\n'
          : `class Helper${i}:\n    pass\n\n\ndef helper_${i}(value):\n    return value\n`,
    });
  }
  files.push({
    relativePath: 'app/routes.py',
    text: [
      'from sqlalchemy.orm import Session',
      '',
      'from app import services',
      '',
      '',
      'def owners(db: Session, owner_ids: list[int]):',
      '    rows = []',
      '    for owner_id in owner_ids:',
      '        rows.append(services.get_owner(db, owner_id))',
      // Targets that resolve to no function: classes, and names no module defines.
      '        rows.append(services.Helper3())',
      '        rows.append(services.part5.Missing())',
      '        rows.append(services.part9.deeper.Missing())',
      '    return rows',
      '',
    ].join('\n'),
  });
  return files;
}

describe('workspace index', () => {
  it('resolves through a barrel of many `import *` without going through it twice', async () => {
    const prototype = WorkspaceIndex.prototype as unknown as Record<string, unknown>;
    const original = prototype.throughReexports as (...args: unknown[]) => unknown;
    let steps = 0;
    prototype.throughReexports = function (this: WorkspaceIndex, ...args: unknown[]) {
      steps++;
      return original.apply(this, args);
    };
    try {
      const { reports } = await analyze(starBarrelPackage(16));
      const routes = reports.find((report) => report.file === 'app/routes.py')!;
      assert.deepEqual(
        routes.findings.map((finding) => `${finding.ruleId}:${finding.startPos.line}`),
        ['query-in-loop-via-helper:9'],
      );
      // Going back into the barrel at every level took 16^4 steps per unresolved target.
      assert.ok(steps < 2_000, `${steps} resolution steps`);
    } finally {
      prototype.throughReexports = original;
    }
  });

  it('keeps module-level instances current as files change, once it has been asked', () => {
    const cache = (instances: FileFacts['instances']): FileFacts => ({
      file: '/w/app/cache.py',
      language: 'python',
      moduleName: 'app.cache',
      functions: [],
      schema: emptySchema(),
      queryColumns: [],
      ...(instances ? { instances } : {}),
    });
    const index = new WorkspaceIndex();
    index.update(cache([{ name: 'client', classNames: ['redis.Redis'] }]));
    assert.deepEqual(index.instanceClassNames('app.cache.client'), ['redis.Redis']);
    index.update(cache([{ name: 'client', classNames: ['redis.asyncio.Redis'] }]));
    assert.deepEqual(index.instanceClassNames('cache.client'), ['redis.asyncio.Redis']);
    index.update(cache(undefined));
    assert.equal(index.instanceClassNames('app.cache.client'), undefined);
    index.update(cache([{ name: 'client', classNames: ['redis.Redis'] }]));
    index.remove('/w/app/cache.py');
    assert.equal(index.instanceClassNames('app.cache.client'), undefined);
  });

  it('follows a name a module imports, as its imports change', () => {
    const module = (file: string, moduleName: string, extra: Partial<FileFacts>): FileFacts => ({
      file,
      language: 'python',
      moduleName,
      functions: [],
      schema: emptySchema(),
      queryColumns: [],
      ...extra,
    });
    const getOne = {
      qualifiedName: 'app.repos.generic.RepositoryGeneric.get_one',
      name: 'get_one',
      isAsync: false,
      isRouteHandler: false,
      start: 0,
      end: 1,
      nameStart: 0,
      nameEnd: 1,
      effects: [],
      calls: [],
      traits: [],
    };
    const imports = (names: string[]): FileFacts =>
      module('/w/app/repos/repos.py', 'app.repos.repos', {
        moduleImports: names.map((name) => ({ exported: name, module: 'app.repos.generic' })),
      });
    const index = new WorkspaceIndex();
    index.update(module('/w/app/repos/generic.py', 'app.repos.generic', { functions: [getOne] }));
    index.update(imports(['RepositoryGeneric']));
    const target = ['app.repos.repos.RepositoryGeneric.get_one'];
    assert.equal(index.resolve(target)?.fn.qualifiedName, getOne.qualifiedName);
    index.update(imports(['Session']));
    assert.equal(index.resolve(target), undefined);
    index.update(imports(['RepositoryGeneric']));
    assert.equal(index.resolve(target)?.fn.qualifiedName, getOne.qualifiedName);
    index.remove('/w/app/repos/repos.py');
    assert.equal(index.resolve(target), undefined);
  });
});
