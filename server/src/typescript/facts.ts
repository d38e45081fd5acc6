/**
 * Extracts the facts a TypeScript/JavaScript file contributes to the workspace index: its named
 * functions with their direct effects (queries, HTTP calls, blocking I/O) and outgoing calls,
 * resolved through imports to qualified names, so rules can follow a loop into a helper in
 * another file.
 */
import { handlerLabel, isMemoised, isStartupFunction, procedureKey } from './call-paths';
import type {
  CallSite,
  ClassFact,
  Effect,
  FieldFact,
  FileFacts,
  FunctionFacts,
  HeldClientFact,
  InstanceFact,
  MongooseModelPath,
  Reexport,
} from '../workspace/facts';
import {
  declaredFieldTypes,
  declaredTypeName,
  enclosingClass,
  fieldTypesOf,
} from './declared-types';
import {
  blockingCall,
  databaseCall,
  isHttpCall,
  isRequestHandler,
  listedRouteExports,
  prismaQuery,
  procedureResolverNames,
  queriesImportedKnex,
  routeExportsOfNames,
} from './knowledge';
import { ts } from './compiler';
import { exportedArrayFields } from './array-fields';
import { importedValueChanges } from './imported-value-changes';
import { importedMemberChanges } from './member-changes';
import { factoryMemberTargets, factoryReexports } from './factory-objects';
import { declarationOf } from './name-resolution';
import {
  calleeDisplay,
  dynamicImportBinding,
  hasModifier,
  importBinding,
  unwrap,
  type TsCall,
  type TsFunction,
  type TsImport,
  type TsModel,
} from './model';
import {
  declaredClasses,
  loadedInstanceClass,
  modelReceiver,
  topLevelClasses,
  TYPEORM_REPOSITORY_VALUE,
} from './model-classes';
import { moduleRepositories } from './orm-calls';
import { importedFactoryOf, moduleTypeormSources } from './typeorm-modules';
import { typeormDatabaseKinds } from './typeorm-databases';
import { createdIndexOperations } from './created-indexes';
import {
  importedDbOf,
  moduleCollections,
  moduleDbs,
  MONGODB,
  MONGODB_DB,
} from './mongodb-collections';
import {
  aliasedExports,
  callableMembers,
  declaredFunctionsAndClasses,
  declaresCallable,
  exportedInstantiation,
  exportedObjects,
  memoisedFunctions,
} from './module-exports';
import { isMongooseModelVariable, mongooseModelBindings } from './mongoose-models';
import { loadedStaticsOf, modelsWithStatics } from './mongoose-loaded-classes';
import { modelTypeImplementations } from './mongoose-typed-statics';
import {
  declaresLocalType,
  isMongooseModelTypeName,
  modelTypeFacts,
  modelTypeReach,
  MONGOOSE_MODEL_TYPE,
} from './mongoose-model-types';
import { MONGOOSE_QUERIES } from './orm-methods';
import { KNEX_INSTANCE, moduleKnexInstances } from './knex-instances';
import {
  DRIZZLE_DATABASE_VALUE,
  moduleDrizzleDatabases,
  moduleDrizzleReexports,
  workspaceFactoryDatabases,
} from './drizzle-databases';
import { moduleMikroOrmObjects } from './mikro-orm';
import { aliasedPath, type ModuleAliases } from './path-aliases';
import { clientHolder, holderTypeName, isPrismaClientClass, PRISMA_CLIENT } from './prisma-clients';
import { prismaQueryColumns } from './prisma-queries';
import { returnsUnclearedTimeout, UNCLEARED_TIMEOUT_TRAIT } from './timeout-promises';
import { STARTUP_TRAIT } from './workspace-callers';
import { wrappedExportName } from './wrapped-exports';

/** `src/services/users.ts` → `src.services.users`; an `index` file is named by its folder. */
export function tsModuleNameOf(relativePath: string): string {
  return relativePath
    .replace(/\.[mc]?[jt]sx?$/, '')
    .replace(/(?:^|\/)index$/, '')
    .split('/')
    .filter(Boolean)
    .join('.');
}

/**
 * The module an import names: `./x` / `../y/z` against the importing file's folder, then the
 * workspace's `paths` / `baseUrl` aliases (`@server/models`, `lib/db`), then the conventional
 * aliases `@/`, `~/` and `#` (resolved by suffix in the index, for projects without a config).
 * Undefined for packages.
 */
export function resolveSpecifier(
  relativePath: string,
  specifier: string,
  aliases?: ModuleAliases,
): string | undefined {
  let path: string;
  if (specifier.startsWith('.')) {
    const parts = relativePath.split('/').slice(0, -1);
    for (const part of specifier.split('/')) {
      if (part === '..') parts.pop();
      else if (part !== '.' && part !== '') parts.push(part);
    }
    path = parts.join('/');
  } else {
    const aliased = aliasedPath(aliases, relativePath, specifier);
    if (aliased !== undefined) path = aliased;
    else {
      const alias = /^(?:@\/|~\/|#)/.exec(specifier);
      if (!alias) return undefined;
      path = specifier.slice(alias[0].length);
    }
  }
  // ESM imports name the emitted file (`./x.js` for `x.ts`).
  return tsModuleNameOf(path.replace(/\.[mc]?js$/, '.ts'));
}

/**
 * Each import's module name, resolved once per parsed file: rules ask for the targets of the same
 * calls again and again, and resolution splits paths and runs regexes. Keyed by the model's import
 * record, which belongs to one file and goes with its model.
 */
const resolvedImports = new WeakMap<TsImport, string | null>();

function importedModuleName(model: TsModel, imported: TsImport): string | undefined {
  let module = resolvedImports.get(imported);
  if (module === undefined) {
    module = resolveSpecifier(model.relativePath, imported.module, model.moduleAliases) ?? null;
    resolvedImports.set(imported, module);
  }
  return module ?? undefined;
}

/** The name a function is indexed under within its module (`Class.method`, `default`). */
export function localQualifiedName(fn: TsFunction): string | undefined {
  if (!fn.name) return undefined;
  return fn.className ? `${fn.className}.${fn.name}` : fn.name;
}

/**
 * Platform objects and functions: calls on them (`console.log`, `JSON.parse`, `Promise.all`) are
 * never workspace functions, so type-aware mode does not ask the checker about them, unless the
 * file imports or declares the name itself.
 */
const PLATFORM_GLOBALS = new Set([
  'console',
  'JSON',
  'Math',
  'Object',
  'Array',
  'Promise',
  'Number',
  'String',
  'Date',
  'Reflect',
  'Symbol',
  'process',
  'Buffer',
  'Intl',
  'URL',
  'Error',
  'setTimeout',
  'setInterval',
  'clearTimeout',
  'clearInterval',
  'setImmediate',
  'queueMicrotask',
  'parseInt',
  'parseFloat',
  'require',
  'structuredClone',
]);

function isPlatformCall(call: TsCall, model: TsModel): boolean {
  const dot = call.callee.indexOf('.');
  const head = dot === -1 ? call.callee : call.callee.slice(0, dot);
  return PLATFORM_GLOBALS.has(head) && !model.imports.has(head) && !model.moduleVariables.has(head);
}

/** Candidate qualified names of a call's target, most specific first. */
export function tsCallTargets(call: TsCall, model: TsModel, moduleName: string): string[] {
  if (call.isNew || call.isTaggedTemplate) return [];
  // The program knows the declaration through re-exports, aliases and declared field types.
  const typed =
    (!isPlatformCall(call, model) && model.types?.calleeTargets(call.node as ts.CallExpression)) ||
    [];
  const syntactic = syntacticTargets(call, model, moduleName);
  return typed.length > 0 ? [...typed, ...syntactic.filter((t) => !typed.includes(t))] : syntactic;
}

/** Call targets from the file's imports and names alone. */
function syntacticTargets(call: TsCall, model: TsModel, moduleName: string): string[] {
  const parts = call.callee.split('.');
  const head = parts[0];
  // `cache.list()` of `cache.list = await import('./list').then((mod) => mod.listHandler)`.
  const cached = parts.length === 2 ? dynamicImportBinding(call.fn, call.callee) : undefined;
  if (cached) return importedMemberTargets(model, cached, undefined);
  const imported = importBinding(model, call.fn, head);
  if (imported) {
    // `ns.f()` of a namespace import; `f()` of a named or default one; `X.m()` of one, a static
    // method or a namespace a barrel re-exports (`export * as users`). Longer chains
    // (`prisma.user.findMany()` of an imported client) have no target, and need no resolution.
    if (parts.length > 2 || (imported.imported === '*' && parts.length !== 2)) return [];
    return importedMemberTargets(model, imported, parts[1]);
  }
  const prefix = moduleName ? `${moduleName}.` : '';
  if (head === 'this' && parts.length === 2) {
    const className = call.fn?.className ?? call.fn?.parent?.className;
    return className ? [`${prefix}${className}.${parts[1]}`] : [];
  }
  if (head === 'this' && parts.length === 3) return fieldMethodTargets(call, model, prefix);
  if (parts.length === 2) return instanceMethodTargets(call, model, prefix);
  if (parts.length > 2) return typedMemberTargets(call, model, prefix, parts);
  return [`${prefix}${head}`];
}

/** How many members a typed receiver's chain is followed through (`ctx.models.Boards` is two). */
const MAX_TYPED_MEMBERS = 3;

/**
 * `models.Boards.removeBoard()` where `models` is declared with a type another module declares
 * (`{ models }: IContext`, `models: IModels`): `<module>.IContext.models.Boards.removeBoard`, which
 * the index follows through the fields that type's facts record (`IModels { Boards: IBoardModel
 * }`) to the method of the type reached.
 */
function typedMemberTargets(
  call: TsCall,
  model: TsModel,
  prefix: string,
  parts: readonly string[],
): string[] {
  if (parts.length - 2 > MAX_TYPED_MEMBERS || isPlatformCall(call, model)) return [];
  const receiver = call.receiver && unwrap(call.receiver);
  let head = receiver;
  while (head && ts.isPropertyAccessExpression(head)) head = unwrap(head.expression);
  if (!head || !ts.isIdentifier(head) || model.imports.has(head.text)) return [];
  const declaration = declarationOf(head);
  if (!declaration) return [];
  return factoryMemberTargets(
    model,
    declaration,
    call.name,
    prefix,
    (name) => importedValueTargets(model, name),
    parts.slice(1, -1),
  );
}

/**
 * The qualified names of `member` of an import (`list` of `linksController`), or of the import
 * itself with no member: what `head.member()` (or `head()`) calls.
 */
function importedMemberTargets(
  model: TsModel,
  imported: TsImport,
  member: string | undefined,
): string[] {
  const module = importedModuleName(model, imported);
  if (module === undefined) return [];
  const prefix = module ? `${module}.` : '';
  const head = imported.local;
  // A whole-module `require` is also what `module.exports = new Pager()` made (`default`).
  if (imported.imported === '*') {
    if (member === undefined) return [];
    return model.moduleVariables.has(head)
      ? [`${prefix}${member}`, `${prefix}default.${member}`]
      : [`${prefix}${member}`];
  }
  const suffix = member === undefined ? '' : `.${member}`;
  return imported.imported === 'default'
    ? [`${prefix}default${suffix}`, `${prefix}${head}${suffix}`]
    : [`${prefix}${imported.imported}${suffix}`];
}

/**
 * `service.find()` where `service` is a local variable or parameter declared with a class's type
 * or made by `new` (`const roles = new RoleService();` in a request handler): that class's
 * method, through the file's imports, as for an injected field. Else a model instance a static
 * loaded (`collective.disableFeature()` in a loop over `models.Collective.findAll()`).
 */
function instanceMethodTargets(call: TsCall, model: TsModel, prefix: string): string[] {
  if (!call.receiver || isPlatformCall(call, model)) return [];
  // An imported name is a module or a class, no instance (`fs.readFileSync`, `axios.get`): its
  // declaration is the file's top scope, the longest lookup there is.
  const receiver = unwrap(call.receiver);
  if (ts.isIdentifier(receiver) && model.imports.has(receiver.text)) return [];
  // Looked up once for both questions below; a global (`window`, `document`) has none.
  const declaration = ts.isIdentifier(receiver) ? declarationOf(receiver) : undefined;
  if (ts.isIdentifier(receiver) && !declaration) return [];
  const typeName = declaredTypeName(call.receiver, declaration);
  if (!typeName) {
    const loaded =
      loadedStaticTargets(call, model, prefix, declaration) ??
      loadedInstanceMethodTargets(call, model, prefix, declaration);
    return loaded.length > 0 || !declaration
      ? loaded
      : factoryTargets(call, model, prefix, declaration);
  }
  // Only workspace classes: `new Map()`, `new Date()` and interfaces name no indexed method.
  if (!(model.imports.has(typeName) || declaredFunctionsAndClasses(model).has(typeName)))
    return declaration ? factoryTargets(call, model, prefix, declaration) : [];
  return classMethodTargets(model, typeName, call.name, prefix);
}

/**
 * `userDAL.findById()` where `userDAL` is declared with a type that leads to the object a factory
 * returns (`ReturnType<typeof userDALFactory>`, an alias or a `Pick` of one, a property of an
 * object type holding one): the closure that member runs (`factory-objects.ts`).
 */
function factoryTargets(
  call: TsCall,
  model: TsModel,
  prefix: string,
  declaration: ts.Identifier,
): string[] {
  return factoryMemberTargets(model, declaration, call.name, prefix, (name) =>
    importedValueTargets(model, name),
  );
}

/**
 * `Users.findActive()` on a module variable holding a Mongoose model whose schema loads a class of
 * this file (`userSchema.loadClass(UserStatics)`): that class's static. Undefined for any other
 * receiver.
 */
function loadedStaticTargets(
  call: TsCall,
  model: TsModel,
  prefix: string,
  declaration: ts.Identifier | undefined,
): string[] | undefined {
  const receiver = call.receiver && unwrap(call.receiver);
  if (!receiver || !ts.isIdentifier(receiver)) return undefined;
  const variable = model.moduleVariables.get(receiver.text);
  if (!variable || declaration?.parent !== variable) return undefined;
  const classNames = loadedStaticsOf(model, receiver);
  return classNames.length > 0
    ? classNames.map((className) => `${prefix}${className}.${call.name}`)
    : undefined;
}

/**
 * `<Model>.<method>` for a method called on an instance a model static loaded: the class as
 * the file names it (imported, a member of an imported models index, or declared here), for the
 * index to find the model's own method (`Collective.disableFeature`).
 */
function loadedInstanceMethodTargets(
  call: TsCall,
  model: TsModel,
  prefix: string,
  declaration: ts.Identifier | undefined,
): string[] {
  const receiver = call.receiver && unwrap(call.receiver);
  if (!receiver || !ts.isIdentifier(receiver)) return [];
  const className = loadedInstanceClass(receiver, declaration);
  if (!className) return [];
  const moduleName = prefix.slice(0, -1);
  return classTargets(model, className, moduleName).map((target) => `${target}.${call.name}`);
}

/**
 * `this.users.find()` where the class declares `users` with a class's type, as a property or a
 * constructor parameter property (how NestJS and Angular inject services): the target is that
 * class's method, through the file's imports. A type re-exported by a barrel, an interface or an
 * object type names no indexed method, so nothing matches; type-aware mode follows those.
 */
function fieldMethodTargets(call: TsCall, model: TsModel, prefix: string): string[] {
  const [, field, method] = call.callee.split('.');
  const typeName = declaredFieldTypes(call.node).get(field);
  if (typeName) return classMethodTargets(model, typeName, method, prefix);
  return isThisField(call.receiver)
    ? inheritedFieldTargets(call.node, model, prefix, field, method)
    : [];
}

/** `this.users` itself: not `this.scope('x')`, whose callee chain also reads `this.scope.<m>`. */
function isThisField(receiver: ts.Expression | undefined): boolean {
  const node = receiver && unwrap(receiver);
  return (
    !!node &&
    ts.isPropertyAccessExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ThisKeyword
  );
}

/**
 * `this.users.find()` in a class that does not declare `users` but extends another
 * (`class UserService extends BaseService`, whose constructor injects every repository, as in
 * large NestJS apps): `<Class>.users.find`, which the index resolves through the field types the
 * class's bases record (`ClassFact.fields`), in this file or others.
 */
function inheritedFieldTargets(
  node: ts.Node,
  model: TsModel,
  prefix: string,
  field: string,
  method: string,
): string[] {
  const cls = enclosingClass(node);
  const name = cls && ts.isClassDeclaration(cls) ? cls.name?.text : undefined;
  // Only top-level classes with a base by name are indexed with their bases.
  if (!name || !declaredClasses(model).get(name)?.baseName) return [];
  return [`${prefix}${name}.${field}.${method}`];
}

/** `<Class>.<method>` of a class this file declares or imports by name or as its default. */
function classMethodTargets(
  model: TsModel,
  typeName: string,
  method: string,
  prefix: string,
): string[] {
  const imported = model.imports.get(typeName);
  if (!imported) return [`${prefix}${typeName}.${method}`];
  if (imported.imported === '*') return [];
  const module = importedModuleName(model, imported);
  if (module === undefined) return [];
  // A default-imported class is indexed under its declared name, most often the local one.
  const className = imported.imported === 'default' ? typeName : imported.imported;
  return [`${module ? `${module}.` : ''}${className}.${method}`];
}

/**
 * The qualified names a class this file names may have: an imported one's (through the import),
 * or one declared here that extends something (only those can be ORM models). Empty for classes
 * from packages and namespace members.
 */
function classTargets(model: TsModel, name: string, moduleName: string): string[] {
  const dot = name.indexOf('.');
  if (dot !== -1) return memberClassTargets(model, name.slice(0, dot), name.slice(dot + 1));
  const imported = model.imports.get(name);
  if (imported) return importedClassTargets(model, imported, name);
  if (!declaredClasses(model).has(name)) return [];
  return [moduleName ? `${moduleName}.${name}` : name];
}

/**
 * The qualified names a class imported as `name` may have: none from a namespace import, the
 * module's default export for a whole-module `const Post = require('./Post')` (a module that
 * says `module.exports = mongoose.model(...)`).
 */
function importedClassTargets(model: TsModel, imported: TsImport, name: string): string[] {
  const required = imported.imported === '*' && model.moduleVariables.has(name);
  if (imported.imported === '*' && !required) return [];
  const module = importedModuleName(model, imported);
  if (module === undefined) return [];
  const prefix = module ? `${module}.` : '';
  if (required) return [`${prefix}default`];
  return imported.imported === 'default'
    ? [`${prefix}default`, `${prefix}${name}`]
    : [`${prefix}${imported.imported}`];
}

/**
 * `models.User` of an imported `models`: `User` of the module a namespace import (or a plain
 * `require`) names, else the member `User` of the object it exports (`export default { User }`,
 * `export const models = { User }`), which the index follows to the class.
 */
function memberClassTargets(model: TsModel, head: string, member: string): string[] {
  const imported = model.imports.get(head);
  if (!imported) return [];
  const module = importedModuleName(model, imported);
  if (module === undefined) return [];
  const prefix = module ? `${module}.` : '';
  return imported.imported === '*'
    ? [`${prefix}${member}`]
    : [`${prefix}${imported.imported}.${member}`];
}

/**
 * The qualified names of the class a Sequelize-named query method is called on or on an instance
 * of (`User` of `User.findByPk(id)`, `user.save()` with `user: User`), for the index to tell
 * whether it is a model through bases in other files.
 */
export function modelClassTargets(call: TsCall, model: TsModel, moduleName: string): string[] {
  const receiver = modelReceiver(call);
  return receiver ? classTargets(model, receiver.className, moduleName) : [];
}

/**
 * The qualified names of the imported `Db` (or `Db` getter) a MongoDB collection query goes
 * through (`db.collection('orders').findOne()` with `db` imported), for the index to confirm.
 */
export function importedDbTargets(call: TsCall, model: TsModel, moduleName: string): string[] {
  const name = importedDbOf(model, call);
  return name ? classTargets(model, name, moduleName) : [];
}

/**
 * The qualified names the imported value `name` may have (`db` of `import { db } from './db'`),
 * for the index to tell whether that module exports a knex instance.
 */
export function importedValueTargets(model: TsModel, name: string): string[] {
  const imported = model.imports.get(name);
  return imported ? importedClassTargets(model, imported, name) : [];
}

/** The workspace module the import `name` resolves to (undefined: a package, or not imported). */
export function importedModuleOf(model: TsModel, name: string): string | undefined {
  const imported = model.imports.get(name);
  return imported ? importedModuleName(model, imported) : undefined;
}

/**
 * The file's classes that are ORM models here or extend a workspace class, and its Mongoose
 * models (`export default mongoose.model(...)`), for the index.
 */
function classFactsOf(model: TsModel, moduleName: string): ClassFact[] {
  const facts: ClassFact[] = mongooseModelBindings(model).map(({ name, isDefault }) => ({
    name,
    ...(isDefault && name !== 'default' ? { isDefault: true } : {}),
    orm: 'mongoose',
  }));
  // Repositories other modules import (`export const users = ds.getRepository(User)`).
  for (const name of moduleRepositories(model)) facts.push({ name, orm: TYPEORM_REPOSITORY_VALUE });
  // Data sources and repository getter factories other modules use, under any name.
  for (const { name, kind } of moduleTypeormSources(model)) facts.push({ name, orm: kind });
  // Getters made by an imported factory and exported (`export const flowRepo =
  // repoFactory(FlowEntity)`): what they are is what the factory makes, so it is their base.
  facts.push(...factoryMadeExports(model, moduleName));
  // Native MongoDB collections other modules import (`export const users = db.collection(...)`).
  for (const name of moduleCollections(model)) facts.push({ name, orm: MONGODB });
  // And their `Db`s and `Db` getters (`export const db = client.db()`, `export function getDb()`).
  for (const name of moduleDbs(model)) facts.push({ name, orm: MONGODB_DB });
  // Knex instances other modules import (`export const db = knex({ client: 'pg' })`).
  for (const name of moduleKnexInstances(model)) facts.push({ name, orm: KNEX_INSTANCE });
  // Drizzle databases other modules import (`export const db = drizzle(pool, { schema })`).
  for (const name of moduleDrizzleDatabases(model))
    facts.push({ name, orm: DRIZZLE_DATABASE_VALUE });
  // A db package's re-exports of `drizzle-orm`, and databases its re-exported factory makes here
  // (`export const db = drizzle(client)` of `drizzle` from `@acme/db`): the factory is their base.
  facts.push(...moduleDrizzleReexports(model));
  for (const { name, factory } of workspaceFactoryDatabases(model)) {
    const base = importedValueTargets(model, factory);
    if (base.length > 0) facts.push({ name, base });
  }
  // MikroORM entity managers and repositories other modules import (`DI.em`, `userRepo`).
  for (const { name, kind } of moduleMikroOrmObjects(model)) facts.push({ name, orm: kind });
  const fieldsByClass = workspaceFieldTypes(model, moduleName);
  const declared = declaredClasses(model);
  for (const cls of declared.values()) {
    // `class PrismaService extends PrismaClient`: fields and values declared with it hold a client.
    const orm =
      cls.orm ??
      (cls.baseName && isPrismaClientClass(model, cls.baseName) ? PRISMA_CLIENT : undefined);
    const base = orm || !cls.baseName ? [] : baseTargets(model, cls.baseName, moduleName);
    if (!orm && base.length === 0) continue;
    const fields = fieldsByClass.get(cls.name);
    facts.push({
      name: cls.name,
      ...(cls.isDefault ? { isDefault: true } : {}),
      ...(orm ? { orm } : { base }),
      ...(fields ? { fields } : {}),
    });
  }
  // Base classes of their own (`class BaseService { constructor(protected users: UserRepository)
  // {} }`): indexed for their fields, which subclasses in other files call methods of.
  for (const [name, fields] of fieldsByClass)
    if (!declared.has(name)) facts.push({ name, ...defaultExport(model, name), fields });
  // Mongoose model types and the interfaces holding them (`IModels { Boards: IBoardModel }`).
  const taken = new Set([...facts.map((fact) => fact.name), ...topLevelClasses(model).keys()]);
  facts.push(
    ...modelTypeFacts(model, taken, (typeName) =>
      workspaceTypeTargets(model, typeName, moduleName),
    ),
  );
  return facts;
}

/**
 * Exported module variables made by calling an imported function with an entity-like argument
 * (`export const flowRepo = repoFactory(FlowEntity)`), with that function as their base: the index
 * follows it to the factory (`ormModelOf` says a getter of repositories when it makes those).
 */
function factoryMadeExports(model: TsModel, moduleName: string): ClassFact[] {
  const facts: ClassFact[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isVariableStatement(statement) || !hasModifier(statement, ts.SyntaxKind.ExportKeyword))
      continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer && unwrap(declaration.initializer);
      const argument = value && ts.isCallExpression(value) ? value.arguments[0] : undefined;
      if (!argument || !(ts.isIdentifier(argument) || ts.isPropertyAccessExpression(argument)))
        continue;
      const factory = importedFactoryOf(declaration);
      const base = factory ? classTargets(model, factory, moduleName) : [];
      if (base.length > 0 && ts.isIdentifier(declaration.name))
        facts.push({ name: declaration.name.text, base });
    }
  }
  return facts;
}

/**
 * The qualified names a class's base may have: as `classTargets` says, or a class of this file
 * that extends nothing (a base class holding injected repositories).
 */
function baseTargets(model: TsModel, baseName: string, moduleName: string): string[] {
  const targets = classTargets(model, baseName, moduleName);
  if (targets.length > 0 || !topLevelClasses(model).has(baseName)) return targets;
  return [moduleName ? `${moduleName}.${baseName}` : baseName];
}

/** `{ isDefault: true }` for a top-level class declared `export default`. */
function defaultExport(model: TsModel, name: string): { isDefault?: true } {
  const statement = topLevelClasses(model).get(name);
  return statement && hasModifier(statement, ts.SyntaxKind.DefaultKeyword)
    ? { isDefault: true }
    : {};
}

/**
 * Per top-level class, its fields declared with a workspace class's type (imported from a
 * workspace module, or declared in this file) → the qualified names that class may have. Classes
 * without such fields are left out; files without classes pay one pass over their statements.
 */
function workspaceFieldTypes(model: TsModel, moduleName: string): Map<string, FieldFact[]> {
  const byClass = new Map<string, FieldFact[]>();
  for (const [name, statement] of topLevelClasses(model)) {
    const fields: FieldFact[] = [];
    for (const [field, typeName] of fieldTypesOf(statement)) {
      // A wrapper's client (`client: PrismaClient`): its queries are found through the index.
      if (isPrismaClientClass(model, typeName)) {
        fields.push({ name: field, classNames: [], orm: PRISMA_CLIENT });
        continue;
      }
      // A Mongoose model (`protected MongooseModel: Model<T>`), for `this.MongooseModel.find()`
      // in subclasses.
      if (isMongooseModelTypeName(model, typeName)) {
        fields.push({ name: field, classNames: [], orm: MONGOOSE_MODEL_TYPE });
        continue;
      }
      const targets = workspaceClassTargets(model, typeName, moduleName);
      if (targets.length > 0) fields.push({ name: field, classNames: targets });
    }
    if (fields.length > 0) byClass.set(name, fields);
  }
  return byClass;
}

/**
 * The qualified names of a workspace class a type name of this file names: imported from a
 * workspace module, or a top-level class declared here. Empty for anything else.
 */
function workspaceClassTargets(model: TsModel, typeName: string, moduleName: string): string[] {
  const imported = model.imports.get(typeName);
  if (imported) return importedClassTargets(model, imported, typeName);
  if (!topLevelClasses(model).has(typeName)) return [];
  return [moduleName ? `${moduleName}.${typeName}` : typeName];
}

/**
 * As `workspaceClassTargets`, also for an interface or type alias declared here (what an
 * interface's member may be typed with: `IModels { Boards: IBoardModel }`).
 */
function workspaceTypeTargets(model: TsModel, typeName: string, moduleName: string): string[] {
  if (model.imports.has(typeName) || !declaresLocalType(model, typeName))
    return workspaceClassTargets(model, typeName, moduleName);
  return [moduleName ? `${moduleName}.${typeName}` : typeName];
}

/**
 * What the receiver of a query named like a Mongoose one is by types other modules declare, for
 * the index to confirm (`confirmsMongooseModel`): `models.Boards` of `models: IModels` with
 * `IModels` imported, `Boards` destructured from an imported `IContext`, `this.MongooseModel` in a
 * subclass whose base declares the field.
 */
function mongooseModelPath(
  model: TsModel,
  receiver: ts.Expression,
  moduleName: string,
): MongooseModelPath | undefined {
  const reach = modelTypeReach(model, receiver);
  if (!reach || reach.kind === 'model') return undefined;
  const classNames =
    reach.kind === 'imported'
      ? importedValueTargets(model, reach.typeName)
      : classTargets(model, reach.className, moduleName);
  return classNames.length > 0 ? { classNames, members: reach.members } : undefined;
}

/**
 * `mongooseModelPath` of a call named like a Mongoose query (not `items.find((item) => ...)`, an
 * array's): the model the index is to confirm before the call counts as one.
 */
export function mongooseQueryModelPath(
  model: TsModel,
  call: TsCall,
  moduleName: string,
): MongooseModelPath | undefined {
  if (!call.receiver || !MONGOOSE_QUERIES.has(call.name) || call.isNew) return undefined;
  if (call.args[0] && ts.isFunctionLike(unwrap(call.args[0]))) return undefined;
  return mongooseModelPath(model, call.receiver, moduleName);
}

/** A Mongoose query whose model only types of other modules declare, as an effect to confirm. */
function heldMongooseEffect(call: TsCall, model: TsModel, moduleName: string): Effect | undefined {
  const mongooseModel = mongooseQueryModelPath(model, call, moduleName);
  if (!mongooseModel) return undefined;
  const { start, end } = call;
  return {
    kind: 'db',
    blocking: false,
    callee: calleeDisplay(call, 80),
    start,
    end,
    mongooseModel,
  };
}

/**
 * What may hold the Prisma client `client` by declarations of workspace classes: the class
 * `this.store` is declared with, or the class of `this.repo` (or `repo`) and its field `model` for
 * `this.repo.model`. The index confirms it (`confirmsPrismaClient`).
 */
export function heldClientFact(
  model: TsModel,
  client: ts.Expression,
  moduleName: string,
): HeldClientFact | undefined {
  const shape = clientHolder(client);
  const typeName = shape && holderTypeName(shape.holder);
  if (!typeName) return undefined;
  const classNames = workspaceClassTargets(model, typeName, moduleName);
  if (classNames.length === 0) return undefined;
  return shape.field ? { classNames, field: shape.field } : { classNames };
}

/**
 * A Prisma query whose client only workspace classes declare (`this.repo.model.user.update()`),
 * as an effect the index confirms before anyone counts it (`Effect.prismaClient`).
 */
function heldPrismaEffect(call: TsCall, model: TsModel, moduleName: string): Effect | undefined {
  // `prismaQuery` asks about the one client it returns as `held`: its fact is kept, not re-read.
  let fact: HeldClientFact | undefined;
  const holders = {
    holdsPrismaClient: (client: ts.Expression) =>
      !!(fact = heldClientFact(model, client, moduleName)),
  };
  const prismaClient = prismaQuery(model, call, holders)?.held && fact;
  if (!prismaClient) return undefined;
  const { start, end } = call;
  return { kind: 'db', blocking: false, callee: calleeDisplay(call, 80), start, end, prismaClient };
}

/**
 * A knex query on an instance imported from a workspace module under a name nothing else trusts
 * (`database('users').where({ id })`), as an effect the index confirms (`Effect.knexInstance`).
 */
function heldKnexEffect(call: TsCall, model: TsModel): Effect | undefined {
  // `queriesImportedKnex` asks about the one import the chain starts on: its targets are kept.
  let knexInstance: string[] = [];
  const recorded = (instance: ts.Identifier): boolean =>
    (knexInstance = importedValueTargets(model, instance.text)).length > 0;
  if (!queriesImportedKnex(model, call, recorded)) return undefined;
  const { start, end } = call;
  return { kind: 'db', blocking: false, callee: calleeDisplay(call, 80), start, end, knexInstance };
}

function effectOf(call: TsCall, model: TsModel, moduleName: string): Effect | undefined {
  const { start, end } = call;
  // Quoted by other files' messages: `ds.getRepository(Order).delete`, not `...getRepository().delete`.
  const callee = calleeDisplay(call, 80);
  const blocking = blockingCall(model, call);
  if (blocking)
    return { kind: blocking === 'process' ? 'process' : 'fs', blocking: true, callee, start, end };
  if (databaseCall(model, call)) return { kind: 'db', blocking: false, callee, start, end };
  if (isHttpCall(model, call)) return { kind: 'http', blocking: false, callee, start, end };
  return (
    heldPrismaEffect(call, model, moduleName) ??
    heldMongooseEffect(call, model, moduleName) ??
    heldKnexEffect(call, model)
  );
}

/**
 * The function a call's effects belong to: anonymous callbacks (`ids.map(id => ...)`) are run by
 * the function that passes them, so their calls count as its own. Anonymous request handlers
 * (`app.get('/x', async (req, res) => ...)`) are entry points of their own: their calls are
 * indexed under them, so rules can tell a helper is called per request.
 */
function owner(
  fn: TsFunction | undefined,
  isHandler: (fn: TsFunction) => boolean,
): TsFunction | undefined {
  let current = fn;
  while (current && !current.name && !isHandler(current) && current.parent)
    current = current.parent;
  return current && (current.name || isHandler(current)) ? current : undefined;
}

/**
 * A memoised getter: its body starts with `if (x) return x;` for a module variable or `this.x`
 * (`if (database) return database;`). What it calls after that runs once per process, so callers
 * in a loop do not pay for it: its calls and effects are left out of its facts.
 */
function isMemoisedGetter(fn: TsFunction): boolean {
  const body = (fn.node as { body?: ts.Node }).body;
  if (!body || !ts.isBlock(body)) return false;
  const first = body.statements[0];
  if (!first || !ts.isIfStatement(first) || first.elseStatement) return false;
  const then = ts.isBlock(first.thenStatement)
    ? first.thenStatement.statements.length === 1
      ? first.thenStatement.statements[0]
      : undefined
    : first.thenStatement;
  if (!then || !ts.isReturnStatement(then) || !then.expression) return false;
  const kept = unwrap(first.expression).getText();
  if (unwrap(then.expression).getText() !== kept) return false;
  const condition = unwrap(first.expression);
  if (ts.isPropertyAccessExpression(condition))
    return condition.expression.kind === ts.SyntaxKind.ThisKeyword;
  return ts.isIdentifier(condition) && !fn.params.includes(condition.text);
}

/**
 * An async function that runs once while the process starts (`async function main()`,
 * `onModuleInit()`): other files' rules do not take it for a way in to per-call work. Only async
 * functions are asked, as only they are entries of such searches (and the question reads the
 * file's calls).
 */
function runsAtStartup(model: TsModel, fn: TsFunction, handler: boolean): boolean {
  return fn.isAsync && !handler && isStartupFunction(model, fn);
}

/**
 * What the index records of a function for rules of other files to ask: that it runs at startup,
 * that it returns a timeout promise nobody can clear. `timers` says whether the file starts a
 * `setTimeout` at all, so files without one skip that question.
 */
function functionTraits(
  model: TsModel,
  fn: TsFunction,
  handler: boolean,
  timers: boolean,
): string[] {
  const traits: string[] = [];
  if (runsAtStartup(model, fn, handler)) traits.push(STARTUP_TRAIT);
  if (timers && returnsUnclearedTimeout(model, fn)) traits.push(UNCLEARED_TIMEOUT_TRAIT);
  return traits;
}

/** Builds the facts of one TypeScript/JavaScript file from its model. */
export function extractTsFacts(model: TsModel, file: string): FileFacts {
  const moduleName = tsModuleNameOf(model.relativePath);
  const handlers = new Map<TsFunction, boolean>();
  const isHandler = (fn: TsFunction): boolean => {
    let known = handlers.get(fn);
    if (known === undefined) handlers.set(fn, (known = isRequestHandler(model, fn)));
    return known;
  };
  const callsByFunction = new Map<TsFunction, TsCall[]>();
  for (const call of model.calls) {
    const fn = owner(call.fn, isHandler);
    if (!fn) continue;
    const list = callsByFunction.get(fn);
    if (list) list.push(call);
    else callsByFunction.set(fn, [call]);
  }
  const functions: FunctionFacts[] = [];
  const timers = model.text.includes('setTimeout');
  for (const fn of model.functions) {
    const handler = isHandler(fn);
    // Anonymous handlers get a name no call can resolve to, unique by their offset.
    const local =
      localQualifiedName(fn) ??
      wrappedExportName(model, fn) ??
      (handler ? `#handler@${fn.start}` : undefined);
    if (!local) continue;
    const effects: Effect[] = [];
    const calls: CallSite[] = [];
    const memoised = isMemoisedGetter(fn);
    for (const call of memoised ? [] : (callsByFunction.get(fn) ?? [])) {
      const effect = effectOf(call, model, moduleName);
      if (effect) {
        effects.push(effect);
        continue;
      }
      // A query on a model class whose base is in another file is found through the index.
      let targets = tsCallTargets(call, model, moduleName);
      if (targets.length === 0)
        targets = modelClassTargets(call, model, moduleName).map(
          (target) => `${target}.${call.name}`,
        );
      if (targets.length === 0) continue;
      calls.push({
        targets,
        callee: calleeDisplay(call, 80),
        start: call.start,
        end: call.end,
        inLoop: call.loops.length > 0,
        awaited: call.awaited,
        ...(isMemoised(call) ? { memoised: true as const } : {}),
      });
    }
    functions.push({
      qualifiedName: moduleName ? `${moduleName}.${local}` : local,
      name: fn.name || handlerLabel(fn) || '(request handler)',
      isAsync: fn.isAsync,
      isRouteHandler: handler,
      start: fn.start,
      end: fn.end,
      nameStart: fn.nameStart,
      nameEnd: fn.nameEnd,
      effects,
      calls,
      traits: functionTraits(model, fn, handler, timers),
    });
  }
  functions.push(...importedRouteHandlers(model, moduleName));
  functions.push(...listedRouteHandlers(model, moduleName));
  functions.push(...importedProcedureResolvers(model, moduleName));
  const reexports = [
    ...reexportsOf(model),
    ...objectExportsOf(model, moduleName),
    ...defaultExportOf(model, moduleName),
    ...memoisedFunctionsOf(model, moduleName),
    ...factoryReexports(model, moduleName, (name) => importOrigin(model, name)),
    ...modelTypeImplementations(model, moduleName),
  ];
  const classes = classFactsOf(model, moduleName);
  const instances = moduleInstancesOf(model, moduleName);
  const loadCalls = loadCallsOf(model, moduleName);
  const databaseUrls = typeormDatabaseKinds(model);
  const arrayFields = exportedArrayFields(model);
  const memberChanges = importedMemberChanges(model);
  const valueChanges = importedValueChanges(model, (imported) =>
    importedModuleName(model, imported),
  );
  return {
    file,
    language: 'typescript',
    moduleName,
    functions,
    schema: { tables: [], indexes: [], operations: createdIndexOperations(model) },
    queryColumns: prismaQueryColumns(model, (client) => heldClientFact(model, client, moduleName)),
    ...(reexports.length > 0 ? { reexports } : {}),
    ...(classes.length > 0 ? { classes } : {}),
    ...(instances.length > 0 ? { instances } : {}),
    ...(loadCalls.length > 0 ? { loadCalls } : {}),
    ...(databaseUrls.length > 0 ? { databaseUrls } : {}),
    ...(arrayFields.length > 0 ? { arrayFields } : {}),
    ...(memberChanges.length > 0 ? { memberChanges } : {}),
    ...(valueChanges.length > 0 ? { valueChanges } : {}),
  };
}

/**
 * Next.js route handler exports that run an imported function (`export const POST =
 * withWorkspace(createLink)`, `createLink` from `lib/links`): each is indexed as a request handler
 * that calls it, so the function's module sees it runs per request (`WorkspaceCallers`). A
 * function of the route file itself is a request handler already (`isRequestHandler`).
 */
function importedRouteHandlers(model: TsModel, moduleName: string): FunctionFacts[] {
  const handlers: FunctionFacts[] = [];
  for (const { declaration, names } of routeExportsOfNames(model)) {
    const calls = names.flatMap((name) => importedFunctionPassed(model, name) ?? []);
    if (calls.length === 0) continue;
    const { name } = declaration;
    handlers.push(
      requestEntry(moduleName, {
        local: name.text,
        label: name.text,
        start: declaration.getStart(),
        end: declaration.end,
        name,
        calls,
      }),
    );
  }
  return handlers;
}

/**
 * Next.js route handlers exported from another module by an export list (`export { handler as
 * GET, handler as POST } from './links'`, `export { GET } from '@/lib/route'`, `export {
 * listLinks as GET }` of an imported `listLinks`, and an API route's `export { default } from
 * '...'`): each is indexed as a request handler that calls the function, so its module sees it
 * runs per request. A function of the route file exported so is a request handler already.
 */
function listedRouteHandlers(model: TsModel, moduleName: string): FunctionFacts[] {
  const handlers: FunctionFacts[] = [];
  for (const { element, specifier } of listedRouteExports(model)) {
    const local = element.propertyName ?? element.name;
    let targets: string[];
    if (specifier === undefined) targets = importedValueTargets(model, local.text);
    else {
      const module = resolveSpecifier(model.relativePath, specifier, model.moduleAliases);
      targets = module === undefined ? [] : [module ? `${module}.${local.text}` : local.text];
    }
    const site = passedSite(local, targets);
    if (!site) continue;
    const { name } = element;
    handlers.push(
      requestEntry(moduleName, {
        local: `#handler@${element.getStart()}`,
        label: name.text,
        start: element.getStart(),
        end: element.end,
        name,
        calls: [site],
      }),
    );
  }
  return handlers;
}

/**
 * tRPC procedures given an imported function as resolver (`getAll:
 * publicProcedure.input(schema).query(getLinksHandler)`, `getLinksHandler` from
 * `controllers/link.controller`, the router -> controller -> service layout of T3 apps), or a
 * method of a controller (`.query(linksController.list)` of an imported object or instance, or of
 * `const ctrl = new LinksController()`): each is indexed as a request handler that calls it, so
 * the controller and the services it calls see they run per request (`WorkspaceCallers`). A
 * function of the router file itself is a request handler already (`isRequestHandler`).
 */
function importedProcedureResolvers(model: TsModel, moduleName: string): FunctionFacts[] {
  const handlers: FunctionFacts[] = [];
  for (const { call, name, member } of procedureResolverNames(model)) {
    const site = member
      ? memberPassed(model, name, member, moduleName)
      : importedFunctionPassed(model, name);
    if (!site) continue;
    const label = procedureKey(call) ?? site.callee;
    // No call can name the procedure itself: it is an entry, unique by its offset.
    const local = `#handler@${call.start}`;
    const { start, end } = call;
    handlers.push(requestEntry(moduleName, { local, label, start, end, name, calls: [site] }));
  }
  return handlers;
}

/**
 * The imported function `name` handed to a wrapper or procedure builder, as a call the request
 * entry makes (the wrapper calls it per request); undefined when it is not a workspace import.
 */
function importedFunctionPassed(model: TsModel, name: ts.Identifier): CallSite | undefined {
  return passedSite(name, importedValueTargets(model, name.text));
}

/**
 * The method `object.member` handed to a procedure builder, as the call the request entry makes:
 * a member of an imported object, instance or namespace (`linksController.list`, resolved as the
 * call `linksController.list()` would be), or a method of the workspace class a variable of the
 * file is made with (`const ctrl = new LinksController()`).
 */
function memberPassed(
  model: TsModel,
  object: ts.Identifier,
  member: string,
  moduleName: string,
): CallSite | undefined {
  const imported = model.imports.get(object.text);
  if (imported) return passedSite(object.parent, importedMemberTargets(model, imported, member));
  const typeName = declaredTypeName(object);
  if (
    !typeName ||
    !(model.imports.has(typeName) || declaredFunctionsAndClasses(model).has(typeName))
  )
    return undefined;
  const prefix = moduleName ? `${moduleName}.` : '';
  return passedSite(object.parent, classMethodTargets(model, typeName, member, prefix));
}

/** A call site at `node` of the functions `targets` name, made by a request entry. */
function passedSite(node: ts.Node, targets: string[]): CallSite | undefined {
  if (targets.length === 0) return undefined;
  return {
    targets,
    callee: node.getText(),
    start: node.getStart(),
    end: node.end,
    inLoop: false,
    awaited: false,
  };
}

/** A request entry no function of this file declares, and what it is indexed with. */
interface RequestEntry {
  /** Its local name: unique in the module, no call names it. */
  local: string;
  /** How findings name it. */
  label: string;
  start: number;
  end: number;
  name: ts.Node;
  calls: CallSite[];
}

/**
 * A request handler no function of this file declares (a route export or tRPC procedure that
 * hands imported functions to a wrapper), indexed as an entry that makes `calls`.
 */
function requestEntry(
  moduleName: string,
  { local, label, start, end, name, calls }: RequestEntry,
): FunctionFacts {
  return {
    qualifiedName: moduleName ? `${moduleName}.${local}` : local,
    name: label,
    // What the wrapper or procedure builder returns is not known; the entry is one either way.
    isAsync: false,
    isRouteHandler: true,
    start,
    end,
    nameStart: name.getStart(),
    nameEnd: name.end,
    effects: [],
    calls,
    traits: [],
  };
}

/**
 * Calls of imported workspace functions that initialise module variables (`const userRepo =
 * repoFactory(UserEntity)`): they run once, while the module loads. Only a plain imported name
 * called: the pattern of per-module factories and registries.
 */
function loadCallsOf(model: TsModel, moduleName: string): CallSite[] {
  const sites: CallSite[] = [];
  for (const declaration of model.moduleVariables.values()) {
    const init = declaration.initializer && unwrap(declaration.initializer);
    if (!init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression)) continue;
    if (!model.imports.has(init.expression.text)) continue;
    const call = model.callAt(init);
    const targets = call ? tsCallTargets(call, model, moduleName) : [];
    if (!call || targets.length === 0) continue;
    const { start, end, awaited } = call;
    sites.push({ targets, callee: calleeDisplay(call, 80), start, end, inLoop: false, awaited });
  }
  return sites;
}

/**
 * The module's top-level instances of workspace classes (`export const mailer = new Mailer(cfg)`,
 * `const roles = new RoleService(); export { roles }`, `export default new SmsGateway(url)`), so
 * the index resolves `mailer.send()` in an importing file to `Mailer.send`. Only `new` of a class
 * this file declares or imports from the workspace: `new Map()` and package clients name no
 * indexed method.
 */
function moduleInstancesOf(model: TsModel, moduleName: string): InstanceFact[] {
  const instances: InstanceFact[] = [];
  const add = (name: string, expression: ts.Expression | undefined): void => {
    const node = expression && unwrap(expression);
    if (!node || !ts.isNewExpression(node) || !ts.isIdentifier(node.expression)) return;
    const classNames = instantiatedClassNames(model, node.expression.text, moduleName);
    if (classNames.length > 0) instances.push({ name, classNames });
  };
  for (const statement of model.sourceFile.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations)
        if (ts.isIdentifier(declaration.name)) add(declaration.name.text, declaration.initializer);
    } else if (ts.isExportAssignment(statement) && !statement.isExportEquals)
      add('default', statement.expression);
  }
  // Under the names other modules use: `export { svc as service }`, `exports.mailer = new X()`.
  for (const { name, value } of aliasedExports(model))
    add(name, exportedInstantiation(model, value));
  // Mongoose models whose schema loads a class: `Users.findActive()` elsewhere is its static.
  const prefix = moduleName ? `${moduleName}.` : '';
  for (const { name, classNames } of modelsWithStatics(model))
    instances.push({ name, classNames: classNames.map((className) => `${prefix}${className}`) });
  return instances;
}

/** The qualified names a class `new` names may have: declared here, or imported by name. */
function instantiatedClassNames(model: TsModel, name: string, moduleName: string): string[] {
  const imported = model.imports.get(name);
  if (imported) return importedClassTargets(model, imported, name);
  if (!declaredFunctionsAndClasses(model).has(name)) return [];
  return [moduleName ? `${moduleName}.${name}` : name];
}

/**
 * `export { a as b } from './x'` and `export * from './x'` of workspace modules, and `export { a }`
 * of a name this file imports from one (`import User from './User'; export { User };`, as a models
 * index re-exports its model classes).
 */
function reexportsOf(model: TsModel): Reexport[] {
  const reexports: Reexport[] = [];
  for (const statement of model.sourceFile.statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier) {
      reexports.push(...importedExportsOf(model, statement));
      continue;
    }
    if (!ts.isStringLiteral(specifier)) continue;
    const module = resolveSpecifier(model.relativePath, specifier.text, model.moduleAliases);
    if (module === undefined) continue;
    const clause = statement.exportClause;
    // `export * as ns from './x'` names a namespace: `ns.f()` is `x.f` with a prefix.
    if (!clause) reexports.push({ exported: '*', module });
    else if (ts.isNamespaceExport(clause))
      reexports.push({ exported: clause.name.text, module, imported: '*' });
    else
      for (const element of clause.elements) {
        if (element.isTypeOnly) continue;
        const exported = element.name.text;
        const imported = element.propertyName?.text;
        reexports.push({
          exported,
          module,
          ...(imported && imported !== exported ? { imported } : {}),
        });
      }
  }
  return reexports;
}

/** `export { User, Post as Article }` (no `from`) of imported names: where each comes from. */
function importedExportsOf(model: TsModel, statement: ts.ExportDeclaration): Reexport[] {
  const clause = statement.exportClause;
  if (!clause || !ts.isNamedExports(clause)) return [];
  const reexports: Reexport[] = [];
  for (const element of clause.elements) {
    if (element.isTypeOnly) continue;
    const origin = importOrigin(model, (element.propertyName ?? element.name).text);
    if (origin) reexports.push({ exported: element.name.text, ...origin });
  }
  return reexports;
}

/** The workspace module and export name an imported name comes from (`*`: the module itself). */
function importOrigin(
  model: TsModel,
  local: string,
): { module: string; imported: string } | undefined {
  const imported = model.imports.get(local);
  if (!imported) return undefined;
  const module = importedModuleName(model, imported);
  return module === undefined ? undefined : { module, imported: imported.imported };
}

/**
 * The members of object literals the module exports (`exportedObjects`), as re-exports named
 * `<object>.<member>` (plain `<member>` for `module.exports`, as `require` returns the object): so
 * `leadsService.getAll()` resolves to the function and `models.User.findAll()` to the model class.
 * Only members that name a function or class of this file, an import, or an inline function: a
 * member holding a value (`pageSize: 20`, a client instance) names nothing to follow.
 */
function objectExportsOf(model: TsModel, moduleName: string): Reexport[] {
  const reexports: Reexport[] = [];
  for (const { name, object } of exportedObjects(model)) {
    const prefix = name ? `${name}.` : '';
    for (const [member, origin] of objectMembers(model, moduleName, object)) {
      const exported = `${prefix}${member}`;
      // `module.exports = { Job }` of a class declared here: found under its own name already.
      if (origin.module === moduleName && origin.imported === exported) continue;
      reexports.push({ exported, ...origin });
    }
  }
  return reexports;
}

/**
 * Top-level memos of a named function (`export const getTeam = unstable_cache(loadTeam, ['team'])`,
 * `const getUser = cache(fetchUser)`) as the function they wrap: a call of `getTeam` runs
 * `loadTeam` whenever the memo misses. (A function written inside the wrapper is indexed under
 * the variable's name already, `model.ts`.)
 */
function memoisedFunctionsOf(model: TsModel, moduleName: string): Reexport[] {
  const reexports: Reexport[] = [];
  for (const { declaration, wrapped } of memoisedFunctions(model)) {
    if (!ts.isIdentifier(declaration.name)) continue;
    const origin =
      importOrigin(model, wrapped) ??
      (declaresCallable(model, wrapped) ? { module: moduleName, imported: wrapped } : undefined);
    if (origin) reexports.push({ exported: declaration.name.text, ...origin });
  }
  return reexports;
}

/**
 * What `default` names when it is a class or function of this file, or an import (`export default
 * User;`, `export default class User`): a barrel's `export { default as User } from './User'`
 * then leads to `User.findActive` as indexed (methods are indexed under the class's own name).
 */
function defaultExportOf(model: TsModel, moduleName: string): Reexport[] {
  for (const statement of model.sourceFile.statements) {
    let name: string | undefined;
    if (ts.isExportAssignment(statement) && !statement.isExportEquals) {
      const expression = unwrap(statement.expression);
      if (!ts.isIdentifier(expression)) return [];
      const origin = importOrigin(model, expression.text);
      if (origin) return [{ exported: 'default', ...origin }];
      name = declaresCallable(model, expression.text) ? expression.text : undefined;
    } else if (
      (ts.isClassDeclaration(statement) || ts.isFunctionDeclaration(statement)) &&
      hasModifier(statement, ts.SyntaxKind.DefaultKeyword)
    )
      name = statement.name?.text;
    else continue;
    return name ? [{ exported: 'default', module: moduleName, imported: name }] : [];
  }
  return [];
}

/** Each member of an object literal that names something callable, with where it is defined. */
function objectMembers(
  model: TsModel,
  moduleName: string,
  object: ts.ObjectLiteralExpression,
): [string, { module: string; imported: string }][] {
  const members: [string, { module: string; imported: string }][] = [];
  for (const { member, value } of callableMembers(object)) {
    // Inline functions are indexed under their member name (`{ async list() {} }`).
    if (!value) {
      members.push([member, { module: moduleName, imported: member }]);
      continue;
    }
    const origin =
      importOrigin(model, value.text) ??
      (declaresCallable(model, value.text) || isMongooseModelVariable(model, value.text)
        ? { module: moduleName, imported: value.text }
        : undefined);
    if (origin) members.push([member, origin]);
  }
  return members;
}
