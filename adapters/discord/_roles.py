"""Moving a role between members (the election's winner role) through Discord's REST API."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord

from adapters.discord._errors import MISSING_PERMISSIONS, port_errors
from bot.ports import Forbidden, NotFound, Unsupported

log = logging.getLogger(__name__)

UNKNOWN_MEMBER = 10007
UNKNOWN_ROLE = 10011
MEMBERS_PAGE = 1000


async def move_role(
    client: discord.Client, guild: discord.Guild, role_id: str, member_ids: Sequence[str]
) -> None:
    """Give `role_id` to `member_ids` and take it from every other member who holds it.

    The role is given first, so a refusal never leaves the role with nobody. A winner
    who has left the guild is skipped. A refusal (403: no Manage Roles, or the role is
    not below the bot's highest role) is logged and raised as `Forbidden`.
    """
    if not role_id.isdecimal():
        raise NotFound(f"{role_id!r} is not a Discord role id (election winner_role)")
    if not all(member_id.isdecimal() for member_id in member_ids):
        raise NotFound(f"not Discord member ids: {list(member_ids)!r}")
    if not client.intents.members:
        raise Unsupported(
            "moving a role needs [discord] members_intent = true, to find who holds it now"
        )
    role = int(role_id)
    wanted = {int(member_id) for member_id in member_ids}
    holders = await _holders(client, guild.id, role_id)
    for member_id in sorted(wanted - holders):
        await _change(client, guild, role, member_id, give=True)
    for member_id in sorted(holders - wanted):
        await _change(client, guild, role, member_id, give=False)
    log.info(
        "role %s in Discord guild %s: given to %d member(s), taken from %d",
        role_id,
        guild.id,
        len(wanted - holders),
        len(holders - wanted),
    )


async def _holders(client: discord.Client, guild_id: int, role_id: str) -> set[int]:
    holders: set[int] = set()
    after = 0
    with port_errors("list role holders"):
        while True:
            page = await client.http.get_members(guild_id, MEMBERS_PAGE, after)
            holders.update(int(m["user"]["id"]) for m in page if role_id in m.get("roles", ()))
            if len(page) < MEMBERS_PAGE:
                return holders
            after = max(int(m["user"]["id"]) for m in page)


async def _change(
    client: discord.Client, guild: discord.Guild, role: int, member_id: int, *, give: bool
) -> None:
    action = client.http.add_role if give else client.http.remove_role
    try:
        with port_errors("give role" if give else "take role"):
            await action(guild.id, member_id, role)
    except NotFound as error:
        code = getattr(error.__cause__, "code", None)
        if code == UNKNOWN_MEMBER:
            log.info("member %s left Discord guild %s; role %s skipped", member_id, guild.id, role)
            return
        if code == UNKNOWN_ROLE:
            message = f"Discord guild {guild.id} has no role {role} (election winner_role)"
            log.error(message)
            raise NotFound(message) from error.__cause__
        raise
    except Forbidden as error:
        message = refusal(guild, role, error.__cause__)
        log.error(message)
        raise Forbidden(message) from error.__cause__


def refusal(guild: discord.Guild, role_id: int, cause: BaseException | None) -> str:
    """Say why Discord refused to move a role, naming the permission and the role."""
    role = guild.get_role(role_id)
    name = f"{role.name!r} ({role_id})" if role is not None else str(role_id)
    me = guild.me
    if me is not None and not me.guild_permissions.manage_roles:
        why = "the bot lacks the Manage Roles permission"
    elif me is not None and role is not None and role >= me.top_role:
        why = (
            f"the role {role.name!r} is not below the bot's highest role "
            f"{me.top_role.name!r}, and Discord lets a bot manage only roles below its own"
        )
    else:
        why = "the bot needs the Manage Roles permission and its highest role above that role"
    code = getattr(cause, "code", MISSING_PERMISSIONS)
    return (
        f"cannot move the role {name} in Discord guild {guild.id}: {why} (Discord 403, code "
        f"{code}). Give the bot Manage Roles and drag its role above {name} in Server "
        f"Settings -> Roles."
    )
