/** What a `schema.prisma` tells the workspace index: its models as tables, and their indexes. */
import type { ColumnFact, IndexFact, SchemaFacts, TableFact } from '../workspace/facts';
import {
  indexesForeignKeysImplicitly,
  type PrismaIndex,
  type PrismaModel,
  type PrismaSchemaModel,
} from './schema';

function modelTable(model: PrismaModel, schema: PrismaSchemaModel): TableFact {
  // The key a scalar field holds, from the relation field that names it in `fields: [...]`.
  const keys = new Map<string, { table: string; column: string }>();
  for (const field of model.fields) {
    const relation = field.relation;
    if (!relation) continue;
    relation.fields.forEach((name, i) =>
      keys.set(name, { table: field.type, column: relation.references[i] ?? 'id' }),
    );
  }
  // Without its own datasource (a multi-file schema) the file cannot tell; readers of the index
  // ask WorkspaceIndex.prismaDatasource.
  const implicit = indexesForeignKeysImplicitly(schema.datasource);
  const columns: ColumnFact[] = [];
  const relationships: string[] = [];
  const toManyRelations: Record<string, string> = {};
  const toOneRelations: Record<string, string> = {};
  for (const field of model.fields) {
    // Relation fields (`author User`, `posts Post[]`) are not columns.
    if (
      field.relation ||
      (field.list && !isScalarType(field.type, schema)) ||
      isModelType(field.type, schema)
    ) {
      relationships.push(field.name);
      if (isModelType(field.type, schema))
        (field.list ? toManyRelations : toOneRelations)[field.name] = field.type;
      continue;
    }
    // B-tree indexes only: the index view lists each column's own index with no access method,
    // and a hash index is in `indexes` below with its method.
    const own = model.indexes.filter(
      (index) => index.fields.length === 1 && index.fields[0] === field.name && isBTree(index),
    );
    const key = keys.get(field.name);
    columns.push({
      name: field.name,
      attribute: field.name,
      start: field.start,
      end: field.end,
      primaryKey: own.some((index) => index.kind === 'id'),
      unique: own.some((index) => index.kind === 'unique'),
      indexed: own.length > 0,
      type: field.type,
      ...(key
        ? { foreignKey: { table: key.table, column: key.column, targetClass: key.table } }
        : {}),
      ...(key && implicit ? { implicitlyIndexed: true } : {}),
    });
  }
  return {
    name: model.dbName ?? model.name,
    className: model.name,
    start: model.start,
    end: model.closeBrace + 1,
    columns,
    relationships,
    ...(Object.keys(toManyRelations).length > 0 ? { toManyRelations } : {}),
    ...(Object.keys(toOneRelations).length > 0 ? { toOneRelations } : {}),
    source: 'prisma',
  };
}

/** `@@index([...])` with no `type:`, or `type: BTree`. */
function isBTree(index: PrismaIndex): boolean {
  return index.type === undefined || index.type === 'BTree';
}

const SCALAR_TYPES = new Set([
  'String',
  'Boolean',
  'Int',
  'BigInt',
  'Float',
  'Decimal',
  'DateTime',
  'Json',
  'Bytes',
]);

function isScalarType(type: string, schema: PrismaSchemaModel): boolean {
  return SCALAR_TYPES.has(type) || schema.enums.has(type) || type.startsWith('Unsupported');
}

function isModelType(type: string, schema: PrismaSchemaModel): boolean {
  return schema.models.some((model) => model.name === type);
}

/** Tables and indexes of a parsed schema; index columns are field names, as queries write them. */
export function prismaSchemaFacts(schema: PrismaSchemaModel): SchemaFacts {
  const tables = schema.models.map((model) => modelTable(model, schema));
  const indexes: IndexFact[] = schema.models.flatMap((model) =>
    model.indexes
      .filter((index) => index.fields.length > 0)
      .map((index) => ({
        table: model.dbName ?? model.name,
        columns: index.fields,
        ...(index.name ? { name: index.name } : {}),
        unique: index.kind !== 'index',
        ...(isBTree(index) ? {} : { method: index.type!.toLowerCase() }),
        start: index.start,
        end: index.end,
      })),
  );
  return {
    tables,
    indexes,
    operations: [],
    ...(schema.datasource ? { prismaDatasource: schema.datasource } : {}),
  };
}
