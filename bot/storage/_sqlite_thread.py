"""Where SQLite batches run: a dedicated connection on its own thread, or a pooled one.

A file database gives the interaction writer its own `sqlite3` connection on one
thread, so a whole batch is one hop from the event loop. An in-memory database
exists only inside its pooled connection, so there the same batch function runs
through that connection, statement by statement.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Connection

from bot.storage._driver import as_sqlalchemy_error
from bot.storage._sqlite_batch import Statements

log = logging.getLogger(__name__)

T = TypeVar("T")


class SqliteThread:
    """One `sqlite3` connection, opened and used on one thread, one transaction a call."""

    def __init__(self, path: str, *, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terreau-log")
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[[Statements], T]) -> T:
        """Run `work` in a `BEGIN IMMEDIATE` transaction on the thread; commit if it returns."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._transaction, work)

    async def close(self) -> None:
        """Close the connection and end the thread."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=False)

    def _transaction(self, work: Callable[[Statements], T]) -> T:
        connection = self._open()
        statements = _Sqlite3Statements(connection)
        statements.run("BEGIN IMMEDIATE")
        try:
            result = work(statements)
            statements.run("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.rollback()
            raise
        return result

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            try:
                connection = sqlite3.connect(
                    self._path,
                    timeout=self._busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
                connection.execute("PRAGMA foreign_keys = ON")
                connection.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as exc:
                raise as_sqlalchemy_error(exc, "connect") from exc
            self._connection = connection
        return self._connection

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Sqlite3Statements:
    """Statements on a plain `sqlite3` connection, errors raised as SQLAlchemy's."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def run(self, sql: str) -> None:
        try:
            self._connection.execute(sql)
        except sqlite3.Error as exc:
            raise as_sqlalchemy_error(exc, sql) from exc

    def execute(self, sql: str, values: Sequence[Any]) -> tuple[int, int]:
        try:
            cursor = self._connection.execute(sql, values)
        except sqlite3.Error as exc:
            raise as_sqlalchemy_error(exc, sql) from exc
        return cursor.rowcount, cursor.lastrowid or 0

    def fetch(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        try:
            return list(self._connection.execute(sql, values))
        except sqlite3.Error as exc:
            raise as_sqlalchemy_error(exc, sql) from exc


class ConnectionStatements:
    """Statements on a pooled SQLAlchemy connection (inside `AsyncConnection.run_sync`)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, values: Sequence[Any]) -> tuple[int, int]:
        """Run one statement; return its affected-row count and last inserted id."""
        result = self._connection.exec_driver_sql(sql, tuple(values))
        return result.rowcount, result.lastrowid or 0

    def fetch(self, sql: str, values: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Run one query and return its rows."""
        return [tuple(row) for row in self._connection.exec_driver_sql(sql, tuple(values))]
