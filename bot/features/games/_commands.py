"""`/terreau game trivia | poll | twotruths | leaderboard`."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind, Permission, is_moderator
from bot.features.games._board import Leaderboards
from bot.features.games._config import GamesConfig
from bot.features.games._polls import Polls, poll_options
from bot.features.games._seasons import season_named
from bot.features.games._trivia import Started, Trivia
from bot.features.games._twotruths import TwoTruths

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

MAX_OPTIONS = 5
MAX_TEXT = 300
ALL_TIME = ("all", "alltime", "all-time")


def declare_commands(
    app: FeatureContext, trivia: Trivia, polls: Polls, twotruths: TwoTruths, boards: Leaderboards
) -> None:
    """Register the `game` group on the app's command registry."""

    def enabled(ctx: CommandContext) -> bool:
        return app.communities[ctx.event.community].section(GamesConfig).enabled

    async def start_trivia(ctx: CommandContext) -> None:
        if not enabled(ctx):
            await ctx.reply("games.disabled")
            return
        key = ctx.event.community
        given = ctx.options.get("category")
        count: int | None = ctx.options.get("questions")
        category = given.lower() if isinstance(given, str) else None
        if category is not None and category.isdecimal() and count is None:
            count = int(category)
            category = None
            if not 1 <= count <= 20:
                await ctx.reply("games.trivia.bad_count")
                return
        started = await trivia.start(
            key,
            ctx.event.channel_id,
            category=category,
            count=count,
            started_by=ctx.event.member.id,
        )
        known = ", ".join(sorted(trivia.categories(key)))
        if started is Started.STARTED:
            await ctx.reply("games.trivia.started")
        elif started is Started.RUNNING:
            await ctx.reply("games.trivia.running")
        elif started is Started.UNKNOWN_CATEGORY:
            await ctx.reply("games.trivia.unknown_category", category=category, known=known)
        elif started is Started.NO_BUTTON_QUESTIONS:
            title = trivia.categories(key).get(category or "")
            await ctx.reply("games.trivia.no_button_questions", category=title)
        else:
            await ctx.reply("games.trivia.no_questions")

    async def start_poll(ctx: CommandContext) -> None:
        if not enabled(ctx):
            await ctx.reply("games.disabled")
            return
        key = ctx.event.community
        question = ctx.options.get("question")
        raw = ctx.options.get("options")
        if question is None:
            if await polls.start_from_content(key, ctx.event.channel_id) is None:
                await ctx.reply("games.poll.no_content")
            else:
                await ctx.reply("games.poll.started")
            return
        question = str(question)
        options = poll_options(str(raw or ""))
        if len(question) > MAX_TEXT:
            await ctx.reply("games.poll.question_too_long", length=len(question), maximum=MAX_TEXT)
            return
        if not 2 <= len(options) <= MAX_OPTIONS or len(set(options)) != len(options):
            await ctx.reply("games.poll.bad_options", maximum=MAX_OPTIONS)
            return
        for number, option in enumerate(options, start=1):
            if len(option) > MAX_TEXT:
                await ctx.reply(
                    "games.poll.option_too_long",
                    number=number,
                    length=len(option),
                    maximum=MAX_TEXT,
                )
                return
        await polls.start(key, ctx.event.channel_id, question=question, options=options)
        await ctx.reply("games.poll.started")

    async def start_twotruths(ctx: CommandContext) -> None:
        if not enabled(ctx):
            await ctx.reply("games.disabled")
            return
        first, second, lie = (
            str(ctx.options[name]).strip() for name in ("truth1", "truth2", "lie")
        )
        statements = [first, second, lie]
        if len(set(statements)) != 3 or any(len(s) > MAX_TEXT for s in statements):
            await ctx.reply("games.twotruths.bad_statements", maximum=MAX_TEXT)
            return
        await twotruths.submit(ctx.event, (first, second), lie)
        await ctx.reply("games.twotruths.submitted")

    async def leaderboard(ctx: CommandContext) -> None:
        key = ctx.event.community
        community = app.communities[key]
        wanted = ctx.options.get("season")
        if isinstance(wanted, str) and wanted.lower() in ALL_TIME:
            if not is_moderator(ctx.event.member, community.moderator_roles):
                await ctx.reply("games.leaderboard.all_time_moderators")
                return
            rows = await boards.standings(key, None)
            await ctx.reply("games.leaderboard.body", season=None, standings=rows)
            return
        season = boards.current(key)
        if isinstance(wanted, str):
            named = season_named(
                wanted, community.timezone, community.section(GamesConfig).season_months
            )
            if named is None:
                await ctx.reply("games.leaderboard.bad_season", season=wanted, current=season.label)
                return
            season = named
        rows = await boards.standings(key, season)
        await ctx.reply("games.leaderboard.body", season=season.label, standings=rows)

    for action, handler, options, permission in (
        (
            "trivia",
            start_trivia,
            (
                Option(name="category", required=False),
                Option(
                    name="questions",
                    kind=OptionKind.INTEGER,
                    required=False,
                    minimum=1,
                    maximum=20,
                ),
            ),
            Permission.MEMBER,
        ),
        (
            "poll",
            start_poll,
            (
                Option(name="question", required=False, phrase=True),
                Option(name="options", required=False, rest=True),
            ),
            Permission.MODERATOR,
        ),
        (
            "twotruths",
            start_twotruths,
            (
                Option(name="truth1", phrase=True),
                Option(name="truth2", phrase=True),
                Option(name="lie", rest=True),
            ),
            Permission.MEMBER,
        ),
        ("leaderboard", leaderboard, (Option(name="season", required=False),), Permission.MEMBER),
    ):
        app.commands.register(
            Command(
                group="game",
                action=action,
                handler=handler,
                options=options,
                permission=permission,
            )
        )
