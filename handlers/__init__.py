"""Telegram in and out: each module one feature; ``register`` wires them all."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import Application

from handlers import (
    accounts,
    activity,
    addresses,
    admin,
    alerts,
    banks,
    callbacks,
    charts,
    feed_texts,
    feeds,
    guards,
    history,
    language,
    margin,
    market,
    money_texts,
    payments,
    rates,
    start,
    texts,
    trading,
    trading_texts,
    withdrawals,
)
from handlers.commands import COMMANDS
from handlers.errors import on_error


def register(app: Application) -> None:  # type: ignore[type-arg]
    guards.register(app)
    start.register(app)
    withdrawals.register_code_step(app)
    market.register(app)
    charts.register(app)
    rates.register(app)
    language.register(app)
    accounts.register(app)
    alerts.register(app)
    withdrawals.register(app)
    addresses.register(app)
    payments.register(app)
    trading.register(app)
    admin.register(app)
    history.register(app)
    banks.register(app)
    margin.register(app)
    activity.register(app)
    feeds.register(app)
    callbacks.register(app)
    start.register_fallbacks(app)
    app.add_error_handler(on_error)


__all__ = ["bot_commands", "feed_texts", "money_texts", "register", "texts", "trading_texts"]


def bot_commands() -> list[BotCommand]:
    """The menu Telegram clients show, from the same table as /help."""
    return [BotCommand(c.name, c.description) for c in COMMANDS]
