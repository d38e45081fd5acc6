import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query

from app import analytics
from app.schemas import RevenuePoint
from app.services import orders as order_service

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/revenue/daily", response_model=list[RevenuePoint])
def daily_revenue(days: int = Query(30, ge=1, le=366)) -> list[RevenuePoint]:
    return analytics.daily_revenue(days)


@router.get("/revenue/total")
def revenue_total(start: datetime, end: datetime) -> dict[str, int]:
    return {"revenue_cents": order_service.revenue_between(start, end)}


@router.get("/products/top")
def top_products(limit: int = Query(10, ge=1, le=100)) -> list[dict[str, Any]]:
    return [
        {"sku": sku, "name": name, "revenue_cents": revenue}
        for sku, name, revenue in analytics.top_products(limit)
    ]


@router.get("/orders/browse/{status}")
def browse_orders(status: str, page: int = Query(0, ge=0)) -> list[list[Any]]:
    return [list(row) for row in analytics.order_browser_page(status, page)]


@router.get("/regions/{region}/orders")
async def region_orders(region: str, days: int = Query(7, ge=1, le=90)) -> list[dict[str, Any]]:
    since = date.today() - timedelta(days=days)
    rows = await asyncio.to_thread(analytics.region_orders, region, since)
    return [{"id": i, "total_cents": t, "created_at": c, "email": e} for i, t, c, e in rows]


@router.get("/funnel/{day}")
def checkout_funnel(day: date) -> list[dict[str, Any]]:
    return [
        {"customer_id": cid, "step": step, "at": at}
        for cid, step, at in analytics.checkout_funnel(day)
    ]


@router.get("/events/{kind}/count")
async def event_count(kind: str, days: int = Query(1, ge=1, le=90)) -> dict[str, int]:
    since = date.today() - timedelta(days=days)
    return {"count": await asyncio.to_thread(analytics.count_events, kind, since)}


@router.get("/cohorts")
def cohorts(months: int = Query(12, ge=1, le=36)) -> list[list[Any]]:
    return [list(row) for row in analytics.customer_cohorts(months)]


@router.get("/spend/percentiles")
def spend_percentiles() -> dict[str, int]:
    cutoffs = [0.5, 0.75, 0.9, 0.95, 0.99]
    return {f"p{round(q * 100)}": v for q, v in analytics.spend_percentiles(cutoffs).items()}
