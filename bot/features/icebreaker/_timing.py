"""Quiet hours: the community's night, when nobody is tagged, greeted or messaged."""

from __future__ import annotations

import logging
from datetime import datetime, time
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)


def in_quiet_hours(moment: datetime, timezone: str, window: tuple[time, time] | None) -> bool:
    """Return whether `moment` falls in the quiet hours `window` of the community's timezone.

    The window runs from its start (included) to its end (excluded) and may wrap past
    midnight ("22:00-08:00").
    """
    if window is None:
        return False
    start, end = window
    local = moment.astimezone(ZoneInfo(timezone)).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end
