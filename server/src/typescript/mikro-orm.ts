/**
 * MikroORM's objects whose methods run queries: an entity manager and an entity repository. A
 * receiver is one when the syntax says so and the file imports MikroORM: declared with one of its
 * classes (`em: EntityManager`, `repo: EntityRepository<Book>`, from `@mikro-orm/core` or a driver
 * package that re-exports them), injected by `@mikro-orm/nestjs` (`@InjectRepository(Book) books:
 * BookRepository`, `@InjectEntityManager('db') em`), or taken from one of those (`orm.em`,
 * `em.fork()`, `em.getRepository(Book)`, the manager a `transactional` callback receives, a
 * variable holding one). A `find` on anything else (a TypeORM repository, an object with its own
 * `find`) is not MikroORM's.
 */
import { ts } from './compiler';
import { declaredTypeName, enclosingClass } from './declared-types';
import { callbackMethodReceiver, importsModule, unwrap, type TsCall, type TsModel } from './model';
import { declarationOf } from './name-resolution';

/** The name io calls give MikroORM's queries (`IoCall.orm`). */
export const MIKRO_ORM = '@mikro-orm/core';

/** The MikroORM objects the syntax can tell apart. */
type MikroOrmObject = 'EntityManager' | 'EntityRepository' | 'MikroORM';

/**
 * The model kinds (`ClassFact.orm`) of module-level MikroORM objects other modules import: an
 * entity manager (`DI.em` of `export const DI = {} as { em: EntityManager }`, and `DI.orm.em` of a
 * member typed `MikroORM`) and a repository
 * (`export const userRepo = orm.em.getRepository(User)`, `DI.books` typed `EntityRepository<Book>`).
 */
export const MIKRO_ORM_MANAGER_VALUE = 'mikro-orm-manager-value';
export const MIKRO_ORM_REPOSITORY_VALUE = 'mikro-orm-repository-value';

/** The model kind a module-level MikroORM object is recorded under. */
const VALUE_KINDS: Partial<Record<MikroOrmObject, string>> = {
  EntityManager: MIKRO_ORM_MANAGER_VALUE,
  EntityRepository: MIKRO_ORM_REPOSITORY_VALUE,
};

/** MikroORM's classes (core, and the SQL and Mongo drivers' subclasses) as the objects above. */
const MIKRO_ORM_CLASSES: Record<string, MikroOrmObject> = {
  EntityManager: 'EntityManager',
  SqlEntityManager: 'EntityManager',
  MongoEntityManager: 'EntityManager',
  EntityRepository: 'EntityRepository',
  SqlEntityRepository: 'EntityRepository',
  MongoEntityRepository: 'EntityRepository',
  MikroORM: 'MikroORM',
};

/**
 * Methods of an entity manager or repository that send a query. `persist` and `remove` only
 * queue a change for the next `flush`, and `fork`/`getRepository` only hand out another object.
 */
export const MIKRO_ORM_QUERIES: ReadonlySet<string> = new Set([
  'find',
  'findAll',
  'findOne',
  'findOneOrFail',
  'findAndCount',
  'count',
  'nativeInsert',
  'nativeUpdate',
  'nativeDelete',
  'upsert',
  'flush',
  'persistAndFlush',
  'removeAndFlush',
  'populate',
]);

/** The `@mikro-orm/nestjs` decorators that inject a repository or an entity manager. */
const INJECTORS: Record<string, MikroOrmObject> = {
  InjectRepository: 'EntityRepository',
  InjectEntityManager: 'EntityManager',
};

/** A `@mikro-orm/` package: a file importing nothing from one is asked nothing here. */
function isMikroOrmModule(module: string): boolean {
  return module.startsWith('@mikro-orm/');
}

/** `MIKRO_ORM` when `call` sends a query through a MikroORM entity manager or repository. */
export function mikroOrmQuery(model: TsModel, call: TsCall): string | undefined {
  return mikroOrmQueryReceiver(model, call) ? MIKRO_ORM : undefined;
}

/**
 * Which of MikroORM's query objects `call` runs on, when it sends a query: readers whose
 * arguments differ between the two (`em.find(Book, where)`, `repo.find(where)`) ask this.
 */
export function mikroOrmQueryReceiver(
  model: TsModel,
  call: TsCall,
): 'EntityManager' | 'EntityRepository' | undefined {
  if (
    !call.receiver ||
    !MIKRO_ORM_QUERIES.has(call.name) ||
    !importsModule(model, isMikroOrmModule)
  )
    return undefined;
  const kind = mikroOrmObject(model, call.receiver, 0);
  return kind === 'EntityManager' || kind === 'EntityRepository' ? kind : undefined;
}

/** The MikroORM class `name` stands for through the file's imports, if it is one. */
function importedClass(model: TsModel, name: string): MikroOrmObject | undefined {
  const imported = model.imports.get(name);
  return imported?.module.startsWith('@mikro-orm/')
    ? MIKRO_ORM_CLASSES[imported.imported]
    : undefined;
}

function mikroOrmObject(
  model: TsModel,
  expression: ts.Expression,
  depth: number,
): MikroOrmObject | undefined {
  // Deep enough for `repo` of `const repo = fork.getRepository(X)` with `const fork = em.fork()`.
  if (depth > 5) return undefined;
  const node = unwrap(expression);
  const typeName = declaredTypeName(node);
  if (typeName) return importedClass(model, typeName) ?? injectedObject(model, node);
  if (ts.isAwaitExpression(node)) return mikroOrmObject(model, node.expression, depth + 1);
  if (ts.isPropertyAccessExpression(node)) {
    // `orm.em`: the global entity manager of an initialised MikroORM.
    if (node.name.text === 'em' && mikroOrmObject(model, node.expression, depth + 1) === 'MikroORM')
      return 'EntityManager';
    return injectedObject(model, node) ?? typedMember(model, node);
  }
  if (ts.isCallExpression(node)) return objectACallReturns(model, node, depth);
  if (!ts.isIdentifier(node)) return undefined;
  const holder = declarationOf(node)?.parent;
  if (holder && ts.isVariableDeclaration(holder) && !holder.type && holder.initializer)
    return mikroOrmObject(model, holder.initializer, depth + 1);
  if (holder && ts.isParameter(holder) && !holder.type)
    return transactionalManager(model, holder, depth);
  return undefined;
}

/**
 * What a call hands out: a fork of an entity manager (`em.fork()`), an entity's repository
 * (`em.getRepository(Book)`), or the MikroORM `MikroORM.init(config)` starts.
 */
function objectACallReturns(
  model: TsModel,
  call: ts.CallExpression,
  depth: number,
): MikroOrmObject | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee)) return undefined;
  const method = callee.name.text;
  const owner = callee.expression;
  if (method === 'init' && ts.isIdentifier(owner))
    return importedClass(model, owner.text) === 'MikroORM' ? 'MikroORM' : undefined;
  // `RequestContext.getEntityManager()`: the fork the request context middleware made.
  if (method === 'getEntityManager' && ts.isIdentifier(owner))
    return isRequestContext(model, owner.text) ? 'EntityManager' : undefined;
  if (method !== 'fork' && method !== 'getRepository') return undefined;
  if (mikroOrmObject(model, owner, depth + 1) !== 'EntityManager') return undefined;
  return method === 'fork' ? 'EntityManager' : 'EntityRepository';
}

/** `RequestContext` imported from a `@mikro-orm/` package. */
function isRequestContext(model: TsModel, name: string): boolean {
  const imported = model.imports.get(name);
  return !!imported && isMikroOrmModule(imported.module) && imported.imported === 'RequestContext';
}

/**
 * `DI.em` of a module variable declared with an object type whose member names a MikroORM class:
 * `export const DI = {} as { orm: MikroORM; em: EntityManager; books: EntityRepository<Book> }`,
 * how MikroORM's Express example shares its objects (filled in when the app starts).
 */
function typedMember(
  model: TsModel,
  node: ts.PropertyAccessExpression,
): MikroOrmObject | undefined {
  const owner = unwrap(node.expression);
  if (!ts.isIdentifier(owner)) return undefined;
  const holder = declarationOf(owner)?.parent;
  if (!holder || !ts.isVariableDeclaration(holder)) return undefined;
  const typeName = memberTypeName(objectTypeOf(holder), node.name.text);
  return typeName ? importedClass(model, typeName) : undefined;
}

/** The object type a variable is declared with: `: { ... }` or `= {} as { ... }`. */
function objectTypeOf(holder: ts.VariableDeclaration): ts.TypeLiteralNode | undefined {
  if (holder.type && ts.isTypeLiteralNode(holder.type)) return holder.type;
  const value = holder.initializer;
  if (value && (ts.isAsExpression(value) || ts.isTypeAssertionExpression(value)))
    return ts.isTypeLiteralNode(value.type) ? value.type : undefined;
  return undefined;
}

/** The class a member of an object type is declared with: `EntityManager` of `em: EntityManager`. */
function memberTypeName(type: ts.TypeLiteralNode | undefined, name: string): string | undefined {
  for (const member of type?.members ?? []) {
    if (!ts.isPropertySignature(member) || !member.type || !ts.isIdentifier(member.name)) continue;
    if (member.name.text !== name || !ts.isTypeReferenceNode(member.type)) continue;
    return ts.isIdentifier(member.type.typeName) ? member.type.typeName.text : undefined;
  }
  return undefined;
}

/**
 * The module's MikroORM entity managers and repositories other modules can import, for the file's
 * facts: module variables holding one (`export const userRepo = orm.em.getRepository(User)`), and
 * members of a module variable's object type (`DI.em`, `DI.books`, and `DI.orm.em` for a member
 * typed `MikroORM`). Files importing nothing from
 * MikroORM pay one look at their imports.
 */
export function moduleMikroOrmObjects(model: TsModel): { name: string; kind: string }[] {
  if (!importsModule(model, isMikroOrmModule)) return [];
  const found: { name: string; kind: string }[] = [];
  for (const [name, declaration] of model.moduleVariables) {
    const type = objectTypeOf(declaration);
    for (const member of type?.members ?? []) {
      if (!member.name || !ts.isIdentifier(member.name)) continue;
      const typeName = memberTypeName(type, member.name.text);
      const object = typeName ? importedClass(model, typeName) : undefined;
      const kind = object && VALUE_KINDS[object];
      if (kind) found.push({ name: `${name}.${member.name.text}`, kind });
      // `DI.orm` typed `MikroORM`: its `em` is the global entity manager (`DI.orm.em.find(...)`).
      if (object === 'MikroORM')
        found.push({ name: `${name}.${member.name.text}.em`, kind: MIKRO_ORM_MANAGER_VALUE });
    }
    if (type || !declaration.initializer) continue;
    const kind = VALUE_KINDS[mikroOrmObject(model, declaration.initializer, 0) ?? 'MikroORM'];
    if (kind) found.push({ name, kind });
  }
  return found;
}

/**
 * A class field `@mikro-orm/nestjs` injects (`@InjectRepository(Book) private readonly books:
 * BookRepository`): a repository (of the class the app declares for it) or an entity manager.
 */
function injectedObject(model: TsModel, node: ts.Expression): MikroOrmObject | undefined {
  if (!ts.isPropertyAccessExpression(node) || node.expression.kind !== ts.SyntaxKind.ThisKeyword)
    return undefined;
  const field = classField(node, node.name.text);
  for (const decorator of (field && ts.getDecorators(field)) ?? []) {
    const expression = decorator.expression;
    if (!ts.isCallExpression(expression) || !ts.isIdentifier(expression.expression)) continue;
    const name = expression.expression.text;
    if (INJECTORS[name] && model.imports.get(name)?.module === '@mikro-orm/nestjs')
      return INJECTORS[name];
  }
  return undefined;
}

/** The property or constructor parameter property named `name` of the class around `node`. */
function classField(
  node: ts.Node,
  name: string,
): ts.PropertyDeclaration | ts.ParameterDeclaration | undefined {
  const cls = enclosingClass(node);
  for (const member of cls?.members ?? []) {
    if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name))
      if (member.name.text === name) return member;
    if (ts.isConstructorDeclaration(member))
      for (const parameter of member.parameters)
        if (ts.isIdentifier(parameter.name) && parameter.name.text === name)
          if (ts.isParameterPropertyDeclaration(parameter, member)) return parameter;
  }
  return undefined;
}

/** The first parameter of a callback given to an entity manager's `transactional()`. */
function transactionalManager(
  model: TsModel,
  parameter: ts.ParameterDeclaration,
  depth: number,
): MikroOrmObject | undefined {
  const manager = callbackMethodReceiver(parameter, 'transactional');
  if (!manager) return undefined;
  return mikroOrmObject(model, manager, depth + 1) === 'EntityManager'
    ? 'EntityManager'
    : undefined;
}

/**
 * Whether a MikroORM call runs on the manager a `transactional` callback receives: its queries
 * share the transaction's one connection and run in turn, so running them together gains nothing.
 */
export function onOneMikroOrmConnection(model: TsModel, call: TsCall): boolean {
  if (
    !call.receiver ||
    !importsModule(model, isMikroOrmModule) ||
    !model.text.includes('transactional')
  )
    return false;
  const node = unwrap(call.receiver);
  if (!ts.isIdentifier(node)) return false;
  const holder = declarationOf(node)?.parent;
  return !!holder && ts.isParameter(holder) && !!transactionalManager(model, holder, 0);
}

/** Methods that send an entity manager's queued changes (its unit of work). */
const FLUSHES = new Set(['flush', 'persistAndFlush', 'removeAndFlush']);

/**
 * Whether `node` holds a `flush` of a MikroORM entity manager: one manager's unit of work must not
 * be flushed from several items at once, so such a loop is not turned into `Promise.all`.
 */
export function flushesMikroOrm(model: TsModel, node: ts.Node): boolean {
  if (!importsModule(model, isMikroOrmModule)) return false;
  return model.calls.some(
    (call) =>
      FLUSHES.has(call.name) &&
      call.node.pos >= node.pos &&
      call.node.end <= node.end &&
      !!mikroOrmQuery(model, call),
  );
}
