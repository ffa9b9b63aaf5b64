"""Virtual café storage: who takes part, whom they avoid, rounds, groups and seats.

Uniqueness is the database's: one round per (community, scheduled time), one group
per (round, number), one seat per (group, member). Marking a round's check-in sent
is a compare-and-set, so two processes never both send it; so is claiming the
opening of a group's space (a lease), so two processes never both open it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, aliased, mapped_column

from bot.storage._base import Repository, require_aware
from bot.storage._interactions import human
from bot.storage.models import Base, InteractionLogRow, MemberRow, community_fk, one_of

ANSWERS = ("met", "not_yet", "skip")
"""What a member answers to "did you meet?"."""

__all__ = [
    "ANSWERS",
    "AvoidRow",
    "CafeGroup",
    "CafeRound",
    "CafeSpace",
    "Cafes",
    "GroupRow",
    "NewGroup",
    "Participant",
    "ParticipantRow",
    "RoundRow",
    "SeatRow",
    "pseudonym",
]


messages_index = Index(
    "ix_interactions_community_message",
    InteractionLogRow.__table__.c.community_id,
    InteractionLogRow.__table__.c.message_id,
)
"""Finds the author of the message a reply or a reaction answers, so reading who talks
to whom is one index lookup per response (it lives on the core's log table, declared
here so the café stays in its own files, as `bot.storage.analytics` does for reports)."""


class ParticipantRow(Base):
    """A member who joined the virtual cafés (or left them), snoozes and silences."""

    __tablename__ = "cafe_participants"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    active: Mapped[bool]
    joined_at: Mapped[datetime]
    snoozed_until: Mapped[datetime | None]
    unanswered: Mapped[int] = mapped_column(default=0)
    """Check-ins in a row the member left unanswered."""
    stay_asked_at: Mapped[datetime | None]
    """When Terreau asked the member whether to stay; they are not paired until they answer."""
    stay_ask_due: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The question whether to stay is decided but not sent yet (it waits out quiet hours)."""
    updated_at: Mapped[datetime]


class AvoidRow(Base):
    """A member the participant asked never to be paired with (private)."""

    __tablename__ = "cafe_avoid"

    community_id: Mapped[int] = mapped_column(community_fk(), primary_key=True)
    member_id: Mapped[str] = mapped_column(primary_key=True)
    avoided_id: Mapped[str] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]


class RoundRow(Base):
    """One café round: planned once per scheduled time; its check-in sent once."""

    __tablename__ = "cafe_rounds"
    __table_args__ = (UniqueConstraint("community_id", "scheduled_for"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    scheduled_for: Mapped[datetime]
    planned_at: Mapped[datetime]
    seed: Mapped[int] = mapped_column(BigInteger)
    checkin_due: Mapped[datetime]
    checkin_sent_at: Mapped[datetime | None]
    tallied: Mapped[bool] = mapped_column(default=False)
    """Whether its unanswered check-ins were counted in the participants' streaks."""


class GroupRow(Base):
    """A group of a round, with the conversation starter it was given."""

    __tablename__ = "cafe_groups"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    round_id: Mapped[int] = mapped_column(ForeignKey("cafe_rounds.id", ondelete="CASCADE"))
    number: Mapped[int]
    starter: Mapped[str | None]
    interest: Mapped[str | None]
    intro_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Recorded before its space opened: the intro is queued with the space."""
    space_channel_id: Mapped[str | None]
    space_thread_id: Mapped[str | None]
    space_claimed_by: Mapped[str | None]
    """The process opening the group's space: it alone calls the platform until the lease ends."""
    space_claimed_until: Mapped[datetime | None]
    space_claims: Mapped[int] = mapped_column(default=0, server_default="0")
    """How many times a process set out to open the space (more than one: one may be unused)."""
    archived_at: Mapped[datetime | None]
    """When the group's space was archived (read-only, kept) after the round."""


class SeatRow(Base):
    """A member's place in a group, their answer to the check-in, and prior contact.

    `member_id` is replaced by a pseudonym when the member erases their data, so the
    other members' history (whom they met, repeats) stays correct.
    """

    __tablename__ = "cafe_seats"
    __table_args__ = (
        UniqueConstraint("group_id", "member_id"),
        CheckConstraint(f"answer IS NULL OR {one_of('answer', ANSWERS)}", name="answer"),
        Index("ix_cafe_seats_member", "community_id", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    group_id: Mapped[int] = mapped_column(ForeignKey("cafe_groups.id", ondelete="CASCADE"))
    member_id: Mapped[str]
    had_contact: Mapped[bool]
    """Whether the member had replied or reacted to another of the group before."""
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None]


@dataclass(frozen=True, kw_only=True, slots=True)
class Participant:
    """A member's café settings."""

    member_id: str
    active: bool
    joined_at: datetime
    snoozed_until: datetime | None
    unanswered: int
    stay_asked_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class CafeGroup:
    """A group as the café reads it back: its round, members, answers."""

    id: int
    round_id: int
    number: int
    planned_at: datetime
    starter: str | None
    interest: str | None
    members: tuple[str, ...]
    answers: tuple[str | None, ...]
    had_contact: bool
    space_channel_id: str | None = None
    """Where the group talks; None: in the café channel."""
    space_thread_id: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CafeSpace:
    """A group's private space, as archiving reads it."""

    group_id: int
    channel_id: str
    thread_id: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class NewGroup:
    """A group to record: its number in the round, members, starter and shared interest."""

    number: int
    members: tuple[str, ...]
    starter: str | None = None
    interest: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CafeRound:
    """A round as the café reads it back."""

    id: int
    scheduled_for: datetime
    planned_at: datetime
    checkin_due: datetime
    checkin_sent_at: datetime | None


def pseudonym(community_id: int, member_id: str) -> str:
    """Return the stand-in of an erased member's seats: stable, not reversible by reading."""
    digest = hashlib.sha256(f"{community_id}\x00{member_id}".encode()).hexdigest()[:16]
    return f"erased:{digest}"


_par = ParticipantRow.__table__.c
_avo = AvoidRow.__table__.c
_rnd = RoundRow.__table__.c
_grp = GroupRow.__table__.c
_sea = SeatRow.__table__.c
_log = InteractionLogRow.__table__.c
_mem = MemberRow.__table__.c
_AUTHORED = ("message", "reply")
IN_LIMIT = 1000
"""Above this many members, responses are filtered here rather than in an IN list."""
CHUNK = 1000
"""Groups per INSERT (five parameters each: well within every driver's limit)."""


class Cafes(Repository):
    """Participants, exclusions, rounds, groups and seats of every community."""

    # -- participants

    async def join(self, community_id: int, member_id: str) -> bool:
        """Make the member a participant again; False if they already were."""
        now = self._clock.now()
        found = await self.participant(community_id, member_id)
        if found is not None and found.active and found.stay_asked_at is None:
            return False
        values = {
            "active": True,
            "unanswered": 0,
            "stay_asked_at": None,
            "stay_ask_due": False,
            "updated_at": now,
        }
        stmt = (
            self._insert(ParticipantRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                joined_at=now,
                snoozed_until=None,
                **values,
            )
            .on_conflict_do_update(index_elements=[_par.community_id, _par.member_id], set_=values)
        )
        await self._connection.execute(stmt)
        return True

    async def leave(self, community_id: int, member_id: str) -> bool:
        """Stop pairing the member; False if they were not taking part."""
        stmt = (
            update(ParticipantRow)
            .where(_par.community_id == community_id, _par.member_id == member_id, _par.active)
            .values(
                active=False, stay_asked_at=None, stay_ask_due=False, updated_at=self._clock.now()
            )
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def snooze(self, community_id: int, member_id: str, until: datetime) -> bool:
        """Leave the member out of rounds until `until`; False if they are not taking part."""
        stmt = (
            update(ParticipantRow)
            .where(_par.community_id == community_id, _par.member_id == member_id, _par.active)
            .values(snoozed_until=require_aware(until, "until"), updated_at=self._clock.now())
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def participant(self, community_id: int, member_id: str) -> Participant | None:
        """Return a member's café settings, or None if they never joined."""
        stmt = select(ParticipantRow.__table__).where(
            _par.community_id == community_id, _par.member_id == member_id
        )
        row = (await self._connection.execute(stmt)).first()
        return None if row is None else _participant(row)

    async def pairable(self, community_id: int, at: datetime) -> list[str]:
        """Return the active participants who are present, not snoozed, not asked to stay.

        Members who left the community (or were never seen) are not pairable.
        """
        stmt = (
            select(_par.member_id)
            .join(
                MemberRow,
                and_(_mem.community_id == _par.community_id, _mem.member_id == _par.member_id),
            )
            .where(
                _par.community_id == community_id,
                _par.active,
                _par.stay_asked_at.is_(None),
                or_(_par.snoozed_until.is_(None), _par.snoozed_until <= require_aware(at, "at")),
                _mem.left_at.is_(None),
                _mem.is_bot.is_(False),
            )
            .order_by(_par.member_id)
        )
        return list((await self._connection.execute(stmt)).scalars())

    async def tally_unanswered(self, community_id: int, limit: int) -> list[str]:
        """Count the unanswered check-ins of rounds not yet tallied; return who reached `limit`.

        Those members are marked as asked whether to stay (and left out of rounds
        until they answer), the question due (`take_stay_questions` hands it out);
        each is returned once.
        """
        # Compare-and-set: of two processes tallying at once, each round counts once.
        claimed = await self._connection.execute(
            update(RoundRow)
            .where(
                _rnd.community_id == community_id,
                _rnd.checkin_sent_at.is_not(None),
                _rnd.tallied.is_(False),
            )
            .values(tallied=True)
            .returning(_rnd.id)
        )
        rounds = sorted(claimed.scalars())
        if not rounds:
            return []
        seats = select(_sea.member_id, _sea.answer).join(GroupRow, _grp.id == _sea.group_id)
        silent: set[str] = set()
        for member, answer in await self._connection.execute(
            seats.where(_grp.round_id.in_(rounds))
        ):
            if answer is None:
                silent.add(member)
        if not silent:
            return []
        now = self._clock.now()
        await self._connection.execute(
            update(ParticipantRow)
            .where(_par.community_id == community_id, _par.member_id.in_(sorted(silent)))
            .values(unanswered=_par.unanswered + 1, updated_at=now)
        )
        reached = select(_par.member_id).where(
            _par.community_id == community_id,
            _par.member_id.in_(sorted(silent)),
            _par.active,
            _par.stay_asked_at.is_(None),
            _par.unanswered >= limit,
        )
        asked = sorted((await self._connection.execute(reached)).scalars())
        if asked:
            await self._connection.execute(
                update(ParticipantRow)
                .where(_par.community_id == community_id, _par.member_id.in_(asked))
                .values(stay_asked_at=now, stay_ask_due=True)
            )
        return asked

    async def take_stay_questions(self, community_id: int) -> list[str]:
        """Return the members whose question whether to stay is due, marking it sent.

        Compare-and-set: of two processes taking at once, each member goes to one.
        """
        stmt = (
            update(ParticipantRow)
            .where(_par.community_id == community_id, _par.stay_ask_due.is_(True), _par.active)
            .values(stay_ask_due=False)
            .returning(_par.member_id)
        )
        return sorted((await self._connection.execute(stmt)).scalars())

    # -- exclusions

    async def avoid(self, community_id: int, member_id: str, avoided_id: str) -> bool:
        """Never pair `member_id` with `avoided_id`; False if already so."""
        stmt = (
            self._insert(AvoidRow.__table__)
            .values(
                community_id=community_id,
                member_id=member_id,
                avoided_id=avoided_id,
                created_at=self._clock.now(),
            )
            .on_conflict_do_nothing()
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def unavoid(self, community_id: int, member_id: str, avoided_id: str) -> bool:
        """Undo `avoid`; False if there was nothing to undo."""
        stmt = delete(AvoidRow).where(
            _avo.community_id == community_id,
            _avo.member_id == member_id,
            _avo.avoided_id == avoided_id,
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def avoided(self, community_id: int) -> set[frozenset[str]]:
        """Return every pair some member of it asked never to be paired."""
        stmt = select(_avo.member_id, _avo.avoided_id).where(_avo.community_id == community_id)
        return {frozenset(pair) for pair in await self._connection.execute(stmt)}

    # -- rounds and groups

    async def start_round(
        self,
        community_id: int,
        scheduled_for: datetime,
        *,
        seed: int,
        checkin_due: datetime,
    ) -> int | None:
        """Record a round; None if the round of `scheduled_for` exists already."""
        stmt = (
            self._insert(RoundRow.__table__)
            .values(
                community_id=community_id,
                scheduled_for=require_aware(scheduled_for, "scheduled_for"),
                planned_at=self._clock.now(),
                seed=seed,
                checkin_due=require_aware(checkin_due, "checkin_due"),
                checkin_sent_at=None,
                tallied=False,
            )
            .on_conflict_do_nothing(index_elements=[_rnd.community_id, _rnd.scheduled_for])
            .returning(_rnd.id)
        )
        found = (await self._connection.execute(stmt)).scalar_one_or_none()
        return None if found is None else int(found)

    async def add_group(
        self,
        community_id: int,
        round_id: int,
        number: int,
        members: Iterable[str],
        *,
        contacts: Collection[frozenset[str]],
        starter: str | None,
        interest: str | None,
    ) -> int:
        """Record a group and its seats; a seat had contact when its member knew another."""
        [group_id] = await self.add_groups(
            community_id,
            round_id,
            [NewGroup(number=number, members=tuple(members), starter=starter, interest=interest)],
            contacts=contacts,
        )
        return group_id

    async def add_groups(
        self,
        community_id: int,
        round_id: int,
        groups: Sequence[NewGroup],
        *,
        contacts: Collection[frozenset[str]],
        pending: bool = False,
    ) -> list[int]:
        """Record a round's groups and their seats in two statements; return the groups' ids.

        `pending`: each group's space is still to open and its intro to queue
        (`introduce` records both).
        """
        ids: dict[int, int] = {}
        for start in range(0, len(groups), CHUNK):
            chunk = groups[start : start + CHUNK]
            stmt = (
                insert(GroupRow)
                .values(
                    [
                        {
                            "community_id": community_id,
                            "round_id": round_id,
                            "number": group.number,
                            "starter": group.starter,
                            "interest": group.interest,
                            "intro_pending": pending,
                        }
                        for group in chunk
                    ]
                )
                .returning(_grp.id, _grp.number)
            )
            ids.update({number: gid for gid, number in await self._connection.execute(stmt)})
        seats = [
            {
                "community_id": community_id,
                "group_id": ids[group.number],
                "member_id": member,
                "had_contact": any(
                    frozenset((member, other)) in contacts
                    for other in group.members
                    if other != member
                ),
                "answer": None,
                "answered_at": None,
            }
            for group in groups
            for member in group.members
        ]
        if seats:
            await self._connection.execute(insert(SeatRow), seats)
        return [ids[group.number] for group in groups]

    async def due_checkins(self, community_id: int, at: datetime) -> list[int]:
        """Return the rounds whose check-in is due at `at` and not sent, oldest first."""
        stmt = (
            select(_rnd.id)
            .where(
                _rnd.community_id == community_id,
                _rnd.checkin_sent_at.is_(None),
                _rnd.checkin_due <= require_aware(at, "at"),
            )
            .order_by(_rnd.id)
        )
        return list((await self._connection.execute(stmt)).scalars())

    async def mark_checkin_sent(self, round_id: int) -> bool:
        """Mark a round's check-in sent; False if another process did it first."""
        stmt = (
            update(RoundRow)
            .where(_rnd.id == round_id, _rnd.checkin_sent_at.is_(None))
            .values(checkin_sent_at=self._clock.now())
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def rounds(self, community_id: int) -> list[CafeRound]:
        """Return a community's rounds, oldest first."""
        stmt = (
            select(RoundRow.__table__)
            .where(_rnd.community_id == community_id)
            .order_by(_rnd.scheduled_for)
        )
        return [
            CafeRound(
                id=row.id,
                scheduled_for=row.scheduled_for,
                planned_at=row.planned_at,
                checkin_due=row.checkin_due,
                checkin_sent_at=row.checkin_sent_at,
            )
            for row in await self._connection.execute(stmt)
        ]

    async def groups(
        self,
        community_id: int,
        *,
        round_ids: Collection[int] | None = None,
        group_id: int | None = None,
        pending: bool = False,
    ) -> list[CafeGroup]:
        """Return groups (all, of some rounds, or one) with their seats, oldest first.

        `pending`: only the groups whose space and intro are still to record.
        """
        stmt = (
            select(
                _grp.id,
                _grp.round_id,
                _grp.number,
                _grp.starter,
                _grp.interest,
                _grp.space_channel_id,
                _grp.space_thread_id,
                _rnd.planned_at,
                _sea.member_id,
                _sea.answer,
                _sea.had_contact,
            )
            .join(RoundRow, _rnd.id == _grp.round_id)
            .join(SeatRow, _sea.group_id == _grp.id)
            .where(_grp.community_id == community_id)
            .order_by(_rnd.scheduled_for, _grp.number, _sea.id)
        )
        if round_ids is not None:
            stmt = stmt.where(_grp.round_id.in_(sorted(round_ids)))
        if group_id is not None:
            stmt = stmt.where(_grp.id == group_id)
        if pending:
            stmt = stmt.where(_grp.intro_pending.is_(True))
        found: dict[int, list[tuple[object, ...]]] = {}
        heads: dict[int, Any] = {}
        for row in await self._connection.execute(stmt):
            heads[row.id] = row
            found.setdefault(row.id, []).append((row.member_id, row.answer, row.had_contact))
        groups = []
        for gid, seats in found.items():
            head = heads[gid]
            groups.append(
                CafeGroup(
                    id=gid,
                    round_id=head.round_id,
                    number=head.number,
                    planned_at=head.planned_at,
                    starter=head.starter,
                    interest=head.interest,
                    space_channel_id=head.space_channel_id,
                    space_thread_id=head.space_thread_id,
                    members=tuple(str(s[0]) for s in seats),
                    answers=tuple(None if s[1] is None else str(s[1]) for s in seats),
                    had_contact=any(bool(s[2]) for s in seats),
                )
            )
        return groups

    async def claim_space(self, group_id: int, owner: str, until: datetime) -> int | None:
        """Claim the opening of a waiting group's space for `owner` until `until`.

        Return how many times its opening was claimed, this one included (more than
        one: an earlier opener may have left a space unrecorded); None when the group
        is introduced already or another owner's claim still runs.
        """
        now = self._clock.now()
        stmt = (
            update(GroupRow)
            .where(
                _grp.id == group_id,
                _grp.intro_pending.is_(True),
                or_(_grp.space_claimed_until.is_(None), _grp.space_claimed_until <= now),
            )
            .values(
                space_claimed_by=owner,
                space_claimed_until=require_aware(until, "until"),
                space_claims=_grp.space_claims + 1,
            )
            .returning(_grp.space_claims)
        )
        found = (await self._connection.execute(stmt)).scalar_one_or_none()
        return None if found is None else int(found)

    async def release_space(self, group_id: int, owner: str, *, opened: bool) -> None:
        """End `owner`'s claim on a group's space; `opened` False: no space was made."""
        values: dict[str, Any] = {"space_claimed_until": None}
        if not opened:
            values["space_claims"] = _grp.space_claims - 1
        await self._connection.execute(
            update(GroupRow)
            .where(
                _grp.id == group_id, _grp.space_claimed_by == owner, _grp.intro_pending.is_(True)
            )
            .values(**values)
        )

    async def introduce(
        self, group_id: int, *, space_channel_id: str | None, space_thread_id: str | None
    ) -> bool:
        """Record a pending group's space (None: the café channel); False if recorded already."""
        stmt = (
            update(GroupRow)
            .where(_grp.id == group_id, _grp.intro_pending.is_(True))
            .values(
                intro_pending=False,
                space_channel_id=space_channel_id,
                space_thread_id=space_thread_id,
                space_claimed_until=None,
            )
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def spaces_to_archive(
        self, community_id: int, checked_in_before: datetime, *, limit: int = 500
    ) -> list[CafeSpace]:
        """Return open spaces of groups whose check-in was sent before `checked_in_before`."""
        stmt = (
            select(_grp.id, _grp.space_channel_id, _grp.space_thread_id)
            .join(RoundRow, _rnd.id == _grp.round_id)
            .where(
                _grp.community_id == community_id,
                _grp.space_channel_id.is_not(None),
                _grp.archived_at.is_(None),
                _rnd.checkin_sent_at <= require_aware(checked_in_before, "checked_in_before"),
            )
            .order_by(_grp.id)
            .limit(limit)
        )
        return [
            CafeSpace(
                group_id=row.id, channel_id=row.space_channel_id, thread_id=row.space_thread_id
            )
            for row in await self._connection.execute(stmt)
        ]

    async def mark_archived(self, group_id: int) -> bool:
        """Record that a group's space was archived; False if it was recorded already."""
        stmt = (
            update(GroupRow)
            .where(_grp.id == group_id, _grp.archived_at.is_(None))
            .values(archived_at=self._clock.now())
        )
        return bool((await self._connection.execute(stmt)).rowcount)

    async def recent_pairs(self, community_id: int, rounds: int) -> set[frozenset[str]]:
        """Return every pair of members seated together in the last `rounds` rounds."""
        if rounds <= 0:
            return set()
        last = (
            select(_rnd.id)
            .where(_rnd.community_id == community_id)
            .order_by(_rnd.scheduled_for.desc())
            .limit(rounds)
        )
        ids = list((await self._connection.execute(last)).scalars())
        pairs: set[frozenset[str]] = set()
        for group in await self.groups(community_id, round_ids=ids):
            pairs.update(_pairs_of(group.members))
        return pairs

    async def answer(self, community_id: int, group_id: int, member_id: str, answer: str) -> bool:
        """Record a seat's answer to the check-in; False if the member has no seat there."""
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}, got {answer!r}")
        now = self._clock.now()
        stmt = (
            update(SeatRow)
            .where(
                _sea.community_id == community_id,
                _sea.group_id == group_id,
                _sea.member_id == member_id,
            )
            .values(answer=answer, answered_at=now)
        )
        if not (await self._connection.execute(stmt)).rowcount:
            return False
        await self._connection.execute(
            update(ParticipantRow)
            .where(_par.community_id == community_id, _par.member_id == member_id)
            .values(unanswered=0, updated_at=now)
        )
        return True

    # -- the interaction log

    async def interaction_pairs(
        self,
        community_id: int,
        since: datetime,
        until: datetime | None = None,
        *,
        members: Collection[str] | None = None,
    ) -> list[tuple[str, str, datetime]]:
        """Return (responder, author, when) of every reply or reaction between two people.

        A reply answers the message it replies to; a reaction, the message reacted
        to. Bots' rows and a member's answers to themselves are left out. With
        `members`, only responses of those members count.
        """
        a = aliased(InteractionLogRow)
        found: list[tuple[str, str, datetime]] = []
        for kind, link in (("reply", _log.reply_to), ("reaction", _log.message_id)):
            stmt = (
                select(_log.member_id, a.member_id, _log.occurred_at)
                .join(
                    a,
                    and_(
                        a.community_id == _log.community_id,
                        a.message_id == link,
                        a.kind.in_(_AUTHORED),
                        a.member_id.is_not(None),
                        a.member_id != _log.member_id,
                        func.coalesce(a.meta["bot"].as_boolean(), false()) == false(),
                    ),
                )
                .where(
                    _log.community_id == community_id,
                    _log.kind == kind,
                    _log.member_id.is_not(None),
                    _log.occurred_at >= require_aware(since, "since"),
                    human(),
                )
            )
            if until is not None:
                stmt = stmt.where(_log.occurred_at < require_aware(until, "until"))
            if members is not None:
                stmt = stmt.where(_log.member_id.in_(sorted(members)))
            found.extend((str(r[0]), str(r[1]), r[2]) for r in await self._connection.execute(stmt))
        return found

    # -- personal data

    async def seat_count(self, community_id: int, member_id: str) -> int:
        """Return how many café seats the member had."""
        stmt = select(func.count()).where(
            _sea.community_id == community_id, _sea.member_id == member_id
        )
        return int((await self._connection.execute(stmt)).scalar_one())

    async def seat_history(self, community_id: int, member_id: str) -> list[dict[str, object]]:
        """Return the member's café history, JSON-ready: when, with whom, what they answered."""
        mine = select(_sea.group_id).where(
            _sea.community_id == community_id, _sea.member_id == member_id
        )
        stmt = (
            select(_grp.id, _rnd.planned_at, _sea.member_id, _sea.answer)
            .join(RoundRow, _rnd.id == _grp.round_id)
            .join(SeatRow, _sea.group_id == _grp.id)
            .where(_grp.id.in_(mine))
            .order_by(_rnd.planned_at, _grp.id, _sea.id)
        )
        history: dict[int, dict[str, object]] = {}
        for gid, planned_at, member, answer in await self._connection.execute(stmt):
            entry = history.setdefault(
                gid, {"planned_at": planned_at.isoformat(), "with": [], "answer": None}
            )
            if member == member_id:
                entry["answer"] = answer
            else:
                others = entry["with"]
                assert isinstance(others, list)
                others.append(member)
        return list(history.values())

    async def pseudonymise(self, community_id: int, member_id: str) -> int:
        """Replace the member in their seats by a pseudonym; return how many seats changed."""
        stmt = (
            update(SeatRow)
            .where(_sea.community_id == community_id, _sea.member_id == member_id)
            .values(member_id=pseudonym(community_id, member_id))
        )
        return (await self._connection.execute(stmt)).rowcount

    async def purge_before(self, community_id: int, before: datetime) -> int:
        """Delete rounds planned before `before` with their groups and seats; return seats gone."""
        old = select(_rnd.id).where(
            _rnd.community_id == community_id, _rnd.planned_at < require_aware(before, "before")
        )
        groups = select(_grp.id).where(_grp.round_id.in_(old))
        seats = await self._connection.execute(delete(SeatRow).where(_sea.group_id.in_(groups)))
        await self._connection.execute(delete(GroupRow).where(_grp.round_id.in_(old)))
        await self._connection.execute(
            delete(RoundRow).where(
                _rnd.community_id == community_id,
                _rnd.planned_at < require_aware(before, "before"),
            )
        )
        return seats.rowcount


def _pairs_of(members: Iterable[str]) -> set[frozenset[str]]:
    seated = list(members)
    return {frozenset((a, b)) for i, a in enumerate(seated) for b in seated[i + 1 :] if a != b}


def _participant(row: Row[Any]) -> Participant:
    return Participant(
        member_id=row.member_id,
        active=row.active,
        joined_at=row.joined_at,
        snoozed_until=row.snoozed_until,
        unanswered=row.unanswered,
        stay_asked_at=row.stay_asked_at,
    )
