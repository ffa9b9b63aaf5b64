"""Which rooms Terreau serves on Matrix, and the direct rooms it opened with members.

A community is a space (its id is the space's room id, `!...:server`) or a set of
rooms (any other id); either way its configured channels are rooms it serves. The
home room, whose membership is the community's membership, is the space, or the
first configured room when there is no space.

Matrix has no ephemeral messages: what Terreau tells one member alone goes to a
direct room with them (created with `is_direct`, so clients show it as a direct
chat). One direct room serves one member of one community; a state event of
Terreau's own type names both, so a restarted Terreau finds its direct rooms in
the room state the first sync carries, and a command typed in one is the
community's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.matrix.translate import Where

log = logging.getLogger(__name__)

DIRECT_STATE = "org.terreau.direct"
"""The state event type marking a direct room: `{"community": ..., "member": ...}`."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MatrixCommunity:
    """One community served on Matrix: its key, its space (if any) and its configured rooms."""

    key: str
    rooms: tuple[str, ...]
    space_id: str | None = None

    @property
    def home(self) -> str:
        """Return the room whose members are the community's members."""
        return self.space_id or self.rooms[0]


class RoomDirectory:
    """Rooms served (room id -> where), and direct rooms ((community, member) -> room id)."""

    def __init__(self, communities: Sequence[MatrixCommunity]) -> None:
        self.communities = {community.key: community for community in communities}
        self._served: dict[str, Where] = {}
        self._direct: dict[tuple[str, str], str] = {}
        self._direct_rooms: dict[str, tuple[str, str]] = {}
        for community in communities:
            for room_id in (community.home, *community.rooms):
                self.serve(community, room_id)

    def serve(self, community: MatrixCommunity, room_id: str) -> None:
        """Serve `room_id` as one of `community`'s rooms (a space child, a channel)."""
        known = self._served.get(room_id)
        if known is not None and known.community != community.key:
            raise ValueError(
                f"Matrix room {room_id} is configured for both {known.community} and "
                f"{community.key}; a room belongs to one community"
            )
        self._served[room_id] = Where(
            community=community.key, room_id=room_id, home=room_id == community.home
        )

    def served(self) -> list[str]:
        """Return every served room id."""
        return list(self._served)

    def where(self, room_id: str) -> Where | None:
        """Return where an event in `room_id` belongs, or None for a room Terreau ignores."""
        served = self._served.get(room_id)
        if served is not None:
            return served
        direct = self._direct_rooms.get(room_id)
        if direct is None:
            return None
        return Where(community=direct[0], room_id=room_id, home=False, listed=False)

    def direct_room(self, community: str, member_id: str) -> str | None:
        """Return the direct room opened with a member of a community, if there is one."""
        return self._direct.get((community, member_id))

    def note_direct(self, room_id: str, community: str, member_id: str) -> None:
        """Remember a direct room (found in room state, or just created)."""
        if community not in self.communities:
            return
        self._direct[(community, member_id)] = room_id
        self._direct_rooms[room_id] = (community, member_id)

    def forget_direct(self, room_id: str) -> None:
        """Forget a direct room the member left; the next private answer opens another."""
        found = self._direct_rooms.pop(room_id, None)
        if found is not None and self._direct.get(found) == room_id:
            del self._direct[found]

    def note_state(self, room_id: str, events: Iterable[Mapping[str, Any]]) -> None:
        """Read the direct-room marker from a room's state events, if it has one."""
        for event in events:
            if event.get("type") != DIRECT_STATE or event.get("state_key") != "":
                continue
            content = event.get("content") or {}
            community, member = content.get("community"), content.get("member")
            if isinstance(community, str) and isinstance(member, str):
                self.note_direct(room_id, community, member)


def direct_state(community: str, member_id: str) -> dict[str, Any]:
    """Return the initial state event marking a new direct room."""
    return {
        "type": DIRECT_STATE,
        "state_key": "",
        "content": {"community": community, "member": member_id},
    }
