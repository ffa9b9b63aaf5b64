"""What every board-based feature shows: ranked items, their authors, a vote's answer.

Live sessions and hold-ups both keep their items and votes in `bot.storage.boards`;
this package turns them into what prompts print, the same way for both:

- `entries(items, authors, reveal=...)` gives one dict per item for a template
  (`number`, `text`, `points`, `voters`, `status`, `taken`, `author`), the author
  a `Mention` unless the item is anonymous and `reveal` is false. Item text
  reaches a prompt only as a variable, so it is always shown as typed.
- `mentions(uow, community_id, member_ids)` names members (hosts, requesters, the
  thanked) by the name Terreau last saw them under; `authors(uow, community_id,
  items)` does so for the items' authors.
- `top(items)` is the item to take next: the highest ranked open one not taken.
- `vote_id(feature, board_id, number)` and `parse_vote_id(choice_id)` name the
  vote button of an item so a click after any restart finds it.
- `VOTE_PROMPTS` maps each `Vote` outcome to the suffix of its reply key.
- `phase_jobs(...)` gives a community's phase check and daily purge, the two jobs
  every board feature runs.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.domain import Mention
from bot.scheduling import Job, parse_cron
from bot.storage import UnitOfWork
from bot.storage.boards import Item, Vote

__all__ = [
    "VOTE_PROMPTS",
    "authors",
    "entries",
    "mentions",
    "parse_vote_id",
    "phase_jobs",
    "top",
    "vote_id",
]

Run = Callable[[str, datetime], Awaitable[None]]
"""A job's entry point: the community's key, then the scheduled instant."""

VOTE_PROMPTS: Mapping[Vote, str] = {
    Vote.CAST: "voted",
    Vote.CHANGED: "voted",
    Vote.UNCHANGED: "already_voted",
    Vote.OWN: "own_item",
    Vote.TOO_MANY: "too_many",
    Vote.BUDGET: "over_budget",
    Vote.CLOSED: "votes_closed",
    Vote.MISSING: "unknown_item",
}
"""The last part of the prompt key answering each outcome (`<feature>.<suffix>`)."""


def top(items: Sequence[Item]) -> Item | None:
    """Return the highest ranked open item not taken yet (items come ranked)."""
    return next((i for i in items if i.status == "open" and i.taken_at is None), None)


async def mentions(
    uow: UnitOfWork, community_id: int, member_ids: Iterable[str]
) -> dict[str, Mention]:
    """Return a mention of each member, in the order given, by the name Terreau last saw."""
    found: dict[str, Mention] = {}
    for member_id in dict.fromkeys(member_ids):
        record = await uow.members.get(community_id, member_id)
        name = record.display_name if record is not None else member_id
        found[member_id] = Mention(member_id=member_id, display_name=name)
    return found


async def authors(uow: UnitOfWork, community_id: int, items: Iterable[Item]) -> dict[str, Mention]:
    """Return a mention of each item's author, by the name Terreau last saw them under."""
    return await mentions(uow, community_id, sorted({item.author_id for item in items}))


def entries(
    items: Iterable[Item], authors: Mapping[str, Mention], *, reveal: bool
) -> list[dict[str, Any]]:
    """Return the items as template variables; anonymous authors stay hidden unless `reveal`."""
    return [
        {
            "number": item.number,
            "text": item.text,
            "points": item.points,
            "voters": item.voters,
            "status": item.status,
            "taken": item.taken_at is not None,
            "author": None if item.anonymous and not reveal else authors.get(item.author_id),
        }
        for item in items
    ]


def vote_id(feature: str, board_id: int, number: int) -> str:
    """Return the choice id of the vote button of item `number` on a board."""
    return f"{feature}:{board_id}:vote:{number}"


def parse_vote_id(choice_id: str) -> tuple[int, int] | None:
    """Return (board id, item number) from a vote button's choice id, or None."""
    parts = choice_id.split(":")
    if len(parts) != 4 or parts[2] != "vote" or not (parts[1].isdecimal() and parts[3].isdecimal()):
        return None
    return int(parts[1]), int(parts[3])


def phase_jobs(
    community_key: str, *, tick: tuple[str, str, Run], purge: tuple[str, str, Run]
) -> list[Job]:
    """Return a community's phase check and daily purge, each `(job id, cron, run)`, in UTC.

    A missed check still runs within a day (phases move by stored times, so a late
    one does what was due); a missed purge within 23 hours, before the next.
    """
    return [
        Job(
            id=job_id,
            community=community_key,
            schedule=parse_cron(cron),
            timezone="UTC",
            grace=grace,
            run=functools.partial(run, community_key),
        )
        for (job_id, cron, run), grace in ((tick, timedelta(days=1)), (purge, timedelta(hours=23)))
    ]
