"""The operator's HTML report: one self-contained file (chart embedded), readable offline."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from itertools import dropwhile

import jinja2

from bot.analytics import (
    FIRST_DAYS,
    FLAG_AFTER,
    METRICS,
    MIN_GROUP,
    MIN_MONTHS,
    MIN_NEWCOMERS,
    MIN_RITUAL_POSTS,
    QUIET_FROM,
    Cohorts,
    Figure,
    MetricRegistry,
    Period,
    PostFigures,
    PostTally,
    Report,
    Trends,
    best,
    build_report,
    chart_data,
    draw_chart,
    draw_trends,
    parse_period,
)
from bot.config import CommunityConfig, Settings
from bot.features.report._advice import (
    WEEKDAYS,
    Advice,
    advice_for,
    advice_lines,
    rested_prompts,
    slot_text,
)
from bot.features.report._render import (
    chart_labels,
    figure_lines,
    format_value,
    poll_label,
    trend_labels,
)
from bot.features.report._service import Waiting, scope_for, unanswered_lines
from bot.prompts import MONTHS, Catalog
from bot.storage import Database

log = logging.getLogger(__name__)


class ReportUnavailable(Exception):
    """The report cannot be made: unknown community, no data yet, or a bad period."""


@dataclass(frozen=True, kw_only=True, slots=True)
class HtmlReport:
    """A rendered report and what it covers."""

    community: CommunityConfig
    period: Period
    html: str


def find_community(settings: Settings, reference: str) -> CommunityConfig:
    """Return the configured community whose id or `platform:id` key is `reference`."""
    for community in settings.communities:
        if reference in (community.id, community.key):
            return community
    known = ", ".join(community.key for community in settings.communities)
    raise ReportUnavailable(f"no community {reference!r} in the config (configured: {known})")


async def html_report(
    catalog: Catalog,
    database: Database,
    community: CommunityConfig,
    *,
    period_text: str | None,
    channel_id: str | None,
    now: datetime,
    providers: MetricRegistry = METRICS,
) -> HtmlReport:
    """Build the report of `community` from the database and render it as HTML.

    Figures come from those of `providers` that serve the community. The page is
    for the operator, so it names the members some figures count (level moves).
    """
    try:
        period = parse_period(period_text, now.date(), default_days=30)
    except ValueError as error:
        raise ReportUnavailable(str(error)) from None
    community_id = await stored_community(database, community)
    report = await build_report(
        database,
        scope_for(community, community_id, channel_id),
        period,
        as_of=now,
        providers=providers.serving(community),
    )
    async with database.read() as uow:
        unanswered = await unanswered_lines(uow, report)
        names: dict[str, str] = {}
        for channel in report.channels:
            record = await uow.channels.get(community_id, channel.channel_id)
            if record is not None and record.name:
                names[channel.channel_id] = record.name
    image = await asyncio.to_thread(draw_chart, chart_data(report), chart_labels(catalog))
    trends = None
    if report.trends is not None and report.trends.enough:
        trends = await asyncio.to_thread(draw_trends, report.trends, trend_labels(catalog))
    page = render_html(catalog, community, report, unanswered, image, names, trends)
    return HtmlReport(community=community, period=period, html=page)


async def stored_community(database: Database, community: CommunityConfig) -> int:
    """Return the database id of `community`, or say that Terreau never ran with it."""
    async with database.read() as uow:
        community_id = await uow.communities.id_of(community.key)
    if community_id is None:
        raise ReportUnavailable(
            f"the database holds nothing for {community.key} yet: run Terreau with it first"
        )
    return community_id


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.features.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(
    catalog: Catalog,
    community: CommunityConfig,
    report: Report,
    unanswered: list[Waiting],
    png: bytes,
    channel_names: Mapping[str, str] | None = None,
    trends_png: bytes | None = None,
) -> str:
    """Return the report as one HTML page; the template escapes every text, the charts inlined.

    `channel_names` names the channels of the per-channel table (ids otherwise);
    `trends_png` is the twelve months' small multiples, drawn when there are enough.
    """
    period = report.period
    advice = advice_for(community, report)
    return _TEMPLATES.get_template("report.html").render(
        language=community.language,
        text=catalog.text,
        title=catalog.text("report.html.title", community=community.name),
        period=catalog.text(
            "report.html.period",
            first=period.start,
            last=period.last_day,
            days=period.days,
            generated=report.as_of,
            timezone=community.timezone,
        ),
        chart_alt=catalog.text("report.chart.activity"),
        chart=base64.b64encode(png).decode("ascii"),
        figures=figure_lines(report, catalog, names=True),
        hours=_heatmap(catalog, advice),
        channels=_channels(catalog, report, channel_names or {}),
        cohorts=_cohorts(catalog, report.cohorts),
        trends=_trends(catalog, report.trends, trends_png),
        posts=_posts(catalog, report.posts, rested_prompts(community, report.posts)),
        advice=advice_lines(catalog, advice),
        unanswered=[
            {
                "member": q.member,
                "channel": q.channel,
                "asked": catalog.format_datetime(q.asked, community.timezone),
            }
            for q in unanswered
        ],
    )


def _heatmap(catalog: Catalog, advice: Advice | None) -> dict[str, object] | None:
    """Return what the template shows of the heatmap: cells by hour (rows) and weekday."""
    if advice is None:
        return None
    hours = advice.hours
    marked = {slot for placed in advice.placed for slot in placed.slots}
    maps = []
    for key, grid in (("posts", hours.posts), ("reactions", hours.reactions)):
        peak = max(max(day) for day in grid) or 1
        rows = [
            {
                "hour": hour,
                "cells": [
                    {
                        "count": grid[day][hour],
                        "alpha": round(0.9 * max(grid[day][hour], 0) / peak, 2),
                        "mark": (day, hour) in marked,
                        "title": slot_text(catalog, day, hour),
                    }
                    for day in range(7)
                ],
            }
            for hour in range(24)
        ]
        maps.append({"caption": catalog.text(f"report.hours.{key}"), "rows": rows})
    return {
        "intro": catalog.text(
            "report.hours.intro", timezone=hours.timezone, days=hours.days, posts=hours.total_posts
        ),
        "days": [catalog.text(f"report.hours.days.{name}") for name in WEEKDAYS],
        "maps": maps,
        "placed": [
            catalog.text(
                "report.hours.placed",
                name=placed.scheduled.name,
                kind=catalog.text(f"report.hours.kinds.{placed.scheduled.kind}"),
                slots=[slot_text(catalog, *slot) for slot in placed.slots],
            )
            for placed in advice.placed
        ],
    }


def _channels(
    catalog: Catalog, report: Report, names: Mapping[str, str]
) -> dict[str, object] | None:
    """Return the per-channel table, with the channels gone quiet named above it."""
    if not report.channels:
        return None
    hours = int(report.scope.unanswered_after.total_seconds() // 3600)
    quiet = [f"#{names.get(c.channel_id, c.channel_id)}" for c in report.channels if c.quiet]
    return {
        "answered": catalog.text("report.channels.answered", hours=hours),
        "quiet": catalog.text("report.channels.quiet", channels=quiet, minimum=QUIET_FROM)
        if quiet
        else None,
        "rows": [
            {
                "name": names.get(c.channel_id, c.channel_id),
                "quiet": c.quiet,
                "posts": c.posts,
                "previous": c.previous_posts,
                "reactions": c.reactions,
                "answered": catalog.text(
                    "report.channels.share", answered=c.answered, questions=c.questions
                )
                if c.questions
                else "",
            }
            for c in report.channels
        ],
    }


def _percent(share: float | None) -> int:
    return round(100 * (share or 0))


def _cohorts(catalog: Catalog, cohorts: Cohorts | None) -> dict[str, object] | None:
    """Return the cohort chart (a shaded table) and the first actions compared.

    Below `MIN_NEWCOMERS` followed newcomers only the reason is shown; a comparison
    whose groups are smaller than `MIN_GROUP` says so instead of giving shares.
    """
    if cohorts is None:
        return None
    if not cohorts.enough:
        return {
            "note": catalog.text(
                "report.cohorts.not_enough", followed=cohorts.followed, minimum=MIN_NEWCOMERS
            )
        }
    # Months before the first newcomer arrived would only add empty rows.
    shown = list(dropwhile(lambda cohort: cohort.members == 0, cohorts.cohorts))
    width = max((len(cohort.active) for cohort in shown), default=0)
    rows = [
        {
            "month": _month(catalog, cohort.month),
            "members": cohort.members,
            "cells": [
                {
                    "text": catalog.text("report.cohorts.share", share=_percent(share))
                    if share is not None
                    else "",
                    "alpha": round(0.9 * (share or 0), 2),
                }
                for share in cohort.shares()
            ]
            + [None] * (width - len(cohort.active)),
        }
        for cohort in shown
    ]
    compared = []
    for comparison in cohorts.comparisons:
        action = catalog.text(f"report.cohorts.actions.{comparison.action}")
        if comparison.shown:
            compared.append(
                catalog.text(
                    "report.cohorts.compare",
                    action=action,
                    did_share=_percent(comparison.did_share),
                    did_stayed=comparison.did_stayed,
                    did=comparison.did,
                    did_not_share=_percent(comparison.did_not_share),
                    did_not_stayed=comparison.did_not_stayed,
                    did_not=comparison.did_not,
                )
            )
        else:
            compared.append(
                catalog.text(
                    "report.cohorts.compare_few",
                    action=action,
                    did=comparison.did,
                    did_not=comparison.did_not,
                    minimum=MIN_GROUP,
                )
            )
    return {
        "note": None,
        "intro": catalog.text(
            "report.cohorts.intro", followed=cohorts.followed, months=len(cohorts.cohorts)
        ),
        "later": [catalog.text("report.cohorts.later", months=k) for k in range(1, width + 1)],
        "rows": rows,
        "compare_intro": catalog.text(
            "report.cohorts.compare_intro", days=FIRST_DAYS.days, followed=cohorts.compared
        ),
        "compared": compared,
    }


def _month(catalog: Catalog, month: date) -> str:
    name = catalog.text(f"formats.months.{MONTHS[month.month - 1]}")
    return catalog.text("report.trends.month_of", month=name, year=month.year)


def _trends(catalog: Catalog, trends: Trends | None, png: bytes | None) -> dict[str, object] | None:
    """Return the twelve months' small multiples and their figures as a table."""
    if trends is None:
        return None
    with_activity = sum(1 for month in trends.months if month.active)
    if png is None or not trends.enough:
        return {
            "note": catalog.text(
                "report.trends.not_enough", months=with_activity, minimum=MIN_MONTHS
            )
        }

    def share(value: float | None) -> str:
        if value is None:
            return catalog.text("report.units.missing")
        return catalog.text("report.units.share", value=_percent(value))

    return {
        "note": None,
        "intro": catalog.text("report.trends.intro", months=with_activity),
        "chart": base64.b64encode(png).decode("ascii"),
        "rows": [
            [
                _month(catalog, month.month),
                str(month.active),
                share(month.rowers_share),
                share(month.top_share),
                share(month.retention),
            ]
            for month in trends.months
        ],
    }


def _posts(
    catalog: Catalog, posts: PostFigures | None, rested: list[str]
) -> dict[str, object] | None:
    """Return each ritual and prompt as table rows, and the prompts flagged, rested and best.

    The games of the same months follow, when there were any: trivia by category
    and polls by kind, with those flagged and the best.
    """
    if posts is None:
        return None
    games = _games(catalog, posts)
    if not posts.enough:
        return {
            "note": catalog.text(
                "report.posts.not_enough", posts=posts.posts, minimum=MIN_RITUAL_POSTS
            ),
            "games": games,
        }
    ranked = sorted(posts.prompts, key=lambda p: (-p.replies_per_post, -p.posts, p.name))
    best = [
        catalog.text(
            "report.posts.best_item", prompt=tally.name, replies=tally.replies, posts=tally.posts
        )
        for tally in posts.best
    ]
    return {
        "note": None,
        "intro": catalog.text("report.posts.intro", since=posts.since, posts=posts.posts),
        "silent": catalog.text(
            "report.posts.silent", uses=FLAG_AFTER, prompts=[p.name for p in posts.silent]
        )
        if posts.silent
        else None,
        "rested": catalog.text("report.posts.rested", prompts=rested) if rested else None,
        "best": catalog.text("report.posts.best", prompts=best) if best else None,
        "rituals": [_tally_row(catalog, tally.name, tally) for tally in posts.rituals],
        "prompts": [_tally_row(catalog, tally.name, tally) for tally in ranked],
        "games": games,
    }


def _tally_row(catalog: Catalog, name: str, tally: PostTally) -> list[str]:
    """Return a table row: name, uses, answered uses, answers, who answered, quiet, first."""
    hours = Figure(key=tally.name, value=tally.first_reply_hours, unit="hours")
    quiet = Figure(key=tally.name, value=tally.quiet_share, unit="share")
    return [
        name,
        str(tally.posts),
        str(tally.replied),
        str(tally.replies),
        str(tally.repliers),
        format_value(quiet, catalog),
        format_value(hours, catalog),
    ]


def _games(catalog: Catalog, posts: PostFigures) -> dict[str, object] | None:
    """Return trivia by category and polls by kind, the flagged and the best (None: no game)."""
    if not posts.games:
        return None
    if not posts.games_enough:
        return {
            "note": catalog.text(
                "report.posts.games_not_enough", games=posts.games, minimum=MIN_RITUAL_POSTS
            )
        }

    def ranked(tallies: tuple[PostTally, ...]) -> list[PostTally]:
        return sorted(tallies, key=lambda t: (-t.replies_per_post, -t.posts, t.name))

    best_trivia = [
        catalog.text(
            "report.posts.best_trivia_item",
            category=t.name,
            answers=t.replies,
            rounds=t.posts,
        )
        for t in best(posts.trivia)
    ]
    best_polls = [
        catalog.text(
            "report.posts.best_polls_item",
            kind=poll_label(catalog, t.name),
            votes=t.replies,
            polls=t.posts,
        )
        for t in best(posts.polls)
    ]
    silent_trivia = [t.name for t in posts.silent_trivia]
    silent_polls = [poll_label(catalog, t.name) for t in posts.silent_polls]
    return {
        "note": None,
        "intro": catalog.text("report.posts.games_intro", games=posts.games),
        "flags": [
            text
            for text in (
                catalog.text(
                    "report.posts.silent_trivia", uses=FLAG_AFTER, categories=silent_trivia
                )
                if silent_trivia
                else None,
                catalog.text("report.posts.silent_polls", uses=FLAG_AFTER, kinds=silent_polls)
                if silent_polls
                else None,
            )
            if text
        ],
        "best": [
            text
            for text in (
                catalog.text("report.posts.best_trivia", categories=best_trivia)
                if best_trivia
                else None,
                catalog.text("report.posts.best_polls", kinds=best_polls) if best_polls else None,
            )
            if text
        ],
        "tables": [
            {
                "title": catalog.text("report.posts.trivia"),
                "columns": [
                    catalog.text(f"report.posts.{column}")
                    for column in (
                        "category",
                        "rounds",
                        "played",
                        "answers",
                        "players",
                        "quiet",
                        "first_answer",
                    )
                ],
                "rows": [_tally_row(catalog, t.name, t) for t in ranked(posts.trivia)],
            },
            {
                "title": catalog.text("report.posts.polls"),
                "columns": [
                    catalog.text(f"report.posts.{column}")
                    for column in (
                        "kind",
                        "polls_held",
                        "played",
                        "votes",
                        "players",
                        "quiet",
                        "first_answer",
                    )
                ],
                "rows": [
                    _tally_row(catalog, poll_label(catalog, t.name), t) for t in ranked(posts.polls)
                ],
            },
        ],
    }
