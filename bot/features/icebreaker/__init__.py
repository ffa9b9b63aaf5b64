"""Breaking the ice: invitations by name, welcomes, champions, hosts, and whether it worked."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from bot.analytics import Scheduled
from bot.config import CommunityConfig
from bot.domain import ChoiceMade, MemberJoined, MemberVerified, MessagePosted, ReactionAdded
from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.icebreaker._champions import Champions
from bot.features.icebreaker._commands import declare_commands
from bot.features.icebreaker._config import (
    ChampionsConfig,
    HostsConfig,
    IcebreakerConfig,
    LevelsConfig,
    WelcomeConfig,
    icebreaker_findings,
)
from bot.features.icebreaker._host_answers import HostAnswers
from bot.features.icebreaker._host_commands import HOST_OFFERS, declare_host_commands
from bot.features.icebreaker._hosting import Hosting, HostRefusal, choice_id, hosts_enabled
from bot.features.icebreaker._hosts import Suggestion, Target, eligibility, suggest
from bot.features.icebreaker._invitations import Invitations, job_id, rules_of
from bot.features.icebreaker._levels import SNAPSHOT_CRON, snapshot_job_id, snapshot_levels
from bot.features.icebreaker._outcomes import Conversion, Rate, conversions, refresh_outcomes
from bot.features.icebreaker._selection import (
    Candidate,
    Contact,
    Rules,
    Selection,
    Verdict,
    select,
)
from bot.features.icebreaker._timing import in_quiet_hours
from bot.features.icebreaker._welcomes import Welcomes, optout_choice, welcome_nonce
from bot.personal_data import PersonalData
from bot.scheduling import Job, parse_cron
from bot.storage import MemberTable
from bot.storage.activity import ActivityLevelRow
from bot.storage.icebreaker import ChampionRow, InterestRow, InvitationRow, WelcomeRow

__all__ = [
    "FEATURE",
    "Candidate",
    "Champions",
    "ChampionsConfig",
    "Contact",
    "Conversion",
    "HostRefusal",
    "Hosting",
    "HostsConfig",
    "IcebreakerConfig",
    "Invitations",
    "LevelsConfig",
    "Rate",
    "Rules",
    "Selection",
    "Suggestion",
    "Target",
    "Verdict",
    "WelcomeConfig",
    "Welcomes",
    "choice_id",
    "conversions",
    "eligibility",
    "hosts_enabled",
    "in_quiet_hours",
    "job_id",
    "optout_choice",
    "refresh_outcomes",
    "rules_of",
    "select",
    "setup",
    "snapshot_job_id",
    "suggest",
    "tick_job_id",
    "welcome_nonce",
]

TICK_CRON = "*/10 * * * *"
"""Due welcomes and champion requests go out within ten minutes (a finer cron makes
the scheduler's start-up catch-up walk tens of thousands of instants)."""


def tick_job_id(community_key: str) -> str:
    """Return the id of the ten-minute job that sends due welcomes and champion requests."""
    return f"icebreaker:{community_key}:tick"


def setup(app: FeatureContext) -> None:
    """Schedule level snapshots everywhere, and icebreakers where enabled; declare commands."""
    app.holds_personal_data(
        *(
            PersonalData(name=name, table=MemberTable(model=model))
            for name, model in (
                ("activity_levels", ActivityLevelRow),
                ("invitations", InvitationRow),
                ("welcomes", WelcomeRow),
                ("interests", InterestRow),
                ("champion", ChampionRow),
            )
        )
    )
    app.holds_personal_data(HOST_OFFERS)
    invitations = Invitations(app)
    welcomes = Welcomes(app)
    champions = Champions(app)
    hosting = Hosting(app)
    answers = HostAnswers(app)

    async def tick(community_key: str, _scheduled_for: datetime) -> None:
        community = app.communities[community_key]
        config = community.section(IcebreakerConfig)
        if config.welcome.enabled:
            await welcomes.send_due(community)
        if config.champions.enabled:
            if config.champions.rituals:
                await champions.queue_rituals(community)
            await champions.send_pending(community)
        await hosting.upkeep(community)

    for community in app.communities.values():
        app.jobs.add(
            Job(
                id=snapshot_job_id(community.key),
                community=community.key,
                schedule=parse_cron(SNAPSHOT_CRON),
                timezone=community.timezone,
                grace=timedelta(hours=12),
                run=functools.partial(snapshot_levels, app, community.key),
            )
        )
        config = community.section(IcebreakerConfig)
        if not config.enabled:
            continue
        app.jobs.add(
            Job(
                id=job_id(community.key),
                community=community.key,
                schedule=parse_cron(config.schedule),
                timezone=community.timezone,
                grace=timedelta(minutes=config.grace_minutes),
                run=functools.partial(invitations.run_scheduled, community.key),
            )
        )
        app.jobs.add(
            Job(
                id=tick_job_id(community.key),
                community=community.key,
                schedule=parse_cron(TICK_CRON),
                timezone=community.timezone,
                grace=timedelta(hours=12),
                run=functools.partial(tick, community.key),
            )
        )
    app.dispatcher.subscribe(MemberJoined, welcomes.on_joined, serves=welcomes.serves)
    app.dispatcher.subscribe(MemberVerified, welcomes.on_verified, serves=welcomes.serves)
    app.dispatcher.subscribe(ReactionAdded, welcomes.on_reaction, serves=welcomes.serves)
    app.dispatcher.subscribe(MessagePosted, champions.on_message, serves=champions.serves)

    async def on_choice(event: ChoiceMade) -> None:
        if event.choice_id.startswith("icebreaker:host:"):
            await answers.on_choice(event)
        else:
            await welcomes.on_choice(event)

    app.on_choice("icebreaker", on_choice)
    declare_commands(app, invitations)
    declare_host_commands(app, hosting)
    from bot.features.icebreaker import _metrics  # conversion and level moves in reports

    _metrics.register()


def schedules(community: CommunityConfig) -> list[Scheduled]:
    """Return the icebreaker's round, for the report's heatmap."""
    icebreaker = community.section(IcebreakerConfig)
    if not icebreaker.enabled:
        return []
    return [Scheduled(kind="icebreaker", name="icebreaker", cron=icebreaker.schedule)]


FEATURE = Feature(
    name="icebreaker",
    config=ConfigSection("icebreaker", IcebreakerConfig, icebreaker_findings),
    order=60,
    setup=setup,
    schedules=schedules,
)
