"""Offers to host on every backend: answered once, hosted once, figures, purge, erasure."""

from __future__ import annotations

import pytest

from bot.storage import Database
from bot.storage.hosts import FORMER_MODERATOR, HostOffer, HostOffers
from tests.contract.conftest import at, clock_of

pytestmark = [pytest.mark.icebreaker, pytest.mark.storage]


async def offered(
    database: Database,
    community_id: int,
    member: str = "quinn",
    *,
    kind: str = "ritual",
    target: str = "question",
    minutes: float = 0,
) -> HostOffer:
    async with database.transaction() as uow:
        return await uow.repository(HostOffers).offer(
            community_id,
            member,
            target_kind=kind,
            target_id=target,
            topic="learning",
            level="quiet",
            offered_by="mod",
            at=at(minutes),
        )


async def test_an_offer_is_answered_once_and_only_while_open(
    database: Database, community_id: int
) -> None:
    offer = await offered(database, community_id)
    assert (offer.status, offer.answered_at) == ("offered", None)
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        assert await repo.answer(offer.id, "accepted", at(5))
        assert not await repo.answer(offer.id, "declined", at(6))
        assert await repo.get(community_id + 1, offer.id) is None
        with pytest.raises(ValueError, match="answered as one of"):
            await repo.answer(offer.id, "hosted")
    async with database.read() as uow:
        stored = await uow.repository(HostOffers).get(community_id, offer.id)
    assert stored is not None and (stored.status, stored.answered_at) == ("accepted", at(5))


async def test_the_earliest_acceptance_hosts_the_next_post_and_each_hosts_once(
    database: Database, community_id: int
) -> None:
    first = await offered(database, community_id, "quinn")
    second = await offered(database, community_id, "quade", minutes=1)
    other = await offered(database, community_id, "olga", target="tips", minutes=2)
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        for offer, minutes in ((second, 3), (first, 4), (other, 5)):
            assert await repo.answer(offer.id, "accepted", at(minutes))
        assert await repo.waiting(community_id, "ritual", "question") == 2
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        took = await repo.take(community_id, "ritual", "question", ref="post-1")
        assert took is not None and (took.member_id, took.hosted_ref) == ("quade", "post-1")
        took = await repo.take(community_id, "ritual", "question", ref="post-2")
        assert took is not None and took.member_id == "quinn"
        assert await repo.take(community_id, "ritual", "question", ref="post-3") is None
        assert await repo.waiting(community_id, "ritual", "question") == 0
        assert await repo.hosts(community_id, "ritual") == {"question": "quinn", "tips": "olga"}


async def test_unanswered_offers_expire_and_answered_ones_are_purged_after_retention(
    database: Database, community_id: int
) -> None:
    old = await offered(database, community_id, "quinn")
    recent = await offered(database, community_id, "quade", minutes=60)
    await clock_of(database).set(at(120))
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        expired = await repo.expire(community_id, at(30))
        assert [o.id for o in expired] == [old.id]
        assert await repo.expire(community_id, at(30)) == []
        assert await repo.sent_since(community_id, at(30)) == 1
        # Open offers stay whatever their age; answered ones go after retention.
        assert await repo.purge_before(community_id, at(200)) == 1
        assert [o.id for o in await repo.of_members(community_id, ["quinn", "quade"])] == [
            recent.id
        ]


async def test_figures_count_sent_accepted_and_hosted_and_name_who_took_the_lead(
    database: Database, community_id: int
) -> None:
    async with database.transaction() as uow:
        await uow.members.upsert_seen(community_id, "quinn", "Quinn", at=at(0))
    quinn = await offered(database, community_id, "quinn")
    quade = await offered(database, community_id, "quade", kind="group", target="7", minutes=1)
    await offered(database, community_id, "mod", minutes=2)
    await offered(database, community_id, "olga", minutes=500)
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        await repo.answer(quinn.id, "accepted")
        await repo.answer(quade.id, "accepted")
        await repo.take(community_id, "group", "7", ref="click")
        found = await repo.figures(community_id, since=at(0), until=at(100), exclude={"mod"})
    assert (found.sent, found.accepted, found.hosted, found.names) == (2, 2, 1, ("Quinn", "quade"))


async def test_a_members_offers_are_listed_and_erased_and_their_sender_forgotten(
    database: Database, community_id: int
) -> None:
    await offered(database, community_id, "quinn")
    await offered(database, community_id, "quade")
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        [row] = await repo.of_member(community_id, "quinn")
        assert (row["target_kind"], row["target_id"], row["status"]) == (
            "ritual",
            "question",
            "offered",
        )
        assert "offered_by" not in row
        assert await repo.erase_member(community_id, "quinn") == 1
        assert await repo.of_member(community_id, "quinn") == []
        # The moderator asks to be forgotten: Quade's offer stays, without them.
        assert await repo.erase_member(community_id, "mod") == 1
        [left] = await repo.of_members(community_id, ["quade"])
        assert left.offered_by == FORMER_MODERATOR


async def test_a_live_session_is_hosted_by_the_members_who_accepted_once_it_ran(
    database: Database, community_id: int
) -> None:
    quinn = await offered(database, community_id, "quinn", kind="live", target="4")
    quade = await offered(database, community_id, "quade", kind="live", target="4", minutes=1)
    olga = await offered(database, community_id, "olga", kind="live", target="5", minutes=2)
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        for offer, minutes in ((quade, 3), (quinn, 4), (olga, 5)):
            assert await repo.answer(offer.id, "accepted", at(minutes))
        assert await repo.accepted(community_id, "live", "4") == ["quade", "quinn"]
        assert await repo.waiting(community_id, "live", "4") == 2
    async with database.transaction() as uow:
        repo = uow.repository(HostOffers)
        # Quade no longer hosts it when it ends: only Quinn's offer is hosted.
        assert await repo.credit(community_id, "live", "4", ["quinn", "host"], ref="end") == 1
        assert await repo.credit(community_id, "live", "4", ["quinn"], ref="again") == 0
        assert await repo.credit(community_id, "live", "4", [], ref="none") == 0
        assert await repo.accepted(community_id, "live", "4") == ["quade"]
        assert await repo.lapse(community_id, "live", "4") == 1
        assert await repo.accepted(community_id, "live", "4") == []
        stored = await repo.get(community_id, quinn.id)
        lapsed = await repo.get(community_id, quade.id)
        found = await repo.figures(community_id, since=at(0), until=at(100))
    assert stored is not None and (stored.status, stored.hosted_ref) == ("hosted", "end")
    assert lapsed is not None and lapsed.status == "expired"
    assert (found.sent, found.accepted, found.hosted) == (3, 2, 1)
