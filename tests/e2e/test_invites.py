"""Co-optation end to end: personal links, joins attributed by use counts, newcomers' word."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.domain import ChannelRef, Link, Member, MemberJoined
from bot.ports import Forbidden, Unsupported
from tests.e2e.conftest import KEY, Terreau, next_id
from tests.e2e.test_privacy import kept
from tests.fakes import FakePlatform

pytestmark = pytest.mark.invites

ALICE = Member(id="alice", display_name="Alice")
BOB = Member(id="bob", display_name="Bob")

INVITES = """
[communities.invites]
enabled = true
claim_days = 7
"""


@dataclass
class NoLinks(FakePlatform):
    """A platform where bots make no invitation links, as on Slack."""

    async def create_invite(self, where: ChannelRef) -> str:
        raise Unsupported("no links here")

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        raise Unsupported("no links here")


@dataclass
class NoManageServer(FakePlatform):
    """Discord without Manage Server: links are made, their counts cannot be read."""

    async def invite_uses(self, community: str) -> Mapping[str, int]:
        raise Forbidden("Missing Permissions")


def said(terreau: Terreau, member: Member) -> tuple[str, dict[str, object]]:
    rendered = terreau.prompts.of(terreau.answers(member)[-1])
    return rendered.key, {k: v for k, v in rendered.variables.items() if k != "member"}


def offers(terreau: Terreau, to: str) -> list[str]:
    """The newcomers `to` was offered to welcome: by direct message when they had asked for
    a link, shown to them alone in the channel when a newcomer named them."""
    return [
        str(terreau.prompts.of(item.post).variables["newcomer"].member_id)  # type: ignore[attr-defined]
        for item in terreau.platform.sent
        if item.kind in ("direct", "whisper") and item.member_id == to
    ]


async def join(terreau: Terreau, member_id: str, *, event_id: str | None = None) -> None:
    newcomer = Member(id=member_id, display_name=member_id.title(), joined_at=terreau.clock.now())
    await terreau.deliver(
        MemberJoined(
            event_id=event_id or next_id(),
            community=KEY,
            occurred_at=terreau.clock.now(),
            member=newcomer,
        )
    )


async def link(terreau: Terreau, member: Member) -> str:
    await terreau.command(member, "invite", "link")
    key, variables = said(terreau, member)
    assert key == "invites.link"
    shown = variables["link"]
    assert isinstance(shown, Link)  # a live link: Terreau got it from the platform
    return shown.url


async def test_a_member_gets_one_link_and_a_join_through_it_is_theirs(terreau: Terreau) -> None:
    await terreau.start(extra=INVITES)
    await terreau.say(ALICE, text="hi")
    alice_link = await link(terreau, ALICE)
    assert await link(terreau, ALICE) == alice_link
    bob_link = await link(terreau, BOB)
    assert list(terreau.platform.invites) == [alice_link, bob_link]

    terreau.platform.invites[alice_link] += 1
    await join(terreau, "nina", event_id="join-nina")
    await join(terreau, "nina", event_id="join-nina")  # delivered twice
    await join(terreau, "omar")  # through no member's link

    assert offers(terreau, "alice") == ["nina"]
    assert offers(terreau, "bob") == []


async def test_counts_survive_a_restart_and_two_links_at_once_name_nobody(
    terreau: Terreau,
) -> None:
    await terreau.start(extra=INVITES)
    alice_link = await link(terreau, ALICE)
    bob_link = await link(terreau, BOB)
    terreau.platform.invites[alice_link] += 1
    await join(terreau, "nina")
    invites = dict(terreau.platform.invites)
    await terreau.stop()

    await terreau.start(extra=INVITES)
    terreau.platform.invites = invites  # the platform keeps its counts, not the process
    invites[alice_link] += 1
    invites[bob_link] += 1
    await join(terreau, "omar")  # two links rose: who brought Omar is unknown
    invites[bob_link] += 1
    await join(terreau, "pia")

    assert offers(terreau, "alice") == []  # Nina's was before the restart
    assert offers(terreau, "bob") == ["pia"]


async def test_where_links_cannot_be_made_the_newcomer_says_who_brought_them(
    terreau: Terreau,
) -> None:
    terreau.platform_type = NoLinks
    await terreau.start(extra=INVITES)
    await terreau.say(ALICE, text="hi")
    terreau.platform.members[KEY] = {"alice": ALICE}
    await terreau.command(ALICE, "invite", "link")
    assert said(terreau, ALICE)[0] == "invites.refuse.no_links"

    await join(terreau, "nina")
    nina = Member(id="nina", display_name="Nina", joined_at=terreau.clock.now())
    await terreau.command(nina, "invite", "from", "@alice")
    assert said(terreau, nina)[0] == "invites.declared"
    await terreau.command(nina, "invite", "from", "@alice")
    assert said(terreau, nina)[0] == "invites.refuse.already"
    await terreau.command(nina, "invite", "from", "@nina")
    assert said(terreau, nina)[0] in ("invites.refuse.self", "invites.refuse.unknown")

    assert offers(terreau, "alice") == ["nina"]


async def test_a_late_claim_and_an_opted_out_co_opter_are_respected(terreau: Terreau) -> None:
    terreau.platform_type = NoLinks
    await terreau.start(extra=INVITES)
    terreau.platform.members[KEY] = {"alice": ALICE}
    await terreau.command(ALICE, "me", "optout")
    await join(terreau, "nina")
    await join(terreau, "omar")
    nina = Member(id="nina", display_name="Nina", joined_at=terreau.clock.now())
    omar = Member(id="omar", display_name="Omar", joined_at=terreau.clock.now())

    await terreau.command(nina, "invite", "from", "@alice")
    assert said(terreau, nina)[0] == "invites.declared"
    await terreau.at(terreau.clock.now() + timedelta(days=8))
    await terreau.command(omar, "invite", "from", "@alice")

    assert said(terreau, omar) == ("invites.refuse.too_late", {"days": 7})
    assert offers(terreau, "alice") == []  # Alice opted out of direct messages


async def test_without_manage_server_links_are_made_but_joins_are_not_attributed(
    terreau: Terreau,
) -> None:
    terreau.platform_type = NoManageServer
    await terreau.start(extra=INVITES)
    alice_link = await link(terreau, ALICE)
    terreau.platform.invites[alice_link] += 1

    await join(terreau, "nina")

    assert offers(terreau, "alice") == []


async def test_me_data_lists_links_and_cooptations_on_both_sides(terreau: Terreau) -> None:
    await terreau.start(extra=INVITES)
    alice_link = await link(terreau, ALICE)
    terreau.platform.invites[alice_link] += 1
    await join(terreau, "nina")

    await terreau.command(ALICE, "me", "data")
    shown = kept(terreau)
    assert (shown.get("invite_links"), shown.get("brought")) == (1, 1)
    nina = Member(id="nina", display_name="Nina")
    await terreau.command(nina, "me", "data")
    assert kept(terreau).get("brought_by") == 1
