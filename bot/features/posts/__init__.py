"""Regular posts: scheduled rituals drawn from a content pool without repeats."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import CommunityConfig, Settings
from bot.feature import CommunityLines, Feature, FeatureContext
from bot.features.posts._commands import declare_commands
from bot.features.posts._rituals import Rituals, job_id
from bot.scheduling import next_fire_times, parse_cron

__all__ = ["FEATURE", "Rituals", "job_id", "setup"]


def setup(app: FeatureContext) -> None:
    """Schedule every configured ritual and declare `/terreau posts ...`."""
    rituals = Rituals(app)
    rituals.schedule_all()
    declare_commands(app, rituals)


def check(_settings: Settings, now: datetime) -> CommunityLines:
    """Return what `terreau check` prints of a community's rituals and their next runs."""

    def lines(community: CommunityConfig) -> list[str]:
        if not community.posts.schedules:
            return ["no scheduled posts"]
        zone = ZoneInfo(community.timezone)
        found: list[str] = []
        for ritual in community.posts.schedules:
            runs = next_fire_times(parse_cron(ritual.cron), zone, now, 3)
            shown = ", ".join(run.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z") for run in runs)
            found.append(
                f"{ritual.name}: '{ritual.cron}' in #{ritual.channel} from pool {ritual.pool!r}"
            )
            found.append(f"  next: {shown}")
        return found

    return lines


# `terreau check` lists a community's games and election before its posts
FEATURE = Feature(name="posts", order=30, setup=setup, check=check, check_order=55)
