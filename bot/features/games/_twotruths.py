"""Two truths and a lie: shuffled statements, votes for the lie, the author's reveal."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from bot.domain import Choice, ChoiceMade, CommandInvoked, Post
from bot.features.games._context import GameContext, next_minute
from bot.storage import InteractionRow, NewScore, PollRecord, UnitOfWork

log = logging.getLogger(__name__)

REVEAL = "reveal"


def shuffled_statements(truths: tuple[str, str], lie: str, seed: str) -> tuple[list[str], int]:
    """Return the three statements in an order that depends only on `seed`, and the lie's index."""
    statements = [truths[0], truths[1], lie]
    order = sorted(range(3), key=lambda i: hashlib.sha256(f"{seed}\x00{i}".encode()).digest())
    return [statements[i] for i in order], order.index(2)


class TwoTruths:
    """A member's three statements, posted shuffled; guesses; the reveal and its points."""

    def __init__(self, context: GameContext) -> None:
        self._ctx = context

    async def submit(self, event: CommandInvoked, truths: tuple[str, str], lie: str) -> int:
        """Post a member's statements in the channel where they ran the command."""
        ctx = self._ctx
        key = event.community
        now = ctx.clock_now
        statements, lie_index = shuffled_statements(truths, lie, event.event_id)
        closes_at = next_minute(now + timedelta(hours=ctx.config(key).twotruths_hours))
        async with ctx.app.store.transaction() as uow:
            game_id = await uow.games.add_poll(
                ctx.community_id(key),
                kind="twotruths",
                channel_id=event.channel_id,
                question=None,
                options=statements,
                closes_at=closes_at,
                author=(event.member.id, event.member.display_name),
                lie=lie_index,
                at=now,
            )
            catalog = ctx.app.catalog(key)
            rendered = catalog.post(
                "games.twotruths.post",
                author=event.member.display_name,
                statements=statements,
                closes_at=closes_at,
                timezone=ctx.community(key).timezone,
            )
            buttons = [
                Choice(id=f"game:t{game_id}:{index}", label=statement)
                for index, statement in enumerate(statements)
            ]
            buttons.append(
                Choice(
                    id=f"game:t{game_id}:{REVEAL}",
                    label=catalog.text("games.twotruths.reveal_button"),
                )
            )
            post = Post(text=rendered.text, mentions=rendered.mentions, choices=tuple(buttons))
            outbox_id = await ctx.queue(uow, key, event.channel_id, post, f"game:t{game_id}:post")
        ctx.deadlines.note(closes_at)
        await ctx.send([outbox_id])
        return game_id

    async def guess(self, event: ChoiceMade, game_id: int, index: int) -> None:
        """Take a member's one guess at the lie (the author cannot guess)."""
        ctx = self._ctx
        member = event.member
        if member.is_bot:
            return
        now = ctx.clock_now
        refusal: str | None = None
        async with ctx.app.store.transaction() as uow:
            game = await uow.games.poll(game_id)
            if game is None or game.community_id != ctx.community_id(event.community):
                refusal = "messages.choices.expired"
            elif game.state != "open":
                refusal = "games.twotruths.closed"
            elif game.author_id == member.id:
                refusal = "games.twotruths.own_game"
            elif not 0 <= index < len(game.options):
                refusal = "messages.choices.expired"
            elif not await uow.games.vote(
                game_id, member.id, member.display_name, index, change=False, at=now
            ):
                refusal = "games.twotruths.already_guessed"
        if refusal is not None or game is None:
            await ctx.app.reply(event, refusal or "messages.choices.expired")
            return
        await ctx.log(
            [
                ctx.log_row(
                    event.community,
                    event_id=f"game:vote:t{game_id}:{member.id}",
                    member_id=member.id,
                    member_name=member.display_name,
                    channel_id=game.channel_id,
                    meta={
                        "game": "twotruths",
                        "action": "vote",
                        "game_id": game_id,
                        "option": index,
                    },
                )
            ]
        )
        await ctx.app.reply(event, "games.twotruths.guessed", statement=game.options[index])

    async def reveal(self, event: ChoiceMade, game_id: int, *, moderator: bool) -> None:
        """Close the game on its author's (or a moderator's) click and reveal the lie."""
        ctx = self._ctx
        async with ctx.app.store.transaction() as uow:
            game = await uow.games.poll(game_id)
        if game is None or game.community_id != ctx.community_id(event.community):
            await ctx.app.reply(event, "messages.choices.expired")
            return
        if game.author_id != event.member.id and not moderator:
            await ctx.app.reply(event, "games.twotruths.author_only", author=game.author_name)
            return
        if not await self.close_one(event.community, game_id):
            await ctx.app.reply(event, "games.twotruths.closed")

    async def close_one(self, key: str, game_id: int) -> bool:
        """Close one game now; False if it was already closed."""
        ctx = self._ctx
        rows: list[InteractionRow] = []
        async with ctx.app.store.transaction() as uow:
            game = await uow.games.poll(game_id)
            if game is None or not await uow.games.close_poll(game_id, at=ctx.clock_now):
                return False
            outgoing, rows = await self.close(uow, key, game)
        await ctx.send(outgoing)
        await ctx.log(rows)
        await ctx.retire_buttons(key, f"game:t{game_id}:post")
        return True

    async def close(
        self, uow: UnitOfWork, key: str, game: PollRecord
    ) -> tuple[list[int], list[InteractionRow]]:
        """Score and reveal a game just closed (inside the closing transaction)."""
        ctx = self._ctx
        config = ctx.config(key)
        votes = await uow.games.votes(game.id)
        spotted = [vote for vote in votes if vote.option == game.lie]
        fooled = len(votes) - len(spotted)
        source = f"t{game.id}"
        scores = [
            NewScore(
                member_id=vote.member_id,
                display_name=vote.display_name,
                game="twotruths",
                source=source,
                reason="spotted",
                points=config.spot_points,
            )
            for vote in spotted
            if config.spot_points
        ]
        if fooled and config.fool_points and game.author_id and game.author_name:
            scores.append(
                NewScore(
                    member_id=game.author_id,
                    display_name=game.author_name,
                    game="twotruths",
                    source=source,
                    reason="fooled",
                    points=config.fool_points * fooled,
                )
            )
        rows = await ctx.score(uow, key, scores)
        assert game.lie is not None
        post = ctx.app.catalog(key).post(
            "games.twotruths.revealed",
            author=game.author_name,
            lie=game.options[game.lie],
            spotted=[vote.display_name for vote in spotted],
            fooled=fooled,
            guesses=len(votes),
            spot_points=config.spot_points,
            fool_points=config.fool_points * fooled,
        )
        outgoing = [await ctx.queue(uow, key, game.channel_id, post, f"game:{source}:reveal")]
        return outgoing, rows
