"""ParcelHub carrier API: tracking, rates. Sync on purpose: called from plain-def routes."""

from typing import Any

import requests

from app.config import get_settings
from app.models import Order
from app.schemas import TrackingStatus

settings = get_settings()


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.carrier_token}", "Accept": "application/json"}


def carrier_status() -> dict[str, Any]:
    resp = requests.get(f"{settings.carrier_api}/status", headers=_headers())
    resp.raise_for_status()
    return resp.json()


def fetch_rate_table() -> dict[str, int]:
    resp = requests.get(f"{settings.carrier_api}/rates", headers=_headers(), timeout=10)
    resp.raise_for_status()
    return {row["service"]: row["price_cents"] for row in resp.json()["rates"]}


def _to_status(body: dict[str, Any]) -> TrackingStatus:
    return TrackingStatus(
        tracking_number=body["tracking_number"], status=body["status"], eta=body.get("eta")
    )


def tracking_statuses(orders: list[Order]) -> list[TrackingStatus]:
    statuses = []
    for order in orders:
        if not order.tracking_number:
            continue
        resp = requests.get(
            f"{settings.carrier_api}/shipments/{order.tracking_number}",
            headers=_headers(),
            timeout=5,
        )
        resp.raise_for_status()
        statuses.append(_to_status(resp.json()))
    return statuses


def tracking_statuses_batch(tracking_numbers: list[str]) -> list[TrackingStatus]:
    """One round trip for up to 100 shipments (ParcelHub's batch limit)."""
    if not tracking_numbers:
        return []
    resp = requests.post(
        f"{settings.carrier_api}/shipments:batchGet",
        json={"tracking_numbers": tracking_numbers[:100]},
        headers=_headers(),
        timeout=10,
    )
    resp.raise_for_status()
    return [_to_status(body) for body in resp.json()["shipments"]]
