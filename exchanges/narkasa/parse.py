"""Narkasa JSON → models, and Narkasa's result codes → the error tree.

Every answer carries ``code``; ``"00000"`` is success. The document writes it as a
string on success and as a number in its one error example (``{"code": 20001,
"msg": …}``), so both are read, as five-digit text. Errors are recognised by the
code whatever the HTTP status, since the document does not say which status goes
with an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    BelowMinimum,
    ExchangeError,
    InsufficientFunds,
    InvalidNonce,
    InvalidOrder,
    MarketClosed,
    OrderNotFound,
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.http import HttpReply, decode_json
from exchanges.models import (
    Balance,
    BookLevel,
    Candle,
    Deposit,
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
    TransferStatus,
    Withdrawal,
    WithdrawalTerms,
)
from exchanges.wire import as_list, as_mapping, field, from_timestamp, opt_decimal, to_decimal

NAME = "narkasa"
SUCCESS = "00000"

# The document's error table (its last section) plus the codes that appear only in
# the tables of single endpoints (10027, 10063, 10064, 10075).
ERRORS: dict[str, str] = {
    "10010": "Account not registered",
    "10026": "Identity verification required",
    "10027": "Deposit disabled",
    "10028": "Withdraw disabled",
    "10029": "Invalid withdraw channel",
    "10030": "Amount is lower than minimum withdraw limit",
    "10031": "Insufficient balance",
    "10035": "Channel monthly limit exceeded",
    "10037": "Invalid symbol",
    "10038": "Market disabled",
    "10039": "Order total is under limit",
    "10040": "Order amount is under limit",
    "10041": "Wash trading cancelled",
    "10042": "Market order not available",
    "10051": "Requested action is not available for your country",
    "10054": "Step-1 verified user monthly withdraw limit exceeded",
    "10055": "Step-2 verified user monthly withdraw limit exceeded",
    "10060": "Fast order not available",
    "10061": "Sell Price is not higher than %250",
    "10062": "Buy Price is not lower than %40",
    "10063": "Withdraw address is not valid",
    "10064": "Extra parameter is not valid(Tag, Memo etc...)",
    "10075": "Order not found",
    "20000": "Authorization required",
    "20001": "Invalid API key or secret",
    "20002": "Unauthorized IP",
    "20003": "Timestamp parameter is missing",
    "20004": "Timestamp difference limit exceeded",
    "20005": "Missing parameters",
    "20006": "Invalid Symbol",
    "20007": "Price must be float and higher than 0",
    "20008": "Target must be float and higher than 0",
    "20009": "Amount must be float and higher than 0",
    "20010": "Address can not be empty",
    "20011": "API is not allowed to this action",
    "20012": "Total must be float and higher than 0",
    "90000": "Unexpected Error",
    "90001": "Invalid Request",
}
UNKNOWN_SYMBOL_CODES = frozenset({"10037", "20006"})
# Who is calling and whether they may: the key, its account, its IP, its clock, its
# permissions. 10010 ("Account not registered") is answered to signed calls whose key
# belongs to no account, so it is a credentials problem too.
AUTH_CODES = frozenset({"10010", "20000", "20001", "20002", "20003", "20011"})
TIMESTAMP_EXCEEDED = "20004"
# What the user can change about an order or a withdrawal, by code.
INSUFFICIENT_CODES = frozenset({"10031"})
MINIMUM_CODES = frozenset({"10030", "10039", "10040"})
CLOSED_CODES = frozenset({"10038", "10042", "10060"})
INVALID_ORDER_CODES = frozenset({"10041", "10061", "10062", "20007", "20008", "20009", "20012"})
NOT_FOUND_CODES = frozenset({"10075"})
WITHDRAWAL_CODES = frozenset(
    {"10026", "10028", "10029", "10035", "10051", "10054", "10055", "10063", "10064", "20010"}
)


def code_of(envelope: Mapping[str, Any]) -> str:
    raw = field(NAME, envelope, "code")
    if isinstance(raw, bool):
        raise BadResponse(NAME, "field 'code' is not a result code")
    if isinstance(raw, int):
        return f"{raw:05d}"
    if isinstance(raw, str) and raw.strip().isdigit():
        return raw.strip().zfill(5)
    raise BadResponse(NAME, "field 'code' is not a result code")


def error_for(
    code: str, server_message: Any = None, *, symbol: str = "", withdrawal: bool = False
) -> ExchangeError:
    """The error a non-success code means; the document's wording is the message.

    Codes that only a withdrawal answers (identity, channel, limits, address) are
    ``WithdrawalRejected`` on the withdrawal endpoints (``withdrawal``) and
    ``RejectedRequest`` elsewhere (10026 is also a deposit-address answer)."""
    message = ERRORS.get(code) or str(server_message or f"error code {code}")
    if code in UNKNOWN_SYMBOL_CODES:
        return UnknownSymbol(NAME, symbol or "?")
    if code in AUTH_CODES:
        return AuthenticationError(NAME, message)
    if code == TIMESTAMP_EXCEEDED:
        return InvalidNonce(NAME, message)
    if code in INSUFFICIENT_CODES:
        return InsufficientFunds(NAME, message)
    if code in MINIMUM_CODES:
        return BelowMinimum(NAME, message)
    if code in CLOSED_CODES:
        return MarketClosed(NAME, message)
    if code in INVALID_ORDER_CODES:
        return InvalidOrder(NAME, message)
    if code in NOT_FOUND_CODES:
        return OrderNotFound(NAME, message)
    if withdrawal and code in WITHDRAWAL_CODES:
        return WithdrawalRejected(NAME, message)
    return RejectedRequest(NAME, message)


def envelope(reply: HttpReply, *, symbol: str = "", withdrawal: bool = False) -> Mapping[str, Any]:
    """The whole successful answer, or the error its ``code`` names."""
    body = as_mapping(NAME, reply.json(NAME), "answer")
    code = code_of(body)
    if code != SUCCESS:
        raise error_for(
            code, body.get("msg") or body.get("message"), symbol=symbol, withdrawal=withdrawal
        )
    return body


def timestamp_rejected(reply: HttpReply) -> bool:
    """Whether the answer is 20004 "Timestamp difference limit exceeded": our clock and
    the server's differ by more than the window, which a signed client can cure by
    reading the server's time, unlike every other refusal."""
    try:
        body = reply.json(NAME)
        return isinstance(body, Mapping) and code_of(body) == TIMESTAMP_EXCEEDED
    except BadResponse:
        return False


def pong(body: Mapping[str, Any]) -> None:
    if field(NAME, body, "data") != "PONG":
        raise BadResponse(NAME, "ping did not answer PONG")


def server_time(body: Mapping[str, Any]) -> datetime:
    return _millis(field(NAME, body, "data"), "data")


def server_time_ms(body: Mapping[str, Any]) -> int:
    """``v3/api/time`` as whole milliseconds (what a signed ``timestamp`` is)."""
    number = to_decimal(NAME, field(NAME, body, "data"), "data")
    if number != number.to_integral_value():
        raise BadResponse(NAME, "field 'data' is not a time in milliseconds")
    return int(number)


def listed_symbols(body: Mapping[str, Any]) -> list[str]:
    """Symbols of ``market/markets``, in the order the exchange lists them."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "markets"), "markets"):
        symbol = field(NAME, raw, "symbol")
        if not isinstance(symbol, str) or not symbol:
            raise BadResponse(NAME, "field 'symbol' is not a symbol")
        out.append(symbol)
    return out


def market(body: Mapping[str, Any]) -> Market:
    """A ``Market`` from ``market/info``: places from ``precision``, minimums from
    ``minAmount`` (base) and ``minTradeTotal`` (quote)."""
    info = as_mapping(NAME, field(NAME, body, "info"), "info")
    precision = as_mapping(NAME, field(NAME, info, "precision"), "precision")
    return Market(
        exchange=NAME,
        symbol=str(field(NAME, info, "symbol")),
        base=str(field(NAME, info, "firstSymbol")).upper(),
        quote=str(field(NAME, info, "secondSymbol")).upper(),
        price_decimals=_places(field(NAME, precision, "price"), "precision.price"),
        amount_decimals=_places(field(NAME, precision, "amount"), "precision.amount"),
        min_amount=opt_decimal(NAME, info.get("minAmount"), "minAmount"),
        min_notional=opt_decimal(NAME, info.get("minTradeTotal"), "minTradeTotal"),
        active=_flag(info.get("enable", True), "enable")
        and _flag(info.get("orderEnable", True), "orderEnable"),
    )


def total_places(body: Mapping[str, Any]) -> int:
    """``market/info``'s ``precision.total``: the places of an order total (a fast
    buy's ``total``), which a ``Market`` does not keep."""
    info = as_mapping(NAME, field(NAME, body, "info"), "info")
    precision = as_mapping(NAME, field(NAME, info, "precision"), "precision")
    return _places(field(NAME, precision, "total"), "precision.total")


def ticker(market: Market, body: Mapping[str, Any], now: datetime) -> Ticker:
    """``market/24h``: ``volumeQty`` is the base amount, ``volume`` the quote amount
    (120004 = 2 × 60002 in the document's example)."""
    stats = as_mapping(NAME, field(NAME, body, "market"), "market")
    return Ticker(
        market=market,
        last=to_decimal(NAME, field(NAME, stats, "last"), "last"),
        bid=_price_or_none(stats.get("firstBid"), "firstBid"),
        ask=_price_or_none(stats.get("firstAsk"), "firstAsk"),
        change_24h_pct=opt_decimal(NAME, stats.get("changePercent"), "changePercent"),
        volume_24h=opt_decimal(NAME, stats.get("volumeQty"), "volumeQty"),
        quote_volume_24h=opt_decimal(NAME, stats.get("volume"), "volume"),
        high_24h=opt_decimal(NAME, stats.get("high"), "high"),
        low_24h=opt_decimal(NAME, stats.get("low"), "low"),
        time=now,
    )


def order_book(market: Market, body: Mapping[str, Any], limit: int, now: datetime) -> OrderBook:
    """``market/orderbook`` or ``market/depth`` (same ``book`` shape; depth adds
    ``count``), sorted best first whatever order the levels came in."""
    book = as_mapping(NAME, field(NAME, body, "book"), "book")
    bids = sorted(_levels(field(NAME, book, "bids"), "bids"), key=lambda lv: -lv.price)
    asks = sorted(_levels(field(NAME, book, "asks"), "asks"), key=lambda lv: lv.price)
    return OrderBook(market=market, bids=tuple(bids[:limit]), asks=tuple(asks[:limit]), time=now)


def trades(market: Market, body: Mapping[str, Any], limit: int) -> list[Trade]:
    """Newest first. ``type`` 1 means the buyer took the book (a buy), 0 that the
    buyer was the maker (a sell), per the document's trade-type table."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "trades"), "trades"):
        out.append(
            Trade(
                market=market,
                price=to_decimal(NAME, field(NAME, raw, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, raw, "amount"), "amount"),
                side=_taker_side(raw.get("type")),
                time=_millis(field(NAME, raw, "time"), "time"),
            )
        )
    out.sort(key=lambda t: t.time, reverse=True)
    return out[:limit]


def candles(body: Mapping[str, Any]) -> list[Candle]:
    """Oldest first, timed by ``openTime``."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "candles"), "candles"):
        out.append(
            Candle(
                time=_millis(field(NAME, raw, "openTime"), "openTime"),
                open=to_decimal(NAME, field(NAME, raw, "open"), "open"),
                high=to_decimal(NAME, field(NAME, raw, "high"), "high"),
                low=to_decimal(NAME, field(NAME, raw, "low"), "low"),
                close=to_decimal(NAME, field(NAME, raw, "close"), "close"),
                volume=to_decimal(NAME, field(NAME, raw, "volume"), "volume"),
            )
        )
    out.sort(key=lambda c: c.time)
    return out


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)


def _levels(raw: Any, what: str) -> list[BookLevel]:
    return [
        BookLevel(
            price=to_decimal(NAME, field(NAME, item, "price"), "price"),
            amount=to_decimal(NAME, field(NAME, item, "amount"), "amount"),
        )
        for item in as_list(NAME, raw, what)
    ]


def _millis(value: Any, name: str) -> datetime:
    return from_timestamp(NAME, value, name, millis=True)


def _places(value: Any, name: str) -> int:
    number = to_decimal(NAME, value, name)
    if number != number.to_integral_value() or number < 0:
        raise BadResponse(NAME, f"field {name!r} is not a number of places")
    return int(number)


def _flag(value: Any, name: str) -> bool:
    """``enable`` is the string ``"true"`` in the document, ``commissionPercentage`` a
    JSON boolean; either spelling is accepted."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise BadResponse(NAME, f"field {name!r} is not true or false")


def _price_or_none(value: Any, name: str) -> Decimal | None:
    """A best bid/ask of 0 means that side of the book is empty."""
    price = opt_decimal(NAME, value, name)
    return price if price else None


def _taker_side(value: Any) -> Side | None:
    if isinstance(value, bool):
        return None
    if value in (1, "1"):
        return Side.BUY
    if value in (0, "0"):
        return Side.SELL
    return None


# --- signed balance endpoints ---------------------------------------------------------


def wallet(body: Mapping[str, Any]) -> list[Balance]:
    """``balance/wallet``: every currency the answer lists, ``available`` free and
    ``reserved`` (held by open orders and withdrawals) as locked. ``total`` is not
    read: it is their sum, and recomputing it keeps one source of truth."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "wallet"), "wallet"):
        out.append(
            Balance(
                currency=_symbol(field(NAME, raw, "symbol")),
                available=to_decimal(NAME, field(NAME, raw, "available"), "available"),
                locked=to_decimal(NAME, field(NAME, raw, "reserved"), "reserved"),
            )
        )
    return out


def deposit_address(body: Mapping[str, Any], network: str | None = None) -> DepositAddress:
    """The address of one channel of ``balance/deposit``.

    Without ``network`` the first enabled channel; with it, the channel of that name
    (case-insensitive). A disabled currency or channel raises ``RejectedRequest``
    with the document's wording (10027 "Deposit disabled"); a network the currency
    does not offer names the ones it does. The document's channel has no memo/tag
    field, so ``memo`` stays None.
    """
    currency = as_mapping(NAME, field(NAME, body, "currency"), "currency")
    symbol = _symbol(field(NAME, currency, "symbol"))
    if not _flag(currency.get("enable", True), "enable"):
        raise RejectedRequest(NAME, ERRORS["10027"])
    channels = [
        as_mapping(NAME, c, "channel")
        for c in as_list(NAME, field(NAME, currency, "channels"), "channels")
    ]
    if network is None:
        chosen = next((c for c in channels if _flag(c.get("enable", True), "enable")), None)
        if chosen is None:
            raise RejectedRequest(NAME, ERRORS["10027"])
    else:
        wanted = network.strip().upper()
        chosen = next((c for c in channels if str(c.get("name", "")).upper() == wanted), None)
        if chosen is None:
            offered = ", ".join(str(c.get("name", "")) for c in channels) or "none"
            raise RejectedRequest(
                NAME, f"no deposit network {network!r} for {symbol}; offered: {offered}"
            )
        if not _flag(chosen.get("enable", True), "enable"):
            raise RejectedRequest(NAME, ERRORS["10027"])
    address = field(NAME, chosen, "address")
    if not isinstance(address, str) or not address.strip():
        raise BadResponse(NAME, "field 'address' is empty")
    name = chosen.get("name")
    return DepositAddress(
        currency=symbol,
        address=address.strip(),
        network=str(name) if name else None,
    )


def market_fee(body: Mapping[str, Any]) -> Fee | None:
    """Maker and taker commission of one ``market/info`` answer, as percentages.

    ``commissionPercentage`` false means the commission is a fixed amount, which a
    percentage cannot express: such a market gives None. ``commission`` alone (no
    maker/taker split) stands for both.
    """
    info = as_mapping(NAME, field(NAME, body, "info"), "info")
    if not _flag(info.get("commissionPercentage", True), "commissionPercentage"):
        return None
    both = opt_decimal(NAME, info.get("commission"), "commission")
    maker = opt_decimal(NAME, info.get("commissionMaker"), "commissionMaker")
    taker = opt_decimal(NAME, info.get("commissionTaker"), "commissionTaker")
    maker = both if maker is None else maker
    taker = both if taker is None else taker
    if maker is None and taker is None:
        return None
    tiered = _flag(info.get("commissionTierBased", False), "commissionTierBased")
    return Fee(
        maker_pct=maker,
        taker_pct=taker,
        level="tier-based" if tiered else None,
        market=str(field(NAME, info, "symbol")),
    )


# --- websocket ------------------------------------------------------------------------


def stream_message(text: str) -> Mapping[str, Any]:
    """One websocket frame as an object (numbers as Decimal), or BadResponse."""
    return as_mapping(NAME, decode_json(NAME, text), "message")


def stream_tick(message: Mapping[str, Any], now: datetime) -> Tick | None:
    """A ``Tick`` from a pushed ``ticker``/``allTickers`` or ``trade`` payload; None for
    any other push (orderBook, depth, candles, user streams).

    The ticker payloads carry no time of their own (``openTime`` is the start of the
    24h window), so they are stamped ``now``, the moment they arrived; a trade carries
    its ``time`` (milliseconds). A best bid or ask of 0 means an empty side.
    """
    kind = message.get("type")
    if kind in ("ticker", "allTickers"):
        return Tick(
            exchange=NAME,
            symbol=_symbol(field(NAME, message, "symbol")),
            price=to_decimal(NAME, field(NAME, message, "last"), "last"),
            time=now,
            bid=_price_or_none(message.get("firstBid"), "firstBid"),
            ask=_price_or_none(message.get("firstAsk"), "firstAsk"),
        )
    if kind == "trade":
        return Tick(
            exchange=NAME,
            symbol=_symbol(field(NAME, message, "symbol")),
            price=to_decimal(NAME, field(NAME, message, "price"), "price"),
            time=_millis(field(NAME, message, "time"), "time"),
        )
    return None


def _symbol(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadResponse(NAME, "field 'symbol' is not a symbol")
    return value.strip()


# --- orders ---------------------------------------------------------------------------
ORDER_STATUSES: dict[str, OrderStatus] = {
    "NEW": OrderStatus.OPEN,
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELLED,
    "CANCELLED_ALL": OrderStatus.CANCELLED,
}
# orderType: words in placing answers, numbers in user-orders, user-trades and streams.
ORDER_TYPES: dict[str, OrderType] = {
    "LIMIT": OrderType.LIMIT,
    "MARKET": OrderType.MARKET,
    "STOP LIMIT": OrderType.STOP_LIMIT,
    "FAST": OrderType.MARKET,
    "0": OrderType.LIMIT,
    "1": OrderType.MARKET,
    "2": OrderType.STOP_LIMIT,
    "3": OrderType.MARKET,
}
WITHDRAW_STATES: dict[int, TransferStatus] = {
    11: TransferStatus.PENDING,
    13: TransferStatus.PENDING,
    14: TransferStatus.COMPLETED,
    21: TransferStatus.PENDING,
    22: TransferStatus.PENDING,
    23: TransferStatus.PENDING,
    24: TransferStatus.COMPLETED,
    98: TransferStatus.FAILED,
    99: TransferStatus.CANCELLED,
}
DEPOSIT_COMPLETED = 14


def _side(value: Any) -> Side:
    """``BUY``/``SELL`` in placing answers, 0 (buy) / 1 (sell) elsewhere."""
    if isinstance(value, str) and value.strip().upper() in ("BUY", "SELL"):
        return Side.BUY if value.strip().upper() == "BUY" else Side.SELL
    if not isinstance(value, bool) and value in (0, 1, "0", "1"):
        return Side.BUY if str(value) == "0" else Side.SELL
    raise BadResponse(NAME, "field 'side' is not a side")


def _order_type(value: Any) -> OrderType:
    key = str(value).strip().upper() if not isinstance(value, bool) else ""
    found = ORDER_TYPES.get(key)
    if found is None:
        raise BadResponse(NAME, "field 'orderType' is not an order type")
    return found


def _positive_or_none(value: Any, name: str) -> Decimal | None:
    number = opt_decimal(NAME, value, name)
    return number if number else None


def order(raw: Any, *, fallback_symbol: str = "") -> Order:
    """One order as a placing answer, ``user-orders`` or an ``orderUpdate`` gives it.

    Without ``status`` (``user-orders``, whose orders are all active) the state follows
    ``filledAmount``. A market or fast order's answer has no ``orderId``: it is named
    ``<MARKET>-<side>-<time>`` (in answers and pushes alike) so it can be recorded,
    shown and matched with its pushes. A fast buy has
    ``total``/``filledTotal`` (quote) instead of an amount: ``amount`` and ``filled``
    are then quote amounts (and ``price`` None) — the only figures the answer gives.
    A price or target of 0 means none.
    """
    raw = as_mapping(NAME, raw, "order")
    symbol = raw.get("market") or raw.get("symbol") or fallback_symbol
    side = _side(field(NAME, raw, "side"))
    kind = _order_type(field(NAME, raw, "orderType"))
    time = _millis(raw["time"], "time") if raw.get("time") is not None else None
    if "amount" in raw:
        amount = to_decimal(NAME, raw["amount"], "amount")
        filled = to_decimal(NAME, raw.get("filledAmount", 0), "filledAmount")
    else:
        amount = to_decimal(NAME, field(NAME, raw, "total"), "total")
        filled = to_decimal(NAME, raw.get("filledTotal", 0), "filledTotal")
    status_raw = raw.get("status")
    if status_raw is None:
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    else:
        found = ORDER_STATUSES.get(str(status_raw).strip().upper())
        if found is None:
            raise BadResponse(NAME, "field 'status' is not an order state")
        status = found
    order_id = raw.get("orderId")
    if kind is OrderType.MARKET or not order_id:
        # Market and fast answers carry no orderId, so such an order is named by what
        # every report of it carries; its orderUpdate push gets the same name, which
        # keeps the two one order (nothing takes a market order's id: it is never open).
        stamp = str(raw.get("time", "0"))
        order_id = f"{_symbol(symbol)}-{side.value}-{stamp}"
    stop = _positive_or_none(raw.get("target", raw.get("targetPrice")), "target")
    return Order(
        exchange=NAME,
        order_id=str(order_id),
        symbol=_symbol(symbol),
        side=side,
        type=kind,
        amount=amount,
        filled=filled,
        status=status,
        price=_positive_or_none(raw.get("price"), "price"),
        created_at=time,
        stop_price=stop if kind is OrderType.STOP_LIMIT else None,
    )


def placed_order(body: Mapping[str, Any], symbol: str) -> Order:
    return order(field(NAME, body, "order"), fallback_symbol=symbol)


def open_orders(body: Mapping[str, Any]) -> list[Order]:
    return [order(raw) for raw in as_list(NAME, field(NAME, body, "orders"), "orders")]


def fills(body: Mapping[str, Any]) -> list[Fill]:
    """``user-trades``, newest first. Its rows carry no order id: ``order_id`` is ""."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "trades"), "trades"):
        commission_symbol = raw.get("commissionSymbol")
        out.append(
            Fill(
                exchange=NAME,
                order_id="",
                symbol=_symbol(field(NAME, raw, "symbol")),
                side=_side(field(NAME, raw, "side")),
                price=to_decimal(NAME, field(NAME, raw, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, raw, "amount"), "amount"),
                time=_millis(field(NAME, raw, "time"), "time"),
                fee=opt_decimal(NAME, raw.get("commission"), "commission"),
                fee_currency=str(commission_symbol) if commission_symbol else None,
            )
        )
    out.sort(key=lambda f: f.time, reverse=True)
    return out


# --- withdrawals and deposits ---------------------------------------------------------
def withdraw_channels(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
    """``balance/withdraw``: the currency object and its channels."""
    currency = as_mapping(NAME, field(NAME, body, "currency"), "currency")
    channels = [
        as_mapping(NAME, c, "channel")
        for c in as_list(NAME, field(NAME, currency, "channels"), "channels")
    ]
    return currency, channels


def choose_channel(
    channels: list[Mapping[str, Any]], network: str | None, symbol: str
) -> Mapping[str, Any]:
    """The channel named ``network`` (case ignored), or the first enabled one."""
    if network is None:
        chosen = next((c for c in channels if _flag(c.get("enable", True), "enable")), None)
        if chosen is None:
            raise WithdrawalRejected(NAME, ERRORS["10028"])
        return chosen
    wanted = network.strip().upper()
    chosen = next((c for c in channels if str(c.get("name", "")).upper() == wanted), None)
    if chosen is None:
        offered = ", ".join(str(c.get("name", "")) for c in channels) or "none"
        raise WithdrawalRejected(
            NAME, f"no withdrawal network {network!r} for {symbol}; offered: {offered}"
        )
    if not _flag(chosen.get("enable", True), "enable"):
        raise WithdrawalRejected(NAME, ERRORS["10029"])
    return chosen


def withdrawal_terms(body: Mapping[str, Any], network: str | None) -> WithdrawalTerms:
    currency, channels = withdraw_channels(body)
    symbol = _symbol(field(NAME, currency, "symbol"))
    if not _flag(currency.get("enable", True), "enable"):
        raise WithdrawalRejected(NAME, ERRORS["10028"])
    channel = choose_channel(channels, network, symbol)
    places = currency.get("maxLength")
    return WithdrawalTerms(
        currency=symbol,
        network=str(channel.get("name")) if channel.get("name") else None,
        fee=opt_decimal(NAME, channel.get("commission"), "commission"),
        min_amount=opt_decimal(
            NAME, currency.get("minimumWithdrawAmount"), "minimumWithdrawAmount"
        ),
        amount_decimals=_places(places, "maxLength") if places is not None else None,
    )


def saved_addresses(body: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The account's saved addresses of ``balance/withdraw``: (network, name, address)."""
    _, channels = withdraw_channels(body)
    out = []
    for channel in channels:
        for item in as_list(NAME, channel.get("addressList", []), "addressList"):
            entry = as_mapping(NAME, item, "address")
            out.append(
                (
                    str(channel.get("name", "")),
                    str(entry.get("name", "")),
                    str(field(NAME, entry, "address")),
                )
            )
    return out


def currencies(body: Mapping[str, Any]) -> dict[str, str]:
    """``balance/currencies``: code (upper case) → name, in the document's order."""
    out: dict[str, str] = {}
    for item in as_list(NAME, field(NAME, body, "currencies"), "currencies"):
        entry = as_mapping(NAME, item, "currency")
        code = str(field(NAME, entry, "symbol")).strip().upper()
        if code:
            out[code] = str(entry.get("name") or code)
    return out


def _state(value: Any) -> int:
    number = to_decimal(NAME, value, "state")
    if number != number.to_integral_value():
        raise BadResponse(NAME, "field 'state' is not a state")
    return int(number)


def withdrawals(body: Mapping[str, Any]) -> list[Withdrawal]:
    """``withdraw-history``. Its rows name no address or network: those stay empty."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "history"), "history"):
        txid = raw.get("txid")
        out.append(
            Withdrawal(
                exchange=NAME,
                withdrawal_id=str(field(NAME, raw, "id")),
                currency=_symbol(field(NAME, raw, "symbol")),
                amount=to_decimal(NAME, field(NAME, raw, "amount"), "amount"),
                address="",
                status=WITHDRAW_STATES.get(
                    _state(field(NAME, raw, "state")), TransferStatus.PENDING
                ),
                txid=str(txid) if txid else None,
                time=_millis(field(NAME, raw, "time"), "time"),
            )
        )
    out.sort(key=lambda w: w.time or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out


def deposits(body: Mapping[str, Any]) -> list[Deposit]:
    """``deposit-history``: state 14 is completed, every other listed state pending."""
    out = []
    for raw in as_list(NAME, field(NAME, body, "history"), "history"):
        txid = raw.get("txid")
        state = _state(field(NAME, raw, "state"))
        out.append(
            Deposit(
                exchange=NAME,
                deposit_id=str(field(NAME, raw, "id")),
                currency=_symbol(field(NAME, raw, "symbol")),
                amount=to_decimal(NAME, field(NAME, raw, "amount"), "amount"),
                status=TransferStatus.COMPLETED
                if state == DEPOSIT_COMPLETED
                else TransferStatus.PENDING,
                txid=str(txid) if txid else None,
                time=_millis(field(NAME, raw, "time"), "time"),
            )
        )
    out.sort(key=lambda d: d.time or datetime.min.replace(tzinfo=UTC), reverse=True)
    return out


# --- user streams ---------------------------------------------------------------------
def user_stream_answer(message: Mapping[str, Any]) -> None:
    """The answer to ``USER_STREAMS``: nothing on success, AuthenticationError else."""
    if message.get("status") != "success":
        raise AuthenticationError(NAME, str(message.get("message") or "Unauthorized Access"))
