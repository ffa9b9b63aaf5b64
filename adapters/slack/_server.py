"""How Slack reaches the bolt app: a Socket Mode connection or an HTTP endpoint.

Socket Mode needs no public URL: the app-level token opens a websocket whose
address comes from `apps.connections.open` on the configured API base. HTTP mode
serves the Events API, interactivity and the slash command on one path; bolt
verifies every request's signature and timestamp and answers 401 to a bad one
before any listener runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from adapters._backpressure import InFlight

log = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT = 5.0
"""Seconds a stopping server gives requests in flight (each was acknowledged already)."""

EVENTS_PATH = "/slack/events"
"""The one path Slack posts events, interactions and slash commands to in HTTP mode."""


PING_INTERVAL = 10.0
"""Seconds between the client's pings (bolt's default)."""

QUEUED_ENVELOPES = 100
"""Envelopes read from the socket and waiting for a handler before reading stops."""

EventHandler = Callable[[dict[str, Any]], Awaitable[None]]
"""What an Events API envelope's payload goes to once acknowledged."""


class BoundedSocketModeClient(SocketModeClient):
    """The SDK's Socket Mode client, reading the socket only while its handlers keep up.

    The SDK queues every envelope it reads (without bound) and starts a task for
    each; here the queue holds `QUEUED_ENVELOPES` and an envelope is handed to bolt
    only when `in_flight` has room, so a full queue stops the reading loop and Slack
    keeps the envelopes (redelivering those left unacknowledged). `in_flight` counts
    each envelope from the moment it is handed over until bolt has acknowledged it,
    and the adapter's listeners, which bolt runs in tasks of their own after the ack,
    until they return.

    With `events` given, an Events API envelope (`events_api`, the bulk of what a
    workspace sends) does not go through bolt: it is acknowledged, then its payload
    is handed to `events` in the same task. Bolt's request, context, middleware chain
    and listener task cost more than Terreau's whole handling of an event, and for
    an event in Socket Mode they decide only what `events` decides itself (which
    workspace, whether it is the bot's own). Every other envelope (slash commands,
    interactions, `disconnect`) goes to the SDK's listeners and bolt as before.
    """

    def __init__(
        self, *, in_flight: InFlight, events: EventHandler | None = None, **options: Any
    ) -> None:
        super().__init__(**options)
        self.in_flight = in_flight
        self.events = events
        self.message_queue = asyncio.Queue(maxsize=QUEUED_ENVELOPES)
        self._listening: set[asyncio.Future[None]] = set()

    async def process_message(self) -> None:
        """Start the handling of the next envelope once there is room for it."""
        raw_message = await self.message_queue.get()
        if raw_message is None:
            return
        await self.in_flight.room()
        message: dict[str, Any] = json.loads(raw_message) if raw_message.startswith("{") else {}
        envelope_id, payload = message.get("envelope_id"), message.get("payload")
        listening = asyncio.ensure_future(
            self._event(envelope_id, payload)
            if (
                message.get("type") == "events_api"
                and self.events is not None
                and type(envelope_id) is str
                and type(payload) is dict
                and not self.message_listeners
            )
            else self.run_message_listeners(message, raw_message)
        )
        self._listening.add(listening)
        listening.add_done_callback(self._listening.discard)
        self.in_flight.track(listening)

    async def _event(self, envelope_id: str, payload: dict[str, Any]) -> None:
        """Acknowledge an Events API envelope, then hand its payload to `events`."""
        try:
            await self.send_message(json.dumps({"envelope_id": envelope_id}))
        except Exception:
            # As with bolt: the event is still handled; Slack redelivers it unacknowledged,
            # and the log keeps one row per event id.
            log.warning("acknowledging Slack envelope %s failed", envelope_id, exc_info=True)
        assert self.events is not None
        try:
            await self.events(payload)
        except Exception:
            event = payload.get("event")
            log.exception(
                "handling Slack event %s (%s) failed",
                payload.get("event_id"),
                event.get("type") if isinstance(event, dict) else None,
            )


class _BoundedHandler(AsyncSocketModeHandler):
    """bolt's Socket Mode handler on a `BoundedSocketModeClient` (bolt builds its own)."""

    def __init__(
        self,
        bolt: AsyncApp,
        *,
        app_token: str,
        client: AsyncWebClient,
        in_flight: InFlight,
        events: EventHandler | None,
    ) -> None:
        self.app = bolt
        self.app_token = app_token
        self.client = BoundedSocketModeClient(
            in_flight=in_flight,
            events=events,
            app_token=app_token,
            logger=bolt.logger,
            web_client=client,
            ping_interval=PING_INTERVAL,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


class SocketMode:
    """A Socket Mode connection feeding a bolt app, read only while its handlers keep up.

    `events`, when given, takes the Events API envelopes' payloads past bolt (see
    `BoundedSocketModeClient`).
    """

    def __init__(
        self,
        bolt: AsyncApp,
        *,
        app_token: str,
        client: AsyncWebClient,
        in_flight: InFlight | None = None,
        events: EventHandler | None = None,
    ) -> None:
        self.in_flight = in_flight or InFlight()
        self._handler = _BoundedHandler(
            bolt, app_token=app_token, client=client, in_flight=self.in_flight, events=events
        )

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
