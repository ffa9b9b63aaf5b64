"""Time the figures features add to reports, on the report benchmark's dataset.

Builds `bench_report`'s dataset (members, log, rollups), then adds 180 days of games
(a trivia round of five questions, a poll and every third day a two truths and a lie),
540 icebreaker invitations with no stored outcome (the slowest case), six monthly
elections and four monthly level snapshots of every present member. Then, for each run:
each feature's provider over the last 90 days on its own, and `build_report` without
and with them.

Run: .venv/bin/python bench/bench_report_features.py [--members 100000]
[--interactions 2000000] [--players 3000] [--postgres URL] [--postgres-database NAME]
[--sqlite-file PATH] [--skip-sqlite] (the last three keep the dataset and reuse it)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench_ingest import scratch_database  # bench/ is on the path when run as a script
from bench_report import END, SPAN, add_dataset_options, build, kept_database
from sqlalchemy import insert, select

from bot.activity import LEVELS
from bot.analytics import METRICS, MetricRegistry, Scope, build_report, last_days
from bot.features.election._metrics import election_figures
from bot.features.games._metrics import game_figures
from bot.features.icebreaker._metrics import conversion_figures, level_figures
from bot.storage import Database, upgrade
from bot.storage.activity import ActivityLevelRow
from bot.storage.election import ElectionRow, NominationRow, VoteRow
from bot.storage.games import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameVoteRow,
)
from bot.storage.icebreaker import InvitationRow
from bot.storage.models import MemberRow


async def seed(
    database: Database, members: int, pool: int = 0, per_question: int = 200, per_poll: int = 300
) -> None:
    rng = random.Random(5)
    ids = [f"u{i}" for i in range(members)]
    if pool:
        ids = rng.sample(ids, pool)
    start = END - SPAN
    async with database.transaction() as uow:
        conn = uow.connection
        present = list(
            (
                await conn.execute(select(MemberRow.member_id).where(MemberRow.left_at.is_(None)))
            ).scalars()
        )
        for month in (date(2026, 6, 1), date(2026, 7, 1), date(2026, 9, 1), date(2026, 10, 1)):
            await conn.execute(
                insert(ActivityLevelRow),
                [
                    {
                        "community_id": 1,
                        "member_id": m,
                        "month": month,
                        "level": rng.choice(LEVELS),
                        "recorded_at": END,
                    }
                    for m in present
                ],
            )
        answers, votes = [], []
        for day in range(180):
            when = start + timedelta(days=day, hours=12)
            round_id = (
                await conn.execute(
                    insert(GameRoundRow)
                    .values(
                        community_id=1,
                        channel_id="c1",
                        active_channel=None,
                        state="finished",
                        started_at=when,
                        finished_at=when + timedelta(minutes=10),
                    )
                    .returning(GameRoundRow.id)
                )
            ).scalar_one()
            for position in range(5):
                question = (
                    await conn.execute(
                        insert(GameQuestionRow)
                        .values(
                            round_id=round_id,
                            position=position,
                            item_id=f"i{position}",
                            content={},
                            state="closed",
                        )
                        .returning(GameQuestionRow.id)
                    )
                ).scalar_one()
                answers += [
                    {
                        "question_id": question,
                        "member_id": m,
                        "display_name": m,
                        "answer": "a",
                        "correct": True,
                        "answered_at": when,
                    }
                    for m in rng.sample(ids, per_question)
                ]
            for kind, count in (("poll", per_poll), ("twotruths", per_poll // 3)):
                if kind == "twotruths" and day % 3:
                    continue
                poll = (
                    await conn.execute(
                        insert(GamePollRow)
                        .values(
                            community_id=1,
                            kind=kind,
                            channel_id="c1",
                            options={"items": []},
                            author_id=rng.choice(ids),
                            state="closed",
                            opened_at=when,
                        )
                        .returning(GamePollRow.id)
                    )
                ).scalar_one()
                votes += [
                    {
                        "poll_id": poll,
                        "member_id": m,
                        "display_name": m,
                        "option": 0,
                        "voted_at": when,
                    }
                    for m in rng.sample(ids, count)
                ]
        await conn.execute(insert(GameAnswerRow), answers)
        await conn.execute(insert(GameVoteRow), votes)
        await conn.execute(
            insert(InvitationRow),
            [
                {
                    "community_id": 1,
                    "member_id": rng.choice(ids),
                    "kind": "invitation",
                    "nonce": f"n{i}",
                    "sent_at": start + timedelta(hours=8 * i),
                    "responded_at": None,
                    "retained": None,
                }
                for i in range(540)
            ],
        )
        for month in range(6):
            closed = start + timedelta(days=30 * month + 28)
            election = (
                await conn.execute(
                    insert(ElectionRow)
                    .values(
                        community_id=1,
                        slot=f"m{month}",
                        period=f"2026-{month + 5:02d}",
                        phase="announced",
                        method="single",
                        tie_policy="runoff",
                        nominations_open_at=closed,
                        voting_opens_at=closed,
                        closes_at=closed,
                        closed_at=closed,
                        result={"ballots": 300, "eligible": 5000},
                        created_at=closed,
                    )
                    .returning(ElectionRow.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(NominationRow),
                [
                    {
                        "election_id": election,
                        "nominee_id": f"u{n}",
                        "nominee_name": "n",
                        "nominator_id": f"u{n + 1}",
                        "reason": "r",
                        "created_at": closed,
                    }
                    for n in range(20)
                ],
            )
            await conn.execute(
                insert(VoteRow),
                [
                    {
                        "election_id": election,
                        "voter_key": f"k{v}",
                        "ranking": ["u1"],
                        "cast_at": closed,
                        "updated_at": closed,
                    }
                    for v in range(300)
                ],
            )
    print(
        f"seeded: {len(answers):,} trivia answers, {len(votes):,} votes, "
        f"{len(present):,} level rows a month"
    )


async def measure(
    name: str,
    url: str,
    members: int,
    interactions: int,
    runs: int,
    seeding: dict,
    *,
    reuse: bool = False,
) -> None:
    await upgrade(url)
    database = await Database.connect(url)
    period = last_days(90, END.date(), include_today=False)
    scope = Scope(community_id=1)
    if reuse:
        print(f"{name}: the dataset kept by an earlier run")
    else:
        built = await build(database, url, members, interactions)
        await seed(database, members, **seeding)
        await _analyze(database)
        print(f"{name}: built in {built:.0f} s")
        # The first report stores every question's first answer and every settled day
        # and month: a one-off, left out of the figures.
        began = time.perf_counter()
        await build_report(database, scope, period, as_of=END)
        first = time.perf_counter() - began
        print(f"{name}: first report (stores what later ones read) {first:.0f} s")
    # What autovacuum does on a server that runs it (the tables the first report filled).
    await _analyze(database)
    features = MetricRegistry()
    for key, provider in METRICS:
        features.register(key, provider)
    for key, provider in (
        ("games", game_figures),
        ("election", election_figures),
        ("icebreaker", conversion_figures),
        ("levels", level_figures),
    ):
        features.register(key, provider)
    for run in range(runs):
        parts = []
        async with database.read() as uow:
            if uow.connection.dialect.name == "postgresql":
                await uow.connection.exec_driver_sql("SET LOCAL jit = off")  # as reports do
            for label, provider in (
                ("games", game_figures),
                ("election", election_figures),
                ("icebreaker", conversion_figures),
                ("levels", level_figures),
            ):
                began = time.perf_counter()
                figures = await provider(uow, scope, period)
                parts.append(f"{label} {time.perf_counter() - began:.3f} s ({len(figures)})")
        began = time.perf_counter()
        await build_report(database, scope, period, as_of=END)
        without = time.perf_counter() - began
        began = time.perf_counter()
        await build_report(database, scope, period, as_of=END, providers=features)
        with_them = time.perf_counter() - began
        print(
            f"{name} run {run + 1}: one period: {', '.join(parts)}; report (90 + 90 days) "
            f"without them {without:.2f} s, with them {with_them:.2f} s"
        )
    await database.close()


async def _analyze(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.connection.exec_driver_sql("ANALYZE")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("TERREAU_TEST_POSTGRES_URL"))
    parser.add_argument("--players", type=int, default=0, help="members who play (0: all)")
    parser.add_argument("--per-question", type=int, default=200)
    parser.add_argument("--per-poll", type=int, default=300)
    add_dataset_options(parser)
    args = parser.parse_args()
    seeding = {"pool": args.players, "per_question": args.per_question, "per_poll": args.per_poll}
    sizes = (args.members, args.interactions, args.runs, seeding)
    if args.sqlite_file is not None and not args.skip_sqlite:
        reuse = args.sqlite_file.exists()
        await measure("SQLite", f"sqlite+aiosqlite:///{args.sqlite_file}", *sizes, reuse=reuse)
    elif not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            await measure("SQLite", f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", *sizes)
    if args.postgres:
        if args.postgres_database:
            url, reuse = await kept_database(args.postgres, args.postgres_database)
            await measure("PostgreSQL", url, *sizes, reuse=reuse)
        else:
            async with scratch_database(args.postgres) as url:
                await measure("PostgreSQL", url, *sizes)


if __name__ == "__main__":
    asyncio.run(main())
