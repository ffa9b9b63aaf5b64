"""Slack throughput: Socket Mode envelopes into a no-op bolt app vs Terreau's bolt app.

The same stream of Events API envelopes (messages, thread replies, reactions, joins
from 5,000 members in 20 channels) is handed to the Socket Mode client as its reading
loop hands what it read (`enqueue_message`), with the client connected to the fake
Slack of the adapter tests (tests/adapters/slack/fake_slack.py, in this process), so
the acknowledgements go back over a real websocket:

1. bare: bolt's `AsyncApp` behind its `AsyncSocketModeHandler`, one listener for every
   event that reads the ids of what arrived; and the same app on Terreau's bounded
   Socket Mode client (`adapters/slack/_server.py`), so that only Terreau's own work
   differs from it;
2. Terreau: `SlackAdapter` in Socket Mode started by the app as `terreau run` starts
   it (translate -> member names -> `Dispatcher` -> `InteractionRecorder` ->
   `InteractionWriter` -> a freshly migrated SQLite file, features subscribed); its
   client acknowledges an Events API envelope and hands it to the adapter itself,
   past bolt's per-request machinery (bolt still takes commands and clicks). Each
   member's name is asked once (`users.info`, to the fake) and then kept: the rounds
   start with every name known (steady state); `--cold` starts them with none.

Each is timed from the first envelope until every listener returned (and, for
Terreau, `flush()` returned); the stored rows are counted. A last Terreau round runs
under cProfile to say where its time goes.

Run: .venv/bin/python bench/bench_slack.py [--events 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler  # noqa: TID251
from slack_bolt.async_app import AsyncApp  # noqa: TID251
from slack_bolt.authorization import AuthorizeResult  # noqa: TID251
from slack_sdk.web.async_client import AsyncWebClient  # noqa: TID251
from sqlalchemy import text

from adapters.slack import SlackAdapter
from adapters.slack._server import SocketMode
from adapters.slack.adapter import Workspace
from bot.app import create_app
from bot.clock import SystemClock
from bot.config import parse_settings
from bot.domain import Member
from bot.prompts import Prompts
from bot.storage import Database, upgrade

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from _layers import where_time_goes  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.adapters.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack  # noqa: E402

PAYLOADS = ROOT / "tests" / "adapters" / "slack" / "payloads"
MEMBERS = 5_000
CHANNELS = [f"C0CHAN{n:03d}" for n in range(20)]
CONFIG = f"""
[[communities]]
platform = "slack"
id = "{TEAM}"
name = "Bench"
channels = {{ general = "{CHANNELS[0]}" }}
"""


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    data["event"].pop("blocks", None)
    return data


def envelopes(count: int, seed: int = 11) -> tuple[list[str], dict[str, int]]:
    """Return `count` envelopes: 45 % messages, 10 % replies, 40 % reactions, 5 % joins."""
    rng = random.Random(seed)
    message, reply = load("message"), load("message_thread_reply")
    reaction, join = load("reaction_added"), load("team_join")
    kinds = {"message": 0, "reply": 0, "reaction": 0, "join": 0}
    result = []
    for index in range(count):
        who = f"U0M{min(int(rng.paretovariate(1.2)) - 1, MEMBERS - 1):05d}"
        channel = CHANNELS[rng.randrange(len(CHANNELS))]
        ts = f"{1763800800 + index // 100}.{index % 100:06d}"
        roll = rng.random()
        if roll < 0.45:
            payload = copy.deepcopy(message)
            payload["event"].update(user=who, channel=channel, ts=ts, event_ts=ts)
            payload["event"]["client_msg_id"] = f"m-{index}"
            kinds["message"] += 1
        elif roll < 0.55:
            payload = copy.deepcopy(reply)
            parent = f"{1763800800 + rng.randrange(max(index, 1)) // 100}.000000"
            payload["event"].update(user=who, channel=channel, ts=ts, event_ts=ts, thread_ts=parent)
            payload["event"]["client_msg_id"] = f"r-{index}"
            kinds["reply"] += 1
        elif roll < 0.95:
            payload = copy.deepcopy(reaction)
            payload["event"].update(user=who, event_ts=ts)
            payload["event"]["item"] = {"type": "message", "channel": channel, "ts": ts}
            kinds["reaction"] += 1
        else:
            payload = copy.deepcopy(join)
            payload["event"]["user"] = dict(payload["event"]["user"], id=f"U0NEW{index:06d}")
            payload["event"]["event_ts"] = ts
            kinds["join"] += 1
        payload["event_id"] = f"Ev{index:08d}"
        result.append(
            json.dumps(
                {
                    "envelope_id": f"env-{index}",
                    "type": "events_api",
                    "accepts_response_payload": False,
                    "retry_attempt": 0,
                    "retry_reason": "",
                    "payload": payload,
                }
            )
        )
    return result, kinds


async def fake_slack() -> FakeSlack:
    fake = FakeSlack()
    for number in range(MEMBERS):
        fake.add_user(f"U0M{number:05d}", f"member {number}")
    await fake.start()
    return fake


async def bare_round(stream: list[str], *, bounded: bool) -> float:
    fake = await fake_slack()
    handled = [0]
    identity = AuthorizeResult(
        enterprise_id=None, team_id=TEAM, bot_token=BOT_TOKEN, bot_user_id="U0TERREAU"
    )

    async def authorize() -> AuthorizeResult:
        # As Terreau's app does: no auth.test per request (bolt's single-team
        # authorization calls it until one answer is back, from every request at once).
        return identity

    bolt = AsyncApp(
        client=AsyncWebClient(base_url=fake.api_base),
        authorize=authorize,  # type: ignore[arg-type]
        request_verification_enabled=False,
    )

    async def noop(body: dict[str, Any]) -> None:
        event = body["event"]
        handled[0] += 1 if (body["event_id"], event.get("user"), event.get("ts")) else 0

    bolt.event(re.compile(".*"))(noop)
    web = AsyncWebClient(base_url=fake.api_base)
    if bounded:
        socket = SocketMode(bolt, app_token=APP_TOKEN, client=web)
        await socket.connect()
        handler = socket._handler
    else:
        handler = AsyncSocketModeHandler(bolt, app_token=APP_TOKEN, web_client=web)
        await handler.connect_async()  # type: ignore[no-untyped-call]
    client = handler.client
    began = time.perf_counter()
    for raw in stream:
        await client.enqueue_message(raw)
    while handled[0] < len(stream):  # noqa: ASYNC110 (the listeners' tasks finish)
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - began
    await handler.close_async()  # type: ignore[no-untyped-call]
    await fake.stop()
    return len(stream) / elapsed


async def terreau_round(
    stream: list[str], profile: cProfile.Profile | None = None, *, warm: bool = True
) -> float:
    fake = await fake_slack()
    with tempfile.TemporaryDirectory(prefix="terreau-bench-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'terreau.db'}"
        await upgrade(url)
        settings = parse_settings(CONFIG, Path(folder) / "terreau.toml")
        clock = SystemClock()
        adapter = SlackAdapter(
            workspaces=[Workspace(team_id=TEAM, token=BOT_TOKEN)],
            clock=clock,
            mode="socket",
            api_base=fake.api_base,
            app_token=APP_TOKEN,
        )
        database = await Database.connect(url, clock=clock)
        app = await create_app(
            settings,
            database=database,
            prompts=Prompts.load(ROOT / "prompts"),
            platforms={"slack": adapter},
            clock=clock,
        )
        await app.start()
        assert adapter._socket is not None
        client = adapter._socket._handler.client
        if warm:
            # Steady state: every member's name already asked once (`users.info`).
            directory = adapter._connections[TEAM].members
            for number in range(MEMBERS):
                user = f"U0M{number:05d}"
                await directory.named(Member(id=user, display_name=user))
        if profile is not None:
            profile.enable()
        began = time.perf_counter()
        for raw in stream:
            await client.enqueue_message(raw)
        while client.message_queue.qsize() or adapter.in_flight.running:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        await app.writer.flush()
        elapsed = time.perf_counter() - began
        if profile is not None:
            profile.disable()
        async with app.database.read() as uow:
            stored = (
                await uow.connection.execute(text("SELECT count(*) FROM interactions"))
            ).scalar()
        pauses, waits = adapter.in_flight.pauses, app.writer.stats.waits
        await app.stop()
    await fake.stop()
    print(
        f"  terreau: {stored:,} rows stored; submits that waited {waits:,}; "
        f"listener pauses {pauses:,}"
    )
    return len(stream) / elapsed


GROUPS = {
    "slack_sdk + bolt (envelopes, listeners, acks)": ("slack_sdk/", "slack_bolt/"),
    "aiohttp (websocket, fake Slack)": ("aiohttp/", "fake_slack.py"),
    "json": ("json/",),
    "translate + member names": ("adapters/slack/",),
    "dispatch + features": ("bot/dispatch.py", "bot/app.py", "bot/features/"),
    "record + queue + batches": ("bot/storage/",),
    "asyncio": ("asyncio/",),
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    stream, kinds = envelopes(args.events)
    print(
        f"{len(stream):,} Socket Mode envelopes: "
        + ", ".join(f"{count:,} {kind}s" for kind, count in kinds.items())
        + f"; {MEMBERS:,} members, {len(CHANNELS)} channels"
    )
    ratios, fair = [], []
    for number in range(1, args.rounds + 1):
        bare = await bare_round(stream, bounded=False)
        bounded = await bare_round(stream, bounded=True)
        terreau = await terreau_round(stream, warm=not args.cold)
        ratios.append(terreau / bare)
        fair.append(terreau / bounded)
        print(
            f"round {number}: bare bolt {bare:>8,.0f}/s | bare bolt on Terreau's bounded "
            f"client {bounded:>8,.0f}/s | Terreau {terreau:>8,.0f}/s | ratio {terreau / bare:.2f} "
            f"(to the bounded one {terreau / bounded:.2f})",
            flush=True,
        )
    print(
        f"median ratio of {args.rounds}: {statistics.median(ratios):.2f} (target >= 0.8); "
        f"to bare bolt on the bounded client: {statistics.median(fair):.2f}"
    )
    if not args.no_profile:
        profile = cProfile.Profile()
        await terreau_round(stream, profile, warm=not args.cold)
        where_time_goes(profile, GROUPS)


if __name__ == "__main__":
    asyncio.run(main())
