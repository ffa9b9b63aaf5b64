"""The commented `terreau.toml` written from a community's answers and its plan.

Values are written by code, comments come from `init.comments` and `init.reasons`
in the community's language, so the file says, beside each feature, why it is on
or off. No secret is ever written: the header names the environment variables
to set instead.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence

from bot.onboarding._answers import Answers
from bot.onboarding._plan import Plan
from bot.prompts import Catalog

WIDTH = 92
_QUOTED = re.compile(r'"[^"]*"')
_GLUE = "\x00"
DIGEST_CRON = "0 8 * * 1"
ICEBREAKER_CRON = "0 18 * * 2"
Value = str | int | bool | Sequence[str] | Mapping[str, str]


def secret_variables(platform: str) -> tuple[str, ...]:
    """Return the environment variables a community on `platform` needs."""
    return {
        "discord": ("DISCORD_TOKEN",),
        "slack": ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
    }.get(platform, ())


def toml_value(value: Value) -> str:
    """Spell `value` in TOML (strings as basic strings, tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    return "[" + ", ".join(toml_value(item) for item in value) + "]"


def one_line(text: str) -> str:
    """Return `text` with line breaks and control characters turned into spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


class _Lines:
    """The file being written: comments in the catalog's language, keys, tables."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.lines: list[str] = []

    def comment(self, key: str, **variables: object) -> None:
        text = self.catalog.text(f"init.{key}", **variables)
        for paragraph in text.splitlines():
            # A quoted value (a cron expression, say) is never split across lines.
            kept = _QUOTED.sub(lambda quoted: quoted.group().replace(" ", _GLUE), paragraph)
            wrapped = textwrap.wrap(kept, WIDTH - 2, break_on_hyphens=False) or [""]
            self.lines.extend(f"# {line}".rstrip().replace(_GLUE, " ") for line in wrapped)

    def key(self, name: str, value: Value) -> None:
        self.lines.append(f"{name} = {toml_value(value)}")

    def table(self, name: str, *, array: bool = False) -> None:
        self.lines.append(f"[[{name}]]" if array else f"[{name}]")

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def config_text(answers: Answers, plan: Plan, catalog: Catalog) -> str:
    """Return the whole commented config file for `answers`, following `plan`."""
    out = _Lines(catalog)
    _header(out, answers)
    _platform(out, answers)
    _community(out, answers)
    _rituals(out, answers, plan)
    _games(out, answers, plan)
    _icebreaker(out, plan)
    _election(out, answers, plan)
    _report(out, plan)
    out.blank()
    out.comment("comments.privacy")
    out.table("communities.privacy")
    out.key("retention_days", 395)
    return out.text()


def _header(out: _Lines, answers: Answers) -> None:
    choice = out.catalog.text
    out.comment("comments.header", name=one_line(answers.name))
    if answers.purpose:
        out.comment("comments.purpose", purpose=one_line(answers.purpose))
    out.comment(
        "comments.profile",
        audience=choice(f"init.choices.audience.{answers.audience}"),
        size=answers.size,
        benefit=choice(f"init.choices.benefit.{answers.benefit}"),
        meeting=choice(f"init.choices.meeting.{answers.meeting}"),
    )
    names = secret_variables(answers.platform)
    if names:
        out.comment("comments.secrets", names=", ".join(names))
    else:
        out.comment("comments.no_secrets")
    out.comment("comments.next")
    out.blank()
    out.comment("comments.database")
    out.key("database_url", "sqlite+aiosqlite:///terreau.db")
    out.key("log_level", "INFO")


def _platform(out: _Lines, answers: Answers) -> None:
    out.blank()
    if answers.platform == "discord":
        out.comment("comments.discord")
        out.table("discord")
        out.comment("comments.members_intent")
        out.key("members_intent", True)
        out.comment("comments.message_content")
        out.key("message_content", False)
    elif answers.platform == "slack":
        out.comment("comments.slack")
        out.table("slack")
        out.key("mode", "socket")
    else:
        out.comment("comments.console")
        out.table("console")
        out.key("member", "you")
        out.key("moderators", ["you"])


def _community(out: _Lines, answers: Answers) -> None:
    out.blank()
    out.table("communities", array=True)
    out.key("platform", answers.platform)
    out.key("id", answers.community_id)
    out.key("name", one_line(answers.name))
    out.key("language", answers.language)
    out.key("timezone", answers.timezone)
    out.comment("comments.moderator_roles")
    out.key("moderator_roles", [])
    out.comment("comments.channels")
    out.key("channels", dict(answers.channels))


def _rituals(out: _Lines, answers: Answers, plan: Plan) -> None:
    out.blank()
    out.table("communities.posts")
    out.comment("comments.dead_channel")
    out.key("dead_channel_after", 3)
    for ritual in plan.rituals:
        out.blank()
        out.comment(f"reasons.{ritual.reason}", timezone=answers.timezone)
        out.table("communities.posts.schedules", array=True)
        out.key("name", ritual.name)
        out.key("channel", "general")
        out.key("cron", ritual.cron)
        out.key("pool", ritual.pool)
        out.key("thread", ritual.thread)


def _games(out: _Lines, answers: Answers, plan: Plan) -> None:
    out.blank()
    out.comment(f"reasons.{plan.games_reason}")
    out.table("communities.games")
    out.key("enabled", plan.games)
    if not plan.games:
        return
    out.key("channel", "games" if "games" in answers.channels else "general")
    out.comment("comments.season_months")
    out.key("season_months", 1)
    for schedule in plan.game_schedules:
        out.blank()
        out.table("communities.games.schedules", array=True)
        out.key("name", schedule.name)
        out.key("game", schedule.game)
        out.key("cron", schedule.cron)
        if schedule.questions is not None:
            out.key("questions", schedule.questions)


def _icebreaker(out: _Lines, plan: Plan) -> None:
    out.blank()
    out.comment(f"reasons.{plan.icebreaker_reason}")
    out.table("communities.icebreaker")
    out.key("enabled", plan.icebreaker)
    if not plan.icebreaker or plan.caps is None:
        return
    out.key("schedule", ICEBREAKER_CRON)
    out.key("channel", "general")
    out.comment("comments.max_invitees")
    out.key("max_invitees", plan.caps.max_invitees)
    out.comment("comments.cooldown_days")
    out.key("cooldown_days", plan.caps.cooldown_days)
    out.comment("comments.quiet_hours")
    out.key("quiet_hours", "22:00-08:00")
    out.blank()
    out.comment("comments.champions")
    out.table("communities.icebreaker.champions")
    out.key("weekly_cap", plan.caps.champions_weekly_cap)


def _election(out: _Lines, answers: Answers, plan: Plan) -> None:
    out.blank()
    out.comment(f"reasons.{plan.election_reason}")
    out.table("communities.election")
    out.key("enabled", plan.election)
    if not plan.election or plan.eligibility is None:
        return
    out.key("channel", "general")
    out.comment("comments.eligibility")
    out.key("min_tenure_days", plan.eligibility.min_tenure_days)
    out.key("min_interactions", plan.eligibility.min_interactions)
    if answers.platform == "discord":
        out.comment("comments.winner_role")


def _report(out: _Lines, plan: Plan) -> None:
    out.blank()
    out.comment(f"reasons.{plan.digest_reason}")
    out.table("communities.report")
    if plan.digest:
        out.key("digest_cron", DIGEST_CRON)
        out.key("channel", "moderators")
