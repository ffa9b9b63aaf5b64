"""Where a profiled run's time goes, by layer: the platform benchmarks' last section."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Mapping, Sequence


def where_time_goes(profile: cProfile.Profile, layers: Mapping[str, Sequence[str]]) -> None:
    """Print each layer's share of the event loop's own time.

    A layer is a list of parts of `file:function` (a builtin's file is `~`).
    """
    stats = pstats.Stats(profile)
    totals = dict.fromkeys(layers, 0.0)
    other = 0.0
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{function}"
        for layer, parts in layers.items():
            if any(part in where for part in parts):
                totals[layer] += own
                break
        else:
            other += own
    whole = sum(totals.values()) + other
    width = max(len(layer) for layer in layers) + 2
    print("  where Terreau's event-loop time goes (cProfile, own time):")
    for layer, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"    {layer:{width}} {100 * seconds / whole:5.1f} %")
    print(f"    {'other (builtins, logging, the rest)':{width}} {100 * other / whole:5.1f} %")
