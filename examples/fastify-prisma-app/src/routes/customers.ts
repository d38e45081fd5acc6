import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { prisma } from '../db';
import { findByEmail, lifetimeValue, lifetimeValues } from '../services/customers';

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z.coerce.number().int().optional(),
});

const Id = z.object({ id: z.coerce.number().int() });

interface CustomerValue {
  id: number;
  name: string;
  email: string;
  lifetimeValueCents: number;
}

export async function customerRoutes(app: FastifyInstance): Promise<void> {
  app.get('/customers', async (req) => {
    const { limit, after } = Page.parse(req.query);
    return prisma.customer.findMany({
      orderBy: { id: 'asc' },
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
  });

  app.get('/customers/lookup', async (req, reply) => {
    const { email } = z.object({ email: z.string().email() }).parse(req.query);
    const customer = await findByEmail(email);
    if (!customer) return reply.code(404).send({ error: 'customer not found' });
    return customer;
  });

  /** Customers of one market, for the sales team. */
  app.get<{ Params: { country: string } }>('/customers/by-country/:country', async (req) => {
    const { limit, after } = Page.parse(req.query);
    return prisma.customer.findMany({
      where: { country: req.params.country.toUpperCase() },
      orderBy: { id: 'asc' },
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
  });

  /** Newest sign-ups and what they have spent so far. */
  app.get('/customers/newest-value', async (req) => {
    const { limit } = Page.parse(req.query);
    const customers = await prisma.customer.findMany({
      orderBy: { createdAt: 'desc' },
      select: { id: true, name: true, email: true },
      take: limit,
    });
    const values: CustomerValue[] = [];
    for (const customer of customers) {
      values.push({ ...customer, lifetimeValueCents: await lifetimeValue(customer.id) });
    }
    return values;
  });

  /** Spend of a page of customers: one grouped query for the whole page. */
  app.get('/customers/values', async (req) => {
    const { limit, after } = Page.parse(req.query);
    const customers = await prisma.customer.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, name: true, email: true },
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
    const values = await lifetimeValues(customers.map((customer) => customer.id));
    return customers.map((customer): CustomerValue => ({
      ...customer,
      lifetimeValueCents: values.get(customer.id) ?? 0,
    }));
  });

  app.get('/customers/:id', async (req, reply) => {
    const { id } = Id.parse(req.params);
    const customer = await prisma.customer.findUnique({
      where: { id },
      include: { addresses: true },
    });
    if (!customer) return reply.code(404).send({ error: 'customer not found' });
    return customer;
  });

  /** A customer's orders, newest first (account page, support tool). */
  app.get('/customers/:id/orders', async (req) => {
    const { id } = Id.parse(req.params);
    const { limit } = Page.parse(req.query);
    return prisma.order.findMany({
      where: { customerId: id },
      orderBy: { createdAt: 'desc' },
      select: { id: true, number: true, status: true, totalCents: true, createdAt: true },
      take: limit,
    });
  });

  app.get('/customers/:id/addresses', async (req) => {
    const { id } = Id.parse(req.params);
    return prisma.address.findMany({ where: { customerId: id }, take: 20 });
  });
}
