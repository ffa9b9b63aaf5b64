"""Opting out and in, declaring interests, volunteering as a champion.

An opt-out covers tags and direct messages and lives in its own table, so it
survives the erasure of the member's data.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Option, OptionKind
from bot.features.icebreaker import IcebreakerConfig

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)

MAX_TOPICS = 10
SCOPES = ("tagging", "dm")
_TOPIC = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_topics(text: str) -> tuple[list[str], list[str]]:
    """Split `text` into (valid topic slugs, rejected words), each without duplicates."""
    topics: list[str] = []
    rejected: list[str] = []
    for word in _SEPARATORS.split(text.strip().lower()):
        if not word:
            continue
        bucket = topics if _TOPIC.match(word) and len(word) <= 32 else rejected
        if word not in bucket:
            bucket.append(word)
    return topics, rejected


def declare_commands(app: FeatureContext) -> None:
    """Register the me group on the app's command registry."""

    def ids(ctx: CommandContext) -> tuple[int, str]:
        return app.community_id(ctx.event.community), ctx.event.member.id

    async def optout(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        async with app.store.transaction() as uow:
            added = [await uow.optouts.add(community_id, member, scope) for scope in SCOPES]
        log.info("%s opted out in %s", member, ctx.event.community)
        await ctx.reply("me.optout.done" if any(added) else "me.optout.already")

    async def optin(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        async with app.store.transaction() as uow:
            removed = [await uow.optouts.remove(community_id, member, scope) for scope in SCOPES]
        await ctx.reply("me.optin.done" if any(removed) else "me.optin.already")

    async def interests(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        text = ctx.options.get("topics")
        known = sorted(
            {
                tag
                for pool in app.catalog(ctx.event.community).pools().values()
                for item in pool.items
                for tag in item.tags
            }
        )
        if not text:
            async with app.store.transaction() as uow:
                mine = (await uow.icebreaker.interests(community_id, [member])).get(member, ())
            await ctx.reply("me.interests.show", topics=sorted(mine), known=", ".join(known))
            return
        topics, rejected = parse_topics(text)
        if rejected or len(topics) > MAX_TOPICS:
            await ctx.reply(
                "me.interests.invalid",
                rejected=", ".join(rejected),
                maximum=MAX_TOPICS,
                known=", ".join(known),
            )
            return
        if topics == ["none"]:
            topics = []
        async with app.store.transaction() as uow:
            await uow.icebreaker.set_interests(community_id, member, topics)
        unknown = [topic for topic in topics if topic not in known]
        await ctx.reply(
            "me.interests.saved",
            topics=topics,
            unknown=", ".join(unknown),
            known=", ".join(known),
        )

    async def champion(ctx: CommandContext) -> None:
        community_id, member = ids(ctx)
        on = ctx.options["state"] == "on"
        community = app.communities[ctx.event.community]
        async with app.store.transaction() as uow:
            if on and await uow.optouts.has(community_id, member, "dm"):
                await ctx.reply("me.champion.opted_out")
                return
            changed = await uow.icebreaker.set_champion(community_id, member, on)
        icebreaker = community.section(IcebreakerConfig)
        active = icebreaker.enabled and icebreaker.champions.enabled
        if on:
            await ctx.reply(
                "me.champion.on" if changed else "me.champion.already_on",
                cap=icebreaker.champions.weekly_cap,
                active=active,
            )
        else:
            await ctx.reply("me.champion.off" if changed else "me.champion.already_off")

    for action, handler, options in (
        ("optout", optout, ()),
        ("optin", optin, ()),
        ("interests", interests, (Option(name="topics", required=False, rest=True),)),
        (
            "champion",
            champion,
            (Option(name="state", kind=OptionKind.CHOICE, choices=("on", "off")),),
        ),
    ):
        app.commands.register(Command(group="me", action=action, handler=handler, options=options))
