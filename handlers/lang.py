"""Which language to answer an update in."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import Lang


def lang_for(update: object, context: BotContext) -> Lang:
    """The chat's language: for now, the user's Telegram client language where it is ours."""
    user = update.effective_user if isinstance(update, Update) else None
    return context.services.i18n.get(user.language_code if user else None)
