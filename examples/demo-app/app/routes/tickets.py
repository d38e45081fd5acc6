from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.db import get_db
from app.models import Ticket
from app.schemas import TicketDetail, TicketOut
from app.services import tickets as ticket_service

router = APIRouter(prefix="/tickets", tags=["tickets"])


@router.get("/open", response_model=list[TicketOut])
def list_open_tickets(db: Session = Depends(get_db)) -> list[Ticket]:
    return ticket_service.open_tickets(db)


@router.get("/counts")
def ticket_counts(db: Session = Depends(get_db)) -> dict[str, int]:
    counts = {}
    for status in ("open", "pending", "solved"):
        counts[status] = db.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.status == status)
        )
    return counts


@router.get("/customer/{customer_id}", response_model=list[TicketDetail])
def customer_tickets(
    customer_id: int,
    skip: int = Query(0, ge=0),
    limit: int = Query(20, ge=1, le=100),
    db: Session = Depends(get_db),
) -> list[Ticket]:
    return ticket_service.customer_tickets(db, customer_id, skip, limit)


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: int, db: Session = Depends(get_db)) -> Ticket:
    ticket = db.get(Ticket, ticket_id, options=[selectinload(Ticket.comments)])
    if ticket is None:
        raise HTTPException(status_code=404, detail="ticket not found")
    return ticket

