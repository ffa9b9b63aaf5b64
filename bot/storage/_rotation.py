"""Content rotation: every item of a pool once per cycle, in a seeded shuffled order.

Items a caller rests (prompts that never drew a reply, say) are left out of the
cycles for as long as the pool has any other item; a pool with nothing else
left goes round its rested items as before, rather than posting nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select

from bot.storage._base import Repository
from bot.storage.models import ContentUsageRow

_usage = ContentUsageRow.__table__.c


def shuffled(item_ids: Sequence[str], seed: str) -> list[str]:
    """Return `item_ids` in a deterministic order that depends only on `seed`.

    Each item is ranked by a hash of the seed and its id, so adding or removing
    an item never reorders the others.
    """
    return sorted(item_ids, key=lambda item: hashlib.sha256(f"{seed}\x00{item}".encode()).digest())


class Rotation(Repository):
    """Which items of each content pool were used, cycle after cycle."""

    async def pick(
        self,
        community_id: int,
        pool: str,
        item_ids: Sequence[str],
        seed: str,
        at: datetime | None = None,
        rest: Collection[str] = (),
    ) -> str:
        """Pick and record the next unused item of `pool`, starting a new cycle when all are used.

        Items no longer in `item_ids` are ignored; new items join the current cycle.
        Items in `rest` are skipped unless every item of `item_ids` is in it.
        """
        cycle, item = await self._next(community_id, pool, item_ids, seed, rest)
        stmt = self._insert(ContentUsageRow.__table__).values(
            community_id=community_id,
            pool=pool,
            item_id=item,
            cycle=cycle,
            used_at=self._now(at),
        )
        await self._connection.execute(stmt)
        return item

    async def peek(
        self,
        community_id: int,
        pool: str,
        item_ids: Sequence[str],
        seed: str,
        rest: Collection[str] = (),
    ) -> str:
        """Return the item `pick` would choose, without recording it."""
        return (await self._next(community_id, pool, item_ids, seed, rest))[1]

    async def _next(
        self,
        community_id: int,
        pool: str,
        item_ids: Sequence[str],
        seed: str,
        rest: Collection[str],
    ) -> tuple[int, str]:
        given = list(dict.fromkeys(item_ids))
        if not given:
            raise ValueError(f"content pool {pool!r} has no items to pick from")
        # The shuffle ranks each item on its own, so leaving some out keeps the others' order.
        items = [item for item in given if item not in rest] or given
        in_pool = (_usage.community_id == community_id, _usage.pool == pool)
        latest = select(func.max(_usage.cycle)).where(*in_pool)
        cycle = (await self._connection.execute(latest)).scalar_one_or_none() or 0
        used_stmt = select(_usage.item_id).where(*in_pool, _usage.cycle == cycle)
        used = set((await self._connection.execute(used_stmt)).scalars())
        remaining = [item for item in shuffled(items, f"{seed}:{cycle}") if item not in used]
        if remaining:
            return cycle, remaining[0]
        return cycle + 1, shuffled(items, f"{seed}:{cycle + 1}")[0]
