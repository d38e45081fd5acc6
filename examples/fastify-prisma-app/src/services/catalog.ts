import type { Product } from '@prisma/client';
import { prisma } from '../db';

export interface ProductCard {
  id: number;
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}

const cardFields = { id: true, sku: true, name: true, priceCents: true, stock: true } as const;

/** Products by SKU, in one query whatever the number of SKUs. */
export async function productsBySku(skus: string[]): Promise<Map<string, Product>> {
  const unique = [...new Set(skus)];
  const rows = await prisma.product.findMany({
    where: { sku: { in: unique } },
    take: unique.length,
  });
  return new Map(rows.map((product) => [product.sku, product]));
}

/** The products of a category page, by name. */
export function listCategoryProducts(categoryId: number): Promise<ProductCard[]> {
  return prisma.product.findMany({
    where: { categoryId },
    orderBy: { name: 'asc' },
    select: cardFields,
  });
}

/** One page of a category, by name: the storefront's paged grid. */
export function categoryPage(categoryId: number, take: number, afterId?: number) {
  return prisma.product.findMany({
    where: { categoryId },
    orderBy: { name: 'asc' },
    select: cardFields,
    take,
    ...(afterId === undefined ? {} : { cursor: { id: afterId }, skip: 1 }),
  });
}

// Product cards are read on every order page. An LRU over a Map: insertion order is recency,
// so the first key is the least recently used one.
const MAX_CARDS = 500;
const cards = new Map<number, ProductCard>();

export async function productCard(id: number): Promise<ProductCard | null> {
  const hit = cards.get(id);
  if (hit) {
    cards.delete(id);
    cards.set(id, hit);
    return hit;
  }
  const card = await prisma.product.findUnique({ where: { id }, select: cardFields });
  if (!card) return null;
  cards.set(id, card);
  if (cards.size > MAX_CARDS) cards.delete(cards.keys().next().value!);
  return card;
}

export function forgetProductCard(id: number): void {
  cards.delete(id);
}
