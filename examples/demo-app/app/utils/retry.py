"""Retry helpers with exponential backoff for flaky upstreams (carrier, FX)."""

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

RETRYABLE: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


def _delay(attempt: int, base: float, cap: float) -> float:
    return min(cap, base * 2**attempt) * (0.5 + random.random() / 2)


def retry(
    fn: Callable[[], T],
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    exceptions: tuple[type[BaseException], ...] = RETRYABLE,
) -> T:
    for attempt in range(attempts):
        try:
            return fn()
        except exceptions as exc:
            if attempt == attempts - 1:
                raise
            delay = _delay(attempt, base_delay, max_delay)
            log.warning("retrying %s in %.2fs after %r", getattr(fn, "__name__", fn), delay, exc)
            time.sleep(delay)
    raise AssertionError("unreachable")


async def aretry(
    fn: Callable[[], Awaitable[T]],
    attempts: int = 3,
    base_delay: float = 0.5,
    max_delay: float = 8.0,
    exceptions: tuple[type[BaseException], ...] = RETRYABLE,
) -> T:
    for attempt in range(attempts):
        try:
            return await fn()
        except exceptions as exc:
            if attempt == attempts - 1:
                raise
            delay = _delay(attempt, base_delay, max_delay)
            log.warning("retrying %s in %.2fs after %r", getattr(fn, "__name__", fn), delay, exc)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
