"""`[communities.invites]`: personal invitation links, and asking newcomers who brought them."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt, StrictStr

from bot.config import ConfigModel


class InvitesConfig(ConfigModel):
    """Co-optation: members bring people they know, and are offered to welcome them."""

    enabled: StrictBool = False
    channel: StrictStr = "general"
    """The channel purpose an invitation link lands in."""
    claim_days: StrictInt = Field(default=14, ge=1, le=365)
    """How long after joining a newcomer can still say who brought them."""
    offer_welcome: StrictBool = True
    """Send the co-opter a direct message offering to welcome their newcomer."""
    ask_newcomers: StrictBool = True
    """Where links cannot tell (Slack), ask each newcomer who brought them, in a message
    only they see (never a direct message)."""
