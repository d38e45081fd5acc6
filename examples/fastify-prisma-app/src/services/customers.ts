import { prisma } from '../db';
import { PAID_STATUSES } from './orders';

export function findByEmail(email: string) {
  return prisma.customer.findUnique({ where: { email: email.trim().toLowerCase() } });
}

/** Paid revenue of one customer, in cents. */
export async function lifetimeValue(customerId: number): Promise<number> {
  const { _sum } = await prisma.order.aggregate({
    where: { customerId, status: { in: PAID_STATUSES } },
    _sum: { totalCents: true },
  });
  return _sum.totalCents ?? 0;
}

/** The same for many customers, in one grouped query. */
export async function lifetimeValues(customerIds: number[]): Promise<Map<number, number>> {
  const rows = await prisma.order.groupBy({
    by: ['customerId'],
    where: { customerId: { in: customerIds }, status: { in: PAID_STATUSES } },
    _sum: { totalCents: true },
  });
  return new Map(rows.map((row) => [row.customerId, row._sum.totalCents ?? 0]));
}

/** Customers per country, for the sales team's market pages. */
export function countInCountry(country: string): Promise<number> {
  return prisma.customer.count({ where: { country: country.toUpperCase() } });
}
