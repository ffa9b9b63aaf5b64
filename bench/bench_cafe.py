"""A virtual café round of 10,000 participants: planning it, and reading and writing it.

Generates one community of N participants (default 10,000), each with about 20
people they replied or reacted to lately, 1 % of them with a "never pair me with"
of five members, 30 % with one to three interests among 20 topics, and the pairs of
the last six rounds (none may repeat). Then times:

1. plan: `plan_round` alone (the pure pairing), groups of two;
2. round: on a freshly migrated SQLite database (and, with `--postgres`, a scratch
   PostgreSQL database created next to the one named, dropped afterwards),
   what a round reads and writes in the café's repository: the pairable members,
   exclusions, the last six rounds' pairs and the log's replies and reactions of the
   last 60 days (N x 20 rows), then the plan, then the round with its groups and
   seats recorded in one transaction.

Run: .venv/bin/python bench/bench_cafe.py [--members 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench_icebreaker import scratch_database
from sqlalchemy import insert

from bot.features.cafe import Pool, plan_round
from bot.ports import Clock
from bot.storage import Database, upgrade
from bot.storage.cafe import AvoidRow, Cafes, NewGroup, ParticipantRow
from bot.storage.models import InteractionLogRow, MemberRow

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TOPICS = [f"topic{i}" for i in range(20)]


class FixedClock(Clock):
    """Time stands still at NOW."""

    def now(self) -> datetime:
        """Return NOW."""
        return NOW

    async def sleep_until(self, moment: datetime) -> None:
        """Return at once."""


Community = tuple[
    list[str],
    list[tuple[str, str]],
    set[frozenset[str]],
    dict[str, frozenset[str]],
    list[list[tuple[str, str]]],
]


def community(members: int, seed: int = 1) -> Community:
    """Return members, their replies (responder, author), exclusions, interests, past rounds."""
    rng = random.Random(seed)
    ids = [f"m{i:06}" for i in range(members)]
    replies = [(m, rng.choice(ids)) for m in ids for _ in range(20)]
    replies = [(a, b) for a, b in replies if a != b]
    avoid = {
        frozenset((m, rng.choice(ids))) for m in rng.sample(ids, members // 100) for _ in range(5)
    }
    avoid = {p for p in avoid if len(p) == 2}
    interests = {
        m: frozenset(rng.sample(TOPICS, rng.randint(1, 3)))
        for m in rng.sample(ids, members * 3 // 10)
    }
    rounds = []
    for _ in range(6):
        shuffled = ids[:]
        rng.shuffle(shuffled)
        rounds.append(list(zip(shuffled[::2], shuffled[1::2], strict=False)))
    return ids, replies, avoid, interests, rounds


def bench_plan(members: int) -> None:
    ids, replies, avoid, interests, rounds = community(members)
    forbidden = set(avoid) | {frozenset(p) for r in rounds for p in r}
    contacts = {frozenset(p) for p in replies}
    started = time.perf_counter()
    plan = plan_round(
        Pool(members=ids, forbidden=forbidden, contacts=contacts, interests=interests),
        size=2,
        seed=7,
    )
    elapsed = time.perf_counter() - started
    known = sum(1 for g in plan.groups if frozenset(g.members[:2]) in contacts)
    shared = sum(1 for g in plan.groups if g.interest)
    print(
        f"plan: {members:,} members -> {len(plan.groups):,} groups, {len(plan.left_out)} left out, "
        f"{known} groups of people who talk, {shared} on a shared interest: {elapsed:.2f} s"
    )


async def bench_round(members: int, url: str) -> None:
    await upgrade(url)
    database = await Database.connect(url, clock=FixedClock())
    ids, replies, avoid, interests, rounds = community(members)
    async with database.transaction() as uow:
        community_id = await uow.communities.ensure("bench:cafe", "console", "cafe", "Cafe")
        connection = uow.connection
        await connection.execute(
            insert(MemberRow),
            [
                {
                    "community_id": community_id,
                    "member_id": m,
                    "display_name": m,
                    "is_bot": False,
                    "joined_at": None,
                    "left_at": None,
                    "first_seen_at": NOW,
                    "last_seen_at": NOW,
                }
                for m in ids
            ],
        )
        await connection.execute(
            insert(ParticipantRow),
            [
                {
                    "community_id": community_id,
                    "member_id": m,
                    "active": True,
                    "joined_at": NOW,
                    "snoozed_until": None,
                    "unanswered": 0,
                    "stay_asked_at": None,
                    "updated_at": NOW,
                }
                for m in ids
            ],
        )
        pairs = [tuple(sorted(p)) for p in avoid]
        await connection.execute(
            insert(AvoidRow),
            [
                {"community_id": community_id, "member_id": a, "avoided_id": b, "created_at": NOW}
                for a, b in pairs
            ],
        )
        rows = []
        for i, m in enumerate(ids):
            rows.append(_log(community_id, f"p{i}", m, "message", message_id=f"msg-{m}"))
        for i, (a, b) in enumerate(replies):
            when = NOW - timedelta(minutes=i % (60 * 24 * 50))
            rows.append(_log(community_id, f"r{i}", a, "reply", reply_to=f"msg-{b}", at=when))
        for start in range(0, len(rows), 5000):
            await connection.execute(insert(InteractionLogRow), rows[start : start + 5000])
        cafes = uow.repository(Cafes)
        for week, pairs_of_round in enumerate(rounds):
            round_id = await cafes.start_round(
                community_id, NOW - timedelta(days=7 * (6 - week)), seed=week, checkin_due=NOW
            )
            assert round_id is not None
            await cafes.add_groups(
                community_id,
                round_id,
                [NewGroup(number=n, members=pair) for n, pair in enumerate(pairs_of_round, 1)],
                contacts=(),
            )
    started = time.perf_counter()
    async with database.read() as uow:
        cafes = uow.repository(Cafes)
        pairable = await cafes.pairable(community_id, NOW)
        forbidden = await cafes.avoided(community_id) | await cafes.recent_pairs(community_id, 6)
        chosen = set(pairable)
        found = await cafes.interaction_pairs(
            community_id, NOW - timedelta(days=60), members=chosen
        )
        contacts = {frozenset((a, b)) for a, b, _ in found if b in chosen}
    read = time.perf_counter() - started
    plan = plan_round(
        Pool(members=pairable, forbidden=forbidden, contacts=contacts, interests=interests),
        size=2,
        seed=9,
    )
    planned = time.perf_counter() - started
    async with database.transaction() as uow:
        cafes = uow.repository(Cafes)
        round_id = await cafes.start_round(community_id, NOW, seed=9, checkin_due=NOW)
        assert round_id is not None
        await cafes.add_groups(
            community_id,
            round_id,
            [
                NewGroup(number=n, members=g.members, interest=g.interest)
                for n, g in enumerate(plan.groups, 1)
            ],
            contacts=contacts,
        )
    total = time.perf_counter() - started
    await database.close()
    print(
        f"round ({url.split(':', 1)[0]}): {len(pairable):,} pairable, {len(found):,} log pairs, "
        f"{len(forbidden):,} forbidden pairs; read {read:.2f} s, plan {planned - read:.2f} s, "
        f"write {len(plan.groups):,} groups {total - planned:.2f} s; total {total:.2f} s"
    )


def _log(
    community_id: int,
    event_id: str,
    member: str,
    kind: str,
    *,
    message_id: str | None = None,
    reply_to: str | None = None,
    at: datetime = NOW - timedelta(days=55),
) -> dict[str, object]:
    return {
        "community_id": community_id,
        "event_id": event_id,
        "kind": kind,
        "channel_id": "general",
        "thread_id": None,
        "member_id": member,
        "message_id": message_id or f"msg-{event_id}",
        "reply_to": reply_to,
        "target": None,
        "occurred_at": at,
        "meta": None,
        "content": None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--postgres", help="also run the round on this PostgreSQL URL")
    args = parser.parse_args()
    bench_plan(args.members)
    with tempfile.TemporaryDirectory() as folder:
        await bench_round(args.members, f"sqlite+aiosqlite:///{Path(folder) / 'cafe.db'}")
    if args.postgres:
        async with scratch_database(args.postgres) as url:
            await bench_round(args.members, url)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    asyncio.run(main())
