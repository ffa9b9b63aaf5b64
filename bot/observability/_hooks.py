"""What adapters may report about their connections, without knowing about Prometheus."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


class GatewayObserver(Protocol):
    """Told about each gateway connection an adapter makes."""

    def session(self, platform: str, kind: str) -> None:
        """Record a connection: `connect` (the first), `reconnect` (a new session) or `resume`."""


@runtime_checkable
class ReportsConnection(Protocol):
    """An adapter that can say whether it is connected to its platform right now."""

    async def connected(self) -> bool:
        """Return whether events can arrive and posts can leave at this moment."""
