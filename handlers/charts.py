"""/chart: a candlestick picture from the exchange's own candles."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ChatAction, ParseMode
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from exchanges.intervals import normalise_interval
from exchanges.symbols import looks_like_symbol
from handlers.args import UsageError, clean_args
from handlers.lang import lang_for
from handlers.reply import reply
from handlers.texts import exchange_title


async def chart(update: Update, context: BotContext) -> None:
    args = clean_args(context.args)
    services = context.services
    if len(args) < 2 or len(args) > 3:
        raise UsageError("chart", "I need an exchange, a symbol and optionally an interval.")
    exchange, symbol = args[0].lower(), args[1]
    services.market.client(exchange)
    if not looks_like_symbol(symbol):
        raise UsageError("chart", "“{symbol}” is not a market symbol.", symbol=symbol)
    interval = None
    if len(args) == 3:
        interval = normalise_interval(args[2])
        if interval is None:
            raise UsageError(
                "chart", "“{interval}” is not an interval such as 15m, 1h or 1d.", interval=args[2]
            )
    lang = await lang_for(update, context)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_action(ChatAction.UPLOAD_PHOTO)
    result = await services.charts.chart(exchange, symbol, interval)
    if not result.png:
        await reply(
            update,
            lang(
                "{exchange} has no candles for {pair} yet.",
                exchange=exchange_title(exchange),
                pair=escape(result.market.pair),
            ),
        )
        return
    lines = [
        lang(
            "{pair} on {exchange}, {count} candles of {interval} (times in UTC)",
            pair=escape(result.market.pair),
            exchange=exchange_title(exchange),
            count=lang.integer(result.candles),
            interval=result.interval,
        ),
    ]
    if result.from_trades:
        lines.append(
            lang(
                "{exchange} has no candle endpoint: these candles are built from its "
                "latest trades.",
                exchange=exchange_title(exchange),
            )
        )
    if chat is not None:
        await chat.send_photo(
            photo=result.png,
            caption="\n".join(lines),
            parse_mode=ParseMode.HTML,
            filename=f"{result.market.symbol}-{result.interval}.png",
        )


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("chart", chart))
