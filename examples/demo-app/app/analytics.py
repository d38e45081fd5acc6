"""Sales analytics on the DuckDB warehouse (a nightly copy of the OLTP tables plus events)."""

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from app.config import get_settings
from app.schemas import RevenuePoint

settings = get_settings()

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
ORDERS_TABLE = "orders"


@lru_cache(maxsize=1)
def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(settings.duckdb_path)
    con.execute("SET memory_limit = '256MB'")
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor per call: one DuckDB connection must not be used from two threads at once."""
    return warehouse().cursor()


@lru_cache(maxsize=32)
def load_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def daily_revenue(days: int) -> list[RevenuePoint]:
    rows = cursor().execute(load_sql("daily_revenue"), [days, days + 1]).fetchall()
    return [RevenuePoint(day=d, orders=n, revenue_cents=r) for d, n, r in rows]


def top_products(limit: int = 10) -> list[tuple[str, str, int]]:
    return cursor().execute(
        """
        SELECT p.sku, p.name, sum(i.quantity * i.unit_price_cents) AS revenue_cents
        FROM order_items i
        JOIN products p ON p.id = i.product_id
        JOIN orders o ON o.id = i.order_id
        WHERE o.status <> 'cancelled'
        GROUP BY p.sku, p.name
        ORDER BY revenue_cents DESC
        LIMIT ?
        """,
        [limit],
    ).fetchall()


def order_browser_page(status: str, page: int) -> list[tuple[Any, ...]]:
    return cursor().execute(load_sql("orders_page"), [status, page * 50]).fetchall()


def region_orders(region: str, since: date) -> list[tuple[Any, ...]]:
    return cursor().execute(
        f"SELECT o.id, o.total_cents, o.created_at, c.email FROM {ORDERS_TABLE} o "
        "JOIN customers c ON c.id = o.customer_id "
        "WHERE c.region = ? AND o.created_at >= ? "
        "ORDER BY o.created_at DESC",
        [region, since],
    ).fetchall()


def checkout_funnel(day: date) -> list[tuple[Any, ...]]:
    rel = cursor().sql(
        f"""
        SELECT customer_id, payload->>'$.step' AS step, created_at
        FROM events
        WHERE kind LIKE 'checkout.%' AND created_at::DATE = DATE '{day.isoformat()}'
        ORDER BY customer_id, created_at
        """
    )
    return rel.fetchall()


def count_events(kind: str, since: date) -> int:
    row = (
        cursor()
        .execute("SELECT count(*) FROM events WHERE kind = ? AND created_at >= ?", [kind, since])
        .fetchone()
    )
    return int(row[0]) if row else 0


def customer_cohorts(months: int = 12) -> list[tuple[Any, ...]]:
    con = duckdb.connect(settings.duckdb_path, read_only=True)
    try:
        return con.execute(load_sql("cohorts"), [months]).fetchall()
    finally:
        con.close()


def spend_percentiles(cutoffs: list[float]) -> dict[float, int]:
    spends = [
        row[0]
        for row in cursor()
        .execute(
            "SELECT total_spend_cents FROM customer_spend WHERE total_spend_cents > 0 LIMIT 100000"
        )
        .fetchall()
    ]
    result: dict[float, int] = {}
    for q in cutoffs:
        ordered = sorted(spends)
        result[q] = ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0
    return result


def record_fx_rates(rates: list[tuple[date, str, float]]) -> None:
    cursor().executemany(
        "INSERT OR REPLACE INTO fx_rates (day, currency, rate) VALUES (?, ?, ?)", rates
    )
