"""Database fixtures: every storage test runs on SQLite and, when configured, PostgreSQL.

Imports of the code under test stay inside the fixtures, so a broken storage
module fails its own tests, not the collection of every test.

Set TERREAU_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)
to add PostgreSQL. Each test session creates its own database and drops it at the
end, and each test starts from an empty schema, so runs never collide.
"""

from __future__ import annotations

import asyncio
import os
import tomllib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from bot.storage import Database

POSTGRES_ENV = "TERREAU_TEST_POSTGRES_URL"
STORAGE_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


async def _admin(url: str, *statements: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database of its own for this test session, dropped at the end."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        yield None
        return
    name = f"terreau_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
async def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> str:
    """The URL of an empty database (no tables), on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'terreau.db'}"
    if postgres_url is None:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL contract tests")
    await _admin(postgres_url, "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public")
    return postgres_url


@pytest.fixture
async def database_url(empty_database_url: str) -> str:
    """The URL of a database holding the current schema (built from the models)."""
    from bot.features import registry
    from bot.storage import Base

    registry()  # each feature's storage module declares its tables when loaded

    engine = create_async_engine(empty_database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
    finally:
        await engine.dispose()
    return empty_database_url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An open `Database` with the current schema and a `ManualClock` at STORAGE_START."""
    from bot.storage import Database
    from tests.fakes import ManualClock

    db = await Database.connect(database_url, clock=ManualClock(STORAGE_START))
    try:
        yield db
    finally:
        await db.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test module that carries no feature or area marker (`pytest -m election`)."""
    with (config.rootpath / "pyproject.toml").open("rb") as file:
        declared = tomllib.load(file)["tool"]["pytest"]["ini_options"]["markers"]
    areas = {line.split(":", 1)[0].strip() for line in declared} - {"postgres"}
    unmarked = sorted(
        {
            str(module.path.relative_to(config.rootpath))
            for item in items
            if (module := item.getparent(pytest.Module)) is not None
            and not {mark.name for mark in module.own_markers} & areas
        }
    )
    if unmarked:
        raise pytest.UsageError(
            "test modules without a feature marker: "
            + ", ".join(unmarked)
            + "\nput `pytestmark = pytest.mark.<area>` at the top of each (a list for several);"
            + " areas: "
            + ", ".join(sorted(areas))
            + " (registered under [tool.pytest.ini_options] markers in pyproject.toml)"
        )
