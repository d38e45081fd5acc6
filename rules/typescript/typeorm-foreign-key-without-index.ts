import { indexesForeignKeysItself, projectDatabase } from '../../server/src/config/database';
import { lineEndingOf } from '../../server/src/engine/line-endings';
import type { FileContext, Rule } from '../../server/src/engine/rule';
import type { Fix, TextEdit } from '../../server/src/engine/types';
import { ts } from '../../server/src/typescript/compiler';
import { importNamedFrom } from '../../server/src/typescript/edits';
import { isScriptOrTestPath } from '../../server/src/typescript/knowledge';
import type { TsModel } from '../../server/src/typescript/model';
import { indentationAt } from '../../server/src/typescript/name-resolution';
import {
  entityTableNames,
  indexedByEntity,
  manyToOneRelations,
  relationColumnNames,
  typeormEntities,
  type ManyToOneRelation,
} from '../../server/src/typescript/typeorm-entities';

/**
 * Whether a `CREATE INDEX` the workspace runs (a TypeORM migration's `queryRunner.query(...)` or
 * `createIndex(...)`, a `.sql` file) leads with the relation's column on the entity's table. Both
 * names are matched leniently: the table by any name the entity may have, the column by its
 * default and snake_case names, case-insensitively.
 */
function indexedBySql(ctx: FileContext, relation: ManyToOneRelation): boolean {
  const columns = relationColumnNames(relation);
  return entityTableNames(relation.entity).some((table) =>
    ctx.index
      .indexesOn(table)
      .some((index) => columns.includes((index.columns[0] ?? '').toLowerCase())),
  );
}

/**
 * The finding: the key by its `@JoinColumn` name, or with the name TypeORM's default naming gives
 * it (a snake_case naming strategy would write `author_id` instead).
 */
function describe(relation: ManyToOneRelation): string {
  const { entity, property, target, column, named } = relation;
  const parent = target ? `\`${target}\` rows` : 'the referenced rows';
  const to = target ? ` to \`${target}\`` : '';
  const key = named
    ? `Foreign key \`${column}\` of \`${entity.className}.${property.name}\` (\`@ManyToOne\`${to})`
    : `Foreign key of \`${entity.className}.${property.name}\` (\`@ManyToOne\`${to}; ` +
      `\`${column}\` by default)`;
  return (
    `${key} has no index leading with it: joins, ` +
    `\`where: { ${property.name}: { id } }\` filters and deletes of ${parent} scan the whole ` +
    `\`${entity.tableName ?? entity.className}\` table`
  );
}

/**
 * How the file writes TypeORM's `Index`: its import (`Index`, an alias, `typeorm.Index` through a
 * namespace import), or `Index` added to the file's `{ ... }` import from `typeorm` when the name
 * is free. Undefined when neither is possible.
 */
function indexDecoratorOf(model: TsModel): { name: string; edits: TextEdit[] } | undefined {
  let namespace: string | undefined;
  for (const [local, imported] of model.imports) {
    if (imported.module !== 'typeorm') continue;
    if (imported.imported === 'Index') return { name: local, edits: [] };
    if (imported.imported === '*') namespace = local;
  }
  if (namespace) return { name: `${namespace}.Index`, edits: [] };
  const edits = importNamedFrom(model, 'typeorm', 'Index');
  return edits && { name: 'Index', edits };
}

/**
 * `@Index()` written before the property's first decorator: on a line of its own, indented as
 * that decorator, when the decorator starts its line; else before it on the same line.
 */
function addIndexFix(model: TsModel, relation: ManyToOneRelation): Fix | undefined {
  const decorator = indexDecoratorOf(model);
  if (!decorator) return undefined;
  const first = ts.getDecorators(relation.property.node)?.[0] ?? relation.decorator;
  const at = first.getStart(model.sourceFile);
  const indent = indentationAt(model.text, at);
  const lineStart = model.text.lastIndexOf('\n', at - 1) + 1;
  const ownLine = at - lineStart === indent.length;
  const written = `@${decorator.name}()`;
  const newText = ownLine ? `${written}${lineEndingOf(model.text)}${indent}` : `${written} `;
  return {
    title: `Add \`${written}\` to \`${relation.entity.className}.${relation.property.name}\``,
    safety: 'safe',
    edits: [{ start: at, end: at, newText }, ...decorator.edits],
  };
}

/** TypeORM `@ManyToOne` relations whose foreign-key column no index leads. */
export const typeormForeignKeyWithoutIndex: Rule = {
  meta: {
    id: 'typeorm-foreign-key-without-index',
    language: 'typescript',
    category: 'missing-index',
    severity: 'warning',
    summary: 'TypeORM `@ManyToOne` relation whose foreign-key column no index leads',
    fix: {
      title: 'Add `@Index()` to the `@ManyToOne` property',
      safety: 'safe',
      availability: 'sometimes',
    },
    docs: {
      whatItDoes:
        'Finds the `@ManyToOne` relations of TypeORM entities (classes decorated `@Entity(...)`, ' +
        'with the decorators imported from `typeorm`) whose foreign-key column no index leads: no ' +
        '`@Index()` or `@Unique()` on the relation or on the property that declares its column ' +
        'explicitly (`@Column() authorId`), no class-level `@Index([...])` or `@Unique([...])` ' +
        'whose first column is either, the column is not the first primary column, and no ' +
        '`CREATE INDEX` the workspace runs (a migration\u2019s `queryRunner.query(...)`, ' +
        '`queryRunner.createIndex(...)` or `createTable(...)` indices, a `.sql` file) leads ' +
        'with it. The column is the ' +
        '`@JoinColumn({ name })`, else TypeORM\u2019s default `<property>Id`.',
      whyIsThisBad:
        'PostgreSQL, SQLite and SQL Server do not index the referencing side of a foreign key, and ' +
        'TypeORM adds no index for `@ManyToOne`. Every join from the parent ' +
        '(`relations: { posts: true }`, `leftJoinAndSelect`), every `where: { author: { id } }` ' +
        'filter, and every delete or key update of a parent row (which must find the children to ' +
        'cascade, null or refuse) then reads the whole child table. It is fast in development with ' +
        'a hundred rows and a full scan per request in production.',
      example: [
        "import { Entity, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';",
        '',
        '@Entity()',
        'export class Post {',
        '  @PrimaryGeneratedColumn() id: number;',
        '',
        "  @ManyToOne(() => Author, (author) => author.posts, { onDelete: 'CASCADE' })",
        '  author: Author;',
        '}',
      ].join('\n'),
      useInstead: [
        "import { Entity, Index, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';",
        '',
        '@Entity()',
        'export class Post {',
        '  @PrimaryGeneratedColumn() id: number;',
        '',
        '  @Index()',
        "  @ManyToOne(() => Author, (author) => author.posts, { onDelete: 'CASCADE' })",
        '  author: Author;',
        '}',
      ].join('\n'),
      notFlagged: [
        'Relations covered by the entity: `@Index()` or `@Unique()` on the `@ManyToOne` property, or on the property declaring its column explicitly (`@Column() authorId`, or a column decorator with `name` equal to the `@JoinColumn` name; a `@RelationId` property only reads the column and does not count), `unique: true` in that column\u2019s options, a class-level `@Index([...])` / `@Unique([...])` (or `(e) => [e.author, ...]`) whose first column is the relation, its column or its column property, and a column that is the first primary column the class declares (`@PrimaryColumn() authorId` of a join entity).',
        'Relations indexed by SQL the workspace runs: a `CREATE [UNIQUE] INDEX` in a string a database call receives (TypeORM migrations\u2019 `await queryRunner.query("CREATE INDEX ...")`), `queryRunner.createIndex("post", new TableIndex({ columnNames: [...] }))` / `createIndices`, the `indices` and `uniques` of `queryRunner.createTable(new Table({ name: "post", ... }))`, or a `.sql` file, on a table of the entity\u2019s name (`@Entity("name")`, else the class name snake-cased or as written) whose first column is the relation\u2019s column (its default name, snake_case or `@Column({ name })`, case-insensitively). Code in a function named `down` (a migration\u2019s rollback) and in test files does not count, and drops are not applied.',
        '`@OneToOne` relations: the owning side (with `@JoinColumn()`) gets a `UNIQUE` constraint from TypeORM (`REL_...`, an index on MySQL), which indexes its column; the other side has no column. `@OneToMany` and `@ManyToMany` sides hold no foreign-key column in the entity\u2019s table (TypeORM indexes junction tables itself).',
        '`@ManyToOne` with `createForeignKeyConstraints: false` (no foreign key, so no cascade to scan for), composite join columns (`@JoinColumn([...])`), relations declared on a base class without `@Entity` or on a `@ChildEntity`, `EntitySchema` definitions, and classes whose `@Entity`/`@ManyToOne` are not imported from `typeorm` (DTOs, MikroORM entities). Entities in test and script files.',
        'Projects on MySQL or MariaDB, where InnoDB creates an index for every foreign key itself: `"sql": { "database": "mysql" }` in `perflens.json`, or, without that key, when every database the workspace names is MySQL or MariaDB: the `type` of TypeORM connection options written as a string (`new DataSource({ type: "mysql", ... })`, `TypeOrmModule.forRoot({ type: "mariadb", ... })`, outside test files), and the database URLs of its Python code. A project whose connection type is read from the environment, or whose options name several databases, has an unknown database and is checked. CockroachDB, where TypeORM creates the indexes itself, is not recognised: turn the rule off there.',
      ],
      fixSafety:
        'Safe: an index changes no query result. The fix writes `@Index()` above the `@ManyToOne` ' +
        'property (the order of decorators does not matter) and adds `Index` to the file\u2019s ' +
        '`import { ... } from "typeorm"` when missing; through a namespace import it writes ' +
        '`@typeorm.Index()`. It is not offered when the file binds the name `Index` to something ' +
        'else or has no import from `typeorm` to extend. With `synchronize: true` TypeORM builds ' +
        'the index at the next start; with migrations, generate one (`typeorm migration:generate`), ' +
        'and on a large live PostgreSQL table edit it to `CREATE INDEX CONCURRENTLY` (with ' +
        '`transaction = false`).',
    },
  },
  check(ctx) {
    const model = ctx.typescript;
    if (!model || isScriptOrTestPath(ctx.relativePath)) return;
    const entities = typeormEntities(model);
    if (entities.length === 0) return;
    // InnoDB gives every foreign key an index: nothing here is unindexed on MySQL or MariaDB.
    if (indexesForeignKeysItself(projectDatabase(ctx))) return;
    for (const entity of entities) {
      for (const relation of manyToOneRelations(entity)) {
        if (indexedByEntity(relation) || indexedBySql(ctx, relation)) continue;
        const fix = addIndexFix(model, relation);
        ctx.report({
          start: relation.decorator.getStart(model.sourceFile),
          end: relation.property.node.end,
          message: describe(relation),
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
};
