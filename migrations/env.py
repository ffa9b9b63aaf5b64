"""Alembic environment: async engines, batch mode on SQLite, Terreau's models as target.

`bot.storage.migrate` passes an open connection in `config.attributes`; the
`alembic` command line (for `alembic revision --autogenerate`) opens its own,
from `-x url=...` or the `sqlalchemy.url` of alembic.ini.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from bot.features import registry
from bot.storage._types import UTCDateTime
from bot.storage.database import DEFAULT_URL, Database
from bot.storage.models import Base

config = context.config
registry()  # each feature's storage module declares its tables when loaded
target_metadata = Base.metadata

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return str(
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or DEFAULT_URL
    )


def _render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render our UTC timestamps as plain timezone-aware DateTime in migration files."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _options(dialect: str) -> dict[str, Any]:
    return {
        "target_metadata": target_metadata,
        "render_as_batch": dialect == "sqlite",
        "render_item": _render_item,
        "compare_type": True,
    }


def run_migrations_offline() -> None:
    url = _url()
    dialect = url.split(":", 1)[0].split("+", 1)[0]
    context.configure(
        url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(dialect)
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    database = await Database.connect(_url())
    try:
        async with database.engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await database.close()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(run_async_migrations())
    else:
        do_run_migrations(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
