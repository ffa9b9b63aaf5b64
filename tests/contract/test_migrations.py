"""Migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from bot.features import registry
from bot.storage import Base, Database, SchemaOutdated
from bot.storage.migrate import head_revision, require_current_schema, schema_status, upgrade

pytestmark = pytest.mark.storage


def differences(connection: Connection) -> list[object]:
    registry()  # each feature's storage module declares its tables when loaded
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_builds_the_models_schema(empty_database_url: str) -> None:
    assert await schema_status(empty_database_url) == (None, head_revision())
    with pytest.raises(SchemaOutdated, match="terreau db upgrade"):
        await require_current_schema(empty_database_url)

    await upgrade(empty_database_url)
    await upgrade(empty_database_url)  # a second upgrade is a no-op

    current, head = await schema_status(empty_database_url)
    assert current == head
    await require_current_schema(empty_database_url)
    database = await Database.connect(empty_database_url)
    try:
        async with database.read() as uow:
            assert await uow.connection.run_sync(differences) == []
    finally:
        await database.close()


async def test_the_migrated_schema_works(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    database = await Database.connect(empty_database_url)
    try:
        async with database.transaction() as uow:
            community = await uow.communities.ensure("fake:g", "fake", "g", "G")
            assert await uow.optouts.add(community, "alice", "dm")
    finally:
        await database.close()


def test_outdated_schema_message_names_the_fix() -> None:
    error = SchemaOutdated("abc123", "def456")
    assert "abc123" in str(error)
    assert "def456" in str(error)
    assert "`terreau db upgrade`" in str(error)
