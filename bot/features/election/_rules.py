"""The written rules: who may vote and nominate, and who may be nominated.

Each refusal is a `Refusal` naming its own message in `prompts/<lang>/election.toml`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot import commands
from bot.commands import is_moderator
from bot.config import CommunityConfig
from bot.domain import Member
from bot.features.election._config import ElectionConfig
from bot.ports import PlatformError
from bot.storage import UnitOfWork

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

COUNTED = ("messages", "replies", "reactions")
"""What counts as an interaction for voting: talking and reacting, not bot commands."""


class Refusal(commands.Refusal):
    """A rule said no; `key` names the message (under `election.refuse.`) that says why."""

    prefix = "election.refuse."


def month_index(period: str) -> int:
    """Return a comparable month number for a `YYYY-MM` period."""
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def period_of(index: int) -> str:
    """Return the `YYYY-MM` period of a month number."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


async def member_since(uow: UnitOfWork, community_id: int, member: Member) -> datetime | None:
    """Return the earliest moment the member is known to have been in the community."""
    stored = await uow.members.get(community_id, member.id)
    known = [member.joined_at] if member.joined_at is not None else []
    if stored is not None:
        known.extend(t for t in (stored.joined_at, stored.first_seen_at) if t is not None)
    return min(known, default=None)


async def interactions(
    uow: UnitOfWork, community_id: int, member_id: str, now: datetime, days: int
) -> int:
    """Count a member's messages, replies and reactions over the last `days` UTC days."""
    today = now.date()
    since = today - timedelta(days=days)
    rows = await uow.interactions.daily_activity(
        community_id, since, today + timedelta(days=1), member_id=member_id
    )
    return sum(row.messages + row.replies + row.reactions for row in rows)


async def check_voter(
    uow: UnitOfWork, community: CommunityConfig, community_id: int, member: Member, now: datetime
) -> None:
    """Refuse a member who may not vote (or nominate): bots, newcomers, the silent."""
    rules = community.section(ElectionConfig)
    if member.is_bot:
        raise Refusal("bot_voter")
    since = await member_since(uow, community_id, member)
    tenure = timedelta(days=rules.min_tenure_days)
    if since is None or now - since < tenure:
        start = since or now
        raise Refusal("tenure", days=rules.min_tenure_days, eligible_on=start + tenure)
    if rules.min_interactions > 0:
        count = await interactions(uow, community_id, member.id, now, rules.activity_days)
        if count < rules.min_interactions:
            raise Refusal(
                "inactive", needed=rules.min_interactions, days=rules.activity_days, count=count
            )


async def fetch_nominee(
    app: FeatureContext, community: CommunityConfig, nominee_id: str
) -> Member | None:
    """Return the nominee as the platform knows them now (None if it cannot say)."""
    try:
        return await app.platform(community.key).fetch_member(community.key, nominee_id)
    except PlatformError as error:
        log.info("could not fetch member %s of %s: %s", nominee_id, community.key, error)
        return None


async def nominee(
    uow: UnitOfWork, community_id: int, nominee_id: str, fetched: Member | None
) -> Member:
    """Return the nominee as the platform or, failing that, the members table knows them."""
    if fetched is not None:
        return fetched
    stored = await uow.members.get(community_id, nominee_id)
    if stored is None or stored.left_at is not None:
        raise Refusal("nominee_unknown", nominee=nominee_id)
    return Member(
        id=stored.member_id,
        display_name=stored.display_name,
        is_bot=stored.is_bot,
        joined_at=stored.joined_at,
    )


async def check_nominee(
    uow: UnitOfWork,
    community: CommunityConfig,
    community_id: int,
    nominator: Member,
    candidate: Member,
    period: str,
) -> None:
    """Refuse a nomination of oneself, a bot, a moderator (if so configured), a resting winner."""
    rules = community.section(ElectionConfig)
    if candidate.id == nominator.id:
        raise Refusal("self_nomination")
    if candidate.is_bot:
        raise Refusal("nominee_bot", nominee=candidate.display_name)
    if not rules.moderators_eligible and is_moderator(candidate, community.moderator_roles):
        raise Refusal("nominee_moderator", nominee=candidate.display_name)
    if rules.rest_months > 0:
        won = await uow.elections.last_win(community_id, candidate.id)
        if won is not None:
            back_from = month_index(won.period) + rules.rest_months + 1
            if month_index(period) < back_from:
                raise Refusal(
                    "nominee_resting",
                    nominee=candidate.display_name,
                    won=won.period,
                    months=rules.rest_months,
                    back=period_of(back_from),
                )


async def eligible_voters(
    uow: UnitOfWork, community: CommunityConfig, community_id: int, now: datetime
) -> list[str]:
    """Return the ids of the present members who may vote now (the base of the turnout)."""
    rules = community.section(ElectionConfig)
    present = await uow.members.present(community_id)
    today: date = now.date()
    rows = await uow.interactions.daily_activity(
        community_id, today - timedelta(days=rules.activity_days), today + timedelta(days=1)
    )
    activity: dict[str, int] = {}
    for row in rows:
        activity[row.member_id] = (
            activity.get(row.member_id, 0) + row.messages + row.replies + row.reactions
        )
    tenure = timedelta(days=rules.min_tenure_days)
    eligible: list[str] = []
    for member in present:
        since = min(t for t in (member.joined_at, member.first_seen_at) if t is not None)
        if now - since >= tenure and activity.get(member.member_id, 0) >= rules.min_interactions:
            eligible.append(member.member_id)
    return eligible
