"""Did it work: a post or reaction within 48 hours, within 7 days, still active at 30 days.

For each invitation and welcome, outcomes are read from the interaction log on the
injected clock and stored on the invitation row; an invitation is settled once its
30-day outcome is known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.storage import Invitation, UnitOfWork

log = logging.getLogger(__name__)

WITHIN_48H = timedelta(hours=48)
WITHIN_7D = timedelta(days=7)
RETAINED_FROM = timedelta(days=23)
RETAINED_UNTIL = timedelta(days=30)
"""Still active 30 days later: posted or reacted in the week ending 30 days after."""


async def refresh_outcomes(uow: UnitOfWork, community_id: int, now: datetime) -> int:
    """Update the outcomes of a community's unsettled invitations; return how many changed.

    Every window looked up (a first answer within 7 days, activity 30 days on) goes
    to the log in one call (`first_activities`), not one call each.
    """
    invitations = await uow.icebreaker.open_outcomes(community_id)
    windows: list[tuple[str, datetime, datetime]] = []
    answered: dict[int, int] = {}
    stayed: dict[int, int] = {}
    for index, invitation in enumerate(invitations):
        sent = invitation.sent_at
        until = min(now, sent + WITHIN_7D)
        if invitation.responded_at is None and until > sent:
            answered[index] = len(windows)
            windows.append((invitation.member_id, sent, until))
        if now >= sent + RETAINED_UNTIL:
            stayed[index] = len(windows)
            windows.append((invitation.member_id, sent + RETAINED_FROM, sent + RETAINED_UNTIL))
    found = await uow.icebreaker.first_activities(community_id, windows) if windows else []
    changed = 0
    for index, invitation in enumerate(invitations):
        responded = invitation.responded_at
        if index in answered:
            responded = found[answered[index]]
        retained = found[stayed[index]] is not None if index in stayed else None
        if responded != invitation.responded_at or retained is not None:
            await uow.icebreaker.set_outcome(
                invitation.id, responded_at=responded, retained=retained
            )
            changed += 1
    return changed


@dataclass(kw_only=True, slots=True)
class Rate:
    """Of the invitations old enough to tell, how many converted."""

    known: int = 0
    converted: int = 0

    @property
    def percent(self) -> int | None:
        """Return the conversion in whole percent, or None when nothing is known yet."""
        return None if self.known == 0 else round(100 * self.converted / self.known)


@dataclass(kw_only=True, slots=True)
class Conversion:
    """The conversion of one group of invitations (a kind, a prompt, a level, a channel)."""

    label: str
    sent: int = 0
    within_48h: Rate = field(default_factory=Rate)
    within_7d: Rate = field(default_factory=Rate)
    after_30d: Rate = field(default_factory=Rate)

    def add(self, invitation: Invitation, now: datetime) -> None:
        """Count one invitation whose outcomes are stored."""
        self.sent += 1
        delay = (
            None
            if invitation.responded_at is None
            else invitation.responded_at - invitation.sent_at
        )
        for rate, window in ((self.within_48h, WITHIN_48H), (self.within_7d, WITHIN_7D)):
            hit = delay is not None and delay <= window
            if hit or now >= invitation.sent_at + window:
                rate.known += 1
                rate.converted += int(hit)
        if invitation.retained is not None:
            self.after_30d.known += 1
            self.after_30d.converted += int(invitation.retained)


def conversions(
    invitations: Iterable[Invitation],
    now: datetime,
    key: Callable[[Invitation], str | None],
) -> list[Conversion]:
    """Group invitations by `key` (None leaves one out) and compute each group's conversion."""
    groups: dict[str, Conversion] = {}
    for invitation in invitations:
        label = key(invitation)
        if label is None:
            continue
        groups.setdefault(label, Conversion(label=label)).add(invitation, now)
    return sorted(groups.values(), key=lambda c: (-c.sent, c.label))
