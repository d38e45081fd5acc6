// Demo data for local development: `npm run db:seed` (runs `prisma db seed`).
import { PrismaClient, type OrderStatus } from '@prisma/client';

const prisma = new PrismaClient();

const CATEGORIES = [
  { slug: 'coffee', name: 'Coffee' },
  { slug: 'tea', name: 'Tea' },
  { slug: 'brewing', name: 'Brewing gear' },
  { slug: 'cups', name: 'Cups and mugs' },
];

const COUNTRIES = ['DE', 'NL', 'FR', 'SE', 'DK', 'AT'];
const STATUSES: OrderStatus[] = ['PENDING', 'PAID', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED'];

/** Deterministic pseudo-random numbers, so every developer gets the same data. */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 4294967296;
    return state / 4294967296;
  };
}

async function main(): Promise<void> {
  await prisma.$transaction([
    prisma.orderItem.deleteMany(),
    prisma.payment.deleteMany(),
    prisma.shipment.deleteMany(),
    prisma.order.deleteMany(),
    prisma.product.deleteMany(),
    prisma.category.deleteMany(),
    prisma.address.deleteMany(),
    prisma.customer.deleteMany(),
  ]);

  const random = lcg(7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  const [categories, customers] = await Promise.all([
    prisma.category.createManyAndReturn({ data: CATEGORIES }),
    prisma.customer.createManyAndReturn({
      data: Array.from({ length: 120 }, (_, i) => ({
        email: `customer${i + 1}@example.com`,
        name: `Customer ${i + 1}`,
        country: pick(COUNTRIES),
        tier: i % 10 === 0 ? 'wholesale' : 'standard',
      })),
    }),
  ]);

  const products = await prisma.product.createManyAndReturn({
    data: Array.from({ length: 60 }, (_, i) => ({
      sku: `SKU-${String(i + 1).padStart(4, '0')}`,
      name: `${pick(['Single', 'House', 'Reserve', 'Daily'])} ${pick(['blend', 'roast', 'set'])} ${i + 1}`,
      priceCents: 400 + Math.floor(random() * 6000),
      stock: Math.floor(random() * 200),
      categoryId: pick(categories).id,
    })),
  });

  const orders = Array.from({ length: 400 }, (_, i) => {
    const lines = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
      const product = pick(products);
      return {
        productId: product.id,
        quantity: 1 + Math.floor(random() * 3),
        unitPriceCents: product.priceCents,
      };
    });
    return {
      number: `OD-SEED${String(i).padStart(4, '0')}`,
      customerId: pick(customers).id,
      status: pick(STATUSES),
      totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
      createdAt: new Date(Date.now() - Math.floor(random() * 90) * 86_400_000),
      items: { create: lines },
    };
  });
  await Promise.all(orders.map((data) => prisma.order.create({ data })));

  const all = await prisma.order.findMany({ select: { id: true } });
  console.log(
    `seeded ${customers.length} customers, ${products.length} products, ${all.length} orders`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => prisma.$disconnect());
