"""Who a Slack member is, for permission checks: admin/owner flags and moderator user groups.

Lookups are cached for a short while on the injected clock, so a burst of
commands costs one `users.info`, yet a member who loses admin rights or leaves a
moderator group loses moderator powers within `ttl`. Names for the interaction
log are looked up at most once per `name_ttl` per member, and never wait out a
rate limit: a member whose name is not known yet is logged under their id.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack._web import call
from adapters.slack.translate import member_from_user
from bot.domain import Member
from bot.ports import Clock, NotFound, PlatformError

log = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(minutes=1)
NAME_TTL = timedelta(hours=6)
_NAMED_SLACK = 1_000
"""Named members kept beyond one per member looked up, before the kept ones start over."""


@dataclass(frozen=True, slots=True)
class _Cached:
    value: Any
    fetched: datetime


class MemberDirectory:
    """Members of one workspace as `users.info` and `usergroups.users.list` report them."""

    def __init__(
        self,
        client: AsyncWebClient,
        clock: Clock,
        *,
        names_client: AsyncWebClient | None = None,
        moderator_groups: Collection[str] = (),
        ttl: timedelta = DEFAULT_TTL,
        name_ttl: timedelta = NAME_TTL,
    ) -> None:
        self._client = client
        self._names_client = names_client or client
        self._name_ttl = name_ttl
        self._clock = clock
        self._groups = tuple(group for group in moderator_groups if group.startswith("S"))
        self._ttl = ttl
        self._users: dict[str, _Cached] = {}
        self._group_members: dict[str, _Cached] = {}
        self._named: dict[Member, tuple[_Cached, Member]] = {}
        """Each member named, by the member asked for, with the lookup the name came from."""

    async def fetch(self, user_id: str) -> Member | None:
        """Return the member with their admin flag and moderator groups, or None if gone."""
        user = await self._user(user_id)
        if user is None or user.get("deleted"):
            return None
        member = member_from_user(user)
        roles = frozenset(
            [group for group in self._groups if user_id in await self._members_of(group)]
        )
        return replace(member, roles=roles)

    async def enrich(self, member: Member) -> Member:
        """Return `member` with what Slack says now about their rights (unchanged if unknown)."""
        try:
            found = await self.fetch(member.id)
        except Exception as error:  # a lookup failure must not make anyone a moderator
            log.warning("could not look up Slack member %s: %s", member.id, error)
            return replace(member, is_admin=False, roles=frozenset())
        if found is None:
            return replace(member, is_admin=False, roles=frozenset())
        name = member.display_name if member.display_name != member.id else found.display_name
        return replace(found, display_name=name or found.display_name)

    async def named(self, member: Member) -> Member:
        """Return `member` with their Slack display name, if it can be had without waiting."""
        if member.display_name != member.id:
            return member
        kept = self._kept(member)
        if kept is not None:
            return kept
        try:
            user = await self._user(member.id, max_age=self._name_ttl, client=self._names_client)
        except PlatformError as error:
            log.debug("no name for Slack member %s yet: %s", member.id, error)
            return member
        if user is None:
            return member
        named = replace(member, display_name=member_from_user(user).display_name)
        latest = self._users.get(member.id)
        if latest is not None and latest.value is user:
            if len(self._named) >= len(self._users) + _NAMED_SLACK:
                self._named.clear()
            self._named[member] = (latest, named)
        return named

    def known(self, user_id: str) -> Member:
        """Return the member `user_id` is, named if a recent lookup named them; never waits.

        `named` of what this returns finds the name when it is not known yet.
        """
        member = Member(id=user_id, display_name=user_id)
        return self._kept(member) or member

    def _kept(self, member: Member) -> Member | None:
        kept = self._named.get(member)
        if kept is None:
            return None
        lookup, named = kept
        # Still the latest lookup of them, and recent enough to name them by.
        if lookup is self._users.get(member.id) and (
            lookup.fetched + self._name_ttl > self._clock.now()
        ):
            return named
        return None

    async def _user(
        self,
        user_id: str,
        *,
        max_age: timedelta | None = None,
        client: AsyncWebClient | None = None,
    ) -> dict[str, Any] | None:
        now = self._clock.now()
        cached = self._users.get(user_id)
        if cached is not None and cached.fetched + (max_age or self._ttl) > now:
            return cached.value  # type: ignore[no-any-return]
        client = client or self._client
        try:
            response = await call("users.info", lambda: client.users_info(user=user_id))
            user: dict[str, Any] | None = dict(response["user"])
        except NotFound:
            user = None
        self._users[user_id] = _Cached(user, now)
        return user

    async def _members_of(self, group: str) -> frozenset[str]:
        now = self._clock.now()
        cached = self._group_members.get(group)
        if cached is not None and cached.fetched + self._ttl > now:
            return cached.value  # type: ignore[no-any-return]
        try:
            response = await call(
                "usergroups.users.list",
                lambda: self._client.usergroups_users_list(usergroup=group),
            )
            users = frozenset(str(user) for user in response.get("users") or ())
        except NotFound:
            log.warning("moderator user group %s does not exist in this workspace", group)
            users = frozenset()
        self._group_members[group] = _Cached(users, now)
        return users
