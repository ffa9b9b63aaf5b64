"""A whole Terreau on the Slack adapter, talking to the fake Slack server."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack import SlackAdapter, Workspace
from adapters.slack.blocks import render
from bot.app import App, create_app
from bot.config import parse_settings
from bot.domain import Event
from bot.prompts import Prompts
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack
from tests.fakes import ManualClock, PromptLog

PROMPTS = Prompts.load(Path(__file__).parents[3] / "prompts")
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
START = datetime(2026, 11, 23, 7, 59, tzinfo=UTC)
CONFIG = f"""
[[communities]]
platform = "slack"
id = "{TEAM}"
name = "Acme"
moderator_roles = ["S0MODS"]
channels = {{ general = "C0GENERAL" }}

[[communities.posts.schedules]]
name = "question"
channel = "general"
cron = "0 9 * * 1"
pool = "discussion"
"""


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Return the headers Slack sends with a request body."""
    moment = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{moment}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": moment, "X-Slack-Signature": f"v0={digest}"}


class SlackTerreau:
    """A running app on the Slack adapter, and how to talk to it like Slack does."""

    def __init__(self, app: App, adapter: SlackAdapter, fake: FakeSlack) -> None:
        self.app = app
        self.adapter = adapter
        self.fake = fake
        self.events: list[Event] = []
        app.dispatcher.subscribe(Event, self._record)

    async def _record(self, event: Event) -> None:
        self.events.append(event)

    def said(self, text: str, *names: str) -> tuple[str, dict[str, object]]:
        """The prompt Slack was sent as `text`, and the variables `names` it was given."""
        prompts = self.app.prompts
        assert isinstance(prompts, PromptLog)
        return prompts.shown_as(lambda post: any(m.text == text for m in render(post)), *names)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.adapter.http_port}/slack/events"

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        secret: str = SECRET,
        timestamp: int | None = None,
    ) -> tuple[int, str]:
        sent = {"Content-Type": content_type, **sign(body, secret=secret, timestamp=timestamp)}
        sent.update(headers or {})
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body.encode(), headers=sent) as response,
        ):
            return response.status, await response.text()

    async def event(self, envelope: dict[str, Any], **options: Any) -> tuple[int, str]:
        return await self.post(json.dumps(envelope), "application/json", **options)

    async def command(self, fields: dict[str, Any], **options: Any) -> tuple[int, str]:
        return await self.post(urlencode(fields), "application/x-www-form-urlencoded", **options)

    async def action(self, payload: dict[str, Any], **options: Any) -> tuple[int, str]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **options)


def serving_two(
    fake: FakeSlack,
    clock: ManualClock,
    *,
    team_id: str,
    number: int,
    mode: str = "socket",
    revoked: bool = False,
) -> SlackAdapter:
    """Return an adapter serving `TEAM` and a second workspace the fake knows (unstarted).

    The second workspace's bot token is `xoxb-<number>-second`, its bot user
    `U0TERREAU<number>`; `revoked` has its token revoked (the app uninstalled there).
    """
    token = f"xoxb-{number}-second"
    fake.teams[token] = {
        "team_id": team_id,
        "team": team_id.title(),
        "user_id": f"U0TERREAU{number}",
        "bot_id": f"B0BOT{number}",
    }
    if revoked:
        fake.revoked.add(token)
    workspaces = [Workspace(team_id=TEAM, token=BOT_TOKEN), Workspace(team_id=team_id, token=token)]
    return adapter_for(fake, clock, workspaces, mode)


def adapter_for(
    fake: FakeSlack,
    clock: ManualClock,
    workspaces: list[Workspace],
    mode: str,
    **options: Any,
) -> SlackAdapter:
    """Return an adapter serving `workspaces` from `fake` in `mode` (unstarted)."""
    return SlackAdapter(
        workspaces=workspaces,
        clock=clock,
        mode=mode,
        api_base=fake.api_base,
        app_token=APP_TOKEN,
        signing_secret=SECRET,
        http_port=0,
        **options,
    )


@pytest.fixture
async def fake_slack(clock: ManualClock) -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(clock=clock.now)
    fake.add_user("U0ALICE", "Alice")
    fake.add_user("U0MO", "Mo", is_admin=True)
    fake.add_user("U0OWEN", "Owen", is_owner=True)
    fake.add_user("U0GINA", "Gina")
    fake.usergroups["S0MODS"] = ["U0GINA"]
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


async def start_terreau(
    tmp_path: Path,
    fake: FakeSlack,
    clock: ManualClock,
    mode: str,
    *,
    config: str = CONFIG,
    **adapter_options: Any,
) -> tuple[App, SlackAdapter]:
    """Start Terreau on the Slack adapter against `fake`; the caller stops the app."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    settings = parse_settings(config, tmp_path / "terreau.toml")
    workspace = Workspace(team_id=TEAM, token=BOT_TOKEN, moderator_groups=("S0MODS",))
    adapter = adapter_for(fake, clock, [workspace], mode, **adapter_options)
    database = await Database.connect(url, clock=clock)
    try:
        app = await create_app(
            settings,
            database=database,
            prompts=PromptLog(PROMPTS),  # type: ignore[arg-type]
            platforms={"slack": adapter},
            clock=clock,
        )
    except BaseException:
        await database.close()
        raise
    try:
        await app.start()
    except BaseException:
        await app.stop()  # a start that failed half way leaves nothing open
        raise
    return app, adapter


@pytest.fixture
async def http_terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "http")
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


@pytest.fixture
async def socket_terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "socket")
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()
