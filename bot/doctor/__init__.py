"""`terreau doctor`: check the database and each platform with the real tokens.

Each platform's checks live in its adapter (`adapters/<platform>/doctor.py`) behind
the `PlatformProbe` protocol; the core checks the database, gathers the findings
and writes them in plain words, each problem with its fix.
"""

from __future__ import annotations

from bot.doctor._database import examine_database
from bot.doctor._findings import Finding, Findings, PlatformProbe, Status, Words, healthy
from bot.doctor._report import render_findings

__all__ = [
    "Finding",
    "Findings",
    "PlatformProbe",
    "Status",
    "Words",
    "examine_database",
    "healthy",
    "render_findings",
]
