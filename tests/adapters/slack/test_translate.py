"""Recorded Slack payloads through the pure translate functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.commands import parse_command, read_text
from adapters.slack.translate import translate_action, translate_event, translate_events
from bot.domain import (
    BotRemoved,
    ChoiceMade,
    CommandInvoked,
    Member,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)

pytestmark = pytest.mark.slack

PAYLOADS = Path(__file__).parent / "payloads"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
OWN = {"U0TERREAU"}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


def test_a_channel_message_becomes_message_posted_with_its_mentions() -> None:
    event = translate_event(load("message.json"), own_user_ids=OWN)
    assert isinstance(event, MessagePosted)
    assert event.event_id == "Ev0MSG0001"
    assert event.community == "slack:T0TERREAU"
    assert event.member.id == "U0ALICE"
    assert (event.channel_id, event.message_id, event.thread_id) == (
        "C0GENERAL",
        "1763800800.000200",
        None,
    )
    assert event.mentions == ("U0BOB",)
    assert event.occurred_at == datetime.fromtimestamp(1763800800.0002, tz=UTC)


def test_a_thread_reply_names_its_thread() -> None:
    event = translate_event(load("message_thread_reply.json"), own_user_ids=OWN)
    assert isinstance(event, MessagePosted)
    assert event.thread_id == "1763800800.000200"
    assert event.message_id == "1763800860.000300"


@pytest.mark.parametrize(
    "name",
    [
        "message_bot.json",
        "message_own.json",
        "message_channel_join.json",
        "message_changed_unfurl.json",
        "member_joined_channel.json",
        "reaction_added_file.json",
    ],
)
def test_bots_terreau_itself_and_system_notices_are_ignored(name: str) -> None:
    assert translate_event(load(name), own_user_ids=OWN) is None


def test_terreau_is_recognised_by_its_user_id_even_without_bot_id() -> None:
    payload = load("message.json")
    payload["event"]["user"] = "U0TERREAU"
    assert translate_event(payload, own_user_ids=OWN) is None
    assert translate_event(payload, own_user_ids=()) is not None


def test_an_edit_and_a_delete_reach_the_log() -> None:
    edited = translate_event(load("message_changed.json"), own_user_ids=OWN)
    assert isinstance(edited, MessageEdited)
    assert (edited.member.id, edited.message_id) == ("U0ALICE", "1763800800.000200")
    deleted = translate_event(load("message_deleted.json"), own_user_ids=OWN)
    assert isinstance(deleted, MessageDeleted)
    assert (deleted.member_id, deleted.message_id, deleted.thread_id) == (
        "U0BOB",
        "1763800860.000300",
        "1763800800.000200",
    )


def test_reactions_added_and_removed() -> None:
    added = translate_event(load("reaction_added.json"), own_user_ids=OWN)
    removed = translate_event(load("reaction_removed.json"), own_user_ids=OWN)
    assert isinstance(added, ReactionAdded)
    assert isinstance(removed, ReactionRemoved)
    assert (added.member.id, added.message_id, added.emoji) == (
        "U0BOB",
        "1763800800.000200",
        "thumbsup",
    )
    assert added.event_id != removed.event_id


def test_team_join_and_a_deactivated_account() -> None:
    joined = translate_event(load("team_join.json"), own_user_ids=OWN)
    assert isinstance(joined, MemberJoined)
    assert (joined.member.id, joined.member.display_name) == ("U0DAVE", "dave.m")
    left = translate_event(load("user_change_deactivated.json"), own_user_ids=OWN)
    assert isinstance(left, MemberLeft)
    assert left.member_id == "U0DAVE"


def test_the_app_uninstalled_is_bot_removed_at_the_event_time() -> None:
    event = translate_event(load("app_uninstalled.json"), own_user_ids=OWN)
    assert event == BotRemoved(
        event_id="Ev0UNINST01",
        community="slack:T0TERREAU",
        occurred_at=datetime.fromtimestamp(1795420800, tz=UTC),
    )


def test_a_revoked_bot_token_is_bot_removed_and_a_members_token_is_not() -> None:
    event = translate_event(load("tokens_revoked.json"), own_user_ids=OWN)
    assert event == BotRemoved(
        event_id="Ev0REVOKE01",
        community="slack:T0TERREAU",
        occurred_at=datetime.fromtimestamp(1795420800.0001, tz=UTC),
    )
    assert translate_event(load("tokens_revoked_user.json"), own_user_ids=OWN) is None


def test_a_malformed_event_is_dropped_not_raised() -> None:
    payload = load("reaction_added.json")
    del payload["event"]["item"]["channel"]
    assert translate_event(payload, own_user_ids=OWN) is None
    assert translate_event({"type": "event_callback"}, own_user_ids=OWN) is None


def test_a_button_click_carries_the_stable_choice_id() -> None:
    choice = translate_action(load("block_actions_button.json"), now=NOW)
    assert isinstance(choice, ChoiceMade)
    assert choice.choice_id == "poll:42:dune"
    assert choice.feature == "poll"
    assert (choice.member.id, choice.channel_id, choice.message_id) == (
        "U0BOB",
        "C0GENERAL",
        "1763800920.000500",
    )
    assert choice.event_id == "act-1234567890123.1234567890123.abcdef1234567890"


def test_a_select_carries_the_picked_choice_id() -> None:
    choice = translate_action(load("block_actions_select.json"), now=NOW)
    assert isinstance(choice, ChoiceMade)
    assert choice.choice_id == "poll:43:thu"


def test_a_member_picked_in_a_users_select_follows_the_pickers_id() -> None:
    payload = load("block_actions_select.json")
    payload["actions"] = [
        {"type": "users_select", "action_id": "invites:from", "selected_user": "U0ALICE"}
    ]
    choice = translate_action(payload, now=NOW)
    assert isinstance(choice, ChoiceMade)
    assert choice.choice_id == "invites:from:U0ALICE"
    payload["actions"][0]["selected_user"] = None  # cleared: nothing picked
    assert translate_action(payload, now=NOW) is None


def test_a_click_without_a_choice_id_is_ignored() -> None:
    payload = load("block_actions_button.json")
    payload["actions"][0]["value"] = "not-a-choice"
    payload["actions"][0]["action_id"] = "not-a-choice"
    assert translate_action(payload, now=NOW) is None


def test_the_slash_command_becomes_command_invoked() -> None:
    command = parse_command(load("slash_command.json"), now=NOW)
    assert isinstance(command, CommandInvoked)
    assert (command.group, command.action, command.text) == (
        "posts",
        "now",
        'now "weekly question"',
    )
    assert command.community == "slack:T0TERREAU"
    assert command.member.id == "U0ALICE"
    assert command.interaction_id == "13345224609.738474920.8088930838d88f008e0"
    assert command.event_id == "cmd-13345224609.738474920.8088930838d88f008e0"


def test_another_slash_command_is_not_ours() -> None:
    payload = load("slash_command.json")
    payload["command"] = "/giphy"
    assert parse_command(payload, now=NOW) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("help", "", "")),
        ("help posts", ("help", "posts", "posts")),
        ("Posts list", ("posts", "list", "list")),
        ("posts", ("posts", "", "")),
        ('me interests "board games" music', ("me", "interests", 'interests "board games" music')),
        ("me interests don't mind", ("me", "interests", "interests don't mind")),
        ("game poll &lt;3 &amp; more", ("game", "poll", "poll <3 & more")),
        ("game\xa0poll", ("game", "poll", "poll")),
        (
            "election nominate <@U0BOB|bob> great",
            ("election", "nominate", "nominate <@U0BOB|bob> great"),
        ),
    ],
)
def test_slack_escapes_are_undone_before_the_core_reads_the_line(
    text: str, expected: tuple[str, str, str]
) -> None:
    line = read_text(text)
    assert (line.group, line.action, line.text) == expected


def test_the_manifest_declares_what_the_adapter_handles() -> None:
    from adapters.slack.commands import COMMAND
    from adapters.slack.translate import handled_event_types

    manifest = json.loads(
        (Path(__file__).parents[3] / "adapters" / "slack" / "manifest.json").read_text()
    )
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == COMMAND
    assert command["should_escape"] is True  # mentions arrive as <@U...>, as the parser expects
    events = {
        event.split(".")[0] for event in manifest["settings"]["event_subscriptions"]["bot_events"]
    }
    assert events == handled_event_types()
    assert {"app_uninstalled", "tokens_revoked", "team_access_revoked"} <= events
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:write", "users:read", "usergroups:read"} <= scopes


def test_revoked_access_to_workspaces_is_bot_removed_in_each() -> None:
    # The envelope's team (the organization's) is not among the workspaces lost.
    events = translate_events(load("team_access_revoked.json"), own_user_ids=OWN)
    at = datetime.fromtimestamp(1795420800.0002, tz=UTC)
    assert events == (
        BotRemoved(event_id="Ev0ACCESS01", community="slack:T0TERREAU", occurred_at=at),
        BotRemoved(event_id="Ev0ACCESS01", community="slack:T0ELSEWHERE", occurred_at=at),
    )


def test_revoked_access_without_team_ids_is_dropped_not_raised() -> None:
    payload = load("team_access_revoked.json")
    del payload["event"]["team_ids"]
    assert translate_events(payload, own_user_ids=OWN) == ()


def test_an_envelope_of_one_event_is_that_event() -> None:
    assert translate_events(load("app_uninstalled.json"), own_user_ids=OWN) == (
        translate_event(load("app_uninstalled.json"), own_user_ids=OWN),
    )
    assert translate_events(load("message_bot.json"), own_user_ids=OWN) == ()


@pytest.mark.parametrize(
    "name", ["message.json", "message_changed.json", "reaction_added.json", "reaction_removed.json"]
)
def test_members_are_whoever_the_given_lookup_says_else_their_id(name: str) -> None:
    names = {"U0ALICE": "Alice", "U0BOB": "Bob"}

    def member(user_id: str) -> Member:
        return Member(id=user_id, display_name=names[user_id])

    plain = translate_event(load(name), own_user_ids=OWN)
    named = translate_event(load(name), own_user_ids=OWN, member=member)

    assert isinstance(plain, MessagePosted | MessageEdited | ReactionAdded | ReactionRemoved)
    assert isinstance(named, type(plain))
    assert plain.member == Member(id=plain.member.id, display_name=plain.member.id)
    assert named.member == Member(id=plain.member.id, display_name=names[plain.member.id])
