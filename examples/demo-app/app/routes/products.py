from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import OrderItem, Product
from app.schemas import ProductOut
from app.utils.cache import cached_product

router = APIRouter(prefix="/products", tags=["products"])


@router.get("", response_model=list[ProductOut])
def list_products(
    after_id: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=200),
    db: Session = Depends(get_db),
) -> list[Product]:
    stmt = select(Product).where(Product.id > after_id).order_by(Product.id).limit(limit)
    return list(db.execute(stmt).scalars().all())


@router.get("/by-sku/{sku}", response_model=ProductOut)
def product_by_sku(sku: str, db: Session = Depends(get_db)) -> Product:
    product = db.scalars(select(Product).where(Product.sku == sku)).first()
    if product is None:
        raise HTTPException(status_code=404, detail="product not found")
    return product


@router.get("/{product_id}", response_model=ProductOut)
def get_product(product_id: int, db: Session = Depends(get_db)) -> ProductOut:
    product = cached_product(db, product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="product not found")
    return product


@router.get("/{product_id}/units-sold")
def units_sold(product_id: int, db: Session = Depends(get_db)) -> dict[str, int]:
    units = db.scalar(
        select(func.coalesce(func.sum(OrderItem.quantity), 0)).where(
            OrderItem.product_id == product_id
        )
    )
    return {"product_id": product_id, "units": int(units or 0)}
