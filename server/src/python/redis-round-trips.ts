/**
 * Commands a sync redis-py client sends, as per-item round trips: which calls in a loop send one
 * Redis command each (`for k in keys: r.get(k)`), for `query-in-loop`.
 */
import { bindingOf, importsRedis, receiverFactoryCall, syncRedisCommand } from './blocking';
import { shadowed } from './instances';
import { callsByFunction, type PyCall, type PythonModel } from './model';
import { OwnedCache } from './memo';
import { returnsSyncRedisClient, sendsRedisCommand } from './redis-clients';

const redisGetters = new OwnedCache<PythonModel, ReadonlySet<string>>('redis getters');

/**
 * The module-level functions of the file that hand back a sync redis-py client they make
 * (`def get_redis(): global _client; ... _client = redis.from_url(url); return _client`).
 */
function fileRedisGetters(model: PythonModel): ReadonlySet<string> {
  let names = redisGetters.get(model);
  if (!names) {
    const found = new Set<string>();
    // Top-level functions only: a getter is called by its plain name.
    for (const [fn, calls] of callsByFunction(model))
      if (!fn.parent && !fn.className && returnsSyncRedisClient(fn, calls, model))
        found.add(fn.name);
    names = found;
    redisGetters.set(model, names);
  }
  return names;
}

/**
 * Whether a call sends one command on a sync redis-py client of this file: one made at module
 * level, in the function or on `self` (`r.get(k)`, `self.redis.hset(...)`), the `execute()` of a
 * pipeline made from one, or a command on what a getter function of the file hands back
 * (`r = get_redis(); r.exists(k)`). Commands queued on a pipeline send nothing. Only files that
 * import redis-py pay for the look at the receiver.
 */
export function sendsSyncRedisCommand(call: PyCall, model: PythonModel): boolean {
  if (!call.hasReceiver || !importsRedis(model)) return false;
  const own = syncRedisCommand(call, model);
  if (own !== undefined) return own;
  if (!sendsRedisCommand(call.method, [])) return false;
  const factory = receiverFactoryCall(call, model);
  return !!factory && fileRedisGetters(model).has(factory.callee);
}

/**
 * A module-level object a call's receiver names through an import: its qualified name
 * (`app.cache.redis_client`), and the methods called on it on the way to the receiver (`pipeline`
 * for `pipe.execute()` after `pipe = redis_client.pipeline()`; see `sendsRedisCommand`).
 */
export function importedReceiver(
  call: PyCall,
  model: PythonModel,
): { holder: string; via: string[] } | undefined {
  const { callee } = call;
  const dot = callee.indexOf('.');
  if (dot <= 0) return undefined;
  const head = callee.slice(0, dot);
  if (model.imports.has(head)) {
    if (shadowed(head, call.fn, model)) return undefined;
    // A module's own function (`json.dumps`) has no object before it.
    const holder = call.qualified.slice(0, call.qualified.lastIndexOf('.'));
    return holder.includes('.') ? { holder, via: [] } : undefined;
  }
  if (call.method !== 'execute' || callee.includes('.', dot + 1)) return undefined;
  const pipeline = bindingOf(model, call.fn, head);
  if (pipeline?.method !== 'pipeline' || !pipeline.callee) return undefined;
  const client = importedReceiver(pipeline, model);
  return client?.via.length === 0 ? { holder: client.holder, via: ['pipeline'] } : undefined;
}

/** Commands only a Redis client has: sent to an imported object, they say it may be one. */
const REDIS_ONLY_COMMANDS = new Set([
  'hget',
  'hset',
  'hsetnx',
  'hmget',
  'hmset',
  'hgetall',
  'hdel',
  'hexists',
  'hincrby',
  'hincrbyfloat',
  'hkeys',
  'hvals',
  'hlen',
  'sadd',
  'srem',
  'smembers',
  'sismember',
  'smismember',
  'scard',
  'zadd',
  'zrem',
  'zscore',
  'zincrby',
  'zrange',
  'zrevrange',
  'zrangebyscore',
  'zrank',
  'zcard',
  'lpush',
  'rpush',
  'lpop',
  'rpop',
  'lrange',
  'llen',
  'lrem',
  'ltrim',
  'incr',
  'incrby',
  'decr',
  'decrby',
  'expire',
  'expireat',
  'pexpire',
  'ttl',
  'pttl',
  'setex',
  'setnx',
  'psetex',
  'getset',
  'getdel',
  'getex',
  'mget',
  'mset',
  'xadd',
  'pfadd',
  'geoadd',
]);

/**
 * The qualified name of another module's module-level object that a call sends what would be a
 * Redis command to (`redis_client.hset(...)` after `from app.cache import redis_client`,
 * `pipe.execute()` after `pipe = redis_client.pipeline()`), when the call says so without the
 * workspace index: a command only Redis has (`hset`, `incr`, `expire`...), an object whose name
 * says Redis (`redis_client.get(k)`), or a pipeline's `execute()`. Whether the object is a sync
 * redis-py client is the index's to tell (`instanceClassNames`): asking it makes a per-file rule
 * wait for every file, so the shape is tested first.
 */
export function importedRedisCommandHolder(call: PyCall, model: PythonModel): string | undefined {
  if (!call.hasReceiver || model.imports.size === 0) return undefined;
  const client = importedReceiver(call, model);
  if (!client || !sendsRedisCommand(call.method, client.via)) return undefined;
  const looksLikeRedis =
    client.via.length > 0 || REDIS_ONLY_COMMANDS.has(call.method) || /redis/i.test(client.holder);
  return looksLikeRedis ? client.holder : undefined;
}
