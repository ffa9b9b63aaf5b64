"""Routes domain events to the handlers subscribed to their type."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.domain import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]


class Dispatcher:
    """Delivers each event once to every handler of its type (and of its base types).

    Platforms redeliver events (gateway resumes, Slack retries); the dispatcher
    remembers the most recent event ids and drops repeats before any handler runs.
    The database's unique constraint on (community, event id) is the backstop for
    repeats older than this window or seen by another process.
    """

    def __init__(self, *, remember: int = 100_000) -> None:
        self._handlers: dict[type[Event], list[Handler]] = {}
        self._routes: dict[type[Event], tuple[Handler, ...]] = {}
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._remember = remember
        self.duplicates = 0

    def subscribe(self, event_type: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        """Call `handler` for every event of `event_type`, subclasses included."""
        self._handlers.setdefault(event_type, []).append(handler)
        self._routes.clear()

    def _route(self, event_type: type[Event]) -> tuple[Handler, ...]:
        route = self._routes.get(event_type)
        if route is None:
            route = tuple(
                handler
                for cls in reversed(event_type.__mro__)
                for handler in self._handlers.get(cls, ())
            )
            self._routes[event_type] = route
        return route

    async def dispatch(self, event: Event) -> None:
        """Run every handler for `event` unless this delivery is a repeat."""
        key = (event.community, event.event_id)
        if key in self._seen:
            self.duplicates += 1
            log.debug("dropped repeated delivery of %s in %s", event.event_id, event.community)
            return
        self._seen[key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        for handler in self._route(type(event)):
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "handler %s failed on %s %s",
                    getattr(handler, "__qualname__", handler),
                    type(event).__name__,
                    event.event_id,
                )
