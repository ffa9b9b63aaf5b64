"""Representative variables for every prompt key, member text as hostile as it gets.

The golden render test and the plural test render every prompt with these. Every
string a member could have typed (names, reasons, poll text, answers, statements,
topics, typed options) is `HOSTILE` or `HOSTILE_LINES`; members and channels the
core names are real references, with ids shaped for the platform at hand.
Counts are set by `samples(..., count=N)` so a sentence can be read at 0, 1, 2, 21.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.domain import ChannelMention, Link, Mention, Post
from bot.prompts import Catalog

HOSTILE = (
    "**x** [x](https://evil.example) <!here> @everyone <@123> # heading ```code``` "
    "||spoiler|| _x_ ~x~ &amp;"
)
"""One line of member text holding every markup and mention trick of the three platforms."""

HOSTILE_LINES = "she's **great**\n# heading\n> quoted\n```\ncode\n```\n- [x](https://evil.example)"
"""Member text over several lines: headings, quotes, code blocks and lists at line starts."""

HOSTILE_FRAGMENTS = (
    "**x**",
    "[x](https://evil.example)",
    "<!here>",
    "@everyone",
    "<@123>",
    "# heading",
    "```",
    "||spoiler||",
    "_x_",
    "~x~",
    "&amp;",
)
"""The pieces of hostile text a golden file must show exactly, never as markup."""

TIMEZONE = "Europe/Paris"
WHEN = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)
LATER = datetime(2026, 12, 9, 17, 45, tzinfo=UTC)
DAY = date(2026, 12, 7)

IDS = {
    "discord": {
        "alice": "1170000000000000011",
        "bob": "1170000000000000022",
        "channel": "1180000000000000001",
    },
    "slack": {"alice": "U0ALICE", "bob": "U0BOB", "channel": "C0GENERAL"},
    "console": {"alice": "alice", "bob": "bob", "channel": "general"},
}
"""Member and channel ids as each platform writes them."""


def mentions(platform: str) -> tuple[Mention, Mention]:
    """Two members the core names, one with a hostile display name."""
    ids = IDS[platform]
    return (
        Mention(member_id=ids["alice"], display_name=HOSTILE),
        Mention(member_id=ids["bob"], display_name="Bob"),
    )


def channel(platform: str) -> ChannelMention:
    """The channel the core names."""
    return ChannelMention(channel_id=IDS[platform]["channel"], name="general")


def samples(
    key: str, platform: str = "console", *, count: int = 3, hostile: bool = True
) -> dict[str, Any]:
    """Return variables for `key`: the defaults by name, then the key's own shapes.

    With `hostile=False`, member text is a plain name, for files read for grammar.
    """
    alice, bob = mentions(platform)
    where = channel(platform)
    defaults: dict[str, Any] = {name: make(count) for name, make in _BY_NAME.items()}
    defaults.update(
        channel=where, invitees=[alice, bob], newcomer=alice, friends=([alice, bob] * 11)[:count]
    )
    override = _BY_KEY.get(key)
    if override is not None:
        defaults.update(override(count, alice, bob, where))
    if hostile:
        return defaults
    return {name: _tame(value) for name, value in defaults.items()}


def _tame(value: Any) -> Any:
    if value == HOSTILE or value == HOSTILE_LINES:
        return "Alice"
    if isinstance(value, Mention) and value.display_name == HOSTILE:
        return Mention(member_id=value.member_id, display_name="Alice")
    if isinstance(value, list):
        return [_tame(item) for item in value]
    if isinstance(value, dict):
        return {name: _tame(item) for name, item in value.items()}
    if isinstance(value, str):
        return value.replace(HOSTILE, "Alice")
    return value


def _text(count: int) -> str:
    return HOSTILE


_BY_NAME: dict[str, Callable[[int], Any]] = {
    # Member text, typed options, names from config: all shown as typed.
    **{
        name: _text
        for name in (
            "action",
            "answer",
            "author",
            "category",
            "choice",
            "command",
            "community",
            "current",
            "error",
            "explanation",
            "extra",
            "feature",
            "first",
            "group",
            "improved",
            "known",
            "lie",
            "member",
            "name",
            "names",
            "newcomer_name",
            "nominee",
            "option",
            "period",
            "question",
            "rejected",
            "ritual",
            "role",
            "season",
            "next_season",
            "statement",
            "title",
            "topic",
            "topics",
            "unknown",
            "usage",
            "value",
            "won",
            "back",
            "months",
            "before",
            "after",
            "difficulty",
            "delta",
            "choices",
            # Shown by `terreau init` and `terreau doctor` in a terminal.
            "address",
            "audience",
            "benefit",
            "close",
            "default",
            "flag",
            "guild",
            "head",
            "intent",
            "invite",
            "meeting",
            "path",
            "purpose",
            "revision",
            "scope",
            "scopes",
            "team",
            "top",
            "url",
            "user",
            "variable",
            "config",
            "permissions",
            "enabled",
            "application",
            "why",
            "kind",
            "expected",
            "problem",
            "context",
            "wanted",
        )
    },
    # Counts.
    **{
        name: (lambda count: count)
        for name in (
            "answered",
            "answers",
            "ballots",
            "bonus",
            "cap",
            "cohort",
            "converted",
            "correct",
            "count",
            "days",
            "fool_points",
            "fooled",
            "gain",
            "guesses",
            "hours",
            "maximum",
            "minimum",
            "minutes",
            "more",
            "more_waiting",
            "needed",
            "played",
            "points",
            "poll",
            "posts",
            "seconds",
            "spot_points",
            "total",
            "trivia",
            "twotruths",
            "length",
            "size",
            "sent",
            "hosted",
            "accepted",
        )
    },
    "on": lambda count: True,
    "number": lambda count: 2,
    "eligible": lambda count: 40,
    "active": lambda count: 40,
    "timezone": lambda count: TIMEZONE,
    "closes_at": lambda count: LATER,
    "voting_opens_at": lambda count: WHEN,
    "next_opening": lambda count: LATER,
    "updated_at": lambda count: WHEN,
    "generated": lambda count: WHEN,
    "eligible_on": lambda count: DAY,
    "first": lambda count: DAY,
    "last": lambda count: date(2026, 12, 13),
    "date": lambda count: DAY,
    "method": lambda count: "ranked",
    "phase": lambda count: "nominating",
    "resolution": lambda count: "co_winners",
    "reason": lambda count: "forbidden",
    "multiple_choice": lambda count: False,
    "quiet": lambda count: True,
    "unanswered": lambda count: [],
    "reasons": lambda count: [HOSTILE_LINES, HOSTILE],
}

Override = Callable[[int, Mention, Mention, ChannelMention], Mapping[str, Any]]


def _standings(count: int, alice: Mention, bob: Mention) -> list[dict[str, object]]:
    return [
        {"rank": 1, "name": HOSTILE, "points": count},
        {"rank": 2, "name": "Bob", "points": count},
    ]


def _groups(count: int) -> list[dict[str, object]]:
    return [{"label": HOSTILE, "sent": count, "h48": 50, "d7": None, "d30": 25}]


def _candidate(count: int) -> dict[str, object]:
    return {"name": HOSTILE, "level": "quiet", "times": count, "last": WHEN}


def _live_questions(count: int, alice: Mention) -> list[dict[str, object]]:
    shown = [
        {"number": 3, "text": HOSTILE, "points": count, "taken": True, "author": alice},
        {"number": 1, "text": HOSTILE_LINES, "points": 0, "taken": False, "author": None},
    ]
    return shown[: min(count, 2)]


def _live_question(count: int, alice: Mention) -> dict[str, object]:
    return {"number": 3, "text": HOSTILE, "points": count, "author": alice}


_LIVE = {
    "session": 4,
    "starts_at": WHEN,
    "ends_at": LATER,
    "anonymous": True,
    "reminder": True,
    "into": 1,
}


_BY_KEY: dict[str, Override] = {
    **{
        f"live.{key}": lambda n, a, b, c: {**_LIVE, "hosts": [a, b][: max(1, min(n, 2))]}
        for key in ("posts.announced",)
    },
    "live.posts.started": lambda n, a, b, c: {
        **_LIVE,
        "hosts": [a, b][: max(1, min(n, 2))],
        "cohosts": [a, b][: min(n, 2)],
    },
    **{
        f"live.{key}": lambda n, a, b, c: _LIVE
        for key in (
            "event_description",
            "scheduled",
            "asked",
            "interested",
            "merged",
            "posts.reminder",
            "posts.cohosting",
        )
    },
    "live.list": lambda n, a, b, c: {
        "sessions": [
            {"id": 4, "title": HOSTILE, "starts_at": WHEN, "open": True},
            {"id": 5, "title": HOSTILE_LINES, "starts_at": LATER, "open": False},
        ][: min(n, 2)]
    },
    "live.queue": lambda n, a, b, c: {"questions": _live_questions(n, a)},
    "live.posts.followup": lambda n, a, b, c: {"questions": _live_questions(n, a)},
    "live.posts.question": lambda n, a, b, c: {"author": a},
    "live.posts.answering": lambda n, a, b, c: {"question": _live_question(n, a)},
    "live.posts.summary": lambda n, a, b, c: {"asked": n, "left": n, "participants": n},
    "live.refuse.past": lambda n, a, b, c: {"start": WHEN},
    "live.refuse.bad_start": lambda n, a, b, c: {"start": HOSTILE},
    "live.refuse.unknown": lambda n, a, b, c: {"session": 4},
    "live.refuse.unknown_host": lambda n, a, b, c: {"who": HOSTILE},
    "live.refuse.overlap": lambda n, a, b, c: {
        **_LIVE,
        "title": HOSTILE,
        "ends_at": WHEN + timedelta(minutes=45),
    },
    "live.figures.first_timers": lambda n, a, b, c: {"first_timers": n, "participants": n},
    "groups.proposed": lambda n, a, b, c: {"group": 7},
    "invites.link": lambda n, a, b, c: {"link": Link(url="https://discord.gg/terreau7")},
    "invites.declared": lambda n, a, b, c: {"who": HOSTILE},
    "invites.refuse.bot": lambda n, a, b, c: {"who": HOSTILE},
    "invites.refuse.unknown": lambda n, a, b, c: {"who": HOSTILE},
    "invites.offer_welcome": lambda n, a, b, c: {"newcomer": a, "channel": c},
    "groups.joined": lambda n, a, b, c: {"open": True},
    "groups.list": lambda n, a, b, c: {
        "groups": [
            {"id": 7, "topic": HOSTILE, "status": "open", "count": n, "needed": 3, "host": HOSTILE},
            {
                "id": 8,
                "topic": "Rust",
                "status": "proposing",
                "count": 1,
                "needed": n,
                "host": None,
            },
        ]
    },
    "groups.refuse.same_topic": lambda n, a, b, c: {"group": 7},
    "groups.refuse.unknown": lambda n, a, b, c: {"group": 7},
    "groups.posts.proposed": lambda n, a, b, c: {"proposer": a, "deadline": LATER},
    "groups.posts.opened": lambda n, a, b, c: {"members": [a, b]},
    "groups.posts.opened_here": lambda n, a, b, c: {"members": [a, b]},
    "groups.posts.joined": lambda n, a, b, c: {"member": a},
    "groups.posts.expired": lambda n, a, b, c: {"proposer": a},
    "groups.posts.silent": lambda n, a, b, c: {"archive_on": LATER},
    "election.ballot.ranked": lambda n, a, b, c: {"ranking": [HOSTILE, "Bob"], "left": [HOSTILE]},
    "election.receipt.counted": lambda n, a, b, c: {"ranking": [HOSTILE, "Bob"]},
    "election.hall_of_fame": lambda n, a, b, c: {
        "winners": [{"period": "2026-11", "name": HOSTILE}, {"period": "2026-10", "name": "Bob"}]
    },
    "election.posts.result": lambda n, a, b, c: {
        "winners": [a, b],
        "nominees": [HOSTILE, "Bob"],
        "period": "2026-11",
    },
    "election.posts.runoff_open": lambda n, a, b, c: {"nominees": [HOSTILE, "Bob"]},
    "election.posts.tie_public": lambda n, a, b, c: {"tied": [HOSTILE, "Bob"]},
    "election.posts.tie_for_moderators": lambda n, a, b, c: {"tied": [HOSTILE, "Bob"]},
    "election.status.awaiting": lambda n, a, b, c: {"nominees": [HOSTILE, "Bob"]},
    "election.status.nominating": lambda n, a, b, c: {"nominees": [HOSTILE, "Bob"]},
    "election.status.voting": lambda n, a, b, c: {"nominees": [HOSTILE, "Bob"]},
    "formats.date": lambda n, a, b, c: {"weekday": "Monday", "day": 7, "month": "December"},
    "formats.full_date": lambda n, a, b, c: {
        "weekday": "Monday",
        "day": 7,
        "month": "December",
        "year": 2026,
    },
    "formats.time": lambda n, a, b, c: {"hour": 15, "minute": "30"},
    "formats.datetime": lambda n, a, b, c: {
        "date": "Monday 7 December",
        "time": "15:30",
        "zone": "CET",
    },
    "games.leaderboard.body": lambda n, a, b, c: {
        "season": "2026-12",
        "standings": _standings(n, a, b),
    },
    "games.poll.post": lambda n, a, b, c: {"options": [HOSTILE, HOSTILE_LINES, "Tea"]},
    "games.poll.results": lambda n, a, b, c: {
        "rows": [
            {"bar": "████░░", "label": HOSTILE, "count": n, "percent": 60, "leading": True},
            {"bar": "██░░░░", "label": "Tea", "count": 2, "percent": 40, "leading": False},
        ]
    },
    "games.season.ended": lambda n, a, b, c: {"top": _standings(n, a, b)},
    "games.trivia.reveal": lambda n, a, b, c: {"winners": [HOSTILE, "Bob"], "first": HOSTILE},
    "games.trivia.summary": lambda n, a, b, c: {"standings": _standings(n, a, b)},
    "games.twotruths.post": lambda n, a, b, c: {"statements": [HOSTILE, HOSTILE_LINES, "x"]},
    "games.twotruths.revealed": lambda n, a, b, c: {"spotted": [HOSTILE, "Bob"]},
    "icebreaker.champion.ritual": lambda n, a, b, c: {"name": HOSTILE},
    "icebreaker.hosts.suggestions": lambda n, a, b, c: {
        "targets": n,
        "suggestions": [
            {
                "name": HOSTILE,
                "level": "quiet",
                "topic": HOSTILE,
                "target": {"kind": "ritual", "id": "discussion", "name": HOSTILE, "due": LATER},
            },
            {
                "name": "Bob",
                "level": "occasional",
                "topic": "design",
                "target": {"kind": "group", "id": "7", "name": HOSTILE, "due": None},
            },
            {
                "name": HOSTILE,
                "level": "quiet",
                "topic": "design",
                "target": {"kind": "live", "id": "4", "name": HOSTILE, "due": LATER},
            },
        ][:n],
    },
    "icebreaker.hosts.offered": lambda n, a, b, c: {
        "target": {"kind": "ritual", "id": "discussion", "name": HOSTILE, "due": LATER}
    },
    "icebreaker.hosts.offer.ritual": lambda n, a, b, c: {"target": HOSTILE, "due": LATER},
    "icebreaker.hosts.offer.group": lambda n, a, b, c: {"target": HOSTILE},
    "icebreaker.hosts.offer.live": lambda n, a, b, c: {"target": HOSTILE, "due": LATER},
    "icebreaker.hosts.group_host": lambda n, a, b, c: {"host": a},
    "icebreaker.hosts.moderators": lambda n, a, b, c: {"kind": "ritual", "target": HOSTILE},
    "icebreaker.hosts.answer.accepted_ritual": lambda n, a, b, c: {"due": LATER},
    "icebreaker.hosts.answer.accepted_live": lambda n, a, b, c: {"starts_at": LATER},
    "icebreaker.hosts.refuse.unknown_target": lambda n, a, b, c: {"reference": HOSTILE},
    "icebreaker.now.quiet_hours": lambda n, a, b, c: {"hours": "22:00-08:00"},
    "election.refuse.nominee_resting": lambda n, a, b, c: {"months": n},
    "icebreaker.now.posted": lambda n, a, b, c: {"names": [HOSTILE, "Bob"]},
    "icebreaker.preview": lambda n, a, b, c: {
        "chosen": [_candidate(n)],
        "waiting": [{"name": HOSTILE, "level": "new"}],
        "excluded": [{"count": n, "reason": "bots"}],
    },
    "icebreaker.stats.body": lambda n, a, b, c: {
        "kinds": _groups(n),
        "prompts": _groups(n),
        "levels": _groups(n),
        "channels": _groups(n),
    },
    "cafe.intro": lambda n, a, b, c: {
        "members": [a, b],
        "starter": HOSTILE,
        "interest": HOSTILE,
        "checkin_days": n,
    },
    "cafe.checkin.ask": lambda n, a, b, c: {"members": [a, b]},
    "cafe.space_title": lambda n, a, b, c: {"day": LATER, "number": n},
    "cafe.snooze.done": lambda n, a, b, c: {"until": LATER},
    "cafe.snooze.invalid": lambda n, a, b, c: {"duration": HOSTILE, "most": n},
    "cafe.stay.ask": lambda n, a, b, c: {"rounds": n},
    "cafe.stats.body": lambda n, a, b, c: {
        "rounds": n,
        "groups": n,
        "checked": n,
        "met": n,
        "met_percent": 50,
        "repeats": n,
        "repeat_percent": 10,
        "strangers": n,
        "connected": n,
        "connected_percent": 40,
    },
    "cafe.figures.met": lambda n, a, b, c: {"met": n, "checked": n},
    "cafe.figures.repeats": lambda n, a, b, c: {"repeats": n, "groups": n},
    "cafe.figures.connections": lambda n, a, b, c: {"strangers": n},
    "holdup.space_title": lambda n, a, b, c: {},
    "holdup.dot_label": lambda n, a, b, c: {"number": n},
    "holdup.submitted": lambda n, a, b, c: {"holdup": 7, "started": False},
    "holdup.approved": lambda n, a, b, c: {"holdup": 7},
    "holdup.rejected": lambda n, a, b, c: {"holdup": 7},
    "holdup.idea_added": lambda n, a, b, c: {"number": n, "hidden": True},
    "holdup.dotted": lambda n, a, b, c: {"number": 2, "points": n, "left": 2},
    "holdup.list": lambda n, a, b, c: {
        "holdups": [
            {"id": 7, "problem": HOSTILE, "status": "ideas", "until": LATER},
            {"id": 8, "problem": "Bob's shop", "status": "voting", "until": LATER},
            {"id": 9, "problem": "x", "status": "pending", "until": None},
        ]
    },
    "holdup.refuse.unknown": lambda n, a, b, c: {"holdup": 7},
    "holdup.refuse.which": lambda n, a, b, c: {"problems": [HOSTILE, "Bob's shop"]},
    "holdup.refuse.own_idea": lambda n, a, b, c: {"number": 2},
    "holdup.refuse.unknown_idea": lambda n, a, b, c: {"number": 2},
    "holdup.refuse.over_budget": lambda n, a, b, c: {"left": n, "points": n + 1},
    "holdup.posts.submitted": lambda n, a, b, c: {"requester": a, "holdup": 7},
    "holdup.posts.announced": lambda n, a, b, c: {"requester": a, "space": c},
    "holdup.posts.opened": lambda n, a, b, c: {"hidden": True, "dots": n},
    "holdup.posts.idea": lambda n, a, b, c: {"number": n, "text": HOSTILE_LINES, "author": HOSTILE},
    "holdup.posts.voting": lambda n, a, b, c: {
        "dots": n,
        "ideas": [{"number": 1, "text": HOSTILE}, {"number": 2, "text": HOSTILE_LINES}],
    },
    "holdup.posts.empty": lambda n, a, b, c: {"requester": a},
    "holdup.posts.outcome": lambda n, a, b, c: {
        "requester": a,
        "ideas": [
            {"rank": 1, "text": HOSTILE, "points": n, "author": HOSTILE},
            {"rank": 2, "text": HOSTILE_LINES, "points": 1, "author": None},
        ],
        "contributors": [a, b],
    },
    "holdup.posts.followup": lambda n, a, b, c: {
        "requester": a,
        "text": HOSTILE_LINES,
        "contributors": [a, b],
    },
    "me.champion.on": lambda n, a, b, c: {"active": False},
    "messages.commands.bad_integer": lambda n, a, b, c: {"minimum": 1, "maximum": 20},
    "messages.commands.unquoted_phrases": lambda n, a, b, c: {
        "options": ["problem", "wanted", "truth"][: max(1, min(n, 3))]
    },
    "messages.help.body": lambda n, a, b, c: {
        "group": None,
        "topic": HOSTILE,
        "groups": [{"name": "game", "description": HOSTILE}],
        "commands": [],
    },
    "messages.posts.list.body": lambda n, a, b, c: {
        "rituals": [
            {
                "name": HOSTILE,
                "channel": c,
                "cron": "0 9 * * 1",
                "next": WHEN,
                "paused": False,
                "reason": None,
            },
            {
                "name": "tips",
                "channel": c,
                "cron": "*/5 * * * *",
                "next": None,
                "paused": True,
                "reason": "dead_channel",
            },
        ]
    },
    "messages.posts.thread_title": lambda n, a, b, c: {"title": HOSTILE},
    "messages.posts.hosted_by": lambda n, a, b, c: {"host": a},
    "privacy.data.body": lambda n, a, b, c: {"kinds": [{"text": HOSTILE}], "total": n},
    "report.digest.body": lambda n, a, b, c: {
        "figures": [
            {"label": HOSTILE, "value": "67%", "change": "↑ 5", "names": HOSTILE},
            {"label": "Questions asked", "value": "2", "change": None, "names": None},
        ],
        "unanswered": [{"member": HOSTILE, "channel": c, "asked": WHEN}],
        "advice": "“question-of-the-week” posts on Monday 09:00, a quiet hour.",
        "silent": ["discussion/routine", "discussion/tools"],
        "rested": ["discussion/routine"],
        "silent_trivia": ["science"],
        "silent_polls": ["this_or_that", "members' own polls"],
        "uses": 3,
        "full_report": "discord:123456789012345678",
    },
    "report.names.listed": lambda n, a, b, c: {"names": f"{HOSTILE}, Bob"},
    "report.advice.quiet": lambda n, a, b, c: {
        "name": "question-of-the-week",
        "at": "Monday 09:00",
        "at_posts": str(n),
        "at_count": n,
        "best": "Tuesday 18:00–20:00",
        "best_posts": str(n),
        "best_count": n,
        "faster": "3",
        "weeks": n,
        "questions": n,
    },
    "report.advice.not_enough": lambda n, a, b, c: {"min_weeks": 4, "min_posts": 200, "weeks": n},
    "report.advice.placed_well": lambda n, a, b, c: {"weeks": n},
    "report.hours.placed": lambda n, a, b, c: {
        "name": "question-of-the-week",
        "kind": "ritual",
        "slots": ["Monday 09:00", "Thursday 18:00"],
    },
    "report.hours.slot": lambda n, a, b, c: {"day": "Monday", "start": "09:00"},
    "report.channels.quiet": lambda n, a, b, c: {"channels": ["#projects", "#help"], "minimum": 20},
    "report.channels.share": lambda n, a, b, c: {"answered": 1, "questions": 2},
    "report.channels.answered": lambda n, a, b, c: {"hours": 24},
    "report.hours.window": lambda n, a, b, c: {"day": "Tuesday", "start": "18:00", "end": "20:00"},
    "report.cohorts.intro": lambda n, a, b, c: {"followed": n, "months": 12},
    "report.cohorts.not_enough": lambda n, a, b, c: {"followed": n, "minimum": 20},
    "report.trends.intro": lambda n, a, b, c: {"months": n},
    "report.trends.not_enough": lambda n, a, b, c: {"months": n, "minimum": 3},
    "report.trends.month_of": lambda n, a, b, c: {"month": "January", "year": 2026},
    "report.posts.intro": lambda n, a, b, c: {"since": date(2025, 3, 1), "posts": n},
    "report.posts.not_enough": lambda n, a, b, c: {"posts": n, "minimum": 4},
    "report.posts.silent": lambda n, a, b, c: {
        "uses": 3,
        "prompts": ["discussion/routine", "discussion/tools"],
    },
    "report.posts.best": lambda n, a, b, c: {"prompts": ["discussion/a (4 replies to 2 posts)"]},
    "report.posts.best_item": lambda n, a, b, c: {
        "prompt": "discussion/a",
        "replies": n,
        "posts": 2,
    },
    "report.posts.rested": lambda n, a, b, c: {"prompts": ["discussion/routine"]},
    "report.posts.games_intro": lambda n, a, b, c: {"games": n},
    "report.posts.games_not_enough": lambda n, a, b, c: {"games": n, "minimum": 4},
    "report.posts.silent_trivia": lambda n, a, b, c: {"uses": 3, "categories": ["science"]},
    "report.posts.silent_polls": lambda n, a, b, c: {
        "uses": 3,
        "kinds": ["this_or_that", "two truths and a lie"],
    },
    "report.posts.best_trivia": lambda n, a, b, c: {
        "categories": ["culture (9 answers in 3 rounds)"]
    },
    "report.posts.best_trivia_item": lambda n, a, b, c: {
        "category": "culture",
        "answers": n,
        "rounds": n,
    },
    "report.posts.best_polls": lambda n, a, b, c: {
        "kinds": ["would_you_rather (8 votes in 2 polls)"]
    },
    "report.posts.best_polls_item": lambda n, a, b, c: {
        "kind": "would_you_rather",
        "votes": n,
        "polls": n,
    },
    "report.cohorts.later": lambda n, a, b, c: {"months": n},
    "report.cohorts.share": lambda n, a, b, c: {"share": 45},
    "report.cohorts.compare_intro": lambda n, a, b, c: {"days": 14, "followed": n},
    "report.cohorts.compare": lambda n, a, b, c: {
        "action": "Welcomed",
        "did_share": 60,
        "did_stayed": 12,
        "did": 20,
        "did_not_share": 25,
        "did_not_stayed": 5,
        "did_not": 20,
    },
    "report.cohorts.compare_few": lambda n, a, b, c: {
        "action": "Played a game or voted",
        "did": n,
        "did_not": 40,
        "minimum": 10,
    },
}


def full_digest(catalog: Catalog, platform: str) -> Post:
    """The digest moderators get with every feature on, names shown, ten open questions.

    Every figure the report has (`report.figures.*`), one response rate per ritual,
    one click figure per feature, level moves naming twenty members each, ten
    questions still waiting, a timing suggestion, ritual prompts never answered and the
    pointer to the full report:
    in French, well over 3,500 characters, more than one Discord or Slack message holds.
    """
    names = ", ".join(f"Membre n°{index}" for index in range(20))
    per_key: dict[str, list[dict[str, object]]] = {
        "report.figures.ritual_response_rate": [
            {"ritual": ritual, "answered": 3, "posts": 4}
            for ritual in ("question-de-la-semaine", "on-bosse-sur-quoi", "astuces", "week-end")
        ],
        "report.figures.clicks": [
            {"feature": feature} for feature in ("game", "election", "icebreaker")
        ],
    }
    figures = []
    for key in catalog.keys("report.figures."):
        common = {
            "months": "2026-10, 2026-11",
            "before": "2026-11",
            "after": "2026-12",
            "cohort": 14,
            "hours": 24,
            "active": 40,
            "played": 12,
            "known": 30,
            "converted": 12,
            "trivia": 4,
            "poll": 3,
            "twotruths": 2,
            "sent": 9,
            "accepted": 3,
            "hosted": 2,
        }
        for variables in per_key.get(key, [{}]):
            levels = key.startswith("report.figures.levels_")
            figures.append(
                {
                    "label": catalog.text(key, **{**common, **variables}),
                    "value": catalog.text("report.units.share", value="67"),
                    "change": catalog.text("report.change.up", delta="5"),
                    "names": catalog.text("report.names.listed", names=names, more=30)
                    if levels
                    else None,
                }
            )
    unanswered = [
        {"member": f"Membre n°{index}", "channel": channel(platform), "asked": WHEN}
        for index in range(10)
    ]
    return catalog.post(
        "report.digest.body",
        channel=None,
        first=DAY,
        last=date(2026, 12, 13),
        days=7,
        figures=figures,
        unanswered=unanswered,
        timezone=TIMEZONE,
        advice=catalog.text(
            "report.advice.quiet",
            name="question-de-la-semaine",
            at=catalog.format_datetime(WHEN, TIMEZONE, "datetime"),
            at_posts="1",
            at_count=1,
            best=catalog.format_datetime(LATER, TIMEZONE, "datetime"),
            best_posts="20",
            best_count=20,
            faster=3,
            weeks=12,
            posts=2100,
            questions=30,
        ),
        silent=["discussion/routine", "discussion/tools"],
        rested=["discussion/routine"],
        silent_trivia=["science"],
        silent_polls=["this_or_that"],
        uses=3,
        full_report=f"{platform}:{IDS[platform]['channel']}",
    )
