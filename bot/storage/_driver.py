"""Direct driver access for the ingest hot path, with errors raised as SQLAlchemy's."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable
from typing import Any, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

T = TypeVar("T")


async def driver_of(connection: AsyncConnection) -> Any:
    """Return the driver connection (aiosqlite or asyncpg) under `connection`."""
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the database connection was closed under the interaction writer")
    return driver


async def translated(call: Awaitable[T], statement: str) -> T:
    """Await a driver call, raising its errors as SQLAlchemy's own calls would.

    The writer tells rows the database refuses (integrity, data) from trouble
    worth retrying (locks, lost connections) by these classes.
    """
    try:
        return await call
    except (asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error) as exc:
        raise as_sqlalchemy_error(exc, statement) from exc


def as_sqlalchemy_error(exc: Exception, statement: str) -> DBAPIError:
    """Return the SQLAlchemy error its own calls would raise for this driver error."""
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError | sqlite3.IntegrityError):
        return IntegrityError(statement, None, exc)
    if isinstance(exc, asyncpg.DataError):
        return DataError(statement, None, exc)
    # asyncpg's client-side DataError (a value it cannot encode) is a ValueError.
    if isinstance(exc, asyncpg.InterfaceError) and isinstance(exc, ValueError):
        return DataError(statement, None, exc)
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError) and "binding" in str(exc):
        return DataError(statement, None, exc)
    return DBAPIError(statement, None, exc)
