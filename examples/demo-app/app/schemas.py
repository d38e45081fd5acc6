"""Request and response bodies."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class ORMModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class OrderStatus(StrEnum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"


class CustomerOut(ORMModel):
    id: int
    email: EmailStr
    name: str
    region: str
    created_at: datetime


class CustomerSummary(CustomerOut):
    order_count: int
    lifetime_value_cents: int
    open_tickets: int


class CustomerValue(BaseModel):
    customer_id: int
    email: EmailStr
    lifetime_value_cents: int


class ProductOut(ORMModel):
    id: int
    sku: str
    name: str
    category: str
    price_cents: int


class OrderItemOut(ORMModel):
    id: int
    product_id: int
    quantity: int
    unit_price_cents: int


class OrderOut(ORMModel):
    id: int
    customer_id: int
    status: OrderStatus
    currency: str
    total_cents: int
    tracking_number: str | None
    created_at: datetime


class OrderDetail(OrderOut):
    items: list[OrderItemOut]


class OrderLineIn(BaseModel):
    sku: str
    quantity: int = Field(gt=0, le=100)


class OrderIn(BaseModel):
    customer_id: int
    currency: str = "EUR"
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)


class ReorderIn(BaseModel):
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)


class CategorySpend(BaseModel):
    category: str
    spend_cents: int


class TicketCommentOut(ORMModel):
    id: int
    author: str
    body: str
    created_at: datetime


class TicketOut(ORMModel):
    id: int
    customer_id: int
    order_id: int | None
    subject: str
    status: str
    priority: int
    assignee: str | None
    created_at: datetime


class TicketDetail(TicketOut):
    body: str
    comments: list[TicketCommentOut]


class EventOut(ORMModel):
    id: int
    kind: str
    order_id: int | None
    created_at: datetime


class EventDetail(EventOut):
    payload: dict[str, Any]


class TrackingStatus(BaseModel):
    tracking_number: str
    status: str
    eta: date | None = None


class QuoteIn(BaseModel):
    weight_grams: int = Field(gt=0)
    country: str = Field(min_length=2, max_length=2)


class QuoteOut(BaseModel):
    service: str
    price_cents: int
    days: int


class LabelIn(BaseModel):
    order_id: int
    service: str


class CarrierEvent(BaseModel):
    type: str
    tracking_number: str
    occurred_at: datetime
    data: dict[str, Any] = {}


class ExportJobOut(BaseModel):
    id: str
    done: bool
    error: str | None = None
    download_url: str | None = None


class RevenuePoint(BaseModel):
    day: date
    orders: int
    revenue_cents: int
