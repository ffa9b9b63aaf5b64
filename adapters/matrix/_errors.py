"""matrix-nio's error responses as the port's errors, so the core's retry policy applies.

nio is configured never to retry by itself (`max_limit_exceeded=0`, `max_timeouts=0`):
its retries sleep on the event loop's real time, and Terreau waits on its injected
clock. A rate limit (`M_LIMIT_EXCEEDED`) becomes `RateLimited` with the server's
`retry_after_ms`, and the caller waits that long on the clock.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import aiohttp
from nio import ErrorResponse

from bot.ports import Clock, Forbidden, NotFound, PlatformError, RateLimited, Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a rate limit that names no delay."""


def platform_error(action: str, response: ErrorResponse) -> PlatformError:
    """Return the port error standing for an error response to `action`."""
    code = response.status_code or ""
    detail = f"Matrix {action}: {response}"
    status = getattr(getattr(response, "transport_response", None), "status", None)
    if code == "M_LIMIT_EXCEEDED" or status == 429:
        retry = response.retry_after_ms
        return RateLimited(retry / 1000 if retry is not None else DEFAULT_RETRY_AFTER)
    if code in ("M_FORBIDDEN", "M_UNKNOWN_TOKEN", "M_MISSING_TOKEN") or status in (401, 403):
        return Forbidden(detail)
    if code == "M_NOT_FOUND" or status == 404:
        return NotFound(detail)
    if (isinstance(status, int) and status >= 500) or not code:
        return Unavailable(detail)
    return PlatformError(detail)


async def call(action: str, request: Callable[[], Awaitable[T]]) -> T:
    """Run one nio request and return its response, raising a port error for an error."""
    try:
        response = await request()
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise Unavailable(f"Matrix {action}: {type(error).__name__}: {error}") from error
    if isinstance(response, ErrorResponse):
        raise platform_error(action, response)
    return response


async def patiently(
    action: str, request: Callable[[], Awaitable[T]], clock: Clock, *, attempts: int = 5
) -> T:
    """Like `call`, but wait out rate limits on `clock` (for requests outside the outbox)."""
    for attempt in range(1, attempts + 1):
        try:
            return await call(action, request)
        except RateLimited as error:
            if attempt == attempts:
                raise
            log.info("Matrix rate limit on %s; retrying in %.1fs", action, error.retry_after)
            await clock.sleep_until(clock.now() + timedelta(seconds=error.retry_after))
    raise Unavailable(f"Matrix {action}: no attempt left")
