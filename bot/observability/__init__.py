"""Watching Terreau run: Prometheus metrics, health and readiness over HTTP.

`Metrics` holds a registry of its own per app (tests stay independent); the core
updates it through a few narrow hooks. `HealthServer` serves `/healthz`, `/readyz`
and `/metrics` where `[observability] listen` says; nothing listens by default.
"""

from __future__ import annotations

from bot.observability._hooks import GatewayObserver, ReportsConnection
from bot.observability._metrics import CONTENT_TYPE, Metrics, error_status, job_kind
from bot.observability._readiness import readiness
from bot.observability._sends import ObservedSends
from bot.observability._server import HealthServer

__all__ = [
    "CONTENT_TYPE",
    "GatewayObserver",
    "HealthServer",
    "Metrics",
    "ObservedSends",
    "ReportsConnection",
    "error_status",
    "job_kind",
    "readiness",
]
