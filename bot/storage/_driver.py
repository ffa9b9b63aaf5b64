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
    except (asyncpg.IntegrityConstraintViolationError, sqlite3.IntegrityError) as exc:
        raise IntegrityError(statement, None, exc) from exc
    except asyncpg.DataError as exc:
        raise DataError(statement, None, exc) from exc
    except asyncpg.InterfaceError as exc:
        # asyncpg's client-side DataError (a value it cannot encode) is a ValueError.
        if isinstance(exc, ValueError):
            raise DataError(statement, None, exc) from exc
        raise DBAPIError(statement, None, exc) from exc
    except (sqlite3.ProgrammingError, sqlite3.InterfaceError) as exc:
        if "binding" in str(exc):
            raise DataError(statement, None, exc) from exc
        raise DBAPIError(statement, None, exc) from exc
    except (asyncpg.PostgresError, sqlite3.Error) as exc:
        raise DBAPIError(statement, None, exc) from exc
