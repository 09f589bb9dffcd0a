"""WEX Public API v3 and Trade API v1 JSON → models, and WEX's error envelope → the
error tree.

Every public answer is an object keyed by pair name (``{"btc_usd": {...}}``), except
``info``; a refused request is ``{"success": 0, "error": "<text>"}`` instead. The
reading of ``buy``/``sell``, ``vol``/``vol_cur`` and ``decimal_places`` is argued in
the client's module docstring.

Trade API answers are ``{"success": 1, "return": …}``; the reading of ``funds``,
``rights``, open orders and the error texts is argued in ``exchanges.wex.account``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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
    RejectedRequest,
    UnknownSymbol,
    WithdrawalRejected,
)
from exchanges.http import HttpReply
from exchanges.models import (
    Balance,
    BookLevel,
    Deposit,
    DepositAddress,
    Fill,
    KeyRights,
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
from exchanges.wex.models import CancelResult, CouponCreated, CouponRedeemed
from exchanges.wire import as_list, as_mapping, field, from_timestamp, opt_decimal, to_decimal

NAME = "wex"
# Amounts are accepted with 8 places on every pair; ``decimal_places`` is the price's.
AMOUNT_DECIMALS = 8

_INVALID_PAIR = re.compile(r"^invalid pair name:?\s*(?P<pair>\S*)", re.IGNORECASE)
_EMPTY_LIST = re.compile(r"^empty pair list", re.IGNORECASE)


def body(reply: HttpReply, *, pair: str = "") -> Mapping[str, Any]:
    """The decoded answer, or the error its envelope states.

    The envelope is read whatever the HTTP status (below 500, which the pipeline
    already maps): the document does not tie its errors to a status code.
    """
    decoded = as_mapping(NAME, reply.json(NAME), "answer")
    if "success" in decoded and decoded.get("success") != 1:
        raise envelope_error(decoded, pair=pair)
    if reply.status >= 400:
        raise RejectedRequest(NAME, f"HTTP {reply.status}")
    return decoded


def envelope_error(envelope: Mapping[str, Any], *, pair: str = "") -> Exception:
    message = str(envelope.get("error") or "request refused")
    invalid = _INVALID_PAIR.match(message)
    if invalid:
        return UnknownSymbol(NAME, invalid.group("pair") or pair or "?")
    if _EMPTY_LIST.match(message):
        # Every listed pair was invalid and ``ignore_invalid=1`` dropped them all.
        return UnknownSymbol(NAME, pair or "?")
    return RejectedRequest(NAME, message)


def split_pair(pair: str) -> tuple[str, str]:
    base, sep, quote = pair.partition("_")
    if not sep or not base or not quote or "_" in quote:
        raise BadResponse(NAME, f"pair name {pair!r} is not base_quote")
    return base.upper(), quote.upper()


def markets(info: Mapping[str, Any]) -> list[Market]:
    pairs = as_mapping(NAME, field(NAME, info, "pairs"), "pairs")
    out = []
    for name, raw in pairs.items():
        spec = as_mapping(NAME, raw, f"pair {name}")
        base, quote = split_pair(str(name))
        places = to_decimal(NAME, field(NAME, spec, "decimal_places"), "decimal_places")
        if places != places.to_integral_value() or places < 0:
            raise BadResponse(NAME, "field 'decimal_places' is not a count of places")
        out.append(
            Market(
                exchange=NAME,
                symbol=str(name),
                base=base,
                quote=quote,
                price_decimals=int(places),
                amount_decimals=AMOUNT_DECIMALS,
                min_amount=opt_decimal(NAME, spec.get("min_amount"), "min_amount"),
                # A hidden pair still trades; it is only left off the site's front page.
                active=True,
            )
        )
    return out


def of_pair(answer: Mapping[str, Any], pair: str) -> Any:
    """The part of a multi-pair answer for ``pair``; missing means the pair was dropped
    (``ignore_invalid=1``) or disabled."""
    if pair not in answer:
        raise UnknownSymbol(NAME, pair)
    return answer[pair]


def ticker(market: Market, raw: Any) -> Ticker:
    t = as_mapping(NAME, raw, "ticker")
    return Ticker(
        market=market,
        last=to_decimal(NAME, field(NAME, t, "last"), "last"),
        # ``sell`` is the price you can sell at (best bid), ``buy`` the one you can buy at.
        bid=opt_decimal(NAME, t.get("sell"), "sell"),
        ask=opt_decimal(NAME, t.get("buy"), "buy"),
        change_24h_pct=None,
        volume_24h=opt_decimal(NAME, t.get("vol_cur"), "vol_cur"),
        quote_volume_24h=opt_decimal(NAME, t.get("vol"), "vol"),
        high_24h=opt_decimal(NAME, t.get("high"), "high"),
        low_24h=opt_decimal(NAME, t.get("low"), "low"),
        time=from_timestamp(NAME, field(NAME, t, "updated"), "updated"),
    )


def _levels(raw: Any, what: str) -> list[BookLevel]:
    levels = []
    for item in as_list(NAME, raw, what):
        pair = as_list(NAME, item, f"{what} level")
        if len(pair) != 2:
            raise BadResponse(NAME, f"a level of {what!r} is not [price, amount]")
        levels.append(
            BookLevel(
                price=to_decimal(NAME, pair[0], f"{what} price"),
                amount=to_decimal(NAME, pair[1], f"{what} amount"),
            )
        )
    return levels


def order_book(market: Market, raw: Any, limit: int, now: datetime) -> OrderBook:
    depth = as_mapping(NAME, raw, "depth")
    bids = sorted(_levels(field(NAME, depth, "bids"), "bids"), key=lambda lv: -lv.price)
    asks = sorted(_levels(field(NAME, depth, "asks"), "asks"), key=lambda lv: lv.price)
    return OrderBook(market=market, bids=tuple(bids[:limit]), asks=tuple(asks[:limit]), time=now)


_SIDES = {"bid": Side.BUY, "ask": Side.SELL}


def _trade_id(value: Any) -> str:
    number = to_decimal(NAME, value, "tid")
    if number != number.to_integral_value():
        raise BadResponse(NAME, "field 'tid' is not an integer")
    return str(int(number))


def trades(market: Market, raw: Any) -> list[Trade]:
    """Newest first, as WEX lists them."""
    out = []
    for item in as_list(NAME, raw, "trades"):
        tr = as_mapping(NAME, item, "trade")
        kind = field(NAME, tr, "type")
        if kind not in _SIDES:
            raise BadResponse(NAME, f"field 'type' is {kind!r}, not 'bid' or 'ask'")
        out.append(
            Trade(
                market=market,
                price=to_decimal(NAME, field(NAME, tr, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, tr, "amount"), "amount"),
                side=_SIDES[kind],
                time=from_timestamp(NAME, field(NAME, tr, "timestamp"), "timestamp"),
                trade_id=_trade_id(field(NAME, tr, "tid")),
            )
        )
    out.sort(key=lambda t: (t.time, int(t.trade_id or 0)), reverse=True)
    return out


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)


# --- Trade API v1 ---------------------------------------------------------------------
# WEX's texts as its server words them (the document quotes none; these are the texts
# BTC-e's server, which WEX continued, answered and client libraries match on).
_INVALID_NONCE = re.compile(r"invalid nonce parameter;\s*on key:\s*'?(?P<last>\d+)", re.I)
_NO_ORDERS = re.compile(r"^no orders$", re.I)
_NO_RIGHT = re.compile(r"^api key (?:dont|doesn't|does not) have (?P<right>\w+) permission", re.I)
_UNKNOWN_KEY = ("invalid api key", "api key not specified")
_NO_HISTORY = re.compile(r"^no (?:trades|transactions)$", re.I)
# Trading and withdrawal refusals, BTC-e's wording (the document quotes none), → the
# error the bot turns into "what to change". First match wins.
_REFUSALS: tuple[tuple[re.Pattern[str], type[ExchangeError]], ...] = (
    (re.compile(r"^it is not enough \w+", re.I), InsufficientFunds),
    (re.compile(r"^value \w+ must be greater than", re.I), BelowMinimum),
    (re.compile(r"^minimal amount for withdrawal", re.I), BelowMinimum),
    (re.compile(r"decimal places", re.I), BadPrecision),
    (re.compile(r"^trading on \S+ is suspended", re.I), MarketClosed),
    (re.compile(r"^price per \w+ must be", re.I), InvalidOrder),
    (re.compile(r"^invalid order", re.I), OrderNotFound),
    (re.compile(r"^invalid status", re.I), InvalidOrder),
    (re.compile(r"^invalid address", re.I), WithdrawalRejected),
    (re.compile(r"^(?:invalid coupon|coupon )", re.I), RejectedRequest),
    (re.compile(r"^you incorrectly entered one of fields", re.I), InvalidOrder),
)
_BAD_SIGN = ("invalid sign",)


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """``getInfo``'s answer: available funds by upper-case currency, the key's rights,
    and how many orders are open (None where the answer leaves it out)."""

    funds: dict[str, Decimal]
    rights: KeyRights
    open_orders: int | None


@dataclass(frozen=True, slots=True)
class OpenOrder:
    """One ``ActiveOrders`` entry; ``amount`` is what is left to buy or sell."""

    order_id: str
    pair: str
    side: Side
    amount: Decimal
    rate: Decimal


def tapi_envelope(reply: HttpReply) -> Mapping[str, Any]:
    """The decoded Trade API answer, success or error; BadResponse when it is not the
    documented envelope (WEX may answer non-JSON at its limits or on unexpected errors)."""
    decoded = as_mapping(NAME, reply.json(NAME), "answer")
    if "success" not in decoded:
        raise BadResponse(NAME, "the answer has no 'success' field")
    if decoded.get("success") == 1 and reply.status >= 400:
        raise RejectedRequest(NAME, f"HTTP {reply.status}")
    return decoded


def error_text(envelope: Mapping[str, Any]) -> str | None:
    """The ``error`` of a refused call, None when the call succeeded."""
    if envelope.get("success") == 1:
        return None
    return str(envelope.get("error") or "request refused")


def invalid_nonce_on_key(envelope: Mapping[str, Any]) -> int | None:
    """The last nonce WEX holds for the key, when the answer is its invalid-nonce error
    (``invalid nonce parameter; on key:4000000, you sent:'1', you should send:4000001``)."""
    message = error_text(envelope)
    found = _INVALID_NONCE.search(message) if message else None
    return int(found.group("last")) if found else None


def tapi_error(message: str) -> ExchangeError:
    """WEX's ``error`` text → the error tree; anything unrecognised is a RejectedRequest
    carrying WEX's own words."""
    lowered = message.strip().lower()
    if lowered in _UNKNOWN_KEY:
        return AuthenticationError(NAME, f"WEX does not know this API key ({message})")
    if lowered in _BAD_SIGN:
        return AuthenticationError(NAME, f"the secret does not match this API key ({message})")
    missing = _NO_RIGHT.match(lowered)
    if missing:
        return AuthenticationError(
            NAME,
            f"this API key lacks WEX's {missing.group('right')} right; "
            "enable it for the key on WEX or create a key that has it",
        )
    invalid = _INVALID_PAIR.match(message.strip())
    if invalid:
        return UnknownSymbol(NAME, invalid.group("pair") or "?")
    for pattern, kind in _REFUSALS:
        if pattern.search(message):
            return kind(NAME, message)
    if _INVALID_NONCE.search(message):
        return AuthenticationError(
            NAME,
            "WEX refused the nonce again: another program may be using this API key "
            "at the same time; give Sarraf a key of its own",
        )
    return RejectedRequest(NAME, message)


def tapi_return(envelope: Mapping[str, Any]) -> Any:
    """``return`` of a successful call, or the error the envelope states."""
    message = error_text(envelope)
    if message is not None:
        raise tapi_error(message)
    return field(NAME, envelope, "return")


def _flag(value: Any, what: str) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    number = to_decimal(NAME, value, what)
    if number not in (0, 1):
        raise BadResponse(NAME, f"field {what!r} is not 0 or 1")
    return number == 1


def key_rights(raw: Any) -> KeyRights:
    """``rights`` {info, trade, withdraw} as 0/1; a right left out is unknown (None)."""
    rights = as_mapping(NAME, raw, "rights")
    return KeyRights(
        info=_flag(rights.get("info"), "rights.info"),
        trade=_flag(rights.get("trade"), "rights.trade"),
        withdraw=_flag(rights.get("withdraw"), "rights.withdraw"),
    )


def _count(value: Any, what: str) -> int:
    number = to_decimal(NAME, value, what)
    if number != number.to_integral_value() or number < 0:
        raise BadResponse(NAME, f"field {what!r} is not a count")
    return int(number)


def funds(raw: Any) -> dict[str, Decimal]:
    """``funds`` by upper-case currency, in WEX's order: what is free to use, without
    what sits on open orders ("Не включает деньги на ваших открытых ордерах")."""
    out: dict[str, Decimal] = {}
    for currency, amount in as_mapping(NAME, raw, "funds").items():
        out[str(currency).upper()] = to_decimal(NAME, amount, f"funds.{currency}")
    return out


def account_info(ret: Any) -> AccountInfo:
    info = as_mapping(NAME, ret, "getInfo")
    open_orders = info.get("open_orders")
    return AccountInfo(
        funds=funds(field(NAME, info, "funds")),
        rights=key_rights(field(NAME, info, "rights")),
        open_orders=None if open_orders is None else _count(open_orders, "open_orders"),
    )


_ORDER_SIDES = {"buy": Side.BUY, "sell": Side.SELL}


def active_orders(envelope: Mapping[str, Any]) -> list[OpenOrder]:
    """``ActiveOrders``' orders by id; WEX answers ``no orders`` as an error when there
    are none, which is an empty list here."""
    message = error_text(envelope)
    if message is not None and _NO_ORDERS.match(message.strip()):
        return []
    raw = as_mapping(NAME, tapi_return(envelope), "ActiveOrders")
    out = []
    for order_id, item in raw.items():
        order = as_mapping(NAME, item, f"order {order_id}")
        kind = field(NAME, order, "type")
        if kind not in _ORDER_SIDES:
            raise BadResponse(NAME, f"field 'type' is {kind!r}, not 'buy' or 'sell'")
        pair = str(field(NAME, order, "pair"))
        split_pair(pair)
        out.append(
            OpenOrder(
                order_id=str(order_id),
                pair=pair,
                side=_ORDER_SIDES[kind],
                amount=to_decimal(NAME, field(NAME, order, "amount"), "amount"),
                rate=to_decimal(NAME, field(NAME, order, "rate"), "rate"),
            )
        )
    return out


def locked_by_orders(orders: Iterable[OpenOrder]) -> dict[str, Decimal]:
    """What open orders hold back, by upper-case currency: a sell order its remaining
    amount of the base, a buy order remaining amount × rate of the quote."""
    locked: dict[str, Decimal] = {}
    for order in orders:
        base, quote = split_pair(order.pair)
        if order.side is Side.SELL:
            currency, amount = base, order.amount
        else:
            currency, amount = quote, order.amount * order.rate
        locked[currency] = locked.get(currency, Decimal(0)) + amount
    return locked


def balances(available: Mapping[str, Decimal], locked: Mapping[str, Decimal]) -> list[Balance]:
    """Every currency ``funds`` lists, in its order, then any only orders hold."""
    out = [
        Balance(currency=c, available=amount, locked=locked.get(c, Decimal(0)))
        for c, amount in available.items()
    ]
    out += [
        Balance(currency=c, available=Decimal(0), locked=amount)
        for c, amount in sorted(locked.items())
        if c not in available
    ]
    return out


def deposit_address(currency: str, ret: Any) -> DepositAddress:
    answer = as_mapping(NAME, ret, "CoinDepositAddress")
    address = field(NAME, answer, "address")
    if not isinstance(address, str) or not address.strip():
        raise BadResponse(NAME, "field 'address' is empty")
    return DepositAddress(currency=currency.upper(), address=address.strip())


# --- trading and transfers (Trade, OrderInfo, CancelOrder(s), histories, coupons) -------
_ORDER_STATES = {
    0: OrderStatus.OPEN,
    1: OrderStatus.FILLED,
    2: OrderStatus.CANCELLED,
    3: OrderStatus.CANCELLED,
}
# TransHistory: 0 refused/failed, 1 waiting for confirmation, 2 done, 3 not confirmed.
_TRANSFER_STATES = {
    0: TransferStatus.FAILED,
    1: TransferStatus.PENDING,
    2: TransferStatus.COMPLETED,
    3: TransferStatus.PENDING,
}
DEPOSIT, WITHDRAWAL, INCOME, EXPENSE = 1, 2, 4, 5


def _integer(value: Any, what: str) -> int:
    number = to_decimal(NAME, value, what)
    if number != number.to_integral_value():
        raise BadResponse(NAME, f"field {what!r} is not an integer")
    return int(number)


def _side(value: Any) -> Side:
    if value not in _ORDER_SIDES:
        raise BadResponse(NAME, f"field 'type' is {value!r}, not 'buy' or 'sell'")
    return _ORDER_SIDES[value]


def trade_placed(market: Market, request_amount: Decimal, price: Decimal, ret: Any) -> Order:
    """``Trade``'s answer: ``order_id`` 0 means it filled completely at once (WEX then
    keeps no order to look up, so the id stays "0")."""
    answer = as_mapping(NAME, ret, "Trade")
    received = to_decimal(NAME, field(NAME, answer, "received"), "received")
    remains = to_decimal(NAME, field(NAME, answer, "remains"), "remains")
    order_id = _integer(field(NAME, answer, "order_id"), "order_id")
    if order_id == 0 or remains == 0:
        status = OrderStatus.FILLED
    else:
        status = OrderStatus.PARTIALLY_FILLED if received > 0 else OrderStatus.OPEN
    return Order(
        exchange=NAME,
        order_id=str(order_id),
        symbol=market.symbol,
        side=Side.BUY,  # replaced by the caller, which knows the side it sent
        type=OrderType.LIMIT,
        amount=request_amount,
        filled=received,
        status=status,
        price=price,
    )


def open_orders(envelope: Mapping[str, Any], created: Mapping[str, int]) -> list[Order]:
    """``ActiveOrders`` as Orders. WEX gives only what is left (``amount``), so that is
    the order's amount here and nothing shows as filled; ``order()`` has the start."""
    out = []
    for o in active_orders(envelope):
        out.append(
            Order(
                exchange=NAME,
                order_id=o.order_id,
                symbol=o.pair,
                side=o.side,
                type=OrderType.LIMIT,
                amount=o.amount,
                filled=Decimal(0),
                status=OrderStatus.OPEN,
                price=o.rate,
                created_at=_time(created.get(o.order_id)),
            )
        )
    return out


def _time(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def created_times(envelope: Mapping[str, Any]) -> dict[str, int]:
    """``timestamp_created`` of each open order, by id (read alongside ``active_orders``)."""
    if error_text(envelope) is not None:
        return {}
    raw = as_mapping(NAME, envelope.get("return"), "ActiveOrders")
    out = {}
    for order_id, item in raw.items():
        stamp = as_mapping(NAME, item, f"order {order_id}").get("timestamp_created")
        if stamp is not None:
            out[str(order_id)] = _integer(stamp, "timestamp_created")
    return out


def order_info(order_id: str, ret: Any) -> Order:
    """``OrderInfo``: status 0 active, 1 filled, 2 cancelled, 3 cancelled after a partial
    fill; ``start_amount`` − ``amount`` is what filled."""
    answer = as_mapping(NAME, ret, "OrderInfo")
    raw = answer.get(order_id)
    if raw is None:
        if len(answer) != 1:
            raise BadResponse(NAME, f"OrderInfo does not answer about order {order_id}")
        raw = next(iter(answer.values()))
    o = as_mapping(NAME, raw, f"order {order_id}")
    start = to_decimal(NAME, field(NAME, o, "start_amount"), "start_amount")
    left = to_decimal(NAME, field(NAME, o, "amount"), "amount")
    code = _integer(field(NAME, o, "status"), "status")
    if code not in _ORDER_STATES:
        raise BadResponse(NAME, f"order status {code} is not one WEX documents")
    status = _ORDER_STATES[code]
    filled = start - left
    if status is OrderStatus.OPEN and filled > 0:
        status = OrderStatus.PARTIALLY_FILLED
    pair = str(field(NAME, o, "pair"))
    split_pair(pair)
    return Order(
        exchange=NAME,
        order_id=order_id,
        symbol=pair,
        side=_side(field(NAME, o, "type")),
        type=OrderType.LIMIT,
        amount=start,
        filled=filled,
        status=status,
        price=to_decimal(NAME, field(NAME, o, "rate"), "rate"),
        created_at=from_timestamp(NAME, field(NAME, o, "timestamp_created"), "timestamp_created"),
    )


def cancel_results(ids: Iterable[str], ret: Any) -> list[CancelResult]:
    """``cancel_result`` per id, in the order asked. Only ``success: 1`` is a cancel:
    the document's failure example spells the key ``sucess``, so any other shape is read
    as a refusal with its ``error``."""
    answer = as_mapping(NAME, ret, "CancelOrders")
    results = as_mapping(NAME, field(NAME, answer, "cancel_result"), "cancel_result")
    out = []
    for order_id in ids:
        raw = results.get(order_id)
        if raw is None:
            out.append(CancelResult(order_id, False, "not in WEX's answer"))
            continue
        item = as_mapping(NAME, raw, f"cancel_result.{order_id}")
        ok = item.get("success") == 1
        out.append(CancelResult(order_id, ok, None if ok else str(item.get("error") or "?")))
    return out


def fills(envelope: Mapping[str, Any]) -> list[Fill]:
    """``TradeHistory``, newest first; ``no trades`` is an empty list. Only the
    account's own side is kept (``is_your_order`` 1)."""
    message = error_text(envelope)
    if message is not None and _NO_HISTORY.match(message.strip()):
        return []
    raw = as_mapping(NAME, tapi_return(envelope), "TradeHistory")
    out = []
    for trade_id, item in raw.items():
        t = as_mapping(NAME, item, f"trade {trade_id}")
        if t.get("is_your_order", 1) in (0, "0"):
            continue
        pair = str(field(NAME, t, "pair"))
        split_pair(pair)
        out.append(
            Fill(
                exchange=NAME,
                order_id=str(_integer(field(NAME, t, "order_id"), "order_id")),
                symbol=pair,
                side=_side(field(NAME, t, "type")),
                price=to_decimal(NAME, field(NAME, t, "rate"), "rate"),
                amount=to_decimal(NAME, field(NAME, t, "amount"), "amount"),
                time=from_timestamp(NAME, field(NAME, t, "timestamp"), "timestamp"),
                trade_id=str(trade_id),
            )
        )
    out.sort(key=lambda f: (f.time, int(f.trade_id or 0)), reverse=True)
    return out


@dataclass(frozen=True, slots=True)
class Transaction:
    """One ``TransHistory`` entry."""

    transaction_id: str
    type: int
    amount: Decimal
    currency: str
    description: str
    status: TransferStatus
    time: datetime


def transactions(envelope: Mapping[str, Any]) -> list[Transaction]:
    """``TransHistory``, newest first; ``no transactions`` is an empty list."""
    message = error_text(envelope)
    if message is not None and _NO_HISTORY.match(message.strip()):
        return []
    raw = as_mapping(NAME, tapi_return(envelope), "TransHistory")
    out = []
    for tid, item in raw.items():
        t = as_mapping(NAME, item, f"transaction {tid}")
        code = _integer(field(NAME, t, "status"), "status")
        if code not in _TRANSFER_STATES:
            raise BadResponse(NAME, f"transaction status {code} is not one WEX documents")
        out.append(
            Transaction(
                transaction_id=str(tid),
                type=_integer(field(NAME, t, "type"), "type"),
                amount=to_decimal(NAME, field(NAME, t, "amount"), "amount"),
                currency=str(field(NAME, t, "currency")).upper(),
                description=str(t.get("desc") or ""),
                status=_TRANSFER_STATES[code],
                time=from_timestamp(NAME, field(NAME, t, "timestamp"), "timestamp"),
            )
        )
    out.sort(key=lambda t: (t.time, int(t.transaction_id)), reverse=True)
    return out


def deposit_of(t: Transaction) -> Deposit:
    return Deposit(
        exchange=NAME,
        deposit_id=t.transaction_id,
        currency=t.currency,
        amount=t.amount,
        status=t.status,
        time=t.time,
    )


def withdrawal_of(t: Transaction) -> Withdrawal:
    """A type-2 entry; WEX's history names no address apart from its description."""
    return Withdrawal(
        exchange=NAME,
        withdrawal_id=t.transaction_id,
        currency=t.currency,
        amount=t.amount,
        address="",
        status=t.status,
        time=t.time,
    )


def withdrawal_sent(currency: str, amount: Decimal, address: str, ret: Any) -> Withdrawal:
    """``WithdrawCoin``: ``tId`` and ``amountSent`` (the amount less WEX's fee)."""
    answer = as_mapping(NAME, ret, "WithdrawCoin")
    sent = to_decimal(NAME, field(NAME, answer, "amountSent"), "amountSent")
    return Withdrawal(
        exchange=NAME,
        withdrawal_id=str(_integer(field(NAME, answer, "tId"), "tId")),
        currency=currency,
        amount=amount,
        address=address,
        status=TransferStatus.PENDING,
        fee=amount - sent,
    )


def coupon_created(currency: str, amount: Decimal, receiver: str | None, ret: Any) -> CouponCreated:
    answer = as_mapping(NAME, ret, "CreateCoupon")
    code = field(NAME, answer, "coupon")
    if not isinstance(code, str) or not code.strip():
        raise BadResponse(NAME, "field 'coupon' is empty")
    return CouponCreated(
        coupon=code.strip(),
        currency=currency,
        amount=amount,
        transaction_id=str(_integer(field(NAME, answer, "transID"), "transID")),
        receiver=receiver,
    )


def coupon_redeemed(ret: Any) -> CouponRedeemed:
    answer = as_mapping(NAME, ret, "RedeemCoupon")
    return CouponRedeemed(
        currency=str(field(NAME, answer, "couponCurrency")).upper(),
        amount=to_decimal(NAME, field(NAME, answer, "couponAmount"), "couponAmount"),
        transaction_id=str(_integer(field(NAME, answer, "transID"), "transID")),
    )


def pair_fee(info: Mapping[str, Any], pair: str) -> Decimal | None:
    """The pair's ``fee`` (percent) from the public ``info``."""
    pairs = as_mapping(NAME, field(NAME, info, "pairs"), "pairs")
    spec = pairs.get(pair)
    if spec is None:
        raise UnknownSymbol(NAME, pair)
    return opt_decimal(NAME, as_mapping(NAME, spec, pair).get("fee"), "fee")
