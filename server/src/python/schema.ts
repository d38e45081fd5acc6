/**
 * The schema a Python file declares (SQLAlchemy and Django models, Alembic migrations, the indexes
 * its SQL strings create) and the columns its ORM queries filter and sort on.
 */
import type { QueryColumnUse, SchemaFacts } from '../workspace/facts';
import { emptySchema } from '../workspace/facts';
import type { PythonModel } from './model';
import { extractAlembicSchema } from './schema-alembic';
import { extractDjangoSaveReceivers, extractDjangoSchema } from './schema-django';
import { extractQueryColumns } from './schema-queries';
import { extractSqlAlchemySchema } from './schema-sqlalchemy';
import { extractStartupIndexes, MAY_CREATE_INDEX } from './schema-startup-ddl';

/** Cheap text checks that let files without any schema skip the extractors. */
const MENTIONS_SQLALCHEMY =
  /\b(?:Column|mapped_column|Table)\s*\(|__tablename__|\bSQLModel\b|Mapped\[/;
const MENTIONS_DJANGO = /\bmodels\b|django/;
/**
 * What a file declaring Django models holds: a Django import, or `models.Model` as a base (see
 * `isModelBase`). Narrower than MENTIONS_DJANGO, which `from app.models import User` in a FastAPI
 * route matches: such files went into the scan's schema round, where rules reading the index wait,
 * and were parsed a second time to run them (a tenth of a scan of FastAPI apps).
 */
const MAY_DECLARE_DJANGO_MODELS = /django|\bmodels\.Model\b/;
const MENTIONS_ALEMBIC = /^down_revision\b/m;
/** Django's save signals, whose receivers the bulk writes skip (modules importing them name Django). */
const SAVE_SIGNAL = /\b(?:pre|post)_save\b/;

/**
 * Whether Python source may declare schema (models, tables, migrations). A scan analyses such
 * files first, so per-file rules elsewhere see every table when they run. A false positive costs
 * nothing; a miss is caught afterwards (see `cli/scan.ts`).
 */
export function mayDeclarePythonSchema(source: string): boolean {
  return (
    MENTIONS_ALEMBIC.test(source) ||
    MENTIONS_SQLALCHEMY.test(source) ||
    MAY_DECLARE_DJANGO_MODELS.test(source) ||
    MAY_CREATE_INDEX.test(source)
  );
}

/** Tables, indexes and index operations declared in the file. */
export function extractPythonSchema(model: PythonModel): SchemaFacts {
  const schema = emptySchema();
  const source = model.source;
  if (MENTIONS_ALEMBIC.test(source)) extractAlembicSchema(model, schema);
  if (schema.migration) return schema;
  if (MENTIONS_SQLALCHEMY.test(source)) extractSqlAlchemySchema(model, schema);
  if (MENTIONS_DJANGO.test(source) && model.classes.length > 0) extractDjangoSchema(model, schema);
  if (SAVE_SIGNAL.test(source)) extractDjangoSaveReceivers(model, schema);
  extractStartupIndexes(model, schema);
  return schema;
}

/** Columns used in `filter`, `filter_by`, `where` and `order_by` calls. */
export function extractPythonQueryColumns(model: PythonModel): QueryColumnUse[] {
  return extractQueryColumns(model);
}
