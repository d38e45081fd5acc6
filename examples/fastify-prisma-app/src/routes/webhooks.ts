import { createHmac, timingSafeEqual } from 'node:crypto';
import { Prisma } from '@prisma/client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { env } from '../config';
import { prisma } from '../db';
import { publishOrderUpdate } from '../services/orders';

const PaymentEvent = z.object({
  id: z.string(),
  type: z.enum(['payment.succeeded', 'payment.failed', 'payment.refunded']),
  data: z.object({
    orderNumber: z.string(),
    providerRef: z.string(),
    amountCents: z.number().int(),
  }),
});

const CarrierEvent = z.object({
  eventId: z.string(),
  updates: z
    .array(
      z.object({
        trackingNumber: z.string(),
        status: z.enum(['IN_TRANSIT', 'DELIVERED', 'EXCEPTION']),
        deliveredAt: z.string().datetime().optional(),
      }),
    )
    .max(500),
});

const ORDER_STATUS_AFTER = {
  'payment.succeeded': 'PAID',
  'payment.failed': 'PENDING',
  'payment.refunded': 'REFUNDED',
} as const;

/** Carrier event ids already applied, so a redelivered event is not applied twice. */
const seenCarrierEvents = new Set<string>();

type RawRequest = FastifyRequest & { rawBody?: string };

function validSignature(req: RawRequest): boolean {
  const given = req.headers['x-signature'];
  if (typeof given !== 'string' || !req.rawBody) return false;
  const expected = createHmac('sha256', env.PAYMENT_WEBHOOK_SECRET).update(req.rawBody).digest();
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export async function webhookRoutes(app: FastifyInstance): Promise<void> {
  // The signature is computed over the exact bytes, so keep them next to the parsed body.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      (req as RawRequest).rawBody = body as string;
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.post('/webhooks/payments', async (req, reply) => {
    if (!validSignature(req)) return reply.code(401).send({ error: 'bad signature' });
    const event = PaymentEvent.parse(req.body);

    // The inbox row doubles as the idempotency key: a redelivery fails on the primary key.
    try {
      await prisma.webhookEvent.create({
        data: { id: event.id, source: 'payments', type: event.type, payload: event },
      });
    } catch (err) {
      if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
        return reply.code(200).send({ duplicate: true });
      }
      throw err;
    }

    const order = await prisma.$transaction(async (tx) => {
      const current = await tx.order.findUnique({ where: { number: event.data.orderNumber } });
      if (!current) return null;
      await tx.payment.upsert({
        where: { providerRef: event.data.providerRef },
        create: {
          orderId: current.id,
          provider: 'payments',
          providerRef: event.data.providerRef,
          amountCents: event.data.amountCents,
          status: event.type,
        },
        update: { status: event.type },
      });
      const updated = await tx.order.update({
        where: { id: current.id },
        data: { status: ORDER_STATUS_AFTER[event.type] },
      });
      await tx.webhookEvent.update({ where: { id: event.id }, data: { processedAt: new Date() } });
      return updated;
    });
    if (order) await publishOrderUpdate(order);
    return { ok: true };
  });

  app.post('/webhooks/carrier', async (req, reply) => {
    const event = CarrierEvent.parse(req.body);
    if (seenCarrierEvents.has(event.eventId)) return { duplicate: true };
    seenCarrierEvents.add(event.eventId);

    const checkedAt = new Date();
    event.updates.forEach(async (update) => {
      await prisma.shipment.update({
        where: { trackingNumber: update.trackingNumber },
        data: {
          status: update.status,
          lastCheckedAt: checkedAt,
          deliveredAt: update.deliveredAt ? new Date(update.deliveredAt) : undefined,
        },
      });
    });
    return reply.code(202).send({ accepted: event.updates.length });
  });
}
