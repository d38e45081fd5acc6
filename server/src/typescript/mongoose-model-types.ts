/**
 * Mongoose models known by their declared type rather than where they are made: Mongoose's
 * documented way to type a model with statics (`interface IBoardModel extends Model<IBoard> {
 * getBoard(id): ... }`, or `type UserModel = Model<IUser, {}, Methods>`), and the objects apps keep
 * their models in (`interface IModels { Boards: IBoardModel; Users: Model<IUser> }`, reached as
 * `models.Boards`, through a request context `{ models }: IContext`, or destructured from one,
 * `{ models: { Boards } }: IContext`). A receiver's declared type is read from the syntax: a
 * parameter or variable annotation, a destructured binding of one, a class field (also one a base
 * class declares, `this.MongooseModel` in a subclass of a repository base), then the members read
 * after it, through the interfaces that declare them. Only `Model` imported from `mongoose` (or
 * `mongoose.Model`) makes a model type: an interface extending another package's `Model`, and
 * an object type with a `find` method of its own, are no models.
 *
 * A path that stays in the file is answered here; one that reaches a type another module declares
 * is answered by the workspace index, from the facts each file records about its interfaces
 * (`modelTypeFacts`: model types, and interface members typed with workspace types).
 */
import { ts } from './compiler';
import { enclosingClass } from './declared-types';
import { hasModifier, importsModule, unwrap, type TsModel } from './model';
import { extendsExpression, topLevelClasses } from './model-classes';
import { isMongooseNamespace } from './mongoose-models';
import { declarationOf } from './name-resolution';
import type { ClassFact, FieldFact, MongooseModelPath } from '../workspace/facts';
import type { WorkspaceIndex } from '../workspace/index';

/**
 * The model kind (`ClassFact.orm`, `FieldFact.orm`) of a Mongoose model type: an interface or
 * alias that is one, a field or member declared with one. A value of it is the model itself, whose
 * statics run queries (not a document, whose `save()` would).
 */
export const MONGOOSE_MODEL_TYPE = 'mongoose-model-type';

/** How many names a receiver's type is followed through (`ctx.models.Boards` is three). */
const MAX_STEPS = 6;

/** An interface or type alias the file declares at its top level, as far as models care. */
interface LocalType {
  /** Extends (or is, or intersects) Mongoose's `Model`. */
  isModel: boolean;
  /** Its property members with a type annotation: name → type. */
  members: Map<string, ts.TypeNode>;
  /** The plain names of the interfaces it extends, whose members it has too. */
  bases: string[];
  /** `export default interface X` (a default-exported type is imported under any name). */
  isDefault: boolean;
}

const typesOfModel = new WeakMap<TsModel, Map<string, LocalType>>();

/** Whether a name written in a type (`Model`, `mongoose.Model`) is Mongoose's `Model`. */
function namesMongooseModel(model: TsModel, name: ts.EntityName | ts.Expression): boolean {
  if (ts.isIdentifier(name)) {
    const imported = model.imports.get(name.text);
    return imported?.module === 'mongoose' && imported.imported === 'Model';
  }
  const [left, right] = ts.isQualifiedName(name)
    ? [name.left, name.right]
    : ts.isPropertyAccessExpression(name)
      ? [name.expression, name.name]
      : [undefined, undefined];
  return (
    !!left &&
    ts.isIdentifier(left) &&
    right.text === 'Model' &&
    isMongooseNamespace(model, left.text)
  );
}

/** `Model<T>` of Mongoose, or an intersection with it (`Model<T> & Statics`). */
function isMongooseModelTypeNode(model: TsModel, type: ts.TypeNode): boolean {
  if (ts.isParenthesizedTypeNode(type)) return isMongooseModelTypeNode(model, type.type);
  if (ts.isIntersectionTypeNode(type))
    return type.types.some((part) => isMongooseModelTypeNode(model, part));
  return ts.isTypeReferenceNode(type) && namesMongooseModel(model, type.typeName);
}

/** The property members of an interface or type literal that have a type annotation. */
function membersOf(members: ts.NodeArray<ts.TypeElement>): Map<string, ts.TypeNode> {
  const found = new Map<string, ts.TypeNode>();
  for (const member of members)
    if (ts.isPropertySignature(member) && member.type && ts.isIdentifier(member.name))
      found.set(member.name.text, member.type);
  return found;
}

/** The file's top-level interfaces and type aliases, read once per file. */
function localTypes(model: TsModel): Map<string, LocalType> {
  let types = typesOfModel.get(model);
  if (types) return types;
  types = new Map();
  for (const statement of model.sourceFile.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      const heritage = (statement.heritageClauses ?? []).flatMap((clause) => clause.types);
      types.set(statement.name.text, {
        isModel: heritage.some((base) => namesMongooseModel(model, base.expression)),
        members: membersOf(statement.members),
        bases: heritage.flatMap((base) =>
          ts.isIdentifier(base.expression) ? [base.expression.text] : [],
        ),
        // Any declaration of a merged interface may be the default-exported one.
        isDefault:
          hasModifier(statement, ts.SyntaxKind.DefaultKeyword) ||
          !!types.get(statement.name.text)?.isDefault,
      });
    } else if (ts.isTypeAliasDeclaration(statement)) {
      const type = statement.type;
      types.set(statement.name.text, {
        isModel: isMongooseModelTypeNode(model, type),
        members: ts.isTypeLiteralNode(type) ? membersOf(type.members) : new Map(),
        bases: [],
        isDefault: false,
      });
    }
  }
  typesOfModel.set(model, types);
  return types;
}

/**
 * Where a receiver's declared type leads: a Mongoose model (answered in this file), or a type
 * another module declares and the members read from it (`IContext` imported, then `models`,
 * `Boards`), or a field the enclosing class inherits from its base (`this.MongooseModel`,
 * declared by a base class), which the index answers.
 */
export type ModelTypeReach =
  | { kind: 'model' }
  | { kind: 'imported'; typeName: string; members: string[] }
  | { kind: 'inherited'; className: string; members: string[] };

const MODEL: ModelTypeReach = { kind: 'model' };

/** A declared type, or a class whose field (or its base's) is read, and the members read after. */
type TypePath =
  | { type: ts.TypeNode; members: string[] }
  | { inheritedBy: ts.ClassLikeDeclaration; members: string[] };

/**
 * A class field of that name, and the type it is declared with (none when it has no annotation):
 * a property or a constructor parameter property. Undefined when the class declares no such field.
 */
function fieldOf(
  cls: ts.ClassLikeDeclaration,
  field: string,
): { type: ts.TypeNode | undefined } | undefined {
  for (const member of cls.members) {
    if (ts.isPropertyDeclaration(member)) {
      const name = member.name;
      if ((ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) && name.text === field)
        return { type: member.type };
    } else if (ts.isConstructorDeclaration(member)) {
      for (const parameter of member.parameters)
        if (
          ts.isParameterPropertyDeclaration(parameter, member) &&
          ts.isIdentifier(parameter.name) &&
          parameter.name.text === field
        )
          return { type: parameter.type };
    }
  }
  return undefined;
}

/**
 * The property names a destructured binding reads from the value it is bound to: `models` of
 * `{ models }`, `models`, `Boards` of `{ models: { Boards } }`; and the parameter or variable
 * declaration the pattern belongs to. Undefined for rest elements and computed names.
 */
function bindingPath(
  element: ts.BindingElement,
): { holder: ts.ParameterDeclaration | ts.VariableDeclaration; members: string[] } | undefined {
  const members: string[] = [];
  let current: ts.Node = element;
  while (ts.isBindingElement(current)) {
    if (current.dotDotDotToken || !ts.isObjectBindingPattern(current.parent)) return undefined;
    const key = current.propertyName ?? current.name;
    if (!ts.isIdentifier(key)) return undefined;
    members.unshift(key.text);
    current = current.parent.parent;
  }
  return ts.isParameter(current) || ts.isVariableDeclaration(current)
    ? { holder: current, members }
    : undefined;
}

/** The declared type of a parameter or variable, or of the value an unannotated one is given. */
function typePathOfHolder(
  model: TsModel,
  holder: ts.ParameterDeclaration | ts.VariableDeclaration,
  members: string[],
  steps: number,
): TypePath | undefined {
  if (holder.type) return { type: holder.type, members };
  if (!ts.isVariableDeclaration(holder) || !holder.initializer) return undefined;
  const initial = typePathOf(model, holder.initializer, steps + 1);
  return initial && { ...initial, members: [...initial.members, ...members] };
}

/**
 * The declared type an expression's value comes from and the members read after it: `models:
 * IModels` and `Boards` for `models.Boards`; `IContext` and `models`, `Boards` for a `Boards`
 * destructured from a parameter `{ models: { Boards } }: IContext`; a field's type for
 * `this.boards`, or the class that inherits the field when no class of the file declares it.
 */
function typePathOf(model: TsModel, expression: ts.Expression, steps = 0): TypePath | undefined {
  if (steps > MAX_STEPS) return undefined;
  const asserted = assertedType(expression);
  if (asserted) return { type: asserted, members: [] };
  const node = unwrap(expression);
  if (ts.isPropertyAccessExpression(node)) {
    const name = node.name.text;
    if (node.expression.kind === ts.SyntaxKind.ThisKeyword) return thisFieldPath(model, node, name);
    const owner = typePathOf(model, node.expression, steps + 1);
    return owner && { ...owner, members: [...owner.members, name] };
  }
  if (!ts.isIdentifier(node)) return undefined;
  const holder = declarationOf(node)?.parent;
  if (!holder) return undefined;
  if (ts.isParameter(holder) || ts.isVariableDeclaration(holder))
    return typePathOfHolder(model, holder, [], steps);
  if (!ts.isBindingElement(holder)) return undefined;
  const bound = bindingPath(holder);
  return bound && typePathOfHolder(model, bound.holder, bound.members, steps);
}

/** The type an expression is asserted to have (`res.locals.models as IModels`), in parentheses too. */
function assertedType(expression: ts.Expression): ts.TypeNode | undefined {
  let node = expression;
  while (ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
  return ts.isAsExpression(node) || ts.isTypeAssertionExpression(node) ? node.type : undefined;
}

/**
 * `this.<field>`: its declared type in the enclosing class, else in the classes it extends in this
 * file; a class whose field comes from a base of another module is left to the index.
 */
function thisFieldPath(
  model: TsModel,
  node: ts.PropertyAccessExpression,
  field: string,
): TypePath | undefined {
  const own = enclosingClass(node);
  if (!own) return undefined;
  const seen = new Set<ts.ClassLikeDeclaration>();
  for (let cls: ts.ClassLikeDeclaration | undefined = own; cls && !seen.has(cls);) {
    seen.add(cls);
    const declared = fieldOf(cls, field);
    if (declared) return declared.type && { type: declared.type, members: [] };
    const base = baseClassName(cls);
    if (!base) return undefined;
    const local = topLevelClasses(model).get(base);
    if (!local) return { inheritedBy: own, members: [field] };
    cls = local;
  }
  return undefined;
}

/** The plain name a class extends (`BaseRepository` of `extends BaseRepository<T, E>`). */
function baseClassName(cls: ts.ClassLikeDeclaration): string | undefined {
  const base = extendsExpression(cls);
  return base && ts.isIdentifier(base) ? base.text : undefined;
}

/** Where a type and the members read from it lead (see `ModelTypeReach`). */
function reachOfType(
  model: TsModel,
  type: ts.TypeNode,
  members: string[],
  steps: number,
): ModelTypeReach | undefined {
  if (steps > MAX_STEPS) return undefined;
  if (isMongooseModelTypeNode(model, type)) return members.length === 0 ? MODEL : undefined;
  if (ts.isTypeLiteralNode(type)) {
    const [first, ...rest] = members;
    const member = first !== undefined ? membersOf(type.members).get(first) : undefined;
    return member && reachOfType(model, member, rest, steps + 1);
  }
  if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return undefined;
  return reachOfName(model, type.typeName.text, members, steps);
}

/** Where a type name of the file and the members read from it lead. */
function reachOfName(
  model: TsModel,
  name: string,
  members: string[],
  steps: number,
): ModelTypeReach | undefined {
  if (steps > MAX_STEPS) return undefined;
  const local = localTypes(model).get(name);
  if (local) {
    if (local.isModel) return members.length === 0 ? MODEL : undefined;
    const [first, ...rest] = members;
    const member = first !== undefined ? local.members.get(first) : undefined;
    if (member) return reachOfType(model, member, rest, steps + 1);
    // A member, or the type itself (`interface IBoardModel extends IBaseModel {}`), inherited.
    for (const base of local.bases) {
      const inherited = reachOfName(model, base, members, steps + 1);
      if (inherited) return inherited;
    }
    return undefined;
  }
  const imported = model.imports.get(name);
  if (!imported || imported.module === 'mongoose' || imported.imported === '*') return undefined;
  return { kind: 'imported', typeName: name, members };
}

/** Calls whose receiver's type is worth reading: one named like a Mongoose query. */
function readsReceiverType(receiver: ts.Expression): boolean {
  const node = unwrap(receiver);
  return ts.isIdentifier(node) || ts.isPropertyAccessExpression(node);
}

/**
 * `modelTypeReach` of receivers, asked by the local check (`isLocallyTypedMongooseModel`), the
 * facts and the helper reading alike: keyed by the node, for the model it was read in.
 */
const reachOfReceiver = new WeakMap<
  ts.Expression,
  { model: TsModel; reach: ModelTypeReach | null }
>();

/**
 * Where the declared type of a query's receiver leads (see `ModelTypeReach`), or undefined when
 * the syntax does not say or it is no model.
 */
export function modelTypeReach(
  model: TsModel,
  receiver: ts.Expression,
): ModelTypeReach | undefined {
  const cached = reachOfReceiver.get(receiver);
  if (cached?.model === model) return cached.reach ?? undefined;
  const reach = readReach(model, receiver);
  reachOfReceiver.set(receiver, { model, reach: reach ?? null });
  return reach;
}

/** `modelTypeReach`, read from the syntax. */
function readReach(model: TsModel, receiver: ts.Expression): ModelTypeReach | undefined {
  if (!readsReceiverType(receiver)) return undefined;
  const path = typePathOf(model, receiver);
  if (!path) return undefined;
  if ('inheritedBy' in path) {
    const name = path.inheritedBy.name?.text;
    return name && ts.isClassDeclaration(path.inheritedBy)
      ? { kind: 'inherited', className: name, members: path.members }
      : undefined;
  }
  return reachOfType(model, path.type, path.members, 0);
}

/** `mongoose` itself, as an `importsModule` test (a model type of its own needs `Model`). */
function isMongoose(module: string): boolean {
  return module === 'mongoose';
}

/**
 * Whether a receiver is a Mongoose model by declarations of this file alone: `models.Boards` of
 * `models: IModels` with `IModels { Boards: IBoardModel }` and `IBoardModel extends Model<IBoard>`,
 * all declared here.
 */
export function isLocallyTypedMongooseModel(model: TsModel, receiver: ts.Expression): boolean {
  return importsModule(model, isMongoose) && modelTypeReach(model, receiver)?.kind === 'model';
}

/**
 * Whether the index confirms that what `path` names is a Mongoose model: a model type, or (a type
 * merged with a model of the same name) a model a module makes.
 */
export function confirmsMongooseModel(index: WorkspaceIndex, path: MongooseModelPath): boolean {
  const kind = index.fieldPathOrmOf(path.classNames, path.members);
  return kind === MONGOOSE_MODEL_TYPE || kind === 'mongoose';
}

/** Whether a type name of the file (`Model` from `mongoose`, or a local model type) is a model. */
export function isMongooseModelTypeName(model: TsModel, name: string): boolean {
  const imported = model.imports.get(name);
  if (imported) return imported.module === 'mongoose' && imported.imported === 'Model';
  return localTypes(model).get(name)?.isModel ?? false;
}

/** Whether the file declares a top-level interface or type alias of that name. */
export function declaresLocalType(model: TsModel, name: string): boolean {
  return localTypes(model).has(name);
}

/**
 * The facts other modules need about the file's interfaces and type aliases: those that are
 * Mongoose model types (`orm: MONGOOSE_MODEL_TYPE`), and interfaces (or object type aliases)
 * whose members are typed with one, with `Model<T>`, or with another workspace type (`IContext {
 * models: IModels }`), with the interfaces they extend. `workspaceTargets` gives the qualified
 * names a type name of the file may have in the workspace (empty for packages). Names the file
 * also declares as a class (declaration merging) are left out: their class facts stand.
 */
export function modelTypeFacts(
  model: TsModel,
  taken: ReadonlySet<string>,
  workspaceTargets: (typeName: string) => string[],
): ClassFact[] {
  // Every model type and holder of one names `Model` somewhere in the file.
  if (!model.text.includes('Model')) return [];
  const facts: ClassFact[] = [];
  for (const [name, type] of localTypes(model)) {
    if (taken.has(name)) continue;
    const isDefault = type.isDefault || undefined;
    if (type.isModel) {
      facts.push({ name, ...(isDefault ? { isDefault } : {}), orm: MONGOOSE_MODEL_TYPE });
      continue;
    }
    const fields = memberFacts(model, type, workspaceTargets);
    const base = type.bases.flatMap(workspaceTargets);
    if (fields.length === 0 && base.length === 0) continue;
    facts.push({
      name,
      ...(isDefault ? { isDefault } : {}),
      ...(base.length > 0 ? { base } : {}),
      ...(fields.length > 0 ? { fields } : {}),
    });
  }
  return facts;
}

/** The members of an interface typed with a Mongoose model or a workspace type, as field facts. */
function memberFacts(
  model: TsModel,
  type: LocalType,
  workspaceTargets: (typeName: string) => string[],
): FieldFact[] {
  const fields: FieldFact[] = [];
  for (const [name, memberType] of type.members) {
    if (isMongooseModelTypeNode(model, memberType)) {
      fields.push({ name, classNames: [], orm: MONGOOSE_MODEL_TYPE });
      continue;
    }
    if (!ts.isTypeReferenceNode(memberType) || !ts.isIdentifier(memberType.typeName)) continue;
    const classNames = workspaceTargets(memberType.typeName.text);
    if (classNames.length > 0) fields.push({ name, classNames });
  }
  return fields;
}
