"""Storage: models, engine setup, repositories, batched ingest and migrations."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError as Conflict

from bot.storage import analytics as _analytics_indexes  # noqa: F401 (attaches report indexes)
from bot.storage import boards as _boards  # noqa: F401 (declares the tables every board kind shares)
from bot.storage._deliveries import KEPT as HANDLED_KEPT
from bot.storage._event_rows import QUESTION, InteractionRow, interaction_from_event
from bot.storage._types import UTCDateTime
from bot.storage.activity import ActivityLevelRow, ActivityLevels
from bot.storage.claims import DeliveryClaims
from bot.storage.database import DEFAULT_URL, Database, DatabaseUnavailable
from bot.storage.directory import CommunityDirectory
from bot.storage.election import (
    AuditEntry,
    ElectionRecord,
    Elections,
    NominationRecord,
    VoteRecord,
    WinnerRecord,
)
from bot.storage.games import Games, NewScore, PollRecord, QuestionRecord, ScoreLine
from bot.storage.icebreaker import (
    ChampionRequest,
    Icebreakers,
    Invitation,
    Welcome,
    rotation_order,
)
from bot.storage.ingest import InteractionRecorder, InteractionWriter, WriterStats
from bot.storage.migrate import SchemaOutdated, require_current_schema, schema_status, upgrade
from bot.storage.models import Base
from bot.storage.privacy import MemberTable, Privacy, PrivacyAuditEntry
from bot.storage.records import (
    ActivityDay,
    ChannelRecord,
    CommunityRecord,
    LedgerEntry,
    MemberRecord,
    OutboxEntry,
    RitualState,
)
from bot.storage.store import Store
from bot.storage.unit_of_work import UnitOfWork

__all__ = [
    "DEFAULT_URL",
    "HANDLED_KEPT",
    "QUESTION",
    "ActivityDay",
    "ActivityLevelRow",
    "ActivityLevels",
    "AuditEntry",
    "Base",
    "ChampionRequest",
    "ChannelRecord",
    "CommunityDirectory",
    "CommunityRecord",
    "Conflict",
    "Database",
    "DatabaseUnavailable",
    "DeliveryClaims",
    "ElectionRecord",
    "Elections",
    "Games",
    "Icebreakers",
    "InteractionRecorder",
    "InteractionRow",
    "InteractionWriter",
    "Invitation",
    "LedgerEntry",
    "MemberRecord",
    "MemberTable",
    "NewScore",
    "NominationRecord",
    "OutboxEntry",
    "PollRecord",
    "Privacy",
    "PrivacyAuditEntry",
    "QuestionRecord",
    "RitualState",
    "SchemaOutdated",
    "ScoreLine",
    "Store",
    "UTCDateTime",
    "UnitOfWork",
    "VoteRecord",
    "Welcome",
    "WinnerRecord",
    "WriterStats",
    "interaction_from_event",
    "require_current_schema",
    "rotation_order",
    "schema_status",
    "upgrade",
]
