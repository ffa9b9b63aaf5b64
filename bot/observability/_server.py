"""The operator's HTTP endpoint: `/healthz`, `/readyz` and `/metrics`, off by default.

It listens where `[observability] listen` says (loopback unless told otherwise) and
answers probes and scrapes only: no page reveals a member or a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.observability._metrics import CONTENT_TYPE, Metrics
from bot.ports import StartupFailed

log = logging.getLogger(__name__)

Readiness = Callable[[], Awaitable[dict[str, bool]]]


class HealthServer:
    """Serves liveness, readiness and the Prometheus metrics of one app."""

    def __init__(self, *, host: str, port: int, metrics: Metrics, readiness: Readiness) -> None:
        self._host = host
        self._port = port
        self._metrics = metrics
        self._readiness = readiness
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one, then `port` tells which)."""
        application = web.Application()
        application.router.add_get("/healthz", self._healthz)
        application.router.add_get("/readyz", self._readyz)
        application.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(application, access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except OSError as error:
            await runner.cleanup()
            raise StartupFailed(
                f"cannot serve health and metrics on {self._host}:{self._port} "
                f"([observability] listen): {error.strerror or error}"
            ) from error
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("health and metrics on http://%s:%d (/healthz /readyz /metrics)",
                 self._host, self.port)  # fmt: skip

    async def stop(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = await self._readiness()
        not_ready = [name for name, ok in checks.items() if not ok]
        body = {"ready": not not_ready, "not_ready": not_ready, "checks": checks}
        return web.json_response(body, status=503 if not_ready else 200)

    async def _metrics_page(self, _request: web.Request) -> web.Response:
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})
