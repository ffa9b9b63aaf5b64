"""The validated shape of the operator config file: frozen pydantic models with defaults."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar, get_args
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError, core_schema
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config._base import SLUG, Slug, _Model, slug
from bot.config._checks import community_key_findings, suggestion
from bot.config._errors import format_path
from bot.config._observability import ObservabilityConfig
from bot.config._sections import registered_sections
from bot.domain import Community, community_key

M = TypeVar("M", bound=BaseModel)

REFERENCE_ERROR = "config_reference"
"""Error type of the cross-key rules, which the loader reports from the raw file instead."""

DEFAULT_PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
MAX_SHARDS = 65_536
_ERROR_TYPES = frozenset(get_args(core_schema.ErrorType))

_CONSOLE_NAME = re.compile(r"[\w.-]+")
_URL_PASSWORD = re.compile(r"^[^:/]+://[^/@]*:[^/@]+@")
_DISCORD_ID = re.compile(r"[0-9]{15,21}")
_SLACK_ID = re.compile(r"[TE][A-Z0-9]{2,}")
_MATRIX_USER = re.compile(r"@[a-z0-9._=/+-]+:[A-Za-z0-9.:\[\]-]+")
_MATRIX_ROOM = re.compile(r"![A-Za-z0-9_=+/.-]+(?::[A-Za-z0-9.:\[\]-]+)?")
"""A room id: `!opaque:server`, or `!hash` from room version 12 on."""


def _url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        wanted = " or ".join(f"{scheme}://" for scheme in schemes)
        raise ValueError(f'expected a {wanted} URL, got "{value}"')
    return value


def _console_name(value: str) -> str:
    if not _CONSOLE_NAME.fullmatch(value):
        raise ValueError(f'expected one word (letters, digits, "_", "-" or "."), got "{value}"')
    return value


def _slug_or(value: str, wanted: str) -> str:
    if not SLUG.fullmatch(value):
        raise ValueError(f'expected {wanted}, got "{value}"')
    return value


ConsoleName = Annotated[StrictStr, AfterValidator(_console_name)]
NonEmpty = Annotated[StrictStr, Field(min_length=1)]


class ConsoleSettings(_Model):
    """The local terminal community: who you speak as, and who moderates."""

    member: ConsoleName = "you"
    moderators: tuple[ConsoleName, ...] = ("you",)


class DiscordSettings(_Model):
    """The Discord gateway connection, enabled when DISCORD_TOKEN is set."""

    api_base: StrictStr = "https://discord.com/api/v10"
    gateway_url: StrictStr = "wss://gateway.discord.gg"
    shard_count: StrictInt = Field(default=1, ge=1, le=MAX_SHARDS)
    shard_ids: tuple[StrictInt, ...] = (0,)
    message_content: StrictBool = False
    members_intent: StrictBool = True

    @model_validator(mode="before")
    @classmethod
    def _all_shards_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and "shard_ids" not in data:
            count = data.get("shard_count")
            if isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= MAX_SHARDS:
                return {**data, "shard_ids": list(range(count))}
        return data

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        return _url(value, ("https", "http"))

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str) -> str:
        return _url(value, ("wss", "ws"))

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        if not value:
            raise ValueError("list at least one shard id")
        count = info.data.get("shard_count")
        problems: list[str] = []
        for shard in dict.fromkeys(value):
            if shard < 0:
                problems.append(f"shard id {shard} is negative")
            elif count is not None and shard >= count:
                problems.append(f"shard id {shard} is not below shard_count {count}")
        problems.extend(
            f"shard id {shard} is listed twice"
            for shard in sorted(set(value))
            if value.count(shard) > 1
        )
        if problems:
            raise ValueError("; ".join(problems))
        return value


class SlackSettings(_Model):
    """The Slack connection (Socket Mode or HTTP), enabled when SLACK_BOT_TOKEN is set."""

    api_base: StrictStr = "https://slack.com/api/"
    mode: Literal["socket", "http"] = "socket"
    http_host: NonEmpty = "127.0.0.1"
    http_port: StrictInt = Field(default=3000, ge=1, le=65535)

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str) -> str:
        # The Slack SDK appends method names to this base, so it must end with "/".
        return _url(value, ("https", "http")).rstrip("/") + "/"


class MatrixSettings(_Model):
    """The Matrix connection: homeserver, the bot's account and the command prefix.

    The access token comes from the MATRIX_ACCESS_TOKEN environment variable.
    """

    homeserver: StrictStr = "http://127.0.0.1:8008"
    user_id: StrictStr = ""
    command_prefix: NonEmpty = "!terreau"

    @field_validator("homeserver")
    @classmethod
    def _homeserver(cls, value: str) -> str:
        return _url(value, ("https", "http")).rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _user_id(cls, value: str) -> str:
        if value and not _MATRIX_USER.fullmatch(value):
            raise ValueError(f'a Matrix user id looks like "@terreau:example.org", got "{value}"')
        return value

    @field_validator("command_prefix")
    @classmethod
    def _command_prefix(cls, value: str) -> str:
        if any(character.isspace() for character in value):
            raise ValueError(f'the command prefix is one word, like "!terreau", got "{value}"')
        return value


class SchedulerSettings(_Model):
    """How many scheduled runs may execute at once."""

    workers: StrictInt = Field(default=32, ge=1)


class IngestSettings(_Model):
    """Batching of the interaction log, and whether message text is kept."""

    batch_size: StrictInt = Field(default=500, ge=1)
    flush_interval_ms: StrictInt = Field(default=200, ge=1)
    queue_size: StrictInt = Field(default=4_000, ge=1)
    """Rows held in memory for the writer: one of its largest batches (eight of
    `batch_size`). 10,000 held 12 MiB more at the peak of a 100,000-member burst
    (`bench_rss.py`) and wrote no faster."""
    store_content: StrictBool = False

    @field_validator("queue_size")
    @classmethod
    def _queue_holds_a_batch(cls, value: int, info: ValidationInfo) -> int:
        batch = info.data.get("batch_size")
        if batch is not None and value < batch:
            raise ValueError(f"must be at least batch_size ({batch}), got {value}")
        return value


class CommunityConfig(_Model):
    """One community the bot serves, with its language, timezone, channels and rituals."""

    platform: Literal["console", "discord", "slack", "matrix"]
    id: StrictStr
    name: NonEmpty
    language: Literal["en", "fr"] = "en"
    timezone: StrictStr = "UTC"
    moderator_roles: tuple[NonEmpty, ...] = ()
    channels: dict[Slug, NonEmpty] = Field(default_factory=dict)
    _sections: dict[type[BaseModel], BaseModel] = PrivateAttr(default_factory=dict)

    @property
    def key(self) -> str:
        """Return the deployment-wide key of this community (`platform:id`)."""
        return community_key(self.platform, self.id)

    def community(self) -> Community:
        """Return the domain view of this community."""
        return Community(
            platform=self.platform,
            id=self.id,
            name=self.name,
            language=self.language,
            timezone=self.timezone,
        )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str, info: ValidationInfo) -> str:
        platform = info.data.get("platform")
        if platform == "discord" and not _DISCORD_ID.fullmatch(value):
            raise ValueError(
                f'a Discord server id is a number like "123456789012345678", got "{value}"'
            )
        if platform == "slack" and not _SLACK_ID.fullmatch(value):
            raise ValueError(f'a Slack workspace id looks like "T0123ABCD", got "{value}"')
        if platform == "console":
            slug(value)
        if platform == "matrix" and not _MATRIX_ROOM.fullmatch(value):
            _slug_or(value, 'a Matrix space id like "!abc:example.org", or a slug naming the rooms')
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            hint = suggestion(value, sorted(available_timezones()), quote='"')
            raise ValueError(f'unknown timezone "{value}"{hint}') from None
        return value

    def section(self, model: type[M]) -> M:
        """Return this community's table of a feature, `[communities.<key>]`, as `model`.

        A table the file leaves out reads as the model's defaults.
        """
        # Read where pydantic keeps private attributes: `self._sections` goes through
        # pydantic's `__getattr__` (2 us), and features ask for every event.
        private = self.__pydantic_private__
        assert private is not None
        found = private["_sections"].get(model)
        if found is None:
            raise KeyError(f"no feature declares a config section of {model.__name__}")
        assert isinstance(found, model)
        return found

    @model_validator(mode="wrap")
    @classmethod
    def _with_sections(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """Validate the core keys and every feature's table, reporting all errors at once."""
        if not isinstance(data, Mapping):
            return handler(data)
        sections = registered_sections()
        keys = {section.key for section in sections}
        if taken := sorted(keys.intersection(cls.model_fields)):
            raise TypeError(f"config sections named like keys of every community: {taken}")
        errors: list[ErrorDetails] = []
        tables: dict[type[BaseModel], BaseModel] = {}
        for section in sections:
            try:
                tables[section.model] = section.model.model_validate(data.get(section.key, {}))
            except ValidationError as error:
                errors.extend(
                    {**found, "loc": (section.key, *found["loc"])} for found in error.errors()
                )
        community: Self | None = None
        try:
            community = handler({key: value for key, value in data.items() if key not in keys})
        except ValidationError as error:
            errors.extend(error.errors())
        if errors or community is None:
            raise ValidationError.from_exception_data(cls.__name__, [_again(e) for e in errors])
        community._sections.update(tables)
        dump = {
            **community.model_dump(),
            **{section.key: tables[section.model].model_dump() for section in sections},
        }
        _raise_findings(
            [found for section in sections if section.findings for found in section.findings(dump)]
        )
        return community


class Settings(_Model):
    """The whole operator configuration, without secrets (those come from the environment)."""

    config_path: Path | None = None
    database_url: StrictStr = "sqlite+aiosqlite:///terreau.db"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    prompts_dir: Path = DEFAULT_PROMPTS_DIR
    console: ConsoleSettings = ConsoleSettings()
    discord: DiscordSettings = DiscordSettings()
    slack: SlackSettings = SlackSettings()
    matrix: MatrixSettings = MatrixSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    ingest: IngestSettings = IngestSettings()
    observability: ObservabilityConfig = ObservabilityConfig()
    export_dir: Path = Path("exports")
    communities: tuple[CommunityConfig, ...] = Field(min_length=1)

    def unread_text_notice(self, community: CommunityConfig) -> str | None:
        """Return, for operators, why and how Terreau cannot read what members type; None if it can.

        Discord sends message text only to a bot granted the Message Content intent;
        Slack and the console always send it. Whether the text is *stored* is another
        choice (`[ingest] store_content`), applied when the interaction log is written.
        """
        if community.platform == "discord" and not self.discord.message_content:
            return (
                "Discord's Message Content intent is off ([discord] message_content = false), "
                "so Terreau cannot read what members type: typed trivia answers are off "
                "(rounds ask questions with buttons only) and reports count no questions asked"
            )
        return None

    def reads_member_text(self, community: CommunityConfig) -> bool:
        """Return whether features can read what members type in `community`."""
        return self.unread_text_notice(community) is None

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if _URL_PASSWORD.match(value):
            raise ValueError(
                "remove the password from database_url: secrets are never read from the config "
                "file; set the TERREAU_DATABASE_PASSWORD environment variable"
            )
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError(f'invalid database URL "{value}"') from None
        if driver not in DATABASE_DRIVERS:
            wanted = " or ".join(f"{name}://" for name in DATABASE_DRIVERS)
            raise ValueError(f'unsupported database driver "{driver}" (use {wanted})')
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("prompts_dir")
    @classmethod
    def _prompts_dir(cls, value: Path, info: ValidationInfo) -> Path:
        config_path = info.data.get("config_path")
        if not value.is_absolute() and config_path is not None:
            value = config_path.parent / value
        if not value.is_dir():
            raise ValueError(f"directory not found: {value}")
        return value

    @model_validator(mode="after")
    def _unique_communities(self) -> Self:
        _raise_findings(community_key_findings([c.model_dump() for c in self.communities]))
        return self

    @model_validator(mode="after")
    def _matrix_rooms(self) -> Self:
        _raise_findings(matrix_findings(self.model_dump()))
        return self


def matrix_findings(data: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Find Matrix communities without the bot's user id, or with room ids that are not."""
    findings: list[tuple[tuple[str | int, ...], str]] = []
    communities = data.get("communities")
    matrix = data.get("matrix")
    user_id = matrix.get("user_id") if isinstance(matrix, Mapping) else None
    for index, community in enumerate(communities if isinstance(communities, list) else ()):
        if not isinstance(community, Mapping) or community.get("platform") != "matrix":
            continue
        if not user_id:
            findings.append(
                (("matrix", "user_id"), "set the bot's Matrix user id: a community is on Matrix")
            )
        channels = community.get("channels")
        channels = channels if isinstance(channels, Mapping) else {}
        for purpose, room_id in channels.items():
            if isinstance(room_id, str) and not _MATRIX_ROOM.fullmatch(room_id):
                findings.append(
                    (
                        ("communities", index, "channels", str(purpose)),
                        f'a Matrix room id looks like "!abc:example.org", got "{room_id}"',
                    )
                )
        space = community.get("id")
        if not channels and not (isinstance(space, str) and _MATRIX_ROOM.fullmatch(space)):
            findings.append(
                (
                    ("communities", index, "channels"),
                    "a Matrix community without a space needs at least one room",
                )
            )
    return list(dict.fromkeys(findings))


def _again(error: ErrorDetails) -> InitErrorDetails:
    """Return a reported error as one to raise again, with its type, place and context."""
    kind = error["type"]
    return InitErrorDetails(
        type=kind if kind in _ERROR_TYPES else PydanticCustomError(kind, error["msg"]),
        loc=error["loc"],
        input=error["input"],
        ctx=error.get("ctx", {}),
    )


def _raise_findings(findings: list[tuple[tuple[str | int, ...], str]]) -> None:
    if findings:
        message = "; ".join(f"{format_path(path)}: {text}" for path, text in findings)
        raise PydanticCustomError(REFERENCE_ERROR, "{message}", {"message": message})
