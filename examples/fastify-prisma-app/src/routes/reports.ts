import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PrismaClient } from '@prisma/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { env } from '../config';
import { prisma } from '../db';
import { countInCountry } from '../services/customers';
import { PAID_STATUSES } from '../services/orders';
import { dailyRevenue, openOrderCount, recentWebhookEvents } from '../services/reports';

const TEMPLATES = fileURLToPath(new URL('../templates/', import.meta.url));

const Range = z.object({ from: z.coerce.date(), to: z.coerce.date() });
const Days = z.object({ days: z.coerce.number().int().min(1).max(365).default(30) });

type ByNumber = { Params: { number: string } };

interface TopProduct {
  sku: string;
  name: string;
  units: number;
}

function startOfToday(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

function render(template: string, fields: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => fields[key] ?? '');
}

const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

function loadForDocument(number: string) {
  return prisma.order.findUnique({
    where: { number },
    include: {
      customer: { select: { name: true, email: true } },
      items: { include: { product: { select: { sku: true, name: true } } } },
    },
  });
}

type DocumentOrder = NonNullable<Awaited<ReturnType<typeof loadForDocument>>>;

function documentFields(order: DocumentOrder): Record<string, string> {
  const rows = order.items.map(
    (item) =>
      `<tr><td>${item.product.sku}</td><td>${item.product.name}</td><td>${item.quantity}</td>` +
      `<td>${money(item.unitPriceCents, order.currency)}</td></tr>`,
  );
  return {
    number: order.number,
    date: order.createdAt.toISOString().slice(0, 10),
    customer: order.customer.name,
    email: order.customer.email,
    rows: rows.join('\n'),
    total: money(order.totalCents, order.currency),
  };
}

export async function reportRoutes(app: FastifyInstance): Promise<void> {
  /** Today's tiles: orders, revenue, new customers. */
  app.get('/reports/summary', async () => {
    const since = startOfToday();
    const orders = await prisma.order.count({ where: { createdAt: { gte: since } } });
    const revenue = await prisma.order.aggregate({
      where: { createdAt: { gte: since }, status: { in: PAID_STATUSES } },
      _sum: { totalCents: true },
    });
    const newCustomers = await prisma.customer.count({ where: { createdAt: { gte: since } } });
    return { orders, revenueCents: revenue._sum.totalCents ?? 0, newCustomers };
  });

  /** First paint of the dashboard: the tiles, the open orders and the revenue chart at once. */
  app.get('/reports/dashboard', async (req) => {
    const { days } = Days.parse(req.query);
    const since = startOfToday();
    const [orders, revenue, newCustomers, openOrders, chart] = await Promise.all([
      prisma.order.count({ where: { createdAt: { gte: since } } }),
      prisma.order.aggregate({
        where: { createdAt: { gte: since }, status: { in: PAID_STATUSES } },
        _sum: { totalCents: true },
      }),
      prisma.customer.count({ where: { createdAt: { gte: since } } }),
      openOrderCount(),
      dailyRevenue(days),
    ]);
    return {
      tiles: { orders, revenueCents: revenue._sum.totalCents ?? 0, newCustomers, openOrders },
      chart: chart.map((row) => ({
        day: row.day.toISOString().slice(0, 10),
        orders: Number(row.orders),
        revenueCents: Number(row.revenue_cents),
      })),
    };
  });

  /** Finance export: every order of a period as CSV. */
  app.get('/reports/orders.csv', async (req, reply) => {
    const { from, to } = Range.parse(req.query);
    const orders = await prisma.order.findMany({
      where: { createdAt: { gte: from, lt: to } },
      orderBy: { createdAt: 'asc' },
      select: {
        number: true,
        status: true,
        totalCents: true,
        currency: true,
        createdAt: true,
        customer: { select: { email: true } },
      },
    });
    const lines = orders.map((order) =>
      [
        order.number,
        order.createdAt.toISOString(),
        order.customer.email,
        order.status,
        (order.totalCents / 100).toFixed(2),
        order.currency,
      ].join(','),
    );
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="orders.csv"')
      .send(['number,created_at,email,status,total,currency', ...lines].join('\n'));
  });

  /** Best sellers of the last `days` days, read from the replica. */
  app.get('/reports/top-products', async (req) => {
    const { days } = Days.parse(req.query);
    const db = new PrismaClient({ datasourceUrl: env.REPLICA_DATABASE_URL ?? env.DATABASE_URL });
    try {
      return await db.$queryRaw<TopProduct[]>`SELECT p.sku, p.name, sum(oi.quantity)::int AS units
          FROM order_items oi
          JOIN orders o ON o.id = oi.order_id
          JOIN products p ON p.id = oi.product_id
         WHERE o.created_at >= now() - make_interval(days => ${days})
         GROUP BY p.sku, p.name
         ORDER BY units DESC
         LIMIT 20`;
    } finally {
      await db.$disconnect();
    }
  });

  app.get<{ Params: { country: string } }>('/reports/markets/:country', async (req) => ({
    country: req.params.country.toUpperCase(),
    customers: await countInCountry(req.params.country),
  }));

  app.get('/reports/webhook-inbox', async (req) => {
    const { hours } = z
      .object({ hours: z.coerce.number().int().min(1).max(72).default(6) })
      .parse(req.query);
    return recentWebhookEvents(new Date(Date.now() - hours * 3_600_000));
  });

  app.get<ByNumber>('/reports/invoices/:number', async (req, reply) => {
    const order = await loadForDocument(req.params.number);
    if (!order) return reply.code(404).send({ error: 'order not found' });
    const template = readFileSync(`${TEMPLATES}invoice.html`, 'utf8');
    return reply.type('text/html').send(render(template, documentFields(order)));
  });

  app.get<ByNumber>('/reports/packing-slips/:number', async (req, reply) => {
    const order = await loadForDocument(req.params.number);
    if (!order) return reply.code(404).send({ error: 'order not found' });
    const template = await readFile(`${TEMPLATES}packing-slip.html`, 'utf8');
    return reply.type('text/html').send(render(template, documentFields(order)));
  });
}
