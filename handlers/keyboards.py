"""Inline keyboards whose buttons carry only one-time tokens (see bot/buttons.py)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import BotContext


async def one_time_keyboard(
    context: BotContext,
    user_id: int,
    chat_id: int,
    rows: list[list[tuple[str, str, dict[str, Any]]]],
) -> InlineKeyboardMarkup:
    """``rows`` of (label, action, payload); all buttons of one keyboard are one group:
    pressing any of them spends the others."""
    flat = [(action, payload) for row in rows for _, action, payload in row]
    tokens = iter(await context.services.buttons.issue(user_id, chat_id, flat))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=next(tokens)) for label, _, _ in row]
            for row in rows
        ]
    )
