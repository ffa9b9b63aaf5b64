"""The Slack adapter: slack-bolt's AsyncApp over Socket Mode or HTTP, Block Kit out."""

from __future__ import annotations

from adapters.slack.adapter import SlackAdapter, Workspace

__all__ = ["SlackAdapter", "Workspace"]
