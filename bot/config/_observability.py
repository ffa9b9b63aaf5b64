"""`[observability]`: the optional HTTP endpoint for health checks and Prometheus metrics."""

from __future__ import annotations

import ipaddress

from pydantic import StrictStr, field_validator

from bot.config._base import _Model

LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 9464
"""The port Prometheus exporters conventionally use for application metrics."""


def parse_listen(value: str) -> tuple[str, int]:
    """Return (host, port) of `host:port`, `[v6]:port`, `:port` or `port` (loopback host)."""
    text = value.strip()
    host, port_text = LOOPBACK, text
    if text.startswith("["):
        bracket = text.find("]")
        if bracket < 0 or not text[bracket + 1 :].startswith(":"):
            raise ValueError(f'expected "[address]:port", got "{value}"')
        host, port_text = text[1:bracket], text[bracket + 2 :]
        ipaddress.IPv6Address(host)
    elif ":" in text:
        host, port_text = text.rsplit(":", 1)
        host = host or LOOPBACK
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f'expected a port from 0 to 65535 after the host, got "{value}"')
    return host, int(port_text)


class ObservabilityConfig(_Model):
    """Where `/healthz`, `/readyz` and `/metrics` are served; nowhere by default."""

    listen: StrictStr | None = None
    """`host:port`; the host defaults to loopback, so metrics stay local unless asked."""

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_listen(value)
            except ValueError as error:
                raise ValueError(
                    f'expected "host:port" such as "127.0.0.1:{DEFAULT_PORT}": {error}'
                ) from None
        return value

    def address(self) -> tuple[str, int] | None:
        """Return (host, port) to listen on, or None when the endpoint is off."""
        return None if self.listen is None else parse_listen(self.listen)
