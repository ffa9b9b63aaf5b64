"""Advice a report gives: scheduled posts placed on the heatmap, quiet hours named."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.analytics import (
    MIN_POSTS,
    MIN_WEEKS,
    Heatmap,
    Placed,
    PostFigures,
    Report,
    Scheduled,
    Suggestion,
    advise,
    enough,
    place,
)
from bot.config import CommunityConfig
from bot.features import registry
from bot.prompts import Catalog

log = logging.getLogger(__name__)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def scheduled_posts(community: CommunityConfig) -> list[Scheduled]:
    """Return what the features post on a schedule in `community` (rituals, games, ...)."""
    return [
        item
        for feature in registry()
        if feature.schedules is not None
        for item in feature.schedules(community)
    ]


def resting_pools(community: CommunityConfig) -> set[str]:
    """Return the content pools whose rotation rests the prompts never answered."""
    return {item.rests_pool for item in scheduled_posts(community) if item.rests_pool}


def rested_prompts(community: CommunityConfig, posts: PostFigures | None) -> list[str]:
    """Return the flagged prompts (`pool/item`) that the rotation of their pool rests."""
    if posts is None:
        return []
    pools = resting_pools(community)
    return [p.name for p in posts.silent if p.name.split("/", 1)[0] in pools]


@dataclass(frozen=True, kw_only=True, slots=True)
class Advice:
    """What a report says about timing: where scheduled posts fall, and what to change."""

    hours: Heatmap
    placed: tuple[Placed, ...]
    suggestions: tuple[Suggestion, ...]

    @property
    def enough(self) -> bool:
        """Tell whether there was enough history to advise at all."""
        return enough(self.hours)


def advice_for(community: CommunityConfig, report: Report) -> Advice | None:
    """Return the timing advice of `report`, or None when it has no heatmap."""
    if report.hours is None:
        return None
    placed = tuple(
        place(item, community.timezone, report.as_of) for item in scheduled_posts(community)
    )
    return Advice(
        hours=report.hours, placed=placed, suggestions=tuple(advise(report.hours, placed))
    )


def _time(catalog: Catalog, hour: int) -> str:
    return catalog.text("formats.time", hour=hour % 24, minute="00")


def slot_text(catalog: Catalog, day: int, hour: int, *, hours: int = 1) -> str:
    """Return `Monday 09:00`, or with `hours` > 1 the window `Tuesday 18:00–20:00`."""
    name = catalog.text(f"formats.weekdays.{WEEKDAYS[day]}")
    if hours == 1:
        return catalog.text("report.hours.slot", day=name, start=_time(catalog, hour))
    return catalog.text(
        "report.hours.window",
        day=name,
        start=_time(catalog, hour),
        end=_time(catalog, hour + hours),
    )


def _amount(value: float, catalog: Catalog) -> int | str:
    if value >= 10 or value == int(value):
        return round(value)
    text = f"{value:.1f}"
    return text.replace(".", ",") if catalog.language == "fr" else text


def suggestion_text(catalog: Catalog, suggestion: Suggestion) -> str:
    """Return one suggestion as a sentence, with what it rests on."""
    faster = None
    if suggestion.faster is not None:
        faster = _amount(round(suggestion.faster, 1), catalog)
    return catalog.text(
        "report.advice.quiet",
        name=suggestion.scheduled.name,
        at=slot_text(catalog, *suggestion.at),
        at_posts=_amount(suggestion.posts_at, catalog),
        at_count=round(suggestion.posts_at, 1),
        best=slot_text(catalog, *suggestion.best, hours=2),
        best_posts=_amount(suggestion.posts_best, catalog),
        best_count=round(suggestion.posts_best, 1),
        faster=faster,
        weeks=suggestion.weeks,
        posts=suggestion.posts,
        questions=suggestion.questions,
    )


def advice_lines(catalog: Catalog, advice: Advice | None) -> list[str]:
    """Return the advice as sentences: suggestions, or why there are none."""
    if advice is None or not advice.placed:
        return []
    hours = advice.hours
    if not advice.enough:
        return [
            catalog.text(
                "report.advice.not_enough",
                min_weeks=MIN_WEEKS,
                min_posts=MIN_POSTS,
                weeks=hours.weeks,
                posts=hours.total_posts,
            )
        ]
    if not advice.suggestions:
        return [
            catalog.text("report.advice.placed_well", weeks=hours.weeks, posts=hours.total_posts)
        ]
    return [suggestion_text(catalog, suggestion) for suggestion in advice.suggestions]


def top_advice(catalog: Catalog, advice: Advice | None) -> str | None:
    """Return the one suggestion that matters most (the largest gap), if any."""
    if advice is None or not advice.suggestions:
        return None
    return suggestion_text(catalog, advice.suggestions[0])
