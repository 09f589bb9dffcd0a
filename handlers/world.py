"""The world-price line under ``/price wallex SYMBOL`` (Wallex's global stats)."""

from __future__ import annotations

from bot.context import BotContext
from bot.i18n import Lang
from bot.world_prices import WorldPrices
from exchanges.models import Ticker
from exchanges.wallex.world import WorldStats
from handlers.texts import change

WORLD_KEY = "sarraf.world_prices"


def world_prices(context: BotContext) -> WorldPrices:
    """One cache per application (kept in ``bot_data``, built on first use)."""
    found = context.application.bot_data.get(WORLD_KEY)
    if not isinstance(found, WorldPrices):
        found = WorldPrices(context.services.market)
        context.application.bot_data[WORLD_KEY] = found
    return found


def world_text(lang: Lang, stats: WorldStats) -> str:
    if stats.price_usd is None:
        return ""
    places = 2 if stats.price_usd >= 1 else 6
    price = lang.number(stats.price_usd, places)
    line = lang("🌍 World price: ${price}", price=price)
    if stats.change_24h_pct is not None:
        line += " · " + lang("24h {change}", change=change(lang, stats.change_24h_pct))
    if stats.rank is not None:
        line += " · " + lang("rank #{rank}", rank=lang.integer(stats.rank))
    return line


async def world_line(context: BotContext, lang: Lang, ticker: Ticker) -> str:
    """``"\\n" + the line`` for a Wallex ticker whose coin Wallex has stats for, else ""."""
    market = ticker.market
    stats = await world_prices(context).of(market.exchange, market.base)
    text = world_text(lang, stats) if stats is not None else ""
    return "\n" + text if text else ""
