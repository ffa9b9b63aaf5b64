"""What an operator says about their community when setting Terreau up.

The questions are about the community first (who, why, how many, what members get,
how they meet), then about where it lives. Every choice is a short English word that
never reaches members: the labels shown come from `prompts/<lang>/init.toml`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LANGUAGES = ("en", "fr")
AUDIENCES = ("employees", "clients", "experts", "volunteers", "public")
"""Who the community gathers."""
BENEFITS = ("connection", "learning", "help", "recognition")
"""What a member gets from it, above all."""
MEETINGS = ("remote", "hybrid", "on_site", "events")
"""How members already meet outside the chat."""
PLATFORMS = ("discord", "slack", "console")
MAX_SIZE = 10_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Answers:
    """Everything `terreau init` asked, validated."""

    language: str
    audience: str
    purpose: str
    name: str
    size: int
    benefit: str
    meeting: str
    timezone: str
    platform: str
    community_id: str
    channels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("language", self.language, LANGUAGES),
            ("audience", self.audience, AUDIENCES),
            ("benefit", self.benefit, BENEFITS),
            ("meeting", self.meeting, MEETINGS),
            ("platform", self.platform, PLATFORMS),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        if not 1 <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be from 1 to {MAX_SIZE}, got {self.size}")
