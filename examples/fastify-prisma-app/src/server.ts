import cors from '@fastify/cors';
import etag from '@fastify/etag';
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { ZodError } from 'zod';
import { env } from './config';
import { prisma } from './db';
import { startShipmentTracking } from './jobs/track-shipments';
import { redis, subscriber } from './redis';
import { customerRoutes } from './routes/customers';
import { liveRoutes } from './routes/live';
import { orderRoutes } from './routes/orders';
import { productRoutes } from './routes/products';
import { reportRoutes } from './routes/reports';
import { webhookRoutes } from './routes/webhooks';
import { OrderError } from './services/orders';

export async function buildServer() {
  const app = Fastify({ logger: { level: env.LOG_LEVEL }, trustProxy: true });

  await app.register(cors, { origin: env.WEB_ORIGIN });
  await app.register(etag);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });

  await app.register(orderRoutes, { prefix: '/api' });
  await app.register(customerRoutes, { prefix: '/api' });
  await app.register(productRoutes, { prefix: '/api' });
  await app.register(reportRoutes, { prefix: '/api' });
  await app.register(liveRoutes, { prefix: '/api' });
  await app.register(webhookRoutes);

  app.get('/health', async () => {
    await Promise.all([prisma.$queryRaw`SELECT 1`, redis.ping()]);
    return { ok: true };
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ZodError) {
      return reply.code(400).send({ error: 'invalid request', issues: err.issues });
    }
    if (err instanceof OrderError) return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.addHook('onClose', async () => {
    await prisma.$disconnect();
    subscriber.disconnect();
    redis.disconnect();
  });
  return app;
}

const app = await buildServer();
const stopTracking = startShipmentTracking(app.log);

// Heap and RSS in the log once a minute, for the whole life of the process.
setInterval(() => {
  const { heapUsed, rss } = process.memoryUsage();
  app.log.info({ heapUsedMb: heapUsed >> 20, rssMb: rss >> 20 }, 'memory');
}, 60_000).unref();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopTracking();
    void app.close().then(() => process.exit(0));
  });
}

await app.listen({ port: env.PORT, host: '0.0.0.0' });
