"""Commands typed as `!terreau ...` messages, their answers and their refusals, on Synapse."""

from __future__ import annotations

import pytest

from bot.domain import CommandInvoked
from tests.adapters.matrix.conftest import Community, Terreau

pytestmark = pytest.mark.matrix


async def test_a_command_is_read_with_the_console_grammar_and_answered_privately(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    typed = await community["alice"].say(community.general, "!terreau help")
    (command,) = await terreau.seen(typed)
    assert isinstance(command, CommandInvoked)
    assert (command.group, command.member.id) == ("help", community["alice"].user_id)
    answers = await community.inbox("alice")
    assert terreau.keys_shown(answers)[-1].startswith("messages.help.")
    assert await community.said() == []


async def test_a_member_is_refused_a_moderators_command_and_a_moderator_is_not(
    terreau: Terreau, community: Community
) -> None:
    await terreau.start()
    refused = await community["alice"].say(community.general, "!terreau election start")
    await terreau.seen(refused)
    assert terreau.keys_shown(await community.inbox("alice")) == [
        "messages.commands.moderators_only"
    ]
    unknown = await community["bob"].say(community.general, "!terreau dance now")
    await terreau.seen(unknown)
    assert terreau.keys_shown(await community.inbox("bob")) == ["messages.commands.unknown_group"]
