"""/price, /book and /trades."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from exchanges.symbols import looks_like_symbol
from handlers.args import UsageError, clean_args
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import book_text, markets_text, quotes_text, ticker_text, trades_text
from handlers.world import world_line


def _exchange_and_symbol(command: str, args: list[str], context: BotContext) -> tuple[str, str]:
    market = context.services.market
    if len(args) < 2:
        if len(args) == 1 and market.is_exchange(args[0]):
            raise UsageError(
                command,
                "Which market of {exchange}? Add a symbol such as BTC/TMN.",
                exchange=args[0].lower(),
            )
        raise UsageError(command, "I need an exchange and a symbol.")
    if len(args) > 2:
        raise UsageError(command, "Too many words: I need just an exchange and a symbol.")
    exchange, symbol = args
    if not looks_like_symbol(symbol):
        raise UsageError(command, "“{symbol}” is not a market symbol.", symbol=symbol)
    market.client(exchange)  # raises UnknownExchange with the list of names
    return exchange.lower(), symbol


async def price(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    lang = await lang_for(update, context)
    market = context.services.market
    if len(args) == 1 and not market.is_exchange(args[0]):
        if not looks_like_symbol(args[0]):
            raise UsageError("price", "“{symbol}” is not a market symbol.", symbol=args[0])
        comparison = await market.compare(args[0])
        await reply(update, quotes_text(lang, args[0], comparison))
        return
    exchange, symbol = _exchange_and_symbol("price", args, context)
    ticker = await market.ticker(exchange, symbol)
    await reply(update, ticker_text(lang, ticker) + await world_line(context, lang, ticker))


async def book(update: Update, context: BotContext) -> None:
    exchange, symbol = _exchange_and_symbol("book", clean_args(context.args), context)
    order_book = await context.services.market.order_book(exchange, symbol)
    await reply(update, book_text(await lang_for(update, context), order_book))


async def trades(update: Update, context: BotContext) -> None:
    exchange, symbol = _exchange_and_symbol("trades", clean_args(context.args), context)
    service = context.services.market
    _, market = await service.market(exchange, symbol)
    latest = await service.trades(exchange, symbol)
    await reply(update, trades_text(await lang_for(update, context), latest, market))


async def markets(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    if not 1 <= len(args) <= 2:
        raise UsageError("markets", "I need an exchange and optionally a quote currency.")
    exchange = args[0].lower()
    quote = args[1].upper() if len(args) == 2 else None
    found = await context.services.market.markets(exchange)
    if quote:
        found = [m for m in found if m.quote == quote]
    await reply(update, markets_text(await lang_for(update, context), exchange, found, quote))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("price", price))
    app.add_handler(CommandHandler("book", book))
    app.add_handler(CommandHandler("trades", trades))
    app.add_handler(CommandHandler("markets", markets))
