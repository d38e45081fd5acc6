/** Prisma index checks: the fields queries use, and findings that follow edits to schema.prisma. */
import * as assert from 'node:assert/strict';
import { ALL_RULES } from '../rules';
import { DEFAULT_CONFIG } from '../server/src/config/config';
import { resolveRules } from '../server/src/config/resolve';
import type { Language } from '../server/src/engine/types';
import { initParsers } from '../server/src/parsing/tree-sitter';
import { parseTypeScript } from '../server/src/typescript/compiler';
import { buildTsModel } from '../server/src/typescript/model';
import { prismaQueryColumns } from '../server/src/typescript/prisma-queries';
import { LiveWorkspace } from '../server/src/workspace/live-workspace';
import { analyseMany } from './support/analyse-many';

const SCHEMA = (indexes: string) => `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Order {
  id        Int      @id @default(autoincrement())
  status    String
  createdAt DateTime @default(now())
${indexes}}
`;

const ROUTES = `import { prisma } from '../lib/db';

export async function pending() {
  return prisma.order.findMany({ where: { status: 'PENDING' }, orderBy: { createdAt: 'asc' }, take: 50 });
}
`;

function usesOf(text: string, file = 'src/routes/orders.ts') {
  const model = buildTsModel(parseTypeScript(text, file), file);
  return prismaQueryColumns(model).map((use) => ({
    model: use.model,
    column: use.column,
    role: use.role,
    text: text.slice(use.start, use.end),
    ...(use.equality === undefined ? {} : { equality: use.equality }),
  }));
}

/** Per query, in source order: its fields as `role:column`, with `range` / `bounded` marks. */
function queriesOf(text: string): string[][] {
  const file = 'src/routes/orders.ts';
  const model = buildTsModel(parseTypeScript(text, file), file);
  const byQuery = new Map<number, string[]>();
  for (const use of prismaQueryColumns(model)) {
    const marks = [use.range ? 'range' : '', use.bounded ? 'bounded' : ''].filter(Boolean);
    const label = `${use.role}:${use.column}${marks.length > 0 ? ` (${marks.join(', ')})` : ''}`;
    byQuery.set(use.queryId, [...(byQuery.get(use.queryId) ?? []), label]);
  }
  return [...byQuery.entries()].sort(([a], [b]) => a - b).map(([, labels]) => labels);
}

describe('Prisma query columns', () => {
  it('records where fields (top level and AND) and the leading orderBy field', () => {
    const uses = usesOf(`
      export async function list(status: string, since: Date) {
        const where = { AND: [{ status }, { createdAt: { gte: since } }] };
        await prisma.orderItem.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
        await db.order.count({ where: { total: { equals: 3 }, 'region': 'eu' } });
        await prisma.order.findMany({ orderBy: { shippedAt: { sort: 'asc', nulls: 'last' } } });
      }
    `);
    assert.deepEqual(uses, [
      { model: 'OrderItem', column: 'status', role: 'filter', text: 'status', equality: true },
      {
        model: 'OrderItem',
        column: 'createdAt',
        role: 'filter',
        text: 'createdAt',
        equality: false,
      },
      { model: 'OrderItem', column: 'createdAt', role: 'sort', text: 'createdAt' },
      { model: 'Order', column: 'total', role: 'filter', text: 'total', equality: true },
      { model: 'Order', column: 'region', role: 'filter', text: "'region'", equality: true },
      { model: 'Order', column: 'shippedAt', role: 'sort', text: 'shippedAt' },
    ]);
  });

  it('leaves out what a B-tree index does not serve and unique lookups', () => {
    const uses = usesOf(`
      export async function search(q: string, id: number, filters: object) {
        await prisma.order.findUnique({ where: { id } });
        await prisma.order.update({ where: { id }, data: { status: 'PAID' } });
        await prisma.order.findMany({
          where: {
            OR: [{ status: 'A' }, { status: 'B' }],
            NOT: { status: 'C' },
            note: { contains: q },
            title: { startsWith: q },
            email: { equals: q, mode: 'insensitive' },
            kind: { not: 'x' },
            author: { is: { name: q } },
            tags: { some: { name: q } },
            deletedAt: null,
            archivedAt: { equals: null },
            closedAt: undefined,
            ...filters,
          },
          orderBy: { author: { name: 'asc' } },
        });
        await prisma.order.findMany({ orderBy: { _count: { items: 'desc' } } });
        await prisma.order.findMany(filters);
      }
    `);
    assert.deepEqual(uses, []);
  });

  it('reads spread const objects, and records nothing for a where partly hidden', () => {
    const queries = queriesOf(`
      const paid = { status: 'PAID' };
      export async function list(ownerId: string, teamId: string | undefined, where: object) {
        const scope = teamId ? { teamId } : { ownerId };
        await prisma.order.findMany({ where: { ...paid, deletedAt: null }, take: 5 });
        await prisma.order.findMany({ where: { ...scope, status: 'PAID' }, orderBy: { total: 'asc' } });
        await prisma.order.findMany({ where: { AND: [scope, { status: 'PAID' }] }, take: 5 });
        await prisma.order.findMany({ where, orderBy: { total: 'asc' }, take: 5 });
        const self = { ...self, AND: [self], status: 'PAID' };
        await prisma.order.count({ where: self });
        const page = { take: 20, where: { ownerId } };
        await prisma.order.findMany({ ...page, orderBy: { total: 'asc' } });
      }
    `);
    assert.deepEqual(queries, [['filter:status']]);
  });

  it('reads a where filled in field by field with every field present, and no sort', () => {
    const queries = queriesOf(`
      export async function list(teamId: string | undefined, key: string) {
        const built: Record<string, unknown> = { status: 'PAID' };
        if (teamId) built.teamId = teamId;
        await prisma.order.findMany({ where: built, orderBy: { total: 'asc' }, take: 5 });
        await prisma.order.count({ where: built });
        const scoped: Record<string, unknown> = {};
        scoped.status = 'PAID';
        applyScope(scoped);
        await prisma.order.findMany({ where: scoped, take: 5 });
        const keyed: Record<string, unknown> = {};
        keyed.status = 'PAID';
        keyed[key] = teamId;
        await prisma.order.findMany({ where: keyed, take: 5 });
        const trimmed: Record<string, unknown> = { status: 'PAID', teamId };
        delete trimmed.teamId;
        await prisma.order.findMany({ where: trimmed, take: 5 });
      }
    `);
    assert.deepEqual(queries, [
      ['filter:status', 'filter:teamId'],
      ['filter:status', 'filter:teamId'],
    ]);
  });

  it('marks range filters, and sorts of queries that return their first rows', () => {
    const queries = queriesOf(`
      export async function list(since: Date, ids: number[], cursor: number, page: object) {
        await prisma.order.findMany({ where: { createdAt: { gte: since } }, orderBy: { total: 'asc' } });
        await prisma.order.findMany({ where: { id: { in: ids } }, orderBy: { total: 'asc' }, take: 9 });
        await prisma.order.findFirst({ orderBy: { createdAt: 'desc' } });
        await prisma.order.findMany({ cursor: { id: cursor }, orderBy: { createdAt: 'desc' } });
        await prisma.order.findMany({ where: { status: 'PAID' }, ...page, orderBy: { total: 'asc' } });
      }
    `);
    assert.deepEqual(queries, [
      ['filter:createdAt (range)', 'sort:total'],
      ['filter:id', 'sort:total (bounded)'],
      ['sort:createdAt (bounded)'],
      ['sort:createdAt (bounded)'],
      ['filter:status', 'sort:total (bounded)'],
    ]);
  });

  it('records filters that may go through a relation with the keys they compare', () => {
    const file = 'src/routes/orders.ts';
    const text = `
      export async function list(id: number, tenantId: number, scope: object, countries: string[]) {
        await prisma.order.findMany({
          where: {
            customer: { id },
            account: { is: { id, tenantId } },
            warehouse: { country: countries[0] },
            store: { is: { country: { in: countries } } },
            resource: { project: { id } },
            items: { some: { sku: 'A' } },
            owner: { ...scope },
            status: 'PAID',
            shipments: { none: {} },
            manager: { is: null },
            reviewer: { isNot: null },
            kind: { not: 'x' },
          },
        });
      }
    `;
    const model = buildTsModel(parseTypeScript(text, file), file);
    const relations = prismaQueryColumns(model).map((use) => [use.column, use.relation]);
    assert.deepEqual(relations, [
      ['customer', { keys: ['id'] }],
      ['account', { keys: ['id', 'tenantId'] }],
      ['warehouse', { keys: ['country'] }],
      ['store', {}],
      ['resource', {}],
      ['items', {}],
      ['owner', {}],
      ['status', undefined],
    ]);
  });

  it('records nothing in tests, seeds and scripts', () => {
    const text = `await prisma.order.findMany({ where: { status: 'PENDING' } });\n`;
    for (const file of ['prisma/seed.ts', 'scripts/backfill.ts', 'src/orders.test.ts'])
      assert.deepEqual(usesOf(text, file), [], file);
    assert.equal(usesOf(text, 'src/orders.ts').length, 1);
  });
});

describe('Prisma index findings in a live workspace', () => {
  before(() => initParsers());

  const source = (file: string, text: string, language: Language) => ({
    file,
    relativePath: file,
    text,
    language,
  });

  function workspace(): LiveWorkspace {
    const { rules, settings } = resolveRules(ALL_RULES, DEFAULT_CONFIG);
    return new LiveWorkspace(rules, settings, { maxFileBytes: 2 * 1024 * 1024 });
  }

  const findingsOf = (live: LiveWorkspace, file: string) =>
    live
      .findings(file)
      .filter((f) => f.ruleId === 'prisma-query-without-index')
      .map((f) => f.message);

  it('clears a query finding when the index is added to schema.prisma', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('prisma/schema.prisma', SCHEMA(''), 'prisma'),
      source('src/routes/orders.ts', ROUTES, 'typescript'),
    ]);
    const [before] = findingsOf(live, 'src/routes/orders.ts');
    assert.match(before ?? '', /`Order\.status` is filtered in 1 query/);

    const changed = live.update(
      source('prisma/schema.prisma', SCHEMA('\n  @@index([status])\n'), 'prisma'),
    );
    assert.ok(changed.has('src/routes/orders.ts'), `changed: ${[...changed].join(', ')}`);
    // `status` leads an index; `createdAt` has none of its own, so there is no pair to suggest.
    assert.deepEqual(findingsOf(live, 'src/routes/orders.ts'), []);

    // A separate index on the sort field makes it a pair that one composite index would serve.
    live.update(
      source(
        'prisma/schema.prisma',
        SCHEMA('\n  @@index([status])\n  @@index([createdAt])\n'),
        'prisma',
      ),
    );
    assert.match(
      findingsOf(live, 'src/routes/orders.ts')[0] ?? '',
      /`@@index\(\[status, createdAt\]\)`/,
    );
    live.update(
      source('prisma/schema.prisma', SCHEMA('\n  @@index([status, createdAt])\n'), 'prisma'),
    );
    assert.deepEqual(findingsOf(live, 'src/routes/orders.ts'), []);
  });

  it('reads a filter on a relation key as its foreign key, and any other as a join', async () => {
    const live = workspace();
    const schema = `datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Shelf {
  region String
  code   String
  books  Book[]

  @@id([region, code])
}

model Book {
  id          Int    @id
  shelfRegion String
  shelfCode   String
  shelf       Shelf  @relation(fields: [shelfRegion, shelfCode], references: [region, code])
  title       String
  genre       String

  @@index([shelfRegion])
  @@index([title])
}
`;
    const routes = `import { prisma } from '../lib/db';

export async function books(region: string, code: string, genre: string) {
  await prisma.book.findMany({ where: { shelf: { region, code } }, orderBy: { title: 'asc' }, take: 20 });
  await prisma.book.findMany({ where: { shelf: { region }, genre }, take: 20 });
  await prisma.book.findMany({ where: { genre }, take: 20 });
}
`;
    await analyseMany(live, [
      source('prisma/schema.prisma', schema, 'prisma'),
      source('src/routes/books.ts', routes, 'typescript'),
    ]);
    const findings = findingsOf(live, 'src/routes/books.ts');
    // Both key fields compared: `shelfRegion = $1 AND shelfCode = $2`, then sorted by title; the
    // composite keeps both before the sort.
    assert.match(
      findings[0] ?? '',
      /`Book` filter on `shelfRegion`, `shelfCode` \+ `title` sort \(1 query\).*`@@index\(\[shelfRegion, shelfCode, title\]\)`/,
    );
    // Half the composite key is a join on Shelf, which may drive the query: genre is not reported
    // there, only in the query that filters on it alone.
    assert.match(findings[1] ?? '', /`Book\.genre` is filtered in 1 query/);
    assert.equal(findings.length, 2);
  });

  it('offers the index as an edit of schema.prisma', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('prisma/schema.prisma', SCHEMA(''), 'prisma'),
      source('src/routes/orders.ts', ROUTES, 'typescript'),
    ]);
    const finding = live
      .findings('src/routes/orders.ts')
      .find((f) => f.ruleId === 'prisma-query-without-index');
    const edits = finding?.fixes[0]?.edits ?? [];
    assert.deepEqual(
      edits.map((edit) => ({ file: edit.file, newText: edit.newText })),
      [
        { file: 'prisma/schema.prisma', newText: '\n' },
        { file: 'prisma/schema.prisma', newText: '  @@index([status, createdAt])\n' },
      ],
    );
  });

  it('forgets the findings when the schema is deleted', async () => {
    const live = workspace();
    await analyseMany(live, [
      source('prisma/schema.prisma', SCHEMA(''), 'prisma'),
      source('src/routes/orders.ts', ROUTES, 'typescript'),
    ]);
    assert.equal(findingsOf(live, 'src/routes/orders.ts').length, 1);
    live.remove('prisma/schema.prisma');
    assert.deepEqual(findingsOf(live, 'src/routes/orders.ts'), []);
  });

  it('re-checks the models of a multi-file schema when its datasource file changes', async () => {
    const live = workspace();
    const datasource = (provider: string) =>
      `datasource db {\n  provider = "${provider}"\n  url      = env("DATABASE_URL")\n}\n`;
    const models = `model User {
  id    Int    @id
  posts Post[]
}

model Post {
  id       Int  @id
  authorId Int
  author   User @relation(fields: [authorId], references: [id])
}
`;
    const relationFindings = () =>
      live
        .findings('prisma/schema/post.prisma')
        .filter((f) => f.ruleId === 'prisma-relation-without-index');
    await analyseMany(live, [
      source('prisma/schema/schema.prisma', datasource('postgresql'), 'prisma'),
      source('prisma/schema/post.prisma', models, 'prisma'),
    ]);
    assert.equal(relationFindings().length, 1);
    // MySQL indexes foreign keys itself: the finding in the other file goes.
    const changed = live.update(
      source('prisma/schema/schema.prisma', datasource('mysql'), 'prisma'),
    );
    assert.ok(changed.has('prisma/schema/post.prisma'), `changed: ${[...changed].join(', ')}`);
    assert.equal(relationFindings().length, 0);
  });
});
