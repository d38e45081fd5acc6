import { setTimeout as delay } from 'node:timers/promises';

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

export function sleep(ms: number): Promise<void> {
  return delay(ms);
}

/**
 * Rejects with a `TimeoutError` when `work` takes longer than `ms`. The timer is cleared as soon
 * as `work` settles, so a fast call leaves nothing behind.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
