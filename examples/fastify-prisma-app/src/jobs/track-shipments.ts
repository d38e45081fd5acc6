import type { ShipmentStatus } from '@prisma/client';
import type { FastifyBaseLogger } from 'fastify';
import { prisma } from '../db';
import { chunk } from '../lib/async';
import { trackMany } from '../services/carrier';

const PAGE_SIZE = 500;
const OPEN: ShipmentStatus[] = ['LABEL_CREATED', 'IN_TRANSIT'];

/** Asks the carrier about every open parcel, 100 per call, and stores what changed. */
export async function trackOpenShipments(): Promise<number> {
  const open: { id: number; trackingNumber: string }[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await prisma.shipment.findMany({
      where: { status: { in: OPEN } },
      select: { id: true, trackingNumber: true },
      orderBy: { id: 'asc' },
      take: PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor: { id: cursor }, skip: 1 }),
    });
    open.push(...page);
    if (page.length < PAGE_SIZE) break;
    cursor = page[page.length - 1].id;
  }

  const numbers = open.map((shipment) => shipment.trackingNumber);
  const batches = await Promise.all(chunk(numbers, 100).map((batch) => trackMany(batch)));
  const checkedAt = new Date();
  const updates = batches.flat();
  await prisma.$transaction(
    updates.map((update) =>
      prisma.shipment.update({
        where: { trackingNumber: update.trackingNumber },
        data: {
          status: update.status,
          lastCheckedAt: checkedAt,
          deliveredAt: update.deliveredAt ? new Date(update.deliveredAt) : undefined,
        },
      }),
    ),
  );
  return updates.length;
}

/**
 * Runs the tracker every 10 minutes in the API process. After a failure the next run waits
 * twice as long, up to an hour, so a carrier outage is not hammered. Returns `stop`.
 */
export function startShipmentTracking(log: FastifyBaseLogger): () => void {
  const every = 10 * 60_000;
  let delayMs = every;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    try {
      const updated = await trackOpenShipments();
      log.info({ updated }, 'shipment tracking done');
      delayMs = every;
    } catch (err) {
      delayMs = Math.min(delayMs * 2, 60 * 60_000);
      log.error({ err, retryInMs: delayMs }, 'shipment tracking failed');
    }
    if (!stopped) timer = setTimeout(run, delayMs);
  };
  timer = setTimeout(run, 5_000);

  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
