"""What Terreau keeps about members: each kind declared once, for `/terreau me ...`.

A feature that stores rows about members declares them with `App.holds_personal_data`,
so `me data`, `me export` and `me forget` (and the operators' `terreau privacy`)
cover them without knowing the feature.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import MemberTable


@dataclass(frozen=True, kw_only=True, slots=True)
class PersonalData:
    """One kind of data about a member: where it is and how members are told about it."""

    name: str
    """The section of the export file, e.g. `interactions`."""
    description: str
    """The prompt key that explains it in plain words; it receives `count`."""
    table: MemberTable
    kept_on_erasure: bool = False
    """True for what erasure must keep, such as a member's opt-out."""
