"""Free text typed after `/terreau` on Slack: any character, read by the core's grammar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import CONFIG, SlackTerreau, start_terreau
from tests.adapters.slack.fake_slack import TEAM, FakeSlack
from tests.adapters.slack.test_http import command, ephemeral_texts
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.slack

ELECTION = (
    CONFIG
    + """
[communities.election]
enabled = true
min_tenure_days = 0
min_interactions = 0
"""
)


@pytest.fixture
async def terreau(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    fake_slack.add_user("U0BOB", "Bob")
    fake_slack.add_user("U0CAROL", "Carol")
    app, adapter = await start_terreau(tmp_path, fake_slack, clock, "http", config=ELECTION)
    try:
        yield SlackTerreau(app, adapter, fake_slack)
    finally:
        await app.stop()


async def reasons(terreau: SlackTerreau) -> list[str]:
    community_id = terreau.app.community_id(f"slack:{TEAM}")
    async with terreau.app.database.read() as uow:
        election = await uow.elections.running(community_id)
        assert election is not None
        return [n.reason for n in await uow.elections.nominations(election.id)]


async def test_reasons_keep_apostrophes_and_quotes_as_typed(terreau: SlackTerreau) -> None:
    await terreau.command(command("election start", user="U0MO", trigger="t1"))
    await until(lambda: len(ephemeral_texts(terreau)) == 1)
    status, _ = await terreau.command(
        command("election nominate <@U0BOB|bob> she's always there", trigger="t2")
    )
    assert status == 200
    await terreau.command(
        command('election nominate <@U0CAROL|carol> said "welcome!"  to  me', trigger="t3")
    )
    await until(lambda: len(ephemeral_texts(terreau)) == 3)
    assert await reasons(terreau) == ["she's always there", 'said "welcome!"  to  me']
