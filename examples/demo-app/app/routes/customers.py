from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import Customer, Order, Ticket
from app.schemas import CategorySpend, CustomerOut, CustomerSummary, CustomerValue, OrderDetail
from app.services import customers as customer_service
from app.services import orders as order_service

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("", response_model=list[CustomerOut])
def list_customers(
    skip: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=200),
    db: Session = Depends(get_db),
) -> list[Customer]:
    return db.query(Customer).order_by(Customer.id).offset(skip).limit(limit).all()


@router.get("/lookup", response_model=CustomerOut)
def lookup_customer(email: str, db: Session = Depends(get_db)) -> Customer:
    customer = customer_service.find_by_email(db, email)
    if customer is None:
        raise HTTPException(status_code=404, detail="customer not found")
    return customer


@router.get("/top", response_model=list[CustomerValue])
def top_customers(
    limit: int = Query(20, ge=1, le=100), db: Session = Depends(get_db)
) -> list[CustomerValue]:
    customers = db.query(Customer).order_by(Customer.id.desc()).limit(limit).all()
    values = []
    for customer in customers:
        ltv = customer_service.lifetime_value(db, customer.id)
        values.append(
            CustomerValue(customer_id=customer.id, email=customer.email, lifetime_value_cents=ltv)
        )
    return sorted(values, key=lambda v: v.lifetime_value_cents, reverse=True)


@router.get("/values", response_model=list[CustomerValue])
def customer_values(
    skip: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=200),
    db: Session = Depends(get_db),
) -> list[CustomerValue]:
    customers = db.query(Customer).order_by(Customer.id).offset(skip).limit(limit).all()
    ltv = customer_service.lifetime_values(db, [c.id for c in customers])
    return [
        CustomerValue(customer_id=c.id, email=c.email, lifetime_value_cents=ltv[c.id])
        for c in customers
    ]


@router.get("/tiers")
def customer_tiers(
    skip: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=1000),
    db: Session = Depends(get_db),
) -> dict[str, list[int]]:
    ids = list(db.scalars(select(Customer.id).order_by(Customer.id).offset(skip).limit(limit)))
    return customer_service.assign_tiers(customer_service.lifetime_values(db, ids))


@router.get("/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: int, db: Session = Depends(get_db)) -> Customer:
    customer = db.get(Customer, customer_id)
    if customer is None:
        raise HTTPException(status_code=404, detail="customer not found")
    return customer


@router.get("/{customer_id}/summary", response_model=CustomerSummary)
async def customer_summary(customer_id: int, db: Session = Depends(get_db)) -> CustomerSummary:
    customer = db.query(Customer).filter(Customer.id == customer_id).first()
    if customer is None:
        raise HTTPException(status_code=404, detail="customer not found")
    order_count = db.query(func.count(Order.id)).filter(Order.customer_id == customer_id).scalar()
    open_tickets = (
        db.query(func.count(Ticket.id))
        .filter(Ticket.customer_id == customer_id, Ticket.status == "open")
        .scalar()
    )
    return CustomerSummary.model_validate(
        {
            **CustomerOut.model_validate(customer).model_dump(),
            "order_count": order_count or 0,
            "lifetime_value_cents": customer_service.lifetime_value(db, customer_id),
            "open_tickets": open_tickets or 0,
        }
    )


@router.get("/{customer_id}/orders", response_model=list[OrderDetail])
def customer_orders(
    customer_id: int, limit: int = Query(20, ge=1, le=100), db: Session = Depends(get_db)
) -> list[Order]:
    return order_service.orders_with_items(db, customer_id, limit)


@router.get("/{customer_id}/history")
def customer_history(customer_id: int, db: Session = Depends(get_db)) -> list[dict]:
    return order_service.order_history_rows(db, customer_id)


@router.get("/{customer_id}/latest")
def customer_latest(customer_id: int, db: Session = Depends(get_db)) -> list[dict]:
    return order_service.latest_order_rows(db, customer_id)


@router.get("/{customer_id}/spend", response_model=list[CategorySpend])
def customer_spend(customer_id: int, db: Session = Depends(get_db)) -> list[CategorySpend]:
    return order_service.spend_by_category(db, customer_id)
