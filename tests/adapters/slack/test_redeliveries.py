"""Slack retries after a restart, or to another process: answered once, through the real bolt app.

Slack sends a request again (with `X-Slack-Retry-Num`) when it did not see the
acknowledgement in time; the retry may reach a restarted Terreau, or another
process behind the load balancer, that has no memory of the first one.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.slack.conftest import PROMPTS, SlackTerreau, start_terreau
from tests.adapters.slack.fake_slack import FakeSlack
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
CATALOG = PROMPTS.catalog("en")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def ephemeral_texts(fake: FakeSlack) -> list[str]:
    return [str(call.params["text"]) for call in fake.called("chat.postEphemeral")]


@asynccontextmanager
async def running(
    tmp_path: Path, fake: FakeSlack, clock: ManualClock
) -> AsyncIterator[SlackTerreau]:
    """Run one Terreau process (HTTP mode) on the test's database until the block ends."""
    app, adapter = await start_terreau(tmp_path, fake, clock, "http")
    try:
        yield SlackTerreau(app, adapter, fake)
    finally:
        await app.stop()


def opt_out() -> dict[str, Any]:
    fields = load("slash_command.json")
    fields.update(text="me optout", response_url="")
    return fields


async def test_a_command_retried_after_a_restart_is_answered_once(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    async with running(tmp_path, fake_slack, clock) as first:
        assert (await first.command(opt_out()))[0] == 200
        await until(lambda: len(ephemeral_texts(fake_slack)) == 1)
    async with running(tmp_path, fake_slack, clock) as restarted:
        assert (await restarted.command(opt_out(), headers=RETRY))[0] == 200
        await until(lambda: restarted.app.dispatcher.duplicates == 1)
    # Never "you had already opted out" to a member who asked once.
    assert ephemeral_texts(fake_slack) == [CATALOG.text("me.optout.done", member="Alice")]


async def test_a_click_retried_after_a_restart_is_answered_once(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    click = load("block_actions_button.json")
    click["response_url"] = f"{fake_slack.base}/response/1"
    async with running(tmp_path, fake_slack, clock) as first:
        assert (await first.action(click))[0] == 200
        await until(lambda: len(fake_slack.responses) == 1)
    async with running(tmp_path, fake_slack, clock) as restarted:
        assert (await restarted.action(click, headers=RETRY))[0] == 200
        await until(lambda: restarted.app.dispatcher.duplicates == 1)
    [answer] = fake_slack.responses
    assert answer["text"] == CATALOG.text("messages.choices.expired", member="bob")


async def test_a_retry_to_another_process_is_answered_once(
    tmp_path: Path, fake_slack: FakeSlack, clock: ManualClock
) -> None:
    async with (
        running(tmp_path, fake_slack, clock) as one,
        running(tmp_path, fake_slack, clock) as other,
    ):
        assert (await one.command(opt_out()))[0] == 200
        await until(lambda: len(ephemeral_texts(fake_slack)) == 1)
        assert (await other.command(opt_out(), headers=RETRY))[0] == 200
        await until(lambda: other.app.dispatcher.duplicates == 1)
    assert ephemeral_texts(fake_slack) == [CATALOG.text("me.optout.done", member="Alice")]
