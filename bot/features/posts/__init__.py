"""Regular posts: scheduled rituals drawn from a content pool without repeats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.analytics import Scheduled
from bot.config import CommunityConfig, Settings
from bot.feature import CommunityLines, ConfigSection, Feature, FeatureContext
from bot.features.posts._commands import declare_commands
from bot.features.posts._config import PostsConfig, RitualConfig, ritual_findings
from bot.features.posts._rituals import Rituals, job_id
from bot.prompts import Prompts
from bot.scheduling import next_fire_times, parse_cron

__all__ = [
    "FEATURE",
    "PostsConfig",
    "RitualConfig",
    "Rituals",
    "job_id",
    "setup",
]


def setup(app: FeatureContext) -> None:
    """Schedule every configured ritual and declare `/terreau posts ...`."""
    rituals = Rituals(app)
    rituals.schedule_all()
    declare_commands(app, rituals)


def content_problems(settings: Settings, prompts: Prompts) -> list[tuple[str, str]]:
    """Return (key path, message) for each ritual whose pool is missing in its language."""
    problems = []
    for index, community in enumerate(settings.communities):
        pools = prompts.catalog(community.language).pools()
        for position, ritual in enumerate(community.section(PostsConfig).schedules):
            if ritual.pool not in pools:
                problems.append(
                    (
                        f"communities[{index}].posts.schedules[{position}].pool",
                        f"unknown content pool {ritual.pool!r} in prompts/{community.language}/"
                        f" (known: {', '.join(sorted(pools))})",
                    )
                )
    return problems


def check(_settings: Settings, now: datetime) -> CommunityLines:
    """Return what `terreau check` prints of a community's rituals and their next runs."""

    def lines(community: CommunityConfig) -> list[str]:
        if not community.section(PostsConfig).schedules:
            return ["no scheduled posts"]
        zone = ZoneInfo(community.timezone)
        found: list[str] = []
        for ritual in community.section(PostsConfig).schedules:
            runs = next_fire_times(parse_cron(ritual.cron), zone, now, 3)
            shown = ", ".join(run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for run in runs)
            found.append(
                f"{ritual.name}: '{ritual.cron}' in #{ritual.channel} from pool {ritual.pool!r}"
            )
            found.append(f"  next: {shown}")
        return found

    return lines


# `terreau check` lists a community's games and election before its posts
def schedules(community: CommunityConfig) -> list[Scheduled]:
    """Return the community's rituals, for the report's heatmap and its rested prompts."""
    posts = community.section(PostsConfig)
    return [
        Scheduled(
            kind="ritual",
            name=ritual.name,
            cron=ritual.cron,
            rests_pool=ritual.pool if posts.rest_silent_prompts else None,
        )
        for ritual in posts.schedules
    ]


FEATURE = Feature(
    name="posts",
    config=ConfigSection("posts", PostsConfig, ritual_findings),
    order=30,
    setup=setup,
    check=check,
    check_order=55,
    content_problems=content_problems,
    schedules=schedules,
)
