"""Who may run what, where: account commands only in private chats; and how often: a
per-user command rate limit in front of every handler (``SARRAF_USER_RATE``)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import SERVICES_KEY, BotContext
from bot.ratelimit import UserRateLimiter
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


RATE_GROUP = -100
"""Before every feature's handlers (group 0) and the update-handled signal."""


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Refuse a user's messages beyond their rate before any handler works on them.

    Button presses are not counted: each is one conditional update of its own token.
    """
    settings = app.bot_data[SERVICES_KEY].settings
    limiter = UserRateLimiter(settings.user_rate)

    async def limit(update: Update, context: BotContext) -> None:
        user = update.effective_user
        if update.effective_message is None or update.callback_query is not None or user is None:
            return
        wait = limiter.check(user.id, time.monotonic())
        if wait <= 0:
            return
        if limiter.first_refusal(user.id):
            lang = await lang_for(update, context)
            await reply(
                update,
                lang(
                    "You are sending commands faster than I answer them. I will ignore new "
                    "ones for {seconds} s; then send the command again.",
                    seconds=max(1, round(wait)),
                ),
            )
        raise ApplicationHandlerStop

    app.add_handler(TypeHandler(Update, limit), group=RATE_GROUP)
