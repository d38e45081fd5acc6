import { prisma, replica } from '../db';

export interface RevenueDay {
  day: Date;
  orders: bigint;
  revenue_cents: bigint;
}

export interface ProductSale {
  number: string;
  created_at: Date;
  quantity: number;
  unit_price_cents: number;
}

/** Paid revenue per day over the last `days` days, newest first (the dashboard chart). */
export function dailyRevenue(days: number): Promise<RevenueDay[]> {
  return replica().$queryRaw<RevenueDay[]>`SELECT date_trunc('day', created_at) AS day,
           count(*) AS orders,
           sum(total_cents) AS revenue_cents
      FROM orders
     WHERE status IN ('PAID', 'SHIPPED', 'DELIVERED')
       AND created_at >= now() - make_interval(days => ${days})
     GROUP BY 1
     ORDER BY 1 DESC
     LIMIT ${days}`;
}

/** Every sale of a product, newest first (the product page's "sales" tab). */
export function productSales(productId: number): Promise<ProductSale[]> {
  return replica().$queryRaw<ProductSale[]>`SELECT o.number, o.created_at, oi.quantity,
           oi.unit_price_cents
      FROM order_items oi
      JOIN orders o ON o.id = oi.order_id
     WHERE oi.product_id = ${productId}
     ORDER BY o.created_at DESC`;
}

/** The webhook inbox of the last hours, for the ops page. */
export function recentWebhookEvents(since: Date) {
  return prisma.$queryRaw<Record<string, unknown>[]>`SELECT * FROM webhook_events
     WHERE received_at >= ${since}
     ORDER BY received_at DESC
     LIMIT 100`;
}

/** Orders not yet shipped, over all days (one row). */
export async function openOrderCount(): Promise<number> {
  const [row] = await prisma.$queryRaw<{ open: bigint }[]>`SELECT count(*) AS open
      FROM orders
     WHERE status = 'PAID'`;
  return Number(row.open);
}
