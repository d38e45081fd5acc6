from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.orm import Session, defer

from app.db import get_db
from app.models import Event
from app.schemas import EventDetail, EventOut

router = APIRouter(prefix="/events", tags=["events"])


@router.get("/customer/{customer_id}", response_model=list[EventOut])
def customer_events(
    customer_id: int, limit: int = Query(100, ge=1, le=500), db: Session = Depends(get_db)
) -> list[Event]:
    return (
        db.query(Event)
        .filter(Event.customer_id == customer_id)
        .order_by(Event.created_at.desc())
        .limit(limit)
        .all()
    )


@router.get("/customer/{customer_id}/timeline", response_model=list[EventOut])
def customer_timeline(
    customer_id: int,
    skip: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=500),
    db: Session = Depends(get_db),
) -> list[Event]:
    # The timeline only shows kind and time; payloads can be tens of KB each.
    return (
        db.query(Event)
        .options(defer(Event.payload))
        .filter(Event.customer_id == customer_id)
        .order_by(Event.created_at.desc())
        .offset(skip)
        .limit(limit)
        .all()
    )


@router.get("/order/{order_id}", response_model=list[EventOut])
def order_events(order_id: int, db: Session = Depends(get_db)) -> list[Event]:
    return (
        db.query(Event)
        .options(defer(Event.payload))
        .filter(Event.order_id == order_id)
        .order_by(Event.id)
        .limit(200)
        .all()
    )


@router.get("/{event_id}", response_model=EventDetail)
def get_event(event_id: int, db: Session = Depends(get_db)) -> Event:
    event = db.get(Event, event_id)
    if event is None:
        raise HTTPException(status_code=404, detail="event not found")
    return event
