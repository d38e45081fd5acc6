/**
 * Drizzle databases, recognised only on evidence. The names `DRIZZLE_DATABASE` accepts (`db`,
 * `tx`, `database`, `drizzle`, `this.db`) count in a file that imports anything from
 * `drizzle-orm` (its operators `eq`/`and`, a database type such as `NodePgDatabase`, the
 * `drizzle` factory), or when the name is imported from a module that makes the database with
 * `drizzle(...)` (recorded in that module's facts as `DRIZZLE_DATABASE_VALUE`), or is a
 * transaction started on such a database (`db.transaction(async (tx) => ...)`).
 *
 * A monorepo's db package often re-exports `drizzle-orm` (`export * from 'drizzle-orm'`,
 * `export { drizzle } from 'drizzle-orm/libsql'`) and apps import everything from it: its facts
 * then record the re-export (`moduleDrizzleReexports`), so importing from that package is evidence
 * as well, and `drizzle(...)` of the factory it re-exports makes a database (the index follows the
 * package's barrels to both).
 */
import type { FileContext } from '../engine/rule';
import type { ClassFact } from '../workspace/facts';
import { ts } from './compiler';
import { DRIZZLE_DATABASE } from './knowledge';
import { importsModule, unwrap, type TsModel } from './model';

/**
 * The fact kind of a module-level Drizzle database other modules import; also of the `drizzle`
 * factory a workspace package re-exports (what a factory makes is what its products are).
 */
export const DRIZZLE_DATABASE_VALUE = 'drizzle-database';

/** The fact kind and name recording that a module re-exports `drizzle-orm` (not a JS name). */
const DRIZZLE_ORM_REEXPORT = '(drizzle-orm)';

/** `drizzle-orm` and its driver entry points (`drizzle-orm/node-postgres`, `drizzle-orm/pg-core`). */
function isDrizzleModule(module: string): boolean {
  return module === 'drizzle-orm' || module.startsWith('drizzle-orm/');
}

/** Whether the file imports anything from `drizzle-orm`. */
function importsDrizzle(model: TsModel): boolean {
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

/**
 * What the module re-exports of `drizzle-orm`, for its facts: a `(drizzle-orm)` marker when it
 * re-exports anything of it, and the `drizzle` factory under each name it goes by
 * (`export { drizzle } from 'drizzle-orm/libsql'`, `export { drizzle as mysqlDrizzle } from ...`,
 * `export * from 'drizzle-orm/node-postgres'`). Type-only re-exports are no evidence of a database.
 */
export function moduleDrizzleReexports(model: TsModel): ClassFact[] {
  const facts: ClassFact[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !isDrizzleModule(specifier.text)) continue;
    const clause = statement.exportClause;
    const values =
      !clause || !ts.isNamedExports(clause) || clause.elements.some((e) => !e.isTypeOnly);
    if (!values) continue;
    if (!facts.some((fact) => fact.name === DRIZZLE_ORM_REEXPORT))
      facts.push({ name: DRIZZLE_ORM_REEXPORT, orm: DRIZZLE_ORM_REEXPORT });
    // The root `drizzle-orm` has no factory; each driver entry point exports one.
    if (!clause && specifier.text !== 'drizzle-orm')
      facts.push({ name: 'drizzle', orm: DRIZZLE_DATABASE_VALUE });
    if (clause && ts.isNamedExports(clause))
      for (const element of clause.elements)
        if (!element.isTypeOnly && (element.propertyName ?? element.name).text === 'drizzle')
          facts.push({ name: element.name.text, orm: DRIZZLE_DATABASE_VALUE });
  }
  return facts;
}

/** A factory name the Drizzle one goes by when a package re-exports it (`drizzle`, `mysqlDrizzle`). */
const FACTORY_NAME = /^drizzle$|Drizzle$/;

/**
 * Module variables made by a `drizzle`-named factory imported from a workspace module (`export
 * const db = drizzle(client, { schema })` with `drizzle` from `@acme/db`), with the factory's
 * local name: the index tells whether that module re-exports Drizzle's factory.
 */
export function workspaceFactoryDatabases(model: TsModel): { name: string; factory: string }[] {
  const found: { name: string; factory: string }[] = [];
  const factoryOf = (expression: ts.Expression): string | undefined => {
    const node = unwrap(expression);
    if (!ts.isCallExpression(node)) return undefined;
    const callee = unwrap(node.expression);
    if (!ts.isIdentifier(callee)) return undefined;
    const imported = model.imports.get(callee.text);
    return imported && FACTORY_NAME.test(imported.imported) && !isDrizzleModule(imported.module)
      ? callee.text
      : undefined;
  };
  for (const [name, declaration] of model.moduleVariables) {
    const factory = declaration.initializer && factoryOf(declaration.initializer);
    if (factory) found.push({ name, factory });
  }
  for (const statement of model.sourceFile.statements)
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const factory = factoryOf(statement.expression);
      if (factory) found.push({ name: 'default', factory });
    }
  return found;
}

/**
 * Whether the file has Drizzle evidence: it imports `drizzle-orm`, or a workspace module that
 * re-exports it (`import { eq } from '@acme/db'`, found through that package's barrels).
 * `moduleOf` names the workspace module an import resolves to.
 */
export function hasDrizzleEvidence(
  ctx: FileContext,
  model: TsModel,
  moduleOf: (local: string) => string | undefined,
): boolean {
  if (importsDrizzle(model)) return true;
  const asked = new Set<string>();
  for (const local of model.imports.keys()) {
    const module = moduleOf(local);
    if (module === undefined || asked.has(module)) continue;
    asked.add(module);
    const marker = module ? `${module}.${DRIZZLE_ORM_REEXPORT}` : DRIZZLE_ORM_REEXPORT;
    if (ctx.index.ormModelOf([marker]) === DRIZZLE_ORM_REEXPORT) return true;
  }
  return false;
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
