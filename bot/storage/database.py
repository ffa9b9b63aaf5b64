"""Engine setup: one `Database` per process, each transaction a unit of work.

SQLite (the default) runs in WAL mode with a busy timeout and foreign keys on, and
write transactions open with `BEGIN IMMEDIATE` so a write never fails half-way
when SQLite upgrades a read lock. Writes from this process are also queued on an
asyncio lock, so they wait their turn instead of spinning on the busy timeout.
PostgreSQL (`postgresql+asyncpg://`) needs none of this.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.clock import SystemClock
from bot.ports import Clock
from bot.storage.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DEFAULT_URL = "sqlite+aiosqlite:///terreau.db"
"""Where Terreau keeps its data when the operator names no database."""

_READ_ONLY = "terreau_read_only"
_active: ContextVar[tuple[Database, asyncio.Task[Any] | None] | None] = ContextVar(
    "terreau_active_transaction", default=None
)


class DatabaseUnavailable(Exception):
    """The database could not be opened or reached."""


class Database:
    """A connection pool plus the rules for opening transactions on it."""

    def __init__(
        self, engine: AsyncEngine, *, clock: Clock, serialize: bool, busy_timeout: float = 10.0
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._write_lock = asyncio.Lock() if serialize else None
        self._memory = _is_memory(engine.url)
        self._busy_timeout = busy_timeout

    @classmethod
    async def connect(
        cls,
        url: str = DEFAULT_URL,
        *,
        clock: Clock | None = None,
        busy_timeout: float = 10.0,
        echo: bool = False,
    ) -> Database:
        """Open (and check) the database at `url`; SQLite and PostgreSQL are supported."""
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            _check_sqlite_directory(parsed)
            engine = _sqlite_engine(parsed, busy_timeout=busy_timeout, echo=echo)
        elif backend == "postgresql":
            engine = create_async_engine(parsed, echo=echo, pool_pre_ping=True)
        else:
            raise DatabaseUnavailable(
                f"unsupported database URL {_safe(parsed)}: use sqlite+aiosqlite:///path "
                "or postgresql+asyncpg://user@host/dbname"
            )
        database = cls(
            engine,
            clock=clock or SystemClock(),
            serialize=backend == "sqlite",
            busy_timeout=busy_timeout,
        )
        try:
            async with database._connection(read_only=True) as connection:
                shortfall = None
                if backend == "sqlite":
                    shortfall = sqlite_shortfall(*await _sqlite_library(connection))
                else:
                    await connection.exec_driver_sql("SELECT 1")
        except (SQLAlchemyError, OSError) as exc:
            await engine.dispose()
            raise DatabaseUnavailable(f"cannot open database {_safe(parsed)}: {exc}") from exc
        if shortfall is not None:
            await engine.dispose()
            raise DatabaseUnavailable(f"cannot use database {_safe(parsed)}: {shortfall}")
        log.info("database %s opened", _safe(parsed))
        return database

    @property
    def dialect(self) -> str:
        """Return the backend name: `sqlite` or `postgresql`."""
        return self._engine.dialect.name

    @property
    def engine(self) -> AsyncEngine:
        """Return the underlying engine (migrations and schema tools use it)."""
        return self._engine

    @property
    def clock(self) -> Clock:
        """Return the clock repositories use for timestamps the caller did not give."""
        return self._clock

    @property
    def sqlite_file(self) -> str | None:
        """Return the path of a SQLite database file; None for memory or other backends."""
        url = self._engine.url
        if url.get_backend_name() != "sqlite" or self._memory:
            return None
        database = url.database or ""
        return None if database.startswith("file:") else database

    @property
    def busy_timeout(self) -> float:
        """Return how long a SQLite write waits for another connection's lock, in seconds."""
        return self._busy_timeout

    @contextlib.asynccontextmanager
    async def write_turn(self) -> AsyncIterator[None]:
        """Hold this process's turn to write, for writes made on a connection of their own."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    @property
    def url(self) -> str:
        """Return the database URL with any password hidden."""
        return _safe(self._engine.url)

    async def ping(self) -> None:
        """Run a trivial query; raise if the database does not answer (readiness checks)."""
        async with self._connection(read_only=True) as connection:
            await connection.exec_driver_sql("SELECT 1")

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """Open a write transaction: commit when the block succeeds, roll back on error."""
        async with self._connection(read_only=False) as connection, connection.begin():
            yield UnitOfWork(connection, self._clock)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[UnitOfWork]:
        """Open a read-only snapshot (rolled back at the end); it never blocks writers."""
        async with self._connection(read_only=True) as connection:
            transaction = await connection.begin()
            try:
                yield UnitOfWork(connection, self._clock)
            finally:
                await transaction.rollback()

    @contextlib.asynccontextmanager
    async def _connection(self, *, read_only: bool) -> AsyncIterator[AsyncConnection]:
        current = _active.get()
        task = asyncio.current_task()
        if current is not None and current[0] is self and current[1] is task:
            raise RuntimeError(
                f"nested transaction on {self.url}: finish the current unit of work first "
                "(one task holds at most one transaction)"
            )
        lock = self._write_lock if (self._memory or not read_only) else None
        async with contextlib.AsyncExitStack() as stack:
            if lock is not None:
                await stack.enter_async_context(lock)
            connection = await stack.enter_async_context(self._engine.connect())
            if read_only:
                await connection.execution_options(**{_READ_ONLY: True})
            token = _active.set((self, task))
            try:
                yield connection
            finally:
                _active.reset(token)


def _sqlite_engine(url: URL, *, busy_timeout: float, echo: bool) -> AsyncEngine:
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout})
    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; `_on_begin` emits BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA journal_mode = WAL")
            # SQLite's advice for WAL: NORMAL never corrupts and survives a killed
            # process; only a power cut can roll back the last commits. FULL would
            # fsync on every batch of the interaction log.
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A task cancelled inside a statement: SQLAlchemy would discard the connection
        # as if it were lost, closing it with the statement still open, and SQLite
        # keeps such a connection (and its write lock) alive until the garbage
        # collector finds that statement. aiosqlite runs one call at a time, so the
        # connection is in a known state: keep it, and let the rollback end the
        # transaction now.
        if isinstance(context.original_exception, asyncio.CancelledError):
            context.is_disconnect = False

    return engine


SQLITE_NEEDED = (3, 35)
"""The oldest SQLite whose statements Terreau uses (RETURNING, MATERIALIZED common tables)."""


def sqlite_shortfall(version: str, has_json: bool) -> str | None:
    """Return what the SQLite library lacks for Terreau, or None when it has it all."""
    found = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if found < SQLITE_NEEDED:
        needed = ".".join(map(str, SQLITE_NEEDED))
        return (
            f"SQLite {version} is too old: Terreau needs {needed} or newer (Python's sqlite3 "
            "module uses the SQLite library it was built with; a newer Python, or "
            "PostgreSQL, has one)"
        )
    if not has_json:
        return (
            f"SQLite {version} was built without its JSON functions, which reports use "
            "(a Python whose SQLite has them, or PostgreSQL, is needed)"
        )
    return None


async def _sqlite_library(connection: AsyncConnection) -> tuple[str, bool]:
    """Return the SQLite library's version and whether it has the JSON functions."""
    version = str((await connection.exec_driver_sql("SELECT sqlite_version()")).scalar_one())
    try:
        await connection.exec_driver_sql("SELECT json_valid('[]')")
    except SQLAlchemyError:
        return version, False
    return version, True


def _check_sqlite_directory(url: URL) -> None:
    database = url.database or ""
    if _is_memory(url) or database.startswith("file:"):
        return
    directory = Path(database).expanduser().resolve().parent
    if not directory.is_dir():
        raise DatabaseUnavailable(
            f"cannot open database {_safe(url)}: directory {directory} does not exist"
        )


def _is_memory(url: URL) -> bool:
    if url.get_backend_name() != "sqlite":
        return False
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in str(url.query)


def _safe(url: URL) -> str:
    return url.render_as_string(hide_password=True)
