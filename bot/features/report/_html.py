"""The operator's HTML report: one self-contained file (chart embedded), readable offline."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import jinja2

from bot.analytics import (
    METRICS,
    QUIET_FROM,
    MetricRegistry,
    Period,
    Report,
    build_report,
    chart_data,
    draw_chart,
    parse_period,
)
from bot.config import CommunityConfig, Settings
from bot.features.report._advice import (
    WEEKDAYS,
    Advice,
    advice_for,
    advice_lines,
    slot_text,
)
from bot.features.report._render import chart_labels, figure_lines
from bot.features.report._service import Waiting, scope_for, unanswered_lines
from bot.prompts import Catalog
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
    page = render_html(catalog, community, report, unanswered, image, names)
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
) -> str:
    """Return the report as one HTML page; the template escapes every text, the chart inlined.

    `channel_names` names the channels of the per-channel table (ids otherwise).
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
