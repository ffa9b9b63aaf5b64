"""Virtual cafés: rounds of small groups of members who opted in, matched from who talks to whom.

Members join with `/terreau cafe join`; on the community's schedule the café
pairs them (groups of two by default, an odd one out making a group of three),
preferring people who have not replied or reacted to each other lately, never
repeating a pair within the configured rounds, and honouring snoozes and
private "never pair me with" lists. Groups are introduced in the café channel
with a conversation starter, asked a few days later whether they met, and the
café measures from the interaction log whether it created new connections.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.cafe._clicks import Clicks
from bot.features.cafe._commands import declare_commands, parse_duration
from bot.features.cafe._config import CafeConfig, cafe_config, cafe_findings
from bot.features.cafe._pairing import Group, Plan, Pool, plan_round
from bot.features.cafe._personal import KINDS
from bot.features.cafe._rounds import (
    Rounds,
    checkin_post,
    job_id,
    purge_job_id,
    seed_of,
    tick_job_id,
)
from bot.features.cafe._stats import CafeStats, cafe_stats
from bot.scheduling import Job, parse_cron

__all__ = [
    "FEATURE",
    "CafeConfig",
    "CafeStats",
    "Group",
    "Plan",
    "Pool",
    "Rounds",
    "cafe_config",
    "cafe_findings",
    "cafe_stats",
    "checkin_post",
    "job_id",
    "parse_duration",
    "plan_round",
    "purge_job_id",
    "seed_of",
    "setup",
    "tick_job_id",
]

TICK_CRON = "0 * * * *"
"""Check-ins go out within the hour they are due."""
PURGE_CRON = "40 3 * * *"


def setup(app: FeatureContext) -> None:
    """Declare the café's commands, clicks and data; schedule rounds where cafés are enabled."""
    app.holds_personal_data(*KINDS)
    rounds = Rounds(app, cafe_config)
    for community in app.communities.values():
        config = cafe_config(community)
        if not config.enabled:
            continue
        for job, cron, grace, run in (
            (
                job_id(community.key),
                config.schedule,
                timedelta(minutes=config.grace_minutes),
                rounds.run_scheduled,
            ),
            (tick_job_id(community.key), TICK_CRON, timedelta(hours=12), rounds.send_checkins),
            (purge_job_id(community.key), PURGE_CRON, timedelta(hours=23), rounds.purge),
        ):
            app.jobs.add(
                Job(
                    id=job,
                    community=community.key,
                    schedule=parse_cron(cron),
                    timezone=community.timezone,
                    grace=grace,
                    run=functools.partial(run, community.key),
                )
            )
    app.on_choice("cafe", Clicks(app).on_choice)
    declare_commands(app, cafe_config)
    from bot.features.cafe import _metrics  # café figures in reports

    _metrics.register()


FEATURE = Feature(
    name="cafe",
    order=65,
    setup=setup,
    config=ConfigSection("cafe", CafeConfig, cafe_findings),
)
