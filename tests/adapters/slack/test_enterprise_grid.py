"""Enterprise Grid: an organization takes Terreau out of some of its workspaces, not all.

One Terreau serves two workspaces of one organization through the real bolt app
(HTTP mode) on the fake Slack server. `team_access_revoked` names the workspaces
lost; each starts its departure grace, the other goes on.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import SlackAdapter, Workspace
from bot.app import App, create_app
from bot.config import parse_settings
from bot.domain import BotRemoved, MessagePosted
from bot.features.privacy._config import PrivacyConfig
from bot.features.privacy._retention import Retention
from bot.storage import Database
from bot.storage.migrate import upgrade
from tests.adapters.slack.conftest import PROMPTS, SECRET, SlackTerreau
from tests.adapters.slack.fake_slack import BOT_TOKEN, TEAM, FakeSlack
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"
SECOND = "T0SECOND"
SECOND_TOKEN = "xoxb-3333-second"
CONFIG = f"""
[[communities]]
platform = "slack"
id = "{TEAM}"
name = "Acme"
channels = {{ general = "C0GENERAL" }}

[[communities]]
platform = "slack"
id = "{SECOND}"
name = "Acme Labs"
channels = {{ general = "C0LABS" }}
"""


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


@pytest.fixture
async def grid(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    fake_slack.teams[SECOND_TOKEN] = {
        "team_id": SECOND,
        "team": "Acme Labs",
        "user_id": "U0TERREAU2",
        "bot_id": "B0BOT2",
    }
    url = f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    await upgrade(url)
    adapter = SlackAdapter(
        workspaces=[
            Workspace(team_id=TEAM, token=BOT_TOKEN),
            Workspace(team_id=SECOND, token=SECOND_TOKEN),
        ],
        clock=clock,
        mode="http",
        api_base=fake_slack.api_base,
        signing_secret=SECRET,
        http_port=0,
    )
    database = await Database.connect(url, clock=clock)
    app: App = await create_app(
        parse_settings(CONFIG, tmp_path / "terreau.toml"),
        database=database,
        prompts=PROMPTS,
        platforms={"slack": adapter},
        clock=clock,
    )
    await app.start()
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


async def revoke(grid: SlackTerreau) -> list[BotRemoved]:
    """Post `team_access_revoked`; return the departures once the privacy feature noted them."""
    removed: list[BotRemoved] = []

    async def record(event: BotRemoved) -> None:  # subscribed after the privacy feature
        removed.append(event)

    grid.app.dispatcher.subscribe(BotRemoved, record)
    status, _ = await grid.event(load("team_access_revoked.json"))
    assert status == 200
    await until(lambda: bool(removed))
    return removed


async def left_at(app: App, key: str) -> datetime | None:
    async with app.database.read() as uow:
        community = await uow.communities.get(key)
    assert community is not None
    return community.left_at


async def test_revoked_access_stops_that_workspace_and_the_other_goes_on(
    grid: SlackTerreau,
) -> None:
    app = grid.app
    removed = await revoke(grid)

    assert await left_at(app, f"slack:{TEAM}") == datetime.fromtimestamp(1795420800.0002, tz=UTC)
    assert await left_at(app, f"slack:{SECOND}") is None
    # A workspace Terreau was never configured for is not made up from the event.
    assert [e.community for e in removed] == [f"slack:{TEAM}"]
    async with app.database.read() as uow:
        assert await uow.communities.get("slack:T0ELSEWHERE") is None

    message = load("message.json")
    message["team_id"] = SECOND
    message["authorizations"][0]["team_id"] = SECOND
    message["event"]["channel"] = "C0LABS"
    message["event_id"] = "Ev0LABS01"
    assert (await grid.event(message))[0] == 200
    await until(lambda: any(isinstance(e, MessagePosted) for e in grid.events))
    [posted] = [e for e in grid.events if isinstance(e, MessagePosted)]
    assert (posted.community, posted.channel_id) == (f"slack:{SECOND}", "C0LABS")


async def test_the_revoked_workspaces_data_goes_after_the_grace_and_the_others_stays(
    grid: SlackTerreau, clock: ManualClock
) -> None:
    app = grid.app
    lost, kept = app.community_id(f"slack:{TEAM}"), app.community_id(f"slack:{SECOND}")
    for community_id in (lost, kept):
        async with app.database.transaction() as uow:
            await uow.optouts.add(community_id, "U0ALICE", "dm")
    await revoke(grid)

    grace = app.communities[f"slack:{TEAM}"].section(PrivacyConfig).departure_grace_days
    await clock.set(datetime.fromtimestamp(1795420800, tz=UTC) + timedelta(days=grace, hours=1))
    retention = Retention(app)
    for key in (f"slack:{TEAM}", f"slack:{SECOND}"):
        await retention.purge(key)
    async with app.database.read() as uow:
        assert not await uow.optouts.has(lost, "U0ALICE", "dm")
        assert await uow.optouts.has(kept, "U0ALICE", "dm")
