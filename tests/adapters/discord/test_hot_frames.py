"""The gateway connection reads the busiest events' frames itself, and misses nothing of them.

`HotFrames` takes a hot event's frame from JSON to its parser without discord.py's
per-frame bookkeeping; what RESUME, the keep-alive, debug events and waiters need
must still happen. Through the real adapter against the fake Discord server, and
frame by frame on a connection wired as `from_client` wires it.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import pytest
from discord import utils

from adapters.discord._parsers import HOT_EVENTS, HotFrames
from bot.domain import MessagePosted, ReactionAdded
from tests.adapters.discord.conftest import Running
from tests.adapters.discord.fake_discord import FakeDiscord, payload
from tests.fakes import until

pytestmark = pytest.mark.discord


def frame(event: str, sequence: int, data: Any, op: int = 0) -> str:
    return json.dumps({"op": op, "t": event, "s": sequence, "d": data})


class Wired:
    """A connection of class `HotFrames` wired to a recording parser table."""

    def __init__(self) -> None:
        self.parsed: list[tuple[str, Any]] = []
        self.dispatched: list[tuple[str, tuple[Any, ...]]] = []
        self.ticks = 0
        ws = HotFrames(None, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
        parsers = {
            name: (lambda data, name=name: self.parsed.append((name, data)))
            for name in (*HOT_EVENTS, "GUILD_MEMBER_ADD")
        }
        ws._discord_parsers = parsers
        ws._dispatch = lambda event, *args: self.dispatched.append((event, args))
        ws.shard_id = 0
        ws.sequence = 1
        self.ws = ws

    def tick(self) -> None:
        self.ticks += 1


async def test_hot_frames_reach_their_parser_with_sequence_and_keep_alive_noted() -> None:
    wired = Wired()
    ws = wired.ws
    ws._keep_alive = wired  # type: ignore[assignment]
    raw: list[Any] = []
    ws.log_receive = raw.append  # type: ignore[method-assign]
    message = payload("message_create")

    await ws.received_message(frame("MESSAGE_CREATE", 7, message))
    await ws.received_message(frame("MESSAGE_REACTION_ADD", 8, payload("message_reaction_add")))

    assert [name for name, _ in wired.parsed] == ["MESSAGE_CREATE", "MESSAGE_REACTION_ADD"]
    assert wired.parsed[0][1] == message
    assert ws.sequence == 8
    assert wired.ticks == 2
    assert len(raw) == 2  # discord.py's debug events (`socket_raw_receive`) see every frame
    assert not wired.dispatched  # no `socket_event_type`: Terreau listens to none


async def test_other_frames_go_through_discord_py() -> None:
    wired = Wired()
    ws = wired.ws
    join = payload("guild_member_add")

    await ws.received_message(frame("GUILD_MEMBER_ADD", 9, join))
    await ws.received_message(frame("MESSAGE_CREATE", 10, "not an object"))

    assert wired.parsed == [("GUILD_MEMBER_ADD", join), ("MESSAGE_CREATE", "not an object")]
    assert [event for event, _ in wired.dispatched] == ["socket_event_type"] * 2
    assert ws.sequence == 10


async def test_a_frame_something_waits_for_goes_through_discord_py() -> None:
    wired = Wired()
    ws = wired.ws
    message = payload("message_create")
    waiting = ws.wait_for("MESSAGE_CREATE", lambda data: data["id"] == message["id"])

    await ws.received_message(frame("MESSAGE_CREATE", 3, message))

    assert waiting.done() and waiting.result() == message
    assert wired.parsed == [("MESSAGE_CREATE", message)]
    assert not ws._dispatch_listeners


async def test_compressed_frames_are_read_whole_even_when_split() -> None:
    wired = Wired()
    ws = wired.ws
    ws._decompressor = utils._ActiveDecompressionContext()
    if ws._decompressor.COMPRESSION_TYPE != "zlib-stream":
        pytest.skip("discord.py reads zstd here; the fake gateway compresses with zlib")
    compressor = zlib.compressobj()
    message = payload("message_create")
    data = compressor.compress(frame("MESSAGE_CREATE", 4, message).encode())
    data += compressor.flush(zlib.Z_SYNC_FLUSH)

    await ws.received_message(data[:10])
    assert not wired.parsed  # a partial frame waits for the rest
    await ws.received_message(data[10:])

    assert wired.parsed == [("MESSAGE_CREATE", message)]
    assert ws.sequence == 4


async def test_the_session_resumes_after_the_last_hot_frame_read(
    running: Running, server: FakeDiscord
) -> None:
    app = await running.start()
    assert running.adapter is not None
    seen: list[MessagePosted | ReactionAdded] = []

    async def record(event: MessagePosted | ReactionAdded) -> None:
        seen.append(event)

    app.dispatcher.subscribe(MessagePosted, record)
    app.dispatcher.subscribe(ReactionAdded, record)
    for number in range(3):
        message = dict(payload("message_create"), id=str(1190000000000000000 + number))
        await server.dispatch("MESSAGE_CREATE", message)
    await server.dispatch("MESSAGE_REACTION_ADD", payload("message_reaction_add"))
    await until(lambda: len(seen) == 4)
    [shard] = running.adapter.client.gateway_shards.values()
    assert isinstance(shard.ws, HotFrames)
    [session] = server.sessions.values()
    last = session.sequence

    await server.drop(code=4000)
    await until(lambda: len(server.resumes) == 1)

    # Nothing read is replayed: the RESUME asks from the last reaction's frame on.
    assert server.resumes[0]["seq"] == last
    assert len(server.identifies) == 1
    await server.dispatch("MESSAGE_CREATE", payload("message_create"))
    await until(lambda: len(seen) == 5)
    assert [type(event) for event in seen] == [MessagePosted] * 3 + [
        ReactionAdded,
        MessagePosted,
    ]
