import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { prisma } from '../db';
import { ORDER_CHANNEL, subscriber } from '../redis';
import type { OrderUpdate } from '../services/orders';

/** Order updates from Redis, fanned out to the sockets of this process. */
const bus = new EventEmitter();
bus.setMaxListeners(0);

void subscriber.subscribe(ORDER_CHANNEL);
subscriber.on('message', (_channel: string, message: string) => {
  const update = JSON.parse(message) as OrderUpdate;
  bus.emit('update', update);
  bus.emit(`order:${update.orderId}`, update);
  if (update.status === 'SHIPPED' || update.status === 'DELIVERED') {
    bus.emit(`shipment:${update.orderId}`, update);
  }
});

/** When each socket last sent a message (one per second is plenty); dies with the socket. */
const lastMessageAt = new WeakMap<WebSocket, number>();
let viewerCount = 0;

function tooChatty(socket: WebSocket): boolean {
  const now = Date.now();
  const last = lastMessageAt.get(socket) ?? 0;
  lastMessageAt.set(socket, now);
  return now - last < 1000;
}

type ClientMessage = { type: 'ping' } | { type: 'follow-shipment' };

function parseMessage(raw: RawData): ClientMessage | null {
  try {
    const message = JSON.parse(raw.toString()) as ClientMessage;
    return typeof message.type === 'string' ? message : null;
  } catch {
    return null;
  }
}

const HEARTBEAT_MS = 30_000;

export async function liveRoutes(app: FastifyInstance): Promise<void> {
  app.get('/live/viewers', async () => ({ viewers: viewerCount }));

  /** The dashboard feed: every order update. */
  app.get('/live/orders', { websocket: true }, (socket) => {
    viewerCount++;

    const push = (update: OrderUpdate) => socket.send(JSON.stringify(update));
    bus.on('update', push);
    const heartbeat = setInterval(() => socket.ping(), HEARTBEAT_MS);

    socket.on('message', (raw) => {
      if (tooChatty(socket)) return;
      if (parseMessage(raw)?.type === 'ping') socket.send('{"type":"pong"}');
    });
    socket.once('close', () => {
      clearInterval(heartbeat);
      bus.off('update', push);
      viewerCount--;
    });
  });

  /** One order's page: its updates, and its parcel once the customer asks to follow it. */
  app.get<{ Params: { id: string } }>(
    '/live/orders/:id',
    { websocket: true },
    async (socket, req) => {
      const orderId = Number(req.params.id);
      const order = await prisma.order.findUnique({
        where: { id: orderId },
        select: { id: true, number: true, status: true, updatedAt: true },
      });
      if (!order) {
        socket.close(4404, 'order not found');
        return;
      }
      socket.send(JSON.stringify({ type: 'snapshot', order }));

      const push = (update: OrderUpdate) => socket.send(JSON.stringify(update));
      bus.on(`order:${orderId}`, push);
      setInterval(() => socket.ping(), HEARTBEAT_MS);

      socket.on('message', (raw) => {
        if (tooChatty(socket) || parseMessage(raw)?.type !== 'follow-shipment') return;
        bus.on(`shipment:${orderId}`, (update: unknown) => {
          socket.send(JSON.stringify({ type: 'shipment', update }));
        });
      });
      socket.once('close', () => bus.off(`order:${orderId}`, push));
    },
  );
}
