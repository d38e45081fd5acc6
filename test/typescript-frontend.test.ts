/** The TypeScript/JavaScript and Prisma front ends: lexing, the model, embedded SQL, the schema. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { commentStarts } from '../server/src/engine/comments';
import { isGeneratedFileName, languageOf } from '../server/src/languages/detect';
import { prismaSchemaFacts } from '../server/src/prisma/facts';
import { parsePrismaSchema } from '../server/src/prisma/schema';
import { parseTypeScript, parseTypeScriptOnce, ts } from '../server/src/typescript/compiler';
import { tsSqlUnits } from '../server/src/typescript/embedded-sql';
import { resolveSpecifier, tsModuleNameOf } from '../server/src/typescript/facts';
import { isRequestHandler, prismaQuery } from '../server/src/typescript/knowledge';
import { buildTsModel } from '../server/src/typescript/model';
import { toHost } from '../server/src/sql/unit';
import { analyzeOne } from './support/analyze';

const modelOf = (text: string, file = 'src/routes.ts') =>
  buildTsModel(parseTypeScript(text, file), file);

/** Every node of a tree with the parent `forEachChild` reaches it from. */
function parentLinks(sourceFile: ts.SourceFile): [ts.Node, ts.Node | undefined, ts.Node][] {
  const links: [ts.Node, ts.Node | undefined, ts.Node][] = [];
  const visit = (parent: ts.Node): void => {
    ts.forEachChild(parent, (child) => {
      links.push([child, child.parent as ts.Node | undefined, parent]);
      visit(child);
    });
  };
  visit(sourceFile);
  return links;
}

describe('TypeScript front end', () => {
  it('links every node to its parent, and unlinks a one-use tree when it is released', () => {
    const text =
      'export async function f(ids: number[]) {\n  for (const id of ids) await load(id);\n}\n';
    const kept = parseTypeScript(text, 'src/a.ts');
    const once = parseTypeScriptOnce(text, 'src/a.ts');
    for (const sourceFile of [kept, once.sourceFile]) {
      const links = parentLinks(sourceFile);
      assert.ok(links.length > 15);
      for (const [node, parent, expected] of links)
        assert.equal(parent, expected, ts.SyntaxKind[node.kind]);
    }
    once.release();
    assert.ok(parentLinks(once.sourceFile).every(([, parent]) => parent === undefined));
    assert.ok(parentLinks(kept).every(([, parent, expected]) => parent === expected));
  });

  it('maps extensions, and knows declarations, bundles and minified files', () => {
    for (const file of ['a.ts', 'a.tsx', 'a.mts', 'a.cts', 'a.js', 'a.jsx', 'a.mjs', 'a.cjs'])
      assert.equal(languageOf(file), 'typescript', file);
    assert.equal(languageOf('schema.prisma'), 'prisma');
    for (const file of ['a.d.ts', 'vendor.min.js', 'app.bundle.js', 'x-min.js', 'a.d.mts'])
      assert.equal(isGeneratedFileName(file), true, file);
    for (const file of ['a.ts', 'admin.js', 'bundle.ts'])
      assert.equal(isGeneratedFileName(file), false, file);
  });

  it('finds comments, not comment-like text in strings, templates and regexes', () => {
    const text = [
      'const a = "// no"; // c1',
      'const r = /\\/\\/x/g; /* c2 */',
      'const t = `a ${b ? `in ${c} // no` : d} // no`; // c3',
      'x = a / b; // c4',
      'function f() { return /[/]/.test(y) } // c5',
    ].join('\n');
    const found = commentStarts(text, 'typescript').map((start) => text.slice(start, start + 5));
    assert.deepEqual(found, ['// c1', '/* c2', '// c3', '// c4', '// c5']);
  });

  it('suppresses findings with // comments', async () => {
    const text = [
      'export async function list() {',
      '  // perflens-ignore: unbounded-select',
      "  return pool.query('SELECT id FROM orders');",
      '}',
      "const q = () => pool.query('SELECT id FROM users'); // perflens-ignore",
      '',
    ].join('\n');
    const { findings } = await analyzeOne('src/orders.ts', text);
    assert.deepEqual(findings, []);
  });

  it('records calls with their loops, callbacks and awaits', () => {
    const model = modelOf(
      [
        'export async function f(ids: string[]) {',
        '  for (const id of await load()) {',
        '    await prisma.user.findUnique({ where: { id } });',
        '  }',
        '  ids.forEach(async (id) => { await fetch(id); });',
        '  await Promise.all(ids.map((id) => prisma.post.findMany({ where: { id } })));',
        '}',
      ].join('\n'),
    );
    const byName = (name: string) => model.calls.find((call) => call.name === name)!;
    assert.equal(byName('load').loops.length, 0, 'the iterable is evaluated once');
    assert.deepEqual(
      byName('findUnique').loops.map((loop) => loop.kind),
      ['for-of'],
    );
    assert.equal(byName('findUnique').awaited, true);
    assert.deepEqual(
      byName('fetch').loops.map((loop) => loop.method),
      ['forEach'],
    );
    assert.equal(byName('findMany').awaited, false);
    assert.equal(prismaQuery(model, byName('findMany'))?.delegate, 'post');
    assert.equal(model.functions[0].name, 'f');
    assert.equal(model.functions[0].exported, true);
  });

  it('recognises request handlers of Fastify, Express, Next.js and NestJS', () => {
    const fastify = modelOf(
      "app.get('/orders', async (request, reply) => { return [] });\nfunction helper() {}",
    );
    assert.equal(isRequestHandler(fastify, fastify.functions[0]), true);
    assert.equal(isRequestHandler(fastify, fastify.functions[1]), false);
    const next = modelOf(
      'export async function GET(req: Request) { return 1 }',
      'app/api/x/route.ts',
    );
    assert.equal(isRequestHandler(next, next.functions[0]), true);
    const nest = modelOf("class C { @Get(':id') async one() { return 1 } }");
    assert.equal(isRequestHandler(nest, nest.functions[0]), true);
    const graphql = modelOf(
      [
        "import { Query, Resolver } from '@nestjs/graphql';",
        "import { Query as Param } from '@nestjs/common';",
        'class R { @Query(() => [String]) list() { return [] } }',
        'class S { helper(@Param() q: string) { return q } }',
        '@Resolver() class T { @Mutation() save() { return 1 } }',
      ].join('\n'),
    );
    assert.deepEqual(
      graphql.functions.map((fn) => isRequestHandler(graphql, fn)),
      [true, false, true],
    );
  });

  it('names modules and resolves relative and aliased imports', () => {
    assert.equal(tsModuleNameOf('src/services/users.ts'), 'src.services.users');
    assert.equal(tsModuleNameOf('src/services/index.ts'), 'src.services');
    assert.equal(resolveSpecifier('src/routes/a.ts', '../services/users.js'), 'src.services.users');
    assert.equal(resolveSpecifier('src/routes/a.ts', './b'), 'src.routes.b');
    assert.equal(resolveSpecifier('src/routes/a.ts', '@/lib/db'), 'lib.db');
    assert.equal(resolveSpecifier('src/routes/a.ts', '@prisma/client'), undefined);
  });

  it('reads SQL from tagged templates and query strings, mapped back to the file', () => {
    const text = [
      'const byId = `SELECT id FROM users WHERE id = $1`;',
      'export async function f(status: string) {',
      '  await prisma.$queryRaw`SELECT * FROM orders WHERE status = ${status}`;',
      "  await pool.query('SELECT a ' + 'FROM b');",
      '  await pool.query(byId, [1]);',
      "  await client.query('not sql at all');",
      '}',
    ].join('\n');
    const model = modelOf(text);
    const units = tsSqlUnits(model);
    assert.deepEqual(
      units.map((unit) => unit.text),
      [
        'SELECT * FROM orders WHERE status = _________',
        'SELECT a FROM b',
        'SELECT id FROM users WHERE id = $1',
      ],
    );
    const from = units[0].text.indexOf('FROM');
    assert.equal(text.slice(toHost(units[0], from), toHost(units[0], from) + 4), 'FROM');
    assert.equal(units[0].hasHoles, true);
  });
});

describe('Prisma front end', () => {
  const schema = [
    'datasource db {',
    '  provider = "postgresql"',
    '  url      = env("DATABASE_URL")',
    '}',
    '',
    'model User {',
    '  id    Int    @id @default(autoincrement())',
    '  email String @unique',
    '  posts Post[]',
    '  @@index([email, id(sort: Desc)])',
    '  @@map("users")',
    '}',
    '',
    'model Broken {',
    '  id Int @id',
    '  name String @@@',
    '}',
    '',
    'model Post {',
    '  id       Int  @id',
    '  authorId Int',
    '  author   User @relation(fields: [authorId], references: [id])',
    '  @@index([authorId], type: Hash)',
    '}',
    '',
  ].join('\n');

  it('parses models, relations and indexes, and survives a broken block', () => {
    const parsed = parsePrismaSchema(schema);
    assert.equal(parsed.datasource?.provider, 'postgresql');
    assert.deepEqual(
      parsed.models.map((model) => model.name),
      ['User', 'Post'],
    );
    assert.equal(parsed.errors.length, 1);
    const [user, post] = parsed.models;
    assert.equal(user.dbName, 'users');
    assert.deepEqual(
      user.indexes.map((index) => [index.kind, ...index.fields]),
      [
        ['id', 'id'],
        ['unique', 'email'],
        ['index', 'email', 'id'],
      ],
    );
    assert.deepEqual(post.fields[2].relation, { fields: ['authorId'], references: ['id'] });
    assert.deepEqual(
      post.indexes.map((index) => index.type),
      [undefined, 'Hash'],
    );
    assert.equal(schema[post.closeBrace], '}');
  });

  it('gives the index tables, foreign keys and indexes', () => {
    const facts = prismaSchemaFacts(parsePrismaSchema(schema));
    const post = facts.tables.find((table) => table.className === 'Post')!;
    assert.equal(post.source, 'prisma');
    assert.deepEqual(
      post.columns.map((column) => column.name),
      ['id', 'authorId'],
    );
    assert.deepEqual(post.columns[1].foreignKey, {
      table: 'User',
      column: 'id',
      targetClass: 'User',
    });
    assert.deepEqual(post.relationships, ['author']);
    assert.equal(facts.tables[0].name, 'users');
    // A hash index is listed with its method, and does not make the column count as B-tree indexed.
    assert.equal(post.columns[1].indexed, false);
    assert.deepEqual(
      facts.indexes.filter((index) => index.table === 'Post').map((index) => index.method),
      [undefined, 'hash'],
    );
  });

  it('ships a bundle that never searches the workspace for prisma-ast config', function () {
    const bundle = path.join(__dirname, '..', 'dist', 'server.js');
    if (!fs.existsSync(bundle)) this.skip();
    const text = fs.readFileSync(bundle, 'utf8');
    assert.ok(text.includes('search: () => null'), 'the no-config stub is not bundled');
    assert.ok(!text.includes('searchPlaces'), 'the real lilconfig is bundled');
  });
});
