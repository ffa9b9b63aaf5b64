"""Routes domain events to the handlers subscribed to their type."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from bot.domain import Event

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], Awaitable[None]]
Serves = Callable[[str], bool]
"""Whether a handler has anything to do in a community (by its key): its feature is on there."""


class Claims(Protocol):
    """Where deliveries are claimed before their handlers run (the database)."""

    async def claim(self, event: Event) -> bool:
        """Claim `event`'s delivery; False when it was (or is being) handled already."""
        ...

    async def finish(self, event: Event) -> None:
        """Record that every handler of a claimed delivery returned."""
        ...


class Dispatcher:
    """Delivers each event once to every handler of its type (and of its base types).

    Platforms redeliver events (gateway resumes, Slack retries); the dispatcher
    remembers the most recent event ids and drops repeats before any handler runs.
    That memory dies with the process, so deliveries of the `claimed` types (the
    commands and clicks members expect an answer to) are also claimed in `claims`
    before their handlers run: a redelivery after a restart, or to another process,
    finds the claim and is dropped. Other events need no claim: the interaction
    log's unique row per event id keeps them counted once.

    A redelivery is answered not at all rather than as the first delivery was: the
    first delivery was answered (platforms redeliver when an acknowledgement was
    late, not lost with the answer), and running it again answers a nomination with
    "already nominated" to a member who sent it once. A process that died mid-way
    never finishes its claim; a redelivery after the claim's lease runs the handlers
    again, and a member who sends the command again sends a new delivery, so nobody
    is locked out. When the claim cannot be stored (the database is down) the
    handlers run anyway: they answer, if only to say they failed.
    """

    def __init__(
        self,
        *,
        remember: int = 100_000,
        claims: Claims | None = None,
        claimed: tuple[type[Event], ...] = (),
    ) -> None:
        self._handlers: dict[type[Event], list[tuple[Handler, Serves | None]]] = {}
        self._routes: dict[tuple[type[Event], str], tuple[Handler, ...]] = {}
        self._seen: set[int] = set()
        self._order: deque[int] = deque()
        """The remembered deliveries (see `_delivery`), oldest first."""
        self._remember = remember
        self._claims = claims
        self._claimed = claimed if claims is not None else ()
        self.duplicates = 0

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        serves: Serves | None = None,
    ) -> None:
        """Call `handler` for every event of `event_type`, subclasses included.

        With `serves`, only for the events of communities it says yes to (those
        where the handler's feature is on): a handler off in a community costs its
        events nothing. It is asked once per community and event type, as a
        community's configuration does not change while Terreau runs.
        """
        self._handlers.setdefault(event_type, []).append((handler, serves))
        self._routes.clear()

    def _route(self, event_type: type[Event], community: str) -> tuple[Handler, ...]:
        """Return the handlers of an event type in a community, worked out once and kept.

        Kept for each community and event type seen: a few entries per community.
        """
        route = self._routes.get((event_type, community))
        if route is None:
            route = tuple(
                handler
                for cls in reversed(event_type.__mro__)
                for handler, serves in self._handlers.get(cls, ())
                if serves is None or serves(community)
            )
            self._routes[event_type, community] = route
        return route

    async def dispatch(self, event: Event) -> None:
        """Run every handler for `event` unless this delivery is a repeat."""
        key = _delivery(event)
        if key in self._seen:
            self._dropped(event)
            return
        self._seen.add(key)
        self._order.append(key)
        if len(self._order) > self._remember:
            self._seen.discard(self._order.popleft())
        claimed = False
        if isinstance(event, self._claimed):
            outcome = await self._claim(event)
            if outcome is None:
                # Another process may still be handling it: a later redelivery asks again
                # (its queue entry stays, and may forget a later one early: the claim
                # in the database still stops that one).
                self._seen.discard(key)
                log.info(
                    "%s %s was delivered again; not answering twice",
                    type(event).__name__,
                    event.event_id,
                )
                self._dropped(event)
                return
            claimed = outcome
        for handler in self._route(type(event), event.community):
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "handler %s failed on %s %s",
                    getattr(handler, "__qualname__", handler),
                    type(event).__name__,
                    event.event_id,
                )
        if claimed:
            await self._finish(event)

    async def _claim(self, event: Event) -> bool | None:
        """Return True when claimed, None for a redelivery, False when no claim was stored."""
        assert self._claims is not None
        try:
            first = await self._claims.claim(event)
        except Exception:
            log.exception(
                "could not claim %s %s; handling it", type(event).__name__, event.event_id
            )
            return False
        return True if first else None

    async def _finish(self, event: Event) -> None:
        assert self._claims is not None
        try:
            await self._claims.finish(event)
        except Exception:
            log.exception(
                "could not record that %s %s was handled", type(event).__name__, event.event_id
            )

    def _dropped(self, event: Event) -> None:
        self.duplicates += 1
        log.debug("dropped repeated delivery of %s in %s", event.event_id, event.community)


def _delivery(event: Event) -> int:
    """Return the number a delivery is remembered by: the hash of its community and id.

    Remembering the last 100,000 deliveries as pairs of strings took 18 MiB; as these
    numbers, in a set and a queue of them, 7 MiB (`bench_rss.py`). Two of them share a
    number with odds of about 1 in 10**14 at that size (64-bit hashes, salted per
    process): the later one would then be taken for a repeat.
    """
    return hash((event.community, event.event_id))
