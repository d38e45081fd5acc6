import { env } from '../config';
import { sleep, withDeadline } from '../lib/async';

export interface TrackingUpdate {
  trackingNumber: string;
  status: 'IN_TRANSIT' | 'DELIVERED' | 'EXCEPTION';
  deliveredAt?: string;
}

export interface RateQuote {
  service: string;
  amountCents: number;
  days: number;
}

export interface Label {
  trackingNumber: string;
  labelUrl: string;
}

export class CarrierError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`carrier API answered ${status}: ${body.slice(0, 200)}`);
  }
}

const MAX_ATTEMPTS = 4;
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

/**
 * One ParcelHub API call. Rate limits and server errors are retried with exponential backoff
 * (250 ms, 500 ms, 1 s); each attempt has its own 10 s timeout.
 */
export async function carrierRequest<T>(path: string, init: RequestInit = {}): Promise<T> {
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${env.CARRIER_API_URL}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${env.CARRIER_API_KEY}`,
        'content-type': 'application/json',
      },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.ok) return (await res.json()) as T;
    if (!RETRYABLE.has(res.status) || attempt === MAX_ATTEMPTS) {
      throw new CarrierError(res.status, await res.text());
    }
    await sleep(delayMs);
    delayMs *= 2;
  }
}

/** Tracking status of up to 100 parcels in one call. */
export async function trackMany(trackingNumbers: string[]): Promise<TrackingUpdate[]> {
  const body = await carrierRequest<{ updates: TrackingUpdate[] }>('/tracking:batchGet', {
    method: 'POST',
    body: JSON.stringify({ trackingNumbers }),
  });
  return body.updates;
}

/**
 * Live rate quotes for the checkout page. The page shows flat rates when the carrier does not
 * answer within 1.5 s.
 */
export async function quoteRates(
  country: string,
  weightGrams: number,
): Promise<RateQuote[] | null> {
  const result = await Promise.race([
    carrierRequest<{ quotes: RateQuote[] }>(`/rates?to=${country}&weight=${weightGrams}`),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 1500)),
  ]);
  return result ? result.quotes : null;
}

/** Buys a label; a label the carrier has not produced after 8 s is reported as failed. */
export function createLabel(orderNumber: string, service: string): Promise<Label> {
  const request = carrierRequest<Label>('/labels', {
    method: 'POST',
    body: JSON.stringify({ reference: orderNumber, service }),
  });
  return withDeadline(request, 8_000, `label for ${orderNumber}`);
}
