"""Community analytics: metric definitions and the SQL behind them, for chat and CLI.

Metrics read the daily rollups (a whole community) or the interaction log (one
channel), never message text. Bots are never counted; operators may leave out
more members (moderators, say) through `Scope.exclude`.
"""

from __future__ import annotations

from bot.analytics._advice import (
    MIN_POSTS,
    MIN_WEEKS,
    Placed,
    Scheduled,
    Suggestion,
    advise,
    enough,
    place,
)
from bot.analytics._channels import QUIET_FROM, ChannelActivity, channel_activity
from bot.analytics._charts import ChartData, ChartLabels, chart_data, draw_chart, write_chart
from bot.analytics._figures import Figure, gini, median, share, top_share
from bot.analytics._hours import Heatmap, counted_heatmap, heatmap, hour_of, settle_hours
from bot.analytics._participation import DayActivity, Participation, Retention
from bot.analytics._period import Period, PeriodError, last_days, parse_period
from bot.analytics._providers import METRICS, MetricProvider, MetricRegistry
from bot.analytics._questions import Question, display_names, questions
from bot.analytics._report import Report, build_report
from bot.analytics._scope import Scope

__all__ = [
    "METRICS",
    "MIN_POSTS",
    "MIN_WEEKS",
    "QUIET_FROM",
    "ChannelActivity",
    "ChartData",
    "ChartLabels",
    "DayActivity",
    "Figure",
    "Heatmap",
    "MetricProvider",
    "MetricRegistry",
    "Participation",
    "Period",
    "PeriodError",
    "Placed",
    "Question",
    "Report",
    "Retention",
    "Scheduled",
    "Scope",
    "Suggestion",
    "advise",
    "build_report",
    "channel_activity",
    "chart_data",
    "counted_heatmap",
    "display_names",
    "draw_chart",
    "enough",
    "gini",
    "heatmap",
    "hour_of",
    "last_days",
    "median",
    "parse_period",
    "place",
    "questions",
    "settle_hours",
    "share",
    "top_share",
    "write_chart",
]
