import { useEffect, useState } from 'react';
import { fetchDashboard, formatMoney, type ChartDay, type Tiles } from './api';

function Tile({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="tile">
      <span className="tile-label">{label}</span>
      <strong className="tile-value">{value}</strong>
    </div>
  );
}

function RevenueChart({ days }: { days: ChartDay[] }) {
  const max = Math.max(1, ...days.map((day) => day.revenueCents));
  return (
    <div className="chart" role="img" aria-label="Revenue per day">
      {[...days].reverse().map((day) => (
        <div
          key={day.day}
          className="bar"
          style={{ height: `${(day.revenueCents / max) * 100}%` }}
          title={`${day.day}: ${formatMoney(day.revenueCents)} (${day.orders} orders)`}
        />
      ))}
    </div>
  );
}

export function Dashboard() {
  const [tiles, setTiles] = useState<Tiles | null>(null);
  const [chart, setChart] = useState<ChartDay[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    fetchDashboard()
      .then((data) => {
        if (cancelled) return;
        setTiles(data.tiles);
        setChart(data.chart);
      })
      .catch((err: Error) => setError(err.message));
    return () => {
      cancelled = true;
    };
  }, []);

  // The ops screen on the warehouse wall: today's tiles must stay current.
  useEffect(() => {
    const id = setInterval(async () => {
      const res = await fetch('/api/reports/summary');
      if (res.ok) setTiles((await res.json()) as Tiles);
    }, 5000);
    return () => clearInterval(id);
  }, []);

  if (error) return <p className="error">Dashboard unavailable: {error}</p>;
  if (!tiles) return <p>Loading…</p>;
  return (
    <section className="dashboard">
      <div className="tiles">
        <Tile label="Orders today" value={tiles.orders} />
        <Tile label="Revenue today" value={formatMoney(tiles.revenueCents)} />
        <Tile label="New customers" value={tiles.newCustomers} />
        {tiles.openOrders !== undefined && <Tile label="To ship" value={tiles.openOrders} />}
      </div>
      <RevenueChart days={chart} />
    </section>
  );
}
