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
    *,
    together: bool = True,
) -> InlineKeyboardMarkup:
    """``rows`` of (label, action, payload). ``together``: the buttons answer one question
    (Confirm/Cancel), so pressing any spends them all; otherwise each works once on its own
    (a list with a button per item)."""
    flat = [(action, payload) for row in rows for _, action, payload in row]
    buttons = context.services.buttons
    if together:
        issued = await buttons.issue(user_id, chat_id, flat)
    else:
        issued = [(await buttons.issue(user_id, chat_id, [choice]))[0] for choice in flat]
    tokens = iter(issued)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=next(tokens)) for label, _, _ in row]
            for row in rows
        ]
    )
