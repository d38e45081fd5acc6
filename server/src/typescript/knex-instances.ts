/**
 * Knex instances, recognised only on evidence: a name declared with knex's `Knex` type, a module
 * variable made by the factory `knex` exports (`const db = knex({ client: 'pg' })`), or such a
 * variable another module exports (recorded in that module's facts as `KNEX_INSTANCE`). A
 * transaction is called like an instance (`trx('users')`): the parameter of a callback given to
 * an instance's `transaction(...)`, a variable `await db.transaction()` starts, or a name declared
 * `Knex.Transaction`. A function merely called `db` or `knex` is none of these.
 */
import { ts } from './compiler';
import { declaredTypeName } from './declared-types';
import { importsModule, semanticParent, unwrap, type TsModel } from './model';
import { aliasedExports } from './module-exports';
import { declarationOf } from './name-resolution';

/** The fact kind of a module-level knex instance other modules import (`export const db = knex(...)`). */
export const KNEX_INSTANCE = 'knex-instance';

/**
 * What the workspace index answers about knex instances of other files: whether a name the file
 * imports (`database` of `import database from './db'`) is one another module exports.
 */
export interface KnexInstanceSources {
  importsKnexInstance(instance: ts.Identifier): boolean;
}

const KNEX_MODULE = 'knex';

/**
 * `knex(...)`/`Knex(...)` of the factory imported from `knex` (also the whole module, `const knex =
 * require('knex')`, which is the factory), or `require('knex')(...)`.
 */
function isKnexFactoryCall(model: TsModel, node: ts.Expression): boolean {
  if (!ts.isCallExpression(node)) return false;
  const callee = unwrap(node.expression);
  if (ts.isIdentifier(callee)) {
    const imported = model.imports.get(callee.text);
    return (
      imported?.module === KNEX_MODULE &&
      (imported.imported === 'default' || imported.imported === 'knex' || imported.imported === '*')
    );
  }
  return (
    ts.isCallExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'require' &&
    callee.arguments.length === 1 &&
    ts.isStringLiteral(callee.arguments[0]) &&
    callee.arguments[0].text === KNEX_MODULE
  );
}

/** The `knex` package: only files importing something from it can make an instance. */
function isKnexModule(module: string): boolean {
  return module === KNEX_MODULE;
}

/** Whether the module variable `name` holds an instance the knex factory made in this file. */
export function isModuleKnexInstance(model: TsModel, name: string): boolean {
  const initializer = model.moduleVariables.get(name)?.initializer;
  return !!initializer && isKnexFactoryCall(model, unwrap(initializer));
}

const instancesOfModel = new WeakMap<TsModel, string[]>();

/** `require('knex')(...)`: the factory called in place, which binds no import. */
const REQUIRES_KNEX = /\brequire\(\s*['"]knex['"]\s*\)/;

/**
 * The module's knex instances other modules import, for the file's facts: module variables the
 * factory made, and the names the module exports one under (`export default knex({...})`,
 * `export default connection`, `module.exports = knex({...})` as `default`; `module.exports = {
 * database: db }`, `export { db as database }`).
 */
export function moduleKnexInstances(model: TsModel): string[] {
  let names = instancesOfModel.get(model);
  if (names) return names;
  names = [];
  if (importsModule(model, isKnexModule) || REQUIRES_KNEX.test(model.text)) {
    for (const name of model.moduleVariables.keys())
      if (isModuleKnexInstance(model, name)) names.push(name);
    for (const statement of model.sourceFile.statements)
      if (
        ts.isExportAssignment(statement) &&
        !statement.isExportEquals &&
        isKnexFactoryCall(model, unwrap(statement.expression))
      )
        names.push('default');
    for (const { name, value } of aliasedExports(model))
      if (!names.includes(name) && isExportedInstance(model, unwrap(value))) names.push(name);
  }
  instancesOfModel.set(model, names);
  return names;
}

/** An exported value that is a knex instance: the factory's call, or a variable holding one. */
function isExportedInstance(model: TsModel, value: ts.Expression): boolean {
  return ts.isIdentifier(value)
    ? isModuleKnexInstance(model, value.text)
    : isKnexFactoryCall(model, value);
}

/** Whether the file imports knex's `Knex` type (or namespace): only then can a name be typed with it. */
function importsKnexType(model: TsModel): boolean {
  return model.imports.get('Knex')?.module === KNEX_MODULE;
}

/** `Knex.Transaction`: the type of a transaction handed to a helper. */
function isKnexTransactionType(type: ts.TypeNode | undefined): boolean {
  if (!type || !ts.isTypeReferenceNode(type) || !ts.isQualifiedName(type.typeName)) return false;
  const { left, right } = type.typeName;
  return ts.isIdentifier(left) && left.text === 'Knex' && right.text === 'Transaction';
}

/** Whether `expression` is a parameter or variable declared `Knex.Transaction`. */
export function isTypedKnexTransaction(model: TsModel, expression: ts.Expression): boolean {
  const node = unwrap(expression);
  if (!importsKnexType(model) || !ts.isIdentifier(node)) return false;
  const holder = declarationOf(node)?.parent;
  return (
    !!holder &&
    (ts.isParameter(holder) || ts.isVariableDeclaration(holder)) &&
    isKnexTransactionType(holder.type)
  );
}

/**
 * Whether `expression` is declared with knex's types: `Knex` (a field `this.database`, a
 * parameter, a variable) or `Knex.Transaction` (a parameter or variable).
 */
export function isTypedKnexInstance(model: TsModel, expression: ts.Expression): boolean {
  if (!importsKnexType(model)) return false;
  const node = unwrap(expression);
  if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node)) return false;
  return declaredTypeName(node) === 'Knex' || isTypedKnexTransaction(model, node);
}

/** Methods that start a transaction: knex's `transaction`, Objection's `Model.startTransaction`. */
const STARTS_TRANSACTION = new Set(['transaction', 'startTransaction']);

/** `x` of a call `x.transaction(...)` (or `x.startTransaction()`), else undefined. */
function transactionReceiver(call: ts.Expression): ts.Expression | undefined {
  if (!ts.isCallExpression(call)) return undefined;
  const callee = unwrap(call.expression);
  return ts.isPropertyAccessExpression(callee) && STARTS_TRANSACTION.has(callee.name.text)
    ? callee.expression
    : undefined;
}

/**
 * What the transaction `id` names was started on: `db` when `id` is the first parameter of a
 * callback given to `db.transaction(...)` (`db.transaction(async (trx) => ...)`), or a variable
 * `await db.transaction()` (or Objection's `await Person.startTransaction()`) initialises. Undefined for any other name (a `trx` parameter of a
 * plain function says nothing). Whether `db` is a knex instance, the caller decides.
 */
export function transactionStartedOn(id: ts.Identifier): ts.Expression | undefined {
  const declaration = declarationOf(id);
  const holder = declaration?.parent;
  if (!holder) return undefined;
  if (ts.isParameter(holder)) {
    const fn = holder.parent;
    if (!ts.isFunctionLike(fn) || fn.parameters[0] !== holder) return undefined;
    const call = semanticParent(fn);
    if (!call || !ts.isCallExpression(call)) return undefined;
    return call.arguments.some((argument) => unwrap(argument) === fn)
      ? transactionReceiver(call)
      : undefined;
  }
  if (!ts.isVariableDeclaration(holder) || holder.name !== declaration || !holder.initializer)
    return undefined;
  // `knex.transaction()` alone resolves to the transaction: only its awaited value is one.
  const initializer = unwrap(holder.initializer);
  if (!ts.isAwaitExpression(initializer)) return undefined;
  const started = unwrap(initializer.expression);
  return ts.isCallExpression(started) && started.arguments.length === 0
    ? transactionReceiver(started)
    : undefined;
}

/**
 * Methods a replicated database's knex instance is given to pick one node, each returning that
 * node's instance (Infisical declares `replicaNode()` and `primaryNode()` on knex's interface and
 * reads through `(tx || db.replicaNode())(TableName.Users)`).
 */
const PICKS_NODE = new Set(['replicaNode', 'primaryNode']);

/** `db` of `db.replicaNode()`: the instance a node is picked from, or undefined for any other call. */
function nodePickedFrom(node: ts.Expression): ts.Expression | undefined {
  if (!ts.isCallExpression(node) || node.arguments.length > 0) return undefined;
  const callee = unwrap(node.expression);
  return ts.isPropertyAccessExpression(callee) && PICKS_NODE.has(callee.name.text)
    ? callee.expression
    : undefined;
}

/**
 * Whether `expression` is a knex instance or transaction by what this file shows: typed with
 * knex's types, a module variable the factory made, a transaction started on one, a node picked
 * from one (`db.replicaNode()`), or what `isSource` accepts (an instance another module exports,
 * for callers that can ask the index).
 */
export function isKnexInstance(
  model: TsModel,
  expression: ts.Expression,
  isSource?: (instance: ts.Identifier) => boolean,
): boolean {
  if (isTypedKnexInstance(model, expression)) return true;
  const node = unwrap(expression);
  const pickedFrom = nodePickedFrom(node);
  if (pickedFrom) return isKnexInstance(model, pickedFrom, isSource);
  if (!ts.isIdentifier(node)) return false;
  const started = transactionStartedOn(node);
  if (started) return isKnexInstance(model, started, isSource);
  if (isModuleKnexInstance(model, node.text)) return true;
  return !!isSource && isSource(node);
}
