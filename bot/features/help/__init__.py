"""`/terreau help [topic]`: the command tree, from what features declared."""

from __future__ import annotations

from bot.commands import HELP_GROUP, Command, CommandContext, Option
from bot.feature import Feature, FeatureContext
from bot.prompts import Catalog


def setup(app: FeatureContext) -> None:
    """Declare `/terreau help`."""

    async def show_help(ctx: CommandContext) -> None:
        topic = ctx.options.get("topic")
        catalog = app.catalog(ctx.event.community)
        await ctx.reply("messages.help.body", **help_variables(app, catalog, topic))

    app.commands.register(
        Command(
            group=HELP_GROUP,
            action="",
            handler=show_help,
            options=(Option(name="topic", required=False),),
        )
    )


def help_variables(app: FeatureContext, catalog: Catalog, topic: str | None) -> dict[str, object]:
    """Return what the help template shows: every group, or one group's commands.

    Descriptions are rendered posts, so their own markup (a `command` in code) shows.
    """
    groups = [
        {"name": group, "description": catalog.post(f"commands.{group}.help")}
        for group in app.commands.groups()
        if group != HELP_GROUP
    ]
    chosen = topic.lower() if topic else None
    if chosen is None or chosen not in {group["name"] for group in groups}:
        return {"group": None, "groups": groups, "commands": [], "topic": topic}
    commands = [
        {"usage": command.usage(), "description": catalog.post(_help_key(command))}
        for command in app.commands.in_group(chosen)
    ]
    return {"group": chosen, "groups": groups, "commands": commands, "topic": topic}


def _help_key(command: Command) -> str:
    parts = ("commands", command.group, command.action, "help")
    return ".".join(part for part in parts if part)


FEATURE = Feature(name="help", order=10, setup=setup)
