"""The ingest's fast SQLite timestamp text is the one the `UTCDateTime` column writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.dialects import sqlite

from bot.storage._types import UTCDateTime, sqlite_utc_text

pytestmark = pytest.mark.storage

_DIALECT = sqlite.dialect()
_COLUMN = UTCDateTime().dialect_impl(_DIALECT).bind_processor(_DIALECT)

MOMENTS = [
    datetime(2026, 12, 6, 9, 30, tzinfo=UTC),  # no microseconds
    datetime(2026, 12, 6, 9, 30, 5, 7, tzinfo=UTC),
    datetime(2026, 3, 29, 2, 30, 0, 999_999, tzinfo=timezone(timedelta(hours=2))),
    datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),  # UTC 2026
    datetime(1999, 12, 31, 23, 59, 59, 1, tzinfo=timezone(timedelta(hours=-8))),
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 12, 6, 9, 30, 5, 7, tzinfo=timezone(timedelta(0))),
    datetime(2026, 12, 6, 9, 30, 5, 7, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 10, 25, 2, 30, 1, tzinfo=ZoneInfo("Europe/Paris")),  # the hour that repeats
    datetime(2026, 10, 25, 2, 30, 1, fold=1, tzinfo=ZoneInfo("Europe/Paris")),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda moment: moment.isoformat())
def test_sqlite_text_is_what_the_column_type_stores(moment: datetime) -> None:
    assert _COLUMN is not None
    assert sqlite_utc_text(moment) == _COLUMN(moment)


def test_times_within_one_second_keep_their_own_microseconds() -> None:
    second = datetime(2026, 12, 7, 3, 0, 59, tzinfo=UTC)
    moments = [second + timedelta(microseconds=n) for n in (0, 1, 999_999, 1_000_000)]
    assert _COLUMN is not None
    assert [sqlite_utc_text(moment) for moment in moments] == [
        "2026-12-07 03:00:59.000000",
        "2026-12-07 03:00:59.000001",
        "2026-12-07 03:00:59.999999",
        "2026-12-07 03:01:00.000000",
    ]
    assert [sqlite_utc_text(moment) for moment in moments] == [_COLUMN(m) for m in moments]
