"""The Slack Web API client Terreau uses: rate limits on the injected clock, port errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import Clock, Forbidden, NotFound, PlatformError, RateLimited, Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

RATE_LIMIT_RETRIES = 2
"""How many 429s one call waits out before the port's `RateLimited` is raised."""

_NOT_FOUND = frozenset(
    {
        "channel_not_found",
        "message_not_found",
        "thread_not_found",
        "user_not_found",
        "users_not_found",
        "no_such_subteam",
        "subteam_not_found",
    }
)
_FORBIDDEN = frozenset(
    {
        "not_in_channel",
        "is_archived",
        "restricted_action",
        "missing_scope",
        "not_authed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "cant_update_message",
        "edit_window_closed",
        "cannot_dm_bot",
        "user_disabled",
        "user_not_in_channel",
        "channel_is_archived",
        "ekm_access_denied",
    }
)
_UNAVAILABLE = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


class ClockRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's 429 handler, waiting `Retry-After` on the injected clock instead of real time."""

    def __init__(self, clock: Clock, *, max_retry_count: int = RATE_LIMIT_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._clock = clock

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("rate-limit retry without a response")
        state.next_attempt_requested = True
        wait = retry_after(response.headers)
        log.info("Slack rate limit on %s; waiting %.0fs", request.url, wait)
        await self._clock.sleep_until(self._clock.now() + timedelta(seconds=wait))
        state.increment_current_attempt()


def retry_after(headers: Any) -> float:
    """Return the `Retry-After` seconds of a response's headers (1 when absent or odd)."""
    for name, value in dict(headers or {}).items():
        if str(name).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                break
    return 1.0


def web_client(
    *, token: str | None, base_url: str, clock: Clock, rate_limit_retries: int = RATE_LIMIT_RETRIES
) -> AsyncWebClient:
    """Return a Web API client on `base_url` that waits out rate limits on `clock`."""
    # No blind retry of a failed connection: a post may have gone through, and the
    # outbox's retry (same nonce) checks for it first. Rate limits are safe to retry.
    handlers: list[AsyncRetryHandler] = []
    if rate_limit_retries:
        handlers.append(ClockRateLimitRetryHandler(clock, max_retry_count=rate_limit_retries))
    return AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers, timeout=30)


async def call(what: str, request: Callable[[], Awaitable[T]]) -> T:
    """Run one Web API request, turning Slack's errors into the port's errors."""
    try:
        return await request()
    except SlackApiError as error:
        raise port_error(what, error) from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise Unavailable(f"{what}: {type(error).__name__}: {error}") from error


def port_error(what: str, error: SlackApiError) -> PlatformError:
    """Return the port error for a Slack API error response."""
    response = error.response
    code = str(response.get("error") or "") if response is not None else ""
    status = response.status_code if response is not None else 0
    message = f"{what}: {code or f'HTTP {status}'}"
    if status == 429 or code == "ratelimited":
        return RateLimited(retry_after(response.headers if response is not None else None))
    if code in _NOT_FOUND:
        return NotFound(message)
    if code in _FORBIDDEN:
        return Forbidden(message)
    if status >= 500 or code in _UNAVAILABLE:
        return Unavailable(message)
    return PlatformError(message)
