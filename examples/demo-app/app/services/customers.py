"""Customer value calculations."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Customer, Order
from app.schemas import OrderStatus

TIERS = {"gold": 100_000, "silver": 25_000, "bronze": 5_000}


def lifetime_value(db: Session, customer_id: int) -> int:
    total = db.scalar(
        select(func.coalesce(func.sum(Order.total_cents), 0)).where(
            Order.customer_id == customer_id, Order.status != OrderStatus.cancelled
        )
    )
    return int(total or 0)


def lifetime_values(db: Session, customer_ids: list[int]) -> dict[int, int]:
    if not customer_ids:
        return {}
    stmt = (
        select(Order.customer_id, func.sum(Order.total_cents))
        .where(Order.customer_id.in_(customer_ids), Order.status != OrderStatus.cancelled)
        .group_by(Order.customer_id)
        .limit(len(customer_ids))
    )
    totals = {customer_id: int(total) for customer_id, total in db.execute(stmt)}
    return {customer_id: totals.get(customer_id, 0) for customer_id in customer_ids}


def find_by_email(db: Session, email: str) -> Customer | None:
    return db.query(Customer).filter(Customer.email == email.lower()).first()


def assign_tiers(values: dict[int, int]) -> dict[str, list[int]]:
    """Customers per tier, highest value first within each tier."""
    ranked = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    tiers: dict[str, list[int]] = {}
    floor = None
    for tier, threshold in TIERS.items():
        tiers[tier] = [cid for cid, v in ranked if v >= threshold and (floor is None or v < floor)]
        floor = threshold
    return tiers
