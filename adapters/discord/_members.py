"""The domain members of guild members, kept between their events.

Every message and reaction carries its author's member object, and turning it
into a domain `Member` computes the guild permissions (every role's) and the role
set: a tenth of the time of an event. A member's next event usually carries the
same name and roles, so the domain member is kept, keyed by guild and user, and
used again while the name, roles, bot flag, join time and timeout it came from
are the same. What the payload does not carry is what the guild's roles grant and who
owns the guild: a role created, changed or deleted, or a guild update, forgets
the guild's members. The cache holds at most `limit` members and starts over
when full, so its memory does not grow with the guild.

Terreau's own parsers (`_parsers.py`) ask with the payload (`of_payload`) instead
of a discord.py member: the same fields are compared straight from the payload,
and only a changed member is built by discord.py to be translated. A member timed
out is never kept: what a timeout takes away ends with time, not with an event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord

from adapters.discord import translate
from bot.domain import Member

if TYPE_CHECKING:
    from discord.state import ConnectionState
    from discord.types.member import Member as MemberPayload
    from discord.types.member import MemberWithUser
    from discord.types.user import User as UserPayload

KEPT_MEMBERS = 10_000
"""Members kept at most (the active ones: a member's events come in runs)."""

_Stamp = tuple[Any, ...]


class MemberCache:
    """Domain members by (guild, user), valid while their payload says the same."""

    def __init__(self, limit: int = KEPT_MEMBERS) -> None:
        self._limit = limit
        self._members: dict[tuple[int, int], tuple[_Stamp, Member]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._members)

    def of(self, user: discord.Member | discord.User) -> Member:
        """Return the domain member of `user`, computed again only when it changed."""
        if not isinstance(user, discord.Member):
            return translate.to_member(user)
        key = (user.guild.id, user.id)
        stamp = (
            user.display_name,
            user._roles.tobytes(),
            user.bot,
            user.joined_at,
            user.timed_out_until,
        )
        kept = self._members.get(key)
        if kept is not None and kept[0] == stamp:
            self.hits += 1
            return kept[1]
        self.misses += 1
        member = translate.to_member(user)
        if user.timed_out_until is None:
            self._keep(key, stamp, member)
        return member

    def of_payload(
        self,
        guild: discord.Guild,
        user: UserPayload,
        data: MemberPayload | MemberWithUser,
        state: ConnectionState,
    ) -> Member:
        """Return the domain member of a member payload (`user`: theirs), as `of` would."""
        key = (guild.id, int(user["id"]))
        stamp = (
            data.get("nick"),
            user.get("global_name"),
            user.get("username"),
            data.get("roles"),
            user.get("bot", False),
            data.get("joined_at"),
            data.get("communication_disabled_until"),
        )
        kept = self._members.get(key)
        if kept is not None and kept[0] == stamp:
            self.hits += 1
            return kept[1]
        self.misses += 1
        whole = dict(data, user=user)
        member = translate.to_member(discord.Member(data=whole, guild=guild, state=state))  # type: ignore[arg-type]
        if data.get("communication_disabled_until") is None:
            self._keep(key, stamp, member)
        return member

    def _keep(self, key: tuple[int, int], stamp: _Stamp, member: Member) -> None:
        if len(self._members) >= self._limit:
            self._members.clear()
        self._members[key] = (stamp, member)

    def forget(self, guild_id: int, user_id: int) -> None:
        """Forget one member (they left)."""
        self._members.pop((guild_id, user_id), None)

    def forget_guild(self, guild_id: int) -> None:
        """Forget a guild's members: its roles or its owner changed."""
        for key in [key for key in self._members if key[0] == guild_id]:
            del self._members[key]
