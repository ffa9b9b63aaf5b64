"""Who could host what: occasional or quiet members whose declared interests meet a target.

A target is what a member would host, named by a kind and an id (a ritual's next
post by the ritual's name, an affinity group or a live session by its number), with
the topics it is about. Suggestions go to moderators only. A member is suggested, or may be sent an
offer, only if the icebreakers' own rules (`select`: opt-out, cool-down after any
contact, rest after unanswered invitations) would let them be invited now, if they
accept direct messages, and if no offer of theirs is open, waiting for its post, or
was declined or left unanswered within the rest the icebreakers give
(`pause_days`): a member who said no is never asked again soon.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.activity import Level
from bot.features.icebreaker._selection import Candidate, Contact, Rules, select

log = logging.getLogger(__name__)

REFUSED = ("declined", "expired")
"""An offer the member said no to, or left unanswered."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Target:
    """Something a member could host: a kind, an id, what to call it, its topics."""

    kind: str
    id: str
    name: str
    topics: frozenset[str]
    due: datetime | None = None
    """When a ritual's next post is due, or a live session starts (None for a group)."""
    hosts: frozenset[str] = frozenset()
    """Who hosts it already (a live session's hosts), never suggested for it."""
    channel_id: str | None = None
    """Where a live session is held (None for the other kinds)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PastOffer:
    """An offer made to a member before, as the rules see it."""

    status: str
    offered_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Suggestion:
    """A member moderators could invite to host a target, and the interest they share."""

    candidate: Candidate
    target: Target
    topic: str


def group_topics(topic_key: str) -> frozenset[str]:
    """Return the interests a group's topic meets: its words, and all of them as one slug."""
    words = topic_key.replace("-", " ").replace("_", " ").split()
    return frozenset((*words, "-".join(words))) if words else frozenset()


def title_topics(title: str) -> frozenset[str]:
    """Return the interests a live session's title meets: its words, as a group's topic."""
    return group_topics(" ".join(re.findall(r"\w+", title.casefold())))


KINDS = ("ritual", "group", "live")
"""The kinds of target, each a prefix a moderator may name one by (`live:4`)."""


def find_target(targets: Sequence[Target], reference: str) -> Target | None:
    """Return the target a moderator named, or None.

    A ritual is named by its name, a group by its number (`7` or `#7`), a live
    session by `live:` and its number (`live:4`); `ritual:` and `group:` name
    those kinds outright too.
    """
    kind, colon, rest = reference.strip().partition(":")
    named = kind.strip().casefold()
    if colon and named in KINDS:
        kinds: tuple[str, ...] = (named,)
        wanted = rest.strip().lstrip("#")
    else:
        kinds = ("ritual", "group")
        wanted = reference.strip().lstrip("#")
    for each in kinds:
        for target in targets:
            if target.kind == each and target.id == wanted:
                return target
    return None


def shared_topic(interests: Collection[str], target: Target) -> str | None:
    """Return the first (alphabetical) declared interest a target is about, if any."""
    shared = sorted(
        topic for topic in interests if topic in target.topics or _slug(topic) in target.topics
    )
    return shared[0] if shared else None


def _slug(topic: str) -> str:
    return topic.replace("_", "-")


def offer_refusal(
    offers: Sequence[PastOffer], *, now: datetime, rest_after_no: Rules
) -> str | None:
    """Return why a member's own offers forbid another now (`pending`, `declined`), if so.

    An accepted offer waits for its post no longer than the rest after a no: a ritual
    paused or removed since does not keep its host from every other offer.
    """
    if any(offer.status == "offered" for offer in offers):
        return "pending"
    if any(
        offer.status == "accepted"
        and now - (offer.answered_at or offer.offered_at) < rest_after_no.pause
        for offer in offers
    ):
        return "pending"
    refused = [o for o in offers if o.status in REFUSED]
    if refused:
        last = max(o.answered_at or o.offered_at for o in refused)
        if now - last < rest_after_no.pause:
            return "declined"
    return None


def eligibility(
    candidates: Iterable[Candidate],
    history: Mapping[str, Sequence[Contact]],
    offers: Mapping[str, Sequence[PastOffer]],
    *,
    rules: Rules,
    levels: Collection[Level] | None,
    now: datetime,
    opted_out: Collection[str] = (),
    dm_closed: Collection[str] = (),
) -> tuple[list[Candidate], dict[str, str]]:
    """Return the members who may be offered to host now, in rotation order, and why not.

    `levels` limits suggestions to some levels (None: a moderator's explicit offer,
    whatever the member's level). The reasons are `select`'s, then `no_dm`,
    `pending` and `declined`.
    """
    pool = list(candidates)
    everyone = frozenset(level for level in Level)
    widened = dataclasses.replace(
        rules,
        max_invitees=max(1, len(pool)),
        invite_levels=everyone if levels is None else frozenset(levels),
    )
    selection = select(pool, history, rules=widened, now=now, opted_out=opted_out, show=0)
    excluded = dict(selection.excluded)
    eligible: list[Candidate] = []
    for verdict in selection.chosen:
        member = verdict.candidate.member_id
        reason = "no_dm" if member in dm_closed else None
        reason = reason or offer_refusal(offers.get(member, ()), now=now, rest_after_no=rules)
        if reason is None:
            eligible.append(verdict.candidate)
        else:
            excluded[member] = reason
    return eligible, excluded


def suggest(
    eligible: Sequence[Candidate],
    interests: Mapping[str, Collection[str]],
    targets: Sequence[Target],
    *,
    limit: int,
) -> list[Suggestion]:
    """Return at most `limit` suggestions: eligible members, in order, who share a target's topic.

    Each member is suggested once, for the first target (in the order given) they
    share an interest with that no earlier suggestion took; targets already taken
    come back only when every target has its suggestion, so a few targets are not
    all offered to the same handful of members.
    """
    matches: list[tuple[Candidate, list[tuple[Target, str]]]] = []
    for candidate in eligible:
        declared = interests.get(candidate.member_id, ())
        fitting = [
            (t, topic)
            for t in targets
            if candidate.member_id not in t.hosts
            and (topic := shared_topic(declared, t)) is not None
        ]
        if fitting:
            matches.append((candidate, fitting))
    found: dict[str, Suggestion] = {}
    taken: set[tuple[str, str]] = set()
    for spread in (True, False):
        for candidate, fitting in matches:
            if len(found) >= limit:
                break
            if candidate.member_id in found:
                continue
            for target, topic in fitting:
                if spread and (target.kind, target.id) in taken:
                    continue
                found[candidate.member_id] = Suggestion(
                    candidate=candidate, target=target, topic=topic
                )
                taken.add((target.kind, target.id))
                break
    order = {c.member_id: i for i, (c, _) in enumerate(matches)}
    return sorted(found.values(), key=lambda s: order[s.candidate.member_id])
