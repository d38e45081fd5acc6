/**
 * What TypeScript files tell the workspace index about the schema: the database TypeORM
 * connection options name, and the indexes SQL and TypeORM's query runner create.
 */
import * as assert from 'node:assert/strict';
import { parseTypeScript } from '../server/src/typescript/compiler';
import { createdIndexOperations } from '../server/src/typescript/created-indexes';
import { buildTsModel } from '../server/src/typescript/model';
import { typeormDatabaseKinds } from '../server/src/typescript/typeorm-databases';

const modelOf = (text: string, file = 'src/data-source.ts') =>
  buildTsModel(parseTypeScript(text, file), file);

describe('TypeORM connection options', () => {
  it('names the database of options with TypeORM keys, or connection keys beside a typeorm import', () => {
    const standalone = [
      "export default { type: 'mariadb', synchronize: false, entities: ['dist/**/*.entity.js'] };",
      "export const replica = { type: 'postgres' as const, migrations: [] };",
      "export const edge = { type: 'cockroachdb', entities: [] };",
    ].join('\n');
    assert.deepEqual(typeormDatabaseKinds(modelOf(standalone)), ['mariadb', 'postgresql', 'other']);
    const withImport = [
      "import { DataSource } from 'typeorm';",
      "export const ds = new DataSource({ type: 'mysql', host: 'db', port: 3306 });",
    ].join('\n');
    assert.deepEqual(typeormDatabaseKinds(modelOf(withImport)), ['mysql']);
  });

  it('leaves out look-alike objects, types read at run time and test files', () => {
    const lookalikes = [
      "export const engines = [{ type: 'postgres', label: 'PostgreSQL' }, { type: 'mysql', host: 'x' }];",
      'export const options = { type: process.env.DB_TYPE, entities: [] };',
    ].join('\n');
    assert.deepEqual(typeormDatabaseKinds(modelOf(lookalikes)), []);
    const testSetup = "export const ds = { type: 'mysql', synchronize: true, entities: [] };";
    assert.deepEqual(typeormDatabaseKinds(modelOf(testSetup, 'test/utils/data-source.ts')), []);
    assert.deepEqual(typeormDatabaseKinds(modelOf(testSetup, 'src/db.spec.ts')), []);
  });
});

describe('indexes TypeScript code creates', () => {
  const migration = [
    "import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';",
    'export class AddIndexes1700000000000 implements MigrationInterface {',
    '  async up(queryRunner: QueryRunner): Promise<void> {',
    '    await queryRunner.query(`CREATE INDEX "IDX_post_author" ON "post" ("authorId")`);',
    '    await queryRunner.query(`DROP INDEX "IDX_post_old"`);',
    "    await queryRunner.createIndices('public.post', [",
    "      new TableIndex({ name: 'UQ_post_slug', columnNames: ['slug'], isUnique: true }),",
    "      { columnNames: ['categoryId', 'createdAt'] },",
    '    ]);',
    '    await queryRunner.createTable(',
    '      new Table({',
    "        name: 'tag',",
    "        columns: [{ name: 'groupId', type: 'int' }],",
    "        indices: [{ columnNames: ['groupId'] }],",
    "        uniques: [{ name: 'UQ_tag_slug', columnNames: ['slug'] }],",
    '      }),',
    '    );',
    '  }',
    '  async down(queryRunner: QueryRunner): Promise<void> {',
    '    await queryRunner.query(`CREATE INDEX "IDX_post_old" ON "post" ("legacyId")`);',
    "    await queryRunner.createIndex('post', new TableIndex({ columnNames: ['editorId'] }));",
    '  }',
    '}',
  ].join('\n');

  it("reads CREATE INDEX strings and the query runner's index creations outside `down`", () => {
    const operations = createdIndexOperations(modelOf(migration, 'src/migrations/add.ts'));
    assert.deepEqual(
      operations.map(({ kind, table, columns, name, unique }) => ({
        kind,
        table,
        columns,
        name,
        unique,
      })),
      [
        {
          kind: 'create',
          table: 'post',
          columns: ['authorId'],
          name: 'IDX_post_author',
          unique: false,
        },
        { kind: 'create', table: 'post', columns: ['slug'], name: 'UQ_post_slug', unique: true },
        {
          kind: 'create',
          table: 'post',
          columns: ['categoryId', 'createdAt'],
          name: undefined,
          unique: false,
        },
        { kind: 'create', table: 'tag', columns: ['groupId'], name: undefined, unique: false },
        { kind: 'create', table: 'tag', columns: ['slug'], name: 'UQ_tag_slug', unique: true },
      ],
    );
  });

  it('skips test files', () => {
    assert.deepEqual(createdIndexOperations(modelOf(migration, 'test/setup.ts')), []);
  });
});
