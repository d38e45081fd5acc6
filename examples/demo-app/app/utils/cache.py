"""Small in-process caches for hot, rarely changing rows."""

import time
from collections import OrderedDict
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from app.models import Product
from app.schemas import ProductOut

K = TypeVar("K")
V = TypeVar("V")

_product_cache: dict[int, ProductOut] = {}


def cached_product(db: Session, product_id: int) -> ProductOut | None:
    hit = _product_cache.get(product_id)
    if hit is not None:
        return hit
    product = db.get(Product, product_id)
    if product is None:
        return None
    out = ProductOut.model_validate(product)
    _product_cache[product_id] = out
    return out


class TTLCache(Generic[K, V]):
    """LRU with a time-to-live; evicts the oldest entry once `maxsize` is reached."""

    def __init__(self, maxsize: int = 1024, ttl: float = 300.0) -> None:
        self._maxsize = maxsize
        self._ttl = ttl
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at < time.monotonic():
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    def set(self, key: K, value: V) -> None:
        self._data[key] = (time.monotonic() + self._ttl, value)
        self._data.move_to_end(key)
        while len(self._data) > self._maxsize:
            self._data.popitem(last=False)
