"""Hand-written test doubles for the core's ports."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Member,
    Post,
    ScheduledEvent,
    SentMessage,
)
from bot.ports import EventSink, Forbidden, PlatformError
from bot.prompts import Catalog, Prompts

# The real-time bound of one wait for work the app does (a database round trip, a
# connection): generous for a loaded two-core machine. A test waits on what the app did,
# never on elapsed time; pytest-timeout (300 s) bounds a whole test that hangs.
PATIENCE = 120.0


class ManualClock:
    """A clock that moves only when a test advances it."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._changed = asyncio.Condition()
        self._wakes: list[datetime] = []

    @property
    def sleeping(self) -> int:
        """How many tasks wait in `sleep_until` now: a test that moved the clock waits
        until those it woke are asleep again (or done) before moving it on."""
        return len(self._wakes)

    def next_wake(self, within: timedelta) -> datetime | None:
        """Return the earliest moment a sleeper waits for, if it is at most `within` away."""
        soonest = min(self._wakes, default=None)
        return soonest if soonest is not None and soonest - self._now <= within else None

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        self._wakes.append(moment)
        try:
            async with self._changed:
                await self._changed.wait_for(lambda: self._now >= moment)
        finally:
            self._wakes.remove(moment)

    async def set(self, moment: datetime) -> None:
        """Jump to `moment` and wake every sleeper whose time has come."""
        async with self._changed:
            self._now = moment
            self._changed.notify_all()
        for _ in range(20):
            await asyncio.sleep(0)

    async def advance(self, delta: timedelta) -> None:
        await self.set(self._now + delta)

    async def advance_settled(self, delta: timedelta, *, sleepers: int) -> None:
        """Advance by `delta`, then wait until `sleepers` tasks sleep on the clock again and
        none is still due: what the move woke (a lease renewal, a watch) has done its work,
        however long its database round trip took."""
        await self.advance(delta)
        async with asyncio.timeout(PATIENCE):
            while self.next_wake(timedelta(0)) is not None or self.sleeping != sleepers:  # noqa: ASYNC110 (a bounded probe)
                await asyncio.sleep(0.001)


@dataclass
class Sent:
    """One thing the fake platform was asked to show."""

    kind: str
    where: ChannelRef | None
    post: Post
    message: SentMessage | None = None
    nonce: str | None = None
    private: bool = False
    member_id: str | None = None


@dataclass
class FakePlatform:
    """Records every send; members and failures are set up by the test."""

    name: str = "fake"
    sent: list[Sent] = field(default_factory=list)
    members: dict[str, dict[str, Member]] = field(default_factory=dict)
    dm_closed: set[str] = field(default_factory=set)
    failures: list[Exception] = field(default_factory=list)
    attempts: int = 0
    sink: EventSink | None = None
    spaces: dict[str, list[str]] = field(default_factory=dict)
    """Spaces opened (by channel id) with their members, in the order added."""
    archived: set[str] = field(default_factory=set)
    archive_calls: list[str] = field(default_factory=list)
    """Every `archive_space` call, by channel id (archiving twice is no error, but shows)."""
    spaces_refused: Exception | None = None
    invites: dict[str, int] = field(default_factory=dict)
    """Raised by `open_space` when set, as a platform without the permission does."""
    events: list[ScheduledEvent] = field(default_factory=list)
    """Events listed on the calendar; `events_refused` is raised instead when set."""
    events_refused: Exception | None = None
    cancelled_events: list[str] = field(default_factory=list)
    """Events taken off the calendar, by id."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self, sink: EventSink) -> None:
        self.sink = sink

    async def stop(self) -> None:
        self.sink = None

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Post; like Slack, a repeated nonce is posted again (the outbox asks `find_sent`)."""
        self.attempts += 1
        if self.failures:
            raise self.failures.pop(0)
        message = SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=f"m{next(self._ids)}",
            thread_id=where.thread_id,
        )
        self.sent.append(Sent("send", where, post, message, nonce))
        return message

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the post sent with `nonce` (the platform keeps each post's nonce)."""
        return [
            item.message
            for item in self.sent
            if item.kind == "send"
            and item.nonce == nonce
            and item.where is not None
            and item.where.channel_id == where.channel_id
            and item.message is not None
        ][:1]

    async def update(self, message: SentMessage, post: Post) -> None:
        self.sent.append(Sent("update", None, post, message))

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        thread = SentMessage(
            community=message.community,
            channel_id=message.channel_id,
            message_id=message.message_id,
            thread_id=f"t{message.message_id}",
        )
        self.sent.append(Sent("thread", None, Post(text=title), thread))
        return thread

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        where = ChannelRef(community=to.community, channel_id=to.channel_id)
        self.sent.append(Sent("respond", where, post, private=private, member_id=to.member.id))

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        if member_id in self.dm_closed:
            raise Forbidden(f"{member_id} does not accept direct messages")
        message = SentMessage(
            community=community, channel_id=f"dm-{member_id}", message_id=f"m{next(self._ids)}"
        )
        self.sent.append(Sent("direct", None, post, message, member_id=member_id))
        return message

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        self.sent.append(Sent("whisper", where, post, member_id=member_id))

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        return self.members.get(community, {}).get(member_id)

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        ordered = sorted(self.members.get(community, {}).values(), key=lambda m: m.id)
        return [m for m in ordered if after is None or m.id > after][:limit]

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        if self.spaces_refused is not None:
            raise self.spaces_refused
        channel_id = f"space{next(self._ids)}"
        self.spaces[channel_id] = list(dict.fromkeys(member_ids))
        where = ChannelRef(community=parent.community, channel_id=channel_id)
        self.sent.append(Sent("space", where, Post(text=title), private=private))
        return where

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        members = self.spaces[space.channel_id]
        members.extend(m for m in dict.fromkeys(member_ids) if m not in members)

    async def archive_space(self, space: ChannelRef) -> None:
        self.archive_calls.append(space.channel_id)
        self.archived.add(space.channel_id)

    async def create_invite(self, where: ChannelRef) -> str:
        link = f"https://invite.example/{next(self._ids)}"
        self.invites[link] = 0
        return link

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        return dict(self.invites)

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        if self.events_refused is not None:
            raise self.events_refused
        self.events.append(event)
        return f"event{len(self.events)}"

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        if self.events_refused is not None:
            raise self.events_refused
        self.cancelled_events.append(event_id)

    def posts(self, kind: str = "send") -> list[Post]:
        return [item.post for item in self.sent if item.kind == kind]


async def until(condition: Callable[[], bool]) -> None:
    """Return once `condition()` holds (work done in other tasks or threads); bounded by
    `PATIENCE`."""
    async with asyncio.timeout(PATIENCE):
        while not condition():  # noqa: ASYNC110 (a bounded test probe, not a real-time wait)
            await asyncio.sleep(0.001)


async def wake_sleepers(clock: ManualClock, done: Callable[[], bool], *, within: timedelta) -> None:
    """Move `clock` to each sleeper's wake, at most `within` ahead, until `done()` holds.

    Retries and back-offs wait on the clock: rather than guessing how far to move it,
    wait until one of them is asleep, then move the clock to exactly when it wakes.
    Each wait is bounded by `PATIENCE`, the whole by pytest-timeout: a loaded machine
    is no reason to fail.
    """
    while not done():
        await until(lambda: done() or clock.next_wake(within) is not None)
        wake = clock.next_wake(within)
        if wake is not None and not done():
            await clock.set(max(wake, clock.now()))


@dataclass
class FakeRolePlatform(FakePlatform):
    """A fake platform that can also give roles, as Discord can."""

    roles: dict[str, set[str]] = field(default_factory=dict)
    role_refusal: PlatformError | None = None

    async def set_role(self, community: str, role_id: str, member_ids: Sequence[str]) -> None:
        if self.role_refusal is not None:
            raise self.role_refusal
        self.roles[role_id] = set(member_ids)


MISSING = "<not given>"
"""What `PromptLog.said` shows for a variable the prompt was not given."""


@dataclass(frozen=True)
class Rendered:
    """One prompt a catalog rendered: its key, the variables it was given, the result."""

    key: str
    variables: Mapping[str, object]
    post: Post

    @property
    def text(self) -> str:
        return self.post.plain_text()


class RecordingCatalog:
    """A catalog that notes in its `PromptLog` every prompt it renders."""

    def __init__(self, log: PromptLog, catalog: Catalog) -> None:
        self._log = log
        self._catalog = catalog

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def post(self, key: str, **variables: object) -> Post:
        post = self._catalog.post(key, **variables)
        self._log.note(key, variables, post)
        return post

    def text(self, key: str, **variables: object) -> str:
        self._log.note(key, variables, self._catalog.post(key, **variables))
        return self._catalog.text(key, **variables)

    def render_item(self, pool_name: str, item_id: str, **variables: object) -> Post:
        post = self._catalog.render_item(pool_name, item_id, **variables)
        self._log.note(f"pools.{pool_name}.{item_id}", variables, post)
        return post

    def text_of_title(self, pool_name: str, **variables: object) -> str:
        text = self._catalog.text_of_title(pool_name, **variables)
        self._log.note(f"pools.{pool_name}.title", variables, Post(text=text))
        return text


class PromptLog:
    """Prompts whose catalogs note every prompt they render.

    A test asks which prompt a post came from, and with which variables, instead
    of matching its wording: a reworded prompt changes neither, and asking about a
    key the catalog does not have fails instead of passing silently.
    """

    def __init__(self, prompts: Prompts) -> None:
        self._prompts = prompts
        self.languages = prompts.languages
        self.rendered: list[Rendered] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._prompts, name)

    def catalog(self, language: str) -> Catalog:
        return RecordingCatalog(self, self._prompts.catalog(language))  # type: ignore[return-value]

    def note(self, key: str, variables: Mapping[str, object], post: Post) -> None:
        self.rendered.append(Rendered(key, dict(variables), post))

    def find(self, post: Post | str) -> Rendered | None:
        """Return the render `post` is (the latest with the same text), if any."""
        text = post if isinstance(post, str) else post.plain_text()
        for rendered in reversed(self.rendered):
            if rendered.text == text:
                return rendered
        return None

    def of(self, post: Post | str) -> Rendered:
        """Return the render `post` is (the latest with the same text)."""
        rendered = self.find(post)
        if rendered is None:
            text = post if isinstance(post, str) else post.plain_text()
            raise AssertionError(f"no prompt rendered as {text!r}; last keys: {self.keys()[-8:]}")
        return rendered

    def posts(self, posts: Sequence[Post], prefix: str) -> list[Post]:
        """Return the posts that are prompts under `prefix` (e.g. `election.posts.`)."""
        return [
            post
            for post in posts
            if (rendered := self.find(post)) is not None and rendered.key.startswith(prefix)
        ]

    def key(self, post: Post | str) -> str:
        """Return the key of the prompt `post` is."""
        return self.of(post).key

    def said(self, post: Post | str, *names: str) -> tuple[str, dict[str, object]]:
        """Return the key of the prompt `post` is, and the variables `names` it was given."""
        rendered = self.of(post)
        return rendered.key, {name: rendered.variables.get(name, MISSING) for name in names}

    def shown_as(self, shows: Callable[[Post], bool], *names: str) -> tuple[str, dict[str, object]]:
        """Return the key of the latest prompt a platform shows as `shows` accepts, and the
        variables `names` it was given (for wire formats: Discord content, Slack blocks)."""
        for rendered in reversed(self.rendered):
            if shows(rendered.post):
                return rendered.key, {n: rendered.variables.get(n, MISSING) for n in names}
        raise AssertionError(f"no prompt rendered is shown so; last keys: {self.keys()[-8:]}")

    def within(self, post: Post | str) -> list[Rendered]:
        """Return every render (latest first) whose text is part of `post`'s text."""
        text = post if isinstance(post, str) else post.plain_text()
        return [r for r in reversed(self.rendered) if r.text and r.text in text]

    def shown_in(self, transcript: str, key: str, **variables: object) -> Rendered | None:
        """Return the latest render of `key` (given `variables`) a transcript shows, if any.

        Whitespace is compared loosely, as a terminal indents continuation lines.
        """
        self.require(key)
        shown = " ".join(transcript.split())
        for rendered in reversed(self.rendered):
            if (
                rendered.key == key
                and all(rendered.variables.get(k, MISSING) == v for k, v in variables.items())
                and " ".join(rendered.text.split()) in shown
            ):
                return rendered
        return None

    def keys(self, prefix: str = "") -> list[str]:
        """Return the keys rendered so far, in order, optionally only those under `prefix`
        (which must name prompts: a renamed key is not "never rendered")."""
        if prefix and not prefix.startswith("pools."):
            known = (self._prompts.catalog(language).keys(prefix) for language in self.languages)
            if not any(known):
                raise AssertionError(f"no prompt under {prefix!r} in the catalog")
        return [r.key for r in self.rendered if r.key.startswith(prefix)]

    def require(self, key: str) -> None:
        """Fail unless some language has a prompt at `key` (a renamed key is not absent)."""
        if key.startswith("pools."):
            return
        for language in self.languages:
            if self._prompts.catalog(language).has(key):
                return
        raise AssertionError(f"no prompt {key!r} in the catalog")
