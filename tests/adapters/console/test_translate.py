"""translate_line is pure: one line and a session snapshot in, an Outcome out."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from adapters.console.translate import Context, MessageRecord, Outcome, translate_line
from bot.domain import (
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
    ThreadCreated,
)

pytestmark = pytest.mark.console

NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
COMMUNITY = "console:local"
CHANNELS = {"general": "general", "offtopic": "random"}


def member(name: str, *, admin: bool = False) -> Member:
    return Member(id=name, display_name=name, is_admin=admin, joined_at=NOW)


def context(
    *,
    members: Mapping[str, Member] | None = None,
    messages: Mapping[int, MessageRecord] | None = None,
    **changes: object,
) -> Context:
    """A read-only session: any mutation by translate_line would raise."""
    present = {"you": member("you", admin=True)} if members is None else dict(members)
    base = Context(
        community=COMMUNITY,
        channels=MappingProxyType(dict(CHANNELS)),
        channel_id="general",
        speaker="you",
        moderators=frozenset({"you"}),
        members=MappingProxyType(present),
        messages=MappingProxyType(dict(messages or {})),
        next_number=1,
        event_prefix="console-test",
        next_event=1,
        now=NOW,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def with_messages(*records: MessageRecord, **changes: object) -> Context:
    present = {name: member(name, admin=name == "you") for name in ("you", "alice", "bob")}
    next_number = max(record.number for record in records) + 1
    return context(
        members=present,
        messages={record.number: record for record in records},
        next_number=next_number,
        **changes,
    )


def only(outcome: Outcome) -> object:
    assert outcome.error is None, outcome.error
    assert len(outcome.events) == 1, outcome.events
    return outcome.events[0]


# Messages and speakers.


def test_a_plain_line_is_a_message_in_the_current_channel() -> None:
    outcome = translate_line("hello everyone", context(next_number=7, next_event=3))
    assert outcome.events == (
        MessagePosted(
            event_id="console-test-3",
            community=COMMUNITY,
            occurred_at=NOW,
            member=member("you", admin=True),
            channel_id="general",
            message_id="7",
            text="hello everyone",
        ),
    )
    assert outcome.records == (MessageRecord(number=7, channel_id="general", author_id="you"),)
    assert outcome.echo == "you> hello everyone"


def test_a_new_speaker_joins_before_speaking() -> None:
    outcome = translate_line("alice> hello", context())
    joined, posted = outcome.events
    assert joined == MemberJoined(
        event_id="console-test-1", community=COMMUNITY, occurred_at=NOW, member=member("alice")
    )
    assert isinstance(posted, MessagePosted)
    assert posted.event_id == "console-test-2"
    assert posted.member == member("alice")
    assert posted.text == "hello"
    assert outcome.echo == "alice> hello"


def test_moderators_are_admins() -> None:
    ctx = context(members={}, moderators=frozenset({"mod"}))
    joined, _ = translate_line("mod> hi", ctx).events
    assert isinstance(joined, MemberJoined)
    assert joined.member.is_admin
    joined, _ = translate_line("carol> hi", ctx).events
    assert isinstance(joined, MemberJoined)
    assert not joined.member.is_admin


def test_the_default_speaker_is_the_contexts() -> None:
    ctx = context(members={"bob": member("bob")}, speaker="bob")
    posted = only(translate_line("hi", ctx))
    assert isinstance(posted, MessagePosted)
    assert posted.member.id == "bob"


def test_a_name_prefix_needs_a_space_so_ordinary_text_is_not_a_speaker() -> None:
    posted = only(translate_line("x>y holds", context()))
    assert isinstance(posted, MessagePosted)
    assert posted.text == "x>y holds"
    assert posted.member.id == "you"


def test_mentions_name_present_members_only() -> None:
    ctx = context(members={"you": member("you"), "alice": member("alice")})
    posted = only(translate_line("hi @alice, @alice. and @everyone @here @nobody", ctx))
    assert isinstance(posted, MessagePosted)
    assert posted.mentions == ("alice",)


def test_member_text_with_markers_is_kept_literally() -> None:
    text = "look \ue0000\ue001 @everyone"
    posted = only(translate_line(text, context()))
    assert isinstance(posted, MessagePosted)
    assert posted.text == text
    assert posted.mentions == ()


# Commands.


@pytest.mark.parametrize(
    ("line", "group", "action", "text"),
    [
        ("/terreau election vote", "election", "vote", "vote"),
        (
            "/terreau Game poll 'Best day?' \"Mon, Tue\"",
            "game",
            "poll",
            "poll 'Best day?' \"Mon, Tue\"",
        ),
        ("/terreau report Q1", "report", "Q1", "Q1"),
        ("/terreau", "help", "", ""),
        ("/terreau help election", "help", "election", "election"),
        ("/terreau election", "election", "", ""),
        (
            "/terreau election nominate @bob she's always there",
            "election",
            "nominate",
            "nominate @bob she's always there",
        ),
    ],
)
def test_commands(line: str, group: str, action: str, text: str) -> None:
    command = only(translate_line(line, context()))
    assert isinstance(command, CommandInvoked)
    assert (command.group, command.action, command.text) == (group, action, text)
    assert command.channel_id == "general"
    assert command.interaction_id == command.event_id


def test_a_command_as_another_member() -> None:
    outcome = translate_line("alice> /terreau election vote", context())
    joined, command = outcome.events
    assert isinstance(joined, MemberJoined)
    assert isinstance(command, CommandInvoked)
    assert command.member.id == "alice"
    assert outcome.records == ()


# Replies, reactions, choices, threads.

BOT_POST = MessageRecord(
    number=12, channel_id="random", choice_ids=("poll:1:yes", "poll:1:no", "poll:1:maybe")
)


def test_a_reply_goes_where_the_original_is() -> None:
    ctx = with_messages(BOT_POST)
    posted = only(translate_line("/reply 12 sounds good", ctx))
    assert isinstance(posted, MessagePosted)
    assert (posted.channel_id, posted.reply_to, posted.message_id) == ("random", "12", "13")
    assert posted.text == "sounds good"


def test_a_reply_inside_a_thread_stays_in_it() -> None:
    in_thread = MessageRecord(number=14, channel_id="random", author_id="bob", thread_id="12")
    ctx = with_messages(dataclasses.replace(BOT_POST, has_thread=True), in_thread)
    posted = only(translate_line("alice> /reply #14 agreed", ctx))
    assert isinstance(posted, MessagePosted)
    assert (posted.thread_id, posted.reply_to) == ("12", "14")


@pytest.mark.parametrize(
    ("line", "emoji", "kind"),
    [
        ("/react 12 👍", "👍", ReactionAdded),
        ("/react 12 :thumbsup:", "👍", ReactionAdded),
        ("/react 12 :tada:", "🎉", ReactionAdded),
        ("/react 12 :party_parrot:", ":party_parrot:", ReactionAdded),
        ("/unreact 12 👍", "👍", ReactionRemoved),
        ("bob> /unreact 12 :+1:", "👍", ReactionRemoved),
    ],
)
def test_reactions(line: str, emoji: str, kind: type[object]) -> None:
    reaction = only(translate_line(line, with_messages(BOT_POST)))
    assert isinstance(reaction, ReactionAdded | ReactionRemoved)
    assert type(reaction) is kind
    assert (reaction.emoji, reaction.message_id, reaction.channel_id) == (emoji, "12", "random")


def test_choose_picks_the_choice_id() -> None:
    made = only(translate_line("alice> /choose 12 2", with_messages(BOT_POST)))
    assert isinstance(made, ChoiceMade)
    assert made.choice_id == "poll:1:no"
    assert (made.message_id, made.channel_id, made.member.id) == ("12", "random", "alice")
    assert made.interaction_id == made.event_id


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/choose 12 4", "#12 has no choice [4] (choices 1 to 3)"),
        ("/choose 12 0", "choices are numbered from 1"),
        ("/choose 99 1", "there is no message #99"),
        ("/choose 13 1", "#13 has no choices"),
        ("/choose 12", "/choose takes a message number and a choice number"),
        ("/choose 12 two", "/choose takes a message number and a choice number"),
    ],
)
def test_choose_errors(line: str, error: str) -> None:
    plain = MessageRecord(number=13, channel_id="general", author_id="alice")
    outcome = translate_line(line, with_messages(BOT_POST, plain))
    assert outcome.events == ()
    assert outcome.error is not None
    assert error in outcome.error


def test_a_private_response_belongs_to_its_member() -> None:
    ballot = MessageRecord(
        number=20, channel_id="general", choice_ids=("election:3:bob",), audience="alice"
    )
    ctx = with_messages(ballot)
    made = only(translate_line("alice> /choose 20 1", ctx))
    assert isinstance(made, ChoiceMade)
    assert made.choice_id == "election:3:bob"
    stolen = translate_line("bob> /choose 20 1", ctx)
    assert stolen.error == "message #20 is only visible to alice"
    assert translate_line("alice> /react 20 👍", ctx).error == (
        "#20 is a private response: nobody can react to it"
    )
    assert translate_line("alice> /reply 20 hm", ctx).error == (
        "#20 is a private response: nobody can reply to it"
    )


def test_a_direct_message_takes_clicks_and_reactions_from_its_recipient() -> None:
    dm = MessageRecord(
        number=21, channel_id="dm-bob", choice_ids=("icebreaker:1:ok",), audience="bob", direct=True
    )
    ctx = with_messages(dm)
    assert isinstance(only(translate_line("bob> /choose 21 1", ctx)), ChoiceMade)
    assert isinstance(only(translate_line("bob> /react 21 👍", ctx)), ReactionAdded)
    assert translate_line("bob> /thread 21 hi", ctx).error == (
        "#21 is a direct message: the console cannot open a thread on it"
    )
    assert translate_line("alice> /react 21 👍", ctx).error == "message #21 is only visible to bob"


def test_thread_opens_one_when_there_is_none() -> None:
    outcome = translate_line("alice> /thread 12 first!", with_messages(BOT_POST))
    created, posted = outcome.events
    assert isinstance(created, ThreadCreated)
    assert (created.thread_id, created.parent_message_id, created.channel_id) == (
        "12",
        "12",
        "random",
    )
    assert isinstance(posted, MessagePosted)
    assert (posted.thread_id, posted.message_id, posted.text) == ("12", "13", "first!")
    assert outcome.records == (
        dataclasses.replace(BOT_POST, has_thread=True),
        MessageRecord(number=13, channel_id="random", author_id="alice", thread_id="12"),
    )


def test_thread_posts_in_an_existing_thread() -> None:
    ctx = with_messages(dataclasses.replace(BOT_POST, has_thread=True))
    posted = only(translate_line("/thread 12 more", ctx))
    assert isinstance(posted, MessagePosted)
    assert posted.thread_id == "12"


def test_thread_on_a_message_inside_a_thread_uses_that_thread() -> None:
    inner = MessageRecord(number=13, channel_id="random", author_id="bob", thread_id="12")
    ctx = with_messages(dataclasses.replace(BOT_POST, has_thread=True), inner)
    posted = only(translate_line("/thread 13 same thread", ctx))
    assert isinstance(posted, MessagePosted)
    assert posted.thread_id == "12"


# Edits and deletions.

ALICE_SAID = MessageRecord(number=5, channel_id="general", author_id="alice")


def test_edit_own_message() -> None:
    edited = only(translate_line("alice> /edit 5 fixed typo", with_messages(ALICE_SAID)))
    assert isinstance(edited, MessageEdited)
    assert (edited.message_id, edited.member.id, edited.channel_id) == ("5", "alice", "general")


def test_edit_someone_elses_message_is_refused() -> None:
    outcome = translate_line("bob> /edit 5 hijack", with_messages(ALICE_SAID))
    assert outcome.events == ()
    assert outcome.error == "#5 was posted by alice; only its author can edit it"


def test_delete_by_author_and_moderator_not_by_others() -> None:
    ctx = with_messages(ALICE_SAID)
    by_author = translate_line("alice> /delete 5", ctx)
    deleted = only(by_author)
    assert isinstance(deleted, MessageDeleted)
    assert (deleted.message_id, deleted.member_id) == ("5", "alice")
    assert by_author.records == (dataclasses.replace(ALICE_SAID, deleted=True),)
    assert isinstance(only(translate_line("/delete 5", ctx)), MessageDeleted)
    assert translate_line("bob> /delete 5", ctx).error == (
        "#5 was posted by alice; only its author or a moderator can delete it"
    )


def test_a_deleted_message_cannot_be_used() -> None:
    ctx = with_messages(dataclasses.replace(ALICE_SAID, deleted=True))
    assert translate_line("/react 5 👍", ctx).error == "message #5 was deleted"


# Session lines.


@pytest.mark.parametrize(
    ("line", "channel"),
    [("/in random", "random"), ("/in #random", "random"), ("/in offtopic", "random")],
)
def test_switch_channel(line: str, channel: str) -> None:
    assert translate_line(line, context()) == Outcome(channel_id=channel, echo=line)


def test_unknown_channel_lists_the_known_ones() -> None:
    outcome = translate_line("/in kitchen", context())
    assert outcome.error == "unknown channel 'kitchen'; known channels: #general, #random"


def test_switch_speaker_produces_no_event() -> None:
    assert translate_line("/as alice", context()) == Outcome(speaker="alice", echo="/as alice")


def test_join_and_leave() -> None:
    joined = only(translate_line("/join bob", context()))
    assert joined == MemberJoined(
        event_id="console-test-1", community=COMMUNITY, occurred_at=NOW, member=member("bob")
    )
    left = only(translate_line("/leave you", context()))
    assert left == MemberLeft(
        event_id="console-test-1", community=COMMUNITY, occurred_at=NOW, member_id="you"
    )
    assert translate_line("/join you", context()).error == "you is already a member"
    assert translate_line("/leave bob", context()).error == "bob is not a member"


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("3d", timedelta(days=3)),
        ("45s", timedelta(seconds=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
    ],
)
def test_wait(duration: str, expected: timedelta) -> None:
    outcome = translate_line(f"/wait {duration}", context())
    assert outcome.wait == expected
    assert outcome.events == ()


@pytest.mark.parametrize("line", ["", "   ", "# a comment", "  # indented comment"])
def test_blank_lines_and_comments_do_nothing(line: str) -> None:
    assert translate_line(line, context()) == Outcome()


def test_quit_and_help() -> None:
    assert translate_line("/quit", context()).quit
    assert translate_line("/help", context()).help


# Errors.


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/fly away", "unknown command /fly (type /help)"),
        ("alice>", "alice> says nothing"),
        ("alice>    ", "alice> says nothing"),
        ("everyone> hi", "'everyone' is reserved"),
        ("🦊🦊> hi", "'🦊🦊' is not a member name"),
        ("🦊🦊> hi", "to post this line as text, name its speaker first: you> 🦊🦊> hi"),
        ("x" * 33 + "> hi", "is not a member name"),
        ("/as here", "'here' is reserved"),
        ("/as al ice", "/as takes exactly one member name"),
        ("/join " + "x" * 33, "invalid member name"),
        ("alice> /wait 2h", "'alice>' cannot prefix /wait"),
        ("bob> /in random", "'bob>' cannot prefix /in"),
        ("/wait", "/wait takes exactly one duration"),
        ("/wait 2x", "invalid duration '2x'"),
        ("/wait 0m", "duration '0m' must be longer than zero"),
        ("/wait 90", "invalid duration '90'"),
        ("/reply twelve ok", "/reply: no message is labelled 'twelve' (labels: none yet)"),
        ("/reply 1x ok", "/reply: '1x' is not a message (a number such as 12, `last`"),
        ("/reply 12", "/reply 12 needs some text"),
        ("/reply", "/reply needs a message"),
        ("/choose last 1", "/choose last: no message in #general (or your direct messages)"),
        ("/label question", "/label takes a name and a message"),
        ("/label last 3", "'last' cannot be a label"),
        ("/label 9lives 3", "'9lives' cannot be a label"),
        ("/react 12", "/react takes a message number and one emoji"),
        ("/react 12 👍 🎉", "/react takes a message number and one emoji"),
        ("/delete", "/delete takes exactly one message"),
        ("/edit 5", "/edit 5 needs some text"),
        ("/quit now", "/quit takes no arguments"),
        ("/reply 99 hello?", "there is no message #99"),
    ],
)
def test_errors_name_the_problem_and_produce_nothing(line: str, error: str) -> None:
    outcome = translate_line(line, context())
    assert outcome.error is not None
    assert error in outcome.error
    assert outcome.events == ()
    assert outcome.records == ()


def test_a_line_refused_for_its_speaker_posts_once_a_speaker_is_named() -> None:
    posted = only(translate_line("you> 🦊🦊> hi", context()))
    assert isinstance(posted, MessagePosted)
    assert (posted.member.id, posted.text) == ("you", "🦊🦊> hi")


# Naming messages without their numbers: `last` and labels.

BALLOT = MessageRecord(
    number=3, channel_id="general", choice_ids=("el:1:a", "el:1:b"), audience="alice"
)
ROOM = (
    MessageRecord(number=1, channel_id="general", choice_ids=("poll:1:yes", "poll:1:no")),
    MessageRecord(number=2, channel_id="general", author_id="bob"),
    BALLOT,
    MessageRecord(number=4, channel_id="general", audience="alice"),  # "your vote is in"
    MessageRecord(number=5, channel_id="general", choice_ids=("x:1:y",), audience="bob"),
    MessageRecord(number=6, channel_id="random", choice_ids=("x:2:y",)),
)


def test_last_is_the_newest_message_the_action_can_apply_to() -> None:
    ctx = with_messages(*ROOM)
    click = only(translate_line("alice> /choose last 2", ctx))
    assert isinstance(click, ChoiceMade) and click.choice_id == "el:1:b"
    click = only(translate_line("bob> /choose last 1", ctx))
    assert isinstance(click, ChoiceMade) and click.choice_id == "x:1:y"
    click = only(translate_line("you> /choose last 1", ctx))
    assert isinstance(click, ChoiceMade) and click.choice_id == "poll:1:yes"
    reply = only(translate_line("alice> /reply last same here", ctx))
    assert isinstance(reply, MessagePosted) and reply.reply_to == "2"
    outcome = translate_line("alice> /edit last oops", ctx)
    assert outcome.error is not None and "/edit last: no message in #general" in outcome.error


def test_a_label_names_a_message_for_later_lines() -> None:
    ctx = with_messages(*ROOM)
    outcome = translate_line("/label poll last", ctx)
    assert outcome.error is None and outcome.label == ("poll", 2)
    outcome = translate_line("/label poll #1", ctx)
    assert outcome.label == ("poll", 1) and outcome.echo == "/label poll #1  (#1)"
    labelled = dataclasses.replace(ctx, labels=MappingProxyType({"poll": 1}))
    click = only(translate_line("bob> /choose poll 2", labelled))
    assert isinstance(click, ChoiceMade) and click.choice_id == "poll:1:no"
    reply = only(translate_line("alice> /reply #poll nice one", labelled))
    assert isinstance(reply, MessagePosted) and reply.reply_to == "1"
