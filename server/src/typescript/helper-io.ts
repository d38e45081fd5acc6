/**
 * Whether a call to a workspace function ends in a database query or an HTTP request, directly or
 * through further calls in any file, found through the workspace index. Rules that ask "does this
 * awaited helper do I/O" (`await-in-loop`, `sequential-independent-awaits`) share it. It also
 * answers whether a call queries through an ORM model class whose base is in another file
 * (`User.findByPk(id)`, `User` imported, or extending an imported `ParanoidModel`), whether a
 * Prisma client is one by declarations of workspace classes (`prisma-clients.ts`), and whether an
 * imported name is a knex instance (`imported-knex.ts`).
 */
import type { CallSite, Effect, FunctionFacts } from '../workspace/facts';
import type { IndexedFunction, WorkspaceIndex } from '../workspace/index';
import { PRISMA_WRITE_OPERATIONS } from './knowledge';
import { unwrap, type TsCall, type TsModel } from './model';
import { declarationOf } from './name-resolution';
import { receiverTypeTarget } from './factory-objects';
import { ts } from './compiler';
import {
  heldClientFact,
  importedDbTargets,
  importedValueTargets,
  modelClassTargets,
  mongooseQueryModelPath,
  tsCallTargets,
  tsModuleNameOf,
} from './facts';
import { confirmsKnexInstance, importsKnexInstance } from './imported-knex';
import { confirmsMongooseModel } from './mongoose-model-types';
import { mongooseChainStart } from './orm-calls';
import { confirmsPrismaClient } from './prisma-clients';
import { MONGODB, MONGODB_DB } from './mongodb-collections';
import {
  mayQueryModel,
  modelMethodQueries,
  modelReceiver,
  ormModelMethodQueries,
  ormOfModelKind,
} from './model-classes';

/** How deep calls are followed; helpers of helpers of helpers are rare, and cycles are cut anyway. */
const MAX_DEPTH = 5;

/** How a call reaches I/O: the functions followed, the first effect found, and every effect seen. */
export interface HelperIo {
  /** The function called first, the one making the round trip last. */
  chain: IndexedFunction[];
  effect: Effect;
  /** Every database/HTTP effect reachable (within the depth limit), for write/read judgements. */
  effects: Effect[];
}

/** The method a call site calls (`findByPk` of `User.findByPk`). */
function siteMethod(site: CallSite): string {
  return site.callee.slice(site.callee.lastIndexOf('.') + 1);
}

/**
 * The class part of a model call site's targets (`src.models.user.User` of `...User.findByPk`),
 * and the default export of each (`src.models.Post.default` of `src.models.Post.find`, for a
 * model a module exports as `module.exports = mongoose.model(...)` and another `require`s whole).
 */
function modelSiteClasses(site: CallSite): string[] {
  const method = siteMethod(site);
  if (!mayQueryModel(method)) return [];
  const suffix = `.${method}`;
  const classes = site.targets
    .filter((target) => target.endsWith(suffix))
    .map((target) => target.slice(0, -suffix.length));
  return [
    ...classes,
    ...classes.filter((name) => !name.endsWith('.default')).map((name) => `${name}.default`),
  ];
}

/**
 * Follows calls from workspace functions through the index. Answers are cached per function for
 * one rule run over one file; a visited set cuts cycles (recursion) and a depth limit bounds work.
 */
export class HelperIoFinder {
  private readonly cache = new Map<FunctionFacts, HelperIo | null>();
  /** The file's module name, which every call's targets start from. */
  private readonly moduleName: string;

  constructor(
    private readonly index: () => WorkspaceIndex,
    private readonly model: TsModel,
  ) {
    this.moduleName = tsModuleNameOf(model.relativePath);
  }

  /** The workspace function `call` resolves to, if the index knows exactly one. */
  target(call: TsCall): IndexedFunction | undefined {
    const targets = tsCallTargets(call, this.model, this.moduleName);
    if (targets.length === 0) return undefined;
    return this.index().resolve(targets);
  }

  /** Whether the call could be to a workspace function at all (checked before reading the index). */
  mayBeHelper(call: TsCall): boolean {
    return tsCallTargets(call, this.model, this.moduleName).length > 0;
  }

  /**
   * The ORM (`sequelize`) of a query made on a model class, or an instance of one, that only the
   * index can tell is a model: imported, or extending a class of another file.
   */
  modelQuery(call: TsCall): string | undefined {
    const kind = this.modelKind(call);
    return kind && ormOfModelKind(kind);
  }

  /**
   * As `modelQuery`, the model kind itself: `typeorm` for an Active Record entity,
   * `typeorm-repository-value` for a repository another module exports, else the ORM.
   */
  modelKind(call: TsCall): string | undefined {
    // `Pipelines.find(q).countDocuments()`: the count sends the query its `find` built.
    const start = mongooseChainStart(this.model, call);
    if (start) return this.modelKind(start) === 'mongoose' ? 'mongoose' : undefined;
    const classes = modelClassTargets(call, this.model, this.moduleName);
    const kind = classes.length > 0 ? this.index().ormModelOf(classes) : undefined;
    const receiver = kind && modelReceiver(call);
    if (receiver && modelMethodQueries(kind, receiver, call.name)) return kind;
    if (this.queriesImportedDb(call)) return MONGODB;
    return this.queriesTypedMongooseModel(call) ? 'mongoose' : undefined;
  }

  /**
   * A Mongoose query on a receiver whose declared type other modules say is a model
   * (`models.Boards.find()` of `models: IModels`, `IModels` imported; `this.MongooseModel` in a
   * subclass of a repository base that declares it).
   */
  private queriesTypedMongooseModel(call: TsCall): boolean {
    const path = mongooseQueryModelPath(this.model, call, this.moduleName);
    return !!path && confirmsMongooseModel(this.index(), path);
  }

  /** A MongoDB collection query whose `Db` another module exports (`db.collection('x').findOne()`). */
  private queriesImportedDb(call: TsCall): boolean {
    const dbs = importedDbTargets(call, this.model, this.moduleName);
    return dbs.length > 0 && this.index().ormModelOf(dbs) === MONGODB_DB;
  }

  /** Whether a helper's call site is a query on a model class (and no workspace function). */
  private queriesModel(site: CallSite): boolean {
    const classes = modelSiteClasses(site);
    if (classes.length === 0) return false;
    const index = this.index();
    if (index.resolve(site.targets)) return false;
    const orm = index.ormModelOf(classes);
    return !!orm && ormModelMethodQueries(orm, siteMethod(site));
  }

  /**
   * Whether `client` holds a Prisma client by declarations of workspace classes
   * (`this.repo.model` of a `PrismaRepository` whose `model` is a `Pick` of a `PrismaClient`
   * subclass): the syntax is read first, the index only for a workspace class.
   */
  holdsPrismaClient(client: ts.Expression): boolean {
    const held = heldClientFact(this.model, client, this.moduleName);
    return !!held && confirmsPrismaClient(this.index(), held);
  }

  /**
   * Whether `iterable` is a property of an imported object type that its module declares an array
   * (`userIds` of `{ userIds }: TSyncUsersDTO`, `userIds: string[]` there).
   */
  iteratesImportedArray(iterable: ts.Expression): boolean {
    const value = unwrap(iterable);
    const declaration = ts.isIdentifier(value) ? declarationOf(value) : undefined;
    const target = declaration && receiverTypeTarget(this.model, declaration, []);
    if (!target || !('imported' in target) || target.path.length !== 1) return false;
    const [field] = target.path;
    return importedValueTargets(this.model, target.imported).some((type) =>
      this.index().declaresArrayField(`${type}.${field}`),
    );
  }

  /** Whether `instance`, a name the file imports, is a knex instance another module exports. */
  importsKnexInstance(instance: ts.Identifier): boolean {
    return importsKnexInstance(this.index(), this.model, instance.text);
  }

  /**
   * Whether an effect of a helper is a round trip: a held Prisma client's, a query on a model
   * only other modules' types declare, or one on an imported knex instance, once the index agrees.
   */
  private isRoundTrip(effect: Effect): boolean {
    if (effect.kind !== 'db' && effect.kind !== 'http') return false;
    if (effect.mongooseModel) return confirmsMongooseModel(this.index(), effect.mongooseModel);
    if (effect.knexInstance) return confirmsKnexInstance(this.index(), effect.knexInstance);
    return !effect.prismaClient || confirmsPrismaClient(this.index(), effect.prismaClient);
  }

  /** The I/O `call` reaches through workspace functions, or undefined. */
  reach(call: TsCall): HelperIo | undefined {
    if (!this.mayBeHelper(call)) return undefined;
    const target = this.target(call);
    return target ? (this.search(target, new Set(), 0) ?? undefined) : undefined;
  }

  private search(
    entry: IndexedFunction,
    visited: Set<FunctionFacts>,
    depth: number,
  ): HelperIo | null {
    const known = this.cache.get(entry.fn);
    if (known !== undefined) return known;
    if (visited.has(entry.fn) || depth > MAX_DEPTH) return null;
    visited.add(entry.fn);
    const effects = entry.fn.effects.filter((effect) => this.isRoundTrip(effect));
    const modelQueries = entry.fn.calls.filter((site) => this.queriesModel(site));
    if (modelQueries.length > 0) {
      // In source order, so the message quotes the function's first query.
      effects.push(...modelQueries.map(modelEffect));
      effects.sort((a, b) => a.start - b.start);
    }
    let first: HelperIo | null =
      effects.length > 0 ? { chain: [entry], effect: effects[0], effects: [...effects] } : null;
    for (const site of entry.fn.calls) {
      const target = this.index().resolve(site.targets);
      if (!target) continue;
      const next = this.search(target, visited, depth + 1);
      if (!next) continue;
      if (!first) first = { chain: [entry, ...next.chain], effect: next.effect, effects: [] };
      first.effects.push(...next.effects);
    }
    // Answers found inside a cycle may be partial; only a complete search's answer is cached.
    if (depth === 0) this.cache.set(entry.fn, first);
    return first;
  }
}

/** A query on a model class (a call site that resolves to no function), as an effect. */
function modelEffect(site: CallSite): Effect {
  return { kind: 'db', blocking: false, callee: site.callee, start: site.start, end: site.end };
}

/**
 * The Prisma delegate and operation an effect's callee names (`prisma.user.update` → user,
 * update). None for a delegate picked at run time (`prisma.client[model].update`): it may be any
 * model, so what the effect touches is not known.
 */
function prismaParts(callee: string): { delegate: string; operation: string } | undefined {
  const parts = callee.split('.');
  if (parts.length < 3) return undefined;
  const delegate = parts[parts.length - 2];
  if (delegate.endsWith(']')) return undefined;
  return { delegate, operation: parts[parts.length - 1] };
}

const HTTP_WRITE_METHODS = /\.(?:post|put|patch|delete)$/;
/** Reads by name: Redis, Prisma-style and ORM finders (`User.findByPk`, `repo.findOne`). */
const READ_EFFECT =
  /\.(?:get|mget|hget|hgetall|findMany|findFirst|findUnique|count|findByPk|findOne|findAll|findAndCountAll)$/;
const WRITE_NAMES =
  /^(?:create|update|upsert|delete|remove|save|insert|send|post|put|patch|set|write|add|publish|notify|charge|sync|mark|increment|decrement)/i;

/** What a helper's effects change, for ordering judgements: `writes` and the models it touches. */
export function helperAccess(io: HelperIo): { writes: boolean; targets: Set<string> | undefined } {
  let writes = WRITE_NAMES.test(io.chain[0].fn.name);
  const targets = new Set<string>();
  let known = true;
  for (const effect of io.effects) {
    if (effect.kind === 'http') {
      if (HTTP_WRITE_METHODS.test(effect.callee)) writes = true;
      known = false;
      continue;
    }
    const parts = prismaParts(effect.callee);
    if (parts && !parts.delegate.startsWith('$')) {
      targets.add(parts.delegate);
      if (PRISMA_WRITE_OPERATIONS.has(parts.operation)) writes = true;
    } else {
      // Raw SQL, Redis, knex or an ORM: what it touches is not known.
      known = false;
      if (!READ_EFFECT.test(effect.callee)) writes = true;
    }
  }
  return { writes, targets: known ? targets : undefined };
}
