"""`/terreau icebreaker preview | now | stats` for moderators."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext, Permission
from bot.config import CommunityConfig
from bot.features.icebreaker._config import IcebreakerConfig
from bot.features.icebreaker._invitations import POOL, Invitations
from bot.features.icebreaker._outcomes import Conversion, conversions, refresh_outcomes
from bot.features.icebreaker._selection import Verdict
from bot.features.report import ReportConfig

if TYPE_CHECKING:
    from bot.feature import FeatureContext


def declare_commands(app: FeatureContext, invitations: Invitations) -> None:
    """Register the icebreaker group on the app's command registry."""

    def enabled(ctx: CommandContext) -> CommunityConfig | None:
        community = app.communities[ctx.event.community]
        return community if community.section(IcebreakerConfig).enabled else None

    def describe(community: CommunityConfig, verdict: Verdict) -> dict[str, object]:
        catalog = app.catalog(community.key)
        return {
            "name": verdict.candidate.display_name,
            "level": catalog.text(f"icebreaker.levels.{verdict.candidate.level.value}"),
            "reason": catalog.text(f"icebreaker.reasons.{verdict.reason}", count=1),
            "times": verdict.times_invited,
            "last": verdict.last_contact,
        }

    async def preview(ctx: CommandContext) -> None:
        community = enabled(ctx)
        if community is None:
            await ctx.reply("icebreaker.disabled")
            return
        selection = await invitations.plan(community, explain=True)
        chosen = selection.chosen
        excluded = Counter(selection.excluded.values())
        catalog = app.catalog(community.key)
        question = None
        if chosen:
            item_id = await invitations.next_question(community, chosen)
            # The item alone, without the pool's title heading it.
            question = catalog.render_item(POOL, item_id).text.split("\n\n", 1)[-1]
        await ctx.reply(
            "icebreaker.preview",
            chosen=[describe(community, v) for v in chosen],
            waiting=[describe(community, v) for v in selection.next_up],
            more_waiting=selection.waiting - len(selection.next_up),
            excluded=[
                {
                    "reason": catalog.text(f"icebreaker.reasons.{reason}", count=count),
                    "count": count,
                }
                for reason, count in sorted(excluded.items())
            ],
            question=question,
            quiet=invitations.quiet_now(community),
            timezone=community.timezone,
        )

    async def post_now(ctx: CommandContext) -> None:
        community = enabled(ctx)
        if community is None:
            await ctx.reply("icebreaker.disabled")
            return
        if invitations.quiet_now(community):
            await ctx.reply(
                "icebreaker.now.quiet_hours", hours=community.section(IcebreakerConfig).quiet_hours
            )
            return
        nonce = f"icebreaker:{community.key}:now:{ctx.event.event_id}"
        chosen = await invitations.post_now(community, nonce)
        if chosen is None:
            await ctx.reply("icebreaker.now.failed")
        elif not chosen:
            await ctx.reply("icebreaker.now.nobody")
        else:
            await ctx.reply(
                "icebreaker.now.posted",
                names=[v.candidate.display_name for v in chosen],
                channel=app.channel_mention(
                    community.key, community.section(IcebreakerConfig).channel
                ),
            )

    async def stats(ctx: CommandContext) -> None:
        community = enabled(ctx)
        if community is None:
            await ctx.reply("icebreaker.disabled")
            return
        community_id = app.community_id(community.key)
        now = app.clock.now()
        async with app.store.transaction(fresh=True) as uow:
            await refresh_outcomes(uow, community_id, now)
            rows = await uow.icebreaker.invitations(community_id)
        # The same members as in the reports' figures: those the operator excludes are not.
        excluded = frozenset(community.section(ReportConfig).exclude_members)
        rows = [row for row in rows if row.member_id not in excluded]
        if not rows:
            await ctx.reply("icebreaker.stats.empty")
            return
        catalog = app.catalog(community.key)
        purpose_of = {channel: purpose for purpose, channel in community.channels.items()}
        invites = [row for row in rows if row.kind == "invitation"]
        await ctx.reply(
            "icebreaker.stats.body",
            kinds=_view(
                conversions(rows, now, lambda r: catalog.text(f"icebreaker.kinds.{r.kind}"))
            ),
            prompts=_view(conversions(invites, now, lambda r: r.prompt)),
            levels=_view(
                conversions(
                    invites,
                    now,
                    lambda r: catalog.text(f"icebreaker.levels.{r.level}") if r.level else None,
                )
            ),
            channels=_view(
                conversions(
                    invites,
                    now,
                    lambda r: purpose_of.get(r.channel_id, r.channel_id) if r.channel_id else None,
                )
            ),
        )

    for action, handler in (("preview", preview), ("now", post_now), ("stats", stats)):
        app.commands.register(
            Command(
                group="icebreaker",
                action=action,
                handler=handler,
                permission=Permission.MODERATOR,
            )
        )


def _view(groups: list[Conversion]) -> list[dict[str, object]]:
    return [
        {
            "label": group.label,
            "sent": group.sent,
            "h48": group.within_48h.percent,
            "h48_known": group.within_48h.known,
            "d7": group.within_7d.percent,
            "d7_known": group.within_7d.known,
            "d30": group.after_30d.percent,
            "d30_known": group.after_30d.known,
        }
        for group in groups
    ]
