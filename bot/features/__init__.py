"""Capabilities, each a package here that declares one `FEATURE = Feature(...)`.

The registry imports every package of this folder, so adding a feature adds a
folder and edits nothing else of the core.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from bot.feature import Feature, by_order

__all__ = ["registry"]


def registry() -> list[Feature]:
    """Return every feature of `bot/features/`, in their declared order."""
    return list(_discover())


@functools.cache
def _discover() -> tuple[Feature, ...]:
    """Import every feature package once (the config asks at each community it validates)."""
    found: dict[str, Feature] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        feature = getattr(module, "FEATURE", None)
        if not isinstance(feature, Feature):
            raise TypeError(
                f"bot/features/{info.name}/__init__.py declares no FEATURE = Feature(...)"
            )
        if feature.name in found:
            raise ValueError(f"two features are named {feature.name!r}")
        found[feature.name] = feature
    return tuple(by_order(found))
