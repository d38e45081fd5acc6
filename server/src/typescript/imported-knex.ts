/**
 * Knex instances another module of the workspace exports, imported under any name (`import
 * database from './db'`, `const { db: conn } = require('./lib/conn')`): that module's facts record
 * them (`moduleKnexInstances`), and the index confirms the import reaches one.
 */
import type { WorkspaceIndex } from '../workspace/index';
import { importedValueTargets } from './facts';
import { KNEX_INSTANCE } from './knex-instances';
import type { TsModel } from './model';

/** Whether the index says the qualified names an import may have (`importedValueTargets`) are a knex instance. */
export function confirmsKnexInstance(index: WorkspaceIndex, targets: readonly string[]): boolean {
  return targets.length > 0 && index.ormModelOf(targets) === KNEX_INSTANCE;
}

/** Whether the name `name` the file imports from a workspace module is a knex instance there. */
export function importsKnexInstance(index: WorkspaceIndex, model: TsModel, name: string): boolean {
  const imported = model.imports.get(name);
  if (!imported || imported.module === 'knex') return false;
  return confirmsKnexInstance(index, importedValueTargets(model, name));
}
