"""Trivia rounds: questions one after the other, answer windows, reveals, a summary.

A round lives in the database: each question's window is a stored `closes_at`,
and the game timer closes what is due, so a restart resumes the round where it
was. Closing is a compare-and-set (`open` -> `closed`) in the same transaction as
the scores and the posts, so a question is never scored twice.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta

from bot.domain import Choice, ChoiceMade, MessagePosted, Post
from bot.features.games._answers import matches
from bot.features.games._context import GameContext, next_minute
from bot.features.games._standings import ranked
from bot.storage import Conflict, InteractionRow, NewScore, QuestionRecord, UnitOfWork

log = logging.getLogger(__name__)

NAMED = 10
"""A reveal names at most this many members who found the answer."""

MAX_ANSWER_LENGTH = 200
"""Longer messages are conversation, not answers; they are not even looked up."""


class Started(enum.Enum):
    """How a request to start a round ended."""

    STARTED = "started"
    RUNNING = "running"
    NO_QUESTIONS = "no_questions"
    NO_BUTTON_QUESTIONS = "no_button_questions"
    UNKNOWN_CATEGORY = "unknown_category"


def _followed_by(post: Post, notice: Post) -> Post:
    """Return `post` with a plain notice as its last paragraph."""
    return Post(text=f"{post.text}\n{notice.text}", mentions=post.mentions)


class Trivia:
    """Starts rounds, takes answers, and closes questions when their window ends."""

    def __init__(self, context: GameContext) -> None:
        self._ctx = context

    async def start(
        self,
        key: str,
        channel_id: str,
        *,
        category: str | None,
        count: int | None,
        started_by: str | None,
        claim: tuple[str, datetime] | None = None,
    ) -> Started:
        """Start a round in a channel (one at a time per channel) and post its first question."""
        ctx = self._ctx
        content = ctx.content(key)
        if category is not None and category not in content.categories:
            return Started.UNKNOWN_CATEGORY
        candidates = content.questions(category)
        if not candidates:
            return Started.NO_QUESTIONS
        typed = ctx.typed_answers(key)
        if not typed:
            # Nobody could answer a free question: the platform hides what members type.
            candidates = [question for question in candidates if question.is_choice]
            if not candidates:
                return Started.NO_BUTTON_QUESTIONS
        wanted = min(count or ctx.config(key).questions, len(candidates))
        community_id = ctx.community_id(key)
        now = ctx.clock_now
        outgoing: list[int] = []
        try:
            async with ctx.app.store.transaction() as uow:
                if claim is not None and not await uow.ledger.claim(*claim):
                    return Started.RUNNING
                if await uow.games.active_round(community_id, channel_id) is not None:
                    if claim is not None:
                        await uow.ledger.finish(*claim, "skipped", "a round is running")
                    return Started.RUNNING
                pool = "games.trivia" if category is None else f"games.trivia.{category}"
                ids = [question.id for question in candidates]
                picked: list[str] = []
                for _ in range(wanted):
                    left = [item for item in ids if item not in picked]
                    picked.append(
                        await uow.rotation.pick(community_id, pool, left, seed=key, at=now)
                    )
                round_id = await uow.games.start_round(
                    community_id,
                    channel_id,
                    category=category,
                    started_by=started_by,
                    questions=[(item, content.trivia[item].snapshot()) for item in picked],
                    at=now,
                )
                first = (await uow.games.questions_of(round_id))[0]
                closes_at = self._closes_at(key, now)
                await uow.games.open_question(first.id, opened_at=now, closes_at=closes_at)
                catalog = ctx.app.catalog(key)
                title = content.categories[category] if category else None
                intro = catalog.post(
                    "games.trivia.intro",
                    count=wanted,
                    category=title,
                    seconds=ctx.config(key).answer_seconds,
                    points=ctx.config(key).points,
                    bonus=ctx.config(key).first_bonus,
                )
                if not typed:
                    intro = _followed_by(intro, catalog.post("games.trivia.buttons_only"))
                outgoing.append(
                    await ctx.queue(uow, key, channel_id, intro, f"game:r{round_id}:intro")
                )
                outgoing.append(
                    await self._queue_question(uow, key, first, wanted, closes_at=closes_at)
                )
                if claim is not None:
                    await uow.ledger.finish(*claim, "done")
        except Conflict:
            log.info("%s: a trivia round started in %s at the same moment", key, channel_id)
            return Started.RUNNING
        log.info(
            "%s: trivia round %d started in %s (%d questions)", key, round_id, channel_id, wanted
        )
        ctx.deadlines.note(closes_at)
        await ctx.send(outgoing)
        return Started.STARTED

    def categories(self, key: str) -> dict[str, str]:
        """Return a community's trivia categories and their titles."""
        return self._ctx.content(key).categories

    def _closes_at(self, key: str, now: datetime) -> datetime:
        return next_minute(now + timedelta(seconds=self._ctx.config(key).answer_seconds))

    async def _queue_question(
        self,
        uow: UnitOfWork,
        key: str,
        question: QuestionRecord,
        total: int,
        *,
        closes_at: datetime,
    ) -> int:
        ctx = self._ctx
        content = question.content
        catalog = ctx.app.catalog(key)
        rendered = catalog.post(
            "games.trivia.question",
            number=question.position + 1,
            total=total,
            question=content["question"],
            difficulty=catalog.text(f"games.difficulty.{content['difficulty']}"),
            multiple_choice=bool(content["choices"]),
            closes_at=closes_at,
            timezone=ctx.community(key).timezone,
        )
        post = Post(
            text=rendered.text,
            mentions=rendered.mentions,
            choices=tuple(
                Choice(id=f"game:q{question.id}:{index}", label=label)
                for index, label in enumerate(content["choices"])
            ),
        )
        return await ctx.queue(uow, key, question.channel_id, post, f"game:q{question.id}:ask")

    # -- answers

    async def answer_choice(self, event: ChoiceMade, question_id: int, index: int) -> None:
        """Take a button answer: once per member, only while the window is open."""
        ctx = self._ctx
        if event.member.is_bot:
            return
        now = ctx.clock_now
        member = event.member
        refusal: str | None = None
        async with ctx.app.store.transaction() as uow:
            question = await uow.games.question(question_id)
            if question is None or question.community_id != ctx.community_id(event.community):
                refusal = "messages.choices.expired"
            elif (
                question.state != "open" or question.closes_at is None or now >= question.closes_at
            ):
                refusal = "games.trivia.too_late"
            elif not 0 <= index < len(question.content["choices"]):
                refusal = "messages.choices.expired"
            else:
                label = question.content["choices"][index]
                correct = label == question.content["answer"]
                if not await uow.games.add_answer(
                    question_id, member.id, member.display_name, label, correct=correct, at=now
                ):
                    refusal = "games.trivia.already_answered"
        if refusal is not None or question is None:
            await ctx.app.reply(event, refusal or "messages.choices.expired")
            return
        await ctx.log(
            [self._answer_row(event.community, question, member.id, member.display_name, correct)]
        )
        await ctx.app.reply(
            event,
            "games.trivia.answer_taken",
            answer=label,
            closes_at=question.closes_at,
            timezone=ctx.community(event.community).timezone,
        )

    async def answer_message(self, event: MessagePosted) -> None:
        """Take a free answer typed in the round's channel: a member's first message counts.

        Subscribed for the communities with games on (`GameContext.enabled`).
        """
        ctx = self._ctx
        text = event.text
        if event.member.is_bot or not text or len(text) > MAX_ANSWER_LENGTH:
            return
        if not ctx.deadlines.loaded:
            await ctx.load_deadlines()
        if ctx.deadlines.idle:
            return  # nothing is open anywhere: no need to look
        community_id = ctx.community_id(event.community)
        now = ctx.clock_now
        async with ctx.app.store.read() as uow:
            question = await uow.games.open_question_in(community_id, event.channel_id)
        if (
            question is None
            or question.content["choices"]
            or question.closes_at is None
            or now >= question.closes_at
        ):
            return
        correct = matches(text, question.content["accepted"])
        async with ctx.app.store.transaction() as uow:
            current = await uow.games.question(question.id)
            if current is None or current.state != "open":
                return
            recorded = await uow.games.add_answer(
                question.id,
                event.member.id,
                event.member.display_name,
                text.strip()[:MAX_ANSWER_LENGTH],
                correct=correct,
                at=now,
            )
        if recorded:
            await ctx.log(
                [
                    self._answer_row(
                        event.community,
                        question,
                        event.member.id,
                        event.member.display_name,
                        correct,
                    )
                ]
            )

    def _answer_row(
        self, key: str, question: QuestionRecord, member_id: str, name: str, correct: bool
    ) -> InteractionRow:
        return self._ctx.log_row(
            key,
            event_id=f"game:answer:q{question.id}:{member_id}",
            member_id=member_id,
            member_name=name,
            channel_id=question.channel_id,
            meta={
                "game": "trivia",
                "action": "answer",
                "question": question.item_id,
                "correct": correct,
            },
        )

    # -- closing

    async def close_due(self, keys: dict[int, str]) -> int:
        """Close every question whose window has ended; return how many were closed."""
        ctx = self._ctx
        async with ctx.app.store.transaction() as uow:
            due = await uow.games.due_questions(list(keys), ctx.clock_now)
        closed = 0
        for question_id in due:
            if await self.close(question_id, keys):
                closed += 1
        return closed

    async def close(self, question_id: int, keys: dict[int, str]) -> bool:
        """Close one question: score it, reveal it, then ask the next or sum the round up."""
        ctx = self._ctx
        now = ctx.clock_now
        outgoing: list[int] = []
        rows: list[InteractionRow] = []
        next_closing: datetime | None = None
        async with ctx.app.store.transaction() as uow:
            question = await uow.games.question(question_id)
            if question is None or question.community_id not in keys:
                return False
            key = keys[question.community_id]
            if not await uow.games.close_question(question_id, at=now):
                return False
            config = ctx.config(key)
            answers = await uow.games.answers(question_id)
            winners = [answer for answer in answers if answer.correct]
            source = f"q{question_id}"
            scores = [
                NewScore(
                    member_id=answer.member_id,
                    display_name=answer.display_name,
                    game="trivia",
                    source=source,
                    reason="correct",
                    points=config.points,
                )
                for answer in winners
            ]
            if winners and config.first_bonus:
                first = winners[0]
                scores.append(
                    NewScore(
                        member_id=first.member_id,
                        display_name=first.display_name,
                        game="trivia",
                        source=source,
                        reason="first",
                        points=config.first_bonus,
                    )
                )
            rows.extend(await ctx.score(uow, key, scores))
            catalog = ctx.app.catalog(key)
            content = question.content
            answer = content["answer"] if content["choices"] else content["accepted"][0]
            reveal = catalog.post(
                "games.trivia.reveal",
                number=question.position + 1,
                answer=answer,
                explanation=content.get("explanation"),
                correct=len(winners),
                answers=len(answers),
                first=winners[0].display_name if winners else None,
                winners=[answer.display_name for answer in winners[:NAMED]],
                more=max(0, len(winners) - NAMED),
                bonus=config.first_bonus,
            )
            outgoing.append(
                await ctx.queue(uow, key, question.channel_id, reveal, f"game:{source}:reveal")
            )
            questions = await uow.games.questions_of(question.round_id)
            following = [q for q in questions if q.state == "pending"]
            if following:
                upcoming = following[0]
                closes_at = next_closing = self._closes_at(key, now)
                await uow.games.open_question(upcoming.id, opened_at=now, closes_at=closes_at)
                outgoing.append(
                    await self._queue_question(
                        uow, key, upcoming, len(questions), closes_at=closes_at
                    )
                )
            elif await uow.games.finish_round(question.round_id, at=now):
                outgoing.append(await self._queue_summary(uow, key, question, questions))
        if next_closing is not None:
            ctx.deadlines.note(next_closing)
        await ctx.send(outgoing)
        await ctx.log(rows)
        return True

    async def _queue_summary(
        self, uow: UnitOfWork, key: str, last: QuestionRecord, questions: list[QuestionRecord]
    ) -> int:
        ctx = self._ctx
        lines = await uow.games.leaderboard(
            ctx.community_id(key), None, limit=10, sources=[f"q{q.id}" for q in questions]
        )
        summary = ctx.app.catalog(key).post(
            "games.trivia.summary", count=len(questions), standings=ranked(lines)
        )
        return await ctx.queue(uow, key, last.channel_id, summary, f"game:r{last.round_id}:summary")
