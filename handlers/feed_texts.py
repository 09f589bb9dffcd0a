"""How price boards and feed notices read (no Telegram calls)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from bot.feeds import model
from bot.feeds.model import Board, FeedView
from bot.i18n import Lang
from handlers.texts import change, exchange_title


def every_text(lang: Lang, seconds: int) -> str:
    amount, unit = model.describe_every(seconds)
    n = lang.integer(amount)
    one = amount == 1  # the catalogs carry no plural forms; each language words both
    if unit == "h":
        return lang("{n} hour", n=n) if one else lang("{n} hours", n=n)
    if unit == "m":
        return lang("{n} minute", n=n) if one else lang("{n} minutes", n=n)
    return lang("{n} second", n=n) if one else lang("{n} seconds", n=n)


def pct_text(lang: Lang, pct: Decimal) -> str:
    return lang.number(pct.normalize(), None) + "%"


def chat_name(lang: Lang, view: FeedView) -> str:
    if view.chat_title:
        return escape(view.chat_title)
    return lang("this chat")


def board_text(lang: Lang, board: Board) -> str:
    """Each market's price and 24h change with an arrow, then the time."""
    lines = [lang("📊 <b>Prices</b>")]
    for exchange, pair, quote in board.lines:
        name = lang(
            "<b>{pair}</b> · {exchange}", pair=escape(pair), exchange=exchange_title(exchange)
        )
        if quote is None:
            lines.append(lang("{market}: no price now", market=name))
            continue
        value = lang.number(quote.price, quote.price_decimals)
        line = f"{name}: <code>{value}</code>  {change(lang, quote.change_pct)}"
        if quote.stale:
            line += " " + lang("(last seen {time})", time=lang.clock(quote.at))
        lines.append(line)
    if board.moved is not None:
        moved = lang.number(board.moved, 2) + "%"
        lines.append(lang("Moved {pct} since the last board.", pct=moved))
    lines.append(lang("🕒 {time} UTC", time=lang.clock(board.at)))
    return "\n".join(lines)


def mode_text(lang: Lang, view: FeedView) -> str:
    every = every_text(lang, view.every)
    if view.move_pct is not None:
        text = lang(
            "when a price moves {pct} (checked every {every})",
            pct=pct_text(lang, view.move_pct),
            every=every,
        )
    else:
        text = lang("every {every}", every=every)
    if view.pin:
        text += ", " + lang("one pinned message kept up to date")
    return text


def markets_text(view: FeedView) -> str:
    return ", ".join(
        f"{escape(pair)} ({exchange_title(ex)})"
        for (ex, _), pair in zip(view.markets, view.pairs, strict=True)
    )


def created_text(lang: Lang, view: FeedView) -> str:
    return lang(
        "Feed #{id} is set in {chat}: {markets}, {mode}. /feeds to pause or remove it.",
        id=view.id,
        chat=chat_name(lang, view),
        markets=markets_text(view),
        mode=mode_text(lang, view),
    )


def state_text(lang: Lang, view: FeedView) -> str:
    if view.state == model.ACTIVE:
        return lang("active")
    return {
        model.REASON_REMOVED: lang("paused: I was removed"),
        model.REASON_NO_RIGHTS: lang("paused: I may not post"),
        model.REASON_NO_PIN: lang("paused: I may not pin"),
    }.get(view.paused_reason or "", lang("paused"))


def list_text(lang: Lang, feeds: Sequence[FeedView], *, channels: bool = False) -> str:
    if not feeds:
        if channels:
            return lang(
                "None of the channels you administer has a feed. In private: "
                "/feed @channel EXCHANGE SYMBOL [EVERY]."
            )
        return lang("This chat has no feeds. An admin can add one: /feed wallex BTC/TMN 5m")
    lines = [lang("<b>Feeds</b>")]
    for view in feeds:
        where = f"{chat_name(lang, view)}: " if channels else ""
        lines.append(
            f"#{view.id} · {where}{markets_text(view)} · {mode_text(lang, view)} · "
            f"{state_text(lang, view)}"
        )
    return "\n".join(lines)


def paused_text(lang: Lang, feeds: Sequence[FeedView], reason: str) -> str:
    """To the creator in private: which feeds stopped, why, and what would fix it."""
    ids = ", ".join(f"#{v.id}" for v in feeds)
    chat = chat_name(lang, feeds[0])
    channel = feeds[0].chat_kind == "channel"
    if reason == model.REASON_REMOVED:
        return lang(
            "I was removed from {chat}, so feed {ids} is paused. Add me back, then resume it "
            "with /feeds.",
            chat=chat,
            ids=ids,
        )
    if reason == model.REASON_NO_PIN:
        right = lang("Edit messages") if channel else lang("Pin messages")
        return lang(
            "I may not pin messages in {chat}, so feed {ids} is paused. Give me the admin "
            "right “{right}”, then resume it with /feeds.",
            chat=chat,
            ids=ids,
            right=right,
        )
    if channel:
        return lang(
            "I may no longer post in {chat}, so feed {ids} is paused. Give me the admin "
            "right “Post messages”, then resume it with /feeds.",
            chat=chat,
            ids=ids,
        )
    return lang(
        "I may no longer post in {chat}, so feed {ids} is paused. Let me send messages "
        "there again, then resume it with /feeds.",
        chat=chat,
        ids=ids,
    )


def resumed_text(lang: Lang, feeds: Sequence[FeedView]) -> str:
    """To the creator in private: the feeds that came back on their own, and where."""
    return lang(
        "I may post in {chat} again, so feed {ids} is running again.",
        chat=chat_name(lang, feeds[0]),
        ids=", ".join(f"#{v.id}" for v in feeds),
    )
