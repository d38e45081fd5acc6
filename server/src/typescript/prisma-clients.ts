/**
 * Prisma clients known by what the code declares rather than by their name. A NestJS app often
 * injects its client under a name of its own, or wraps it in a generic repository:
 *
 *   export class PrismaService extends PrismaClient {}
 *   export class PrismaRepository<T extends keyof PrismaService> {
 *     public model: Pick<PrismaService, T>;
 *   }
 *   constructor(private _user: PrismaRepository<'user'>) {}
 *   await this._user.model.user.findMany(...)
 *
 * `this._user.model` is a Prisma client because `_user` is declared with a workspace class whose
 * field `model` is declared with a class that extends `PrismaClient` (directly, through `Pick`,
 * `Omit`, `Partial`, ... or through further bases). Classes of other files are only known to the
 * workspace index: a file's facts record such a class as `prisma-client` (`ClassFact.orm`), a field
 * declared `PrismaClient` likewise (`FieldFact.orm`), and a query whose client is held this way
 * with what holds it (`HeldClientFact`), which the index confirms when rules run. A value declared
 * `PrismaClient` itself is known in its own file.
 */
import type { HeldClientFact } from '../workspace/facts';
import type { WorkspaceIndex } from '../workspace/index';
import { ts } from './compiler';
import { declaredTypeName } from './declared-types';
import { unwrap, type TsModel } from './model';

/** The model kind (`ClassFact.orm`, `FieldFact.orm`) of a Prisma client class. */
export const PRISMA_CLIENT = 'prisma-client';

/**
 * Whether `name` is the generated Prisma client class as this file imports it (`import {
 * PrismaClient } from '@prisma/client'`, or from a generated client folder or a workspace package
 * that re-exports it, also renamed). A workspace class merely named so is no client.
 */
export function isPrismaClientClass(model: TsModel, name: string): boolean {
  return model.imports.get(name)?.imported === 'PrismaClient';
}

/**
 * What the workspace index answers about clients declared in other files (`WorkspaceModels`, or
 * the facts of a file, which record every candidate for the index to confirm later).
 */
export interface PrismaClientHolders {
  /** Whether `client` (`this.repo.model`, `this.store`) holds a Prisma client. */
  holdsPrismaClient(client: ts.Expression): boolean;
}

/**
 * A value whose declaration says its class: a field of the enclosing class (`this.repo`, also a
 * constructor parameter property) or a parameter or variable (`repo`).
 */
function isDeclaredValue(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return true;
  return (
    ts.isPropertyAccessExpression(node) &&
    node.expression.kind === ts.SyntaxKind.ThisKeyword &&
    (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name))
  );
}

/**
 * The declared value a client expression is, or is a field of: `this.store` itself, or `this.repo`
 * and `model` of `this.repo.model` (`repo.model` alike). Undefined for other shapes.
 */
export function clientHolder(
  client: ts.Expression,
): { holder: ts.Expression; field?: string } | undefined {
  const node = unwrap(client);
  if (isDeclaredValue(node)) return { holder: node };
  if (!ts.isPropertyAccessExpression(node) || !ts.isIdentifier(node.name)) return undefined;
  const holder = unwrap(node.expression);
  return isDeclaredValue(holder) ? { holder, field: node.name.text } : undefined;
}

/** `declaredTypeName` of holders, asked by the local check, the facts and the rules alike. */
const holderTypes = new WeakMap<ts.Expression, string | null>();

/** The plain type name a holder (`this.repo`, `repo`) is declared with, looked up once. */
export function holderTypeName(holder: ts.Expression): string | undefined {
  let typeName = holderTypes.get(holder);
  if (typeName === undefined)
    holderTypes.set(holder, (typeName = declaredTypeName(holder) ?? null));
  return typeName ?? undefined;
}

/**
 * How a client that its name does not give away is known: declared `PrismaClient` in this file
 * (`private readonly store: PrismaClient`), or `held` by what `holders` confirm.
 */
export function declaredPrismaClient(
  model: TsModel,
  client: ts.Expression,
  holders: PrismaClientHolders | undefined,
): 'declared' | 'held' | undefined {
  const shape = clientHolder(client);
  if (!shape) return undefined;
  if (!shape.field) {
    const typeName = holderTypeName(shape.holder);
    if (typeName && isPrismaClientClass(model, typeName)) return 'declared';
  }
  return holders?.holdsPrismaClient(client) ? 'held' : undefined;
}

/** Whether the index confirms that what `held` names holds a Prisma client. */
export function confirmsPrismaClient(index: WorkspaceIndex, held: HeldClientFact): boolean {
  const orm = held.field
    ? index.fieldOrmOf(held.classNames, held.field)
    : index.ormModelOf(held.classNames);
  return orm === PRISMA_CLIENT;
}
