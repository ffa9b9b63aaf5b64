"""`terreau doctor`'s findings as text, grouped by section, in the operator's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.doctor._findings import Finding, Words, healthy
from bot.prompts import Catalog

MARKS = {"ok": "✓", "problem": "✗", "note": "•"}
INDENT = "    "


def render_findings(
    findings: Sequence[Finding], catalog: Catalog, titles: Mapping[str, str]
) -> str:
    """Return the report: a title per section, one mark and sentence per finding."""
    lines: list[str] = []
    section: str | None = None
    for finding in findings:
        if finding.section != section:
            section = finding.section
            if lines:
                lines.append("")
            lines.append(_title(section, catalog, titles))
        text = catalog.text(f"doctor.{finding.key}", **_words(finding.variables, catalog))
        first, *rest = text.splitlines() or [""]
        lines.append(f"  {MARKS[finding.status]} {first}")
        lines.extend(f"{INDENT}{line}" for line in rest if line.strip())
    problems = sum(finding.status == "problem" for finding in findings)
    lines.append("")
    if healthy(findings):
        lines.append(catalog.text("doctor.summary.healthy"))
    else:
        lines.append(catalog.text("doctor.summary.problems", count=problems))
    return "\n".join(lines)


def _title(section: str, catalog: Catalog, titles: Mapping[str, str]) -> str:
    if section in titles:
        return titles[section]
    key = f"doctor.sections.{section}"
    return catalog.text(key) if catalog.has(key) else section


def _words(variables: Mapping[str, object], catalog: Catalog) -> dict[str, object]:
    return {
        name: ", ".join(catalog.text(f"doctor.labels.{key}") for key in value.keys)
        if isinstance(value, Words)
        else value
        for name, value in variables.items()
    }
