import { randomBytes } from 'node:crypto';
import type { OrderStatus } from '@prisma/client';
import { prisma } from '../db';
import { ORDER_CHANNEL, redis } from '../redis';
import { productsBySku } from './catalog';

export interface OrderLineInput {
  sku: string;
  quantity: number;
}

/** What the live feeds push to the dashboard when an order changes. */
export interface OrderUpdate {
  orderId: number;
  number: string;
  status: OrderStatus;
  totalCents: number;
  at: string;
}

export class OrderError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Statuses that count as revenue. */
export const PAID_STATUSES: OrderStatus[] = ['PAID', 'SHIPPED', 'DELIVERED'];

/** `OD-7K3F9Q2A`: short, unguessable, safe to read out on the phone. */
export function orderNumber(): string {
  return `OD-${randomBytes(5).toString('base64url').toUpperCase().slice(0, 8)}`;
}

export async function publishOrderUpdate(order: {
  id: number;
  number: string;
  status: OrderStatus;
  totalCents: number;
}): Promise<void> {
  const update: OrderUpdate = {
    orderId: order.id,
    number: order.number,
    status: order.status,
    totalCents: order.totalCents,
    at: new Date().toISOString(),
  };
  await redis.publish(ORDER_CHANNEL, JSON.stringify(update));
}

/** Prices the lines with one query for all SKUs, then writes the order and its items. */
export async function createOrder(customerId: number, lines: OrderLineInput[], note?: string) {
  if (lines.length === 0) throw new OrderError(422, 'an order needs at least one line');
  const products = await productsBySku(lines.map((line) => line.sku));
  const unknown = lines.filter((line) => !products.has(line.sku)).map((line) => line.sku);
  if (unknown.length > 0) throw new OrderError(422, `unknown SKU: ${unknown.join(', ')}`);

  const items = lines.map((line) => {
    const product = products.get(line.sku)!;
    if (!product.active) throw new OrderError(422, `${line.sku} is no longer sold`);
    return { productId: product.id, quantity: line.quantity, unitPriceCents: product.priceCents };
  });
  const totalCents = items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0);

  const order = await prisma.order.create({
    data: { number: orderNumber(), customerId, totalCents, note, items: { create: items } },
    include: { items: true },
  });
  await publishOrderUpdate(order);
  return order;
}
