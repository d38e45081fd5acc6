/**
 * MikroORM finders that load every matching row: an entity manager's `find(Entity, where,
 * options)`, `findAll(Entity, options)` and `findAndCount(Entity, where, options)`, and a
 * repository's `find(where, options)`, `findAll(options)` and `findAndCount(where, options)`, on a
 * receiver `mikroOrmQuery` recognises (`mikro-orm.ts`). Their bound is `limit` in the options.
 */
import type { FileContext } from '../../engine/rule';
import { ts } from '../compiler';
import { findProperty } from '../object-literals';
import type { TsCall, TsModel } from '../model';
import type { HelperIoFinder } from '../helper-io';
import {
  MIKRO_ORM_MANAGER_VALUE,
  MIKRO_ORM_REPOSITORY_VALUE,
  mikroOrmQueryReceiver,
} from '../mikro-orm';
import {
  WORDING,
  type UnboundedRead,
  optionsOf,
  operatorPins,
  pinsKey,
  whereOfOptionsPins,
  shortText,
  addOption,
} from './read';
import { repositoryEntity } from './typeorm-finds';

/** MikroORM's reads of many rows; `findAll` takes no `where` argument (its options may hold one). */
const MIKRO_ORM_READS: ReadonlySet<string> = new Set(['find', 'findAll', 'findAndCount']);

/** Whether `call` is one of those reads on a MikroORM entity manager or repository: no other ORM's. */
export function isMikroOrmRead(model: TsModel, call: TsCall): boolean {
  return MIKRO_ORM_READS.has(call.name) && !!mikroOrmQueryReceiver(model, call);
}

/**
 * The MikroORM object another module exports that `call` runs on (`DI.em.find(...)`,
 * `userRepo.findAll()` of an imported `userRepo`), as the index knows it.
 */
function importedReceiver(
  call: TsCall,
  models: HelperIoFinder | undefined,
): 'EntityManager' | 'EntityRepository' | undefined {
  const kind = models?.modelKind(call);
  if (kind === MIKRO_ORM_MANAGER_VALUE) return 'EntityManager';
  return kind === MIKRO_ORM_REPOSITORY_VALUE ? 'EntityRepository' : undefined;
}

/**
 * `em.find(Book, where)`, `repo.findAll()` and the like with no `limit` in their options, on a
 * MikroORM entity manager or repository (this file's, or with `models`, one another module
 * exports): unbounded, or undefined (not MikroORM's, or bounded).
 * Bounded: a `limit`, a `where` pinning `id` (`{ id }`, `{ id: ids }`, `{ id: { $in: ids } }`), or
 * options Perflens cannot see (a variable used elsewhere, a spread, a call).
 */
export function mikroOrmFind(
  ctx: FileContext,
  model: TsModel,
  call: TsCall,
  models?: HelperIoFinder,
): UnboundedRead | undefined {
  if (!MIKRO_ORM_READS.has(call.name)) return undefined;
  const receiver = mikroOrmQueryReceiver(model, call) ?? importedReceiver(call, models);
  const node = call.node;
  if (!receiver || !ts.isCallExpression(node)) return undefined;
  const byManager = receiver === 'EntityManager';
  // The manager's arguments start with the entity; after it, the repository's.
  const entityArgument = byManager ? call.args[0] : undefined;
  if (byManager && !entityArgument) return undefined;
  const [where, options] =
    call.name === 'findAll'
      ? [undefined, call.args[byManager ? 1 : 0]]
      : [call.args[byManager ? 1 : 0], call.args[byManager ? 2 : 1]];
  if (where && pinsKey(where, 'id', operatorPins)) return undefined;
  const spelled = optionsOf(options);
  if (spelled === 'opaque') return undefined;
  if (spelled !== 'none') {
    if (findProperty(spelled, 'limit') || whereOfOptionsPins(spelled, operatorPins))
      return undefined;
  }
  const entity = byManager
    ? entityArgument && ts.isIdentifier(entityArgument)
      ? entityArgument.text
      : undefined
    : repositoryEntity(call.receiver!);
  const limit = `limit: ${ctx.options.defaultLimit}`;
  // Options go after the `where` (or the manager's entity for `findAll`); a `find` written with
  // no `where` gets no fix, as an object there would be read as the filter.
  const before = call.name === 'findAll' ? entityArgument : where;
  const fixable = spelled !== 'none' || !!before || (call.name === 'findAll' && !byManager);
  return {
    wording: WORDING.mikroOrm,
    quoted: `${shortText(node.expression)}()`,
    entity,
    start: call.start,
    end: node.expression.end,
    fix: fixable
      ? {
          title: `Add \`${limit}\``,
          safety: 'unsafe',
          edits: addOption(ctx, node, spelled, limit, before),
        }
      : undefined,
  };
}
