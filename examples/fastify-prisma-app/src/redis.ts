import { Redis } from 'ioredis';
import { env } from './config';

/** Commands: cache, rate limits, publish. */
export const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2 });

/** A connection in subscriber mode can run no other command, so pub/sub gets its own. */
export const subscriber = redis.duplicate();

/** Order status changes, published by the API and the webhooks, read by the live feeds. */
export const ORDER_CHANNEL = 'orders:updates';
