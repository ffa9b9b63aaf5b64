"""Gateway shards that resume their session until Discord says no.

discord.py's `AutoShardedClient` gives a session up too early. When a shard's connection
closes (code 4000, a network blip) it tries RESUME once; if that attempt cannot even
connect (the gateway refuses the upgrade with a 503 during an outage),
`Shard._handle_disconnect` waits and queues a *reconnect*, and `Shard.reconnect` opens a
new session with IDENTIFY. Discord would have replayed every event of the outage to a
RESUME; a new session never sees them, and spends one of the day's session starts.
(discord.py's single-shard `Client.connect` does retry RESUME; only the sharded path
loses the session.)

`ResumingShard` keeps the session. Every retry after a failed connection is a RESUME
while the shard holds a session id; it IDENTIFYs only once the gateway has invalidated
the session (op 9 with `d = false`, on which discord.py drops the id) or closed with a
code that forbids resuming (4007 invalid sequence, 4009 session timed out). Retries wait
on Terreau's clock with capped exponential backoff and jitter, in the shard's own task
so other shards' reconnects are not held up, and a connection that closes again before
RESUMED or READY counts as a failure, so a gateway that accepts and drops at once is
not hammered. A shard closes with 4000, not 1000, which would end its session: a
process that stops and starts again within Discord's resume window can still RESUME.

It subclasses discord.py's `Shard` rather than running a `Client` per shard, so every
shard of a process shares one state, one HTTP session and one command tree. It relies
on `Shard`'s `ws`, `_task`, `_queue_put`, `_client` and `_handled_exceptions`, and on
`EventItem`/`EventType` of `discord.shard`; it replaces `Shard.worker`, the reading loop,
to stop reading while too many event handlers run (`adapters._backpressure`). The
discord.py version range in pyproject.toml pins them, and the gateway tests against the
fake server exercise them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.errors import ConnectionClosed
from discord.gateway import DiscordWebSocket, ReconnectWebSocket
from discord.shard import EventItem, EventType, Shard

from adapters._backpressure import InFlight
from adapters.discord._parsers import HotFrames
from bot.ports import Clock, GatewaySession

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

log = logging.getLogger(__name__)

KEEP_SESSION = 4000
"""The close code a shard closes with: any code but 1000 and 1001 keeps the session."""
NEW_SESSION_CODES = frozenset({4007, 4009})
"""Close codes after which Discord asks for a new session (invalid sequence, timed out)."""
IDENTIFY_SPACING = timedelta(seconds=5)
"""The wait before an IDENTIFY that is not the process's first (discord.py's default)."""
CONNECT_TIMEOUT = 60.0
"""Seconds one connection attempt may take (HELLO, then RESUME or IDENTIFY sent)."""


class Backoff:
    """Waits between connection attempts: 1 s, 2 s, 4 s ... up to 30 s, each with jitter.

    `failures` counts the attempts since the last confirmed connection (RESUMED or
    READY). The jitter spreads the reconnects of many bots after a shared outage.
    """

    def __init__(self, clock: Clock, *, base: float = 1.0, cap: float = 30.0) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"backoff needs 0 < base <= cap, got base={base}, cap={cap}")
        self._clock = clock
        self._base = base
        self._cap = cap
        self._rng = random.Random()  # noqa: S311 (jitter, not a secret)
        self.failures = 0

    def delay(self) -> float:
        """Return the wait before the next attempt, from the failures so far."""
        exponent = max(self.failures - 1, 0)
        ceiling = min(self._cap, self._base * 2.0 ** min(exponent, 16))
        return ceiling * self._rng.uniform(0.5, 1.0)

    async def wait(self) -> None:
        """Wait the next delay on the clock."""
        await self._clock.sleep_until(self._clock.now() + timedelta(seconds=self.delay()))

    def reset(self) -> None:
        """Start over: the connection was confirmed."""
        self.failures = 0


class _Retry(ReconnectWebSocket):
    """A reconnect queued after its backoff wait: connect at once."""


def close_code(ws: DiscordWebSocket) -> int | None:
    """Return the code the connection closed with (ours, or the gateway's)."""
    socket: Any = ws.socket
    code: int | None = ws._close_code or socket.close_code
    return code


async def connect(
    client: discord.Client,
    shard_id: int,
    *,
    session: str | None,
    sequence: int | None,
    gateway: yarl.URL | None,
    initial: bool = False,
) -> DiscordWebSocket:
    """Open a shard's connection: RESUME `session` when given, else IDENTIFY."""
    resume = session is not None
    opening = HotFrames.from_client(
        client,
        initial=initial,
        gateway=gateway,
        shard_id=shard_id,
        session=session,
        sequence=sequence,
        resume=resume,
    )
    return await asyncio.wait_for(opening, timeout=CONNECT_TIMEOUT)


class ResumingShard(Shard):
    """A discord.py shard that retries RESUME with backoff until the session is refused."""

    def __init__(
        self,
        ws: DiscordWebSocket,
        client: discord.AutoShardedClient,
        queue_put: Callable[[EventItem], None],
        backoff: Backoff,
    ) -> None:
        super().__init__(ws, client, queue_put)
        self.backoff = backoff

    def confirmed(self) -> None:
        """Note that the gateway answered RESUMED or READY: the next drop retries at once."""
        self.backoff.reset()

    def resumable(self) -> bool:
        """Return whether the shard holds a session Discord has not refused."""
        if self.ws.session_id is None:
            return False
        if close_code(self.ws) in NEW_SESSION_CODES:
            log.info("shard %s: the gateway ended the session; starting a new one", self.id)
            self.forget_session()
            return False
        return True

    def forget_session(self) -> None:
        """Drop the session, so the next connection IDENTIFYs on the default gateway."""
        self.ws.session_id = None
        self.ws.sequence = None
        self.ws.gateway = DiscordWebSocket.DEFAULT_GATEWAY

    async def close(self) -> None:
        """Close the connection but keep the session, for a RESUME after a restart."""
        self._cancel_task()
        await self.ws.close(code=KEEP_SESSION)

    async def reidentify(self, exc: ReconnectWebSocket) -> None:
        """Reconnect as discord.py asks (a drop, op 7, op 9), resuming whenever possible."""
        self._cancel_task()
        if not isinstance(exc, _Retry):
            self._dispatch("disconnect")
            self._dispatch("shard_disconnect", self.id)
        resume = exc.resume and self.resumable()
        if not exc.resume:
            self.forget_session()
        if self.backoff.failures and not isinstance(exc, _Retry):
            # The previous attempt never reached RESUMED or READY: wait before the next.
            self._retry_later(resume=resume)
            return
        await self._connect(resume=resume)

    async def worker(self) -> None:
        """Read the gateway as discord.py does, but only while the handlers keep up.

        While too many event handlers run, the shard stops reading (see
        `adapters._backpressure`); the gateway's frames wait in the socket.
        """
        client = self._client
        while not client.is_closed():
            try:
                if isinstance(client, ResumingClient):
                    await client.in_flight.room()
                await self.ws.poll_event()
            except ReconnectWebSocket as e:
                kind = EventType.resume if e.resume else EventType.identify
                self._queue_put(EventItem(kind, self, e))
                break
            except self._handled_exceptions as e:
                await self._handle_disconnect(e)
                break
            except asyncio.CancelledError:
                break
            except Exception as e:
                self._queue_put(EventItem(EventType.terminate, self, e))
                break

    async def reconnect(self) -> None:
        """Connect again (`ShardInfo.reconnect`), resuming the session when it holds one."""
        self._cancel_task()
        await self._connect(resume=self.resumable())

    async def _handle_disconnect(self, e: Exception) -> None:
        if isinstance(e, ConnectionClosed) or self._client.is_closed():
            # Refusals (4004, 4010-4014) and our own closes: discord.py's handling.
            await super()._handle_disconnect(e)
            return
        self._dispatch("disconnect")
        self._dispatch("shard_disconnect", self.id)
        log.warning("shard %s lost its gateway connection: %s: %s", self.id, type(e).__name__, e)
        self._retry_later(resume=self.resumable())

    async def _connect(self, *, resume: bool) -> None:
        self.backoff.failures += 1
        old = self.ws
        try:
            self.ws = await connect(
                self._client,
                self.id,
                session=old.session_id if resume else None,
                sequence=old.sequence if resume else None,
                gateway=old.gateway if resume else None,
            )
        except asyncio.CancelledError:
            return
        except ReconnectWebSocket as closed:
            # Closed during the handshake: retry, as a RESUME unless the gateway refused it.
            self._retry_later(resume=resume and closed.resume)
        except ConnectionClosed as refused:
            await super()._handle_disconnect(refused)
        except self._handled_exceptions as error:
            action = "RESUME" if resume else "IDENTIFY"
            log.warning(
                "shard %s could not %s: %s: %s", self.id, action, type(error).__name__, error
            )
            self._retry_later(resume=resume)
        except Exception as error:
            self._queue_put(EventItem(EventType.terminate, self, error))
        else:
            self.launch()

    def _retry_later(self, *, resume: bool) -> None:
        if not resume:
            self.forget_session()
        self._task = asyncio.create_task(self._retry(resume=resume))

    async def _retry(self, *, resume: bool) -> None:
        await self.backoff.wait()
        kind = EventType.resume if resume else EventType.identify
        self._queue_put(EventItem(kind, self, _Retry(self.id, resume=resume)))


class ResumingClient(discord.AutoShardedClient):
    """An `AutoShardedClient` whose shards resume their sessions, after a restart too.

    `resume_at_start` holds a saved session per shard, RESUMEd instead of IDENTIFYing
    when the shard first connects (whoever fills it caches the shard's guilds first).
    `serving` is set once every shard is READY or has RESUMEd so. `handling` holds the
    event handlers still running, for a checkpoint to wait for the events it covers;
    `in_flight` counts them too, and holds the shards' reading while too many run.
    """

    def __init__(self, *, clock: Clock, intents: discord.Intents, **options: Any) -> None:
        super().__init__(intents=intents, **options)
        self.clock = clock
        self.gateway_shards: dict[int, ResumingShard] = {}
        self.resume_at_start: dict[int, GatewaySession] = {}
        self.handling: set[asyncio.Task[Any]] = set()
        self.in_flight = InFlight()
        self.serving = asyncio.Event()
        self._resuming_at_start: set[int] = set()
        self._served: set[int] = set()

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        """Connect a shard, RESUMEing its saved session if any; retry with backoff."""
        saved = self.resume_at_start.pop(shard_id, None)
        if saved is not None:
            self._resuming_at_start.add(shard_id)
            log.info(
                "shard %s resumes session %s at %s", shard_id, saved.session_id, saved.sequence
            )
        backoff = Backoff(self.clock)
        while True:
            backoff.failures += 1
            try:
                ws = await connect(
                    self,
                    shard_id,
                    session=saved.session_id if saved is not None else None,
                    sequence=saved.sequence if saved is not None else None,
                    gateway=yarl.URL(saved.resume_url) if saved is not None else gateway,
                    initial=initial,
                )
            except Exception as error:  # as discord.py: a shard that cannot connect retries
                log.warning(
                    "shard %s could not connect: %s: %s", shard_id, type(error).__name__, error
                )
                await backoff.wait()
                continue
            break
        shards: dict[int, Shard] = vars(self)["_AutoShardedClient__shards"]
        queue: asyncio.PriorityQueue[EventItem] = vars(self)["_AutoShardedClient__queue"]
        shard = ResumingShard(ws, self, queue.put_nowait, backoff)
        shards[shard_id] = self.gateway_shards[shard_id] = shard
        shard.launch()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Space IDENTIFYs 5 s apart as discord.py does, on the clock (one per 5 s is allowed)."""
        if not initial:
            await self.clock.sleep_until(self.clock.now() + IDENTIFY_SPACING)

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        """Note confirmed and serving shards, then dispatch as discord.py does."""
        if event in ("shard_connect", "shard_resumed"):
            shard = self.gateway_shards.get(args[0])
            if shard is not None:
                shard.confirmed()
        if event == "shard_ready" or (
            event == "shard_resumed" and args[0] in self._resuming_at_start
        ):
            self._resuming_at_start.discard(args[0])
            self._serve(args[0])
        super().dispatch(event, *args, **kwargs)

    def _serve(self, shard_id: int) -> None:
        self._served.add(shard_id)
        expected = self.shard_ids if self.shard_ids is not None else range(self.shard_count or 1)
        if self._served.issuperset(expected):
            self.serving.set()

    async def wait_until_serving(self) -> None:
        """Return once every shard is READY, or RESUMEd its saved session."""
        await self.serving.wait()

    def _schedule_event(
        self,
        coro: Callable[..., Coroutine[Any, Any, Any]],
        event_name: str,
        *args: Any,
        **kwargs: Any,
    ) -> asyncio.Task[Any]:
        task = super()._schedule_event(coro, event_name, *args, **kwargs)
        self.track(task)
        return task

    def track(self, task: asyncio.Task[Any]) -> None:
        """Count `task` as an event handler running, until it is done (see `handling`)."""
        self.handling.add(task)
        task.add_done_callback(self.handling.discard)
        self.in_flight.track(task)

    def sessions(self) -> list[GatewaySession]:
        """Return each shard's session as it stands now (sequence: the last event received)."""
        now = self.clock.now()
        return [
            GatewaySession(
                shard_id=shard_id,
                shard_count=self.shard_count or 1,
                session_id=shard.ws.session_id,
                sequence=shard.ws.sequence or 0,
                resume_url=str(shard.ws.gateway),
                saved_at=now,
            )
            for shard_id, shard in sorted(self.gateway_shards.items())
            if shard.ws.session_id is not None
        ]

    async def close_gateway(self) -> None:
        """Close every shard's connection, keeping the sessions (the HTTP session stays open)."""
        for shard in self.gateway_shards.values():
            await shard.close()
