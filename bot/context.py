"""The bot's shared state as one typed object (PTB's `bot_data`), and the context type handlers get."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.questionlog import QuestionLog
from bot.service import IndexService
from bot.settings import BotSettings

if TYPE_CHECKING:  # the hub's jobs take a Context: importing it here at run time would be circular
    from bot.alerts.hub import Alerts


@dataclass(eq=False)
class BotData:
    """What every handler reads. PTB builds it without arguments (`ContextTypes(bot_data=BotData)`),
    so the service and settings are set right after, by `BotData.fill`. Memory only: PTB's
    persistence stays off."""

    service: IndexService = field(init=False)
    settings: BotSettings = field(init=False)
    questions: QuestionLog | None = None  # None: QUESTION_LOG=off
    alerts: Alerts | None = None
    inline_latest: dict[int, int] = field(default_factory=dict)  # reader → their newest inline update

    def fill(self, service: IndexService, settings: BotSettings, questions: QuestionLog | None = None) -> BotData:
        self.service, self.settings, self.questions = service, settings, questions
        return self


# ExtBot[int]: the bot's requests go through AIORateLimiter, whose retry count is an int.
Context = CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]
App = Application[ExtBot[int], Context, dict[Any, Any], dict[Any, Any], BotData, JobQueue[Context]]
