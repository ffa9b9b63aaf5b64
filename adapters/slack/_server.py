"""How Slack reaches the bolt app: a Socket Mode connection or an HTTP endpoint.

Socket Mode needs no public URL: the app-level token opens a websocket whose
address comes from `apps.connections.open` on the configured API base. HTTP mode
serves the Events API, interactivity and the slash command on one path; bolt
verifies every request's signature and timestamp and answers 401 to a bad one
before any listener runs.
"""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 5.0
"""Seconds a stopping server gives requests in flight (each was acknowledged already)."""

EVENTS_PATH = "/slack/events"
"""The one path Slack posts events, interactions and slash commands to in HTTP mode."""


class SocketMode:
    """A Socket Mode connection feeding a bolt app."""

    def __init__(self, bolt: AsyncApp, *, app_token: str, client: AsyncWebClient) -> None:
        self._handler = AsyncSocketModeHandler(bolt, app_token=app_token, web_client=client)

    async def connect(self) -> None:
        """Open the websocket (the SDK reconnects on its own when Slack asks)."""
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def connected(self) -> bool:
        """Return whether the websocket is open and answering pings."""
        return bool(await self._handler.client.is_connected())

    async def close(self) -> None:
        """Close the websocket and its HTTP session."""
        await self._handler.close_async()  # type: ignore[no-untyped-call]


class HttpServer:
    """An aiohttp server handing every signed Slack request to a bolt app."""

    def __init__(self, bolt: AsyncApp, *, host: str, port: int) -> None:
        self._bolt = bolt
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one, then `port` tells which)."""
        application = web.Application()
        application.router.add_post(EVENTS_PATH, self._handle)
        runner = web.AppRunner(application, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("serving Slack requests on http://%s:%s%s", self._host, self.port, EVENTS_PATH)

    async def stop(self) -> None:
        """Stop listening and finish the requests in flight."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        response = await self._bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)
