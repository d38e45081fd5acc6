"""Currency conversion against the FX provider."""

from decimal import Decimal
from functools import lru_cache

import requests

from app.config import get_settings

_session = requests.Session()
_session.headers["User-Agent"] = "shoplens/1.4"


@lru_cache(maxsize=64)
def currency_exponent(code: str) -> int:
    """Minor-unit digits (ISO 4217); the set of currencies is small and fixed."""
    return {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}.get(code.upper(), 2)


class FxClient:
    def __init__(self, base_url: str, session: requests.Session) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = session

    @lru_cache(maxsize=256)
    def rate(self, currency: str) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        resp = self._session.get(
            f"{self._base_url}/rates", params={"base": "EUR", "symbols": currency}, timeout=5
        )
        resp.raise_for_status()
        return Decimal(str(resp.json()["rates"][currency]))

    def to_eur_cents(self, amount_minor: int, currency: str) -> int:
        exponent = currency_exponent(currency)
        amount = Decimal(amount_minor) / (10**exponent)
        return int((amount / self.rate(currency) * 100).quantize(Decimal(1)))


fx = FxClient(get_settings().fx_api, _session)


@lru_cache(maxsize=None)
def historical_rate(currency: str, day: str) -> Decimal:
    """The EUR rate of `currency` on `day` (an ISO date); past rates never change."""
    resp = _session.get(
        f"{get_settings().fx_api}/{day}", params={"base": "EUR", "symbols": currency}, timeout=5
    )
    resp.raise_for_status()
    return Decimal(str(resp.json()["rates"][currency]))
