"""`/terreau live ...`: schedule, list, cancel, ask, and the hosts' queue, next, answered, merge."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, guarded
from bot.config import CommunityConfig
from bot.domain import ChoiceMade, strip_markers
from bot.features._board import parse_vote_id
from bot.features.live._config import LiveConfig
from bot.features.live._questions import Questions
from bot.features.live._sessions import Refusal, Sessions
from bot.ports import PlatformError
from bot.storage.boards import Boards
from bot.storage.live import KIND, LiveSessions

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

MAX_TITLE = 100
MAX_QUESTION = 500
"""Longest title and question kept (longer ones are cut)."""
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T@](\d{1,2}):(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


def _enabled(community: CommunityConfig) -> bool:
    return community.section(LiveConfig).enabled


def parse_start(word: str, timezone: str, now: datetime) -> datetime | None:
    """Read `YYYY-MM-DDTHH:MM` or `HH:MM` (the next such time) in the community's timezone."""
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    try:
        if match := _DATE_TIME.match(word):
            year, month, day, hour, minute = (int(part) for part in match.groups())
            return datetime(year, month, day, hour, minute, tzinfo=zone)
        if match := _TIME.match(word):
            hour, minute = (int(part) for part in match.groups())
            moment = local_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return moment if moment > local_now else moment + timedelta(days=1)
    except ValueError:
        return None
    return None


class LiveCommands:
    """The handlers of the live command group, and of its buttons."""

    def __init__(self, app: FeatureContext, sessions: Sessions, questions: Questions) -> None:
        self._app = app
        self._sessions = sessions
        self._questions = questions

    def declare(self) -> None:
        """Register every `/terreau live` action."""
        question = Option(name="question", rest=True)
        number = Option(name="number", kind=OptionKind.INTEGER, minimum=1)
        for action, handler, options, permission in (
            (
                "schedule",
                self.schedule,
                (
                    Option(name="title", phrase=True),
                    Option(name="start"),
                    Option(
                        name="minutes",
                        kind=OptionKind.INTEGER,
                        required=False,
                        minimum=5,
                        maximum=24 * 60,
                    ),
                    Option(name="host", kind=OptionKind.MEMBER, required=False),
                    Option(name="cohost", kind=OptionKind.MEMBER, required=False),
                ),
                Permission.MODERATOR,
            ),
            ("list", self.list, (), Permission.MEMBER),
            (
                "cancel",
                self.cancel,
                (Option(name="session", kind=OptionKind.INTEGER, minimum=1),),
                Permission.MODERATOR,
            ),
            ("ask", self.ask, (question,), Permission.MEMBER),
            ("anonymous", self.anonymous, (question,), Permission.MEMBER),
            ("queue", self.queue, (), Permission.MEMBER),
            ("next", self.next, (), Permission.MEMBER),
            ("answered", self.answered, (number,), Permission.MEMBER),
            (
                "merge",
                self.merge,
                (number, Option(name="into", kind=OptionKind.INTEGER, minimum=1)),
                Permission.MEMBER,
            ),
        ):
            self._app.commands.register(
                Command(
                    group="live",
                    action=action,
                    handler=guarded(
                        self._app.communities,
                        _enabled,
                        Refusal,
                        handler,
                        before=self._sessions.advance,
                    ),
                    options=options,
                    permission=permission,
                )
            )

    async def schedule(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Schedule a session (moderators): title, start, length, hosts."""
        rules = community.section(LiveConfig)
        title = " ".join(strip_markers(str(ctx.options["title"])).split())[:MAX_TITLE]
        now = self._app.clock.now()
        starts_at = parse_start(str(ctx.options["start"]), community.timezone, now)
        if not title:
            raise Refusal("no_title")
        if starts_at is None:
            raise Refusal("bad_start", start=str(ctx.options["start"]))
        if starts_at <= now:
            raise Refusal("past", start=starts_at, timezone=community.timezone)
        hosts = [str(h) for h in (ctx.options["host"], ctx.options["cohost"]) if h]
        for host in hosts:
            await self._check_host(community, host)
        minutes = ctx.options["minutes"] or rules.minutes
        await self._check_free(community, rules.channel, starts_at, minutes)
        board = await self._sessions.schedule(
            community,
            title=title,
            starts_at=starts_at,
            minutes=minutes,
            hosts=list(dict.fromkeys(hosts)) or [ctx.event.member.id],
            purpose=rules.channel,
        )
        assert board is not None
        await ctx.reply(
            "live.scheduled",
            title=title,
            session=board.id,
            starts_at=starts_at,
            minutes=minutes,
            timezone=community.timezone,
        )

    async def _check_host(self, community: CommunityConfig, member_id: str) -> None:
        """Refuse a host the platform says is not a member; one it cannot check is let be."""
        try:
            found = await self._app.platform(community.key).fetch_member(community.key, member_id)
        except PlatformError as error:
            log.info("%s: could not check host %s: %s", community.key, member_id, error)
            return
        if found is None:
            raise Refusal("unknown_host", who=member_id)

    async def _check_free(
        self, community: CommunityConfig, purpose: str, starts_at: datetime, minutes: int
    ) -> None:
        """Refuse a session overlapping one to come or under way in the same channel.

        Questions go to the open session of the channel they are asked in, so two
        at once there would leave one of them without any.
        """
        channel = self._app.channel(community.key, purpose)
        ends_at = starts_at + timedelta(minutes=minutes)
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            boards = await uow.repository(Boards).of_kind(community_id, KIND, ("scheduled", "open"))
        for other in boards:
            same_place = (other.channel_id, other.thread_id) == (
                channel.channel_id,
                channel.thread_id,
            )
            if same_place and other.opens_at < ends_at and starts_at < other.closes_at:
                raise Refusal(
                    "overlap",
                    session=other.id,
                    title=other.title,
                    starts_at=other.opens_at,
                    ends_at=other.closes_at,
                    timezone=community.timezone,
                )

    async def list(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """List the sessions to come and the open ones."""
        community_id = self._app.community_id(community.key)
        async with self._app.store.read() as uow:
            boards = await uow.repository(Boards).of_kind(community_id, KIND, ("scheduled", "open"))
        await ctx.reply(
            "live.list",
            sessions=[
                {"id": b.id, "title": b.title, "starts_at": b.opens_at, "open": b.status == "open"}
                for b in boards
            ],
            timezone=community.timezone,
        )

    async def cancel(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Cancel a session to come or under way (moderators)."""
        community_id = self._app.community_id(community.key)
        number = int(ctx.options["session"])
        async with self._app.store.read() as uow:
            board = await uow.repository(Boards).get(community_id, number)
        if board is None or board.kind != KIND or board.status not in ("scheduled", "open"):
            raise Refusal("unknown", session=number)
        if not await self._sessions.cancel(community, board):
            raise Refusal("unknown", session=number)
        await ctx.reply("live.cancelled", title=board.title)

    async def ask(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Ask a question in the open session, with your name."""
        await self._ask(ctx, community, anonymous=False)

    async def anonymous(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Ask a question in the open session without your name shown."""
        if not community.section(LiveConfig).anonymous:
            raise Refusal("no_anonymous")
        await self._ask(ctx, community, anonymous=True)

    async def _ask(
        self, ctx: CommandContext, community: CommunityConfig, *, anonymous: bool
    ) -> None:
        text = strip_markers(str(ctx.options["question"])).strip()[:MAX_QUESTION]
        if not text:
            raise Refusal("empty")
        board = await self._questions.current(
            community, ctx.event.member, ctx.event.channel_id, host=False
        )
        item = await self._questions.ask(
            board, community, ctx.event.member, text, anonymous=anonymous
        )
        await ctx.reply("live.asked", number=item.number, anonymous=anonymous)

    async def queue(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Show the host the open questions, most upvoted first (privately)."""
        board = await self._questions.current(
            community, ctx.event.member, ctx.event.channel_id, host=True
        )
        await ctx.reply(
            "live.queue", title=board.title, questions=await self._questions.queue(community, board)
        )

    async def next(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Take the most upvoted open question and post it as the one being answered."""
        board = await self._questions.current(
            community, ctx.event.member, ctx.event.channel_id, host=True
        )
        item = await self._questions.next(community, board)
        await ctx.reply("live.taken", number=item.number)

    async def answered(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Mark a question answered."""
        board = await self._questions.current(
            community, ctx.event.member, ctx.event.channel_id, host=True
        )
        item = await self._questions.answered(board, int(ctx.options["number"]))
        await ctx.reply("live.marked", number=item.number)

    async def merge(self, ctx: CommandContext, community: CommunityConfig) -> None:
        """Merge a duplicate question into another; its upvotes follow."""
        board = await self._questions.current(
            community, ctx.event.member, ctx.event.channel_id, host=True
        )
        number = int(ctx.options["number"])
        kept = await self._questions.merge(board, number, int(ctx.options["into"]))
        await ctx.reply("live.merged", number=number, into=kept.number, points=kept.points)

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle a click on an upvote button or on "I'm interested"."""
        community = self._app.communities.get(event.community)
        if community is None:
            return
        try:
            if not _enabled(community):
                raise Refusal("disabled")
            await self._sessions.advance(community.key)
            voted = parse_vote_id(event.choice_id)
            if voted is not None:
                key = await self._questions.vote(community, *voted, event.member.id)
                await self._app.reply(event, key, private=True)
                return
            _, raw_id, action = [*event.choice_id.split(":"), "", ""][:3]
            if action != "interested" or not raw_id.isdecimal():
                return
            await self._interested(event, community, int(raw_id))
        except Refusal as refusal:
            await self._app.reply(event, refusal.key, private=True, **refusal.variables)

    async def _interested(
        self, event: ChoiceMade, community: CommunityConfig, board_id: int
    ) -> None:
        community_id = self._app.community_id(community.key)
        async with self._app.store.transaction() as uow:
            board = await uow.repository(Boards).get(community_id, board_id)
            if board is None or board.kind != KIND or board.status not in ("scheduled", "open"):
                raise Refusal("unknown", session=board_id)
            added = await uow.repository(LiveSessions).interested(
                board.id, community_id, event.member.id
            )
            dms_closed = await uow.optouts.has(community_id, event.member.id, "dm")
        await self._app.reply(
            event,
            "live.interested" if added else "live.already_interested",
            private=True,
            title=board.title,
            reminder=not dms_closed,
            minutes=community.section(LiveConfig).remind_minutes,
        )
