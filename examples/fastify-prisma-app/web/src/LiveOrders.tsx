import { useEffect, useState } from 'react';
import { fetchOrderBoard, formatMoney, liveUrl, type OrderSummary, type OrderUpdate } from './api';
import { RelativeTime } from './time';

const MAX_ROWS = 50;

function applyUpdate(orders: OrderSummary[], update: OrderUpdate): OrderSummary[] {
  const rest = orders.filter((order) => order.id !== update.orderId);
  const previous = orders.find((order) => order.id === update.orderId);
  const row: OrderSummary = {
    id: update.orderId,
    number: update.number,
    status: update.status,
    totalCents: update.totalCents,
    currency: previous?.currency ?? 'EUR',
    createdAt: previous?.createdAt ?? update.at,
    customer: previous?.customer,
  };
  return [row, ...rest].slice(0, MAX_ROWS);
}

export function LiveOrders() {
  const [orders, setOrders] = useState<OrderSummary[]>([]);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    let cancelled = false;
    fetchOrderBoard()
      .then((board) => {
        if (cancelled) return;
        setOrders(board.recent);
        setCounts(board.counts);
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => {
    const ws = new WebSocket(liveUrl('/live/orders'));
    const onOpen = () => setConnected(true);
    const onClose = () => setConnected(false);
    const onMessage = (event: MessageEvent<string>) => {
      const update = JSON.parse(event.data) as OrderUpdate;
      if (typeof update.orderId === 'number') setOrders((rows) => applyUpdate(rows, update));
    };
    ws.addEventListener('open', onOpen);
    ws.addEventListener('close', onClose);
    ws.addEventListener('message', onMessage);
    return () => {
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('close', onClose);
      ws.removeEventListener('message', onMessage);
      ws.close();
    };
  }, []);

  return (
    <section className="live-orders">
      <h2>
        Live orders <span className={connected ? 'dot on' : 'dot off'} />
      </h2>
      <p className="badges">
        {Object.entries(counts).map(([status, count]) => (
          <span key={status} className={`badge ${status.toLowerCase()}`}>
            {status} {count}
          </span>
        ))}
      </p>
      <table>
        <tbody>
          {orders.map((order) => (
            <tr key={order.id}>
              <td>{order.number}</td>
              <td>{order.customer?.name ?? '—'}</td>
              <td>{order.status}</td>
              <td>{formatMoney(order.totalCents, order.currency)}</td>
              <td>
                <RelativeTime iso={order.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
