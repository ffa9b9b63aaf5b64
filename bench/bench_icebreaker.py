"""Activity levels and icebreaker selection on a big community, from the daily rollups.

Generates, on a freshly migrated database per backend, one community of N members
(default 100,000) whose daily rollups add up to M interactions (default 10,000,000)
over 90 days: 5 % core, 15 % active, 30 % occasional, 25 % quiet (silent for 40-90
days), 25 % never spoke; 2 % bots, 3 % gone, 1 % opted out, and a history of past
invitations. Then times, as the icebreaker does before every post:

1. levels: `uow.activity.levels` (one aggregate query over the rollups, joined to the
   members, classifying in the database);
2. selection, as `Invitations.plan` does it before a post: the database shortlists the
   members some rule could choose, in rotation order, and `select` (the pure gentleness
   rules) picks 3 from that shortlist;
3. preview: every member through `select` (`/terreau icebreaker preview`), which must
   choose the same 3.

The raw interaction log is never read per member on this path (only for the three
invitees' channels, by index), so it is not generated here.

Run: .venv/bin/python bench/bench_icebreaker.py [--members 100000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.activity import Level, Thresholds
from bot.features.icebreaker import Candidate, Contact, Rules, Selection, select
from bot.storage import Database, rotation_order, upgrade
from bot.storage.icebreaker import InvitationRow
from bot.storage.models import ActivityDailyRow, MemberRow, OptOutRow

NOW = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
TODAY = NOW.date()
THRESHOLDS = Thresholds()
RULES = Rules(
    max_invitees=3,
    cooldown=timedelta(days=14),
    max_unanswered=2,
    pause=timedelta(days=90),
    invite_levels=frozenset({Level.NEW, Level.OCCASIONAL, Level.QUIET, Level.NEVER_SPOKE}),
)
PROFILES = (  # share of members, active days and their range (days ago)
    (0.05, 14, (0, 29)),
    (0.15, 8, (0, 29)),
    (0.30, 2, (0, 29)),
    (0.25, 5, (40, 89)),
)


def rollups(members: int, interactions: int, seed: int = 11) -> list[dict[str, object]]:
    """Daily rollup rows for the profiles above, scaled to add up to `interactions`."""
    rng = random.Random(seed)
    days: list[tuple[int, int]] = []
    start = 0
    for share, count, (low, high) in PROFILES:
        size = int(members * share)
        for member in range(start, start + size):
            for ago in rng.sample(range(low, high + 1), count):
                days.append((member, ago))
        start += size
    per_day = max(1, interactions // max(1, len(days)))
    return [
        {
            "member_id": f"m{member}",
            "day": TODAY - timedelta(days=ago),
            "messages": per_day // 2,
            "replies": per_day // 4,
            "reactions": per_day - per_day // 2 - per_day // 4,
            "other": 0,
        }
        for member, ago in days
    ]


async def fresh(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    await upgrade(url)


async def populate(database: Database, members: int, interactions: int) -> tuple[int, int]:
    """Write the community; return its id and the number of rollup rows."""
    rng = random.Random(5)
    async with database.transaction() as uow:
        community_id = await uow.communities.ensure("bench:big", "bench", "big", "Big", at=NOW)
    rows = rollups(members, interactions)
    old = NOW - timedelta(days=400)
    people = [
        {
            "community_id": community_id,
            "member_id": f"m{n}",
            "display_name": f"member {n}",
            "is_bot": rng.random() < 0.02,
            "joined_at": old,
            "left_at": NOW - timedelta(days=3) if rng.random() < 0.03 else None,
            "first_seen_at": old,
            "last_seen_at": NOW,
        }
        for n in range(members)
    ]
    invitations = [
        {
            "community_id": community_id,
            "member_id": f"m{rng.randrange(members)}",
            "kind": "invitation",
            "nonce": f"n{n}",
            "sent_at": NOW - timedelta(days=rng.randrange(1, 200)),
        }
        for n in range(members // 20)
    ]
    optouts = [
        {"community_id": community_id, "member_id": f"m{n}", "scope": "tagging", "created_at": NOW}
        for n in rng.sample(range(members), members // 100)
    ]
    for table, batch in (
        (MemberRow, people),
        (ActivityDailyRow, [{"community_id": community_id, **row} for row in rows]),
        (InvitationRow, invitations),
        (OptOutRow, optouts),
    ):
        for offset in range(0, len(batch), 20_000):
            async with database.transaction() as uow:
                await uow.connection.execute(insert(table), batch[offset : offset + 20_000])
    if database.dialect == "postgresql":
        async with database.transaction() as uow:
            await uow.connection.execute(text("ANALYZE"))
    return community_id, len(rows)


async def plan(database: Database, community_id: int, *, explain: bool) -> Selection:
    """What `Invitations.plan` does (without refreshing outcomes): shortlist, then rules."""
    seed = 7
    async with database.read() as uow:
        opted_out = await uow.optouts.members(community_id, "tagging")
        awaiting = await uow.icebreaker.pending_welcomes(community_id)
        limit = RULES.max_invitees * 10 + 5
        while True:
            if explain:
                standings = await uow.activity.standings(community_id, TODAY, THRESHOLDS)
                rows = [(m, n, level.value, key) for m, n, level, key in standings]
                contacts = await uow.icebreaker.contacts(community_id)
            else:
                rows = await uow.icebreaker.shortlist(
                    community_id,
                    uow.activity.levels_query(community_id, TODAY, THRESHOLDS),
                    invite_levels=[level.value for level in RULES.invite_levels],
                    contacted_before=NOW - RULES.cooldown,
                    skip_awaiting_welcome=True,
                    seed=seed,
                    limit=limit,
                )
                contacts = await uow.icebreaker.contacts_of(community_id, [r[0] for r in rows])
            history: dict[str, list[Contact]] = {}
            for member, kind, sent_at, responded_at in contacts:
                history.setdefault(member, []).append(
                    Contact(kind=kind, sent_at=sent_at, responded_at=responded_at)
                )
            selection = select(
                [
                    Candidate(
                        member_id=m,
                        display_name=n,
                        level=Level(level),
                        order=rotation_order(k, seed),
                    )
                    for m, n, level, k in rows
                ],
                history,
                rules=RULES,
                now=NOW,
                opted_out=opted_out,
                awaiting_welcome=awaiting,
            )
            if explain or len(selection.chosen) == RULES.max_invitees or len(rows) < limit:
                return selection
            limit *= 4


async def measure(name: str, url: str, members: int, interactions: int) -> None:
    await fresh(url)
    database = await Database.connect(url)
    try:
        community_id, rollup_rows = await populate(database, members, interactions)
        began = time.perf_counter()
        async with database.read() as uow:
            levels = await uow.activity.levels(community_id, TODAY, THRESHOLDS)
        levels_time = time.perf_counter() - began

        began = time.perf_counter()
        verdicts = await plan(database, community_id, explain=False)
        selection_time = time.perf_counter() - began
        began = time.perf_counter()
        explained = await plan(database, community_id, explain=True)
        preview_time = time.perf_counter() - began
    finally:
        await database.close()
    counts: dict[str, int] = {}
    for level in levels.values():
        counts[level.value] = counts.get(level.value, 0) + 1
    invited = len(verdicts.chosen)
    same = [v.candidate.member_id for v in verdicts.chosen] == [
        v.candidate.member_id for v in explained.chosen
    ]
    print(
        f"{name:10} {members:,} members, {rollup_rows:,} rollup rows: "
        f"levels {levels_time * 1000:,.0f} ms | selection {selection_time * 1000:,.0f} ms "
        f"| preview {preview_time * 1000:,.0f} ms | {invited} invited, same in the preview: "
        f"{same} | {counts}"
    )


@contextlib.asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """Create a throwaway database next to `server_url`'s and drop it afterwards."""
    url = make_url(server_url)
    name = f"terreau_bench_ice_{os.getpid()}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=10_000_000)
    parser.add_argument("--postgres", default=os.environ.get("TERREAU_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await measure("SQLite", url, args.members, args.interactions)
    if args.postgres:
        async with scratch_database(args.postgres) as url:
            await measure("PostgreSQL", url, args.members, args.interactions)


if __name__ == "__main__":
    asyncio.run(main())
