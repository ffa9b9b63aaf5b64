"""What a report's queries need of its scope and period, without importing the analytics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.sql.elements import ColumnElement


class MeasuredScope(Protocol):
    """A community (by database id) and which members its figures keep."""

    @property
    def community_id(self) -> int:
        """Return the community's database id."""
        ...

    def keeps(self, member: ColumnElement[Any]) -> ColumnElement[bool]:
        """Return a condition true for the members the figures count."""
        ...


class MeasuredPeriod(Protocol):
    """Days `[start, end)`, and the same span as aware instants `[since, until)`."""

    @property
    def start(self) -> date:
        """Return the first day."""
        ...

    @property
    def end(self) -> date:
        """Return the day after the last."""
        ...

    @property
    def since(self) -> datetime:
        """Return the first instant."""
        ...

    @property
    def until(self) -> datetime:
        """Return the instant after the last."""
        ...
