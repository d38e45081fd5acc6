/**
 * Mongoose models bound at a module's top level: `const User = mongoose.model('User', schema)`,
 * `export const Team = model<ITeam>('Team', teamSchema)` (`model` imported from `mongoose`),
 * `export default mongoose.model('User', schema)`, `module.exports = mongoose.model(...)`,
 * `exports.Post = mongoose.model(...)`, and the Next.js idiom `mongoose.models.User ||
 * mongoose.model('User', schema)`, and models a connection registers (`db.model<IPost,
 * IPostModel>('posts', postSchema)`, `db` made by `mongoose.createConnection(...)` or declared a
 * `Connection`). Their statics (`User.find()`) run queries; other files reach them through the
 * model facts (`ClassFact` with `orm: 'mongoose'`) the index follows.
 */
import { ts } from './compiler';
import { unwrap, type TsModel } from './model';
import { commonJsExport } from './module-exports';
import { declarationOf } from './name-resolution';

/** A Mongoose model the module binds: its name in the module, and whether it is the default export. */
export interface MongooseModelBinding {
  /** The variable or export name; `default` for an anonymous default export or `module.exports`. */
  name: string;
  isDefault: boolean;
}

interface FileModels {
  /** Module variables holding a model, by name. */
  variables: Set<string>;
  bindings: MongooseModelBinding[];
}

const NONE: FileModels = { variables: new Set(), bindings: [] };
const modelsOfFile = new WeakMap<TsModel, FileModels>();

/** Whether `name` is bound by an import of `mongoose` as the package (`import mongoose`, `require`). */
export function isMongooseNamespace(model: TsModel, name: string): boolean {
  const imported = model.imports.get(name);
  return (
    imported?.module === 'mongoose' &&
    (imported.imported === 'default' ||
      imported.imported === '*' ||
      imported.imported === 'mongoose')
  );
}

/** How many variables a connection is followed through (`const db = conn.useDb('app')`). */
const MAX_CONNECTION_STEPS = 3;

/** Methods of a connection that give a connection (the same, or one to another database). */
const CONNECTION_METHODS = new Set(['useDb', 'asPromise']);

/** `Connection` imported from `mongoose`, or `mongoose.Connection`, as a declared type. */
function isConnectionType(model: TsModel, type: ts.TypeNode | undefined): boolean {
  if (!type || !ts.isTypeReferenceNode(type)) return false;
  const name = type.typeName;
  if (ts.isIdentifier(name)) {
    const imported = model.imports.get(name.text);
    return imported?.module === 'mongoose' && imported.imported === 'Connection';
  }
  return (
    name.right.text === 'Connection' &&
    ts.isIdentifier(name.left) &&
    isMongooseNamespace(model, name.left.text)
  );
}

/**
 * Whether an expression is a Mongoose connection: `mongoose.connection`, what
 * `mongoose.createConnection(...)` (or `createConnection` imported from `mongoose`) returns, a
 * connection's `useDb(...)`, or a name declared `Connection` or given one.
 */
function isConnection(model: TsModel, expression: ts.Expression, steps = 0): boolean {
  let node = unwrap(expression);
  if (ts.isAwaitExpression(node)) node = unwrap(node.expression);
  if (ts.isPropertyAccessExpression(node))
    return (
      node.name.text === 'connection' &&
      ts.isIdentifier(node.expression) &&
      isMongooseNamespace(model, node.expression.text)
    );
  if (ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (ts.isIdentifier(callee)) {
      const imported = model.imports.get(callee.text);
      return imported?.module === 'mongoose' && imported.imported === 'createConnection';
    }
    if (!ts.isPropertyAccessExpression(callee)) return false;
    const owner = unwrap(callee.expression);
    if (callee.name.text === 'createConnection')
      return ts.isIdentifier(owner) && isMongooseNamespace(model, owner.text);
    return CONNECTION_METHODS.has(callee.name.text) && isConnection(model, owner, steps);
  }
  if (!ts.isIdentifier(node) || steps >= MAX_CONNECTION_STEPS) return false;
  const holder = declarationOf(node)?.parent;
  if (!holder || !(ts.isParameter(holder) || ts.isVariableDeclaration(holder))) return false;
  if (holder.type) return isConnectionType(model, holder.type);
  return !!holder.initializer && isConnection(model, holder.initializer, steps + 1);
}

/**
 * `mongoose.model(name, ...)` or `model(name, ...)` (imported from `mongoose`), or a connection's
 * `db.model(name, ...)`.
 */
function isModelCall(model: TsModel, node: ts.Expression): boolean {
  if (!ts.isCallExpression(node) || node.arguments.length === 0) return false;
  const [name] = node.arguments;
  if (
    !ts.isStringLiteralLike(name) &&
    !ts.isIdentifier(name) &&
    !ts.isPropertyAccessExpression(name)
  )
    return false;
  const callee = unwrap(node.expression);
  if (ts.isIdentifier(callee)) {
    const imported = model.imports.get(callee.text);
    return imported?.module === 'mongoose' && imported.imported === 'model';
  }
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'model') return false;
  const owner = unwrap(callee.expression);
  return (
    (ts.isIdentifier(owner) && isMongooseNamespace(model, owner.text)) || isConnection(model, owner)
  );
}

/** `mongoose.models.User` (a model already registered under that name). */
function isRegisteredModel(model: TsModel, node: ts.Expression): boolean {
  if (!ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return false;
  const owner = unwrap(node.expression);
  return (
    ts.isPropertyAccessExpression(owner) &&
    owner.name.text === 'models' &&
    ts.isIdentifier(owner.expression) &&
    isMongooseNamespace(model, owner.expression.text)
  );
}

/** Whether an expression is a Mongoose model: made, looked up, or `models.X || model(...)`. */
export function isMongooseModelExpression(model: TsModel, expression: ts.Expression): boolean {
  const node = unwrap(expression);
  if (ts.isBinaryExpression(node)) {
    const operator = node.operatorToken.kind;
    if (operator !== ts.SyntaxKind.BarBarToken && operator !== ts.SyntaxKind.QuestionQuestionToken)
      return false;
    const left = unwrap(node.left);
    return (
      (isRegisteredModel(model, left) || isModelCall(model, left)) &&
      isModelCall(model, unwrap(node.right))
    );
  }
  return isModelCall(model, node);
}

/** The module's Mongoose models, read from its top-level statements once per file. */
function fileModels(model: TsModel): FileModels {
  let found = modelsOfFile.get(model);
  if (found) return found;
  found = NONE;
  if (model.text.includes('mongoose')) {
    const variables = new Set<string>();
    const bindings: MongooseModelBinding[] = [];
    const defaults = new Set<string>();
    for (const statement of model.sourceFile.statements) {
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations)
          if (
            ts.isIdentifier(declaration.name) &&
            declaration.initializer &&
            isMongooseModelExpression(model, declaration.initializer)
          )
            variables.add(declaration.name.text);
      } else if (ts.isExportAssignment(statement) && !statement.isExportEquals)
        noteExported(model, statement.expression, 'default', bindings, defaults);
      else {
        const assignment = commonJsExport(statement);
        if (assignment) noteExported(model, assignment.value, assignment.name, bindings, defaults);
      }
    }
    for (const name of variables) bindings.push({ name, isDefault: defaults.has(name) });
    if (variables.size > 0 || bindings.length > 0) found = { variables, bindings };
  }
  modelsOfFile.set(model, found);
  return found;
}

/**
 * An exported value that is a model: made in place (a binding of its own, under the export
 * name), or a variable (whose binding is marked default when exported so).
 */
function noteExported(
  model: TsModel,
  value: ts.Expression,
  name: string,
  bindings: MongooseModelBinding[],
  defaults: Set<string>,
): void {
  const node = unwrap(value);
  if (ts.isIdentifier(node)) {
    if (name === 'default') defaults.add(node.text);
  } else if (isMongooseModelExpression(model, node))
    bindings.push({ name, isDefault: name === 'default' });
}

/** Whether `name` is a module variable holding a Mongoose model (`const User = mongoose.model(...)`). */
export function isMongooseModelVariable(model: TsModel, name: string): boolean {
  return fileModels(model).variables.has(name);
}

/** The module's Mongoose models as other modules reach them (for the workspace facts). */
export function mongooseModelBindings(model: TsModel): readonly MongooseModelBinding[] {
  return fileModels(model).bindings;
}
