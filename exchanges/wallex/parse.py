"""Wallex JSON → models, and Wallex's error envelope → the error tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exchanges.errors import (
    AuthenticationError,
    BadPrecision,
    BadResponse,
    BelowMinimum,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    RejectedRequest,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpReply
from exchanges.models import (
    AccountCheck,
    AccountEvent,
    AccountProfile,
    Balance,
    BookLevel,
    Candle,
    DepositAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
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


# --- trading --------------------------------------------------------------------------
ORDER_STATUSES: dict[str, OrderStatus] = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "PENDING_CANCEL": OrderStatus.CANCELLED,
    "EXPIRED": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
}


def trading_error(reply: HttpReply) -> Exception | None:
    """The error of a refused trading call, or None when it succeeded.

    The document shows no error. Validation refusals are Laravel's 422 with reasons per
    field; other refusals a 400 with a ``message``. The reasons' words decide: places
    → ``BadPrecision``; "at least"/minimum → ``BelowMinimum``; insufficient balance →
    ``InsufficientFunds``; a market "not active" → ``MarketClosed``; an unknown
    ``clientOrderId`` → ``OrderNotFound``; an unknown symbol → ``UnknownSymbol``; any
    other refusal of an order ``InvalidOrder``, with Wallex's own words."""
    if reply.status in (401, 403):
        private_result(reply)
    body = reply.json(NAME)
    envelope = as_mapping(NAME, body, "answer")
    if envelope.get("success") is True and reply.status < 400:
        return None
    if reply.status >= 500:
        return RejectedRequest(NAME, str(envelope.get("message") or "server error"))
    message = str(envelope.get("message") or "request refused")
    details = envelope.get("result")
    fields: list[str] = []
    reasons: list[str] = []
    if isinstance(details, Mapping):
        for key, value in details.items():
            fields.append(str(key))
            if isinstance(value, list):
                reasons.extend(str(r) for r in value)
    text = " ".join(reasons) if reasons else message
    lowered = text.lower()
    if "symbol" in fields:
        return UnknownSymbol(NAME, "?")
    if "clientOrderId" in fields and "invalid" in lowered:
        return OrderNotFound(NAME, text)
    if "decimal places" in lowered:
        return BadPrecision(NAME, text)
    if "insufficient" in lowered:
        return InsufficientFunds(NAME, text)
    if "at least" in lowered or "minimum" in lowered:
        return BelowMinimum(NAME, text)
    if "not active" in lowered or "closed" in lowered:
        return MarketClosed(NAME, text)
    return InvalidOrder(NAME, text)


def trading_result(reply: HttpReply) -> Any:
    error = trading_error(reply)
    if error is not None:
        raise error
    return field(NAME, as_mapping(NAME, reply.json(NAME), "answer"), "result")


def _word_side(value: Any) -> Side:
    if isinstance(value, str) and value.strip().upper() in ("BUY", "SELL"):
        return Side.BUY if value.strip().upper() == "BUY" else Side.SELL
    raise BadResponse(NAME, "field 'side' is not BUY or SELL")


def order(raw: Any) -> Order:
    """An order of the place/cancel answers or of ``openOrders``.

    ``clientOrderId`` is the order's id (the cancel call takes it). A status of ``NEW``
    with some ``executedQty`` is partly filled. ``transactTime`` is in seconds (the
    example's 1624846226). ``fills``, where the answer lists them (``price``,
    ``quantity``, ``fee``, ``feeAsset``), give the average price and the fee.
    """
    data = as_mapping(NAME, raw, "order")
    client_id = field(NAME, data, "clientOrderId")
    if not isinstance(client_id, str) or not client_id:
        raise BadResponse(NAME, "field 'clientOrderId' is empty")
    kind_raw = str(field(NAME, data, "type")).strip().upper()
    if kind_raw not in ("LIMIT", "MARKET"):
        raise BadResponse(NAME, "field 'type' is not LIMIT or MARKET")
    kind = OrderType.LIMIT if kind_raw == "LIMIT" else OrderType.MARKET
    amount = to_decimal(NAME, field(NAME, data, "origQty"), "origQty")
    filled = to_decimal(NAME, data.get("executedQty", "0"), "executedQty")
    status = ORDER_STATUSES.get(str(field(NAME, data, "status")).strip().upper())
    if status is None:
        raise BadResponse(NAME, "field 'status' is not an order state")
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    price = _plain_or_none(opt_decimal(NAME, data.get("price"), "price"))
    spent = Decimal(0)
    fee: Decimal | None = None
    fee_currency: str | None = None
    got = Decimal(0)
    for item in as_list(NAME, data.get("fills") or [], "fills"):
        f = as_mapping(NAME, item, "fill")
        qty = to_decimal(NAME, field(NAME, f, "quantity"), "quantity")
        got += qty
        spent += qty * to_decimal(NAME, field(NAME, f, "price"), "price")
        if f.get("fee") is not None:
            fee = (fee or Decimal(0)) + to_decimal(NAME, f["fee"], "fee")
            fee_currency = str(f.get("feeAsset") or "") or None
    stamp = data.get("transactTime")
    return Order(
        exchange=NAME,
        order_id=client_id,
        symbol=str(field(NAME, data, "symbol")),
        side=_word_side(field(NAME, data, "side")),
        type=kind,
        amount=_plain(amount),
        filled=_plain(filled),
        status=status,
        price=price if kind is OrderType.LIMIT else None,
        average_price=_plain(spent / got) if got else None,
        client_order_id=client_id,
        created_at=from_timestamp(NAME, stamp, "transactTime") if stamp is not None else None,
        fee=fee,
        fee_currency=fee_currency,
    )


def _plain_or_none(value: Decimal | None) -> Decimal | None:
    return _plain(value) if value else None


def open_orders(result: Any) -> list[Order]:
    return [order(o) for o in as_list(NAME, field(NAME, result, "orders"), "orders")]


def fills(result: Any) -> list[Fill]:
    """``AccountLatestTrades``, newest first. Its rows have no order id (``""``)."""
    out = []
    for raw in as_list(NAME, field(NAME, result, "AccountLatestTrades"), "trades"):
        row = as_mapping(NAME, raw, "trade")
        is_buyer = field(NAME, row, "isBuyer")
        if not isinstance(is_buyer, bool):
            raise BadResponse(NAME, "field 'isBuyer' is not true or false")
        fee_asset = row.get("feeAsset")
        out.append(
            Fill(
                exchange=NAME,
                order_id="",
                symbol=str(field(NAME, row, "symbol")),
                side=Side.BUY if is_buyer else Side.SELL,
                price=_plain(to_decimal(NAME, field(NAME, row, "price"), "price")),
                amount=_plain(to_decimal(NAME, field(NAME, row, "quantity"), "quantity")),
                time=parse_iso_time(NAME, field(NAME, row, "timestamp"), "timestamp"),
                fee=opt_decimal(NAME, row.get("fee"), "fee"),
                fee_currency=str(fee_asset) if fee_asset else None,
            )
        )
    out.sort(key=lambda f: f.time, reverse=True)
    return out


def market_fee(result: Any, symbol: str) -> Fee | None:
    """The account's fee on one market, from ``/v1/account/fee``; None if unlisted."""
    return next((f for f in fees(result) if f.market == symbol), None)


def stream_key(profile: Any) -> str | None:
    """The private channel's key, where the profile answer carries ``stream_key``."""
    data = as_mapping(NAME, profile, "profile")
    key = data.get("stream_key")
    return key if isinstance(key, str) and key.strip() else None


def account_event(payload: Any, now: datetime) -> AccountEvent | None:
    """One push of the private channel: ``{"type": "order"|"balance"|"trade", "data":
    …}`` with ``data`` shaped as the REST answers shape it. Trades are not events of
    their own (the order push that comes with them carries the new fill)."""
    message = as_mapping(NAME, payload, "event")
    kind = message.get("type")
    data = message.get("data")
    if kind == "order":
        return AccountEvent(exchange=NAME, kind="order", order=order(data), time=now)
    if kind == "balance":
        entry = as_mapping(NAME, data, "balance")
        total = to_decimal(NAME, field(NAME, entry, "value"), "value")
        locked = to_decimal(NAME, field(NAME, entry, "locked"), "locked")
        currency = str(field(NAME, entry, "asset")).upper()
        return AccountEvent(
            exchange=NAME,
            kind="balance",
            balances=(Balance(currency=currency, available=total - locked, locked=locked),),
            time=now,
        )
    return None
