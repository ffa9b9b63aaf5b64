"""From a community's profile to the features Terreau recommends, and why.

Everything here is a table, read top to bottom: the first row that matches the
community decides. Each decision carries a reason, a key of `init.reasons` in
`prompts/<lang>/init.toml`, which `terreau init` writes as a comment beside the
setting it explains. The principle behind the tables: a community is cultivated,
neither directed nor left alone, so the rhythm follows how members already meet,
and the larger and more public the space, the rarer it is to be singled out.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.onboarding._answers import Answers

ANY = "*"

SIZE_BANDS: tuple[tuple[int, str], ...] = (
    (12, "tiny"),
    (60, "small"),
    (600, "medium"),
)
"""Upper bounds (inclusive) of the size bands; anything larger is `large`."""
LARGE = "large"


@dataclass(frozen=True, kw_only=True, slots=True)
class Ritual:
    """A recommended scheduled post."""

    name: str
    pool: str
    cron: str
    thread: bool
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class GameSchedule:
    """A recommended scheduled game."""

    name: str
    game: str
    cron: str
    questions: int | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Caps:
    """How often the icebreaker may single members out."""

    max_invitees: int
    cooldown_days: int
    champions_weekly_cap: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Eligibility:
    """Who may vote for (and be) the member of the month."""

    min_tenure_days: int
    min_interactions: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Plan:
    """The features recommended for one community, each with the reason why."""

    band: str
    rituals: tuple[Ritual, ...]
    games: bool
    games_reason: str
    game_schedules: tuple[GameSchedule, ...]
    icebreaker: bool
    icebreaker_reason: str
    caps: Caps | None
    election: bool
    election_reason: str
    eligibility: Eligibility | None
    digest: bool
    digest_reason: str

    def purposes(self) -> tuple[str, ...]:
        """Return the channel purposes worth asking for, `general` first."""
        wanted = ["general", "moderators"]
        if self.games:
            wanted.append("games")
        return tuple(wanted)


# The weekly rhythm follows how members already meet: apart, they need a shared
# moment; together, one question a week is enough; at events, the chat bridges them.
RHYTHM: dict[str, tuple[Ritual, ...]] = {
    "remote": (
        Ritual(
            name="weekly-cafe",
            pool="discussion",
            cron="30 9 * * 1",
            thread=True,
            reason="rituals_remote",
        ),
        Ritual(
            name="working-on",
            pool="working_on",
            cron="0 16 * * 5",
            thread=True,
            reason="rituals_remote",
        ),
    ),
    "hybrid": (
        Ritual(
            name="weekly-cafe",
            pool="discussion",
            cron="30 9 * * 1",
            thread=True,
            reason="rituals_hybrid",
        ),
    ),
    "on_site": (
        Ritual(
            name="question-of-the-week",
            pool="discussion",
            cron="0 12 * * 3",
            thread=True,
            reason="rituals_on_site",
        ),
    ),
    "events": (
        Ritual(
            name="between-events",
            pool="show_and_tell",
            cron="0 18 1 * *",
            thread=True,
            reason="rituals_events",
        ),
    ),
}

# What members come for adds one ritual (unless the rhythm already has its pool).
FOR_BENEFIT: dict[str, Ritual] = {
    "connection": Ritual(
        name="weekend", pool="weekend", cron="0 17 * * 5", thread=True, reason="rituals_connection"
    ),
    "learning": Ritual(
        name="tip", pool="tips", cron="30 12 * * 2", thread=False, reason="rituals_learning"
    ),
    "help": Ritual(
        name="working-on", pool="working_on", cron="0 16 * * 5", thread=True, reason="rituals_help"
    ),
    "recognition": Ritual(
        name="show-and-tell",
        pool="show_and_tell",
        cron="0 17 * * 4",
        thread=True,
        reason="rituals_recognition",
    ),
}

SEASON_GAMES = (
    GameSchedule(name="weekly-trivia", game="trivia", cron="0 19 * * 3", questions=5),
    GameSchedule(name="friday-poll", game="poll", cron="0 17 * * 5"),
)
LEARNING_GAMES = (GameSchedule(name="lunch-trivia", game="trivia", cron="0 12 * * 4", questions=3),)
LIGHT_GAMES = (GameSchedule(name="friday-poll", game="poll", cron="0 15 * * 5"),)

# audience, size band, benefit -> games on?, reason, scheduled games
GAMES: tuple[tuple[str, str, str, bool, str, tuple[GameSchedule, ...]], ...] = (
    ("employees", ANY, ANY, False, "games_colleagues", ()),
    (ANY, "tiny", ANY, False, "games_tiny", ()),
    ("public", "medium", ANY, True, "games_seasons", SEASON_GAMES),
    ("public", LARGE, ANY, True, "games_seasons", SEASON_GAMES),
    (ANY, ANY, "learning", True, "games_learning", LEARNING_GAMES),
    (ANY, ANY, ANY, True, "games_light", LIGHT_GAMES),
)

# size band -> icebreaker on?, reason, caps (stricter as the space grows)
ICEBREAKER: dict[str, tuple[bool, str, Caps | None]] = {
    "tiny": (False, "icebreaker_tiny", None),
    "small": (
        True,
        "icebreaker_small",
        Caps(max_invitees=3, cooldown_days=14, champions_weekly_cap=2),
    ),
    "medium": (
        True,
        "icebreaker_medium",
        Caps(max_invitees=3, cooldown_days=21, champions_weekly_cap=2),
    ),
    LARGE: (
        True,
        "icebreaker_large",
        Caps(max_invitees=2, cooldown_days=30, champions_weekly_cap=1),
    ),
}

# audience, size band -> member of the month on?, reason, who may vote
ELECTION: tuple[tuple[str, str, bool, str, Eligibility | None], ...] = (
    (ANY, "tiny", False, "election_tiny", None),
    ("clients", ANY, False, "election_clients", None),
    ("public", LARGE, True, "election_large", Eligibility(min_tenure_days=30, min_interactions=10)),
    (ANY, ANY, True, "election_recognition", Eligibility(min_tenure_days=14, min_interactions=1)),
)


def size_band(size: int) -> str:
    """Return the band of a community of `size` members: tiny, small, medium or large."""
    for bound, band in SIZE_BANDS:
        if size <= bound:
            return band
    return LARGE


def _matches(pattern: str, value: str) -> bool:
    return pattern in (ANY, value)


def recommend(answers: Answers) -> Plan:
    """Return the features recommended for the community `answers` describe.

    The moderators' digest needs a `moderators` channel among the answers; the
    other decisions do not depend on channels, so a plan made before they are
    known already tells which channel purposes to ask for.
    """
    band = size_band(answers.size)
    rituals = list(RHYTHM[answers.meeting])
    extra = FOR_BENEFIT[answers.benefit]
    if all(ritual.pool != extra.pool for ritual in rituals):
        rituals.append(extra)
    games_on, games_reason, schedules = next(
        (on, reason, games)
        for audience, rows_band, benefit, on, reason, games in GAMES
        if _matches(audience, answers.audience)
        and _matches(rows_band, band)
        and _matches(benefit, answers.benefit)
    )
    icebreaker_on, icebreaker_reason, caps = ICEBREAKER[band]
    election_on, election_reason, eligibility = next(
        (on, reason, rule)
        for audience, rows_band, on, reason, rule in ELECTION
        if _matches(audience, answers.audience) and _matches(rows_band, band)
    )
    digest = "moderators" in answers.channels
    return Plan(
        band=band,
        rituals=tuple(rituals),
        games=games_on,
        games_reason=games_reason,
        game_schedules=schedules,
        icebreaker=icebreaker_on,
        icebreaker_reason=icebreaker_reason,
        caps=caps,
        election=election_on,
        election_reason=election_reason,
        eligibility=eligibility,
        digest=digest,
        digest_reason="digest_on" if digest else "digest_off",
    )
