"""The Matrix adapter as the operator's config describes it."""

from __future__ import annotations

import logging

from adapters.matrix._rooms import MatrixCommunity
from adapters.matrix.adapter import MatrixAdapter
from bot.config import Secrets, Settings
from bot.ports import Clock

log = logging.getLogger(__name__)


def communities_of(settings: Settings) -> list[MatrixCommunity]:
    """Return the Matrix communities of `settings` (a space id is a community id with `!`)."""
    return [
        MatrixCommunity(
            key=community.key,
            rooms=tuple(dict.fromkeys(community.channels.values())),
            space_id=community.id if community.id.startswith("!") else None,
        )
        for community in settings.communities
        if community.platform == "matrix"
    ]


def matrix_platform(settings: Settings, secrets: Secrets, clock: Clock) -> MatrixAdapter | None:
    """Return the adapter serving every Matrix community, or None if there is none."""
    communities = communities_of(settings)
    if not communities or secrets.matrix_access_token is None:
        return None
    return MatrixAdapter(
        homeserver=settings.matrix.homeserver,
        user_id=settings.matrix.user_id,
        access_token=secrets.matrix_access_token,
        communities=communities,
        clock=clock,
        command_prefix=settings.matrix.command_prefix,
    )
