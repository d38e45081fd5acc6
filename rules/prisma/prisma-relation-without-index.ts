import type { Rule } from '../../server/src/engine/rule';
import { addPrismaIndexEdits } from '../../server/src/prisma/edits';
import {
  indexesForeignKeysImplicitly,
  type PrismaField,
  type PrismaModel,
} from '../../server/src/prisma/schema';

/**
 * Whether some index of the model starts with exactly `fields`, in any order: `(a, b)` serves a
 * lookup by `b = ? AND a = ?` as well as by `a = ? AND b = ?`.
 */
function hasLeadingIndex(model: PrismaModel, fields: readonly string[]): boolean {
  const wanted = new Set(fields);
  return model.indexes.some(
    (index) =>
      index.fields.length >= fields.length &&
      index.fields.slice(0, fields.length).every((field) => wanted.has(field)),
  );
}

const list = (fields: readonly string[]): string => fields.join(', ');

/** Relation scalar fields (`authorId` in `@relation(fields: [authorId], ...)`) no index leads. */
export const prismaRelationWithoutIndex: Rule = {
  meta: {
    id: 'prisma-relation-without-index',
    language: 'prisma',
    category: 'missing-index',
    severity: 'warning',
    summary: 'Relation field (`@relation(fields: [authorId], ...)`) that no `@@index` leads',
    fix: {
      title: 'Add `@@index([<fields>])` to the model',
      safety: 'safe',
      availability: 'always',
    },
    docs: {
      whatItDoes:
        'Finds the scalar fields of a relation, the `authorId` of `author User @relation(fields: ' +
        '[authorId], references: [id])`, that no index of the model starts with: no `@id`, `@unique`, ' +
        '`@@id`, `@@unique` or `@@index` whose first fields are the relation\u2019s fields. It reports ' +
        'on the scalar field\u2019s line.',
      whyIsThisBad:
        'PostgreSQL, SQLite, SQL Server and CockroachDB do not index the referencing side of a foreign ' +
        'key, and with `relationMode = "prisma"` there is no foreign key at all. Every `include: { posts: ' +
        'true }`, every `where: { authorId }`, every nested `posts: { some: ... }` filter and every delete ' +
        'of a `User` (which must find or cascade to the posts) then reads the whole `Post` table. It is ' +
        'fast in development with a hundred rows and a full scan per request in production.',
      example: [
        'model Post {',
        '  id       Int    @id @default(autoincrement())',
        '  title    String',
        '  authorId Int',
        '  author   User   @relation(fields: [authorId], references: [id])',
        '}',
      ].join('\n'),
      useInstead: [
        'model Post {',
        '  id       Int    @id @default(autoincrement())',
        '  title    String',
        '  authorId Int',
        '  author   User   @relation(fields: [authorId], references: [id])',
        '',
        '  @@index([authorId])',
        '}',
      ].join('\n'),
      notFlagged: [
        'MySQL datasources without `relationMode = "prisma"`: InnoDB creates an index for every foreign key itself. ' +
          'In a multi-file schema (`prismaSchemaFolder`) the datasource declared in a `.prisma` file of the same folder or a folder above applies.',
        'Relation fields that lead an index: `@id`, `@unique` (one-to-one relations), or an `@@id`, `@@unique` or `@@index` that starts with them, such as `@@index([authorId, createdAt])` or `@@id([postId, tagId])` for `postId`.',
        'Composite relations (`fields: [tenantId, customerId]`) whose fields lead an index together, in either order.',
        'The back-relation side (`posts Post[]`, `profile Profile?`), which holds no key.',
      ],
      fixSafety:
        'Safe: an index changes no query result. The fix adds `@@index([<fields>])` as the last line of ' +
        'the model; create a migration (`prisma migrate dev`) to build it. On a large live PostgreSQL ' +
        'table, edit the generated migration to `CREATE INDEX CONCURRENTLY`.',
    },
  },
  check(ctx) {
    const schema = ctx.prisma;
    if (!schema) return;
    // A multi-file schema declares its datasource in one file: the index finds it for the others.
    const datasource = schema.datasource ?? ctx.index.prismaDatasource(ctx.file);
    if (indexesForeignKeysImplicitly(datasource)) return;
    for (const model of schema.models) {
      const reported = new Set<string>();
      for (const field of model.fields) {
        const fields = field.relation?.fields ?? [];
        const key = [...fields].sort().join(',');
        if (fields.length === 0 || reported.has(key) || hasLeadingIndex(model, fields)) continue;
        reported.add(key);
        // Reported on the first scalar field; the relation field when it names a missing one.
        const scalar: PrismaField =
          model.fields.find((candidate) => candidate.name === fields[0]) ?? field;
        const one = fields.length === 1;
        const subject = one
          ? `Relation field \`${model.name}.${fields[0]}\` has`
          : `Relation fields \`(${list(fields)})\` of \`${model.name}\` have`;
        ctx.report({
          start: scalar.start,
          end: scalar.end,
          message:
            `${subject} no index (\`${field.name}\` to \`${field.type}\`): \`include\`s, filters ` +
            `by ${one ? 'it' : 'them'} and deletes of \`${field.type}\` rows scan all of \`${model.name}\``,
          fixes: [
            {
              title: `Add \`@@index([${list(fields)}])\` to \`${model.name}\``,
              safety: 'safe',
              edits: addPrismaIndexEdits(ctx.text, model, fields),
            },
          ],
        });
      }
    }
  },
};
