"""Building a community's report and turning it into a digest post with its chart."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import tempfile
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.analytics import (
    FLAG_AFTER,
    METRICS,
    Period,
    Report,
    Scope,
    build_report,
    chart_data,
    display_names,
    write_chart,
)
from bot.config import CommunityConfig
from bot.domain import ChannelMention, Post
from bot.features.report._advice import advice_for, rested_prompts, top_advice
from bot.features.report._config import ReportConfig
from bot.features.report._render import chart_labels, figure_lines, poll_label
from bot.storage import UnitOfWork

if TYPE_CHECKING:
    from bot.feature import FeatureContext, Store

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def default_chart_dir() -> Path:
    """Return where charts go when the config names no folder."""
    return Path(tempfile.gettempdir()) / "terreau-charts"


class Reports:
    """Reports of the configured communities: figures, digest posts, charts."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    def scope(self, community: CommunityConfig, channel_id: str | None = None) -> Scope:
        """Return what a report of `community` (or one of its channels) looks at."""
        return scope_for(community, self._app.community_id(community.key), channel_id)

    async def build(
        self, community: CommunityConfig, period: Period, channel_id: str | None = None
    ) -> Report:
        """Measure the community over `period`, after writing every event received so far.

        Figures come from the providers of the features enabled in the community.
        """
        return await build_report(
            _SettledReads(self._app.store),
            self.scope(community, channel_id),
            period,
            as_of=self._app.clock.now(),
            providers=METRICS.serving(community),
        )

    async def knows_channel(self, community: CommunityConfig, channel_id: str) -> bool:
        """Return whether `channel_id` is a configured channel or one the log saw activity in."""
        if channel_id in community.channels.values():
            return True
        async with self._app.store.read(fresh=True) as uow:
            return await uow.interactions.channel_seen(
                self._app.community_id(community.key), channel_id
            )

    async def digest(
        self, community: CommunityConfig, report: Report, name: str, *, names: bool = False
    ) -> Post:
        """Return the digest post of `report`, its chart written to a file named after `name`.

        `names` lists the members some figures count (level moves): only for a reply
        moderators alone see, never for the digest posted in a channel; that reply
        also points to the full HTML report, and names the ritual prompts, trivia
        categories and poll kinds that never drew anyone. Both carry the one timing
        suggestion that matters most, when there is one.
        """
        catalog = self._app.catalog(community.key)
        async with self._app.store.read() as uow:
            unanswered = await unanswered_lines(uow, report)
        folder = community.section(ReportConfig).chart_dir or default_chart_dir()
        path = folder / f"{_UNSAFE.sub('_', f'{community.key}-{name}')}.png"
        await asyncio.to_thread(write_chart, chart_data(report), chart_labels(catalog), path)
        channel = report.scope.channel_id
        # Flagged prompts and games are for moderators' eyes, not the channel's digest.
        posts = report.posts if names else None
        post = catalog.post(
            "report.digest.body",
            channel=await self._channel(community, channel) if channel else None,
            first=report.period.start,
            last=report.period.last_day,
            days=report.period.days,
            figures=figure_lines(report, catalog, names=names),
            unanswered=unanswered,
            timezone=community.timezone,
            advice=top_advice(catalog, advice_for(community, report)),
            silent=[p.name for p in posts.silent] if posts else [],
            rested=rested_prompts(community, posts),
            silent_trivia=[p.name for p in posts.silent_trivia] if posts else [],
            silent_polls=[poll_label(catalog, p.name) for p in posts.silent_polls] if posts else [],
            uses=FLAG_AFTER,
            full_report=community.key if names else None,
        )
        return dataclasses.replace(post, image_path=str(path))

    async def _channel(self, community: CommunityConfig, channel_id: str) -> ChannelMention:
        async with self._app.store.read() as uow:
            record = await uow.channels.get(self._app.community_id(community.key), channel_id)
        name = record.name if record is not None and record.name else channel_id
        return ChannelMention(channel_id=channel_id, name=name)


def scope_for(
    community: CommunityConfig, community_id: int, channel_id: str | None = None
) -> Scope:
    """Return the scope of a report of `community`, as its `[communities.report]` sets it."""
    return Scope(
        community_id=community_id,
        channel_id=channel_id,
        exclude=frozenset(community.section(ReportConfig).exclude_members),
        unanswered_after=timedelta(hours=community.section(ReportConfig).unanswered_after_hours),
        timezone=community.timezone,
    )


@dataclasses.dataclass(frozen=True, kw_only=True, slots=True)
class Waiting:
    """An unanswered question as moderators see it: who asked, where, when."""

    member: str
    channel: ChannelMention
    asked: datetime


async def unanswered_lines(uow: UnitOfWork, report: Report) -> list[Waiting]:
    """Return who asked each listed unanswered question, where and when, for templates."""
    community_id = report.scope.community_id
    names = await display_names(
        uow,
        community_id,
        [q.member_id for q in report.unanswered if q.member_id is not None],
    )
    channels: dict[str, str] = {}
    for question in report.unanswered:
        channel_id = question.channel_id or ""
        if channel_id and channel_id not in channels:
            record = await uow.channels.get(community_id, channel_id)
            channels[channel_id] = record.name if record and record.name else channel_id
    return [
        Waiting(
            member=names.get(q.member_id or "", q.member_id or "?"),
            channel=ChannelMention(
                channel_id=q.channel_id or "?",
                name=channels.get(q.channel_id or "", q.channel_id or "?"),
            ),
            asked=q.asked_at,
        )
        for q in report.unanswered
    ]


class _SettledReads:
    """The store's reads, each after every event received so far is in the log."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def read(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a read-only unit of work on the settled log."""
        return self._store.read(fresh=True)

    def transaction(self) -> AbstractAsyncContextManager[UnitOfWork]:
        """Open a read-write unit of work on the settled log."""
        return self._store.transaction(fresh=True)
