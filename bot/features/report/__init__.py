"""Community reports: `/terreau report`, the weekly digest and unanswered-question nudges."""

from __future__ import annotations

from bot.feature import ConfigSection, Feature, FeatureContext
from bot.features.report._command import channel_reference, declare_command
from bot.features.report._config import ReportConfig, report_findings
from bot.features.report._html import (
    HtmlReport,
    ReportUnavailable,
    find_community,
    html_report,
    render_html,
    stored_community,
)
from bot.features.report._jobs import ReportJobs, digest_job_id, nudge_job_id, nudge_nonce
from bot.features.report._render import chart_labels, figure_lines, format_change, format_value
from bot.features.report._service import Reports, default_chart_dir, scope_for

__all__ = [
    "FEATURE",
    "HtmlReport",
    "ReportConfig",
    "ReportJobs",
    "ReportUnavailable",
    "Reports",
    "channel_reference",
    "chart_labels",
    "default_chart_dir",
    "digest_job_id",
    "figure_lines",
    "find_community",
    "format_change",
    "format_value",
    "html_report",
    "nudge_job_id",
    "nudge_nonce",
    "render_html",
    "scope_for",
    "setup",
    "stored_community",
]


def setup(app: FeatureContext) -> None:
    """Declare `/terreau report` and schedule the digests and nudges the config asks for."""
    reports = Reports(app)
    ReportJobs(app, reports).schedule_all()
    declare_command(app, reports)


FEATURE = Feature(
    name="report",
    config=ConfigSection("report", ReportConfig, report_findings),
    order=80,
    setup=setup,
)
