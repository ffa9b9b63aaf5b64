"""discord.py failures as the port's errors, so the core's retry policy applies."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import aiohttp
import discord

from bot.ports import Forbidden, NotFound, PlatformError, RateLimited, Unavailable

log = logging.getLogger(__name__)

DMS_CLOSED = 50007
MISSING_PERMISSIONS = 50013
UNKNOWN_CHANNEL = 10003


def platform_error(error: discord.DiscordException) -> PlatformError:
    """Return the port error standing for a discord.py exception."""
    if isinstance(error, discord.RateLimited):
        return RateLimited(error.retry_after)
    if not isinstance(error, discord.HTTPException):
        return Unavailable(str(error))
    detail = f"Discord {error.status} (code {error.code}): {error.text or error}"
    if isinstance(error, discord.Forbidden):
        return Forbidden(detail)
    if isinstance(error, discord.NotFound):
        return NotFound(detail)
    if isinstance(error, discord.DiscordServerError) or error.status >= 500:
        return Unavailable(detail)
    if error.status == 429:
        retry = error.response.headers.get("Retry-After", "1") if error.response else "1"
        return RateLimited(float(retry))
    return PlatformError(detail)


@contextlib.contextmanager
def port_errors(action: str) -> Iterator[None]:
    """Re-raise discord.py and connection failures during `action` as port errors."""
    try:
        yield
    except (discord.DiscordException, aiohttp.ClientError, TimeoutError) as error:
        mapped = (
            platform_error(error)
            if isinstance(error, discord.DiscordException)
            else Unavailable(f"{type(error).__name__}: {error}")
        )
        log.debug("%s failed: %s", action, mapped)
        raise mapped from error
