/**
 * Classes a Mongoose schema loads (`userSchema.loadClass(UserStatics)`): Mongoose copies their
 * static methods onto every model made from the schema, with `this` the model, and their instance
 * methods onto its documents. So `this.find()` in such a static is a model query, and
 * `Users.findActive()` on `const Users = model('users', userSchema)` calls `UserStatics.findActive`.
 * Only classes this file declares and loads into a schema it names (a variable, or a function of
 * the file that loads the class and returns the schema, `loadUserClass()`) are known; a schema
 * loaded in another file leaves the model's own statics unfollowed.
 */
import { ts } from './compiler';
import { importsModule, unwrap, type TsModel } from './model';
import { aliasedExports } from './module-exports';
import { isMongooseModelExpression } from './mongoose-models';
import { declarationOf } from './name-resolution';

interface FileLoads {
  /** Every class of the file a schema loads. */
  classes: Set<string>;
  /** Their declarations. */
  declarations: ts.ClassDeclaration[];
  /** The classes loaded into a schema, by the schema's name (`userSchema`). */
  bySchema: Map<string, string[]>;
  /** The classes a named function of the file loads (`loadUserClass`), by its name. */
  byLoader: Map<string, string[]>;
}

/** A model holding loaded statics, by the name the module binds or exports it under. */
export interface ModelWithStatics {
  name: string;
  /** The classes whose statics it has, as this file names them. */
  classNames: string[];
}

const NONE: FileLoads = {
  classes: new Set(),
  declarations: [],
  bySchema: new Map(),
  byLoader: new Map(),
};
const loadsOfModel = new WeakMap<TsModel, FileLoads>();
const modelsOfModel = new WeakMap<TsModel, ModelWithStatics[]>();

function isMongoose(module: string): boolean {
  return module === 'mongoose';
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The file's `schema.loadClass(C)` calls, read from its calls once per file. */
function fileLoads(model: TsModel): FileLoads {
  let found = loadsOfModel.get(model);
  if (found) return found;
  found = NONE;
  if (model.text.includes('.loadClass(') && importsModule(model, isMongoose)) {
    const loads: FileLoads = {
      classes: new Set(),
      declarations: [],
      bySchema: new Map(),
      byLoader: new Map(),
    };
    for (const call of model.calls) {
      if (call.name !== 'loadClass' || call.args.length !== 1 || !call.receiver) continue;
      const loaded = unwrap(call.args[0]);
      const schema = unwrap(call.receiver);
      if (!ts.isIdentifier(loaded) || !ts.isIdentifier(schema)) continue;
      const declaration = declarationOf(loaded)?.parent ?? loaded;
      if (!ts.isClassDeclaration(declaration)) continue;
      if (!loads.classes.has(loaded.text)) loads.declarations.push(declaration);
      loads.classes.add(loaded.text);
      push(loads.bySchema, schema.text, loaded.text);
      if (call.fn?.name) push(loads.byLoader, call.fn.name, loaded.text);
    }
    if (loads.classes.size > 0) found = loads;
  }
  loadsOfModel.set(model, found);
  return found;
}

/** Whether a schema of this file loads the class `className` (its `this` is a model, or a document). */
export function isLoadedIntoSchema(model: TsModel, className: string): boolean {
  return fileLoads(model).classes.has(className);
}

/** The declarations of the classes the file's schemas load. */
export function loadedClassDeclarations(model: TsModel): readonly ts.ClassDeclaration[] {
  return fileLoads(model).declarations;
}

/**
 * The classes whose statics the model a `model(name, schema)` call makes has: those loaded into
 * `schema`, or by the function whose result is passed (`model('users', loadUserClass(models))`).
 */
function staticsOfModelCall(model: TsModel, call: ts.Expression, loads: FileLoads): string[] {
  let node = unwrap(call);
  // `mongoose.models.User || mongoose.model('User', schema)`: the model made.
  if (ts.isBinaryExpression(node)) node = unwrap(node.right);
  if (!ts.isCallExpression(node) || node.arguments.length < 2) return [];
  const schema = unwrap(node.arguments[1]);
  if (ts.isIdentifier(schema)) return loads.bySchema.get(schema.text) ?? [];
  if (!ts.isCallExpression(schema)) return [];
  const loader = unwrap(schema.expression);
  return ts.isIdentifier(loader) && !model.imports.has(loader.text)
    ? (loads.byLoader.get(loader.text) ?? [])
    : [];
}

/**
 * The classes whose statics the Mongoose model `value` has: a model made in place, or a module
 * variable holding one (`Users` of `const Users = model<IUser, IUserModel>('users', userSchema)`).
 */
export function loadedStaticsOf(model: TsModel, value: ts.Expression): string[] {
  const loads = fileLoads(model);
  if (loads.classes.size === 0) return [];
  let node = unwrap(value);
  if (ts.isIdentifier(node)) {
    const initializer = model.moduleVariables.get(node.text)?.initializer;
    if (!initializer) return [];
    node = unwrap(initializer);
  }
  return isMongooseModelExpression(model, node) ? staticsOfModelCall(model, node, loads) : [];
}

/**
 * The file's models with loaded statics under the names other modules reach them by: module
 * variables, `export default model(...)`, and CommonJS or renamed exports of either.
 */
export function modelsWithStatics(model: TsModel): ModelWithStatics[] {
  const known = modelsOfModel.get(model);
  if (known) return known;
  const models: ModelWithStatics[] = [];
  if (fileLoads(model).classes.size > 0) {
    const add = (name: string, value: ts.Expression): void => {
      const classNames = loadedStaticsOf(model, value);
      if (classNames.length > 0) models.push({ name, classNames });
    };
    for (const [name, declaration] of model.moduleVariables)
      if (declaration.initializer) add(name, declaration.initializer);
    // `export default model(...)`; `export default Users` is one of the aliased exports.
    for (const statement of model.sourceFile.statements)
      if (
        ts.isExportAssignment(statement) &&
        !statement.isExportEquals &&
        !ts.isIdentifier(unwrap(statement.expression))
      )
        add('default', statement.expression);
    for (const { name, value } of aliasedExports(model)) add(name, value);
  }
  modelsOfModel.set(model, models);
  return models;
}
