"""Support ticket queue."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models import Ticket


def open_tickets(db: Session) -> list[Ticket]:
    return list(db.execute(select(Ticket).where(Ticket.status == "open")).scalars().all())


def customer_tickets(db: Session, customer_id: int, skip: int, limit: int) -> list[Ticket]:
    stmt = (
        select(Ticket)
        .where(Ticket.customer_id == customer_id)
        .options(selectinload(Ticket.comments))
        .order_by(Ticket.created_at.desc())
        .offset(skip)
        .limit(limit)
    )
    return list(db.scalars(stmt))

