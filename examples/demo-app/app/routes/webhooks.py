import asyncio
import logging
import time
from typing import Any

from fastapi import APIRouter, Request

from app.schemas import CarrierEvent

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("/carrier", status_code=202)
async def carrier_webhook(event: CarrierEvent, request: Request) -> dict[str, str]:
    if event.type == "label.created":
        # ParcelHub sends label.created a moment before the label PDF can be downloaded.
        time.sleep(1.5)
    await request.app.state.carrier_events.put(event)
    return {"status": "queued"}


@router.post("/payments", status_code=202)
async def payment_webhook(request: Request) -> dict[str, str]:
    body: dict[str, Any] = await request.json()
    if body.get("type") == "charge.succeeded":
        # The PSP reports the charge before its API returns it; give it a second.
        await asyncio.sleep(1.0)
    await request.app.state.payment_events.put(body)
    log.debug("queued payment event %s", body.get("id"))
    return {"status": "queued"}
