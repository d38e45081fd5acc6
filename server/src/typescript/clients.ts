/**
 * Calls that create a database connection, connection pool or HTTP client: `new PrismaClient()`,
 * `new Pool()` from `pg`, `createClient()` from `redis`, `axios.create()`. Each costs connection
 * setup (TCP, TLS, authentication) or at least a fresh client, so it belongs at startup, not per call.
 */
import { importedFrom } from './knowledge';
import type { TsCall, TsModel } from './model';

export interface ClientCreation {
  /** How the creation reads in a message: `new PrismaClient()`, `mysql.createPool()`. */
  label: string;
  /** What each call costs: `opens a new connection pool`. */
  cost: string;
}

const POOL = 'opens a new connection pool';
const CONNECTION = 'opens a new connection';

/** Constructors by the module they come from and their exported name. */
const CONSTRUCTORS: Record<string, Record<string, string>> = {
  '@prisma/client': { PrismaClient: POOL },
  ioredis: { default: CONNECTION, Redis: CONNECTION, Cluster: CONNECTION },
  pg: { Pool: POOL, Client: CONNECTION },
  mongodb: { MongoClient: POOL },
  sequelize: { Sequelize: POOL, default: POOL },
  // TypeORM 0.3's DataSource: `initialize()` then opens its pool.
  typeorm: { DataSource: POOL },
};

/** Factory functions by module and exported name (`*` when called on a namespace/default import). */
const FACTORIES: Record<string, Record<string, string>> = {
  redis: { createClient: CONNECTION, createCluster: CONNECTION },
  '@redis/client': { createClient: CONNECTION },
  mysql: { createPool: POOL, createConnection: CONNECTION },
  mysql2: { createPool: POOL, createConnection: CONNECTION, createPoolCluster: POOL },
  'mysql2/promise': { createPool: POOL, createConnection: CONNECTION, createPoolCluster: POOL },
  mongoose: { createConnection: POOL },
  // TypeORM 0.2's connection factories.
  typeorm: { createConnection: POOL, createConnections: POOL },
  axios: { create: 'builds a new axios instance (defaults, interceptors, agents)' },
  knex: { default: POOL, knex: POOL },
  postgres: { default: POOL },
};

/** The module and exported name a callee chain refers to: `pg.Pool` → pg's `Pool`. */
function resolveCallee(
  model: TsModel,
  chain: string,
): { module: string; name: string } | undefined {
  // Runs for every call of the file: the chain is cut at its dots only once its root is imported.
  const dot = chain.indexOf('.');
  const imported = model.imports.get(dot < 0 ? chain : chain.slice(0, dot));
  if (!imported) return undefined;
  if (dot < 0) return { module: imported.module, name: imported.imported };
  // `pg.Pool`, `redis.createClient`, `Redis.Cluster`: a member of a namespace or default import.
  const member = chain.slice(dot + 1);
  if (member.includes('.')) return undefined;
  if (imported.imported === '*' || imported.imported === 'default')
    return { module: imported.module, name: member };
  return { module: imported.module, name: `${imported.imported}.${member}` };
}

function normalizedModule(module: string): string {
  return module.replace(/^node:/, '');
}

/** Whether `call` creates a client, pool or connection, and what that costs. */
export function clientCreation(model: TsModel, call: TsCall): ClientCreation | undefined {
  if (call.isTaggedTemplate) return undefined;
  // The callee's chain, as the model wrote it (`new ` before constructors).
  const chain = call.isNew ? call.callee.slice('new '.length) : call.callee;
  if (!chain) return undefined;
  if (call.isNew) {
    // Generated clients (`import { PrismaClient } from '../generated/prisma'`) count too.
    if (chain === 'PrismaClient' || chain.endsWith('.PrismaClient'))
      return { label: 'new PrismaClient()', cost: POOL };
    const resolved = resolveCallee(model, chain);
    if (!resolved) return undefined;
    const name = resolved.name === 'Redis.Cluster' ? 'Cluster' : resolved.name;
    const cost = CONSTRUCTORS[normalizedModule(resolved.module)]?.[name];
    return cost ? { label: `new ${chain}()`, cost } : undefined;
  }
  // `MongoClient.connect(url)`: the static shortcut creates and connects a client.
  if (
    chain.endsWith('MongoClient.connect') &&
    importedFrom(model, chain.split('.')[0]) === 'mongodb'
  )
    return { label: `${chain}()`, cost: POOL };
  const resolved = resolveCallee(model, chain);
  if (!resolved) return undefined;
  const cost = FACTORIES[normalizedModule(resolved.module)]?.[resolved.name];
  return cost ? { label: `${chain}()`, cost } : undefined;
}
