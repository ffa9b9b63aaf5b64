"""HTTP mode end to end: signed requests through the real AsyncApp into the core."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.slack._members import NAME_TTL
from bot.domain import BotRemoved, ChoiceMade, CommandInvoked, MessagePosted
from tests.adapters.slack.conftest import PROMPTS, SlackTerreau
from tests.fakes import ManualClock, until, wake_sleepers

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def command(text: str, user: str = "U0ALICE", trigger: str = "t1") -> dict[str, Any]:
    fields = load("slash_command.json")
    fields.update(text=text, user_id=user, trigger_id=trigger, response_url="")
    return fields


def ephemeral_texts(terreau: SlackTerreau) -> list[str]:
    return [str(call.params["text"]) for call in terreau.fake.called("chat.postEphemeral")]


async def test_a_signed_event_reaches_the_core(http_terreau: SlackTerreau) -> None:
    status, _ = await http_terreau.event(load("message.json"))
    assert status == 200
    await until(lambda: bool(http_terreau.events))
    [event] = http_terreau.events
    assert isinstance(event, MessagePosted)
    assert event.community == "slack:T0TERREAU"
    assert (event.member.id, event.member.display_name) == ("U0ALICE", "Alice")


async def test_message_text_reaches_the_core_as_the_member_typed_it(
    http_terreau: SlackTerreau,
) -> None:
    # Slack escapes &, < and > and turns a typed address into a link: undone for the core.
    envelope = load("message.json")
    envelope["event"]["text"] = (
        "Tom &amp; Jerry &lt;3 &gt;_&gt; &amp;lt; "
        "<https://example.org/a?b=1&amp;c=2|example.org/a?b=1&amp;c=2> "
        "<mailto:jo@example.org|jo@example.org> <https://example.org> <@U0BOB>"
    )
    await http_terreau.event(envelope)
    await until(lambda: bool(http_terreau.events))

    [event] = http_terreau.events
    assert isinstance(event, MessagePosted)
    assert event.text == (
        "Tom & Jerry <3 >_> &lt; example.org/a?b=1&c=2 jo@example.org https://example.org <@U0BOB>"
    )
    assert event.mentions == ("U0BOB",)


async def test_a_name_lookup_never_waits_out_a_rate_limit(http_terreau: SlackTerreau) -> None:
    http_terreau.fake.rate_limits["users.info"] = [30]
    await http_terreau.event(load("message.json"))
    await until(lambda: bool(http_terreau.events))
    assert http_terreau.events[0].member.display_name == "U0ALICE"  # type: ignore[attr-defined]
    second = load("message_thread_reply.json")
    second["event"]["user"] = "U0ALICE"
    await http_terreau.event(second)
    await until(lambda: len(http_terreau.events) == 2)
    assert http_terreau.events[1].member.display_name == "Alice"  # type: ignore[attr-defined]


async def test_url_verification_is_answered(http_terreau: SlackTerreau) -> None:
    status, body = await http_terreau.event(
        {
            "token": "x",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    assert status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in body


async def test_a_bad_signature_gets_401_and_touches_nothing(http_terreau: SlackTerreau) -> None:
    calls = len(http_terreau.fake.calls)
    status, _ = await http_terreau.event(load("message.json"), secret="not-the-secret")
    assert status == 401
    status, _ = await http_terreau.command(command("posts list", user="U0MO"), secret="nope")
    assert status == 401
    assert http_terreau.events == []
    assert len(http_terreau.fake.calls) == calls


async def test_a_stale_timestamp_gets_401(http_terreau: SlackTerreau) -> None:
    calls = len(http_terreau.fake.calls)
    stale = int(time.time()) - 10 * 60
    status, _ = await http_terreau.event(load("message.json"), timestamp=stale)
    assert status == 401
    assert http_terreau.events == []
    assert len(http_terreau.fake.calls) == calls


async def test_a_retried_delivery_is_processed_once(http_terreau: SlackTerreau) -> None:
    envelope = load("message.json")
    assert (await http_terreau.event(envelope))[0] == 200
    await until(lambda: len(http_terreau.events) == 1)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await http_terreau.event(envelope, headers=retry))[0] == 200
    await until(lambda: http_terreau.app.dispatcher.duplicates == 1)
    assert len(http_terreau.events) == 1


async def test_an_event_from_an_unknown_workspace_is_refused(http_terreau: SlackTerreau) -> None:
    envelope = load("message.json")
    envelope["team_id"] = "T0STRANGER"
    envelope["authorizations"][0]["team_id"] = "T0STRANGER"
    status, _ = await http_terreau.event(envelope)
    assert status == 200  # acknowledged (so Slack does not retry), never handled
    assert http_terreau.events == []


async def test_help_answers_privately(http_terreau: SlackTerreau) -> None:
    status, body = await http_terreau.command(command("help"))
    assert (status, body) == (200, "")
    await until(lambda: bool(ephemeral_texts(http_terreau)))
    [call] = http_terreau.fake.called("chat.postEphemeral")
    assert call.params["user"] == "U0ALICE"
    assert call.params["channel"] == "C0GENERAL"
    key, shown = http_terreau.said(str(call.params["text"]), "groups")
    assert key == "messages.help.body"
    assert "posts" in [group["name"] for group in shown["groups"]]  # type: ignore[attr-defined]


async def test_unknown_input_gets_help_text(http_terreau: SlackTerreau) -> None:
    await http_terreau.command(command("dance now"))
    await until(lambda: bool(ephemeral_texts(http_terreau)))
    assert http_terreau.said(ephemeral_texts(http_terreau)[0], "group") == (
        "messages.commands.unknown_group",
        {"group": "dance"},
    )


async def test_posts_commands_are_for_moderators(http_terreau: SlackTerreau) -> None:
    await http_terreau.command(command("posts list", user="U0ALICE", trigger="t1"))
    await until(lambda: len(ephemeral_texts(http_terreau)) == 1)
    refused = http_terreau.said(ephemeral_texts(http_terreau)[0])[0]
    assert refused == "messages.commands.moderators_only"
    for trigger, user in (("t2", "U0MO"), ("t3", "U0OWEN"), ("t4", "U0GINA")):
        await http_terreau.command(command("posts list", user=user, trigger=trigger))
    await until(lambda: len(ephemeral_texts(http_terreau)) == 4)
    for text in ephemeral_texts(http_terreau)[1:]:
        key, shown = http_terreau.said(text, "rituals")
        assert key == "messages.posts.list.body"
        assert [ritual["name"] for ritual in shown["rituals"]] == ["question"]  # type: ignore[attr-defined]
    events = [e for e in http_terreau.events if isinstance(e, CommandInvoked)]
    assert [(e.member.id, e.member.is_admin, sorted(e.member.roles)) for e in events] == [
        ("U0ALICE", False, []),
        ("U0MO", True, []),
        ("U0OWEN", True, []),
        ("U0GINA", False, ["S0MODS"]),
    ]


async def test_moderator_rights_are_checked_again_after_the_cache_expires(
    http_terreau: SlackTerreau,
) -> None:
    from datetime import timedelta

    from tests.adapters.slack.conftest import START

    await http_terreau.command(command("posts list", user="U0MO", trigger="t1"))
    await until(lambda: len(ephemeral_texts(http_terreau)) == 1)
    http_terreau.fake.users["U0MO"]["is_admin"] = False
    clock = http_terreau.app.clock
    await clock.set(START + timedelta(minutes=2))  # type: ignore[attr-defined]
    await http_terreau.command(command("posts list", user="U0MO", trigger="t2"))
    await until(lambda: len(ephemeral_texts(http_terreau)) == 2)
    assert http_terreau.said(ephemeral_texts(http_terreau)[1])[0] == (
        "messages.commands.moderators_only"
    )


async def test_posts_now_posts_in_the_channel(http_terreau: SlackTerreau) -> None:
    await http_terreau.command(command("posts now question", user="U0MO"))
    await until(lambda: bool(ephemeral_texts(http_terreau)))
    [post] = http_terreau.fake.called("chat.postMessage")
    assert post.params["channel"] == "C0GENERAL"
    assert post.params["blocks"][0]["type"] == "rich_text"
    async with http_terreau.app.database.transaction() as uow:
        [row] = await uow.outbox.pending(limit=10) or [None]
    assert row is None


async def test_a_button_click_reaches_choice_made(http_terreau: SlackTerreau) -> None:
    clicks: list[ChoiceMade] = []

    async def on_poll(event: ChoiceMade) -> None:
        clicks.append(event)
        await http_terreau.app.reply(event, "messages.choices.expired")

    http_terreau.app.on_choice("poll", on_poll)
    payload = load("block_actions_button.json")
    payload["response_url"] = f"{http_terreau.fake.base}/response/1"
    status, body = await http_terreau.action(payload)
    assert (status, body) == (200, "")
    await until(lambda: bool(http_terreau.fake.responses))
    [click] = clicks
    assert click.choice_id == "poll:42:dune"
    assert click.member.display_name == "bob"
    [answer] = http_terreau.fake.responses
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is False
    assert http_terreau.fake.called("chat.postEphemeral") == []


async def test_the_ack_does_not_wait_for_slow_work(http_terreau: SlackTerreau) -> None:
    release = asyncio.Event()
    started: list[ChoiceMade] = []

    async def slow(event: ChoiceMade) -> None:
        started.append(event)
        await release.wait()

    http_terreau.app.on_choice("poll", slow)
    status, _ = await http_terreau.action(load("block_actions_button.json"))
    assert status == 200
    await until(lambda: bool(started))
    assert not release.is_set()
    release.set()


async def test_every_declared_command_is_reachable_from_slack(http_terreau: SlackTerreau) -> None:
    commands = list(http_terreau.app.commands)
    assert {c.group for c in commands} >= {"help", "posts"}
    for number, declared in enumerate(commands):
        words = [declared.group, declared.action] if declared.group != "help" else ["help"]
        words += ["question" if o.name == "ritual" else "1" for o in declared.options if o.required]
        await http_terreau.command(command(" ".join(words), user="U0MO", trigger=f"t{number}"))
        # Some commands answer privately, others post in the channel: wait for the call.
        await until(
            lambda number=number: (
                sum(isinstance(e, CommandInvoked) for e in http_terreau.events) == number + 1
            )
        )
    answers = [http_terreau.said(text)[0] for text in ephemeral_texts(http_terreau)]
    unknown = {"messages.commands.unknown_group", "messages.commands.unknown_action"}
    assert all(PROMPTS.catalog("en").has(key) for key in unknown)
    assert not unknown & set(answers), answers
    invoked = [e for e in http_terreau.events if isinstance(e, CommandInvoked)]
    assert [(e.group, e.action) for e in invoked] == [(c.group, c.action) for c in commands]


async def test_a_lost_answer_from_slack_never_posts_a_ritual_twice(
    http_terreau: SlackTerreau,
) -> None:
    from datetime import timedelta

    fake = http_terreau.fake
    fake.failures["chat.postMessage"] = ["after"]
    await http_terreau.command(command("posts now question", user="U0MO"))
    await until(lambda: len(fake.called("chat.postMessage")) == 1)
    clock = http_terreau.app.clock
    assert isinstance(clock, ManualClock)
    # The outbox retries on the clock: move it to each wait's end until the answer comes.
    await wake_sleepers(
        clock, lambda: bool(ephemeral_texts(http_terreau)), within=timedelta(minutes=5)
    )
    assert len(fake.called("chat.postMessage")) == 1
    [posted] = fake.messages["C0GENERAL"]
    async with http_terreau.app.database.transaction() as uow:
        row = await uow.outbox.get(1)
    assert row is not None
    assert (row.status, row.message_id) == ("sent", posted["ts"])


async def test_the_app_uninstalled_records_the_workspaces_departure(
    http_terreau: SlackTerreau,
) -> None:
    app = http_terreau.app
    removed: list[BotRemoved] = []

    async def record(event: BotRemoved) -> None:  # subscribed after the privacy feature
        removed.append(event)

    app.dispatcher.subscribe(BotRemoved, record)

    status, _ = await http_terreau.event(load("app_uninstalled.json"))

    assert status == 200
    await until(lambda: bool(removed))
    async with app.database.read() as uow:
        community = await uow.communities.get("slack:T0TERREAU")
    assert community is not None
    assert community.left_at == datetime.fromtimestamp(1795420800, tz=UTC)


async def test_a_name_is_looked_up_once_then_again_once_it_is_old(
    http_terreau: SlackTerreau, clock: ManualClock
) -> None:
    def reply(number: int) -> dict[str, Any]:
        envelope = load("message_thread_reply.json")
        envelope["event_id"] = f"Ev{number}"
        envelope["event"].update(user="U0ALICE", ts=f"1700000{number}.000100")
        return envelope

    for number in range(3):
        await http_terreau.event(reply(number))
    await until(lambda: len(http_terreau.events) == 3)
    lookups = [
        call for call in http_terreau.fake.called("users.info") if call.params["user"] == "U0ALICE"
    ]
    assert len(lookups) == 1
    http_terreau.fake.add_user("U0ALICE", "Alice B.")

    await clock.advance(NAME_TTL - timedelta(seconds=1))
    await http_terreau.event(reply(3))
    await clock.advance(timedelta(seconds=2))
    await http_terreau.event(reply(4))
    await until(lambda: len(http_terreau.events) == 5)

    names = [event.member.display_name for event in http_terreau.events]  # type: ignore[attr-defined]
    assert names == ["Alice", "Alice", "Alice", "Alice", "Alice B."]
