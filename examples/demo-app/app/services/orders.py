"""Order queries shared by the orders, customers and reports routers."""

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from app.db import replica_session
from app.models import Order
from app.schemas import CategorySpend, OrderStatus


def orders_with_items(db: Session, customer_id: int, limit: int = 20) -> list[Order]:
    stmt = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.items))
        .order_by(Order.created_at.desc())
        .limit(limit)
    )
    return list(db.scalars(stmt))


def spend_by_category(db: Session, customer_id: int) -> list[CategorySpend]:
    orders = (
        db.query(Order)
        .filter(Order.customer_id == customer_id, Order.status != OrderStatus.cancelled)
        .order_by(Order.created_at.desc())
        .limit(100)
        .all()
    )
    totals: dict[str, int] = defaultdict(int)
    for order in orders:
        for item in order.items:
            totals[item.product.category] += item.quantity * item.unit_price_cents
    return [CategorySpend(category=c, spend_cents=s) for c, s in sorted(totals.items())]


def order_history_rows(db: Session, customer_id: int) -> list[dict]:
    rows = db.execute(
        text(
            "SELECT id, status, currency, total_cents, created_at "
            "FROM orders WHERE customer_id = :customer_id "
            "ORDER BY created_at DESC"
        ),
        {"customer_id": customer_id},
    )
    return [dict(r) for r in rows.mappings()]


def latest_order_rows(db: Session, customer_id: int, limit: int = 5) -> list[dict]:
    rows = db.execute(
        text(
            "SELECT id, status, total_cents, created_at FROM orders "
            "WHERE customer_id = :customer_id ORDER BY created_at DESC LIMIT :limit"
        ),
        {"customer_id": customer_id, "limit": limit},
    )
    return [dict(r) for r in rows.mappings()]


def orders_in_status(db: Session, status: OrderStatus) -> list[Order]:
    return db.query(Order).filter(Order.status == status).order_by(Order.created_at.desc()).all()


def revenue_between(start: datetime, end: datetime) -> int:
    with replica_session() as db:
        total = db.scalar(
            select(func.coalesce(func.sum(Order.total_cents), 0)).where(
                Order.created_at >= start,
                Order.created_at < end,
                Order.status != OrderStatus.cancelled,
            )
        )
    return int(total or 0)
