"""Models → message text (HTML), in the chat's language. No Telegram calls here.

Every number keeps its market's precision; anything that came from a user or an
exchange is HTML-escaped before it is put into a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import Any

from bot.accounts import AccountSummary, ExchangeBalances
from bot.alerts.model import Kind
from bot.alerts.service import AlertView, FiredAlert
from bot.i18n import Lang
from bot.market import Comparison
from bot.rates import RatesView
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    DepositAddress,
    Market,
    OrderBook,
    Ticker,
    Trade,
)
from handlers.commands import BY_NAME, COMMANDS, N_

ARROW_UP = "▲"
ARROW_DOWN = "▼"


def exchange_title(exchange: str) -> str:
    return {"alp": "ALP.COM", "wex": "WEX", "wallexpay": "WallexPay"}.get(
        exchange, exchange.capitalize()
    )


def change(lang: Lang, pct: Decimal | None) -> str:
    if pct is None:
        return "—"
    arrow = ARROW_UP if pct > 0 else ARROW_DOWN if pct < 0 else "•"
    return f"{lang.number(pct, 2, sign=True)}% {arrow}"


def price(lang: Lang, market: Market, value: Decimal | None) -> str:
    return "—" if value is None else lang.number(value, market.price_decimals)


def amount(lang: Lang, market: Market, value: Decimal | None) -> str:
    return "—" if value is None else lang.number(value, market.amount_decimals)


def ticker_text(lang: Lang, t: Ticker) -> str:
    m = t.market
    lines = [
        lang(
            "<b>{pair}</b> on {exchange}", pair=escape(m.pair), exchange=exchange_title(m.exchange)
        ),
        lang("Last: {value} {quote}", value=price(lang, m, t.last), quote=escape(m.quote)),
        lang("Bid: {bid} · Ask: {ask}", bid=price(lang, m, t.bid), ask=price(lang, m, t.ask)),
        lang("24h change: {change}", change=change(lang, t.change_24h_pct)),
        lang(
            "24h volume: {volume} {base}",
            volume=amount(lang, m, t.volume_24h),
            base=escape(m.base),
        ),
    ]
    if t.high_24h is not None and t.low_24h is not None:
        lines.append(
            lang(
                "24h high / low: {high} / {low}",
                high=price(lang, m, t.high_24h),
                low=price(lang, m, t.low_24h),
            )
        )
    if t.stale and t.time is not None:
        lines.append(
            lang(
                "⚠️ Stale: {exchange} is not answering; this is the last price seen at {time}.",
                exchange=exchange_title(m.exchange),
                time=lang.time(t.time),
            )
        )
    elif t.time is not None:
        lines.append(lang("As of {time}", time=lang.time(t.time)))
    return "\n".join(lines)


def quotes_text(lang: Lang, symbol: str, comparison: Comparison) -> str:
    lines = [lang("<b>{symbol}</b> across exchanges", symbol=escape(symbol.upper()))]
    decimals = 8
    for q in comparison.quotes:
        if q.ticker is not None:
            decimals = q.ticker.market.price_decimals
    for q in comparison.quotes:
        if q.ticker is not None:
            t = q.ticker
            m = t.market
            lines.append(
                lang(
                    "{exchange} {pair}: {last} (bid {bid} · ask {ask}) {change}",
                    exchange=f"<b>{exchange_title(q.exchange)}</b>",
                    pair=escape(m.pair),
                    last=price(lang, m, t.last),
                    bid=price(lang, m, t.bid),
                    ask=price(lang, m, t.ask),
                    change=change(lang, t.change_24h_pct),
                )
            )
        else:
            lines.append(
                lang(
                    "{exchange}: no answer ({reason})",
                    exchange=f"<b>{exchange_title(q.exchange)}</b>",
                    reason=error_reason(lang, q.error),
                )
            )
    spread = comparison.spread
    if spread is not None:
        lines.append(
            lang(
                "Best bid {bid} on {bid_exchange} · best ask {ask} on {ask_exchange} · "
                "spread {spread}%",
                bid=lang.number(spread.bid, decimals),
                bid_exchange=exchange_title(spread.bid_exchange),
                ask=lang.number(spread.ask, decimals),
                ask_exchange=exchange_title(spread.ask_exchange),
                spread=lang.number(spread.pct, 3, sign=True),
            )
        )
        if spread.pct < 0:
            lines.append(lang("The books cross: one exchange bids above another's ask."))
    for rate in comparison.implied:
        lines.append(
            lang(
                "Implied USDT rate: {rate} {fiat} (via {coin} on {exchange})",
                rate=lang.number(rate.rate, 2),
                fiat=escape(rate.fiat),
                coin=escape(rate.via),
                exchange=exchange_title(rate.exchange),
            )
        )
    return "\n".join(lines)


def error_reason(lang: Lang, error: Exception | None) -> str:
    from exchanges.errors import RateLimited, RequestTimeout

    if isinstance(error, RequestTimeout):
        return lang("timed out")
    if isinstance(error, RateLimited):
        return lang("rate limited")
    return lang("unavailable")


def book_text(lang: Lang, book: OrderBook) -> str:
    m = book.market
    rows_a = [(price(lang, m, lv.price), amount(lang, m, lv.amount)) for lv in book.asks]
    rows_b = [(price(lang, m, lv.price), amount(lang, m, lv.amount)) for lv in book.bids]
    width_p = max((len(p) for p, _ in rows_a + rows_b), default=1)
    width_a = max((len(a) for _, a in rows_a + rows_b), default=1)

    def row(p: str, a: str) -> str:
        return f"{p.rjust(width_p)}  {a.rjust(width_a)}"

    lines = [
        lang(
            "<b>{pair}</b> order book on {exchange}",
            pair=escape(m.pair),
            exchange=exchange_title(m.exchange),
        )
    ]
    body = [lang("Asks (sellers)")]
    body += [row(p, a) for p, a in reversed(rows_a)] or [lang("(none)")]
    if book.best_bid and book.best_ask and book.best_bid.price > 0:
        spread = (book.best_ask.price - book.best_bid.price) / book.best_bid.price * 100
        body.append(lang("— spread {spread}% —", spread=lang.number(spread, 3)))
    body.append(lang("Bids (buyers)"))
    body += [row(p, a) for p, a in rows_b] or [lang("(none)")]
    lines.append("<pre>" + escape("\n".join(body)) + "</pre>")
    lines.append(
        lang("Price in {quote}, amount in {base}", quote=escape(m.quote), base=escape(m.base))
    )
    return "\n".join(lines)


def trades_text(lang: Lang, trades: Sequence[Trade], market: Market) -> str:
    lines = [
        lang(
            "<b>{pair}</b> latest trades on {exchange}",
            pair=escape(market.pair),
            exchange=exchange_title(market.exchange),
        )
    ]
    if not trades:
        lines.append(lang("No trades yet."))
        return "\n".join(lines)
    rows = []
    for tr in trades:
        side = lang("buy") if tr.side == "buy" else lang("sell") if tr.side == "sell" else "·"
        rows.append(
            (
                lang.clock(tr.time),
                side,
                price(lang, market, tr.price),
                amount(lang, market, tr.amount),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    body = [
        f"{r[0]}  {r[1].ljust(widths[1])}  {r[2].rjust(widths[2])}  {r[3].rjust(widths[3])}"
        for r in rows
    ]
    lines.append("<pre>" + escape("\n".join(body)) + "</pre>")
    lines.append(
        lang(
            "Time (UTC), side, price in {quote}, amount in {base}",
            quote=escape(market.quote),
            base=escape(market.base),
        )
    )
    return "\n".join(lines)


def help_text(lang: Lang, exchanges: Sequence[str]) -> str:
    """Every command on one line each: the list must fit one message in every language,
    so examples live in ``/help COMMAND`` (``command_help_text``)."""
    lines = [lang("<b>What I can do</b>")]
    for c in COMMANDS:
        lines.append(f"/{c.name} — {lang(c.description)}")
    lines.append("")
    lines.append(lang("Send /help COMMAND for its form and an example, e.g. /help alert"))
    lines.append(lang("Exchanges: {names}", names=", ".join(exchanges)))
    lines.append(
        lang("Symbols: the exchange's own form (BTCTMN) or BASE/QUOTE (BTC/TMN), any case.")
    )
    return "\n".join(lines)


def command_help_text(lang: Lang, name: str) -> str | None:
    """One command's form, what it does and an example; None for a command we lack."""
    command = BY_NAME.get(name.lstrip("/").split("@")[0].lower())
    if command is None:
        return None
    lines = [f"<b>{escape(command.usage)}</b>", lang(command.description)]
    if command.example:
        lines.append(lang("   e.g. {example}", example=escape(command.example)))
    return "\n".join(lines)


def start_text(lang: Lang, first_name: str, exchanges: Sequence[str]) -> str:
    return "\n".join(
        [
            lang("Hello {name}! I am Sarraf, a bot for crypto exchanges.", name=escape(first_name)),
            lang("Ask me for prices, order books and trades, for example:"),
            "/price wallex BTC/TMN",
            "",
            help_text(lang, exchanges),
        ]
    )


def usage_text(lang: Lang, problem: str, usage_line: str, **params: str) -> str:
    return "\n".join(
        [
            lang(problem, **{k: escape(v) for k, v in params.items()}),
            lang("Usage: {usage}", usage=escape(usage_line)),
        ]
    )


def markets_text(lang: Lang, exchange: str, markets: Sequence[Market], quote: str | None) -> str:
    title = exchange_title(exchange)
    if not markets:
        return lang(
            "{exchange} has no markets quoted in {quote}.",
            exchange=title,
            quote=escape(quote or ""),
        )
    head = (
        lang(
            "<b>{exchange}</b> markets in {quote} ({count})",
            exchange=title,
            quote=escape(quote),
            count=lang.integer(len(markets)),
        )
        if quote
        else lang(
            "<b>{exchange}</b> markets ({count})", exchange=title, count=lang.integer(len(markets))
        )
    )
    lines = [head]
    for m in markets:
        parts = [f"<b>{escape(m.pair)}</b> <code>{escape(m.symbol)}</code>"]
        parts.append(
            lang("price {places} dp", places=lang.integer(m.price_decimals))
            if m.tick_size is None
            else lang("tick {tick}", tick=lang.number(m.tick_size))
        )
        parts.append(
            lang("amount {places} dp", places=lang.integer(m.amount_decimals))
            if m.step_size is None
            else lang("step {step}", step=lang.number(m.step_size))
        )
        if m.min_amount is not None:
            parts.append(
                lang("min {amount} {base}", amount=lang.number(m.min_amount), base=escape(m.base))
            )
        if m.min_notional is not None:
            parts.append(
                lang(
                    "min total {total} {quote}",
                    total=lang.number(m.min_notional),
                    quote=escape(m.quote),
                )
            )
        if not m.active:
            parts.append(lang("(trading paused)"))
        lines.append(" · ".join(parts))
    return "\n".join(lines)


def rate_number(lang: Lang, value: Decimal) -> str:
    """Rates have no market precision: two places for large numbers, more for small ones."""
    places = 2 if abs(value) >= 100 else 4 if abs(value) >= 1 else 8
    return lang.number(value, places)


def rates_text(
    lang: Lang, view: RatesView, currency_from: str | None, currency_to: str | None
) -> str:
    if view.rate is not None:
        r = view.rate
        pair = r.pair
        lines = [
            lang(
                "<b>WallexPay</b> {sender} → {receiver}",
                sender=escape(pair.currency_from),
                receiver=escape(pair.currency_to),
            ),
            lang(
                "1 {base} = {rate} {quote}",
                base=escape(r.base),
                rate=rate_number(lang, r.rate),
                quote=escape(r.quote),
            ),
        ]
        if pair.min_amount is not None:
            lines.append(
                lang(
                    "Least amount to exchange: {amount} {currency}",
                    amount=lang.number(pair.min_amount),
                    currency=escape(pair.currency_from),
                )
            )
        lines.append(lang("As of {time}", time=lang.time(r.time)))
        return "\n".join(lines)
    if not view.pairs:
        return lang("WallexPay offers no pair for that.")
    lines = [
        lang("<b>WallexPay</b> exchangeable pairs ({count})", count=lang.integer(len(view.pairs)))
    ]
    for p in view.pairs:
        price_text = rate_number(lang, p.price) if p.price is not None else "—"
        line = (
            f"{escape(p.currency_from)} → {escape(p.currency_to)}: "
            f"1 {escape(p.base)} = {price_text} {escape(p.quote)}"
        )
        if p.min_amount is not None:
            line += " · " + lang("min {amount}", amount=lang.number(p.min_amount))
        lines.append(line)
    lines.append(lang("For one pair: /rates FROM TO"))
    return "\n".join(lines)


def yes_no(lang: Lang, value: bool | None) -> str:
    return lang("yes") if value else lang("no") if value is False else lang("unknown")


def connected_text(lang: Lang, exchange: str, check: AccountCheck) -> str:
    lines = [
        lang(
            "✅ {exchange} is connected. Your keys are stored encrypted.",
            exchange=exchange_title(exchange),
        )
    ]
    if check.account_label:
        lines.append(lang("Account: {label}", label=escape(check.account_label)))
    rights = check.rights
    if rights is not None:
        lines.append(
            lang(
                "Key rights: read {info} · trade {trade} · withdraw {withdraw}",
                info=yes_no(lang, rights.info),
                trade=yes_no(lang, rights.trade),
                withdraw=yes_no(lang, rights.withdraw),
            )
        )
        if rights.withdraw:
            lines.append(
                lang(
                    "⚠️ <b>This key can withdraw funds.</b> Anyone who gets it can empty "
                    "your account. Prefer a key without withdrawal rights."
                )
            )
    lines.append(lang("Try /balance {name} or /deposit {name} BTC.", name=exchange))
    return "\n".join(lines)


def _when(lang: Lang, value: object) -> str:
    from datetime import datetime

    return lang.time(value) if isinstance(value, datetime) else lang("never")


def accounts_text(lang: Lang, accounts: Sequence[AccountSummary]) -> str:
    if not accounts:
        return lang("No account connected yet. Connect one with /connect EXCHANGE.")
    lines = [lang("<b>Connected accounts</b>")]
    for a in accounts:
        line = lang(
            "{exchange}: key {hint}… · connected {created} · last used {used}",
            exchange=f"<b>{exchange_title(a.exchange)}</b>",
            hint=escape(a.key_hint),
            created=_when(lang, a.created_at),
            used=_when(lang, a.last_used_at),
        )
        if a.can_withdraw:
            line += " · " + lang("⚠️ can withdraw")
        lines.append(line)
    lines.append(lang("Remove one with /disconnect EXCHANGE."))
    return "\n".join(lines)


def balances_text(lang: Lang, found: Sequence[ExchangeBalances]) -> str:
    lines: list[str] = []
    for entry in found:
        title = exchange_title(entry.exchange)
        if entry.balances is None:
            lines.append(
                lang(
                    "<b>{exchange}</b>: no answer ({reason})",
                    exchange=title,
                    reason=error_reason(lang, entry.error),
                )
            )
            continue
        shown = [b for b in entry.balances if b.total != 0]
        lines.append(lang("<b>{exchange}</b>", exchange=title))
        if not shown:
            lines.append(lang("   (all balances are zero)"))
        for b in sorted(shown, key=lambda x: x.currency):
            lines.append(
                lang(
                    "   {currency}: {available} available · {locked} locked",
                    currency=escape(b.currency),
                    available=lang.number(b.available),
                    locked=lang.number(b.locked),
                )
            )
    return "\n".join(lines)


def deposit_text(lang: Lang, exchange: str, address: DepositAddress) -> str:
    lines = [
        lang(
            "Deposit {currency} to your {exchange} account:",
            currency=escape(address.currency),
            exchange=exchange_title(exchange),
        ),
        f"<code>{escape(address.address)}</code>",
    ]
    if address.network:
        lines.append(lang("Network: {network}", network=escape(address.network)))
    if address.memo:
        lines.append(lang("Memo / tag (required): <code>{memo}</code>", memo=escape(address.memo)))
    lines.append(
        lang(
            "Send only {currency} on this network to this address.",
            currency=escape(address.currency),
        )
    )
    return "\n".join(lines)


def profile_text(lang: Lang, exchange: str, profile: AccountProfile) -> str:
    lines = [lang("<b>{exchange}</b> account", exchange=exchange_title(exchange))]
    for label, value in profile.lines:
        lines.append(f"{escape(label)}: {escape(value)}")
    for fee in profile.fees:
        parts = []
        if fee.market:
            parts.append(escape(fee.market))
        if fee.level:
            parts.append(lang("level {level}", level=escape(fee.level)))
        maker = lang.number(fee.maker_pct) + "%" if fee.maker_pct is not None else "—"
        taker = lang.number(fee.taker_pct) + "%" if fee.taker_pct is not None else "—"
        parts.append(lang("maker {maker} · taker {taker}", maker=maker, taker=taker))
        lines.append(lang("Fees: {fees}", fees=" · ".join(parts)))
    return "\n".join(lines)


def duration_text(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _alert_price(lang: Lang, view: AlertView, value: Decimal | None) -> str:
    return "—" if value is None else lang.number(value)


def alert_condition(lang: Lang, view: AlertView) -> str:
    quote = escape(view.pair.split("/")[-1])
    if view.kind is Kind.ABOVE:
        text = lang(
            "above {price} {quote}", price=_alert_price(lang, view, view.price), quote=quote
        )
    elif view.kind is Kind.BELOW:
        text = lang(
            "below {price} {quote}", price=_alert_price(lang, view, view.price), quote=quote
        )
    elif view.kind is Kind.CROSS:
        text = lang(
            "crossing {price} {quote}", price=_alert_price(lang, view, view.price), quote=quote
        )
    else:
        pct = view.pct or Decimal(0)
        size = lang.number(abs(pct))
        window = duration_text(view.window or 3600)
        if pct > 0 and view.signed:
            text = lang("up {pct}% within {window}", pct=size, window=window)
        elif pct < 0:
            text = lang("down {pct}% within {window}", pct=size, window=window)
        else:
            text = lang("moving {pct}% within {window}", pct=size, window=window)
    return text


def alert_summary(lang: Lang, view: AlertView) -> str:
    parts = [
        lang(
            "#{id} {pair} on {exchange} {condition}",
            id=view.id,
            pair=escape(view.pair),
            exchange=exchange_title(view.exchange),
            condition=alert_condition(lang, view),
        )
    ]
    if view.repeat_every:
        parts.append(lang("every {cooldown} at most", cooldown=duration_text(view.repeat_every)))
    else:
        parts.append(lang("once"))
    if view.until is not None:
        parts.append(lang("until {time}", time=lang.time(view.until)))
    return ", ".join(parts)


def alert_created_text(lang: Lang, view: AlertView, market: Market, current: Decimal) -> str:
    lines = [
        lang("🔔 Alert #{id} is set: {summary}", id=view.id, summary=alert_summary(lang, view)),
        lang(
            "Price now: {price} {quote}",
            price=price(lang, market, current),
            quote=escape(market.quote),
        ),
    ]
    if view.kind is Kind.ABOVE and view.price is not None and current >= view.price:
        lines.append(
            lang("The price is already above that level: the alert fires on the next tick.")
        )
    if view.kind is Kind.BELOW and view.price is not None and current <= view.price:
        lines.append(
            lang("The price is already below that level: the alert fires on the next tick.")
        )
    lines.append(lang("/alerts lists your alerts; /delalert {id} removes this one.", id=view.id))
    return "\n".join(lines)


_STATES = {
    "active": N_("active"),
    "paused": N_("paused"),
    "fired": N_("fired"),
}


def alerts_list_text(lang: Lang, alerts: Sequence[AlertView]) -> str:
    if not alerts:
        return lang(
            "You have no alerts. Set one with /alert, e.g. /alert wallex BTC/TMN above 10000000000"
        )
    lines = [lang("<b>Your alerts</b>")]
    for a in alerts:
        lines.append(f"{alert_summary(lang, a)} · {lang(_STATES.get(a.state, a.state))}")
    return "\n".join(lines)


def alert_fired_text(lang: Lang, fired: FiredAlert) -> tuple[str, list[list[dict[str, Any]]]]:
    view, firing = fired.alert, fired.firing
    at = datetime.fromtimestamp(firing.at, UTC)
    quote = escape(view.pair.split("/")[-1])
    lines = [
        lang(
            "🔔 <b>{pair}</b> on {exchange}: {condition}",
            pair=escape(view.pair),
            exchange=exchange_title(view.exchange),
            condition=alert_condition(lang, view),
        ),
        lang(
            "Price: {price} {quote} at {time}",
            price=lang.number(firing.price),
            quote=quote,
            time=lang.time(at),
        ),
    ]
    if firing.move_pct is not None and firing.base_price is not None:
        lines.append(
            lang(
                "Moved {move}% from {base}",
                move=lang.number(firing.move_pct, 2, sign=True),
                base=lang.number(firing.base_price),
            )
        )
    if view.repeat_every:
        lines.append(
            lang(
                "Alert #{id} stays on (every {cooldown} at most).",
                id=view.id,
                cooldown=duration_text(view.repeat_every),
            )
        )
    else:
        lines.append(lang("Alert #{id} is done.", id=view.id))
    payload: dict[str, Any] = {"id": view.id}
    row: list[dict[str, Any]] = []
    if not view.repeat_every:
        row.append({"label": lang("Re-arm"), "action": "alert_rearm", "payload": payload})
    row.append({"label": lang("Delete"), "action": "alert_delete", "payload": payload})
    row.append({"label": lang("Chart"), "action": "alert_chart", "payload": payload})
    return "\n".join(lines), [row]
