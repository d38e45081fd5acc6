import { useEffect, useState } from 'react';
import { getIfChanged, type OrderSummary } from './api';

const BASE_DELAY = 10_000;
const MAX_DELAY = 5 * 60_000;

/**
 * Paid orders waiting for a label. Polls with `If-None-Match` (a 304 costs the server almost
 * nothing) and backs off while nothing changes or the API fails.
 */
export function AwaitingShipment() {
  const [orders, setOrders] = useState<OrderSummary[]>([]);

  useEffect(() => {
    let etag: string | null = null;
    let delay = BASE_DELAY;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;

    const poll = async () => {
      try {
        const result = await getIfChanged<OrderSummary[]>('/orders?status=PAID&limit=50', etag);
        if (result) {
          etag = result.etag;
          setOrders(result.data);
          delay = BASE_DELAY;
        } else {
          delay = Math.min(delay * 2, MAX_DELAY);
        }
      } catch {
        delay = Math.min(delay * 2, MAX_DELAY);
      }
      if (!cancelled) timer = setTimeout(poll, delay);
    };
    void poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <section className="awaiting-shipment">
      <h2>Awaiting shipment ({orders.length})</h2>
      <ul>
        {orders.map((order) => (
          <li key={order.id}>
            {order.number} · {new Date(order.createdAt).toLocaleDateString()}
          </li>
        ))}
      </ul>
    </section>
  );
}
