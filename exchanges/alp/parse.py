"""ALP.COM JSON → models, and its error answers → the error tree.

Pure functions over decoded bodies (every fraction already a ``Decimal``), so each is
testable on the document's example payloads without a network. The public market data
comes from HTTP API v1; the account functions read v1 ``wallets/`` and the v3
``feeinfo``/``accounts`` answers (see ``exchanges.alp.account`` for why those).
"""

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
    ExchangeError,
    InsufficientFunds,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    RateLimited,
    RejectedRequest,
    UnknownSymbol,
    UnsupportedInterval,
)
from exchanges.http import HttpReply
from exchanges.models import (
    Balance,
    BookLevel,
    Candle,
    Deposit,
    Fee,
    Fill,
    Market,
    Order,
    OrderBook,
    OrderStatus,
    OrderType,
    Side,
    Ticker,
    Trade,
    TransferStatus,
    Withdrawal,
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

NAME = "alp"


def checked(
    reply: HttpReply, *, symbol: str = "", interval: str = "", supported: Sequence[str] = ()
) -> Any:
    """The decoded body of a successful reply, or the error its answer states."""
    if reply.status < 400:
        return reply.json(NAME)
    try:
        body = reply.json(NAME)
    except BadResponse:
        raise BadResponse(NAME, f"HTTP {reply.status} with an answer that is not JSON") from None
    raise error(reply.status, body, symbol=symbol, interval=interval, supported=supported)


def error(
    status: int,
    body: Any,
    *,
    symbol: str = "",
    interval: str = "",
    supported: Sequence[str] = (),
) -> ExchangeError:
    """Django REST Framework's error shapes mapped onto our tree.

    ``{"detail": ...}`` carries 401/403/404/429; ``{"<param>": [reasons]}`` a 400. A 404
    on a call that names a pair in its path, or a 400 about ``pair``, means the pair
    does not exist; a 400 about ``timeframe`` means the candle interval does not. The
    v3 API documents only its status codes (400, 401); its reason is read from
    ``message`` (or ``error``, the key v1 uses in a refused order's answer) when the
    body has one, and a 401 is an authentication error whatever the body says.
    """
    detail = _reason(body)
    if status == 429:
        return RateLimited(NAME, detail or "too many requests")
    if status in (401, 403):
        return AuthenticationError(NAME, detail or "not authorised")
    if status == 404:
        if symbol:
            return UnknownSymbol(NAME, symbol)
        return RejectedRequest(NAME, detail or "not found")
    if isinstance(body, Mapping):
        if "pair" in body:
            return UnknownSymbol(NAME, symbol or _first(body["pair"]))
        if "timeframe" in body:
            return UnsupportedInterval(NAME, interval or "?", supported)
        if detail:
            return RejectedRequest(NAME, detail)
        reasons = [f"{key}: {_first(value)}" for key, value in body.items()]
        if reasons:
            return RejectedRequest(NAME, "; ".join(reasons))
    return RejectedRequest(NAME, f"refused with HTTP {status}")


def _reason(body: Any) -> str:
    """The human reason of an error body: DRF's ``detail``, else ``message``/``error``."""
    if not isinstance(body, Mapping):
        return ""
    for key in ("detail", "message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def reason_of(body: Any) -> str:
    """The human reason of an error body (see ``_reason``)."""
    return _reason(body)


def _first(value: Any) -> str:
    if isinstance(value, list) and value:
        return str(value[0])
    return str(value)


def _places(raw: Mapping[str, Any], key: str) -> int:
    value = to_decimal(NAME, field(NAME, raw, key), key)
    if value != value.to_integral_value() or value < 0:
        raise BadResponse(NAME, f"field {key!r} is not a number of decimal places")
    return int(value)


def currencies(body: Any) -> dict[str, str]:
    """Currency code → its sign."""
    out: dict[str, str] = {}
    for raw in as_list(NAME, body, "currencies"):
        code = str(field(NAME, raw, "short_name")).upper()
        out[code] = str(as_mapping(NAME, raw, "currency").get("sign") or code)
    return out


def markets(body: Any) -> list[Market]:
    out = []
    for raw in as_list(NAME, body, "pairs"):
        m = as_mapping(NAME, raw, "pair")
        out.append(
            Market(
                exchange=NAME,
                symbol=str(field(NAME, m, "name")),
                base=str(field(NAME, m, "currency1")).upper(),
                quote=str(field(NAME, m, "currency2")).upper(),
                price_decimals=_places(m, "price_precision"),
                amount_decimals=_places(m, "amount_precision"),
                min_amount=opt_decimal(NAME, m.get("minimum_order_size"), "minimum_order_size"),
                max_amount=opt_decimal(NAME, m.get("maximum_order_size"), "maximum_order_size"),
            )
        )
    return out


def ticker_entry(body: Any, symbol: str) -> Mapping[str, Any]:
    """This pair's entry of a ``ticker/`` list; absent means the pair is not traded."""
    for raw in as_list(NAME, body, "tickers"):
        entry = as_mapping(NAME, raw, "ticker")
        if entry.get("pair") == symbol:
            return entry
    raise UnknownSymbol(NAME, symbol)


def _positive(raw: Mapping[str, Any], key: str) -> Decimal | None:
    """A price where 0 means "none" (an empty book side, no trade in 24 hours)."""
    value = opt_decimal(NAME, raw.get(key), key)
    return value if value else None


def ticker(market: Market, raw: Mapping[str, Any]) -> Ticker:
    last = to_decimal(NAME, field(NAME, raw, "last"), "last")
    diff = opt_decimal(NAME, raw.get("diff"), "diff")
    change: Decimal | None = None
    if diff is not None and last - diff != 0:
        change = diff / (last - diff) * 100
    stamp = raw.get("timestamp")
    return Ticker(
        market=market,
        last=last,
        bid=_positive(raw, "buy"),
        ask=_positive(raw, "sell"),
        change_24h_pct=change,
        volume_24h=opt_decimal(NAME, raw.get("vol"), "vol"),
        high_24h=_positive(raw, "high"),
        low_24h=_positive(raw, "low"),
        time=from_timestamp(NAME, stamp, "timestamp") if stamp is not None else None,
    )


def _levels(raw: Any, what: str) -> dict[Decimal, Decimal]:
    """Price → amount, summing single orders at one price (an ungrouped book)."""
    levels: dict[Decimal, Decimal] = {}
    for item in as_list(NAME, raw, what):
        price = to_decimal(NAME, field(NAME, item, "price"), "price")
        amount = to_decimal(NAME, field(NAME, item, "amount"), "amount")
        levels[price] = levels.get(price, Decimal(0)) + amount
    return levels


def order_book(market: Market, body: Any, limit: int, now: datetime) -> OrderBook:
    data = as_mapping(NAME, body, "orderbook")
    bids = sorted(_levels(field(NAME, data, "buy"), "buy").items(), key=lambda lv: -lv[0])
    asks = sorted(_levels(field(NAME, data, "sell"), "sell").items(), key=lambda lv: lv[0])
    return OrderBook(
        market=market,
        bids=tuple(BookLevel(p, a) for p, a in bids[:limit]),
        asks=tuple(BookLevel(p, a) for p, a in asks[:limit]),
        time=now,
    )


_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def trades(market: Market, body: Any, limit: int) -> list[Trade]:
    """Newest first; entries of other pairs (a filter the server ignored) are dropped."""
    stamped: list[tuple[Decimal, Trade]] = []
    for raw in as_list(NAME, body, "exchanges"):
        t = as_mapping(NAME, raw, "exchange")
        if t.get("pair", market.symbol) != market.symbol:
            continue
        stamp = to_decimal(NAME, field(NAME, t, "timestamp"), "timestamp")
        trade_id = t.get("id")
        stamped.append(
            (
                stamp,
                Trade(
                    market=market,
                    price=to_decimal(NAME, field(NAME, t, "price"), "price"),
                    amount=to_decimal(NAME, field(NAME, t, "amount"), "amount"),
                    side=_SIDES.get(str(t.get("type", "")).lower()),
                    time=from_timestamp(NAME, stamp, "timestamp"),
                    trade_id=None if trade_id is None else str(trade_id),
                ),
            )
        )
    stamped.sort(key=lambda st: st[0], reverse=True)
    return [tr for _, tr in stamped[:limit]]


def candles(body: Any) -> list[Candle]:
    """Oldest first, one candle per open time, whatever order the server listed them in."""
    by_time: dict[datetime, Candle] = {}
    for raw in as_list(NAME, body, "chart"):
        c = as_mapping(NAME, raw, "candle")
        at = from_timestamp(NAME, field(NAME, c, "time"), "time")
        by_time[at] = Candle(
            time=at,
            open=to_decimal(NAME, field(NAME, c, "open"), "open"),
            high=to_decimal(NAME, field(NAME, c, "high"), "high"),
            low=to_decimal(NAME, field(NAME, c, "low"), "low"),
            close=to_decimal(NAME, field(NAME, c, "close"), "close"),
            volume=to_decimal(NAME, field(NAME, c, "volume"), "volume"),
        )
    return [by_time[t] for t in sorted(by_time)]


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)


# --- account (signed calls) ---------------------------------------------------------


def wallets(body: Any) -> list[Balance]:
    """v1 ``wallets/`` rows → balances: ``balance`` is available, ``reserve`` locked.

    The v3 balances call says ``reserve`` is "locked in orders", and its wallet
    activity moves an amount between ``reserve`` and ``balance`` with opposite deltas,
    so ``balance`` does not include ``reserve``: the total is their sum.
    """
    out = []
    for raw in as_list(NAME, body, "wallets"):
        w = as_mapping(NAME, raw, "wallet")
        out.append(
            Balance(
                currency=str(field(NAME, w, "currency")).upper(),
                available=to_decimal(NAME, field(NAME, w, "balance"), "balance"),
                locked=to_decimal(NAME, field(NAME, w, "reserve"), "reserve"),
            )
        )
    return out


def _pct(raw: Mapping[str, Any], key: str) -> Decimal:
    """A fee rate (a fraction: 0.001 is 0.1 %) as a percentage, exactly."""
    pct = to_decimal(NAME, field(NAME, raw, key), key).scaleb(2)
    # 0 or 1 scaled by 100 would read "0E+2"/"1E+2"; keep whole percentages plain.
    exponent = pct.as_tuple().exponent
    return pct.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else pct


def fees(body: Any) -> list[Fee]:
    """v3 ``feeinfo`` rules → fees, active ones only, in ``priority`` order (1 first).

    Rates are fractions of the traded value: the document's own trade example charges
    ``fee_rate`` 0.001 on 23400.34 × 0.05 as ``fee_amount`` 1.170017. A rule names a
    ``pair``, a ``currency`` or neither (the account's default), and that is its market.
    """
    ranked: list[tuple[bool, Decimal, int, Fee]] = []
    for index, raw in enumerate(as_list(NAME, body, "fee info")):
        rule = as_mapping(NAME, raw, "fee rule")
        if rule.get("is_active") is False:
            continue
        priority = opt_decimal(NAME, rule.get("priority"), "priority")
        scope = str(rule.get("pair") or "") or str(rule.get("currency") or "")
        fee = Fee(
            maker_pct=_pct(rule, "maker_fee_rate"),
            taker_pct=_pct(rule, "taker_fee_rate"),
            market=scope or None,
        )
        # Rules without a priority go last, in the order listed.
        ranked.append((priority is None, priority or Decimal(0), index, fee))
    ranked.sort(key=lambda item: item[:3])
    return [item[3] for item in ranked]


def fee_currencies(body: Any) -> list[str]:
    """The currencies the active fee rules charge in, sorted (empty when none is named)."""
    found = {
        str(rule.get("fee_currency") or "").upper()
        for rule in (as_mapping(NAME, raw, "fee rule") for raw in as_list(NAME, body, "fee info"))
        if rule.get("is_active") is not False
    }
    return sorted(found - {""})


def account_lines(body: Any) -> tuple[tuple[str, str], ...]:
    """v3 ``accounts`` → label/value lines of the key's own account.

    Without ``include_subaccounts`` the list holds the key's account; the first entry
    that is not a sub-account is shown (else the first entry).
    """
    entries = [as_mapping(NAME, raw, "account") for raw in as_list(NAME, body, "accounts")]
    if not entries:
        return ()
    own = next((a for a in entries if not a.get("id_parent")), entries[0])
    lines: list[tuple[str, str]] = []
    if own.get("name"):
        lines.append(("Account", str(own["name"])))
    lines.append(("Account ID", str(field(NAME, own, "id"))))
    if own.get("email"):
        lines.append(("Email", str(own["email"])))
    if own.get("id_parent"):
        lines.append(("Sub-account of", str(own["id_parent"])))
    return tuple(lines)


# --- trading and transfers ------------------------------------------------------------
# The document shows no refusal text for orders; these phrases are matched (case-
# insensitively) in the ``error`` (v1) or ``message`` (v3) of a 400, so the bot can
# say what to change. Anything else about an order is an InvalidOrder.
_ORDER_REFUSALS: tuple[tuple[str, type[ExchangeError]], ...] = (
    ("insufficient", InsufficientFunds),
    ("not enough", InsufficientFunds),
    ("minimum", BelowMinimum),
    ("precision", BadPrecision),
    ("decimal places", BadPrecision),
    ("not trading", MarketClosed),
    ("suspended", MarketClosed),
    ("not found", OrderNotFound),
    ("unknown pair", UnknownSymbol),
)
V1_ORDER_STATES = {1: OrderStatus.OPEN, 2: OrderStatus.CANCELLED, 3: OrderStatus.FILLED}
V3_ORDER_STATES = {
    "NEW": OrderStatus.OPEN,
    "OPEN": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "DONE": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCELED": OrderStatus.CANCELLED,
    "EXPIRED": OrderStatus.CANCELLED,
    "REJECTED": OrderStatus.REJECTED,
}
# 10 New (verification needed), 20 Verified, 30 Approved, 40 Refused, 50 Canceled.
WITHDRAW_STATES = {
    10: TransferStatus.PENDING,
    20: TransferStatus.PENDING,
    30: TransferStatus.COMPLETED,
    40: TransferStatus.FAILED,
    50: TransferStatus.CANCELLED,
}


def order_checked(reply: HttpReply, *, symbol: str = "", order_id: str = "") -> Any:
    """Like ``checked``, with an order call's 400 read as what to change."""
    if reply.status != 400:
        if reply.status == 404 and order_id:
            raise OrderNotFound(NAME, f"no order {order_id}")
        return checked(reply, symbol=symbol)
    try:
        body = reply.json(NAME)
    except BadResponse:
        raise BadResponse(NAME, "HTTP 400 with an answer that is not JSON") from None
    reason = _reason(body)
    if not reason:
        return checked(reply, symbol=symbol)
    lowered = reason.lower()
    for phrase, kind in _ORDER_REFUSALS:
        if phrase in lowered:
            if kind is UnknownSymbol:
                raise UnknownSymbol(NAME, symbol or "?")
            raise kind(NAME, reason)
    raise InvalidOrder(NAME, reason)


def _side(value: Any) -> Side:
    text = str(value).lower()
    if text not in ("buy", "sell"):
        raise BadResponse(NAME, f"side {value!r} is neither buy nor sell")
    return Side(text)


def _stamp(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    return parse_iso_time(NAME, value, what)


def v3_order(raw: Any) -> Order:
    """One order of v3 ``GET /api/v3/orders``."""
    o = as_mapping(NAME, raw, "order")
    status = str(field(NAME, o, "status")).upper()
    if status not in V3_ORDER_STATES:
        raise BadResponse(NAME, f"order status {status!r} is not known")
    amount = to_decimal(NAME, field(NAME, o, "amount"), "amount")
    filled = to_decimal(NAME, o.get("amount_filled", 0), "amount_filled")
    state = V3_ORDER_STATES[status]
    if state is OrderStatus.OPEN and filled > 0:
        state = OrderStatus.PARTIALLY_FILLED
    kind = str(o.get("type") or "LIMIT").upper()
    price = opt_decimal(NAME, o.get("price"), "price")
    stop = opt_decimal(NAME, o.get("stop_price"), "stop_price")
    return Order(
        exchange=NAME,
        order_id=str(field(NAME, o, "id")),
        symbol=str(field(NAME, o, "pair")),
        side=_side(field(NAME, o, "side")),
        type=OrderType.MARKET
        if kind == "MARKET"
        else (OrderType.STOP_LIMIT if stop else OrderType.LIMIT),
        amount=amount,
        filled=filled,
        status=state,
        price=price if price else None,
        client_order_id=str(o.get("client_order_id") or "") or None,
        created_at=_stamp(o.get("date"), "date"),
        stop_price=stop if stop else None,
    )


def v3_orders(body: Any) -> list[Order]:
    return [v3_order(raw) for raw in as_list(NAME, body, "orders")]


def v3_order_id(body: Any) -> str:
    """``POST /api/v3/orders`` answers the bare order id (``34``)."""
    if isinstance(body, Mapping):
        body = body.get("id", body.get("order_id"))
    number = to_decimal(NAME, body, "order id")
    if number != number.to_integral_value() or number <= 0:
        raise BadResponse(NAME, "the answer is not an order id")
    return str(int(number))


def v1_order(raw: Any) -> Order:
    """``GET /api/v1/order/<pk>/``: ``amount_original`` is the order's amount and
    ``amount_filled`` what filled (``amount`` is what is left, which the example's
    numbers contradict; see the client's docstring)."""
    o = as_mapping(NAME, raw, "order")
    code = to_decimal(NAME, field(NAME, o, "status"), "status")
    if code not in V1_ORDER_STATES:
        raise BadResponse(NAME, f"order status {code} is not one the document lists")
    original = to_decimal(NAME, field(NAME, o, "amount_original"), "amount_original")
    filled = to_decimal(NAME, o.get("amount_filled", 0), "amount_filled")
    state = V1_ORDER_STATES[int(code)]
    if state is OrderStatus.OPEN and filled > 0:
        state = OrderStatus.PARTIALLY_FILLED
    date = o.get("date")
    return Order(
        exchange=NAME,
        order_id=str(field(NAME, o, "id")),
        symbol=str(field(NAME, o, "pair")),
        side=_side(field(NAME, o, "type")),
        type=OrderType.LIMIT,
        amount=original,
        filled=filled,
        status=state,
        price=opt_decimal(NAME, o.get("price"), "price"),
        created_at=None if date is None else from_timestamp(NAME, date, "date", millis=True),
    )


def own_exchanges(body: Any) -> list[Fill]:
    """v1 ``exchanges/own/``: the account's trades, newest first. The document's shape
    has no order id, so ``order_id`` is empty."""
    out = []
    for raw in as_list(NAME, body, "exchanges"):
        t = as_mapping(NAME, raw, "exchange")
        out.append(
            Fill(
                exchange=NAME,
                order_id="",
                symbol=str(field(NAME, t, "pair")),
                side=_side(field(NAME, t, "type")),
                price=to_decimal(NAME, field(NAME, t, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, t, "amount"), "amount"),
                time=from_timestamp(NAME, field(NAME, t, "timestamp"), "timestamp"),
                trade_id=str(field(NAME, t, "id")),
            )
        )
    out.sort(key=lambda f: (f.time, int(f.trade_id or 0)), reverse=True)
    return out


def account_trades(body: Any) -> list[Fill]:
    """v3 ``accounts/trades``, with the fee of each; newest first."""
    out = []
    for raw in as_list(NAME, body, "trades"):
        t = as_mapping(NAME, raw, "trade")
        out.append(
            Fill(
                exchange=NAME,
                order_id="",
                symbol=str(field(NAME, t, "pair")),
                side=_side(field(NAME, t, "side")),
                price=to_decimal(NAME, field(NAME, t, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, t, "amount"), "amount"),
                time=parse_iso_time(NAME, field(NAME, t, "date"), "date"),
                fee=opt_decimal(NAME, t.get("fee_amount"), "fee_amount"),
                fee_currency=str(t.get("fee_currency") or "") or None,
            )
        )
    out.sort(key=lambda f: f.time, reverse=True)
    return out


def deposits(body: Any) -> list[Deposit]:
    """v1 ``deposits/``: the document shows no status; a listed deposit is credited."""
    out = []
    for raw in as_list(NAME, body, "deposits"):
        d = as_mapping(NAME, raw, "deposit")
        out.append(
            Deposit(
                exchange=NAME,
                deposit_id=str(field(NAME, d, "id")),
                currency=str(field(NAME, d, "currency")).upper(),
                amount=to_decimal(NAME, field(NAME, d, "amount"), "amount"),
                status=TransferStatus.COMPLETED,
                time=from_timestamp(NAME, field(NAME, d, "timestamp"), "timestamp"),
            )
        )
    out.sort(key=lambda d: d.time or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out


def withdraws(body: Any) -> list[Withdrawal]:
    """v1 ``withdraws/`` with the document's statuses (10/20 pending, 30 approved, 40
    refused, 50 cancelled). The list names no address."""
    out = []
    for raw in as_list(NAME, body, "withdraws"):
        w = as_mapping(NAME, raw, "withdraw")
        code = to_decimal(NAME, field(NAME, w, "status"), "status")
        if code not in WITHDRAW_STATES:
            raise BadResponse(NAME, f"withdraw status {code} is not one the document lists")
        out.append(
            Withdrawal(
                exchange=NAME,
                withdrawal_id=str(field(NAME, w, "id")),
                currency=str(field(NAME, w, "currency")).upper(),
                amount=to_decimal(NAME, field(NAME, w, "amount"), "amount"),
                address="",
                status=WITHDRAW_STATES[int(code)],
                time=from_timestamp(NAME, field(NAME, w, "timestamp"), "timestamp"),
            )
        )
    out.sort(key=lambda w: w.time or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out


def fee_for(body: Any, market: Market) -> Fee | None:
    """The fee rule that applies to ``market``: an active rule for its pair, else one
    for its quote currency, else the default (no pair, no currency); the lowest
    ``priority`` first within each."""
    best: tuple[int, Decimal, Fee] | None = None
    for raw in as_list(NAME, body, "fee info"):
        rule = as_mapping(NAME, raw, "fee rule")
        if rule.get("is_active") is False:
            continue
        pair = str(rule.get("pair") or "")
        currency = str(rule.get("currency") or "").upper()
        if pair:
            rank = 0 if pair == market.symbol else -1
        elif currency:
            rank = 1 if currency in (market.quote, market.base) else -1
        else:
            rank = 2
        if rank < 0:
            continue
        priority = opt_decimal(NAME, rule.get("priority"), "priority") or Decimal(0)
        fee = Fee(
            maker_pct=_pct(rule, "maker_fee_rate"),
            taker_pct=_pct(rule, "taker_fee_rate"),
            market=market.symbol,
        )
        if best is None or (rank, priority) < best[:2]:
            best = (rank, priority, fee)
    return None if best is None else best[2]


def own_account_id(body: Any) -> int:
    """The key's own account (not a sub-account) of v3 ``accounts``."""
    entries = [as_mapping(NAME, raw, "account") for raw in as_list(NAME, body, "accounts")]
    if not entries:
        raise BadResponse(NAME, "v3 accounts lists no account")
    own = next((a for a in entries if not a.get("id_parent")), entries[0])
    number = to_decimal(NAME, field(NAME, own, "id"), "id")
    return int(number)


def v1_own_orders(body: Any) -> list[Order]:
    """v1 ``orders/own/``: ``amount`` is the order's amount; the list tells no fill."""
    out = []
    for raw in as_list(NAME, body, "orders"):
        o = as_mapping(NAME, raw, "order")
        code = to_decimal(NAME, field(NAME, o, "status"), "status")
        if code not in V1_ORDER_STATES:
            raise BadResponse(NAME, f"order status {code} is not one the document lists")
        amount = to_decimal(NAME, field(NAME, o, "amount"), "amount")
        state = V1_ORDER_STATES[int(code)]
        out.append(
            Order(
                exchange=NAME,
                order_id=str(field(NAME, o, "id")),
                symbol=str(field(NAME, o, "pair")),
                side=_side(field(NAME, o, "type")),
                type=OrderType.LIMIT,
                amount=amount,
                filled=amount if state is OrderStatus.FILLED else Decimal(0),
                status=state,
                price=opt_decimal(NAME, o.get("price"), "price"),
            )
        )
    return out
