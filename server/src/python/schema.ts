/**
 * The schema a Python file declares (SQLAlchemy and Django models, Alembic migrations) and the
 * columns its ORM queries filter and sort on.
 */
import type { QueryColumnUse, SchemaFacts } from '../workspace/facts';
import { emptySchema } from '../workspace/facts';
import type { PythonModel } from './model';

/** Tables, indexes and index operations declared in the file. */
export function extractPythonSchema(_model: PythonModel): SchemaFacts {
  return emptySchema();
}

/** Columns used in `filter`, `filter_by`, `where` and `order_by` calls. */
export function extractPythonQueryColumns(_model: PythonModel): QueryColumnUse[] {
  return [];
}
