"""A console-like Matrix demo: a local Synapse, a space, and you typing into #general.

`python tests/adapters/matrix/synapse.py demo` installs and starts Synapse on
127.0.0.1, registers the bot (`@terreau`) and you (`@you`), creates a space with a
`general` room, writes `matrix-demo/terreau.toml`, and prints the command that starts
Terreau. Then each line you type is posted in #general as you, and what the bot says
to you (in #general or in your direct room) is printed. Ctrl-D or Ctrl-C stops it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import uuid
from pathlib import Path
from typing import Any

from nio import AsyncClient, InviteMemberEvent, RoomMessageText, RoomPreset

from bot.storage.migrate import upgrade
from tests.adapters.matrix.synapse import Account, Synapse, install

PORT = 8008


async def _setup(server: Synapse, folder: Path) -> tuple[Account, Account, str]:
    bot = server.register("terreau", displayname="Terreau")
    you = server.register("you", displayname="You")
    owner = AsyncClient(server.url, bot.user_id)
    owner.access_token = bot.access_token
    try:
        space = await owner.room_create(space=True, name="Terreau demo", invite=[you.user_id])
        general = await owner.room_create(
            name="general", invite=[you.user_id], preset=RoomPreset.private_chat
        )
        await owner.room_put_state(
            space.room_id, "m.space.child", {"via": ["terreau.test"]}, state_key=general.room_id
        )
    finally:
        await owner.close()
    (folder / "terreau.toml").write_text(
        f"""database_url = "sqlite+aiosqlite:///{folder / "terreau.db"}"

[matrix]
homeserver = "{server.url}"
user_id = "{bot.user_id}"

[[communities]]
platform = "matrix"
id = "{space.room_id}"
name = "Terreau demo"
channels = {{ general = "{general.room_id}" }}
"""
    )
    await upgrade(f"sqlite+aiosqlite:///{folder / 'terreau.db'}")
    return bot, you, general.room_id


async def _chat(server: Synapse, you: Account, bot_id: str, general: str) -> None:
    client = AsyncClient(server.url, you.user_id, device_id=you.device_id)
    client.access_token = you.access_token

    async def joined(room: Any, event: InviteMemberEvent) -> None:
        if event.state_key == you.user_id and event.membership == "invite":
            await client.join(room.room_id)

    async def shown(room: Any, event: RoomMessageText) -> None:
        if event.sender == bot_id:
            where = "#general" if room.room_id == general else "(to you)"
            print(f"\nTerreau {where}: {event.body}\n> ", end="", flush=True)

    for room_id in await _rooms_to_join(client):
        await client.join(room_id)
    first = await client.sync(timeout=0)
    client.add_event_callback(joined, InviteMemberEvent)  # type: ignore[arg-type]
    client.add_event_callback(shown, RoomMessageText)  # type: ignore[arg-type]
    syncing = asyncio.create_task(client.sync_forever(timeout=10_000, since=first.next_batch))
    loop = asyncio.get_running_loop()
    try:
        while True:
            print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            if line.strip():
                content = {"msgtype": "m.text", "body": line.rstrip("\n")}
                await client.room_send(general, "m.room.message", content, tx_id=uuid.uuid4().hex)
    finally:
        syncing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await syncing
        await client.close()


async def _rooms_to_join(client: AsyncClient) -> list[str]:
    answer = await client.sync(timeout=0)
    return list(answer.rooms.invite)


def run_demo(folder: Path) -> int:
    """Start Synapse, set up the demo community, and chat as `@you` until stdin ends."""
    install()
    folder.mkdir(exist_ok=True)
    server = Synapse(folder / "synapse", port=PORT)
    if (folder / "synapse").exists():
        print(f"{folder} is from an earlier demo: remove it first", file=sys.stderr)
        return 2
    (folder / "synapse").mkdir()
    server.start()
    try:
        bot, you, general = asyncio.run(_setup(server, folder))
        print(
            f"Synapse runs on {server.url}. In another terminal, start Terreau:\n\n"
            f"  MATRIX_ACCESS_TOKEN={bot.access_token} "
            f".venv/bin/terreau run --config {folder / 'terreau.toml'}\n\n"
            "Then type here as @you (try `!terreau help`); Ctrl-D stops the demo.\n"
        )
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_chat(server, you, bot.user_id, general))
    finally:
        server.stop()
    return 0
