"""/rates: WallexPay's exchange rates and pairs."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from handlers.args import UsageError, clean_args
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import rates_text

_CODE = re.compile(r"^[A-Za-z0-9]{2,12}$")


async def rates(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if len(args) > 2:
        raise UsageError("rates", "Too many words: at most a currency to exchange from and one to.")
    for code in args:
        if not _CODE.match(code):
            raise UsageError(
                "rates", "“{code}” is not a currency code such as BTC or USDT.", code=code
            )
    sender = args[0].upper() if args else None
    receiver = args[1].upper() if len(args) > 1 else None
    view = await context.services.rates.rates(sender, receiver)
    await reply(update, rates_text(await lang_for(update, context), view, sender, receiver))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("rates", rates))
