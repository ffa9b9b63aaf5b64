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
from bot.analytics._charts import (
    ChartData,
    ChartLabels,
    TrendLabels,
    chart_data,
    draw_chart,
    draw_trends,
    write_chart,
)
from bot.analytics._cohorts import (
    COHORT_MONTHS,
    FIRST_DAYS,
    MIN_GROUP,
    MIN_NEWCOMERS,
    Cohort,
    Cohorts,
    Comparison,
    cohorts,
)
from bot.analytics._figures import Figure, gini, median, share, top_share
from bot.analytics._hours import Heatmap, counted_heatmap, heatmap, hour_of, settle_hours
from bot.analytics._participation import DayActivity, Participation, Retention
from bot.analytics._period import Period, PeriodError, last_days, parse_period
from bot.analytics._played import LIBRARY, OWN, poll_kind
from bot.analytics._posts import MIN_POSTS as MIN_RITUAL_POSTS
from bot.analytics._posts import PostFigures, post_figures, silent_prompts
from bot.analytics._providers import METRICS, MetricProvider, MetricRegistry
from bot.analytics._questions import Question, display_names, questions
from bot.analytics._report import Report, build_report
from bot.analytics._scope import Scope
from bot.analytics._tallies import FLAG_AFTER, PostTally, best, silent
from bot.analytics._trends import MIN_MONTHS, Month, Trends, monthly_trends

__all__ = [
    "COHORT_MONTHS",
    "FIRST_DAYS",
    "FLAG_AFTER",
    "LIBRARY",
    "METRICS",
    "MIN_GROUP",
    "MIN_MONTHS",
    "MIN_NEWCOMERS",
    "MIN_POSTS",
    "MIN_RITUAL_POSTS",
    "MIN_WEEKS",
    "OWN",
    "QUIET_FROM",
    "ChannelActivity",
    "ChartData",
    "ChartLabels",
    "Cohort",
    "Cohorts",
    "Comparison",
    "DayActivity",
    "Figure",
    "Heatmap",
    "MetricProvider",
    "MetricRegistry",
    "Month",
    "Participation",
    "Period",
    "PeriodError",
    "Placed",
    "PostFigures",
    "PostTally",
    "Question",
    "Report",
    "Retention",
    "Scheduled",
    "Scope",
    "Suggestion",
    "TrendLabels",
    "Trends",
    "advise",
    "best",
    "build_report",
    "channel_activity",
    "chart_data",
    "cohorts",
    "counted_heatmap",
    "display_names",
    "draw_chart",
    "draw_trends",
    "enough",
    "gini",
    "heatmap",
    "hour_of",
    "last_days",
    "median",
    "monthly_trends",
    "parse_period",
    "place",
    "poll_kind",
    "post_figures",
    "questions",
    "settle_hours",
    "share",
    "silent",
    "silent_prompts",
    "top_share",
    "write_chart",
]
