export type OrderStatus = 'PENDING' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED' | 'REFUNDED';

export interface OrderSummary {
  id: number;
  number: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  customer?: { name: string };
}

export interface Tiles {
  orders: number;
  revenueCents: number;
  newCustomers: number;
  openOrders?: number;
}

export interface ChartDay {
  day: string;
  orders: number;
  revenueCents: number;
}

export interface OrderUpdate {
  orderId: number;
  number: string;
  status: OrderStatus;
  totalCents: number;
  at: string;
}

const BASE = import.meta.env.VITE_API_URL ?? '/api';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${BASE}${path}`, {
    ...init,
    headers: { accept: 'application/json', ...init.headers },
  });
  if (!res.ok) throw new ApiError(res.status, await res.text());
  return (await res.json()) as T;
}

/** A conditional GET: `null` when the server answers 304 (nothing changed since `etag`). */
export async function getIfChanged<T>(
  path: string,
  etag: string | null,
): Promise<{ data: T; etag: string | null } | null> {
  const res = await fetch(`${BASE}${path}`, {
    headers: etag ? { accept: 'application/json', 'If-None-Match': etag } : {},
  });
  if (res.status === 304) return null;
  if (!res.ok) throw new ApiError(res.status, await res.text());
  return { data: (await res.json()) as T, etag: res.headers.get('ETag') };
}

export function formatMoney(cents: number, currency = 'EUR'): string {
  return new Intl.NumberFormat('de-DE', { style: 'currency', currency }).format(cents / 100);
}

/** Everything the dashboard shows on first paint, in one round trip. */
export function fetchDashboard(days = 14) {
  return getJson<{ tiles: Tiles; chart: ChartDay[] }>(`/reports/dashboard?days=${days}`);
}

/** The recent orders and the status badges, fetched side by side. */
export async function fetchOrderBoard(limit = 20) {
  const [recent, counts] = await Promise.all([
    getJson<OrderSummary[]>(`/orders/recent?limit=${limit}`),
    getJson<Record<string, number>>('/orders/status-counts'),
  ]);
  return { recent, counts };
}

export function liveUrl(path: string): string {
  const url = new URL(`${BASE}${path}`, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
