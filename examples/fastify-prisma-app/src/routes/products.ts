import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { prisma } from '../db';
import {
  categoryPage,
  forgetProductCard,
  listCategoryProducts,
  productCard,
} from '../services/catalog';
import { productSales } from '../services/reports';
import { allReviewsOf, reviewPage } from '../services/reviews';

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(48),
  after: z.coerce.number().int().optional(),
});

const Id = z.object({ id: z.coerce.number().int() });

type BySlug = { Params: { slug: string } };

export async function productRoutes(app: FastifyInstance): Promise<void> {
  app.get('/products', async (req) => {
    const { limit, after } = Page.parse(req.query);
    return prisma.product.findMany({
      where: { active: true },
      orderBy: { id: 'asc' },
      take: limit,
      ...(after === undefined ? {} : { cursor: { id: after }, skip: 1 }),
    });
  });

  app.get<{ Params: { sku: string } }>('/products/sku/:sku', async (req, reply) => {
    const product = await prisma.product.findUnique({
      where: { sku: req.params.sku },
      include: { category: true },
    });
    if (!product) return reply.code(404).send({ error: 'product not found' });
    return product;
  });

  app.get('/products/:id/card', async (req, reply) => {
    const { id } = Id.parse(req.params);
    const card = await productCard(id);
    if (!card) return reply.code(404).send({ error: 'product not found' });
    return card;
  });

  app.get('/products/:id/sales', async (req) => {
    const { id } = Id.parse(req.params);
    return productSales(id);
  });

  app.patch('/products/:id/stock', async (req) => {
    const { id } = Id.parse(req.params);
    const { stock } = z.object({ stock: z.number().int().min(0) }).parse(req.body);
    const product = await prisma.product.update({ where: { id }, data: { stock } });
    forgetProductCard(id);
    return product;
  });

  /** The whole category on one page (the print catalogue). */
  app.get<BySlug>('/categories/:slug/products', async (req, reply) => {
    const category = await prisma.category.findUnique({ where: { slug: req.params.slug } });
    if (!category) return reply.code(404).send({ error: 'category not found' });
    const products = await listCategoryProducts(category.id);
    return { category, products };
  });

  /** The storefront grid: the same category, a page at a time. */
  app.get<BySlug>('/categories/:slug/page', async (req, reply) => {
    const { limit, after } = Page.parse(req.query);
    const category = await prisma.category.findUnique({ where: { slug: req.params.slug } });
    if (!category) return reply.code(404).send({ error: 'category not found' });
    return { category, products: await categoryPage(category.id, limit, after) };
  });

  app.get('/products/:id/reviews', async (req) => {
    const { id } = Id.parse(req.params);
    const { limit } = Page.parse(req.query);
    const before = z.coerce.date().optional().parse((req.query as { before?: string }).before);
    return reviewPage(id, limit, before);
  });

  app.get('/products/:id/reviews/all', async (req) => {
    const { id } = Id.parse(req.params);
    return allReviewsOf(id);
  });
}
