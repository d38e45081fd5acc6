/**
 * Factories that return an object of closures, the way Infisical writes its data access layer:
 * `export const userDALFactory = (db: TDbClient) => { const findById = async (id) => ...; return
 * { ...ormify(db, TableName.Users), findById }; }`, `export type TUserDALFactory =
 * ReturnType<typeof userDALFactory>`, and services given `{ userDAL }: { userDAL:
 * Pick<TUserDALFactory, 'findById'> }`. `userDAL.findById(id)` runs the closure `findById`, which
 * the index holds under its own name. Read from the syntax: the object literal the factory returns,
 * and declared types that lead to it (type aliases, `Pick`/`Omit` views, properties of object
 * types). Members a spread of an imported factory's object brings in (`...ormify(db, T)`) are
 * that factory's: the module that declares it records `ormify().find` for its exported factories.
 */
import type { Reexport } from '../workspace/facts';
import { ts } from './compiler';
import { MEMBER_VIEWS } from './declared-types';
import { injectedObject } from './injected-objects';
import { unwrap, type TsModel } from './model';
import { callableMembers } from './module-exports';
import { declarationOf, localConstInitializer } from './name-resolution';

/** What a declared type leads to: a factory's returned object, or a member of an imported type. */
export type TypeTarget =
  | { factory: string }
  | {
      /** The imported type (`TUserDALFactory`, `TDeps`). */
      imported: string;
      /** The properties read on it (`userDAL` of `TDeps['userDAL']`). */
      path: string[];
    };

/** How many aliases a type is followed through (aliases of aliases are rare; cycles are cut). */
const MAX_ALIASES = 4;

const aliasesOfModel = new WeakMap<TsModel, Map<string, ts.TypeAliasDeclaration>>();

/** The file's top-level type aliases by name, read once per file. */
function typeAliases(model: TsModel): Map<string, ts.TypeAliasDeclaration> {
  let aliases = aliasesOfModel.get(model);
  if (!aliases) {
    aliases = new Map();
    for (const statement of model.sourceFile.statements)
      if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, statement);
    aliasesOfModel.set(model, aliases);
  }
  return aliases;
}

/** `f` of `ReturnType<typeof f>`, else undefined. */
function returnTypeOf(type: ts.TypeReferenceNode): string | undefined {
  if (!ts.isIdentifier(type.typeName) || type.typeName.text !== 'ReturnType') return undefined;
  const [query] = type.typeArguments ?? [];
  return query && ts.isTypeQueryNode(query) && ts.isIdentifier(query.exprName)
    ? query.exprName.text
    : undefined;
}

/**
 * Where the type `type` with the properties `path` read on it leads: a factory's object (the type
 * is `ReturnType<typeof f>` and nothing more is read), or an imported type and the properties read
 * on it. Local aliases and object types are followed in the file; undefined for anything else.
 */
function typeTarget(
  model: TsModel,
  type: ts.TypeNode | undefined,
  path: readonly string[],
  aliases = 0,
): TypeTarget | undefined {
  if (!type) return undefined;
  if (ts.isParenthesizedTypeNode(type)) return typeTarget(model, type.type, path, aliases);
  if (ts.isTypeLiteralNode(type)) {
    if (path.length === 0) return undefined;
    const member = type.members.find(
      (element): element is ts.PropertySignature =>
        ts.isPropertySignature(element) &&
        ts.isIdentifier(element.name) &&
        element.name.text === path[0],
    );
    return typeTarget(model, member?.type, path.slice(1), aliases);
  }
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  const name = type.typeName.text;
  const factory = returnTypeOf(type);
  if (factory !== undefined) return path.length === 0 ? { factory } : undefined;
  const [viewed] = type.typeArguments ?? [];
  if (MEMBER_VIEWS.has(name) && viewed) return typeTarget(model, viewed, path, aliases);
  const alias = typeAliases(model).get(name);
  if (alias)
    return aliases < MAX_ALIASES ? typeTarget(model, alias.type, path, aliases + 1) : undefined;
  return model.imports.has(name) ? { imported: name, path: [...path] } : undefined;
}

/**
 * Where the declared type of `receiver` leads (`dal` of `dal: TDal`; `userDAL` of `{ userDAL }:
 * TDeps`, the property `userDAL` of `TDeps`), read from its declaration, then the `members` read
 * on it (`Boards` of `models.Boards`).
 */
export function receiverTypeTarget(
  model: TsModel,
  declaration: ts.Identifier,
  members: readonly string[],
): TypeTarget | undefined {
  const path: string[] = [...members];
  let holder: ts.Node = declaration.parent;
  // `{ userDAL }` and `{ deps: { userDAL } }`: each pattern level reads a property of the type.
  while (ts.isBindingElement(holder)) {
    const key = holder.propertyName ?? holder.name;
    if (!ts.isIdentifier(key) || holder.dotDotDotToken || !ts.isObjectBindingPattern(holder.parent))
      return undefined;
    path.unshift(key.text);
    holder = holder.parent.parent;
  }
  if (!ts.isParameter(holder) && !ts.isVariableDeclaration(holder)) return undefined;
  return holder.type ? typeTarget(model, holder.type, path) : undefined;
}

/**
 * The object literal a function returns as its last statement, or as an arrow's body; also the
 * one it returns bound by a known injector (`return injectArguments({ getUser }, { db })`).
 */
function returnedObject(model: TsModel, fn: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (!ts.isArrowFunction(fn) && !ts.isFunctionExpression(fn) && !ts.isFunctionDeclaration(fn))
    return undefined;
  const body = fn.body;
  if (!body) return undefined;
  const last = ts.isBlock(body) ? body.statements[body.statements.length - 1] : undefined;
  const returned = !ts.isBlock(body)
    ? body
    : last && ts.isReturnStatement(last)
      ? last.expression
      : undefined;
  const value = returned && unwrap(returned);
  if (!value) return undefined;
  return ts.isObjectLiteralExpression(value) ? value : injectedObject(model, value);
}

/** The module-level function `name` (a declaration or a `const` holding one). */
function moduleFunction(model: TsModel, name: string): ts.Node | undefined {
  const initializer = model.moduleVariables.get(name)?.initializer;
  if (initializer) return unwrap(initializer);
  return model.sourceFile.statements.find(
    (statement) => ts.isFunctionDeclaration(statement) && statement.name?.text === name,
  );
}

/** The name the index holds the function `id` names under: a function or `const` holding one. */
function functionNamed(id: ts.Identifier): string | undefined {
  const holder = declarationOf(id)?.parent;
  if (!holder) return undefined;
  if (ts.isFunctionDeclaration(holder)) return holder.name?.text;
  if (!ts.isVariableDeclaration(holder) || !holder.initializer || !ts.isIdentifier(holder.name))
    return undefined;
  const value = unwrap(holder.initializer);
  return ts.isArrowFunction(value) || ts.isFunctionExpression(value) ? holder.name.text : undefined;
}

/** What a factory's returned object holds, as far as the syntax tells. */
interface FactoryObject {
  /** Each member with the name its function is indexed under. */
  members: Map<string, string>;
  /** The imported factories whose objects it spreads (`ormify` of `...ormify(db, T)`). */
  spreads: string[];
}

const objectsOfModel = new WeakMap<TsModel, Map<string, FactoryObject>>();

/**
 * The imported factory whose object a spread brings in: `ormify` of `...ormify(db, T)`, or of
 * `...userOrm` where the factory declares `const userOrm = ormify(db, T)`. A spread of anything
 * else (an object of constants, a parameter) brings in no functions Perflens can name.
 */
function spreadFactory(model: TsModel, spread: ts.SpreadAssignment): string | undefined {
  const expression = unwrap(spread.expression);
  const initializer = ts.isIdentifier(expression) ? localConstInitializer(expression) : expression;
  const value = initializer && unwrap(initializer);
  if (!value || !ts.isCallExpression(value) || !ts.isIdentifier(value.expression)) return undefined;
  return model.imports.has(value.expression.text) ? value.expression.text : undefined;
}

/**
 * The object the module-level factory `name` returns: its members, each with the name its
 * function is indexed under (`findById` of `{ findById }`, a closure of the factory or any
 * function of the file, of `findById: async (id) => ...` and of a method), and the imported
 * factories it spreads.
 */
function factoryObject(model: TsModel, name: string): FactoryObject {
  let byFactory = objectsOfModel.get(model);
  if (!byFactory) objectsOfModel.set(model, (byFactory = new Map()));
  let object = byFactory.get(name);
  if (object) return object;
  object = { members: new Map(), spreads: [] };
  // Cached before it is filled: a factory spreading itself, directly or not, stops here.
  byFactory.set(name, object);
  const fn = moduleFunction(model, name);
  const literal = fn && returnedObject(model, fn);
  const callable = new Map(
    (literal ? callableMembers(literal) : []).map((entry) => [entry.member, entry]),
  );
  // In the literal's order: a later property replaces an earlier one of the same name, as at run
  // time (`{ ...baseOps(db), findById }` runs its own `findById`).
  for (const property of literal?.properties ?? []) {
    if (ts.isSpreadAssignment(property)) {
      const imported = spreadFactory(model, property);
      if (imported) object.spreads.push(imported);
      const local = imported ? undefined : localSpreadFactory(model, property);
      if (!local) continue;
      const spread = factoryObject(model, local);
      for (const [member, indexed] of spread.members) object.members.set(member, indexed);
      object.spreads.push(...spread.spreads);
      continue;
    }
    if (!property.name || !ts.isIdentifier(property.name)) continue;
    const member = property.name.text;
    const entry = callable.get(member);
    const local = entry && (entry.value ? functionNamed(entry.value) : member);
    if (local) object.members.set(member, local);
    else object.members.delete(member);
  }
  return object;
}

/**
 * The factory of this file whose object a spread brings in: `softDelete` of `...softDelete(db)`
 * (or of `...ops` where `const ops = softDelete(db)`), a module-level function returning an object
 * literal. Its members are functions of this file, which the index holds like the factory's own.
 */
function localSpreadFactory(model: TsModel, spread: ts.SpreadAssignment): string | undefined {
  const expression = unwrap(spread.expression);
  const initializer = ts.isIdentifier(expression) ? localConstInitializer(expression) : expression;
  const value = initializer && unwrap(initializer);
  if (!value || !ts.isCallExpression(value) || !ts.isIdentifier(value.expression)) return undefined;
  const name = value.expression.text;
  if (model.imports.has(name)) return undefined;
  const fn = moduleFunction(model, name);
  return fn && returnedObject(model, fn) ? name : undefined;
}

/**
 * The targets of `receiver.method()` (or `receiver.<members>.method()`) by the receiver's declared
 * type (see `receiverTypeTarget`):
 * the factory's function for a factory of this file, `<module>.<factory>().<method>` for an
 * imported one, `<module>.<Type>.<path>.<method>` for an imported type, which the index resolves
 * through the re-exports `factoryReexports` records there.
 */
export function factoryMemberTargets(
  model: TsModel,
  declaration: ts.Identifier,
  method: string,
  prefix: string,
  importedTargets: (name: string) => string[],
  members: readonly string[] = [],
): string[] {
  const target = receiverTypeTarget(model, declaration, members);
  if (!target) return [];
  if ('imported' in target)
    return importedTargets(target.imported).map((type) => [type, ...target.path, method].join('.'));
  if (model.imports.has(target.factory))
    return importedTargets(target.factory).map((factory) => `${factory}().${method}`);
  const object = factoryObject(model, target.factory);
  const local = object.members.get(method);
  if (local) return [`${prefix}${local}`];
  return object.spreads.flatMap((spread) =>
    importedTargets(spread).map((factory) => `${factory}().${method}`),
  );
}

/** Files that may declare factory types or object types holding them: the cheap gate. */
const MENTIONS_VIEWS = /ReturnType<typeof|Pick<|Omit</;

/**
 * The module's exported top-level functions that return an object literal: factories whose
 * objects other modules may spread (`...ormify(db, T)`) or type (`ReturnType<typeof f>`).
 */
function exportedFactories(model: TsModel): string[] {
  return model.functions
    .filter(
      (fn) =>
        fn.exported &&
        !fn.parent &&
        !fn.className &&
        fn.name !== '' &&
        fn.name !== 'default' &&
        returnedObject(model, fn.node) !== undefined,
    )
    .map((fn) => fn.name);
}

/**
 * What other modules reach through this module's types and factories: `<factory>().<member>` for
 * an exported factory of this file, or one an exported alias types; `<Alias>.<member>` for an
 * exported alias of a factory's `ReturnType`, the function each member runs, and `<Alias>` (or
 * `<factory>()`) for the object of an imported factory it spreads, which the index reads after
 * the members; `<Alias>` for an alias of an imported factory's `ReturnType` or of an imported
 * type; `<Alias>.<property>` for an exported object type whose property holds one
 * (`TDeps.userDAL` of `userDAL: Pick<TUserDALFactory, 'find'>`). `origin` says where an imported
 * name comes from.
 */
export function factoryReexports(
  model: TsModel,
  moduleName: string,
  origin: (name: string) => { module: string; imported: string } | undefined,
): Reexport[] {
  const reexports: Reexport[] = [];
  const factories = new Set(exportedFactories(model));
  const reachObject = (exported: string, factory: string): void => {
    const object = factoryObject(model, factory);
    for (const [member, local] of object.members)
      reexports.push({ exported: `${exported}.${member}`, module: moduleName, imported: local });
    for (const spread of object.spreads) {
      const from = origin(spread);
      if (from) reexports.push({ exported, module: from.module, imported: `${from.imported}()` });
    }
  };
  const reach = (exported: string, target: TypeTarget | undefined): void => {
    if (!target) return;
    if ('imported' in target) {
      const from = origin(target.imported);
      if (from)
        reexports.push({
          exported,
          module: from.module,
          imported: [from.imported, ...target.path].join('.'),
        });
      return;
    }
    const from = origin(target.factory);
    if (from) {
      reexports.push({ exported, module: from.module, imported: `${from.imported}()` });
      return;
    }
    // A factory of this file: its members directly (the index does not re-enter a module).
    if (exported.includes('.')) return;
    factories.add(target.factory);
    reachObject(exported, target.factory);
  };
  const statements = MENTIONS_VIEWS.test(model.text) ? model.sourceFile.statements : [];
  for (const statement of statements) {
    if (!ts.isTypeAliasDeclaration(statement) && !ts.isInterfaceDeclaration(statement)) continue;
    if (!statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword))
      continue;
    const name = statement.name.text;
    if (ts.isTypeAliasDeclaration(statement)) reach(name, typeTarget(model, statement.type, []));
    const members = ts.isInterfaceDeclaration(statement)
      ? statement.members
      : ts.isTypeLiteralNode(statement.type)
        ? statement.type.members
        : [];
    for (const member of members)
      if (ts.isPropertySignature(member) && ts.isIdentifier(member.name))
        reach(`${name}.${member.name.text}`, typeTarget(model, member.type, []));
  }
  for (const factory of factories) reachObject(`${factory}()`, factory);
  return reexports;
}
