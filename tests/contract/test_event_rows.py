"""The pure mapping from domain events to interaction log rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain import (
    ChoiceMade,
    CommandInvoked,
    Event,
    Member,
    MemberJoined,
    MemberLeft,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
    ThreadCreated,
)
from bot.storage import InteractionRow, interaction_from_event

pytestmark = [pytest.mark.ingest, pytest.mark.storage]

AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ALICE = Member(id="u1", display_name="Alice", joined_at=datetime(2024, 1, 1, tzinfo=UTC))
ROBOT = Member(id="b1", display_name="Robot", is_bot=True)
BASE: dict[str, Any] = {"event_id": "ev", "community": "fake:g", "occurred_at": AT}


def row(event: Event, *, store_content: bool = False) -> InteractionRow:
    result = interaction_from_event(event, 7, store_content=store_content)
    assert result is not None
    assert (result.community_id, result.event_id, result.occurred_at) == (7, "ev", AT)
    return result


def test_messages_and_replies() -> None:
    plain = row(MessagePosted(**BASE, member=ALICE, channel_id="c", message_id="m", text="hi"))
    assert (plain.kind, plain.member_id, plain.member_name, plain.content) == (
        "message",
        "u1",
        "Alice",
        None,
    )
    assert plain.joined_at == ALICE.joined_at
    assert not plain.is_bot
    reply = row(
        MessagePosted(**BASE, member=ALICE, channel_id="c", message_id="m", reply_to="p"),
    )
    threaded = row(
        MessagePosted(**BASE, member=ALICE, channel_id="c", message_id="m", thread_id="t"),
    )
    assert (reply.kind, reply.reply_to) == ("reply", "p")
    assert (threaded.kind, threaded.thread_id) == ("reply", "t")


def test_message_and_reaction_rows_are_whole() -> None:
    # Every field, named: these rows are built by position.
    message = MessagePosted(
        **BASE, member=ALICE, channel_id="c", thread_id="t", message_id="m", text="why?"
    )
    reaction = ReactionAdded(
        **BASE, member=ROBOT, channel_id="c", thread_id="t", message_id="m", emoji="👍"
    )
    assert row(message, store_content=True) == InteractionRow(
        community_id=7,
        event_id="ev",
        kind="reply",
        occurred_at=AT,
        channel_id="c",
        thread_id="t",
        member_id="u1",
        message_id="m",
        content="why?",
        member_name="Alice",
        joined_at=ALICE.joined_at,
    )
    assert row(reaction) == InteractionRow(
        community_id=7,
        event_id="ev",
        kind="reaction",
        occurred_at=AT,
        channel_id="c",
        thread_id="t",
        member_id="b1",
        message_id="m",
        target="👍",
        meta={"bot": True},
        member_name="Robot",
    )


def test_content_is_kept_only_when_enabled() -> None:
    event = MessagePosted(**BASE, member=ALICE, channel_id="c", message_id="m", text="hi")
    assert row(event, store_content=True).content == "hi"
    assert row(event).content is None


def test_bots_are_marked() -> None:
    posted = row(MessagePosted(**BASE, member=ROBOT, channel_id="c", message_id="m"))
    assert posted.is_bot
    assert dict(posted.meta or {}) == {"bot": True}


def test_every_event_type_has_its_kind() -> None:
    cases = {
        "edit": MessageEdited(**BASE, member=ALICE, channel_id="c", message_id="m"),
        "delete": MessageDeleted(**BASE, channel_id="c", message_id="m", member_id="u1"),
        "reaction": ReactionAdded(**BASE, member=ALICE, channel_id="c", message_id="m", emoji="👍"),
        "reaction_removed": ReactionRemoved(
            **BASE, member=ALICE, channel_id="c", message_id="m", emoji="👍"
        ),
        "join": MemberJoined(**BASE, member=Member(id="u2", display_name="Bo")),
        "leave": MemberLeft(**BASE, member_id="u2"),
        "thread": ThreadCreated(
            **BASE, member=ALICE, channel_id="c", thread_id="t", parent_message_id="m"
        ),
        "command": CommandInvoked(**BASE, member=ALICE, channel_id="c", group="me", action="data"),
        "choice": ChoiceMade(
            **BASE, member=ALICE, channel_id="c", message_id="m", choice_id="poll:p1:a"
        ),
    }
    rows = {kind: row(event) for kind, event in cases.items()}
    assert {kind: r.kind for kind, r in rows.items()} == {kind: kind for kind in cases}
    assert rows["reaction"].target == "👍"
    assert rows["command"].target == "me data"
    assert rows["choice"].target == "poll:p1"  # what was chosen may be a secret vote
    assert rows["thread"].message_id == "m"
    assert rows["join"].joined_at == AT  # the platform gave no join time: the event's
    assert rows["leave"].member_name is None
