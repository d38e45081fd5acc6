import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { serviceLevels } from '../config';
import { prisma } from '../db';
import { createLabel, quoteRates } from '../services/carrier';
import {
  createOrder,
  OrderError,
  publishOrderUpdate,
  type OrderLineInput,
} from '../services/orders';

const OrderStatus = z.enum(['PENDING', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'REFUNDED']);

const ListQuery = z.object({
  status: OrderStatus.default('PAID'),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  after: z.coerce.number().int().optional(),
});

const CreateBody = z.object({
  customerId: z.number().int(),
  note: z.string().max(500).optional(),
  lines: z
    .array(z.object({ sku: z.string(), quantity: z.number().int().min(1).max(99) }))
    .min(1)
    .max(50),
});

type ByNumber = { Params: { number: string } };

const summaryFields = {
  id: true,
  number: true,
  status: true,
  totalCents: true,
  currency: true,
  createdAt: true,
} as const;

export async function orderRoutes(app: FastifyInstance): Promise<void> {
  /** Orders in one status, newest first, paged by cursor. */
  app.get('/orders', async (req) => {
    const { status, limit, after } = ListQuery.parse(req.query);
    return prisma.order.findMany({
      where: { status },
      orderBy: { createdAt: 'desc' },
      select: summaryFields,
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
  });

  app.get('/orders/recent', async (req) => {
    const { limit } = ListQuery.pick({ limit: true }).parse(req.query);
    return prisma.order.findMany({
      orderBy: { createdAt: 'desc' },
      select: { ...summaryFields, customer: { select: { name: true } } },
      take: limit,
    });
  });

  /** Several orders by number, for the support tool's side-by-side view. */
  app.get('/orders/batch', async (req) => {
    const { numbers } = z.object({ numbers: z.string() }).parse(req.query);
    const wanted = numbers.split(',').slice(0, 20);
    const orders = await Promise.all(
      wanted.map((number) => prisma.order.findUnique({ where: { number }, select: summaryFields })),
    );
    return orders.filter((order) => order !== null);
  });

  /** Open orders per status for the header badges: three statuses, three counts. */
  app.get('/orders/status-counts', async () => {
    const counts: Record<string, number> = {};
    for (const status of ['PENDING', 'PAID', 'SHIPPED'] as const) {
      counts[status] = await prisma.order.count({ where: { status } });
    }
    return counts;
  });

  app.get<ByNumber>('/orders/:number', async (req, reply) => {
    const order = await prisma.order.findUnique({
      where: { number: req.params.number },
      include: {
        customer: { select: { id: true, name: true, email: true } },
        items: { include: { product: { select: { sku: true, name: true } } } },
        payments: { select: { provider: true, status: true, amountCents: true } },
        shipment: true,
      },
    });
    if (!order) return reply.code(404).send({ error: 'order not found' });
    return order;
  });

  app.post('/orders', async (req, reply) => {
    const body = CreateBody.parse(req.body);
    const order = await createOrder(body.customerId, body.lines, body.note);
    return reply.code(201).send(order);
  });

  /** "Buy again": the same lines at today's prices, skipping what is out of stock. */
  app.post<ByNumber>('/orders/:number/reorder', async (req, reply) => {
    const previous = await prisma.order.findUnique({
      where: { number: req.params.number },
      include: { items: true },
    });
    if (!previous) return reply.code(404).send({ error: 'order not found' });

    const lines: OrderLineInput[] = [];
    for (const item of previous.items) {
      const product = await prisma.product.findUnique({ where: { id: item.productId } });
      if (product?.active && product.stock >= item.quantity) {
        lines.push({ sku: product.sku, quantity: item.quantity });
      }
    }
    const order = await createOrder(previous.customerId, lines, `reorder of ${previous.number}`);
    return reply.code(201).send(order);
  });

  app.post<ByNumber>('/orders/:number/cancel', async (req) => {
    const cancelled = await prisma.$transaction(async (tx) => {
      const order = await tx.order.findUnique({
        where: { number: req.params.number },
        include: { items: { select: { productId: true, quantity: true } } },
      });
      if (!order) throw new OrderError(404, 'order not found');
      if (order.status !== 'PENDING' && order.status !== 'PAID') {
        throw new OrderError(409, `a ${order.status.toLowerCase()} order cannot be cancelled`);
      }
      await Promise.all(
        order.items.map((item) =>
          tx.product.update({
            where: { id: item.productId },
            data: { stock: { increment: item.quantity } },
          }),
        ),
      );
      return tx.order.update({ where: { id: order.id }, data: { status: 'CANCELLED' } });
    });
    await publishOrderUpdate(cancelled);
    return cancelled;
  });

  app.get<ByNumber>('/orders/:number/shipping-quote', async (req, reply) => {
    const order = await prisma.order.findUnique({
      where: { number: req.params.number },
      include: {
        customer: { select: { country: true } },
        items: { select: { quantity: true } },
      },
    });
    if (!order) return reply.code(404).send({ error: 'order not found' });
    const parcels = order.items.reduce((sum, item) => sum + item.quantity, 0);
    const quotes = await quoteRates(order.customer.country, parcels * 450);
    return { quotes: quotes ?? [], fallback: quotes === null };
  });

  /** Buys the carrier label of a paid order and records the shipment. */
  app.post<ByNumber>('/orders/:number/label', async (req, reply) => {
    const { level } = z.object({ level: z.string().default('standard') }).parse(req.body ?? {});
    const service = serviceLevels[level];
    if (!service) return reply.code(422).send({ error: `unknown service level ${level}` });
    const order = await prisma.order.findUnique({
      where: { number: req.params.number },
      select: { id: true, number: true, status: true },
    });
    if (order?.status !== 'PAID') {
      return reply.code(409).send({ error: 'only a paid order can be shipped' });
    }
    const label = await createLabel(order.number, service.service);
    const shipment = await prisma.shipment.create({
      data: { orderId: order.id, carrier: service.carrier, trackingNumber: label.trackingNumber },
    });
    return reply.code(201).send({ shipment, labelUrl: label.labelUrl });
  });
}
