"""`/terreau me data | export | forget`: every member's own data, on request."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from bot.commands import Command, CommandContext
from bot.domain import Choice, ChoiceMade
from bot.features.privacy._service import ERASURE_CONFIRMATION, PrivacyService

if TYPE_CHECKING:
    from bot.feature import FeatureContext

CONFIRM = "privacy:forget:confirm"
CANCEL = "privacy:forget:cancel"


def declare_commands(app: FeatureContext, service: PrivacyService) -> None:
    """Register the data actions of the `me` group and the erasure buttons."""

    async def data(ctx: CommandContext) -> None:
        held = await service.held(ctx.event.community, ctx.event.member.id)
        catalog = app.catalog(ctx.event.community)
        kinds = [
            {
                "count": item.count,
                "text": catalog.text(item.kind.description, count=item.count),
                "kept": item.kind.kept_on_erasure,
            }
            for item in held
        ]
        await ctx.reply("privacy.data.body", kinds=kinds, total=sum(i.count for i in held))

    async def export(ctx: CommandContext) -> None:
        path = await service.export(ctx.event.community, ctx.event.member.id)
        post = app.catalog(ctx.event.community).post(
            "privacy.export.ready", member=ctx.event.member.display_name
        )
        await app.respond(ctx.event, dataclasses.replace(post, file_path=str(path)))

    async def forget(ctx: CommandContext) -> None:
        await service.request_erasure(ctx.event.community, ctx.event.member.id)
        catalog = app.catalog(ctx.event.community)
        post = catalog.post(
            "privacy.forget.confirm",
            member=ctx.event.member.display_name,
            minutes=int(ERASURE_CONFIRMATION.total_seconds() // 60),
        )
        choices = (
            Choice(id=CONFIRM, label=catalog.text("privacy.forget.confirm_button")),
            Choice(id=CANCEL, label=catalog.text("privacy.forget.cancel_button")),
        )
        await app.respond(ctx.event, dataclasses.replace(post, choices=choices))

    async def clicked(event: ChoiceMade) -> None:
        member = event.member.id
        if event.choice_id == CANCEL:
            await service.cancel_erasure(event.community, member)
            await app.reply(event, "privacy.forget.cancelled")
        elif event.choice_id == CONFIRM:
            if not await service.erasure_pending(event.community, member):
                await app.reply(event, "privacy.forget.expired")
                return
            counts = await service.forget(event.community, member)
            await app.reply(event, "privacy.forget.done", total=sum(counts.values()))
        else:
            await app.reply(event, "messages.choices.expired")

    for action, handler in (("data", data), ("export", export), ("forget", forget)):
        app.commands.register(Command(group="me", action=action, handler=handler))
    app.on_choice("privacy", clicked)
