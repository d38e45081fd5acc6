from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.config import get_settings
from app.db import get_db
from app.models import Order, OrderItem, Product
from app.schemas import (
    OrderDetail,
    OrderIn,
    OrderLineIn,
    OrderOut,
    OrderStatus,
    ReorderIn,
    TrackingStatus,
)
from app.services import orders as order_service
from app.services import shipping

settings = get_settings()
router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("", response_model=list[OrderOut])
def list_orders(
    customer_id: int,
    skip: int = Query(0, ge=0),
    limit: int = Query(settings.default_page_size, ge=1, le=settings.max_page_size),
    db: Session = Depends(get_db),
) -> list[Order]:
    return (
        db.query(Order)
        .filter(Order.customer_id == customer_id)
        .order_by(Order.created_at.desc())
        .offset(skip)
        .limit(limit)
        .all()
    )


@router.get("/by-status/{status}", response_model=list[OrderOut])
def list_orders_by_status(status: OrderStatus, db: Session = Depends(get_db)) -> list[Order]:
    return db.query(Order).filter(Order.status == status).order_by(Order.created_at.desc()).all()


@router.get("/to-ship", response_model=list[OrderOut])
def orders_to_ship(db: Session = Depends(get_db)) -> list[Order]:
    return order_service.orders_in_status(db, OrderStatus.paid)


@router.get("/{order_id}", response_model=OrderDetail)
def get_order(order_id: int, db: Session = Depends(get_db)) -> Order:
    order = db.get(Order, order_id, options=[selectinload(Order.items)])
    if order is None:
        raise HTTPException(status_code=404, detail="order not found")
    return order


def _priced_order(
    customer_id: int, currency: str, lines: list[OrderLineIn], products: dict[str, Product]
) -> Order:
    items = []
    for line in lines:
        product = products.get(line.sku)
        if product is None or not product.active:
            raise HTTPException(status_code=422, detail=f"unknown sku {line.sku}")
        items.append(
            OrderItem(
                product_id=product.id, quantity=line.quantity, unit_price_cents=product.price_cents
            )
        )
    total = sum(i.quantity * i.unit_price_cents for i in items)
    return Order(customer_id=customer_id, currency=currency, items=items, total_cents=total)


@router.post("", response_model=OrderDetail, status_code=201)
def create_order(payload: OrderIn, db: Session = Depends(get_db)) -> Order:
    skus = sorted({line.sku for line in payload.lines})
    found = db.scalars(select(Product).where(Product.sku.in_(skus)).limit(len(skus)))
    products = {p.sku: p for p in found}
    order = _priced_order(payload.customer_id, payload.currency, payload.lines, products)
    db.add(order)
    db.commit()
    return order


@router.post("/{order_id}/reorder", response_model=OrderDetail, status_code=201)
def reorder(order_id: int, payload: ReorderIn, db: Session = Depends(get_db)) -> Order:
    source = db.get(Order, order_id)
    if source is None:
        raise HTTPException(status_code=404, detail="order not found")
    products: dict[str, Product] = {}
    for line in payload.lines:
        product = db.query(Product).filter(Product.sku == line.sku).first()
        if product is not None:
            products[line.sku] = product
    order = _priced_order(source.customer_id, source.currency, payload.lines, products)
    db.add(order)
    db.commit()
    return order


@router.get("/{order_id}/tracking", response_model=TrackingStatus)
def order_tracking(order_id: int, db: Session = Depends(get_db)) -> TrackingStatus:
    order = db.get(Order, order_id)
    if order is None or not order.tracking_number:
        raise HTTPException(status_code=404, detail="no shipment for this order")
    return shipping.tracking_statuses_batch([order.tracking_number])[0]


@router.get("/customer/{customer_id}/shipments", response_model=list[TrackingStatus])
def customer_shipments(customer_id: int, db: Session = Depends(get_db)) -> list[TrackingStatus]:
    recent = (
        db.query(Order)
        .filter(Order.customer_id == customer_id, Order.status == OrderStatus.shipped)
        .order_by(Order.created_at.desc())
        .limit(20)
        .all()
    )
    return shipping.tracking_statuses(recent)
