"""Socket Mode end to end: envelopes pushed over the fake websocket, acks recorded."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._server import SocketMode
from bot.domain import (
    BotRemoved,
    ChoiceMade,
    CommandInvoked,
    Event,
    MessagePosted,
    ReactionAdded,
)
from tests.adapters.slack.conftest import SlackTerreau, serving_two
from tests.adapters.slack.fake_slack import APP_TOKEN, TEAM, FakeSlack
from tests.fakes import ManualClock, until

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def envelope(kind: str, payload: dict[str, Any], envelope_id: str) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": payload,
    }


async def test_the_connection_comes_from_apps_connections_open_on_the_api_base(
    socket_terreau: SlackTerreau,
) -> None:
    [opened] = socket_terreau.fake.called("apps.connections.open")
    assert opened.token == "xapp-1-A0TERREAU-2222"
    await until(lambda: bool(socket_terreau.fake.sockets))


async def test_events_are_acked_and_delivered(socket_terreau: SlackTerreau) -> None:
    await socket_terreau.fake.push(envelope("events_api", load("message.json"), "env-1"))
    await socket_terreau.fake.push(envelope("events_api", load("reaction_added.json"), "env-2"))
    await until(lambda: len(socket_terreau.events) == 2 and len(socket_terreau.fake.acks) == 2)
    assert socket_terreau.fake.acked("env-1") and socket_terreau.fake.acked("env-2")
    assert isinstance(socket_terreau.events[0], MessagePosted)
    assert isinstance(socket_terreau.events[1], ReactionAdded)


async def test_a_replayed_envelope_is_processed_once(socket_terreau: SlackTerreau) -> None:
    payload = load("message.json")
    await socket_terreau.fake.push(envelope("events_api", payload, "env-1"))
    replay = envelope("events_api", payload, "env-1b")
    replay["retry_attempt"] = 1
    replay["retry_reason"] = "timeout"
    await socket_terreau.fake.push(replay)
    await until(lambda: bool(socket_terreau.fake.acked("env-1b")))
    await until(lambda: socket_terreau.app.dispatcher.duplicates == 1)
    assert len(socket_terreau.events) == 1


async def test_bot_messages_are_acked_but_ignored(socket_terreau: SlackTerreau) -> None:
    await socket_terreau.fake.push(envelope("events_api", load("message_bot.json"), "env-1"))
    await socket_terreau.fake.push(envelope("events_api", load("message_own.json"), "env-2"))
    await socket_terreau.fake.push(envelope("events_api", load("message.json"), "env-3"))
    await until(lambda: len(socket_terreau.fake.acks) == 3 and bool(socket_terreau.events))
    assert [event.event_id for event in socket_terreau.events] == ["Ev0MSG0001"]


async def test_events_of_a_workspace_not_served_are_acked_and_ignored(
    fake_slack: FakeSlack, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    slack = serving_two(fake_slack, clock, team_id="T0GONE", number=3, revoked=True)
    events: list[Event] = []

    async def sink(event: Event) -> None:
        events.append(event)

    await slack.start(sink)
    try:
        started = len(events)  # the workspaces' presence, found at start
        for number, team in enumerate(["T0GONE", "T0ELSEWHERE", TEAM]):
            payload = load("message.json")
            payload.update(team_id=team, event_id=f"Ev{team}")
            payload.pop("authorizations", None)
            await fake_slack.push(envelope("events_api", payload, f"env-{number}"))
        with caplog.at_level(logging.WARNING, logger="adapters.slack"):
            await until(lambda: len(fake_slack.acks) == 3 and not slack.in_flight.running)
    finally:
        await slack.stop()
    assert [event.event_id for event in events[started:]] == [f"Ev{TEAM}"]
    assert "Slack event EvT0GONE comes from workspace T0GONE" in caplog.text
    assert "Slack event EvT0ELSEWHERE comes from workspace T0ELSEWHERE" in caplog.text


async def test_an_event_whose_handling_fails_is_logged_and_the_next_one_handled(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[str] = []

    async def events(payload: dict[str, Any]) -> None:
        if payload["event_id"] == "Ev0BROKEN":
            raise RuntimeError("a bug")
        handled.append(payload["event_id"])

    async def authorize() -> None:  # bolt's, for other envelopes: none comes here
        return None

    web = AsyncWebClient(base_url=fake_slack.api_base)
    bolt = AsyncApp(client=web, authorize=authorize, request_verification_enabled=False)
    socket = SocketMode(bolt, app_token=APP_TOKEN, client=web, events=events)
    await socket.connect()
    try:
        broken = dict(load("message.json"), event_id="Ev0BROKEN")
        with caplog.at_level(logging.ERROR, logger="adapters.slack"):
            await fake_slack.push(envelope("events_api", broken, "env-1"))
            await fake_slack.push(envelope("events_api", load("message.json"), "env-2"))
            await until(lambda: bool(handled) and len(fake_slack.acks) == 2)
    finally:
        await socket.close()
    assert handled == ["Ev0MSG0001"]
    assert "handling Slack event Ev0BROKEN (message) failed" in caplog.text
    assert "RuntimeError: a bug" in caplog.text


async def test_slash_commands_run_with_permission_checks(socket_terreau: SlackTerreau) -> None:
    fields = load("slash_command.json")
    fields.update(text="posts list", response_url="")
    await socket_terreau.fake.push(envelope("slash_commands", fields, "env-1"))
    fields = dict(fields, user_id="U0GINA", trigger_id="t2")
    await socket_terreau.fake.push(envelope("slash_commands", fields, "env-2"))
    fake = socket_terreau.fake
    await until(lambda: len(fake.called("chat.postEphemeral")) == 2 and len(fake.acks) == 2)
    assert fake.acked("env-1") and fake.acked("env-2")
    texts = sorted(
        (str(c.params["user"]), str(c.params["text"])) for c in fake.called("chat.postEphemeral")
    )
    assert texts[0][0] == "U0ALICE"
    assert socket_terreau.said(texts[0][1])[0] == "messages.commands.moderators_only"
    assert texts[1][0] == "U0GINA"
    key, shown = socket_terreau.said(texts[1][1], "rituals")
    assert key == "messages.posts.list.body"
    assert [ritual["name"] for ritual in shown["rituals"]] == ["question"]  # type: ignore[attr-defined]
    commands = [e for e in socket_terreau.events if isinstance(e, CommandInvoked)]
    assert {c.member.id for c in commands} == {"U0ALICE", "U0GINA"}


async def test_a_select_reaches_choice_made(socket_terreau: SlackTerreau) -> None:
    clicks: list[ChoiceMade] = []

    async def on_poll(event: ChoiceMade) -> None:
        clicks.append(event)

    socket_terreau.app.on_choice("poll", on_poll)
    payload = load("block_actions_select.json")
    await socket_terreau.fake.push(envelope("interactive", payload, "env-1"))
    await until(lambda: bool(clicks) and bool(socket_terreau.fake.acked("env-1")))
    assert clicks[0].choice_id == "poll:43:thu"


async def test_a_click_on_a_removed_feature_says_it_expired(socket_terreau: SlackTerreau) -> None:
    payload = load("block_actions_button.json")
    payload["response_url"] = f"{socket_terreau.fake.base}/response/9"
    await socket_terreau.fake.push(envelope("interactive", payload, "env-1"))
    await until(lambda: bool(socket_terreau.fake.responses))
    assert socket_terreau.fake.responses[0]["response_type"] == "ephemeral"


async def test_a_revoked_bot_token_records_the_workspaces_departure(
    socket_terreau: SlackTerreau,
) -> None:
    app = socket_terreau.app
    removed: list[BotRemoved] = []

    async def record(event: BotRemoved) -> None:  # subscribed after the privacy feature
        removed.append(event)

    app.dispatcher.subscribe(BotRemoved, record)
    revoked_by_a_member = envelope("events_api", load("tokens_revoked_user.json"), "env-0")
    await socket_terreau.fake.push(revoked_by_a_member)
    await socket_terreau.fake.push(envelope("events_api", load("tokens_revoked.json"), "env-1"))

    await until(lambda: bool(removed) and bool(socket_terreau.fake.acked("env-1")))
    assert socket_terreau.fake.acked("env-0")
    assert [event.event_id for event in removed] == ["Ev0REVOKE01"]
    async with app.database.read() as uow:
        community = await uow.communities.get("slack:T0TERREAU")
    assert community is not None
    assert community.left_at == datetime.fromtimestamp(1795420800.0001, tz=UTC)
