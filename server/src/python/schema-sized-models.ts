/**
 * Django's own models whose tables hold rows per model class, not per record: their size follows
 * the schema, like a database catalog, however much data the app stores.
 */
import type { OrmRead } from './orm';
import type { PythonModel } from './model';

/** Qualified names: one content type per model; a few permissions per model (and custom ones). */
const SCHEMA_SIZED_MODELS = new Set([
  'django.contrib.contenttypes.models.ContentType',
  'django.contrib.auth.models.Permission',
]);

/**
 * A Django read of those tables only (`ContentType.objects.filter(app_label=...)`, NetBox's
 * dashboard listing the content types that support export templates), the class imported from
 * Django itself: a workspace class of the same name is judged as usual.
 */
export function readsSchemaSizedModels(read: OrmRead, model: PythonModel): boolean {
  return (
    read.kind === 'django' &&
    read.models.length > 0 &&
    read.models.every((name) => SCHEMA_SIZED_MODELS.has(model.imports.get(name) ?? ''))
  );
}
