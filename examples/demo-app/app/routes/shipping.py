import httpx
import requests
from fastapi import APIRouter, HTTPException, Query, Request

from app.config import get_settings
from app.schemas import LabelIn, QuoteIn, QuoteOut, TrackingStatus
from app.services import shipping
from app.utils.cache import TTLCache
from app.utils.retry import aretry, retry

settings = get_settings()
router = APIRouter(prefix="/shipping", tags=["shipping"])

_quotes: TTLCache[tuple[int, str], list[QuoteOut]] = TTLCache(maxsize=2048, ttl=900)


@router.get("/track/{tracking_number}", response_model=TrackingStatus)
async def track(tracking_number: str) -> TrackingStatus:
    resp = requests.get(
        f"{settings.carrier_api}/shipments/{tracking_number}",
        headers={"Authorization": f"Bearer {settings.carrier_token}"},
        timeout=5,
    )
    if resp.status_code == 404:
        raise HTTPException(status_code=404, detail="unknown tracking number")
    resp.raise_for_status()
    body = resp.json()
    return TrackingStatus(
        tracking_number=tracking_number, status=body["status"], eta=body.get("eta")
    )


@router.get("/track", response_model=list[TrackingStatus])
def track_many(numbers: list[str] = Query(..., max_length=100)) -> list[TrackingStatus]:
    return shipping.tracking_statuses_batch(numbers)


@router.post("/quotes", response_model=list[QuoteOut])
async def quotes(payload: QuoteIn, request: Request) -> list[QuoteOut]:
    key = (payload.weight_grams, payload.country)
    cached = _quotes.get(key)
    if cached is not None:
        return cached
    client: httpx.AsyncClient = request.app.state.carrier
    resp = await aretry(lambda: client.post("/quotes", json=payload.model_dump()))
    resp.raise_for_status()
    result = [QuoteOut(**q) for q in resp.json()["quotes"]]
    _quotes.set(key, result)
    return result


@router.post("/labels", status_code=201)
async def create_label(payload: LabelIn) -> dict[str, str]:
    async with httpx.AsyncClient(
        base_url=settings.carrier_api,
        headers={"Authorization": f"Bearer {settings.carrier_token}"},
        timeout=10.0,
    ) as client:
        resp = await client.post("/labels", json=payload.model_dump())
    resp.raise_for_status()
    return {"label_url": resp.json()["url"]}


@router.post("/rates/refresh")
async def refresh_rates(request: Request) -> dict[str, int]:
    table = retry(shipping.fetch_rate_table, attempts=4)
    request.app.state.rate_table = table
    return {"services": len(table)}


@router.get("/carrier-status")
def carrier_status() -> dict:
    return shipping.carrier_status()
