"""Migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

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


async def test_stored_first_answers_take_their_channel_and_asker_from_the_log(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url, "b8d2f4a6c0e1")
    database = await Database.connect(empty_database_url)
    asked = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    try:
        async with database.transaction() as uow:
            connection = uow.connection
            community = await uow.communities.ensure("fake:g", "fake", "g", "G")
            await connection.execute(
                text(
                    "INSERT INTO interactions (community_id, event_id, kind, channel_id, "
                    "member_id, message_id, target, occurred_at) VALUES "
                    "(:c, 'e1', 'message', 'help', 'alice', 'm1', 'question', :at)"
                ),
                {"c": community, "at": asked},
            )
            await connection.execute(
                text(
                    "INSERT INTO question_answers (community_id, message_id, asked_at, "
                    "answered_at, asked_hour, waited) VALUES (:c, 'm1', :at, :at, 0, 60.0)"
                ),
                {"c": community, "at": asked},
            )
    finally:
        await database.close()

    await upgrade(empty_database_url)

    database = await Database.connect(empty_database_url)
    try:
        async with database.read() as uow:
            row = (
                await uow.connection.execute(
                    text("SELECT channel_id, member_id FROM question_answers")
                )
            ).one()
    finally:
        await database.close()
    assert tuple(row) == ("help", "alice")
