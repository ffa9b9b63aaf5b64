"""Boards: a time-boxed session in a channel where members contribute items and vote.

Live sessions (questions, one upvote each) and hold-ups (ideas, dots to spread)
are both a board; a feature keeps its own table for what only it needs (hosts,
phases) and leaves contributions and votes here.

The API (`uow.repository(Boards)`):

- `open(...)` stores a board; `get`, `of_kind` read them; `move` changes the
  status by compare-and-set; `set` records where its messages are.
- Statuses: `scheduled`, then `open` (items and votes), or `collecting` (items
  only) then `voting` (votes only), and finally `closed` or `cancelled`.
- `add_item` numbers an item within its board (1, 2, ...); `item`, `ranked`
  (points desc, then oldest first), `take` (the one being answered), `mark`
  (`open` to `answered`), `merge` (a duplicate into another, its votes following).
- `vote` applies the rules inside the transaction, holding the board's row so
  that votes at once are counted one after the other: no vote on one's own
  item, at most `per_item` points on an item, at most `budget` points over the
  whole board (None: no limit), and only while the board takes votes. It
  returns a `Vote` saying what happened; `unvote` takes a vote back; `points_of`
  reads one member's points on one item.
- `participants`, `counts` sum a board up; `member_items`, `member_votes`,
  `erase_items`, `erase_votes`, `owned`, `erase_owner` serve members' data rights,
  and `purge` deletes ended boards past a community's retention.

The author of an item is always stored, even when it is shown as anonymous.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    literal,
    select,
    union,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage._base import Repository
from bot.storage.models import Base, community_fk, one_of

BOARD_STATUSES = ("scheduled", "open", "collecting", "voting", "closed", "cancelled")
ITEM_STATUSES = ("open", "answered", "merged")
TAKES_ITEMS = ("open", "collecting")
TAKES_VOTES = ("open", "voting")
FORMER_OWNER = ""
"""What an erased owner's id becomes: the board stays, nobody is named."""


class BoardRow(Base):
    """A session in a channel: its kind, title, owner, status, budget and times."""

    __tablename__ = "boards"
    __table_args__ = (
        CheckConstraint(one_of("status", BOARD_STATUSES), name="status"),
        CheckConstraint("per_item >= 1", name="per_item"),
        CheckConstraint("budget IS NULL OR budget >= 1", name="budget"),
        Index("ix_boards_community_kind_status", "community_id", "kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(community_fk())
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[str]
    thread_id: Mapped[str | None]
    message_id: Mapped[str | None]
    owner_id: Mapped[str]
    status: Mapped[str] = mapped_column(String(16))
    budget: Mapped[int | None]
    per_item: Mapped[int]
    created_at: Mapped[datetime]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class BoardItemRow(Base):
    """A contribution to a board: a question, an idea."""

    __tablename__ = "board_items"
    __table_args__ = (
        CheckConstraint(one_of("status", ITEM_STATUSES), name="status"),
        UniqueConstraint("board_id", "number"),
        Index("ix_board_items_member", "community_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(community_fk())
    number: Mapped[int]
    author_id: Mapped[str]
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("board_items.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    taken_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class BoardVoteRow(Base):
    """A member's points on an item (one row per item and voter)."""

    __tablename__ = "board_votes"
    __table_args__ = (
        CheckConstraint("points >= 1", name="points"),
        Index("ix_board_votes_board_voter", "board_id", "voter_id"),
        Index("ix_board_votes_member", "community_id", "voter_id"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("board_items.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[str] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(community_fk())
    points: Mapped[int]
    created_at: Mapped[datetime]


@dataclass(frozen=True, kw_only=True, slots=True)
class Board:
    """A board as features see it."""

    id: int
    community_id: int
    kind: str
    title: str
    channel_id: str
    thread_id: str | None
    message_id: str | None
    owner_id: str
    status: str
    budget: int | None
    per_item: int
    created_at: datetime
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Item:
    """An item of a board, with the points it holds (0 unless read ranked)."""

    id: int
    board_id: int
    number: int
    author_id: str
    text: str
    anonymous: bool
    status: str
    merged_into: int | None
    created_at: datetime
    taken_at: datetime | None
    answered_at: datetime | None
    points: int = 0
    voters: int = 0


class Vote(enum.StrEnum):
    """What became of a vote."""

    CAST = "cast"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    OWN = "own"
    TOO_MANY = "too_many"
    BUDGET = "budget"
    CLOSED = "closed"
    MISSING = "missing"

    @property
    def counted(self) -> bool:
        """Return True when the voter's points now stand on the item."""
        return self in (Vote.CAST, Vote.CHANGED, Vote.UNCHANGED)


_boards = BoardRow.__table__.c
_items = BoardItemRow.__table__.c
_votes = BoardVoteRow.__table__.c
_ITEM_COLUMNS = tuple(getattr(_items, name) for name in Item.__dataclass_fields__ if name in _items)


def _board(row: Row[Any]) -> Board:
    return Board(**{name: getattr(row, name) for name in Board.__dataclass_fields__})


def _item(row: Row[Any] | Any) -> Item:
    found = row._mapping
    return Item(**{name: found[name] for name in Item.__dataclass_fields__ if name in found})


class Boards(Repository):
    """Boards, their items and votes, in every community (`uow.repository(Boards)`)."""

    async def open(
        self,
        *,
        community_id: int,
        kind: str,
        title: str,
        channel_id: str,
        owner_id: str,
        opens_at: datetime,
        closes_at: datetime,
        status: str = "scheduled",
        budget: int | None = None,
        per_item: int = 1,
        thread_id: str | None = None,
    ) -> Board:
        """Store a new board."""
        result = await self._connection.execute(
            insert(BoardRow)
            .values(
                community_id=community_id,
                kind=kind,
                title=title,
                channel_id=channel_id,
                thread_id=thread_id,
                owner_id=owner_id,
                status=status,
                budget=budget,
                per_item=per_item,
                created_at=self._now(None),
                opens_at=opens_at,
                closes_at=closes_at,
            )
            .returning(*_boards)
        )
        return _board(result.one())

    async def get(self, community_id: int, board_id: int, *, lock: bool = False) -> Board | None:
        """Return a board of the community, or None; `lock` holds it until the transaction ends."""
        stmt = select(BoardRow.__table__).where(
            _boards.id == board_id, _boards.community_id == community_id
        )
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._connection.execute(stmt)).one_or_none()
        return None if row is None else _board(row)

    async def of_kind(
        self, community_id: int, kind: str, statuses: tuple[str, ...] = BOARD_STATUSES
    ) -> list[Board]:
        """Return a community's boards of one kind in `statuses`, soonest opening first."""
        rows = await self._connection.execute(
            select(BoardRow.__table__)
            .where(
                _boards.community_id == community_id,
                _boards.kind == kind,
                _boards.status.in_(statuses),
            )
            .order_by(_boards.opens_at, _boards.id)
        )
        return [_board(row) for row in rows]

    async def move(self, board_id: int, source: str, target: str, **values: Any) -> bool:
        """Move a board from `source` to `target` status (compare-and-set), with `values`."""
        if target in ("closed", "cancelled"):
            values.setdefault("closed_at", self._now(None))
        moved = await self._connection.execute(
            update(BoardRow)
            .where(_boards.id == board_id, _boards.status == source)
            .values(status=target, **values)
        )
        return bool(moved.rowcount)

    async def set(self, board_id: int, **values: Any) -> None:
        """Record where a board's messages are, or new times."""
        await self._connection.execute(
            update(BoardRow).where(_boards.id == board_id).values(**values)
        )

    # Items.

    async def add_item(
        self, board: Board, author_id: str, text: str, *, anonymous: bool = False
    ) -> Item | None:
        """Add an item with the board's next number; None when the board takes no items."""
        held = await self.get(board.community_id, board.id, lock=True)
        if held is None or held.status not in TAKES_ITEMS:
            return None
        number = await self._connection.scalar(
            select(func.coalesce(func.max(_items.number), 0) + 1).where(_items.board_id == board.id)
        )
        result = await self._connection.execute(
            insert(BoardItemRow)
            .values(
                board_id=board.id,
                community_id=board.community_id,
                number=int(number or 1),
                author_id=author_id,
                text=text,
                anonymous=anonymous,
                status="open",
                created_at=self._now(None),
            )
            .returning(*_ITEM_COLUMNS)
        )
        return _item(result.one())

    async def item(self, board_id: int, number: int) -> Item | None:
        """Return item `number` of a board with its points, or None."""
        found = [i for i in await self._read(board_id, _items.number == number)]
        return found[0] if found else None

    async def ranked(self, board_id: int, statuses: tuple[str, ...] = ("open",)) -> list[Item]:
        """Return a board's items in `statuses`: most points first, then the oldest."""
        return await self._read(board_id, _items.status.in_(statuses))

    async def _read(self, board_id: int, *where: Any) -> list[Item]:
        totals = (
            select(
                _votes.item_id,
                func.sum(_votes.points).label("points"),
                func.count().label("voters"),
            )
            .where(_votes.board_id == board_id)
            .group_by(_votes.item_id)
            .subquery()
        )
        points = func.coalesce(totals.c.points, 0)
        rows = await self._connection.execute(
            select(
                *_ITEM_COLUMNS,
                points.label("points"),
                func.coalesce(totals.c.voters, 0).label("voters"),
            )
            .select_from(BoardItemRow.__table__.outerjoin(totals, totals.c.item_id == _items.id))
            .where(_items.board_id == board_id, *where)
            .order_by(points.desc(), _items.created_at, _items.id)
        )
        return [_item(row) for row in rows]

    async def take(self, item: Item) -> bool:
        """Mark an open item as taken up now (compare-and-set); False if it already was."""
        taken = await self._connection.execute(
            update(BoardItemRow)
            .where(_items.id == item.id, _items.status == "open", _items.taken_at.is_(None))
            .values(taken_at=self._now(None))
        )
        return bool(taken.rowcount)

    async def mark(self, item: Item, target: str = "answered") -> bool:
        """Move an open item to `target` (compare-and-set); False if it was not open."""
        values: dict[str, Any] = {"status": target}
        if target == "answered":
            values["answered_at"] = self._now(None)
        moved = await self._connection.execute(
            update(BoardItemRow)
            .where(_items.id == item.id, _items.status == "open")
            .values(**values)
        )
        return bool(moved.rowcount)

    async def merge(self, item: Item, into: Item) -> bool:
        """Merge open `item` into open `into` of the same board; votes follow where allowed.

        A vote moves unless its voter wrote `into` or already voted on it (the
        points per item and the budget can only shrink this way).
        """
        if item.id == into.id or item.board_id != into.board_id or into.status != "open":
            return False
        merged = await self._connection.execute(
            update(BoardItemRow)
            .where(_items.id == item.id, _items.status == "open")
            .values(status="merged", merged_into=into.id)
        )
        if not merged.rowcount:
            return False
        already = select(_votes.voter_id).where(_votes.item_id == into.id)
        moving = select(
            literal(into.id, Integer).label("item_id"),
            _votes.voter_id,
            _votes.board_id,
            _votes.community_id,
            _votes.points,
            _votes.created_at,
        ).where(
            _votes.item_id == item.id,
            _votes.voter_id != into.author_id,
            _votes.voter_id.not_in(already),
        )
        await self._connection.execute(
            insert(BoardVoteRow).from_select(
                ["item_id", "voter_id", "board_id", "community_id", "points", "created_at"], moving
            )
        )
        await self._connection.execute(delete(BoardVoteRow).where(_votes.item_id == item.id))
        return True

    # Votes.

    async def vote(self, board: Board, number: int, voter_id: str, points: int = 1) -> Vote:
        """Put `points` of `voter_id` on item `number`, by the board's rules."""
        held = await self.get(board.community_id, board.id, lock=True)
        if held is None:
            return Vote.MISSING
        if held.status not in TAKES_VOTES:
            return Vote.CLOSED
        item = (
            await self._connection.execute(
                select(_items.id, _items.author_id, _items.status).where(
                    _items.board_id == board.id, _items.number == number
                )
            )
        ).one_or_none()
        if item is None:
            return Vote.MISSING
        if item.status != "open":
            return Vote.CLOSED
        if item.author_id == voter_id:
            return Vote.OWN
        if points < 1 or points > held.per_item:
            return Vote.TOO_MANY
        spent = {
            row.item_id: row.points
            for row in await self._connection.execute(
                select(_votes.item_id, _votes.points).where(
                    _votes.board_id == board.id, _votes.voter_id == voter_id
                )
            )
        }
        before = spent.pop(item.id, None)
        if before == points:
            return Vote.UNCHANGED
        if held.budget is not None and sum(spent.values()) + points > held.budget:
            return Vote.BUDGET
        if before is None:
            await self._connection.execute(
                insert(BoardVoteRow).values(
                    item_id=item.id,
                    voter_id=voter_id,
                    board_id=board.id,
                    community_id=board.community_id,
                    points=points,
                    created_at=self._now(None),
                )
            )
            return Vote.CAST
        await self._connection.execute(
            update(BoardVoteRow)
            .where(_votes.item_id == item.id, _votes.voter_id == voter_id)
            .values(points=points)
        )
        return Vote.CHANGED

    async def unvote(self, board: Board, number: int, voter_id: str) -> bool:
        """Take back a member's vote on item `number`; False when there was none."""
        item_ids = select(_items.id).where(_items.board_id == board.id, _items.number == number)
        deleted = await self._connection.execute(
            delete(BoardVoteRow).where(_votes.item_id.in_(item_ids), _votes.voter_id == voter_id)
        )
        return bool(deleted.rowcount)

    async def points_of(self, board_id: int, number: int, voter_id: str) -> int:
        """Return how many points a member has put on item `number` (0 when none)."""
        total = await self._connection.scalar(
            select(_votes.points)
            .join(BoardItemRow.__table__, _items.id == _votes.item_id)
            .where(
                _votes.board_id == board_id,
                _items.number == number,
                _votes.voter_id == voter_id,
            )
        )
        return int(total or 0)

    async def spent(self, board_id: int, voter_id: str) -> int:
        """Return how many points a member has put on a board's items."""
        total = await self._connection.scalar(
            select(func.coalesce(func.sum(_votes.points), 0)).where(
                _votes.board_id == board_id, _votes.voter_id == voter_id
            )
        )
        return int(total or 0)

    # Sums.

    async def participants(self, board_id: int) -> frozenset[str]:
        """Return the members who added an item to a board or voted on one."""
        rows = await self._connection.execute(
            union(
                select(_items.author_id.label("member")).where(_items.board_id == board_id),
                select(_votes.voter_id.label("member")).where(_votes.board_id == board_id),
            )
        )
        return frozenset(row.member for row in rows)

    async def counts(self, board_id: int) -> dict[str, int]:
        """Return how many items of a board are in each status (every status present)."""
        rows = await self._connection.execute(
            select(_items.status, func.count())
            .where(_items.board_id == board_id)
            .group_by(_items.status)
        )
        found = {status: int(count) for status, count in rows}
        return {status: found.get(status, 0) for status in ITEM_STATUSES}

    # Personal data.

    async def member_items(
        self, community_id: int, member_id: str, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the items a member wrote (of one kind of board, or all), JSON-ready."""
        where = [_items.community_id == community_id, _items.author_id == member_id]
        if kind is not None:
            where.append(_boards.kind == kind)
        rows = await self._connection.execute(
            select(
                _boards.kind,
                _boards.title,
                _items.number,
                _items.text,
                _items.anonymous,
                _items.status,
                _items.created_at,
            )
            .join(BoardRow.__table__, _boards.id == _items.board_id)
            .where(*where)
            .order_by(_items.created_at, _items.id)
        )
        return [
            {
                "board": r.title,
                "kind": r.kind,
                "number": r.number,
                "text": r.text,
                "anonymous": r.anonymous,
                "status": r.status,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]

    async def member_votes(
        self, community_id: int, member_id: str, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the votes a member cast (of one kind of board, or all), JSON-ready."""
        where = [_votes.community_id == community_id, _votes.voter_id == member_id]
        if kind is not None:
            where.append(_boards.kind == kind)
        rows = await self._connection.execute(
            select(_boards.kind, _boards.title, _items.number, _votes.points, _votes.created_at)
            .select_from(
                BoardVoteRow.__table__.join(
                    BoardItemRow.__table__, _items.id == _votes.item_id
                ).join(BoardRow.__table__, _boards.id == _votes.board_id)
            )
            .where(*where)
            .order_by(_votes.created_at, _items.number)
        )
        return [
            {
                "board": r.title,
                "kind": r.kind,
                "item": r.number,
                "points": r.points,
                "created_at": r.created_at.isoformat(),
            }
            for r in rows
        ]

    async def erase_items(self, community_id: int, member_id: str, kind: str | None = None) -> int:
        """Delete the items a member wrote (and the votes on them)."""
        stmt = delete(BoardItemRow).where(
            _items.community_id == community_id, _items.author_id == member_id
        )
        if kind is not None:
            stmt = stmt.where(_items.board_id.in_(self._of(community_id, kind)))
        return int((await self._connection.execute(stmt)).rowcount or 0)

    async def erase_votes(self, community_id: int, member_id: str, kind: str | None = None) -> int:
        """Delete the votes a member cast."""
        stmt = delete(BoardVoteRow).where(
            _votes.community_id == community_id, _votes.voter_id == member_id
        )
        if kind is not None:
            stmt = stmt.where(_votes.board_id.in_(self._of(community_id, kind)))
        return int((await self._connection.execute(stmt)).rowcount or 0)

    async def owned(
        self, community_id: int, member_id: str, kind: str | None = None
    ) -> list[dict[str, Any]]:
        """Return the boards a member owns, JSON-ready."""
        where = [_boards.community_id == community_id, _boards.owner_id == member_id]
        if kind is not None:
            where.append(_boards.kind == kind)
        rows = await self._connection.execute(
            select(_boards.kind, _boards.title, _boards.status, _boards.opens_at)
            .where(*where)
            .order_by(_boards.id)
        )
        return [
            {
                "kind": r.kind,
                "title": r.title,
                "status": r.status,
                "opens_at": r.opens_at.isoformat(),
            }
            for r in rows
        ]

    async def erase_owner(self, community_id: int, member_id: str, kind: str | None = None) -> int:
        """Forget a member as the owner of boards; the boards stay for their participants."""
        stmt = (
            update(BoardRow)
            .where(_boards.community_id == community_id, _boards.owner_id == member_id)
            .values(owner_id=FORMER_OWNER)
        )
        if kind is not None:
            stmt = stmt.where(_boards.kind == kind)
        return int((await self._connection.execute(stmt)).rowcount or 0)

    async def purge(self, community_id: int, kind: str, before: datetime) -> int:
        """Delete a community's ended boards of one kind that closed before `before`."""
        deleted = await self._connection.execute(
            delete(BoardRow).where(
                _boards.community_id == community_id,
                _boards.kind == kind,
                _boards.status.in_(("closed", "cancelled")),
                _boards.closed_at < before,
            )
        )
        return int(deleted.rowcount or 0)

    def _of(self, community_id: int, kind: str) -> Any:
        return select(_boards.id).where(_boards.community_id == community_id, _boards.kind == kind)
