"""Pure translation of one console line into domain events.

The console is a terminal chat in which the operator is a member of one local
community, and can speak as any other member. Every message shown on screen,
the bot's and the members', gets a number that later lines refer to.

Input syntax, one line at a time:

    hello everyone               a message in the current channel, as the current speaker
    alice> hello                 speak as alice (name: letters, digits, `_ . -`, 1 to 32);
                                 a member seen for the first time joins first
    alice> /terreau election vote
                                 run a command, read as on every text platform
                                 (`bot.command_line`): "quoted words" stay together,
                                 any other quote is text, free text takes the rest
                                 of the line; `/terreau` alone is the help group
    /reply 12 sounds good        reply to message #12
    /react 12 👍                 react to #12 (`:thumbsup:` and other shortcodes work)
    /unreact 12 👍               take a reaction back
    /choose 12 2                 click choice [2] of message #12
    /thread 12 text              post in the thread of #12, opening one if there is none
    /edit 12 text                edit your message #12
    /delete 12                   delete your message #12 (moderators: any message)
    /label question 12           name message #12 `question`
    /in general                  switch the current channel
    /as alice                    switch the current speaker
    /join bob, /leave bob        bob joins or leaves the community
    /join bob via alice          bob joins, brought by alice (`/terreau invite from`)
    /wait 2h                     pause until the clock has moved on (45s, 30m, 1h30m, 3d)
    /help                        show this help
    /quit                        stop reading (so does the end of the input)

A message is named by its number (`12`, `#12`), by `last` (the newest message
the action can apply to, in the current channel or the speaker's direct
messages) or by a `/label` name. A first word ending in `>` that is not a valid
name is an error, never posted. Lines starting with `#` and blank lines are
ignored. `translate_line` is pure:
it reads a `Context` (the session as it stands) and returns an `Outcome` (events
to deliver and changes to the session) without touching either.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypedDict

from adapters.console._syntax import (
    LAST,
    Choose,
    Delete,
    Edit,
    Join,
    Label,
    Leave,
    Line,
    LineError,
    MemberAction,
    MessageRef,
    PostInThread,
    Quit,
    React,
    Reply,
    RunCommand,
    Say,
    ShowHelp,
    SwitchChannel,
    SwitchSpeaker,
    Wait,
    parse_line,
)
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

log = logging.getLogger(__name__)

HELP = """\
Terreau console: you are a member of a local community.
  hello everyone            say something in the current channel
  alice> hello              say it as alice (she joins if she is new)
  /terreau <group> <action> [options]  run a command; the last free text takes the
                            rest of the line ("quote" a phrase followed by more options)
  /reply 12 text            reply to message #12
  /react 12 👍              react (also :thumbsup:)   /unreact 12 👍   take it back
  /choose 12 2              click choice [2] of message #12
  /thread 12 text           post in the thread of #12 (opens one if needed)
  /edit 12 text             edit your message         /delete 12   delete it
  /label q last             name the newest message you see `q`: /reply q ..., /choose q 1
  /in <channel>             switch channel            /as <name>   switch speaker
  /join <name>              a member joins            /leave <name>  a member leaves
  /join <name> via <who>    a member joins, brought by <who>
  /wait 2h                  let the clock run (45s, 30m, 1h30m, 3d)
  /help                     this help                 /quit        stop
A message is 12 or #12, `last` (the newest one the action can apply to) or a /label name.
Any line may start with `name> ` to act as that member. Lines starting with # are comments.\
"""

_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]{1,32})")


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageRecord:
    """What the console remembers about one numbered message.

    `audience` names the only member who sees the message (a private response or
    a direct message); `author_id` is None for the bot's own messages. A thread
    opened on a message has that message's number as its id.
    """

    number: int
    channel_id: str
    author_id: str | None = None
    thread_id: str | None = None
    choice_ids: tuple[str, ...] = ()
    audience: str | None = None
    direct: bool = False
    has_thread: bool = False
    deleted: bool = False

    @property
    def message_id(self) -> str:
        """Return the platform message id: the number as text."""
        return str(self.number)


@dataclass(frozen=True, kw_only=True, slots=True)
class Context:
    """The session as one line sees it: read, never changed, by `translate_line`."""

    community: str
    channels: Mapping[str, str]
    channel_id: str
    speaker: str
    moderators: Collection[str]
    members: Mapping[str, Member]
    messages: Mapping[int, MessageRecord]
    next_number: int
    event_prefix: str
    next_event: int
    now: datetime
    labels: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, kw_only=True, slots=True)
class Outcome:
    """What one line does: events to deliver, and changes the session must apply.

    `records` are new or replaced message records; `echo` is the line as
    `actor> text`, for transcripts; `label` names a message. `error` set means
    nothing else happened.
    """

    events: tuple[Event, ...] = ()
    records: tuple[MessageRecord, ...] = ()
    echo: str = ""
    channel_id: str | None = None
    speaker: str | None = None
    label: tuple[str, int] | None = None
    wait: timedelta | None = None
    quit: bool = False
    help: bool = False
    error: str | None = None


def translate_line(text: str, context: Context) -> Outcome:
    """Translate one input line against the session `context`."""
    try:
        line = parse_line(text, current=context.speaker)
        if isinstance(line.action, MemberAction):
            return _member_action(line, line.action, context)
        return _session_action(line, context)
    except LineError as error:
        return Outcome(error=str(error))


def mentioned_ids(text: str, members: Mapping[str, Member]) -> tuple[str, ...]:
    """Return the ids of present members named `@name` in member text, in order.

    Only members count: `@everyone`, `@here` and unknown names stay plain text.
    """
    found: list[str] = []
    for match in _MENTION.finditer(text):
        name = match.group(1)
        for candidate in (name, name.rstrip(".")):
            if candidate in members and candidate not in found:
                found.append(candidate)
                break
    return tuple(found)


def _session_action(line: Line, context: Context) -> Outcome:
    action = line.action
    echo = line.body
    if isinstance(action, SwitchChannel):
        return Outcome(channel_id=_channel(action.channel, context), echo=echo)
    if isinstance(action, SwitchSpeaker):
        return Outcome(speaker=action.name, echo=echo)
    if isinstance(action, Join):
        if action.name in context.members:
            raise LineError(f"{action.name} is already a member")
        newcomer = _new_member(action.name, context)
        events: tuple[Event, ...] = (MemberJoined(**_base(context), member=newcomer),)
        if action.via is not None:
            if action.via not in context.members:
                raise LineError(f"{action.via} is not a member")
            # Said by the newcomer, as on platforms where bots make no invitation links.
            events += (
                CommandInvoked(
                    **_base(context),
                    member=newcomer,
                    channel_id=context.channel_id,
                    group="invite",
                    action="from",
                    args=(f"@{action.via}",),
                ),
            )
        return Outcome(events=_numbered(events, context), echo=echo)
    if isinstance(action, Leave):
        if action.name not in context.members:
            raise LineError(f"{action.name} is not a member")
        left = MemberLeft(**_base(context), member_id=action.name)
        return Outcome(events=_numbered((left,), context), echo=echo)
    if isinstance(action, Label):
        target = _target(action.target, context.speaker, context, "/label", _any)
        return Outcome(label=(action.name, target.number), echo=f"{echo}  (#{target.number})")
    if isinstance(action, Wait):
        return Outcome(wait=action.duration, echo=echo)
    if isinstance(action, Quit):
        return Outcome(quit=True, echo=echo)
    if isinstance(action, ShowHelp):
        return Outcome(help=True, echo=echo)
    return Outcome()


def _member_action(line: Line, action: MemberAction, context: Context) -> Outcome:
    actor = line.speaker or context.speaker
    member = context.members.get(actor)
    joined: tuple[Event, ...] = ()
    if member is None:
        member = _new_member(actor, context)
        joined = (MemberJoined(**_base(context), member=member),)
    events, records = _act(action, actor, member, context)
    return Outcome(
        events=_numbered(joined + events, context),
        records=records,
        echo=f"{actor}> {line.body}",
    )


def _act(
    action: MemberAction, actor: str, member: Member, context: Context
) -> tuple[tuple[Event, ...], tuple[MessageRecord, ...]]:
    base = _base(context)
    if isinstance(action, Say):
        return _post(action.text, member, context, channel_id=context.channel_id)
    if isinstance(action, RunCommand):
        command = CommandInvoked(
            **base,
            member=member,
            channel_id=context.channel_id,
            group=action.group,
            action=action.action,
            text=action.text,
        )
        return (command,), ()
    if isinstance(action, Reply):
        target = _target(action.target, actor, context, "/reply", _repliable)
        return _post(
            action.text,
            member,
            context,
            channel_id=target.channel_id,
            thread_id=target.thread_id,
            reply_to=target.message_id,
        )
    if isinstance(action, PostInThread):
        return _thread_post(action, member, context)
    if isinstance(action, React):
        target = _target(action.target, actor, context, "/react", _reactable)
        kind = ReactionRemoved if action.remove else ReactionAdded
        reaction = kind(
            **base,
            member=member,
            channel_id=target.channel_id,
            message_id=target.message_id,
            emoji=action.emoji,
            thread_id=target.thread_id,
        )
        return (reaction,), ()
    if isinstance(action, Choose):
        return _choose(action, actor, member, context), ()
    if isinstance(action, Edit):
        target = _target(action.target, actor, context, "/edit", _editable(actor))
        edited = MessageEdited(
            **base,
            member=member,
            channel_id=target.channel_id,
            message_id=target.message_id,
            thread_id=target.thread_id,
        )
        return (edited,), ()
    return _delete(action, actor, context)


def _post(
    text: str,
    member: Member,
    context: Context,
    *,
    channel_id: str,
    thread_id: str | None = None,
    reply_to: str | None = None,
) -> tuple[tuple[Event, ...], tuple[MessageRecord, ...]]:
    record = MessageRecord(
        number=context.next_number,
        channel_id=channel_id,
        author_id=member.id,
        thread_id=thread_id,
    )
    posted = MessagePosted(
        **_base(context),
        member=member,
        channel_id=channel_id,
        message_id=record.message_id,
        thread_id=thread_id,
        reply_to=reply_to,
        text=text,
        mentions=mentioned_ids(text, context.members),
    )
    return (posted,), (record,)


def _thread_post(
    action: PostInThread, member: Member, context: Context
) -> tuple[tuple[Event, ...], tuple[MessageRecord, ...]]:
    target = _target(action.target, member.id, context, "/thread", _threadable)
    if target.thread_id is not None:
        thread_id = target.thread_id
    else:
        thread_id = target.message_id
    events, records = _post(
        action.text, member, context, channel_id=target.channel_id, thread_id=thread_id
    )
    if target.thread_id is not None or target.has_thread:
        return events, records
    created = ThreadCreated(
        **_base(context),
        member=member,
        channel_id=target.channel_id,
        thread_id=thread_id,
        parent_message_id=target.message_id,
    )
    opened = dataclasses.replace(target, has_thread=True)
    return (created, *events), (opened, *records)


def _choose(action: Choose, actor: str, member: Member, context: Context) -> tuple[Event, ...]:
    target = _target(action.target, actor, context, "/choose", _clickable)
    if action.choice > len(target.choice_ids):
        raise LineError(
            f"#{target.number} has no choice [{action.choice}] "
            f"(choices 1 to {len(target.choice_ids)})"
        )
    made = ChoiceMade(
        **_base(context),
        member=member,
        channel_id=target.channel_id,
        message_id=target.message_id,
        choice_id=target.choice_ids[action.choice - 1],
    )
    return (made,)


def _delete(
    action: Delete, actor: str, context: Context
) -> tuple[tuple[Event, ...], tuple[MessageRecord, ...]]:
    target = _target(action.target, actor, context, "/delete", _deletable(actor, context))
    deleted = MessageDeleted(
        **_base(context),
        channel_id=target.channel_id,
        message_id=target.message_id,
        member_id=target.author_id,
        thread_id=target.thread_id,
    )
    return (deleted,), (dataclasses.replace(target, deleted=True),)


_Check = Callable[[MessageRecord], MessageRecord]
"""Returns the record when the action can apply to it, else raises `LineError` saying why."""


def _target(
    ref: MessageRef, actor: str, context: Context, word: str, check: _Check
) -> MessageRecord:
    """Return the message `ref` names for `actor`, once `check` accepts it.

    `last` is the newest message the action can apply to, in the current channel
    or among the actor's direct messages; a label is the number `/label` gave it.
    """
    if isinstance(ref, int):
        return check(_visible(ref, actor, context))
    if ref == LAST:
        for number in sorted(context.messages, reverse=True):
            record = context.messages[number]
            here = record.channel_id == context.channel_id and record.audience in (None, actor)
            if not (here or (record.direct and record.audience == actor)) or record.deleted:
                continue
            try:
                return check(record)
            except LineError:
                continue
        raise LineError(
            f"{word} last: no message in #{context.channel_id} (or your direct messages) "
            f"that {word} can use"
        )
    labelled = context.labels.get(ref)
    if labelled is None:
        known = ", ".join(sorted(context.labels)) or "none yet"
        raise LineError(f"{word}: no message is labelled {ref!r} (labels: {known})")
    return check(_visible(labelled, actor, context))


def _any(record: MessageRecord) -> MessageRecord:
    return record


def _repliable(record: MessageRecord) -> MessageRecord:
    return _public(record, "reply to")


def _threadable(record: MessageRecord) -> MessageRecord:
    return _public(record, "open a thread on")


def _reactable(record: MessageRecord) -> MessageRecord:
    if record.audience is not None and not record.direct:
        raise LineError(f"#{record.number} is a private response: nobody can react to it")
    return record


def _clickable(record: MessageRecord) -> MessageRecord:
    if not record.choice_ids:
        raise LineError(f"#{record.number} has no choices")
    return record


def _editable(actor: str) -> _Check:
    def check(record: MessageRecord) -> MessageRecord:
        _public(record, "edit")
        if record.author_id != actor:
            raise LineError(
                f"#{record.number} was posted by {_author(record)}; only its author can edit it"
            )
        return record

    return check


def _deletable(actor: str, context: Context) -> _Check:
    def check(record: MessageRecord) -> MessageRecord:
        _public(record, "delete")
        if record.author_id != actor and actor not in context.moderators:
            raise LineError(
                f"#{record.number} was posted by {_author(record)}; "
                "only its author or a moderator can delete it"
            )
        return record

    return check


def _visible(number: int, actor: str, context: Context) -> MessageRecord:
    record = context.messages.get(number)
    if record is None:
        raise LineError(f"there is no message #{number}")
    if record.deleted:
        raise LineError(f"message #{number} was deleted")
    if record.audience is not None and record.audience != actor:
        raise LineError(f"message #{number} is only visible to {record.audience}")
    return record


def _public(record: MessageRecord, verb: str) -> MessageRecord:
    if record.direct:
        raise LineError(f"#{record.number} is a direct message: the console cannot {verb} it")
    if record.audience is not None:
        raise LineError(f"#{record.number} is a private response: nobody can {verb} it")
    return record


def _author(record: MessageRecord) -> str:
    return record.author_id if record.author_id is not None else "the bot"


def _channel(wanted: str, context: Context) -> str:
    if wanted in context.channels.values():
        return wanted
    if wanted in context.channels:
        return context.channels[wanted]
    known = ", ".join(f"#{channel}" for channel in dict.fromkeys(context.channels.values()))
    raise LineError(f"unknown channel {wanted!r}; known channels: {known}")


def _new_member(name: str, context: Context) -> Member:
    return Member(
        id=name,
        display_name=name,
        is_admin=name in context.moderators,
        joined_at=context.now,
    )


class _Base(TypedDict):
    event_id: str
    community: str
    occurred_at: datetime


def _base(context: Context) -> _Base:
    # Ids are given by `_numbered` once the line's events are all known.
    return {"event_id": "", "community": context.community, "occurred_at": context.now}


def _numbered(events: tuple[Event, ...], context: Context) -> tuple[Event, ...]:
    numbered: list[Event] = []
    for offset, event in enumerate(events):
        event_id = f"{context.event_prefix}-{context.next_event + offset}"
        if isinstance(event, CommandInvoked | ChoiceMade):
            numbered.append(dataclasses.replace(event, event_id=event_id, interaction_id=event_id))
        else:
            numbered.append(dataclasses.replace(event, event_id=event_id))
    return tuple(numbered)
