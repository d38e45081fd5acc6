/**
 * Commands a sync redis-py client sends, as per-item round trips: which calls in a loop send one
 * Redis command each (`for k in keys: r.get(k)`), for `query-in-loop`.
 */
import { importsRedis, receiverFactoryCall, syncRedisCommand } from './blocking';
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
