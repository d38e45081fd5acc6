import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix } from '../../server/src/engine/types';
import { addPrismaIndexEdits, hasIndexOnFields, widenEdits } from '../../server/src/prisma/edits';
import {
  indexesForeignKeysImplicitly,
  type PrismaField,
  type PrismaIndex,
  type PrismaModel,
  type PrismaRelation,
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

/** `@default(uuid())`, `cuid()`, `autoincrement()`...: a value no other row of the table shares. */
const GENERATED_UNIQUE_DEFAULT =
  /@default\(\s*(?:uuid|cuid|ulid|nanoid|autoincrement|dbgenerated\(\s*"(?:gen_random_uuid|uuid_generate_v4)\(\)"\s*)\s*\(/;

/**
 * Whether the parent's field alone tells its rows apart: `@id`, `@unique`, or a generated id
 * (`id String @default(uuid())` inside `@@id([id, userId])`, the multi-tenant composite key).
 */
function singlyIdentifies(text: string, parent: PrismaModel, name: string): boolean {
  const field = parent.fields.find((candidate) => candidate.name === name);
  if (!field) return false;
  return (
    hasIndexOnFields(parent, [name]) ||
    GENERATED_UNIQUE_DEFAULT.test(text.slice(field.start, field.end))
  );
}

/**
 * The relation fields that pick out one parent row on their own (`accountId` of `fields:
 * [accountId, userId], references: [id, userId]` when `Account.id` is a uuid). An index led by one
 * of them narrows a lookup or a cascade to that parent's rows: the other key fields only sift them.
 */
function identifyingFields(
  text: string,
  parent: PrismaModel | undefined,
  relation: PrismaRelation,
): Set<string> {
  const identifying = new Set<string>();
  if (!parent) return identifying;
  relation.fields.forEach((name, i) => {
    const referenced = relation.references[i];
    if (referenced !== undefined && singlyIdentifies(text, parent, referenced))
      identifying.add(name);
  });
  return identifying;
}

/** Whether an index starts with one of `fields`. */
const ledByOneOf = (model: PrismaModel, fields: ReadonlySet<string>): PrismaIndex | undefined =>
  model.indexes.find((index) => index.fields.length > 0 && fields.has(index.fields[0]));

const list = (fields: readonly string[]): string => fields.join(', ');

/** The finding for relation fields no index leads; `partial` leads with some of them. */
function describe(model: PrismaModel, field: PrismaField, fields: readonly string[]): string {
  const one = fields.length === 1;
  const subject = one
    ? `Relation field \`${model.name}.${fields[0]}\` has`
    : `Relation fields \`(${list(fields)})\` of \`${model.name}\` have`;
  return (
    `${subject} no index (\`${field.name}\` to \`${field.type}\`): \`include\`s, filters ` +
    `by ${one ? 'it' : 'them'} and deletes of \`${field.type}\` rows scan all of \`${model.name}\``
  );
}

/**
 * The finding for a composite relation whose index leads with only some of its fields (the tenant
 * column of `(tenantId, customerId)`): lookups narrow to the rows sharing that value, not one
 * parent's rows.
 */
function describePartial(
  model: PrismaModel,
  field: PrismaField,
  fields: readonly string[],
  index: PrismaIndex,
): string {
  return (
    `Relation fields \`(${list(fields)})\` of \`${model.name}\` lead no index together ` +
    `(\`${field.name}\` to \`${field.type}\`): the index on \`(${list(index.fields)})\` finds ` +
    `every \`${model.name}\` row sharing its \`${index.fields[0]}\`, and \`include\`s, filters by ` +
    `the relation and deletes of \`${field.type}\` rows read them all`
  );
}

function addIndexFix(ctx: FileContext, model: PrismaModel, fields: readonly string[]): Fix {
  return {
    title: `Add \`@@index([${list(fields)}])\` to \`${model.name}\``,
    safety: 'safe',
    edits: addPrismaIndexEdits(ctx.text, model, fields),
  };
}

function reportRelation(
  ctx: FileContext,
  model: PrismaModel,
  field: PrismaField,
  fields: readonly string[],
): void {
  // Reported on the first scalar field; the relation field when it names a missing one.
  const scalar = model.fields.find((candidate) => candidate.name === fields[0]) ?? field;
  const partial = fields.length > 1 ? ledByOneOf(model, new Set(fields)) : undefined;
  const widen = partial && widenEdits(ctx.text, partial, fields);
  const fix: Fix = widen
    ? {
        title: `Widen \`@@index([${list(partial.fields)}])\` to \`@@index([${list(widen.widened)}])\``,
        safety: 'safe',
        edits: widen.edits,
      }
    : addIndexFix(ctx, model, fields);
  ctx.report({
    start: scalar.start,
    end: scalar.end,
    message: partial
      ? describePartial(model, field, fields, partial)
      : describe(model, field, fields),
    fixes: [fix],
  });
}

/** Relation scalar fields (`authorId` in `@relation(fields: [authorId], ...)`) no index leads. */
export const prismaRelationWithoutIndex: Rule = {
  meta: {
    id: 'prisma-relation-without-index',
    language: 'prisma',
    category: 'missing-index',
    severity: 'warning',
    summary: 'Relation field (`@relation(fields: [authorId], ...)`) that no `@@index` leads',
    fix: {
      title: 'Add `@@index([<fields>])` to the model, or widen the index that holds some of them',
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
        'Relation fields that lead an index: `@id`, `@unique` (one-to-one relations), or an `@@id`, `@@unique` or `@@index` that starts with them, such as `@@index([authorId, createdAt])` or `@@id([postId, tagId])` for `postId`. A one-field list written without brackets counts the same: `@@index(authorId)`, `@@index(authorId(sort: Desc))`, `@@unique(authorId)`, `@@index(authorId, type: Hash)`.',
        'Composite relations (`fields: [tenantId, customerId]`) whose fields lead an index together, in either order.',
        'Composite relations with an index led by a field that references a parent field which tells the parent\u2019s rows apart by itself (`@id`, `@unique`, or a generated `@default(uuid())`, `cuid()`, `autoincrement()`): `@@index([accountId])` for `fields: [accountId, userId], references: [id, userId]` when `Account.id` is a uuid in `@@id([id, userId])`. The index narrows a lookup or cascade to that one parent\u2019s rows and the other key fields only sift them, so a second `(accountId, userId)` index would duplicate it. A parent in another file of a multi-file schema is not looked up, and the relation is reported. An index led by a field shared by many parents (the tenant column) does not count: the relation is still reported, as reading the rows with that value, and the fix widens that index when it is a plain `@@index` of the relation\u2019s fields.',
        'The back-relation side (`posts Post[]`, `profile Profile?`), which holds no key.',
      ],
      fixSafety:
        'Safe: an index changes no query result. The fix adds `@@index([<fields>])` as the last line of ' +
        'the model, or, for a composite relation whose plain `@@index` holds only some of its fields ' +
        '(`@@index([tenantId])`, or `@@index(tenantId)` without brackets), appends the others to that index, which then serves its old lookups ' +
        'and the relation; create a migration (`prisma migrate dev`) to build it. On a large live PostgreSQL ' +
        'table, edit the generated migration to `CREATE INDEX CONCURRENTLY`.',
    },
  },
  check(ctx) {
    const schema = ctx.prisma;
    if (!schema) return;
    // A multi-file schema declares its datasource in one file: the index finds it for the others.
    const datasource = schema.datasource ?? ctx.index.prismaDatasource(ctx.file);
    if (indexesForeignKeysImplicitly(datasource)) return;
    // The models by name, the first of a name winning (as a search from the top would).
    const modelsByName = new Map<string, PrismaModel>();
    for (const model of schema.models)
      if (!modelsByName.has(model.name)) modelsByName.set(model.name, model);
    for (const model of schema.models) {
      const reported = new Set<string>();
      for (const field of model.fields) {
        const relation = field.relation;
        if (!relation || relation.fields.length === 0) continue;
        const key = [...relation.fields].sort().join(',');
        if (reported.has(key) || hasLeadingIndex(model, relation.fields)) continue;
        const parent = modelsByName.get(field.type);
        if (ledByOneOf(model, identifyingFields(ctx.text, parent, relation))) continue;
        reported.add(key);
        reportRelation(ctx, model, field, relation.fields);
      }
    }
  },
};
