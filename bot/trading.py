"""Orders: check and round before asking, send once after Confirm, recover after a crash.

``preview`` does every check an exchange would do, before anything is sent: the market
exists and trades, the amount and price fit its increments (rounded in the safe
direction, and the preview says so), its minimum amount and minimum total, and the
account's available balance. ``propose`` stores the preview as a pending confirmation
(``bot/confirmations.py``); only the one winning Confirm reaches ``execute``, which
marks the row *sent* before the request leaves and records the exchange's answer.

A crash (or a timeout) between "sent" and "recorded" leaves the outcome unknown. Then
the order is looked up, never re-sent: by its client order id where the system takes
one (``trading.client_order_ids``: ALP v3), otherwise among the account's open orders
and latest fills — same symbol, side, amount and price, made after the Confirm and not
already known to the bot. ``recover`` does this for every row a crash left behind and
tells the owner what became of it through the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_UP, Decimal
from functools import partial
from typing import Any, Protocol, TypeVar

from bot.accounts import AccountService
from bot.chats import ChatPreferences
from bot.confirmations import Action, ConfirmationStore, Pending, State, decimal_of
from bot.errors import BotError
from bot.i18n import Lang
from bot.market import MarketService
from exchanges.accounts import AccountClient
from exchanges.errors import (
    ExchangeError,
    NetworkError,
    NotSupported,
    OrderNotFound,
    RateLimited,
)
from exchanges.models import (
    Fee,
    Market,
    Order,
    OrderBook,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TradingCapabilities,
)
from exchanges.precision import round_amount, round_price
from storage.db import Database
from storage.repos import confirmations as confirmations_repo
from storage.repos import orders as orders_repo
from storage.repos import outbox

log = logging.getLogger(__name__)
T = TypeVar("T")

ORDER = "order"
CANCEL = "cancel"
KINDS = (ORDER, CANCEL)
BOOK_DEPTH = 50
# How much earlier than our Confirm an exchange's clock may stamp the order.
CLOCK_SLACK = timedelta(seconds=30)
RATE_RETRIES = 2
MAX_RATE_WAIT = 3.0


# --- what the user can fix ------------------------------------------------------------
class TradingNotOffered(BotError):
    """The system has no orders of that kind (``what``: "limit", "market", "cancel"...)."""

    def __init__(self, exchange: str, what: str) -> None:
        super().__init__(f"{exchange}: no {what} orders")
        self.exchange = exchange
        self.what = what


class MarketNotTrading(BotError):
    def __init__(self, market: Market) -> None:
        super().__init__(f"{market.exchange} {market.symbol} is not trading")
        self.market = market


class AmountBelowMinimum(BotError):
    def __init__(self, market: Market, amount: Decimal, minimum: Decimal) -> None:
        super().__init__(f"amount {amount} under {minimum}")
        self.market = market
        self.amount = amount
        self.minimum = minimum


class AmountAboveMaximum(BotError):
    def __init__(self, market: Market, amount: Decimal, maximum: Decimal) -> None:
        super().__init__(f"amount {amount} over {maximum}")
        self.market = market
        self.amount = amount
        self.maximum = maximum


class TotalBelowMinimum(BotError):
    def __init__(self, market: Market, total: Decimal, minimum: Decimal) -> None:
        super().__init__(f"total {total} under {minimum}")
        self.market = market
        self.total = total
        self.minimum = minimum


class NotEnoughBalance(BotError):
    def __init__(self, exchange: str, currency: str, needed: Decimal, available: Decimal) -> None:
        super().__init__(f"{currency}: need {needed}, have {available}")
        self.exchange = exchange
        self.currency = currency
        self.needed = needed
        self.available = available


class NoLiquidity(BotError):
    def __init__(self, market: Market, side: Side) -> None:
        super().__init__(f"{market.symbol}: empty book for a {side}")
        self.market = market
        self.side = side


class OutcomeUnknown(BotError):
    """The exchange did not answer the order and could not be asked about it yet."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange}: outcome unknown")
        self.exchange = exchange


class BadOrderNumber(BotError):
    """Zero or negative amount/price (the parser catches the rest)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} must be positive")
        self.what = what


# --- plain logic ----------------------------------------------------------------------
def round_up_to(value: Decimal, decimals: int | None, step: Decimal | None) -> Decimal:
    """Toward +infinity to the step (or places): a sell price is never made lower."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=ROUND_UP) * step
    if decimals is not None:
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_UP)
    return value


def safe_price(market: Market, side: Side, price: Decimal) -> Decimal:
    """A buy limit rounds down (never pay more), a sell limit up (never sell for less)."""
    if side is Side.BUY:
        return round_price(market, price)
    return round_up_to(price, market.price_decimals, market.tick_size)


def walk_book(book: OrderBook, side: Side, amount: Decimal) -> tuple[Decimal, bool] | None:
    """The average price a market order of ``amount`` would get from the book shown,
    and whether the book shown covers it (if not, the rest is priced at its last level)."""
    levels = book.asks if side is Side.BUY else book.bids
    if not levels:
        return None
    left = amount
    cost = Decimal(0)
    for level in levels:
        take = min(left, level.amount)
        cost += take * level.price
        left -= take
        if left <= 0:
            return cost / amount, True
    cost += left * levels[-1].price
    return cost / amount, False


def fee_pct(fee: Fee | None, order_type: OrderType) -> Decimal | None:
    if fee is None:
        return None
    first, second = (
        (fee.taker_pct, fee.maker_pct)
        if order_type is OrderType.MARKET
        else (fee.maker_pct, fee.taker_pct)
    )
    return first if first is not None else second


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """Everything the summary shows, already checked."""

    market: Market
    side: Side
    amount: Decimal
    price: Decimal | None  # None: a market order
    estimated_price: Decimal
    total: Decimal
    fee: Decimal | None
    fee_pct: Decimal | None
    spend_currency: str
    available: Decimal
    amount_given: Decimal | None = None  # set when the amount was rounded
    price_given: Decimal | None = None  # set when the price was rounded
    book_covers: bool = True

    @property
    def exchange(self) -> str:
        return self.market.exchange

    @property
    def order_type(self) -> OrderType:
        return OrderType.MARKET if self.price is None else OrderType.LIMIT


def check_order(
    market: Market,
    side: Side,
    amount: Decimal,
    price: Decimal | None,
    *,
    book: OrderBook | None,
    fee: Fee | None,
    available: Decimal,
) -> OrderPreview:
    """The preview of an order, or the BotError that names what to change. No I/O."""
    if amount <= 0:
        raise BadOrderNumber("amount")
    if price is not None and price <= 0:
        raise BadOrderNumber("price")
    if not market.active:
        raise MarketNotTrading(market)
    rounded_amount = round_amount(market, amount)
    rounded_price = safe_price(market, side, price) if price is not None else None
    if rounded_price is not None and rounded_price <= 0:
        raise BadOrderNumber("price")
    minimum = market.min_amount
    if rounded_amount <= 0 or (minimum is not None and rounded_amount < minimum):
        step = market.step_size or Decimal(1).scaleb(-market.amount_decimals)
        raise AmountBelowMinimum(market, rounded_amount, max(minimum or Decimal(0), step))
    if market.max_amount is not None and rounded_amount > market.max_amount:
        raise AmountAboveMaximum(market, rounded_amount, market.max_amount)
    covers = True
    if rounded_price is None:
        walked = walk_book(book, side, rounded_amount) if book is not None else None
        if walked is None:
            raise NoLiquidity(market, side)
        estimated, covers = walked
    else:
        estimated = rounded_price
    total = rounded_amount * estimated
    if market.min_notional is not None and total < market.min_notional:
        raise TotalBelowMinimum(market, total, market.min_notional)
    order_type = OrderType.MARKET if rounded_price is None else OrderType.LIMIT
    pct = fee_pct(fee, order_type)
    fee_amount = total * pct / 100 if pct is not None else None
    spend = market.quote if side is Side.BUY else market.base
    needed = total if side is Side.BUY else rounded_amount
    if available < needed:
        raise NotEnoughBalance(market.exchange, spend, needed, available)
    return OrderPreview(
        market=market,
        side=side,
        amount=rounded_amount,
        price=rounded_price,
        estimated_price=estimated,
        total=total,
        fee=fee_amount,
        fee_pct=pct,
        spend_currency=spend,
        available=available,
        amount_given=amount if rounded_amount != amount else None,
        price_given=price if price is not None and rounded_price != price else None,
        book_covers=covers,
    )


def matches(order: Order, payload: Mapping[str, Any], since: datetime) -> bool:
    """Is ``order`` the one a confirmation asked for (no client id to go by)?"""
    if order.symbol != payload["symbol"] or order.side.value != payload["side"]:
        return False
    if order.amount != Decimal(str(payload["amount"])):
        return False
    price = decimal_of(payload, "price")
    if price is not None and order.price is not None and order.price != price:
        return False
    if price is not None and order.type is OrderType.MARKET:
        return False
    return order.created_at is None or order.created_at >= since - CLOCK_SLACK


# --- outcomes -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Recovered:
    """What recovery found for one row: the order (placed), or None (never placed)."""

    action: Action
    order: Order | None
    sent: bool  # False: the crash came before the request left


class Texts(Protocol):
    """The message texts recovery needs (``handlers/trading_texts.py``)."""

    def recovered_text(self, lang: Lang, recovered: Recovered) -> str: ...


def order_result(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "filled": str(order.filled),
        "amount": str(order.amount),
        "price": None if order.price is None else str(order.price),
        "average_price": None if order.average_price is None else str(order.average_price),
    }


class TradingService:
    def __init__(
        self,
        db: Database,
        market: MarketService,
        accounts: AccountService,
        confirmations: ConfirmationStore,
        chats: ChatPreferences,
        texts: Texts,
        *,
        on_order: Callable[[int, str], None] | None = None,
        wake: Callable[[], None] | None = None,
        recover_every: float = 30.0,
    ) -> None:
        self.db = db
        self.market = market
        self.accounts = accounts
        self.confirmations = confirmations
        self.chats = chats
        self.texts = texts
        # Told (user, exchange) whenever an order is placed or cancelled: the account
        # watcher polls that account fast for a while.
        self.on_order = on_order
        self.wake = wake
        self.recover_every = recover_every
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[int] = set()
        self._pass: asyncio.Future[None] | None = None
        # Rows confirmed before this process started are a crash's leftovers; rows of
        # this process are recovered only once they have been unfinished for ``grace``.
        self.started_at = datetime.now(UTC)
        self.grace = timedelta(seconds=120)

    # --- capabilities -----------------------------------------------------------------
    def capabilities(self, exchange: str) -> TradingCapabilities:
        self.market.client(exchange)  # UnknownExchange for a name we do not know
        cls = self.accounts.factories.get(exchange)
        return cls[0].trading if cls is not None else TradingCapabilities()

    async def _call(self, exchange: str, make: Callable[[], Awaitable[T]]) -> T:
        """One signed call; refused for the rate (ALP: 2 calls a second per account, and
        a 429 means nothing was done) it is made again after the wait asked, twice at most."""
        for attempt in range(RATE_RETRIES + 1):
            try:
                return await self.accounts.call(exchange, make())
            except RateLimited as exc:
                if attempt == RATE_RETRIES:
                    raise
                await asyncio.sleep(min(exc.retry_after or 1.0, MAX_RATE_WAIT))
        raise AssertionError("unreachable")

    # --- /buy, /sell --------------------------------------------------------------------
    async def preview(
        self,
        user_id: int,
        exchange: str,
        symbol: str,
        side: Side,
        amount: Decimal,
        price: Decimal | None,
    ) -> OrderPreview:
        caps = self.capabilities(exchange)
        if price is None and not caps.market_orders:
            raise TradingNotOffered(exchange, "market")
        if price is not None and not caps.limit_orders:
            raise TradingNotOffered(exchange, "limit")
        _, market = await self.market.market(exchange, symbol)
        if not market.active:
            raise MarketNotTrading(market)
        if self.on_order is not None and caps.account_events == "stream":
            # The owner is trading now: the account's private stream is started from
            # here on, so it is listening before the order it would report on.
            self.on_order(user_id, exchange)
        book = None
        if price is None:
            book = await self.market.order_book(exchange, market.symbol, BOOK_DEPTH)
        async with self.accounts.session(user_id, exchange) as client:
            fee = await self._call(exchange, lambda: client.trading_fee(market))
            balances = await self._call(exchange, lambda: client.balances())
        spend = market.quote if side is Side.BUY else market.base
        available = next(
            (b.available for b in balances if b.currency.upper() == spend.upper()), Decimal(0)
        )
        return check_order(market, side, amount, price, book=book, fee=fee, available=available)

    async def propose(self, user_id: int, chat_id: int, preview: OrderPreview) -> Pending:
        caps = self.capabilities(preview.exchange)
        return await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=ORDER,
            payload={
                "exchange": preview.exchange,
                "symbol": preview.market.symbol,
                "side": preview.side.value,
                "amount": preview.amount,
                "price": preview.price,
            },
            client_ref=caps.client_order_ids,
        )

    @contextlib.asynccontextmanager
    async def _executing(self, action: Action) -> AsyncIterator[None]:
        """While a confirmed row is being executed here, recovery leaves it alone; a
        failure before the request left settles it as failed (nothing was sent)."""
        self._inflight.add(action.id)
        try:
            yield
        except BaseException as exc:
            current = await self.confirmations.get(action.id)
            if current is not None and current.state is State.CONFIRMED:
                await self.confirmations.mark_failed(action.id, f"not sent: {type(exc).__name__}")
            raise
        finally:
            self._inflight.discard(action.id)

    async def execute(self, action: Action) -> Order:
        """Send the confirmed order once; the exchange's answer, or the error it gave."""
        async with self._executing(action):
            return await self._execute(action)

    async def _execute(self, action: Action) -> Order:
        payload = action.payload
        exchange = str(payload["exchange"])
        _, market = await self.market.market(exchange, str(payload["symbol"]))
        amount = decimal_of(payload, "amount")
        assert amount is not None
        request = OrderRequest(
            market=market,
            side=Side(str(payload["side"])),
            amount=amount,
            price=decimal_of(payload, "price"),
            client_order_id=action.client_ref
            if self.capabilities(exchange).client_order_ids
            else None,
        )
        async with self.accounts.session(action.user_id, exchange) as client:
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            try:
                order = await self._call(exchange, lambda: client.place_order(request))
            except NetworkError:
                # The request may have arrived: look, never send again.
                try:
                    found = await self._find(client, action, market)
                except ExchangeError:
                    # Still no answer: the row stays "sent"; recovery settles it later.
                    raise OutcomeUnknown(exchange) from None
                if found is None:
                    await self.confirmations.mark_failed(action.id, "no answer; not found")
                    raise
                order = found
            except ExchangeError as exc:
                await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                raise
        await self._record(action, order)
        return order

    async def _record(self, action: Action, order: Order) -> None:
        async with self.db.session() as session:
            await confirmations_repo.move(
                session,
                action.id,
                (confirmations_repo.CONFIRMED, confirmations_repo.SENT),
                confirmations_repo.DONE,
                datetime.now(UTC),
                result=order_result(order),
            )
            inserted = await orders_repo.track(
                session,
                user_id=action.user_id,
                chat_id=action.chat_id,
                exchange=order.exchange,
                order_id=order.order_id,
                symbol=order.symbol,
                side=order.side.value,
                amount=order.amount,
                price=order.price,
                filled=order.filled,
                status=order.status.value,
                client_order_id=order.client_order_id or action.client_ref,
                confirmation_id=action.id,
            )
            if not inserted:
                # The private stream reported it first; the reply tells the owner the
                # state answered here, so that is what alerts count from.
                row = await orders_repo.get(session, action.user_id, order.exchange, order.order_id)
                if row is not None and order.filled >= Decimal(row.filled):
                    await orders_repo.settle(
                        session,
                        action.user_id,
                        order.exchange,
                        order.order_id,
                        filled=order.filled,
                        status=order.status.value,
                    )
        if self.on_order is not None:
            self.on_order(action.user_id, order.exchange)

    async def _find(self, client: AccountClient, action: Action, market: Market) -> Order | None:
        """The order a confirmation sent, if the exchange has it; None if it has not."""
        exchange = market.exchange
        caps = self.capabilities(exchange)
        ref = action.client_ref
        if caps.client_order_ids and ref:
            return await self._call(exchange, partial(client.order_by_client_id, ref))
        since = action.confirmed_at or action.created_at
        async with self.db.session() as session:
            known = await orders_repo.claimed_ids(
                session, action.user_id, exchange, other_than=action.id
            )
        candidates = [
            o
            for o in await self._call(exchange, lambda: client.open_orders(market))
            if o.order_id not in known and matches(o, action.payload, since)
        ]
        if candidates:
            return min(candidates, key=lambda o: o.created_at or since)
        try:
            fills = await self._call(exchange, lambda: client.fills(market))
        except NotSupported:
            return None
        side = str(action.payload["side"])
        filled: dict[str, Decimal] = {}
        for fill in fills:
            if fill.order_id in known or fill.side.value != side or fill.symbol != market.symbol:
                continue
            if fill.time < since - CLOCK_SLACK:
                continue
            filled[fill.order_id] = filled.get(fill.order_id, Decimal(0)) + fill.amount
        for order_id in filled:
            try:
                order = await self._call(exchange, partial(client.order, order_id, market))
            except (NotSupported, OrderNotFound):
                continue
            if matches(order, action.payload, since):
                return order
        return None

    # --- /orders, /cancel -------------------------------------------------------------
    async def open_orders(self, user_id: int, exchange: str, symbol: str | None) -> list[Order]:
        caps = self.capabilities(exchange)
        market = (await self.market.market(exchange, symbol))[1] if symbol else None
        async with self.accounts.session(user_id, exchange) as client:
            if not caps.open_orders:
                raise TradingNotOffered(exchange, "open-orders")
            found = await self._call(exchange, lambda: client.open_orders(market))
        return sorted(
            found, key=lambda o: (o.symbol, o.created_at or datetime.min.replace(tzinfo=UTC))
        )

    async def find_order(self, user_id: int, exchange: str, order_id: str) -> Order | None:
        """The order among the open ones (what /cancel shows before asking)."""
        for order in await self.open_orders(user_id, exchange, None):
            if order.order_id == order_id:
                return order
        return None

    async def propose_cancel(
        self, user_id: int, chat_id: int, exchange: str, order: Order
    ) -> Pending:
        if not self.capabilities(exchange).cancel:
            raise TradingNotOffered(exchange, "cancel")
        return await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=CANCEL,
            payload={"exchange": exchange, "order_id": order.order_id, "symbol": order.symbol},
        )

    async def execute_cancel(self, action: Action) -> Order | None:
        async with self._executing(action):
            return await self._execute_cancel(action)

    async def _execute_cancel(self, action: Action) -> Order | None:
        payload = action.payload
        exchange = str(payload["exchange"])
        order_id = str(payload["order_id"])
        _, market = await self.market.market(exchange, str(payload["symbol"]))
        async with self.accounts.session(action.user_id, exchange) as client:
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            # The owner asked for this cancel and hears of it in the reply: the watched
            # order is marked cancelled *before* the request leaves, so the private
            # stream's push of the same cancel (which may arrive first) is no news.
            before = await self._mark_watched(action.user_id, exchange, order_id, None)
            try:
                order = await self._call(exchange, lambda: client.cancel_order(order_id, market))
            except ExchangeError as exc:
                await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                if before is not None:
                    await self._mark_watched(action.user_id, exchange, order_id, before)
                raise
        result = order_result(order) if order is not None else {"order_id": order_id}
        await self.confirmations.mark_done(action.id, result)
        if self.on_order is not None:
            self.on_order(action.user_id, exchange)
        return order

    async def _mark_watched(
        self, user_id: int, exchange: str, order_id: str, status: str | None
    ) -> str | None:
        """Set a watched order's status (None: cancelled); its status before, if watched."""
        async with self.db.session() as session:
            tracked = await orders_repo.get(session, user_id, exchange, order_id)
            if tracked is None:
                return None
            await orders_repo.settle(
                session,
                user_id,
                exchange,
                order_id,
                filled=Decimal(tracked.filled),
                status=status or OrderStatus.CANCELLED.value,
            )
            return tracked.status

    # --- crash recovery ---------------------------------------------------------------
    async def recover(self) -> list[Recovered]:
        """Settle every row a crash left between Confirm and its recorded outcome.

        ``confirmed`` rows never left (mark_sent comes first): they are failed and the
        owner told to send again. ``sent`` rows are looked up at the exchange; a row
        whose exchange does not answer stays ``sent`` for the next pass.
        """
        settled: list[Recovered] = []
        now = datetime.now(UTC)
        for action in await self.confirmations.unfinished(KINDS):
            confirmed = action.confirmed_at or action.created_at
            if action.id in self._inflight or (
                confirmed >= self.started_at and confirmed > now - self.grace
            ):
                continue  # being executed by this process, or only just left it
            try:
                outcome = await self._recover_one(action)
            except (TimeoutError, NetworkError) as exc:
                log.warning("recovery of confirmation %s waits: %s", action.id, exc)
                continue
            except Exception:
                log.exception("recovery of confirmation %s failed", action.id)
                continue
            if outcome is not None:
                settled.append(outcome)
        if settled and self.wake is not None:
            self.wake()
        return settled

    async def _recover_one(self, action: Action) -> Recovered | None:
        exchange = str(action.payload["exchange"])
        if action.state is State.CONFIRMED:
            outcome = Recovered(action, None, sent=False)
            await self._settle(action, outcome, failed="stopped before sending")
            return outcome
        _, market = await self.market.market(exchange, str(action.payload["symbol"]))
        async with self.accounts.session(action.user_id, exchange) as client:
            if action.kind == CANCEL:
                order_id = str(action.payload["order_id"])
                still_open = {
                    o.order_id: o
                    for o in await self._call(exchange, lambda: client.open_orders(market))
                }.get(order_id)
                if still_open is None:
                    try:
                        found: Order | None = await self._call(
                            exchange, lambda: client.order(order_id, market)
                        )
                    except (NotSupported, OrderNotFound):
                        found = None
                    outcome = Recovered(action, found, sent=True)
                    await self._settle(action, outcome, done={"order_id": order_id})
                else:
                    outcome = Recovered(action, still_open, sent=True)
                    await self._mark_watched(
                        action.user_id, exchange, order_id, still_open.status.value
                    )
                    await self._settle(action, outcome, failed="cancel not confirmed")
                return outcome
            order = await self._find(client, action, market)
        outcome = Recovered(action, order, sent=True)
        if order is None:
            await self._settle(action, outcome, failed="not found at the exchange")
        else:
            await self._record(action, order)
            await self._settle(action, outcome)
        return outcome

    async def _settle(
        self,
        action: Action,
        outcome: Recovered,
        *,
        failed: str | None = None,
        done: dict[str, Any] | None = None,
    ) -> None:
        """The row's final state and the owner's message, in one commit."""
        lang = await self.chats.language(action.chat_id, None)
        text = self.texts.recovered_text(lang, outcome)
        now = datetime.now(UTC)
        unfinished = (confirmations_repo.CONFIRMED, confirmations_repo.SENT)
        async with self.db.session() as session:
            if failed is not None:
                await confirmations_repo.move(
                    session, action.id, unfinished, confirmations_repo.FAILED, now, error=failed
                )
            elif done is not None:
                await confirmations_repo.move(
                    session, action.id, unfinished, confirmations_repo.DONE, now, result=done
                )
            await outbox.enqueue(
                session,
                chat_id=action.chat_id,
                user_id=action.user_id,
                kind="recovered",
                dedupe=f"recovered:{action.id}",
                text=text,
            )

    async def start(self) -> None:
        """Recover at once, then keep retrying rows whose exchange did not answer."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="trading-recovery")

    async def _loop(self) -> None:
        while True:
            try:
                # A pass runs to its end even if the loop is stopped meanwhile: a
                # transaction cut off mid-way can leave SQLite locked.
                self._pass = asyncio.ensure_future(self._one_pass())
                await asyncio.shield(self._pass)
            except Exception:
                log.exception("trading recovery pass failed")
            await asyncio.sleep(self.recover_every)

    async def _one_pass(self) -> None:
        await self.confirmations.expire_stale()
        await self.recover()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._pass is not None and not self._pass.done():
            await asyncio.wait({self._pass}, timeout=15)
