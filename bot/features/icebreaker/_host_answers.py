"""Answers to an offer to host: Accept or No thanks, pressed only by its member, once.

Accepting a ritual tells the member which post they will host (the posts feature
credits them when it goes out); accepting a group makes them its host at once: they
join it, its space is told, and `/terreau group list` names them. Accepting a live
session makes them one of its hosts at once (they see its queue, take its questions
and get its follow-up; its start post names them and they are told privately when
it starts), unless it was cancelled or started meanwhile: then they are told so,
kindly, and the offer lapses (`expired`) with nothing else changed. The moderators'
channel hears of every acceptance.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.config import CommunityConfig
from bot.domain import ChannelRef, ChoiceMade, Mention
from bot.features.icebreaker._hosting import expire_offers, live_channel
from bot.features.posts import PostsConfig
from bot.features.posts import job_id as ritual_job_id
from bot.ports import Forbidden, Unsupported
from bot.storage import UnitOfWork
from bot.storage.boards import Board, Boards
from bot.storage.groups import Group, Groups
from bot.storage.hosts import HostOffer, HostOffers
from bot.storage.live import KIND as LIVE_KIND
from bot.storage.live import LiveSessions

if TYPE_CHECKING:
    from bot.feature import FeatureContext

log = logging.getLogger(__name__)


class HostAnswers:
    """Records a member's answer to their offer, and what accepting it makes them host."""

    def __init__(self, app: FeatureContext) -> None:
        self._app = app

    async def on_choice(self, event: ChoiceMade) -> None:
        """Handle Accept or No thanks on an offer: only the member it was sent to may answer."""
        community = self._app.communities.get(event.community)
        parts = event.choice_id.split(":")
        if (
            community is None
            or len(parts) != 4
            or not parts[2].isdecimal()
            or parts[3] not in ("accept", "decline")
        ):
            await self._app.reply(event, "messages.choices.expired")
            return
        community_id = self._app.community_id(community.key)
        accept = parts[3] == "accept"
        refusal, offer, group, board = None, None, None, None
        async with self._app.store.transaction() as uow:
            await expire_offers(self._app, uow, community)
            offers = uow.repository(HostOffers)
            offer = await offers.get(community_id, int(parts[2]))
            if offer is not None and accept and offer.target_kind == "live":
                board = await self._upcoming_session(uow, community_id, offer.target_id)
            if offer is None:
                refusal = "messages.choices.expired"
            elif offer.member_id != event.member.id:
                refusal = "icebreaker.hosts.not_yours"
            elif accept and offer.target_kind == "live" and board is None:
                # Cancelled or started meanwhile: the offer lapses, nothing else changes.
                lapsed = await offers.answer(offer.id, "expired")
                gone = lapsed or offer.status == "expired"
                refusal = f"icebreaker.hosts.answer.{'live_gone' if gone else 'already'}"
            elif not await offers.answer(offer.id, "accepted" if accept else "declined"):
                already = "expired" if offer.status == "expired" else "already"
                refusal = f"icebreaker.hosts.answer.{already}"
            elif accept and offer.target_kind == "group":
                await offers.take(community_id, "group", offer.target_id, ref=event.event_id)
                group = await uow.repository(Groups).get(community_id, int(offer.target_id))
            elif accept and board is not None:
                await uow.repository(LiveSessions).add_host(board.id, community_id, offer.member_id)
        if refusal is not None or offer is None:
            await self._app.reply(event, refusal or "messages.choices.expired")
            return
        log.info(
            "offer %d in %s %s by %s",
            offer.id,
            community.key,
            "accepted" if accept else "declined",
            offer.member_id,
        )
        if not accept:
            await self._app.reply(event, "icebreaker.hosts.answer.declined")
            return
        if offer.target_kind == "ritual":
            await self._accepted_ritual(event, community, offer)
        elif board is not None:
            await self._app.reply(
                event,
                "icebreaker.hosts.answer.accepted_live",
                title=board.title,
                starts_at=board.opens_at,
                timezone=community.timezone,
                channel=live_channel(community, board.channel_id),
            )
        else:
            await self._accepted_group(event, community, offer, group)
        await self._tell_moderators(community, offer, event.member.display_name)

    async def _upcoming_session(
        self, uow: UnitOfWork, community_id: int, target_id: str
    ) -> Board | None:
        """Return the live session an offer is about if it is still to come, else None."""
        if not target_id.isdecimal():
            return None
        # Locked: a session starting at this very moment waits for the answer, or wins.
        board = await uow.repository(Boards).get(community_id, int(target_id), lock=True)
        if (
            board is None
            or board.kind != LIVE_KIND
            or board.status != "scheduled"
            or board.opens_at <= self._app.clock.now()
        ):
            return None
        return board

    async def _accepted_ritual(
        self, event: ChoiceMade, community: CommunityConfig, offer: HostOffer
    ) -> None:
        ritual = next(
            (r for r in community.section(PostsConfig).schedules if r.name == offer.target_id), None
        )
        # Hosts who accepted earlier take the posts before this one.
        async with self._app.store.read() as uow:
            queued = await uow.repository(HostOffers).waiting(
                self._app.community_id(community.key), "ritual", offer.target_id
            )
        job = ritual_job_id(community.key, offer.target_id)
        upcoming = self._app.jobs.next_runs(job, max(1, queued))
        await self._app.reply(
            event,
            "icebreaker.hosts.answer.accepted_ritual",
            ritual=offer.target_id,
            due=upcoming[-1] if upcoming else None,
            timezone=community.timezone,
            channel=self._app.channel_mention(community.key, ritual.channel) if ritual else None,
        )

    async def _accepted_group(
        self,
        event: ChoiceMade,
        community: CommunityConfig,
        offer: HostOffer,
        group: Group | None,
    ) -> None:
        topic = group.topic if group is not None else offer.topic
        space = None
        if group is not None and group.space_channel_id is not None:
            space = ChannelRef(
                community=community.key,
                channel_id=group.space_channel_id,
                thread_id=group.space_thread_id,
            )
        joined = False
        if group is not None:
            async with self._app.store.transaction() as uow:
                joined = await uow.repository(Groups).join(group, offer.member_id)
        if space is not None:
            if joined:
                try:
                    await self._app.platform(community.key).add_to_space(space, [offer.member_id])
                except (Unsupported, Forbidden) as error:
                    log.info("%s: group %s: %s", community.key, offer.target_id, error)
            async with self._app.store.transaction() as uow:
                post = self._app.catalog(community.key).post(
                    "icebreaker.hosts.group_host",
                    topic=topic,
                    host=Mention(member_id=offer.member_id, display_name=event.member.display_name),
                )
                outbox = await self._app.delivery.enqueue(
                    uow,
                    community_id=self._app.community_id(community.key),
                    where=space,
                    post=post,
                    nonce=f"icebreaker:{community.key}:host:{offer.id}",
                )
            await self._app.delivery.deliver(outbox)
        await self._app.reply(event, "icebreaker.hosts.answer.accepted_group", topic=topic)

    async def _tell_moderators(
        self, community: CommunityConfig, offer: HostOffer, name: str
    ) -> None:
        where = self._app.channel_if_configured(community.key, "moderators")
        if where is None:
            return
        async with self._app.store.transaction() as uow:
            post = self._app.catalog(community.key).post(
                "icebreaker.hosts.moderators",
                name=name,
                kind=offer.target_kind,
                target=offer.target_id,
            )
            outbox = await self._app.delivery.enqueue(
                uow,
                community_id=self._app.community_id(community.key),
                where=where,
                post=post,
                nonce=f"icebreaker:{community.key}:host:{offer.id}:moderators",
            )
        await self._app.delivery.deliver(outbox)
