"""The Slack chat platform: slack-bolt's `AsyncApp` over Socket Mode or HTTP.

One adapter serves every configured workspace with one Slack app: events from
all of them arrive on one Socket Mode connection (or one HTTP endpoint), and
each workspace's bot token is picked by bolt's `authorize` hook from the team
id. Every request is acknowledged first; the core's work runs after the ack.
In Socket Mode, Events API envelopes (messages, reactions, joins) skip bolt's
per-request machinery and are authorized here (`_on_socket_event`, `_server`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters._backpressure import HANDLERS_IN_FLIGHT, InFlight
from adapters.slack import _spaces
from adapters.slack._duplicates import find_posted, metadata
from adapters.slack._members import MemberDirectory
from adapters.slack._responses import ResponseUrls
from adapters.slack._server import SHUTDOWN_TIMEOUT, HttpServer, SocketMode
from adapters.slack._web import call, web_client
from adapters.slack.blocks import SlackMessage, render
from adapters.slack.commands import COMMAND, parse_command
from adapters.slack.translate import (
    bot_present,
    bot_revoked,
    member_from_user,
    translate_action,
    translate_events,
)
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
from bot.ports import (
    Clock,
    EventSink,
    Forbidden,
    NotFound,
    PlatformError,
    Unavailable,
    Unsupported,
)

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://slack.com/api/"
PACING = timedelta(seconds=1)
"""Slack allows about one `chat.postMessage` per second per channel."""

_REMEMBERED = 10_000
_UNAUTHORIZED_EVENTS = frozenset({"app_uninstalled", "tokens_revoked"})
"""Events bolt hands on without a workspace's authorization (its token is gone)."""
_REVOKED = frozenset({"token_revoked", "account_inactive"})
"""`auth.test` errors meaning the token is gone for good, not mistyped (`invalid_auth`)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Workspace:
    """One Slack workspace to serve: its team id, bot token and moderator user groups."""

    team_id: str
    token: str
    moderator_groups: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Workspace(team_id={self.team_id!r}, token=<hidden>)"


@dataclass(frozen=True, slots=True)
class _Connection:
    client: AsyncWebClient
    members: MemberDirectory
    authorization: AuthorizeResult


class SlackAdapter:
    """Terreau on Slack: translate events in, render Block Kit out, one app for every workspace."""

    name = "slack"

    def __init__(
        self,
        *,
        workspaces: Sequence[Workspace],
        clock: Clock,
        mode: str = "socket",
        api_base: str = DEFAULT_API_BASE,
        app_token: str | None = None,
        signing_secret: str | None = None,
        http_host: str = "127.0.0.1",
        http_port: int = 3000,
        pacing: timedelta = PACING,
        handlers_in_flight: int = HANDLERS_IN_FLIGHT,
    ) -> None:
        if not workspaces:
            raise ValueError("the Slack adapter needs at least one workspace")
        if mode == "socket" and not app_token:
            raise ValueError("Socket Mode needs an app-level token (SLACK_APP_TOKEN)")
        if mode == "http" and not signing_secret:
            raise ValueError("HTTP mode needs the signing secret (SLACK_SIGNING_SECRET)")
        if mode not in ("socket", "http"):
            raise ValueError(f"unknown Slack mode {mode!r} (use socket or http)")
        self._workspaces = {w.team_id: w for w in workspaces}
        self._clock = clock
        self._mode = mode
        self._api_base = api_base
        self._app_token = app_token
        self._signing_secret = signing_secret
        self._http_host = http_host
        self._http_port = http_port
        self._pacing = pacing
        self._connections: dict[str, _Connection] = {}
        self._revoked: set[str] = set()
        self._own_users: set[str] = set()
        self._sink: EventSink | None = None
        self.in_flight = InFlight(handlers_in_flight)
        self._socket: SocketMode | None = None
        self._server: HttpServer | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._next_post: dict[tuple[str, str], datetime] = {}
        self._nonces: OrderedDict[str, SentMessage] = OrderedDict()
        self._responses = ResponseUrls(clock)
        self._bolt: AsyncApp | None = None

    @property
    def http_port(self) -> int | None:
        """Return the port the HTTP endpoint listens on (HTTP mode, once started)."""
        return self._server.port if self._server is not None else None

    # Connecting.

    async def start(self, sink: EventSink) -> None:
        """Check every bot token (`auth.test`), then connect over Socket Mode or serve HTTP."""
        if self._bolt is not None:
            raise RuntimeError("the Slack adapter was already started")
        for workspace in self._workspaces.values():
            try:
                self._connections[workspace.team_id] = await self._connect(workspace)
            except Forbidden as error:
                if not _token_gone(error):
                    raise
                log.warning(
                    "the bot token of Slack workspace %s was revoked (%s): Terreau was "
                    "uninstalled there and does not serve it; its data goes after the "
                    "departure grace period unless the app is installed again",
                    workspace.team_id,
                    error,
                )
                self._revoked.add(workspace.team_id)
        self._sink = sink
        bolt = self._bolt = self._bolt_app()
        if self._mode == "socket":
            self._socket = SocketMode(
                bolt,
                app_token=self._app_token or "",
                client=web_client(token=None, base_url=self._api_base, clock=self._clock),
                in_flight=self.in_flight,
                events=self._on_socket_event,
            )
            await self._socket.connect()
        else:
            self._server = HttpServer(bolt, host=self._http_host, port=self._http_port)
            await self._server.start()
        log.info("Slack connected (%s mode): %s", self._mode, ", ".join(sorted(self._connections)))
        # Whether each workspace is served is a fact the core keeps (the departure grace).
        now = self._clock.now()
        for team_id in sorted(self._connections):
            await self._deliver(bot_present(team_id, now=now))
        for team_id in sorted(self._revoked):
            await self._deliver(bot_revoked(team_id, now=now))

    async def connected(self) -> bool:
        """Return whether Slack can reach Terreau: the socket is up, or the server listens."""
        if self._socket is not None:
            return await self._socket.connected()
        return self._server is not None and self._server.port is not None

    async def _connect(self, workspace: Workspace) -> _Connection:
        client = web_client(token=workspace.token, base_url=self._api_base, clock=self._clock)
        response = await call("auth.test", client.auth_test)
        team_id = response.get("team_id")
        if team_id != workspace.team_id:
            raise PlatformError(
                f"the bot token given for Slack workspace {workspace.team_id} belongs to "
                f"workspace {team_id}; check the SLACK_BOT_TOKEN variables"
            )
        self._own_users.add(str(response.get("user_id")))
        authorization = AuthorizeResult.from_auth_test_response(
            auth_test_response=response, bot_token=workspace.token
        )
        members = MemberDirectory(
            client,
            self._clock,
            names_client=web_client(
                token=workspace.token,
                base_url=self._api_base,
                clock=self._clock,
                rate_limit_retries=0,
            ),
            moderator_groups=workspace.moderator_groups,
        )
        return _Connection(client=client, members=members, authorization=authorization)

    def _bolt_app(self) -> AsyncApp:
        # bolt passes listener arguments by parameter name, so plain functions (no `self`).
        async def authorize(
            enterprise_id: str | None, team_id: str | None
        ) -> AuthorizeResult | None:
            return self._authorization(enterprise_id, team_id)

        # bolt runs each listener in a task of its own after the ack; counting them
        # lets Socket Mode stop reading while too many run (`adapters._backpressure`).
        async def on_event(body: dict[str, Any]) -> None:
            self._count_listener()
            await self._on_event(body)

        async def on_command(body: dict[str, Any], ack: AsyncAck) -> None:
            self._count_listener()
            await ack()
            await self._on_command(body)

        async def on_action(body: dict[str, Any], ack: AsyncAck) -> None:
            self._count_listener()
            await ack()
            await self._on_action(body)

        # bolt reads its logger's own level to decide whether to log each middleware it
        # applies to each request, and a level left unset reads as "debug": it gets the
        # level in force when Terreau starts (set by `configure_logging`).
        logger = logging.getLogger("adapters.slack.bolt")
        logger.setLevel(logger.getEffectiveLevel())
        bolt = AsyncApp(
            client=web_client(token=None, base_url=self._api_base, clock=self._clock),
            authorize=authorize,  # type: ignore[arg-type]
            signing_secret=self._signing_secret or "",
            request_verification_enabled=self._mode == "http",
            logger=logger,
        )
        bolt.event(re.compile(".*"))(on_event)
        bolt.command(COMMAND)(on_command)
        bolt.action(re.compile(".*"))(on_action)
        return bolt

    async def stop(self) -> None:
        """Disconnect Socket Mode or stop serving HTTP; calling it again does nothing."""
        socket, server = self._socket, self._server
        self._socket = self._server = None
        self._sink = None
        if socket is not None:
            await socket.close()
        if server is not None:
            await server.stop()
        # Work already acknowledged finishes (and is logged) before the core shuts down.
        inflight = self._inflight - {asyncio.current_task()}
        if inflight:
            _, late = await asyncio.wait(inflight, timeout=SHUTDOWN_TIMEOUT)
            for task in late:
                log.warning("Slack event handling still running at shutdown; cancelled")
                task.cancel()

    def _authorization(
        self, enterprise_id: str | None, team_id: str | None
    ) -> AuthorizeResult | None:
        connection = self._connections.get(team_id or "") or self._connections.get(
            enterprise_id or ""
        )
        return connection.authorization if connection is not None else None

    # Incoming: acknowledged first (events are acknowledged by bolt before this runs).

    async def _on_socket_event(self, body: dict[str, Any]) -> None:
        """Handle an Events API payload that came past bolt (Socket Mode), as bolt would.

        Bolt authorizes the workspace before any listener runs (an uninstall or a token
        revocation needs no authorization); so does this. The bot's own events, which
        bolt also skips, are skipped by `translate_events` on either path.
        """
        event = body.get("event")
        if not isinstance(event, dict):
            return
        if event.get("type") not in _UNAUTHORIZED_EVENTS and (
            self._authorization(extract_enterprise_id(body), extract_team_id(body)) is None
        ):
            log.warning(
                "Slack event %s comes from workspace %s, which Terreau does not serve "
                "(not configured, or its bot token was revoked): ignored",
                body.get("event_id"),
                body.get("team_id"),
            )
            return
        await self._on_event(body)

    async def _on_event(self, body: dict[str, Any]) -> None:
        # The log keeps members' names; Slack events carry only their ids. A name known
        # already is in the event as it is made; any other is looked up (`_named`).
        connection = self._connections.get(str(body.get("team_id") or ""))
        known = connection.members.known if connection is not None else None
        for event in translate_events(body, own_user_ids=self._own_users, member=known):
            await self._deliver(await self._named(event))

    async def _named(self, event: Event) -> Event:
        member = getattr(event, "member", None)
        if not isinstance(member, Member) or member.display_name != member.id:
            return event
        connection = self._connections.get(_team(event.community))
        if connection is None:
            return event
        named = await connection.members.named(member)
        return event if named is member else replace(event, member=named)  # type: ignore[call-arg]

    async def _on_command(self, body: dict[str, Any]) -> None:
        command = parse_command(body, now=self._clock.now())
        if command is None:
            return
        self._responses.remember(command.interaction_id, body.get("response_url"))
        member = await self._enrich(command.community, command.member)
        await self._deliver(replace(command, member=member))

    async def _on_action(self, body: dict[str, Any]) -> None:
        choice = translate_action(body, now=self._clock.now())
        if choice is None:
            return
        self._responses.remember(choice.interaction_id, body.get("response_url"))
        member = await self._enrich(choice.community, choice.member)
        await self._deliver(replace(choice, member=member))

    async def _enrich(self, community: str, member: Member) -> Member:
        connection = self._connections.get(_team(community))
        if connection is None:
            return member
        return await connection.members.enrich(member)

    async def _deliver(self, event: Event) -> None:
        sink = self._sink
        if sink is None or _team(event.community) not in self._workspaces:
            return
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            await sink(event)
        except Exception:
            log.exception("handling Slack %s %s failed", type(event).__name__, event.event_id)
        finally:
            if task is not None:
                self._inflight.discard(task)

    # The ChatPlatform port.

    async def send(self, where: ChannelRef, post: Post, *, nonce: str) -> SentMessage:
        """Post a message (paced per channel) carrying its nonce in its metadata.

        A nonce this process already posted returns that post; after a restart or an
        uncertain answer, the outbox asks `find_sent` before sending again.
        """
        sent = self._nonces.get(nonce)
        if sent is not None:
            return sent
        connection = self._connection(where.community)
        if post.image_path is not None:
            log.info("posting to Slack without the image %s (no file uploads)", post.image_path)
        sent = await self._post(connection, where, render(post), nonce=nonce)
        self._nonces[nonce] = sent
        _trim(self._nonces)
        return sent

    async def find_sent(
        self,
        where: ChannelRef,
        post: Post,
        *,
        nonce: str,
        since: datetime,
        until: datetime | None = None,
    ) -> Sequence[SentMessage]:
        """Return the post whose metadata carries `nonce`, from the history of that window."""
        connection = self._connection(where.community)
        ts = await find_posted(connection.client, where, nonce, since, until)
        if ts is None:
            return []
        sent = SentMessage(
            community=where.community,
            channel_id=where.channel_id,
            message_id=ts,
            thread_id=where.thread_id,
        )
        self._nonces[nonce] = sent
        _trim(self._nonces)
        return [sent]

    async def _post(
        self,
        connection: _Connection,
        where: ChannelRef,
        messages: list[SlackMessage],
        *,
        nonce: str | None = None,
    ) -> SentMessage:
        ts = ""
        for index, message in enumerate(messages):
            await self._pace(where)
            arguments = message.arguments()
            if nonce is not None and index == len(messages) - 1:
                arguments["metadata"] = metadata(nonce)
            response = await call(
                "chat.postMessage",
                lambda arguments=arguments: connection.client.chat_postMessage(  # type: ignore[misc]
                    channel=where.channel_id,
                    thread_ts=where.thread_id,
                    unfurl_links=False,
                    unfurl_media=False,
                    **arguments,
                ),
            )
            ts = str(response["ts"])
            channel = str(response.get("channel") or where.channel_id)
        return SentMessage(
            community=where.community, channel_id=channel, message_id=ts, thread_id=where.thread_id
        )

    async def _pace(self, where: ChannelRef) -> None:
        key = (where.community, where.channel_id)
        now = self._clock.now()
        slot = max(now, self._next_post.get(key, now))
        self._next_post[key] = slot + self._pacing
        if slot > now:
            await self._clock.sleep_until(slot)

    async def update(self, message: SentMessage, post: Post) -> None:
        """Replace a bot message in place (`chat.update`), e.g. when a poll closes."""
        connection = self._connection(message.community)
        rendered = render(post)[-1]
        await call(
            "chat.update",
            lambda: connection.client.chat_update(
                channel=message.channel_id, ts=message.message_id, **rendered.arguments()
            ),
        )

    async def open_thread(self, message: SentMessage, title: str) -> SentMessage:
        """Return where to post in the thread of a message (Slack threads need no opening)."""
        self._connection(message.community)
        return replace(message, thread_id=message.thread_id or message.message_id)

    async def respond(
        self, to: CommandInvoked | ChoiceMade, post: Post, *, private: bool = True
    ) -> None:
        """Answer a command or a click: ephemerally when private, else in the channel."""
        connection = self._connection(to.community)
        messages = render(post)
        if not private:
            where = ChannelRef(community=to.community, channel_id=to.channel_id)
            await self._post(connection, where, messages)
            return
        url = self._responses.get(to.interaction_id)
        for message in messages:
            if url is not None and await self._responses.answer(url, message):
                continue
            await call(
                "chat.postEphemeral",
                lambda message=message: connection.client.chat_postEphemeral(  # type: ignore[misc]
                    channel=to.channel_id, user=to.member.id, **message.arguments()
                ),
            )

    async def whisper(self, where: ChannelRef, member_id: str, post: Post) -> None:
        """Post an ephemeral message only `member_id` sees, in `where` (`chat.postEphemeral`)."""
        connection = self._connection(where.community)
        for message in render(post):
            await call(
                "chat.postEphemeral",
                lambda message=message: connection.client.chat_postEphemeral(  # type: ignore[misc]
                    channel=where.channel_id,
                    user=member_id,
                    thread_ts=where.thread_id,
                    **message.arguments(),
                ),
            )

    async def send_direct(self, community: str, member_id: str, post: Post) -> SentMessage:
        """Open the direct conversation with a member (`conversations.open`) and post in it."""
        connection = self._connection(community)
        response = await call(
            "conversations.open", lambda: connection.client.conversations_open(users=member_id)
        )
        channel_id = str((response.get("channel") or {})["id"])
        where = ChannelRef(community=community, channel_id=channel_id)
        return await self._post(connection, where, render(post))

    async def fetch_member(self, community: str, member_id: str) -> Member | None:
        """Return a member as Slack knows them now (admin flag, moderator groups), or None."""
        return await self._connection(community).members.fetch(member_id)

    async def list_members(
        self, community: str, *, after: str | None = None, limit: int = 1000
    ) -> Sequence[Member]:
        """Return one page of present human members, ordered by id, after `after`."""
        connection = self._connection(community)
        members: list[Member] = []
        cursor: str | None = None
        while True:
            response = await call(
                "users.list",
                lambda cursor=cursor: connection.client.users_list(  # type: ignore[misc]
                    limit=200, cursor=cursor
                ),
            )
            for user in response.get("members") or ():
                member = member_from_user(user)
                if not user.get("deleted") and not member.is_bot:
                    members.append(member)
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                break
        members.sort(key=lambda member: member.id)
        return [m for m in members if after is None or m.id > after][:limit]

    def _count_listener(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.track(task)

    async def open_space(
        self, parent: ChannelRef, title: str, member_ids: Sequence[str], *, private: bool
    ) -> ChannelRef:
        """Open a channel with the members in it; `Unsupported` without the scope to."""
        connection = self._connection(parent.community)
        return await _spaces.open_channel(
            connection.client, parent, title, member_ids, private=private
        )

    async def add_to_space(self, space: ChannelRef, member_ids: Sequence[str]) -> None:
        """Invite members to a space's channel."""
        await _spaces.invite(self._connection(space.community).client, space, member_ids)

    async def archive_space(self, space: ChannelRef) -> None:
        """Archive a space's channel (`conversations.archive`)."""
        await _spaces.archive(self._connection(space.community).client, space)

    async def create_invite(self, where: ChannelRef) -> str:
        """Refuse: Slack apps cannot create invitation links."""
        raise Unsupported("Slack apps cannot create invitation links")

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        """Refuse: Slack apps cannot read invitation links."""
        raise Unsupported("Slack apps cannot read invitation links")

    async def create_scheduled_event(self, event: ScheduledEvent) -> str:
        """Refuse: slack has no calendar of events for apps."""
        raise Unsupported("Slack has no calendar of events for apps")

    async def cancel_scheduled_event(self, community: str, event_id: str) -> None:
        """Refuse, as `create_scheduled_event` does."""
        raise Unsupported("Slack has no calendar of events for apps")

    def _connection(self, community: str) -> _Connection:
        connection = self._connections.get(_team(community))
        if connection is None:
            if not self._connections:
                raise Unavailable("the Slack adapter is not started")
            raise NotFound(f"the Slack adapter does not serve {community}")
        return connection


def _team(community: str) -> str:
    platform, _, team_id = community.partition(":")
    return team_id if platform == "slack" else ""


def _token_gone(error: PlatformError) -> bool:
    """Tell whether `auth.test` failed because Slack revoked the token (app uninstalled)."""
    cause = error.__cause__
    return isinstance(cause, SlackApiError) and cause.response.get("error") in _REVOKED


def _trim(remembered: OrderedDict[str, Any]) -> None:
    while len(remembered) > _REMEMBERED:
        remembered.popitem(last=False)
