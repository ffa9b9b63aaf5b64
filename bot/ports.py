"""The ports the core talks through: a chat platform, a clock, and the platform's kept state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.domain import (
    ChannelRef,
    ChoiceMade,
    CommandInvoked,
    Event,
    Member,
    Post,
    ScheduledEvent,
    SentMessage,
)

EventSink = Callable[[Event], Awaitable[None]]
"""Where an adapter delivers each translated event (the dispatcher)."""


class PlatformError(Exception):
    """A platform refused or failed a request."""


class Unsupported(PlatformError):
    """The platform lacks a capability (threads, buttons, images, DMs); the core degrades."""


class RateLimited(PlatformError):
    """The platform asked us to slow down."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class Forbidden(PlatformError):
    """The bot lacks a permission (or a member closed their direct messages)."""


class NotFound(PlatformError):
    """The channel, message or member no longer exists."""


class Unavailable(PlatformError):
    """The platform failed on its side (5xx, gateway down); the request may be retried."""


class StartupFailed(PlatformError):
    """A platform cannot connect with this configuration; the message says what to fix."""


class ChatPlatform(Protocol):
    """One chat platform connection serving one or more communities."""

    name: str

    async def start(self, sink: EventSink) -> None:
        """Connect and start delivering translated events to `sink`."""

    async def stop(self) -> None:
        """Disconnect and release every resource `start` acquired."""

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Post a message; `nonce` lets the platform drop a retried duplicate."""

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the bot's messages posted in `where` from `since` to `until` showing this post.

        The outbox asks before sending again a post whose earlier send has no known
        result (the process died, or the answer was lost): the platform, not the
        process's memory, says whether it was posted. `until` (None: now) is when
        the earlier sender's lease ran out; it could not post after that. Oldest
        first; a platform that marks messages with `nonce` returns at most one, one
        that can only compare content returns each match. Raises `Unsupported` when
        the platform cannot look back.
        """

    async def update(self, message: SentMessage, post: Post) -> None:
        """Replace the content of a message the bot sent (e.g. when a poll closes)."""

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Open a thread on a message the bot sent and return where to post in it."""

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer a command or a click; `private` shows it to the member alone."""

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Send a direct message; the core calls this only for members who opted in."""

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        """Show a post in a channel to one member alone, unasked (not a direct message).

        Slack: an ephemeral message (gone when the member reloads); console: printed
        `(only <name> sees)`. `Unsupported` where a bot can show a member something
        alone only in answer to their own command or click (Discord, Matrix).
        """

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Return a member as the platform knows them now, or None if they left."""

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Return one page of members, ordered by id, starting after `after`."""

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        """Open a place where a few members talk, beside `parent`, with them in it.

        Discord: a thread in `parent` (private: only the members and moderators see it);
        Slack: a channel of its own; console: a channel. Raises `Unsupported`, or
        `Forbidden` naming the missing permission, when the platform cannot; the core
        then falls back to a thread on one of its own messages.
        """

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        """Add members to a space `open_space` returned (adding one already in is no error)."""

    async def archive_space(self, space: ChannelRef) -> None:
        """Archive a space: its history stays readable, nobody posts in it; never deleted."""

    async def create_invite(self, where: ChannelRef) -> str:
        """Create a new invitation link to the community, landing in `where`, and return it.

        Never expires, unlimited uses, never shared with another invitation (so joins
        through it can be counted apart). `Unsupported` where bots cannot invite.
        """

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        """Return how many times each of the community's invitation links was used, by link."""

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        """List an event on the platform's own calendar and return its id.

        Discord: a Guild Scheduled Event (members see it under Events and mark
        themselves interested), on a voice or stage channel or external with a
        location; console: printed. `Unsupported` elsewhere (Slack, Matrix); the
        core then announces in the channel only.
        """

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        """Take an event `create_scheduled_event` listed off the calendar: the session is off.

        Discord: an event still to come is cancelled (members who marked themselves
        interested see it so), one under way is ended, one already over is left as
        it is; `NotFound` when it was deleted. `Unsupported` where there is no calendar.
        """


class Clock(Protocol):
    """Time as the core sees it; injected so tests and demos control it."""

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""

    async def sleep_until(self, moment: datetime) -> None:
        """Return once `now()` has reached `moment`."""


@runtime_checkable
class RoleManager(Protocol):
    """An optional platform capability: giving a role to members (Discord roles)."""

    async def set_role(self, community: str, role_id: str, member_ids: Sequence[str]) -> None:
        """Make `member_ids` the only holders of `role_id`, taking it from everyone else.

        Raises `Forbidden` when the bot may not manage the role (the message says what
        to fix), `NotFound` for an unknown role, `Unsupported` when holders cannot be found.
        """


@dataclass(frozen=True, kw_only=True, slots=True)
class GatewaySession:
    """Where one shard's gateway session can be resumed: the platform replays what followed."""

    shard_id: int
    shard_count: int
    session_id: str
    sequence: int
    """The last event sequence number whose handling is committed."""
    resume_url: str
    saved_at: datetime


class PlatformState(Protocol):
    """What an adapter keeps in the database, so that a restart loses none of it."""

    async def settle(self) -> None:
        """Return once what every event delivered so far caused is committed (the log too)."""

    async def gateway_sessions(self, platform: str) -> Sequence[GatewaySession]:
        """Return the saved gateway sessions of `platform`'s shards."""

    async def save_gateway_sessions(
        self, platform: str, sessions: Sequence[GatewaySession]
    ) -> None:
        """Save shards' gateway sessions, replacing those saved before."""

    async def held_at_screening(
        self, communities: Sequence[str], *, limit: int
    ) -> Sequence[tuple[str, str]]:
        """Return (community, member id) of the `limit` latest members held, oldest first."""

    async def hold_at_screening(self, community: str, member_id: str) -> None:
        """Note a member who joined held at the platform's rules screening."""

    async def release_from_screening(self, community: str, member_ids: Sequence[str]) -> None:
        """Forget members who passed screening, left, or are no longer followed."""


@runtime_checkable
class StatefulPlatform(Protocol):
    """An optional platform capability: state kept in the database across restarts."""

    def keep_state_in(self, state: PlatformState) -> None:
        """Use `state` from the next `start` on (the app hands it over before starting)."""
