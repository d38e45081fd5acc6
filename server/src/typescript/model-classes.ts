/**
 * Model classes: classes that extend `Model` from `sequelize`, `sequelize-typescript` or
 * `@sequelize/core`, TypeORM's `BaseEntity` (Active Record) or TypeORM's `Repository` (a custom
 * repository), directly or through other classes (`class User extends ParanoidModel`, `class
 * ParanoidModel extends IdModel`, `class IdModel extends Model`); and Mongoose models bound at
 * module level (`mongoose-models.ts`). Their statics run queries (`User.findByPk(id)`,
 * `Member.findOneBy({ id })`, `Notification.create(...)`), and so do some instance methods
 * (`user.save()`), each ORM its own (`MODEL_QUERIES`). Here a class is judged from the syntax of
 * its own file; a base class imported from another workspace file is recorded in the file's
 * facts (`ClassFact`) and followed by the workspace index (`ormModelOf`). Objection's `Model`
 * makes models too, whose queries start with `query()`/`$query()` (`objection.ts`). A `Model`
 * from any other package (a workspace class of that name) and a class that merely has a static
 * `findByPk` are not models.
 */
import { ts } from './compiler';
import { declaredTypeName } from './declared-types';
import { isModuleExportsAssignment } from './module-exports';
import { declarationOf } from './name-resolution';
import {
  hasModifier,
  isRequireCall,
  isRequiredBinding,
  unwrap,
  type TsCall,
  type TsModel,
} from './model';
import { isLoadedIntoSchema } from './mongoose-loaded-classes';
import { isMongooseModelVariable } from './mongoose-models';
import {
  MIKRO_ORM,
  MIKRO_ORM_MANAGER_VALUE,
  MIKRO_ORM_QUERIES,
  MIKRO_ORM_REPOSITORY_VALUE,
} from './mikro-orm';
import { MONGODB, MONGODB_COMMANDS, MONGODB_CURSOR_STARTS } from './mongodb-collections';
import {
  isObjectionModelBase,
  OBJECTION,
  OBJECTION_INSTANCE_QUERIES,
  OBJECTION_STATIC_QUERIES,
} from './objection';
import { MONGOOSE_QUERIES, TYPEORM_QUERIES } from './orm-methods';
import {
  importedRepositorySource,
  TYPEORM_DATA_SOURCE_VALUE,
  TYPEORM_REPOSITORY_GETTERS,
} from './typeorm-modules';

/** Packages whose `Model` is Sequelize's (v6, its TypeScript decorators, and v7). */
const SEQUELIZE_PACKAGES = new Set(['sequelize', 'sequelize-typescript', '@sequelize/core']);

/** Model statics that run a query (`build`, `init` and `scope` do not). */
export const SEQUELIZE_STATIC_QUERIES = new Set([
  'findAll',
  'findOne',
  'findByPk',
  'findAndCountAll',
  'findOrCreate',
  'findOrBuild',
  'findCreateFind',
  'count',
  'max',
  'min',
  'sum',
  'aggregate',
  'create',
  'bulkCreate',
  'update',
  'destroy',
  'restore',
  'upsert',
  'increment',
  'decrement',
]);

/** Instance methods that run a query; sequelize-typescript adds the `$` association helpers. */
export const SEQUELIZE_INSTANCE_QUERIES = new Set([
  'save',
  'reload',
  'destroy',
  'update',
  'increment',
  'decrement',
  'restore',
  '$get',
  '$set',
  '$add',
  '$remove',
  '$has',
  '$count',
  '$create',
]);

/** The model kind of a class that extends TypeORM's `Repository`: queries are `typeorm`'s. */
const TYPEORM_REPOSITORY = 'typeorm-repository';

/** TypeORM's repository classes, which a custom repository extends. */
const TYPEORM_REPOSITORY_CLASSES = new Set(['Repository', 'TreeRepository', 'MongoRepository']);

/**
 * The model kind of a module variable holding a TypeORM repository (`export const users =
 * ds.getRepository(User)`): other modules call its finders as on a class (`users.findBy()`).
 */
export const TYPEORM_REPOSITORY_VALUE = 'typeorm-repository-value';

/** The ORM package a model kind's queries go through (`typeorm` for a custom repository). */
export function ormOfModelKind(kind: string): string {
  if (kind === MIKRO_ORM_MANAGER_VALUE || kind === MIKRO_ORM_REPOSITORY_VALUE) return MIKRO_ORM;
  return TYPEORM_KINDS.has(kind) ? 'typeorm' : kind;
}

/** Model kinds whose queries are TypeORM repository queries. */
const TYPEORM_KINDS = new Set([
  TYPEORM_REPOSITORY,
  TYPEORM_REPOSITORY_VALUE,
  TYPEORM_DATA_SOURCE_VALUE,
  TYPEORM_REPOSITORY_GETTERS,
]);

/** TypeORM Active Record (`class User extends BaseEntity`): instance methods that run a query. */
const ACTIVE_RECORD_INSTANCE_QUERIES = new Set([
  'save',
  'remove',
  'softRemove',
  'recover',
  'reload',
]);

/** Mongoose documents: instance methods that run a query (`await user.save()`). */
const MONGOOSE_DOCUMENT_QUERIES = new Set(['save', 'deleteOne', 'updateOne', 'populate']);

/**
 * Per ORM whose models are classes or class-like values, the statics that run a query and the
 * instance methods that do. TypeORM's are those of `BaseEntity` (its static `create` only builds
 * an entity); Mongoose's are a model's and a document's.
 */
const MODEL_QUERIES: Record<
  string,
  { static: ReadonlySet<string>; instance: ReadonlySet<string> }
> = {
  sequelize: { static: SEQUELIZE_STATIC_QUERIES, instance: SEQUELIZE_INSTANCE_QUERIES },
  typeorm: {
    static: new Set([...TYPEORM_QUERIES, 'findOneById', 'clear']),
    instance: ACTIVE_RECORD_INSTANCE_QUERIES,
  },
  mongoose: { static: MONGOOSE_QUERIES, instance: MONGOOSE_DOCUMENT_QUERIES },
  // Objection's query starts (`Page.query()`, `page.$relatedQuery('tags')`): the builder they
  // return runs when awaited (`objection.ts` finds the end of the chain).
  [OBJECTION]: { static: OBJECTION_STATIC_QUERIES, instance: OBJECTION_INSTANCE_QUERIES },
  // A custom repository (`class UserRepository extends Repository<User>`): its instances are
  // repositories (`this.find()` in its methods, `users.findBy(...)` on an injected one).
  [TYPEORM_REPOSITORY]: { static: new Set(), instance: TYPEORM_QUERIES },
  [TYPEORM_REPOSITORY_VALUE]: { static: TYPEORM_QUERIES, instance: new Set() },
  // Another module's data source or repository getter factory, named by the repository taken from
  // it (`databaseConnection.getRepository(Flow).find()`, `flowRepo().findOneBy()`): see
  // `importedRepositorySource`.
  [TYPEORM_DATA_SOURCE_VALUE]: { static: TYPEORM_QUERIES, instance: new Set() },
  [TYPEORM_REPOSITORY_GETTERS]: { static: TYPEORM_QUERIES, instance: new Set() },
  // A native MongoDB collection another module exports (`export const users =
  // db.collection('users')`): its commands, and the `find()` whose cursor a read runs.
  [MONGODB]: {
    static: new Set([...MONGODB_COMMANDS, ...MONGODB_CURSOR_STARTS]),
    instance: new Set(),
  },
  // A MikroORM entity manager or repository another module exports (`DI.em`, `userRepo`).
  [MIKRO_ORM_MANAGER_VALUE]: { static: MIKRO_ORM_QUERIES, instance: new Set() },
  [MIKRO_ORM_REPOSITORY_VALUE]: { static: MIKRO_ORM_QUERIES, instance: new Set() },
};

/** Every model static and instance method that runs a query in some ORM: others need no look. */
const ANY_STATIC_QUERY = new Set(Object.values(MODEL_QUERIES).flatMap((m) => [...m.static]));
const ANY_INSTANCE_QUERY = new Set(Object.values(MODEL_QUERIES).flatMap((m) => [...m.instance]));

/** Whether `method`, called on a model class of `orm` (`static`) or an instance of one, runs a query. */
export function modelMethodQueries(orm: string, receiver: ModelReceiver, method: string): boolean {
  return MODEL_QUERIES[orm]?.[receiver.kind].has(method) ?? false;
}

/** Whether `method` runs a query on some ORM's model class or instance (a call site worth a look). */
export function mayQueryModel(method: string): boolean {
  return ANY_STATIC_QUERY.has(method) || ANY_INSTANCE_QUERY.has(method);
}

/** Whether `method` runs a query on a model class of `orm` or an instance of one. */
export function ormModelMethodQueries(orm: string, method: string): boolean {
  const methods = MODEL_QUERIES[orm];
  return !!methods && (methods.static.has(method) || methods.instance.has(method));
}

/**
 * Statics whose awaited result is one instance of the class (`const user = await
 * User.findByPk(id)`, Mongoose `findById`, TypeORM `findOneBy`).
 */
const RETURNS_INSTANCE = new Set([
  'findByPk',
  'findOne',
  'create',
  'build',
  'findById',
  'findOneBy',
  'findOneOrFail',
  'findOneByOrFail',
]);

/** A top-level class of the file that extends something. */
export interface DeclaredClass {
  name: string;
  isDefault: boolean;
  /** The ORM whose model base it extends directly (`sequelize`). */
  orm?: string;
  /** The plain name it extends otherwise: a class declared in this file, or an imported one. */
  baseName?: string;
}

const classesOfModel = new WeakMap<TsModel, Map<string, DeclaredClass>>();

const topLevelClassesOfModel = new WeakMap<TsModel, Map<string, ts.ClassDeclaration>>();

/** The module's named top-level class declarations, read once per file. */
export function topLevelClasses(model: TsModel): Map<string, ts.ClassDeclaration> {
  let classes = topLevelClassesOfModel.get(model);
  if (!classes) {
    classes = new Map();
    for (const statement of model.sourceFile.statements)
      if (ts.isClassDeclaration(statement) && statement.name)
        classes.set(statement.name.text, statement);
    topLevelClassesOfModel.set(model, classes);
  }
  return classes;
}

/** The expression after `extends` (`Model` in `extends Model<Attributes, Creation>`). */
export function extendsExpression(node: ts.ClassLikeDeclaration): ts.Expression | undefined {
  const clause = node.heritageClauses?.find(
    (heritage) => heritage.token === ts.SyntaxKind.ExtendsKeyword,
  );
  return clause?.types[0]?.expression;
}

/**
 * The ORM whose model base `expression` names: `Model` imported from a Sequelize package, or
 * `Sequelize.Model` of its namespace, default or `Sequelize` import (`require('sequelize')` too).
 */
function ormBaseOf(model: TsModel, expression: ts.Expression): string | undefined {
  const node = unwrap(expression);
  if (ts.isIdentifier(node)) {
    const imported = model.imports.get(node.text);
    // TypeORM's Active Record base: its statics (`User.find()`) query the entity's table; and
    // its repositories, which custom repositories extend.
    if (imported?.module === 'typeorm' && imported.imported === 'BaseEntity') return 'typeorm';
    if (imported?.module === 'typeorm' && TYPEORM_REPOSITORY_CLASSES.has(imported.imported))
      return TYPEORM_REPOSITORY;
    if (isObjectionModelBase(model, node)) return OBJECTION;
    return imported && SEQUELIZE_PACKAGES.has(imported.module) && imported.imported === 'Model'
      ? 'sequelize'
      : undefined;
  }
  if (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'Model' &&
    ts.isIdentifier(node.expression)
  ) {
    if (isObjectionModelBase(model, node)) return OBJECTION;
    const imported = model.imports.get(node.expression.text);
    const namespace = ['*', 'default', 'Sequelize'].includes(imported?.imported ?? '');
    return imported && SEQUELIZE_PACKAGES.has(imported.module) && namespace
      ? 'sequelize'
      : undefined;
  }
  return undefined;
}

/** The file's top-level classes that extend something, by name (built once per file). */
export function declaredClasses(model: TsModel): Map<string, DeclaredClass> {
  let classes = classesOfModel.get(model);
  if (classes) return classes;
  classes = new Map();
  // `export default User;` after a decorated class, as sequelize-typescript models often end.
  const exportedAsDefault = new Set<string>();
  for (const statement of model.sourceFile.statements)
    if (
      ts.isExportAssignment(statement) &&
      !statement.isExportEquals &&
      ts.isIdentifier(statement.expression)
    )
      exportedAsDefault.add(statement.expression.text);
  for (const statement of model.sourceFile.statements) {
    const exported = moduleExportsClass(statement);
    const cls = exported ?? statement;
    if (!ts.isClassLike(cls) || (!cls.name && !exported)) continue;
    const base = extendsExpression(cls);
    if (!base) continue;
    const name = cls.name?.text ?? 'default';
    const orm = ormBaseOf(model, base);
    const inner = unwrap(base);
    classes.set(name, {
      name,
      isDefault:
        !!exported || hasModifier(cls, ts.SyntaxKind.DefaultKeyword) || exportedAsDefault.has(name),
      orm,
      baseName: !orm && ts.isIdentifier(inner) ? inner.text : undefined,
    });
  }
  classesOfModel.set(model, classes);
  return classes;
}

/**
 * The class of `module.exports = class Group extends Model { ... }`, as CommonJS model files
 * (Objection's in wiki.js) export their one class; another module `require`s it whole.
 */
function moduleExportsClass(statement: ts.Statement): ts.ClassExpression | undefined {
  if (!ts.isExpressionStatement(statement)) return undefined;
  const assignment = statement.expression;
  if (!isModuleExportsAssignment(assignment)) return undefined;
  const value = unwrap(assignment.right);
  return ts.isClassExpression(value) ? value : undefined;
}

/**
 * The ORM whose model a class of this file is, following bases declared in this file, or
 * `mongoose` for a module variable holding a Mongoose model and for a class a schema loads (in
 * its statics `this` is the model, in its methods a document).
 */
function localOrmModel(model: TsModel, className: string): string | undefined {
  if (isMongooseModelVariable(model, className) || isLoadedIntoSchema(model, className))
    return 'mongoose';
  const classes = declaredClasses(model);
  const seen = new Set<string>();
  for (let cls = classes.get(className); cls && !seen.has(cls.name);) {
    seen.add(cls.name);
    if (cls.orm) return cls.orm;
    cls = cls.baseName ? classes.get(cls.baseName) : undefined;
  }
  return undefined;
}

/** The class a call's receiver is (`static`) or is an instance of (`instance`), by name. */
export interface ModelReceiver {
  className: string;
  kind: 'static' | 'instance';
}

/** The method or accessor whose `this` a node sees (arrow functions see their parent's). */
function thisOwner(node: ts.Node): ts.Node | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (ts.isArrowFunction(current)) continue;
    if (ts.isFunctionLike(current) || ts.isClassLike(current)) return current;
  }
  return undefined;
}

/** `this.findAll()` in a static method (the class), `this.save()` in an instance method. */
function thisReceiver(call: TsCall): ModelReceiver | undefined {
  const owner = thisOwner(call.node);
  if (!owner || !(ts.isMethodDeclaration(owner) || ts.isGetAccessor(owner))) return undefined;
  const cls = owner.parent;
  if (!ts.isClassDeclaration(cls) || !cls.name) return undefined;
  const kind = hasModifier(owner, ts.SyntaxKind.StaticKeyword) ? 'static' : 'instance';
  return { className: cls.name.text, kind };
}

/**
 * `X` in `X.m(...)`, awaited or not: the class a static that returns an instance is called on
 * (`models.X` of `models.X.findAll()` when `models` is imported: a models index's member).
 */
function instanceSource(expression: ts.Expression | undefined, methods: Set<string>): string {
  let node = expression && unwrap(expression);
  if (node && ts.isAwaitExpression(node)) node = unwrap(node.expression);
  if (!node || !ts.isCallExpression(node)) return '';
  const callee = unwrap(node.expression);
  if (!ts.isPropertyAccessExpression(callee)) return '';
  const objectionClass = objectionInstanceSource(callee, methods);
  if (objectionClass) return objectionClass;
  if (!methods.has(callee.name.text)) return '';
  const receiver = callee.expression;
  if (ts.isIdentifier(receiver)) return receiver.text;
  return ts.isPropertyAccessExpression(receiver) && importedMember(receiver)
    ? receiver.getText()
    : '';
}

/** Objection builder methods whose awaited result is one instance of the model. */
const OBJECTION_RETURNS_INSTANCE = new Set([
  'findById',
  'findOne',
  'first',
  'insertAndFetch',
  'patchAndFetchById',
  'updateAndFetchById',
]);

/**
 * `X` of `X.query().findById(id)` (and `findOne`, `first`, `insertAndFetch`), when the caller
 * asks for statics that return an instance: Objection's single-row reads, one builder call after
 * the class's `query()`.
 */
function objectionInstanceSource(
  callee: ts.PropertyAccessExpression,
  methods: Set<string>,
): string {
  if (methods !== RETURNS_INSTANCE || !OBJECTION_RETURNS_INSTANCE.has(callee.name.text)) return '';
  const start = unwrap(callee.expression);
  if (!ts.isCallExpression(start)) return '';
  const startCallee = unwrap(start.expression);
  return ts.isPropertyAccessExpression(startCallee) &&
    startCallee.name.text === 'query' &&
    ts.isIdentifier(startCallee.expression)
    ? startCallee.expression.text
    : '';
}

/** The element type of `X[]`, `readonly X[]`, `Array<X>` or `ReadonlyArray<X>`. */
function elementTypeName(type: ts.TypeNode | undefined): string {
  let node = type;
  if (node && ts.isTypeOperatorNode(node)) node = node.type;
  if (node && ts.isArrayTypeNode(node)) node = node.elementType;
  else if (
    node &&
    ts.isTypeReferenceNode(node) &&
    ts.isIdentifier(node.typeName) &&
    /^(?:Readonly)?Array$/.test(node.typeName.text)
  )
    node = node.typeArguments?.[0];
  else return '';
  return node && ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)
    ? node.typeName.text
    : '';
}

/** Statics whose awaited result is a list of instances of the class (`User.findAll()`). */
const RETURNS_INSTANCES = new Set(['findAll']);

/**
 * Objection builder methods that keep the result a list of the model's instances: filters,
 * order, paging and the relations fetched with them (not `first()`, `count()`, `page()`, writes).
 */
const OBJECTION_KEEPS_LIST =
  /^(?:(?:and|or)?where\w*|orderBy\w*|limit|offset|select|columns|distinct\w*|withGraph(?:Fetched|Joined)|(?:left|inner)?[jJ]oinRelated|modify|findByIds|skipUndefined|throwIfNotFound|forUpdate|context|timeout)$/;

/**
 * `X` of an awaited `X.query()...` that yields a list of `X` instances (`await
 * Person.query().where('age', '>', 2).orderBy('name')`), else an empty string.
 */
function objectionListSource(expression: ts.Expression | undefined): string {
  let node = expression && unwrap(expression);
  if (node && ts.isAwaitExpression(node)) node = unwrap(node.expression);
  while (node && ts.isCallExpression(node)) {
    const callee = unwrap(node.expression);
    if (!ts.isPropertyAccessExpression(callee)) return '';
    const owner = unwrap(callee.expression);
    if (callee.name.text === 'query') return ts.isIdentifier(owner) ? owner.text : '';
    if (!OBJECTION_KEEPS_LIST.test(callee.name.text)) return '';
    node = owner;
  }
  return '';
}

/** The class of the items a list-returning static gave (`findAll`, an Objection list query). */
function listSource(expression: ts.Expression | undefined): string {
  return instanceSource(expression, RETURNS_INSTANCES) || objectionListSource(expression);
}

/**
 * The class of the items of a `for...of` iterable, when the syntax says: a name declared `X[]`,
 * or the result of `X.findAll(...)` or of an Objection `X.query()` list (inline or in the
 * variable iterated).
 */
function iteratedClass(iterable: ts.Expression): string {
  const node = unwrap(iterable);
  const listed = listSource(node);
  if (listed || !ts.isIdentifier(node)) return listed;
  const holder = declarationOf(node)?.parent;
  if (!holder || !(ts.isParameter(holder) || ts.isVariableDeclaration(holder))) return '';
  return (
    elementTypeName(holder.type) ||
    (ts.isVariableDeclaration(holder) ? listSource(holder.initializer) : '')
  );
}

/**
 * The class a variable holds an instance of, when the syntax says: declared with it (`user: User`),
 * assigned a static's instance (`const user = await User.findByPk(id)`, `User.build(...)`), or
 * the loop variable over such instances (`for (const user of users)`, `users: User[]`).
 */
function instanceClassOf(receiver: ts.Identifier): string {
  return declaredTypeName(receiver) || loadedInstanceClass(receiver) || '';
}

/**
 * The class whose instance a variable holds because a model static loaded it: the loop variable
 * over `X.findAll(...)` (`for (const c of await models.Collective.findAll())`, inline or through
 * the variable iterated) or `const c = await X.findByPk(id)`. `X` as written (`models.Collective`
 * of an imported models index); undefined when the syntax does not say.
 */
export function loadedInstanceClass(
  receiver: ts.Identifier,
  /** The receiver's declaration, when the caller looked it up already. */
  declaration: ts.Identifier | undefined = declarationOf(receiver),
): string | undefined {
  const holder = declaration?.parent;
  if (!holder || !ts.isVariableDeclaration(holder)) return undefined;
  if (holder.initializer) return instanceSource(holder.initializer, RETURNS_INSTANCE) || undefined;
  const loop = holder.parent?.parent;
  return loop && ts.isForOfStatement(loop) && ts.isIdentifier(holder.name)
    ? iteratedClass(loop.expression) || undefined
    : undefined;
}

/**
 * The class a Sequelize-named query method is called on, or on an instance of, when the syntax
 * says which class it is (not yet whether that class is a model): `User.findByPk(id)` on a class
 * declared here or imported, `this.findAll()` in a static method, `user.save()` on an instance.
 */
export function modelReceiver(call: TsCall): ModelReceiver | undefined {
  // Asked for the same call by several rules and the facts, and it resolves declarations.
  let found = receivers.get(call);
  if (found === undefined) {
    found = findModelReceiver(call) ?? null;
    receivers.set(call, found);
  }
  return found ?? undefined;
}

const receivers = new WeakMap<TsCall, ModelReceiver | null>();

/** Statics that return the model class itself with other default options: chained before a query. */
const SCOPING_STATICS = new Set(['scope', 'unscoped', 'schema']);

/**
 * The class under its scopes: `VideoModel` of `VideoModel.scope(ScopeNames.FULL)` or of
 * `VideoModel.unscoped()` (`this` of `this.scope('withActor')`), whose queries are the model's.
 */
function unscoped(receiver: ts.Expression): ts.Expression {
  let node = unwrap(receiver);
  while (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    SCOPING_STATICS.has(node.expression.name.text)
  )
    node = unwrap(node.expression.expression);
  return node;
}

function findModelReceiver(call: TsCall): ModelReceiver | undefined {
  if (call.isNew || call.isTaggedTemplate || !call.receiver) return undefined;
  const staticQuery = ANY_STATIC_QUERY.has(call.name);
  const instanceQuery = ANY_INSTANCE_QUERY.has(call.name);
  if (!staticQuery && !instanceQuery) return undefined;
  // `items.find((item) => ...)`: an array's, never a model's.
  if (call.args[0] && ts.isFunctionLike(unwrap(call.args[0]))) return undefined;
  const receiver = staticQuery ? unscoped(call.receiver) : unwrap(call.receiver);
  if (receiver.kind === ts.SyntaxKind.ThisKeyword) {
    const found = thisReceiver(call);
    if (!found) return undefined;
    return (found.kind === 'static' ? staticQuery : instanceQuery) ? found : undefined;
  }
  if (ts.isPropertyAccessExpression(receiver)) {
    if (staticQuery && importedMember(receiver))
      return { className: receiver.getText(), kind: 'static' };
    const manager = staticQuery ? importedOrmManager(receiver) : undefined;
    if (manager) return { className: manager, kind: 'static' };
    // `this.users.findBy(...)` on a field declared with a class (an injected custom repository).
    const fieldClass =
      instanceQuery && receiver.expression.kind === ts.SyntaxKind.ThisKeyword
        ? declaredTypeName(receiver)
        : undefined;
    return fieldClass ? { className: fieldClass, kind: 'instance' } : undefined;
  }
  // A repository of another module's data source or getter (`flowRepo().findOneBy(...)`).
  if (ts.isCallExpression(receiver)) return repositoryFromImport(receiver, staticQuery);
  if (!ts.isIdentifier(receiver)) return undefined;
  const holder = declarationOf(receiver)?.parent;
  if (!holder) return undefined;
  // The class itself: declared in this file, bound by an import or a `require` (of one model,
  // `const Post = require('./Post')`, too), or a Mongoose model made at the module's top level.
  if (
    ts.isClassDeclaration(holder) ||
    ts.isImportSpecifier(holder) ||
    ts.isImportClause(holder) ||
    isRequiredBinding(holder) ||
    (ts.isVariableDeclaration(holder) && isModuleLevelModel(holder))
  )
    return staticQuery ? { className: receiver.text, kind: 'static' } : undefined;
  if (ts.isVariableDeclaration(holder) && !holder.type && holder.initializer) {
    const repository = repositoryFromImport(receiver, staticQuery);
    if (repository) return repository;
  }
  if (!instanceQuery) return undefined;
  const className = instanceClassOf(receiver);
  return className ? { className, kind: 'instance' } : undefined;
}

/**
 * A TypeORM repository taken from an imported data source or getter (`importedRepositorySource`),
 * as a static receiver named by that import: the index says what it is.
 */
function repositoryFromImport(
  receiver: ts.Expression,
  staticQuery: boolean,
): ModelReceiver | undefined {
  const source = staticQuery ? importedRepositorySource(receiver) : undefined;
  return source ? { className: source, kind: 'static' } : undefined;
}

/**
 * `models.User` where `models` is imported (`import models from './models'`, `import * as models`,
 * `const models = require('./models')`): a member of another module's export, which the index
 * may know is a model class (a models index exporting `{ User, Post }`).
 */
function importedMember(receiver: ts.PropertyAccessExpression): boolean {
  const head = receiver.expression;
  if (!ts.isIdentifier(head) || !ts.isIdentifier(receiver.name)) return false;
  const holder = declarationOf(head)?.parent;
  return (
    !!holder &&
    (ts.isImportClause(holder) ||
      ts.isNamespaceImport(holder) ||
      ts.isImportSpecifier(holder) ||
      isRequiredBinding(holder) ||
      (ts.isVariableDeclaration(holder) && isRequireCall(holder.initializer)))
  );
}

/**
 * `DI.orm.em` where `DI` is imported: the entity manager of a MikroORM object another module
 * shares as a member (`export const DI = {} as { orm: MikroORM }`), named as the index records it
 * (`mikro-orm.ts`, `moduleMikroOrmObjects`). The index tells whether it is one.
 */
function importedOrmManager(receiver: ts.PropertyAccessExpression): string | undefined {
  const owner = receiver.expression;
  if (receiver.name.text !== 'em' || !ts.isPropertyAccessExpression(owner)) return undefined;
  if (!ts.isIdentifier(owner.name) || !importedMember(owner)) return undefined;
  return `${(owner.expression as ts.Identifier).text}.${owner.name.text}.em`;
}

/**
 * A top-level `const X = require('./x')` (the module's one export: a model when that module says
 * `module.exports = mongoose.model(...)`), or one shaped like a Mongoose model
 * (`mongoose.model(...)`, `model(...)`, `mongoose.models.X || mongoose.model(...)`), which
 * `localOrmModel` then checks against the file's imports.
 */
function isModuleLevelModel(holder: ts.VariableDeclaration): boolean {
  const statement = holder.parent?.parent;
  if (!statement || !ts.isVariableStatement(statement) || !ts.isSourceFile(statement.parent))
    return false;
  let value = holder.initializer && unwrap(holder.initializer);
  if (value && ts.isBinaryExpression(value)) value = unwrap(value.right);
  if (!value || !ts.isCallExpression(value)) return false;
  const callee = unwrap(value.expression);
  if (ts.isIdentifier(callee)) return callee.text === 'require' || callee.text === 'model';
  return ts.isPropertyAccessExpression(callee) && callee.name.text === 'model';
}

/**
 * The ORM (`sequelize`, `typeorm`, `mongoose`) when `call` queries through a model class this
 * file declares (its chain of bases reaching the ORM's base in this file) or a Mongoose model it
 * makes, or an instance of one; classes and models of other files need the workspace index.
 */
export function localModelQuery(model: TsModel, call: TsCall): string | undefined {
  const kind = localModelKind(model, call);
  return kind && ormOfModelKind(kind);
}

/**
 * As `localModelQuery`, the model kind itself: `typeorm` for an Active Record entity,
 * `typeorm-repository` for a custom repository class, else the ORM.
 */
export function localModelKind(model: TsModel, call: TsCall): string | undefined {
  const receiver = modelReceiver(call);
  if (!receiver || model.imports.has(receiver.className)) return undefined;
  const kind = localOrmModel(model, receiver.className);
  return kind && modelMethodQueries(kind, receiver, call.name) ? kind : undefined;
}
