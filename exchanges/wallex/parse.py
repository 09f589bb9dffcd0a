"""Wallex JSON → models, and Wallex's error envelope → the error tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    RejectedRequest,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpReply
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    BookLevel,
    Candle,
    DepositAddress,
    Fee,
    Market,
    OrderBook,
    Side,
    Tick,
    Ticker,
    Trade,
)
from exchanges.wire import (
    as_list,
    as_mapping,
    field,
    from_timestamp,
    opt_decimal,
    parse_iso_time,
    to_decimal,
)

NAME = "wallex"


def result(reply: HttpReply, *, symbol: str = "", interval: str = "") -> Any:
    """The ``result`` of a successful envelope, or the matching error."""
    body = reply.json(NAME)
    envelope = as_mapping(NAME, body, "answer")
    if envelope.get("success") is True and reply.status < 400:
        return field(NAME, envelope, "result")
    raise envelope_error(envelope, symbol=symbol, interval=interval)


def envelope_error(
    envelope: Mapping[str, Any],
    *,
    symbol: str = "",
    interval: str = "",
    supported: Sequence[str] = (),
) -> Exception:
    message = str(envelope.get("message") or "request refused")
    details = envelope.get("result")
    if isinstance(details, Mapping):
        if "symbol" in details:
            return UnknownSymbol(NAME, symbol or "?")
        if "resolution" in details:
            return UnsupportedInterval(NAME, interval or "?", supported)
        reasons = [str(r) for v in details.values() if isinstance(v, list) for r in v]
        if reasons:
            message = f"{message} {' '.join(reasons)}"
    return RejectedRequest(NAME, message)


def markets(result: Any) -> list[Market]:
    symbols = as_mapping(NAME, field(NAME, result, "symbols"), "symbols")
    out = []
    for raw in symbols.values():
        m = as_mapping(NAME, raw, "market")
        amount_places = int(
            to_decimal(NAME, m.get("stepSize", m.get("baseAssetPrecision")), "stepSize")
        )
        price_places = int(to_decimal(NAME, m.get("tickSize", m.get("quotePrecision")), "tickSize"))
        out.append(
            Market(
                exchange=NAME,
                symbol=str(field(NAME, m, "symbol")),
                base=str(field(NAME, m, "baseAsset")).upper(),
                quote=str(field(NAME, m, "quoteAsset")).upper(),
                price_decimals=price_places,
                amount_decimals=amount_places,
                min_amount=opt_decimal(NAME, m.get("minQty"), "minQty"),
                max_amount=opt_decimal(NAME, m.get("maxQty"), "maxQty"),
                min_notional=opt_decimal(NAME, m.get("minNotional"), "minNotional"),
            )
        )
    return out


def market_stats(result: Any, symbol: str) -> Mapping[str, Any]:
    symbols = as_mapping(NAME, field(NAME, result, "symbols"), "symbols")
    if symbol not in symbols:
        raise UnknownSymbol(NAME, symbol)
    return as_mapping(NAME, field(NAME, symbols[symbol], "stats"), "stats")


def ticker(market: Market, stats: Mapping[str, Any], now: datetime) -> Ticker:
    return Ticker(
        market=market,
        last=to_decimal(NAME, field(NAME, stats, "lastPrice"), "lastPrice"),
        bid=opt_decimal(NAME, stats.get("bidPrice"), "bidPrice"),
        ask=opt_decimal(NAME, stats.get("askPrice"), "askPrice"),
        change_24h_pct=opt_decimal(NAME, stats.get("24h_ch"), "24h_ch"),
        volume_24h=opt_decimal(NAME, stats.get("24h_volume"), "24h_volume"),
        quote_volume_24h=opt_decimal(NAME, stats.get("24h_quoteVolume"), "24h_quoteVolume"),
        high_24h=opt_decimal(NAME, stats.get("24h_highPrice"), "24h_highPrice"),
        low_24h=opt_decimal(NAME, stats.get("24h_lowPrice"), "24h_lowPrice"),
        time=now,
    )


def _levels(raw: Any, what: str, limit: int) -> tuple[BookLevel, ...]:
    levels = []
    for item in as_list(NAME, raw, what)[:limit]:
        levels.append(
            BookLevel(
                price=to_decimal(NAME, field(NAME, item, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, item, "quantity"), "quantity"),
            )
        )
    return tuple(levels)


def order_book(market: Market, result: Any, limit: int, now: datetime) -> OrderBook:
    bids = sorted(_levels(field(NAME, result, "bid"), "bid", 10_000), key=lambda lv: -lv.price)
    asks = sorted(_levels(field(NAME, result, "ask"), "ask", 10_000), key=lambda lv: lv.price)
    return OrderBook(market=market, bids=tuple(bids[:limit]), asks=tuple(asks[:limit]), time=now)


def trades(market: Market, result: Any, limit: int) -> list[Trade]:
    out = []
    for raw in as_list(NAME, field(NAME, result, "latestTrades"), "latestTrades")[:limit]:
        out.append(
            Trade(
                market=market,
                price=to_decimal(NAME, field(NAME, raw, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, raw, "quantity"), "quantity"),
                side=Side.BUY if raw.get("isBuyOrder") else Side.SELL,
                time=parse_iso_time(NAME, field(NAME, raw, "timestamp"), "timestamp"),
            )
        )
    return out


def candles(body: Any) -> list[Candle]:
    data = as_mapping(NAME, body, "history")
    status = data.get("s")
    if status == "no_data":
        return []
    if status != "ok":
        raise BadResponse(NAME, f"history status {status!r}")
    columns = {k: as_list(NAME, field(NAME, data, k), k) for k in ("t", "o", "h", "l", "c", "v")}
    n = len(columns["t"])
    if any(len(col) != n for col in columns.values()):
        raise BadResponse(NAME, "history columns differ in length")
    out = []
    for i in range(n):
        out.append(
            Candle(
                time=from_timestamp(NAME, columns["t"][i], "t"),
                open=to_decimal(NAME, columns["o"][i], "o"),
                high=to_decimal(NAME, columns["h"][i], "h"),
                low=to_decimal(NAME, columns["l"][i], "l"),
                close=to_decimal(NAME, columns["c"][i], "c"),
                volume=to_decimal(NAME, columns["v"][i], "v"),
            )
        )
    return out


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)


# --- private calls ------------------------------------------------------------------


def private_result(reply: HttpReply) -> Any:
    """The ``result`` of a private call; 401/403 (the token refused) become
    ``AuthenticationError`` carrying only Wallex's own message, never the token."""
    if reply.status in (401, 403):
        message = "the API token was not accepted"
        try:
            body = reply.json(NAME)
        except BadResponse:
            body = None
        if isinstance(body, Mapping) and isinstance(body.get("message"), str):
            message = f"{message} ({body['message']})"
        raise AuthenticationError(NAME, message)
    return result(reply)


def balances(result: Any) -> list[Balance]:
    """Every currency of ``/v1/account/balances``. Wallex's ``value`` is the *total*
    (the document: "Total balance") and ``locked`` the part held by open orders, so
    what can be spent is their difference."""
    raw = as_mapping(NAME, field(NAME, result, "balances"), "balances")
    out = []
    for key, item in raw.items():
        entry = as_mapping(NAME, item, "balance")
        total = to_decimal(NAME, field(NAME, entry, "value"), "value")
        locked = to_decimal(NAME, field(NAME, entry, "locked"), "locked")
        if locked < 0 or total < locked:
            raise BadResponse(NAME, "field 'locked' exceeds the total 'value'")
        currency = str(entry.get("asset") or key).upper()
        out.append(Balance(currency=currency, available=total - locked, locked=locked))
    return sorted(out, key=lambda b: b.currency)


def mask_email(email: str) -> str:
    """``something@something.com`` → ``so***@something.com``: enough for the owner to
    recognise, too little for anyone reading over a shoulder."""
    local, at, domain = email.partition("@")
    if not at:
        return mask_middle(email)
    return f"{local[:2]}***@{domain}"


def mask_middle(text: str, keep_start: int = 4, keep_end: int = 2) -> str:
    """``09123456789`` → ``0912*****89``; short values are starred entirely."""
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[-keep_end:]


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    return value.strip() if isinstance(value, str) else ""


def account_label(profile: Any) -> str | None:
    """Who the token belongs to, for /connect: the first name and the last name's
    initial (``محمد م.``), else the masked email, else the client id."""
    data = as_mapping(NAME, profile, "profile")
    first, last = _text(data, "first_name"), _text(data, "last_name")
    if first or last:
        return f"{first} {last[0]}.".strip() if last else first
    email = _text(data, "email")
    if email:
        return mask_email(email)
    client_id = data.get("client_id")
    return f"#{client_id}" if isinstance(client_id, int | str) and client_id != "" else None


def account_check(profile: Any) -> AccountCheck:
    """Wallex does not say what a token may do, so the rights stay unknown (None)."""
    return AccountCheck(account_label=account_label(profile), rights=None)


def _plain(value: Decimal) -> Decimal:
    """``0.300000000`` → ``0.3`` without turning ``30`` into ``3E+1``."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _level(thresholds: Any, volume: Decimal) -> str | None:
    """The 1-based fee level: how many of the document's ``levels`` thresholds the
    recent trade value has reached."""
    if not isinstance(thresholds, list) or not thresholds:
        return None
    reached = sum(1 for t in thresholds if to_decimal(NAME, t, "levels") <= volume)
    return str(reached) if reached else None


def fees(result: Any) -> tuple[Fee, ...]:
    """``/v1/account/fee``: one entry per market with ``makerFeeRate``/``takerFeeRate``
    as fractions (``"0.00300000"`` is 0.3 %), plus ``default`` and ``metaData`` that
    are not markets. The level is read off ``metaData.levels`` (toman thresholds) for
    TMN markets and ``metaData.coin_levels`` for the others."""
    data = as_mapping(NAME, result, "fees")
    meta = data.get("metaData")
    meta = meta if isinstance(meta, Mapping) else {}
    out = []
    for symbol, item in data.items():
        if symbol in ("default", "metaData") or not isinstance(item, Mapping):
            continue
        maker = to_decimal(NAME, field(NAME, item, "makerFeeRate"), "makerFeeRate")
        taker = to_decimal(NAME, field(NAME, item, "takerFeeRate"), "takerFeeRate")
        volume = opt_decimal(NAME, item.get("recent_days_sum"), "recent_days_sum")
        thresholds = meta.get("levels") if symbol.endswith("TMN") else meta.get("coin_levels")
        out.append(
            Fee(
                maker_pct=_plain(maker * 100),
                taker_pct=_plain(taker * 100),
                level=_level(thresholds, volume) if volume is not None else None,
                market=symbol,
            )
        )
    return tuple(sorted(out, key=lambda f: f.market or ""))


def profile(profile: Any, fee_result: Any) -> AccountProfile:
    """The lines /profile shows: name, masked email and mobile, verification, member
    since, recent trade value; the national code, address and birthday are left out
    on purpose (nothing the bot needs, everything an onlooker should not see)."""
    data = as_mapping(NAME, profile, "profile")
    lines: list[tuple[str, str]] = []
    name = f"{_text(data, 'first_name')} {_text(data, 'last_name')}".strip()
    if name:
        lines.append(("Name", name))
    if _text(data, "email"):
        lines.append(("Email", mask_email(_text(data, "email"))))
    if _text(data, "mobile_number"):
        lines.append(("Mobile", mask_middle(_text(data, "mobile_number"))))
    if _text(data, "verification"):
        lines.append(("Verification", _text(data, "verification")))
    if _text(data, "created_at"):
        since = parse_iso_time(NAME, data["created_at"], "created_at")
        lines.append(("Member since", since.date().isoformat()))
    meta = as_mapping(NAME, fee_result, "fees").get("metaData")
    if isinstance(meta, Mapping) and meta.get("latestTradesSum") is not None:
        recent = to_decimal(NAME, meta["latestTradesSum"], "latestTradesSum")
        lines.append(("Recent trade value (TMN)", str(recent)))
    return AccountProfile(lines=tuple(lines), fees=fees(fee_result))


def _enabled(obj: Mapping[str, Any], key: str) -> bool:
    return str(obj.get(key, "ENABLE")).upper() == "ENABLE"


def deposit_address(result: Any, currency: str, network: str | None) -> DepositAddress:
    """The address of ``/v1/account/wallets/{currency}`` on ``network`` (matched
    without regard to case), or on the first network open for deposits when none is
    named, in the order Wallex lists them."""
    data = as_mapping(NAME, result, "wallet")
    coin = data.get("coin_type")
    if isinstance(coin, Mapping) and not _enabled(coin, "deposit_availability"):
        raise RejectedRequest(NAME, f"deposits of {currency.upper()} are disabled")
    wallets = as_mapping(NAME, field(NAME, data, "wallets"), "wallets")
    offered: list[tuple[str, Mapping[str, Any]]] = []
    for key, raw in wallets.items():
        wallet = as_mapping(NAME, raw, "wallet")
        net = wallet.get("network")
        name = str(net.get("name") or key) if isinstance(net, Mapping) else str(key)
        offered.append((name, wallet))
    if not offered:
        raise RejectedRequest(NAME, f"no deposit network for {currency.upper()}")
    names = ", ".join(name for name, _ in offered)

    def open_for_deposit(wallet: Mapping[str, Any]) -> bool:
        net = wallet.get("network")
        return not isinstance(net, Mapping) or _enabled(net, "deposit_availability")

    if network is None:
        chosen = next(((n, w) for n, w in offered if open_for_deposit(w)), None)
        if chosen is None:
            raise RejectedRequest(NAME, f"deposits of {currency.upper()} are disabled on {names}")
    else:
        chosen = next(((n, w) for n, w in offered if n.upper() == network.upper()), None)
        if chosen is None:
            raise RejectedRequest(
                NAME, f"{currency.upper()} has no network {network!r}; offered: {names}"
            )
        if not open_for_deposit(chosen[1]):
            raise RejectedRequest(
                NAME, f"deposits of {currency.upper()} on {chosen[0]} are disabled"
            )
    name, wallet = chosen
    address = wallet.get("address")
    if not isinstance(address, str) or not address:
        raise RejectedRequest(NAME, f"no {currency.upper()} deposit address on {name} yet")
    memo = wallet.get("memo")
    return DepositAddress(
        currency=currency.upper(),
        address=address,
        network=name,
        memo=str(memo) if isinstance(memo, str | int) and memo != "" else None,
    )


# --- stream payloads ----------------------------------------------------------------

TRADE = "trade"
MARKET_CAP = "marketCap"


def channel(symbol: str, kind: str) -> str:
    """``BTCTMN`` + ``trade`` → ``BTCTMN@trade``, the document's channel spelling."""
    return f"{symbol}@{kind}"


def split_channel(name: str) -> tuple[str, str] | None:
    """``BTCTMN@trade`` → (``BTCTMN``, ``trade``); None for anything else."""
    symbol, at, kind = name.partition("@")
    if not at or not symbol or kind not in (TRADE, MARKET_CAP):
        return None
    return symbol, kind


def _stream_price(symbol: str, value: Any, name: str) -> Decimal:
    """A price off the stream; TMN prices are whole tomans, written by Wallex with
    sixteen zero decimals, so they are given back as integers."""
    price = to_decimal(NAME, value, name)
    if price <= 0:
        raise BadResponse(NAME, f"field {name!r} is not a positive price")
    if symbol.endswith("TMN") and price == price.to_integral_value():
        return price.quantize(Decimal(1))
    return price


def _opt_stream_price(symbol: str, value: Any, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    return _stream_price(symbol, value, name)


def stream_tick(symbol: str, kind: str, payload: Any, now: datetime) -> Tick:
    """One ``@trade`` (``price``, ``quantity``, ``isBuyOrder``) or ``@marketCap``
    (``lastPrice``, ``bidPrice``, ``askPrice``, ``symbol`` …) payload as a Tick. A
    ``symbol`` in the payload must match its channel's."""
    data = as_mapping(NAME, payload, f"{kind} payload")
    named = data.get("symbol")
    if isinstance(named, str) and named and named != symbol:
        raise BadResponse(NAME, f"a {kind} payload of another market arrived")
    if kind == TRADE:
        price = _stream_price(symbol, field(NAME, data, "price"), "price")
        to_decimal(NAME, field(NAME, data, "quantity"), "quantity")
        return Tick(exchange=NAME, symbol=symbol, price=price, time=now)
    if kind == MARKET_CAP:
        return Tick(
            exchange=NAME,
            symbol=symbol,
            price=_stream_price(symbol, field(NAME, data, "lastPrice"), "lastPrice"),
            time=now,
            bid=_opt_stream_price(symbol, data.get("bidPrice"), "bidPrice"),
            ask=_opt_stream_price(symbol, data.get("askPrice"), "askPrice"),
        )
    raise BadResponse(NAME, f"unknown channel kind {kind!r}")
