"""Schema migrations with Alembic, configured in code so they run from any directory."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot.storage.database import Database

log = logging.getLogger(__name__)

UPGRADE_COMMAND = "terreau db upgrade"
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
"""The Alembic script directory (a sibling of the `bot` package, installed or not)."""


class SchemaOutdated(Exception):
    """The database schema is not the one this version of Terreau expects."""

    def __init__(self, current: str | None, head: str) -> None:
        where = "empty (no schema)" if current is None else f"at revision {current}"
        super().__init__(
            f"the database schema is {where} but this Terreau expects revision {head}; "
            f"run `{UPGRADE_COMMAND}` to migrate it"
        )
        self.current = current
        self.head = head


def alembic_config() -> Config:
    """Return an Alembic configuration pointing at Terreau's migrations."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise FileNotFoundError(f"Alembic migrations not found in {MIGRATIONS_DIR}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    """Return the revision the code expects (the single Alembic head)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration found in {MIGRATIONS_DIR / 'versions'}")
    return head


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision`, by default the latest schema."""
    config = alembic_config()
    database = await Database.connect(url)
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(_upgrade, config, revision)
    finally:
        await database.close()
    log.info(
        "database %s upgraded to %s",
        database.url,
        head_revision() if revision == "head" else revision,
    )


async def schema_status(url: str) -> tuple[str | None, str]:
    """Return (current revision of the database, head revision of the code)."""
    head = head_revision()
    database = await Database.connect(url)
    try:
        async with database.read() as uow:
            current = await uow.connection.run_sync(_current_revision)
    finally:
        await database.close()
    return current, head


async def require_current_schema(url: str) -> None:
    """Raise `SchemaOutdated` unless the database at `url` is at the head revision."""
    current, head = await schema_status(url)
    if current != head:
        raise SchemaOutdated(current, head)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild tables; SQLite only lets foreign keys be switched
        # off outside a transaction, so do it before Alembic begins one.
        _raw_sql(connection, "PRAGMA foreign_keys = OFF")
    with connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if sqlite:
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.rollback()
        if problems:
            raise RuntimeError(f"foreign key violations after migrating: {problems}")


def _raw_sql(connection: Connection, sql: str) -> None:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()
