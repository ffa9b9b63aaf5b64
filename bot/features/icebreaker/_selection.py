"""Who to invite: the gentleness rules as one pure function over hand-buildable histories.

Rules, in order: never bots, members who left or opted out; newcomers get their
welcome first; only the levels the community invites (not core or active members);
at most one contact per cool-down; a long pause after M unanswered invitations in a
row. Among the members left, rotation: fewest invitations first, then the longest
since their last one, then `Candidate.order` (a seeded shuffle), so everyone eligible is
invited once before anyone twice.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.activity import Level

log = logging.getLogger(__name__)

ANSWER_WINDOW = timedelta(days=7)
"""An invitation not followed by a post or reaction within this window is unanswered."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """A member as selection sees them."""

    member_id: str
    display_name: str
    level: Level
    is_bot: bool = False
    left: bool = False
    order: int = 0
    """Where the member stands among equals in the rotation (`rotation_order`)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Contact:
    """One past invitation (or welcome) of a member, and when they answered, if they did."""

    kind: str
    sent_at: datetime
    responded_at: datetime | None = None

    def answered(self) -> bool:
        """Return whether the member posted or reacted within the answer window."""
        return self.responded_at is not None and self.responded_at - self.sent_at <= ANSWER_WINDOW


@dataclass(frozen=True, kw_only=True, slots=True)
class Rules:
    """The community's selection settings."""

    max_invitees: int
    cooldown: timedelta
    max_unanswered: int
    pause: timedelta
    invite_levels: frozenset[Level]


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    """Whether a member would be invited now, and why (a `reason` key of the prompts)."""

    candidate: Candidate
    invited: bool
    reason: str
    times_invited: int
    last_contact: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Selection:
    """Who is invited, who comes next in the rotation, and why the others are left alone."""

    chosen: list[Verdict]
    next_up: list[Verdict]
    waiting: int
    excluded: dict[str, str]

    def reasons(self) -> dict[str, str]:
        """Return every member's reason: chosen, rotation (among `next_up`) or exclusion."""
        return {
            **{v.candidate.member_id: v.reason for v in (*self.chosen, *self.next_up)},
            **self.excluded,
        }


def select(
    candidates: Iterable[Candidate],
    history: Mapping[str, Sequence[Contact]],
    *,
    rules: Rules,
    now: datetime,
    opted_out: Collection[str] = (),
    awaiting_welcome: Collection[str] = (),
    show: int = 5,
) -> Selection:
    """Apply the rules: choose at most `max_invitees`, and list the next `show` in line."""
    eligible: list[tuple[tuple[int, datetime, int], Candidate, int, datetime | None]] = []
    excluded: dict[str, str] = {}
    for candidate in candidates:
        contacts = history.get(candidate.member_id)
        invitations: list[Contact] = []
        last = None
        if contacts:
            ordered = sorted(contacts, key=lambda c: c.sent_at)
            invitations = [c for c in ordered if c.kind == "invitation"]
            last = ordered[-1].sent_at
        reason = _excluded(candidate, invitations, last, rules, now, opted_out, awaiting_welcome)
        if reason is None:
            key = (len(invitations), last or _NEVER, candidate.order)
            eligible.append((key, candidate, len(invitations), last))
        else:
            excluded[candidate.member_id] = reason
    first = heapq.nsmallest(rules.max_invitees + show, eligible, key=lambda entry: entry[0])
    ranked = [
        Verdict(
            candidate=candidate,
            invited=rank < rules.max_invitees,
            reason="chosen" if rank < rules.max_invitees else "rotation",
            times_invited=times,
            last_contact=last,
        )
        for rank, (_, candidate, times, last) in enumerate(first)
    ]
    return Selection(
        chosen=ranked[: rules.max_invitees],
        next_up=ranked[rules.max_invitees :],
        waiting=max(0, len(eligible) - rules.max_invitees),
        excluded=excluded,
    )


def unanswered_streak(invitations: Sequence[Contact]) -> int:
    """Return how many of the latest invitations in a row went unanswered."""
    streak = 0
    for contact in reversed(invitations):
        if contact.answered():
            break
        streak += 1
    return streak


def _excluded(
    candidate: Candidate,
    invitations: Sequence[Contact],
    last: datetime | None,
    rules: Rules,
    now: datetime,
    opted_out: Collection[str],
    awaiting_welcome: Collection[str],
) -> str | None:
    if candidate.is_bot:
        return "bot"
    if candidate.left:
        return "left"
    if candidate.member_id in opted_out:
        return "opted_out"
    if candidate.member_id in awaiting_welcome:
        return "awaiting_welcome"
    if candidate.level not in rules.invite_levels:
        return "level"
    if last is not None and now - last < rules.cooldown:
        return "cooldown"
    if (
        invitations
        and unanswered_streak(invitations) >= rules.max_unanswered
        and now - invitations[-1].sent_at < rules.pause
    ):
        return "paused"
    return None


_NEVER = datetime(1970, 1, 1, tzinfo=UTC)
