"""Games storage: trivia rounds and questions, answers, polls and votes, season scores.

Uniqueness lives in the tables: one running round per channel (`active_channel`
is the channel while a round runs and NULL afterwards), one answer per member per
question, one vote per member per poll, and one score row per (source, member,
reason), so a question closed twice can never be scored twice.
"""

from bot.storage.games._personal import GameData
from bot.storage.games._records import (
    AnswerRecord,
    NewScore,
    PollRecord,
    QuestionRecord,
    RoundRecord,
    ScoreLine,
    VoteRecord,
)
from bot.storage.games._repository import Games
from bot.storage.games._rows import (
    GameAnswerRow,
    GamePollRow,
    GameQuestionRow,
    GameRoundRow,
    GameScoreRow,
    GameVoteRow,
)

__all__ = [
    "AnswerRecord",
    "GameAnswerRow",
    "GameData",
    "GamePollRow",
    "GameQuestionRow",
    "GameRoundRow",
    "GameScoreRow",
    "GameVoteRow",
    "Games",
    "NewScore",
    "PollRecord",
    "QuestionRecord",
    "RoundRecord",
    "ScoreLine",
    "VoteRecord",
]
