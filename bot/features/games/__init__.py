"""Games: trivia rounds, quick polls, two truths and a lie, and seasonal leaderboards."""

from __future__ import annotations

import functools
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.analytics import Scheduled
from bot.commands import is_moderator
from bot.config import CommunityConfig, Settings
from bot.domain import ChoiceMade, MessagePosted
from bot.feature import CommunityLines, ConfigSection, Feature, FeatureContext
from bot.features.games._answers import matches, normalize
from bot.features.games._board import Leaderboards, season_job_id
from bot.features.games._commands import declare_commands
from bot.features.games._config import GameScheduleConfig, GamesConfig, games_findings
from bot.features.games._content import describe, load_content
from bot.features.games._context import GameContext
from bot.features.games._library import (
    GameContent,
    PollItem,
    TriviaQuestion,
)
from bot.features.games._personal import GAMES_DATA
from bot.features.games._polls import Polls
from bot.features.games._seasons import Season, season_at, season_named
from bot.features.games._timer import TIMER_JOB, GameTimer
from bot.features.games._trivia import Trivia
from bot.features.games._twotruths import REVEAL, TwoTruths
from bot.scheduling import Job, next_fire_times, parse_cron

log = logging.getLogger(__name__)

__all__ = [
    "FEATURE",
    "TIMER_JOB",
    "GameContent",
    "GameScheduleConfig",
    "GamesConfig",
    "PollItem",
    "Season",
    "TriviaQuestion",
    "describe",
    "load_content",
    "matches",
    "normalize",
    "schedule_job_id",
    "season_at",
    "season_job_id",
    "season_named",
    "setup",
]


def schedule_job_id(key: str, name: str) -> str:
    """Return the scheduler and ledger id of a scheduled game."""
    return f"games:{key}:{name}"


def setup(app: FeatureContext) -> None:
    """Load and check the content, schedule the timer and games, declare `/terreau game`."""
    app.holds_personal_data(*GAMES_DATA)
    context = GameContext(app, load_content(app.settings))
    trivia = Trivia(context)
    polls = Polls(context)
    twotruths = TwoTruths(context)
    boards = Leaderboards(context)
    GameTimer(context, trivia, polls, twotruths).schedule()
    boards.schedule_all()
    _schedule_games(app, trivia, polls)
    declare_commands(app, trivia, polls, twotruths, boards)
    app.dispatcher.subscribe(MessagePosted, trivia.answer_message, serves=context.enabled)

    async def route(event: ChoiceMade) -> None:
        parts = event.choice_id.split(":")
        target = parts[1] if len(parts) == 3 else ""
        kind, number, choice = target[:1], target[1:], parts[-1]
        if not number.isdecimal() or not (choice.isdecimal() or choice == REVEAL):
            await app.reply(event, "messages.choices.expired")
            return
        community = app.communities.get(event.community)
        if community is None:
            return
        if not community.section(GamesConfig).enabled:
            await app.reply(event, "games.disabled")
            return
        game_id = int(number)
        if kind == "t" and choice == REVEAL:
            moderator = is_moderator(event.member, community.moderator_roles)
            await twotruths.reveal(event, game_id, moderator=moderator)
        elif kind == "q" and choice.isdecimal():
            await trivia.answer_choice(event, game_id, int(choice))
        elif kind == "p" and choice.isdecimal():
            await polls.vote(event, game_id, int(choice))
        elif kind == "t" and choice.isdecimal():
            await twotruths.guess(event, game_id, int(choice))
        else:
            await app.reply(event, "messages.choices.expired")

    app.on_choice("game", route)
    from bot.features.games import _metrics  # the figures games add to reports

    _metrics.register()


def _schedule_games(app: FeatureContext, trivia: Trivia, polls: Polls) -> None:
    for key, community in app.communities.items():
        games = community.section(GamesConfig)
        if not games.enabled:
            continue
        for schedule in games.schedules:
            job = schedule_job_id(key, schedule.name)
            app.jobs.add(
                Job(
                    id=job,
                    community=key,
                    schedule=parse_cron(schedule.cron),
                    timezone=community.timezone,
                    grace=timedelta(minutes=schedule.grace_minutes),
                    run=functools.partial(_run_scheduled, app, trivia, polls, key, schedule, job),
                )
            )


async def _run_scheduled(
    app: FeatureContext,
    trivia: Trivia,
    polls: Polls,
    key: str,
    schedule: GameScheduleConfig,
    job: str,
    scheduled_for: datetime,
) -> None:
    purpose = schedule.channel or app.communities[key].section(GamesConfig).channel
    assert purpose is not None  # config validation guarantees a channel
    channel_id = app.channel(key, purpose).channel_id
    claim = (job, scheduled_for)
    if schedule.game == "trivia":
        started = await trivia.start(
            key,
            channel_id,
            category=schedule.category,
            count=schedule.questions,
            started_by=None,
            claim=claim,
        )
        log.info("%s at %s: %s", job, scheduled_for.isoformat(), started.value)
    else:
        await polls.start_from_content(key, channel_id, kind=schedule.kind, claim=claim)


def check(settings: Settings, now: datetime) -> CommunityLines:
    """Load and check the game content, then say what each community's games are and when."""
    contents = load_content(settings)

    def lines(community: CommunityConfig) -> list[str]:
        if not community.section(GamesConfig).enabled:
            return []
        zone = ZoneInfo(community.timezone)
        found = [f"games: {describe(contents[community.key])}"]
        for game in community.section(GamesConfig).schedules:
            runs = next_fire_times(parse_cron(game.cron), zone, now, 3)
            shown = ", ".join(run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for run in runs)
            found.append(f"game {game.name}: {game.game}, '{game.cron}', next: {shown}")
        return found

    return lines


def schedules(community: CommunityConfig) -> list[Scheduled]:
    """Return the community's scheduled games, for the report's heatmap."""
    games = community.section(GamesConfig)
    if not games.enabled:
        return []
    return [Scheduled(kind="game", name=game.name, cron=game.cron) for game in games.schedules]


FEATURE = Feature(
    name="games",
    config=ConfigSection("games", GamesConfig, games_findings),
    order=40,
    setup=setup,
    check=check,
    validate=load_content,
    schedules=schedules,
)
