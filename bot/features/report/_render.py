"""How a report reads in the chat: figures as words and numbers, chart labels."""

from __future__ import annotations

import logging

from bot.analytics import LIBRARY, OWN, ChartLabels, Figure, Report, TrendLabels
from bot.prompts import Catalog

log = logging.getLogger(__name__)

_NAMED_KINDS = (OWN, "twotruths", LIBRARY)
"""Poll kinds that are no kind of the library's polls: named in words."""
_DECIMALS = {"count": 0, "share": 0, "hours": 1, "average": 1, "ratio": 2}


def _number(value: float, decimals: int, catalog: Catalog) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if catalog.language == "fr" else text


def _scaled(figure: Figure, value: float) -> float:
    return value * 100 if figure.unit == "share" else value


def format_value(figure: Figure, catalog: Catalog) -> str:
    """Return the figure's value with its unit, or the word for "not available"."""
    if figure.value is None:
        return catalog.text("report.units.missing")
    number = _number(_scaled(figure, figure.value), _DECIMALS[figure.unit], catalog)
    return catalog.text(f"report.units.{figure.unit}", value=number)


def format_change(figure: Figure, catalog: Catalog) -> str | None:
    """Return the change from the previous period (points for shares), or None if unknown."""
    change = figure.change
    if change is None:
        return None
    decimals = _DECIMALS[figure.unit]
    delta = round(_scaled(figure, change), decimals)
    if delta == 0:
        return catalog.text("report.change.same")
    direction = "up" if delta > 0 else "down"
    return catalog.text(f"report.change.{direction}", delta=_number(abs(delta), decimals, catalog))


def figure_lines(
    report: Report, catalog: Catalog, *, names: bool = False
) -> list[dict[str, str | None]]:
    """Return label, value and change of every figure, ready for a template.

    With `names` (a reply only moderators see, the operator's HTML file), a figure's
    member names come too, as plain text (never mentions), with how many more it
    counts than it names. A figure whose label is missing from the catalog (a
    provider's prompt not written yet) is left out and logged, rather than failing
    the whole report.
    """
    for figure in report.figures:
        if not catalog.has(figure.key):
            log.warning("figure %s has no label in %s; left out", figure.key, catalog.language)
    return [
        {
            "label": catalog.text(figure.key, **figure.variables),
            "value": format_value(figure, catalog),
            "change": format_change(figure, catalog),
            "previous": None
            if figure.previous is None
            else format_value(
                Figure(key=figure.key, value=figure.previous, unit=figure.unit), catalog
            ),
            **_names(figure, catalog, shown=names),
        }
        for figure in report.figures
        if catalog.has(figure.key)
    ]


def _names(figure: Figure, catalog: Catalog, *, shown: bool) -> dict[str, str | None]:
    if not shown or not figure.names:
        return {"names": None}
    more = max(0, int(figure.value or 0) - len(figure.names))
    listed = ", ".join(figure.names)
    return {"names": catalog.text("report.names.listed", names=listed, more=more)}


def chart_labels(catalog: Catalog) -> ChartLabels:
    """Return the words of the report chart in the catalog's language."""
    return ChartLabels(
        **{
            name: catalog.text(f"report.chart.{name}")
            for name in ("activity", "active", "posters", "split", "rowers", "reactors")
        },
        passengers=catalog.text("report.chart.passengers"),
    )


def trend_labels(catalog: Catalog) -> TrendLabels:
    """Return the titles of the twelve months' small multiples in the catalog's language."""
    return TrendLabels(
        **{
            name: catalog.text(f"report.trends.{name}")
            for name in ("active", "rowers", "concentration", "retention")
        }
    )


def poll_label(catalog: Catalog, kind: str) -> str:
    """Return how a poll kind is named: the library's kind as is, the others in words."""
    if kind in _NAMED_KINDS:
        return catalog.text(f"report.posts.poll_kinds.{kind}")
    return kind
