"""Quick polls: buttons, private confirmation of one's own vote, results only at closing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.domain import Choice, ChoiceMade, Post
from bot.features.games._context import GameContext, next_minute
from bot.features.games._standings import bar
from bot.storage import PollRecord, UnitOfWork

log = logging.getLogger(__name__)


def poll_options(text: str) -> list[str]:
    """Split a command's options on `|` (or on commas when there is no `|`)."""
    separator = "|" if "|" in text else ","
    return [part.strip() for part in text.split(separator) if part.strip()]


class Polls:
    """Opens polls (by command or schedule), takes votes, posts results when they close."""

    def __init__(self, context: GameContext) -> None:
        self._ctx = context

    async def start(
        self,
        key: str,
        channel_id: str,
        *,
        question: str,
        options: Sequence[str],
        title: str | None = None,
        item_id: str | None = None,
        content_kind: str | None = None,
        claim: tuple[str, datetime] | None = None,
    ) -> int | None:
        """Open a poll and post it; None when a scheduled run was already claimed."""
        ctx = self._ctx
        now = ctx.clock_now
        closes_at = next_minute(now + timedelta(minutes=ctx.config(key).poll_minutes))
        async with ctx.app.store.transaction() as uow:
            if claim is not None and not await uow.ledger.claim(*claim):
                return None
            poll_id = await uow.games.add_poll(
                ctx.community_id(key),
                kind="poll",
                channel_id=channel_id,
                question=question,
                options=options,
                closes_at=closes_at,
                item_id=item_id,
                content_kind=content_kind,
                at=now,
            )
            rendered = ctx.app.catalog(key).post(
                "games.poll.post",
                title=title,
                question=question,
                options=list(options),
                closes_at=closes_at,
                timezone=ctx.community(key).timezone,
            )
            post = Post(
                text=rendered.text,
                mentions=rendered.mentions,
                choices=tuple(
                    Choice(id=f"game:p{poll_id}:{index}", label=label)
                    for index, label in enumerate(options)
                ),
            )
            outbox_id = await ctx.queue(uow, key, channel_id, post, f"game:p{poll_id}:post")
            if claim is not None:
                await uow.ledger.finish(*claim, "done")
        ctx.deadlines.note(closes_at)
        await ctx.send([outbox_id])
        return poll_id

    async def start_from_content(
        self,
        key: str,
        channel_id: str,
        *,
        kind: str | None = None,
        claim: tuple[str, datetime] | None = None,
    ) -> int | None:
        """Open the next poll of the content rotation (of one kind, or any)."""
        ctx = self._ctx
        items = ctx.content(key).poll_items(kind)
        if not items:
            log.warning("%s: no poll content%s", key, f" of kind {kind}" if kind else "")
            return None
        pool = "games.polls" if kind is None else f"games.polls.{kind}"
        async with ctx.app.store.transaction() as uow:
            if claim is not None and await uow.ledger.get(*claim) is not None:
                return None
            item_id = await uow.rotation.pick(
                ctx.community_id(key), pool, [item.id for item in items], seed=key, at=ctx.clock_now
            )
        item = ctx.content(key).polls[item_id]
        return await self.start(
            key,
            channel_id,
            question=item.question,
            options=item.options,
            title=ctx.content(key).poll_kinds.get(item.kind),
            item_id=item.id,
            content_kind=item.kind,
            claim=claim,
        )

    async def vote(self, event: ChoiceMade, poll_id: int, index: int) -> None:
        """Take (or change) a member's vote; only they are told what they chose."""
        ctx = self._ctx
        member = event.member
        if member.is_bot:
            return
        now = ctx.clock_now
        refusal: str | None = None
        async with ctx.app.store.transaction() as uow:
            poll = await uow.games.poll(poll_id)
            if poll is None or poll.community_id != ctx.community_id(event.community):
                refusal = "messages.choices.expired"
            elif poll.state != "open" or (poll.closes_at is not None and now >= poll.closes_at):
                refusal = "games.poll.closed"
            elif not 0 <= index < len(poll.options):
                refusal = "messages.choices.expired"
            else:
                await uow.games.vote(
                    poll_id, member.id, member.display_name, index, change=True, at=now
                )
        if refusal is not None or poll is None:
            await ctx.app.reply(event, refusal or "messages.choices.expired")
            return
        await ctx.log(
            [
                ctx.log_row(
                    event.community,
                    event_id=f"game:vote:p{poll_id}:{member.id}:{event.event_id}",
                    member_id=member.id,
                    member_name=member.display_name,
                    channel_id=poll.channel_id,
                    meta={"game": "poll", "action": "vote", "poll": poll_id, "option": index},
                )
            ]
        )
        await ctx.app.reply(
            event,
            "games.poll.voted",
            choice=poll.options[index],
            closes_at=poll.closes_at,
            timezone=ctx.community(event.community).timezone,
        )

    async def close(self, uow: UnitOfWork, key: str, poll: PollRecord) -> list[int]:
        """Post the results of a poll just closed (inside the closing transaction)."""
        votes = await uow.games.votes(poll.id)
        counts = [0] * len(poll.options)
        for vote in votes:
            counts[vote.option] += 1
        total = len(votes)
        best = max(counts) if total else 0
        rows = [
            {
                "label": label,
                "count": count,
                "percent": round(100 * count / total) if total else 0,
                "bar": bar(count, total),
                "leading": total > 0 and count == best,
            }
            for label, count in zip(poll.options, counts, strict=True)
        ]
        results = self._ctx.app.catalog(key).post(
            "games.poll.results", question=poll.question, rows=rows, total=total
        )
        return [
            await self._ctx.queue(uow, key, poll.channel_id, results, f"game:p{poll.id}:results")
        ]
