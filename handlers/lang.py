"""Which language to answer an update in."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from bot.i18n import Lang


async def lang_for(update: object, context: BotContext) -> Lang:
    """The chat's chosen language, else the user's Telegram client language where it is ours."""
    if not isinstance(update, Update):
        return context.services.i18n.get(None)
    user = update.effective_user
    chat = update.effective_chat
    return await context.services.chats.language(
        chat.id if chat else None, user.language_code if user else None
    )
