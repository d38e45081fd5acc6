import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from app.config import get_settings
from app.routes import admin, customers, events, exports, orders, products, reports, shipping
from app.routes import tickets, webhooks

log = logging.getLogger("shoplens")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.carrier = httpx.AsyncClient(
        base_url=settings.carrier_api,
        headers={"Authorization": f"Bearer {settings.carrier_token}"},
        timeout=httpx.Timeout(10.0, connect=3.0),
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=10),
    )
    app.state.carrier_events = asyncio.Queue(maxsize=1000)
    app.state.payment_events = asyncio.Queue(maxsize=1000)
    app.state.rate_table = {}
    log.info("shoplens started")
    try:
        yield
    finally:
        await app.state.carrier.aclose()


app = FastAPI(title="ShopLens", version="1.4.0", lifespan=lifespan)

for module in (orders, customers, products, tickets, events, shipping, webhooks, exports):
    app.include_router(module.router)
app.include_router(reports.router)
app.include_router(admin.router)


@app.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
