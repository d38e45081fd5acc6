/**
 * Sync redis-py clients: the calls that make one, the class of what they make, and which calls on
 * a client (or on a pipeline made from one) send a command over the network.
 */
import type { PyCall, PyFunction, PythonModel } from './model';
import { returnedCalls } from './returned-calls';

/** Calls that make a sync redis-py client, and the class of the client they return. */
const SYNC_REDIS_MAKERS = new Map([
  ['redis.Redis', 'redis.Redis'],
  ['redis.StrictRedis', 'redis.StrictRedis'],
  ['redis.client.Redis', 'redis.client.Redis'],
  ['redis.client.StrictRedis', 'redis.client.StrictRedis'],
  ['redis.RedisCluster', 'redis.RedisCluster'],
  ['redis.cluster.RedisCluster', 'redis.cluster.RedisCluster'],
  ['redis.from_url', 'redis.Redis'],
  ['redis.Redis.from_url', 'redis.Redis'],
  ['redis.Redis.from_pool', 'redis.Redis'],
  ['redis.StrictRedis.from_url', 'redis.StrictRedis'],
  ['redis.RedisCluster.from_url', 'redis.RedisCluster'],
]);

/** Factory functions of redis-py's asyncio clients, and the class of the client they return. */
const ASYNC_REDIS_FACTORIES = new Map([
  ['redis.asyncio.from_url', 'redis.asyncio.Redis'],
  ['redis.asyncio.Redis.from_url', 'redis.asyncio.Redis'],
  ['redis.asyncio.Redis.from_pool', 'redis.asyncio.Redis'],
]);

const SYNC_REDIS_CLASSES = new Set(SYNC_REDIS_MAKERS.values());

/** Whether a call (by qualified name) makes a sync redis-py client. */
export function makesSyncRedisClient(qualified: string): boolean {
  return SYNC_REDIS_MAKERS.has(qualified);
}

/** Whether a class (by qualified name) is a sync redis-py client. */
export function isSyncRedisClass(qualified: string): boolean {
  return SYNC_REDIS_CLASSES.has(qualified);
}

/**
 * The class of the client a redis-py factory function returns (`redis.from_url(...)` makes a
 * `redis.Redis`), for module-level names bound to one; undefined for any other call.
 */
export function redisFactoryClass(qualified: string): string | undefined {
  if (!qualified.includes('from_')) return undefined;
  return SYNC_REDIS_MAKERS.get(qualified) ?? ASYNC_REDIS_FACTORIES.get(qualified);
}

/**
 * Methods of a sync client that send nothing: they configure the client or build an object
 * (a pipeline, a lock, a pub/sub, a script, a module's command group) whose own calls do the I/O.
 * `close()` only releases the pool's connections.
 */
const CLIENT_METHODS_WITHOUT_IO = new Set([
  'pipeline',
  'lock',
  'pubsub',
  'monitor',
  'register_script',
  'client',
  'close',
  'get_encoder',
  'get_connection_kwargs',
  'get_retry',
  'set_retry',
  'set_response_callback',
  'load_external_module',
  'get_cache',
  'json',
  'ft',
  'ts',
  'bf',
  'cf',
  'cms',
  'topk',
  'tdigest',
  'vset',
]);

/**
 * Whether a method call on a sync Redis client sends a command, given the methods called on the
 * client on the way to the receiver, nearest first (`via`; see `receiverMaker`): any command of
 * the client itself (`r.get(k)`, `r.hgetall(k)`), and the `execute()` of a pipeline made from it
 * (`pipe = r.pipeline()`, `r.pipeline().set(k, v).execute()`). The other calls on a pipeline only
 * queue their command.
 */
export function sendsRedisCommand(method: string, via: readonly string[]): boolean {
  if (via.length === 0) return !method.startsWith('_') && !CLIENT_METHODS_WITHOUT_IO.has(method);
  return method === 'execute' && via[via.length - 1] === 'pipeline';
}

/**
 * Whether `fn` hands back a sync redis-py client it makes: `return redis.from_url(url)`, a local
 * it returns, or a lazily made module global (`global _client; if _client is None: _client =
 * redis.Redis(...)`; `return _client`). `calls` are the function's own calls.
 */
export function returnsSyncRedisClient(
  fn: PyFunction,
  calls: readonly PyCall[],
  model: PythonModel,
): boolean {
  if (!calls.some((call) => makesSyncRedisClient(call.qualified))) return false;
  for (const call of returnedCalls(fn, model))
    if (makesSyncRedisClient(call.qualified)) return true;
  return false;
}
