"""Who may run what, where: account commands only in private chats."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType

from bot.context import BotContext
from handlers.lang import lang_for
from handlers.reply import reply

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]


def private_only(handler: Handler) -> Handler:
    """Refuse in groups and channels: balances, keys and orders are nobody else's business."""

    @functools.wraps(handler)
    async def guarded(update: Update, context: BotContext) -> Any:
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            lang = await lang_for(update, context)
            await reply(
                update,
                lang(
                    "For your safety, account commands work only in a private chat with me: "
                    "open @{bot} and send the command there.",
                    bot=context.bot.username,
                ),
            )
            return None
        return await handler(update, context)

    return guarded
