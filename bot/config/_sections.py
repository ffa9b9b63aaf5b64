"""A feature's own table under each `[[communities]]`, and where the config finds them.

A feature declares `ConfigSection(key, model, findings)` in its `Feature(config=...)`.
The config does not import the features (they import the config): it asks
`bot.features.registry()` by name, the first time a community is validated.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from bot._toml_lines import KeyPath

Findings = Callable[[Mapping[str, object]], list[tuple[KeyPath, str]]]


@dataclass(frozen=True)
class ConfigSection:
    """The TOML table `[communities.<key>]` of one feature.

    `model` validates it; every field has a default, so the table may be absent.
    `findings` runs cross-key rules on the whole community's plain data (a dict,
    as read from the file or dumped from the models) and returns (key path within
    the community, message) pairs.
    """

    key: str
    model: type[BaseModel]
    findings: Findings | None = None


def registered_sections() -> list[ConfigSection]:
    """Return the config sections of every registered feature, in the features' order."""
    features = importlib.import_module("bot.features")
    sections: list[ConfigSection] = []
    for feature in features.registry():
        section = feature.config
        if section is None:
            continue
        for other in sections:
            if section.key == other.key or section.model is other.model:
                raise TypeError(
                    f"feature {feature.name!r} declares the config section {section.key!r} "
                    f"({section.model.__name__}), which another feature declares already"
                )
        sections.append(section)
    return sections
