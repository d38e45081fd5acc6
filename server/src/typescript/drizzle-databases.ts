/**
 * Drizzle databases, recognised only on evidence. The names `DRIZZLE_DATABASE` accepts (`db`,
 * `tx`, `database`, `drizzle`, `this.db`) count in a file that imports anything from
 * `drizzle-orm` (its operators `eq`/`and`, a database type such as `NodePgDatabase`, the
 * `drizzle` factory), or when the name is imported from a module that makes the database with
 * `drizzle(...)` (recorded in that module's facts as `DRIZZLE_DATABASE_VALUE`), or is a
 * transaction started on such a database (`db.transaction(async (tx) => ...)`).
 */
import { ts } from './compiler';
import { DRIZZLE_DATABASE } from './knowledge';
import { importsModule, unwrap, type TsModel } from './model';

/** The fact kind of a module-level Drizzle database other modules import. */
export const DRIZZLE_DATABASE_VALUE = 'drizzle-database';

/** `drizzle-orm` and its driver entry points (`drizzle-orm/node-postgres`, `drizzle-orm/pg-core`). */
function isDrizzleModule(module: string): boolean {
  return module === 'drizzle-orm' || module.startsWith('drizzle-orm/');
}

/** Whether the file imports anything from `drizzle-orm`. */
export function importsDrizzle(model: TsModel): boolean {
  return importsModule(model, isDrizzleModule);
}

/**
 * `drizzle(...)` of the factory a driver entry point exports (`import { drizzle } from
 * 'drizzle-orm/node-postgres'`), also as the fallback of a cached one (`global.db ?? drizzle(...)`).
 */
function isDrizzleFactoryCall(model: TsModel, expression: ts.Expression): boolean {
  const node = unwrap(expression);
  if (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
      node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return isDrizzleFactoryCall(model, node.right);
  if (!ts.isCallExpression(node)) return false;
  const callee = unwrap(node.expression);
  if (!ts.isIdentifier(callee)) return false;
  const imported = model.imports.get(callee.text);
  return !!imported && imported.imported === 'drizzle' && isDrizzleModule(imported.module);
}

const databasesOfModel = new WeakMap<TsModel, string[]>();

/**
 * The module's Drizzle databases other modules import, for the file's facts: module variables
 * the factory made (`export const db = drizzle(pool, { schema })`), and `export default
 * drizzle(...)` (`default`).
 */
export function moduleDrizzleDatabases(model: TsModel): string[] {
  let names = databasesOfModel.get(model);
  if (names) return names;
  names = [];
  if (importsDrizzle(model)) {
    for (const [name, declaration] of model.moduleVariables)
      if (declaration.initializer && isDrizzleFactoryCall(model, declaration.initializer))
        names.push(name);
    for (const statement of model.sourceFile.statements)
      if (
        ts.isExportAssignment(statement) &&
        !statement.isExportEquals &&
        isDrizzleFactoryCall(model, statement.expression)
      )
        names.push('default');
  }
  databasesOfModel.set(model, names);
  return names;
}

/** `db`, `this.db`, `tx`: the names a Drizzle database goes by. */
const DATABASE_NAME = new RegExp(`^${DRIZZLE_DATABASE}$`);

/** Whether the name `text` is one a Drizzle database goes by. */
export function isDrizzleDatabaseName(text: string): boolean {
  return DATABASE_NAME.test(text);
}
