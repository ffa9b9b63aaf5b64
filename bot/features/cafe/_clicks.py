"""The café's buttons: "did you meet?" (`cafe:g<id>:<answer>`), "stay?" (`cafe:stay:<yes|no>`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.domain import ChoiceMade
from bot.features.cafe._rounds import ANSWER_CHOICES, STAY_CHOICES
from bot.storage.cafe import Cafes

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


class Clicks:
    """Records answers to check-ins and to the question whether to stay."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def on_choice(self, event: ChoiceMade) -> None:
        """Route a café click; an id this version does not know is answered as expired."""
        parts = event.choice_id.split(":")
        if len(parts) != 3:
            await self._app.reply(event, "messages.choices.expired")
            return
        _, target, choice = parts
        if target == "stay" and choice in STAY_CHOICES:
            await self._stay(event, choice == "yes")
        elif target.startswith("g") and target[1:].isdigit() and choice in ANSWER_CHOICES:
            await self._answer(event, int(target[1:]), choice)
        else:
            await self._app.reply(event, "messages.choices.expired")

    async def _answer(self, event: ChoiceMade, group_id: int, answer: str) -> None:
        community_id = self._app.community_id(event.community)
        async with self._app.store.transaction() as uow:
            recorded = await uow.repository(Cafes).answer(
                community_id, group_id, event.member.id, answer
            )
        if not recorded:
            await self._app.reply(event, "cafe.checkin.not_yours")
            return
        log.info("café group %d in %s: %s", group_id, event.community, answer)
        await self._app.reply(event, f"cafe.checkin.thanks.{answer}")

    async def _stay(self, event: ChoiceMade, stay: bool) -> None:
        community_id = self._app.community_id(event.community)
        async with self._app.store.transaction() as uow:
            cafes = uow.repository(Cafes)
            if stay:
                await cafes.join(community_id, event.member.id)
            else:
                await cafes.leave(community_id, event.member.id)
        await self._app.reply(event, "cafe.stay.kept" if stay else "cafe.leave.done")
