"""Order-fill, cancel and deposit alerts for every connected account.

Where the system pushes account events (``trading.account_events == "stream"``: Wallex's
private channel, Narkasa's ``USER_STREAMS``) one supervised private stream per account
runs, reconnecting with backoff; after every (re)connect one poll catches up on what
happened while it was down. Elsewhere (``"poll"``: ALP, WEX) the account is polled:
fast while it has open orders the bot knows of or one was just placed, slowly
otherwise. WallexPay deposits arrive by its callbacks; their handler calls ``notify``.

Every event is turned into at most one message per fact — a fill to a new filled
amount, a cancel, a deposit in a new state — by the dedupe key of its outbox row
(``fill:<exchange>:<order id>:<filled>``…) and by moving the watched order's recorded
fill forward in one conditional UPDATE, so a poll and a stream seeing the same fill,
or a restart, never announce it twice. The notifier delivers within Telegram's limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.accounts import AccountService
from bot.chats import ChatPreferences
from bot.i18n import Lang
from exchanges.accounts import AccountClient
from exchanges.errors import ExchangeError, NotSupported, OrderNotFound
from exchanges.models import (
    AccountEvent,
    Deposit,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TradingCapabilities,
    TransferStatus,
)
from storage.db import Database
from storage.models import TrackedOrder
from storage.repos import confirmations as confirmations_repo
from storage.repos import orders as orders_repo
from storage.repos import outbox

log = logging.getLogger(__name__)
T = TypeVar("T")
FILL_SLACK = timedelta(seconds=30)  # an exchange's clock may run behind ours


def repo_time(moment: datetime) -> datetime:
    """Aware UTC (SQLite hands back naive times)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class EventTexts(Protocol):
    """Message texts of account events (``handlers/trading_texts.py``)."""

    def order_event_text(self, lang: Lang, order: Order, previous_filled: Decimal) -> str: ...

    def deposit_text(self, lang: Lang, deposit: Deposit) -> str: ...


@dataclass(frozen=True, slots=True)
class PollRates:
    fast: float = 5.0  # while open orders are known or one was just placed
    slow: float = 120.0
    fast_for: float = 300.0  # seconds of fast polling after an order is placed
    rescan: float = 60.0  # how often newly connected accounts are picked up
    backoff_first: float = 1.0
    backoff_most: float = 60.0


def dedupe_key(*parts: str) -> str:
    """An outbox dedupe key; long ones (odd order ids) are hashed to fit its column."""
    key = ":".join(parts)
    if len(key) <= outbox.DEDUPE_MAX:
        return key
    return parts[0] + ":" + hashlib.sha256(key.encode()).hexdigest()[:64]


@dataclass
class _Watch:
    user_id: int
    exchange: str
    task: asyncio.Task[None] | None = None
    fast_until: float = 0.0
    poked: asyncio.Event = field(default_factory=asyncio.Event)


class AccountEvents:
    def __init__(
        self,
        db: Database,
        accounts: AccountService,
        chats: ChatPreferences,
        texts: EventTexts,
        *,
        stream_urls: Mapping[str, str],
        wake: Callable[[], None] | None = None,
        rates: PollRates | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.accounts = accounts
        self.chats = chats
        self.texts = texts
        self.stream_urls = dict(stream_urls)
        self.wake = wake
        self.rates = rates or PollRates()
        self.clock = clock
        self._watches: dict[tuple[int, str], _Watch] = {}
        self._scanner: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._finishing: set[asyncio.Future[Any]] = set()

    # --- which accounts ---------------------------------------------------------------
    def capabilities(self, exchange: str) -> TradingCapabilities:
        found = self.accounts.factories.get(exchange)
        return found[0].trading if found is not None else TradingCapabilities()

    def watched_exchanges(self) -> list[str]:
        return [
            name
            for name in self.accounts.exchanges
            if self.capabilities(name).account_events in ("stream", "poll")
        ]

    async def start(self) -> None:
        if self._scanner is None:
            await self._finish(self.rescan())
            self._scanner = asyncio.create_task(self._rescan_loop(), name="account-events")

    async def _finish(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a unit of work that writes to the database to its end even if the task
        awaiting it is cancelled (a transaction cut off mid-way can leave SQLite
        locked); ``stop`` waits for such units."""
        future = asyncio.ensure_future(work)
        self._finishing.add(future)
        future.add_done_callback(self._finishing.discard)
        return await asyncio.shield(future)

    async def stop(self) -> None:
        scanner, self._scanner = self._scanner, None
        tasks = [w.task for w in self._watches.values() if w.task is not None]
        if scanner is not None:
            tasks.append(scanner)
        for task in tasks:
            task.cancel()
        if tasks:
            # A stream that does not close promptly must not hold up the bot's shutdown.
            _, stuck = await asyncio.wait(tasks, timeout=10)
            for task in stuck:
                log.warning("account events: %s did not stop in time", task.get_name())
        if self._finishing:
            await asyncio.wait(set(self._finishing), timeout=15)
        self._watches.clear()

    async def _rescan_loop(self) -> None:
        while True:
            await asyncio.sleep(self.rates.rescan)
            try:
                await self._finish(self.rescan())
            except Exception:
                log.exception("account events: rescan failed")

    async def rescan(self) -> None:
        """Watch every connected account that has events; stop watching removed ones."""
        async with self.db.session() as session:
            current = set(await orders_repo.connected(session, self.watched_exchanges()))
        async with self._lock:
            for key in list(self._watches):
                if key not in current:
                    watch = self._watches.pop(key)
                    if watch.task is not None:
                        watch.task.cancel()
            for user_id, exchange in current:
                self._ensure(user_id, exchange)

    def _ensure(self, user_id: int, exchange: str) -> _Watch | None:
        mode = self.capabilities(exchange).account_events
        if mode not in ("stream", "poll"):
            return None
        key = (user_id, exchange)
        watch = self._watches.get(key)
        if watch is None:
            watch = _Watch(user_id, exchange)
            self._watches[key] = watch
        if watch.task is None or watch.task.done():
            run = self._stream if mode == "stream" and exchange in self.stream_urls else self._poll
            watch.task = asyncio.create_task(run(watch), name=f"account-events:{exchange}")
        return watch

    def poke(self, user_id: int, exchange: str) -> None:
        """An order was just placed or cancelled: poll this account fast for a while."""
        if self._scanner is None:
            return
        watch = self._ensure(user_id, exchange)
        if watch is not None:
            watch.fast_until = self.clock() + self.rates.fast_for
            watch.poked.set()

    # --- polling ----------------------------------------------------------------------
    async def _interval(self, watch: _Watch) -> float:
        if self.clock() < watch.fast_until:
            return self.rates.fast
        async with self.db.session() as session:
            has_open = await orders_repo.open_count(session, watch.user_id, watch.exchange)
        return self.rates.fast if has_open else self.rates.slow

    async def _poll(self, watch: _Watch) -> None:
        failures = 0
        while True:
            try:
                await self._finish(self.poll_once(watch.user_id, watch.exchange))
                failures = 0
                delay = await self._finish(self._interval(watch))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = self._backoff(failures)
                log.warning("account events: %s poll failed: %s", watch.exchange, exc)
            watch.poked.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(watch.poked.wait(), delay)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.rates.backoff_most, self.rates.backoff_first * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)

    async def poll_once(self, user_id: int, exchange: str) -> int:
        """One look at the account's watched orders and deposits; messages queued."""
        caps = self.capabilities(exchange)
        queued = 0
        async with self.accounts.session(user_id, exchange) as client:
            if caps.open_orders:
                queued += await self._poll_orders(client, user_id, exchange)
            if caps.deposits_history:
                queued += await self._poll_deposits(client, user_id, exchange)
        return queued

    async def _poll_orders(self, client: AccountClient, user_id: int, exchange: str) -> int:
        async with self.db.session() as session:
            watched = list(await orders_repo.open_of(session, user_id, exchange))
        if not watched:
            return 0
        open_now = {o.order_id: o for o in await self.accounts.call(exchange, client.open_orders())}
        queued = 0
        for row in watched:
            order = open_now.get(row.order_id)
            if order is None:
                order = await self._closed_order(client, row)
                if order is None:
                    # Gone from the open list, and the system cannot say how: stop
                    # watching it rather than guess "filled" or "cancelled".
                    async with self.db.session() as session:
                        await orders_repo.settle(
                            session,
                            user_id,
                            exchange,
                            row.order_id,
                            filled=Decimal(row.filled),
                            status=orders_repo.CLOSED,
                        )
                    continue
            queued += await self._on_order(user_id, order)
        return queued

    async def _closed_order(self, client: AccountClient, row: TrackedOrder) -> Order | None:
        """An order that left the open list: filled or cancelled, as the exchange says."""
        exchange = row.exchange
        try:
            return await self.accounts.call(exchange, client.order(row.order_id))
        except OrderNotFound:
            pass
        except NotSupported:
            pass
        try:
            fills = await self.accounts.call(exchange, client.fills())
        except NotSupported:
            return None
        mine = [f for f in fills if f.order_id == row.order_id]
        if not mine:
            # Some systems' trade lists name no order (Narkasa's user-trades): take the
            # anonymous fills of the same market, side and limit price since the order
            # was made. None when nothing matches: cancelled, or unknowable.
            since = repo_time(row.created_at) - FILL_SLACK
            mine = [
                f
                for f in fills
                if not f.order_id
                and f.symbol == row.symbol
                and f.side.value == row.side
                and (row.price is None or f.price == Decimal(row.price))
                and f.time >= since
            ]
            if not mine:
                return None
        filled = sum((f.amount for f in mine), Decimal(0))
        amount = Decimal(row.amount)
        filled = max(filled, Decimal(row.filled))
        return Order(
            exchange=exchange,
            order_id=row.order_id,
            symbol=row.symbol,
            side=Side(row.side),
            type=_type_of(row),
            amount=amount,
            filled=min(filled, amount),
            status=OrderStatus.FILLED if filled >= amount else OrderStatus.CANCELLED,
            price=Decimal(row.price) if row.price is not None else None,
        )

    async def _poll_deposits(self, client: AccountClient, user_id: int, exchange: str) -> int:
        deposits = await self.accounts.call(exchange, client.deposits())
        return await self._on_deposits(user_id, exchange, deposits, baseline=True)

    # --- streams ----------------------------------------------------------------------
    async def _stream(self, watch: _Watch) -> None:
        attempt = 0
        url = self.stream_urls[watch.exchange]
        while True:
            try:
                async with self.accounts.session(watch.user_id, watch.exchange) as client:
                    stream = client.account_stream(url)
                    try:
                        await stream.connect()
                        attempt = 0
                        # Catch up on what happened while no stream was listening.
                        with contextlib.suppress(ExchangeError):
                            await self._finish(self.poll_once(watch.user_id, watch.exchange))
                        deposits = self.capabilities(watch.exchange).deposits_history
                        async for event in stream.events():
                            await self._finish(self.notify(watch.user_id, event))
                            if event.kind == "balance" and deposits:
                                # A balance that moved may be a deposit the stream does
                                # not name (Narkasa pushes only balances): look.
                                with contextlib.suppress(ExchangeError):
                                    await self._finish(
                                        self._poll_deposits(client, watch.user_id, watch.exchange)
                                    )
                    finally:
                        await stream.close()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("account events: %s stream dropped: %s", watch.exchange, exc)
            attempt += 1
            await asyncio.sleep(self._backoff(attempt))

    # --- events -> messages -----------------------------------------------------------
    async def notify(self, user_id: int, event: AccountEvent) -> int:
        """Turn one account event into its owner's messages (deduplicated); how many."""
        if event.kind == "order" and event.order is not None:
            return await self._on_order(user_id, event.order)
        if event.kind == "deposit" and event.deposit is not None:
            return await self._on_deposits(user_id, event.exchange, [event.deposit])
        return 0

    async def _on_order(self, user_id: int, order: Order) -> int:
        exchange = order.exchange
        async with self.db.session() as session:
            row = await orders_repo.get(session, user_id, exchange, order.order_id)
            if row is None:
                # Not known yet: placed elsewhere (the exchange's own app), or placed by
                # this bot and pushed before its sender recorded it. In the second case
                # the sender's reply tells this state, so it becomes the baseline here.
                sending = await self._sending(session, user_id, exchange)
                await orders_repo.track(
                    session,
                    user_id=user_id,
                    chat_id=user_id,
                    exchange=exchange,
                    order_id=order.order_id,
                    symbol=order.symbol,
                    side=order.side.value,
                    amount=order.amount,
                    price=order.price,
                    filled=order.filled if sending else Decimal(0),
                    status=order.status.value if sending else OrderStatus.OPEN.value,
                    client_order_id=order.client_order_id,
                )
                row = await orders_repo.get(session, user_id, exchange, order.order_id)
                assert row is not None
            previous = Decimal(row.filled)
            chat_id = row.chat_id
            news = order.filled > previous or (
                order.status is OrderStatus.CANCELLED and row.status != OrderStatus.CANCELLED.value
            )
            if order.filled < previous or (not news and order.status.value == row.status):
                return 0
            if not await orders_repo.advance(
                session, row, filled=max(order.filled, previous), status=order.status.value
            ):
                return 0  # someone else recorded this step first
            if not news:
                return 0
        lang = await self.chats.language(chat_id, None)
        text = self.texts.order_event_text(lang, order, previous)
        kind = "cancel" if order.filled == previous else "fill"
        async with self.db.session() as session:
            queued = await outbox.enqueue(
                session,
                chat_id=chat_id,
                user_id=user_id,
                kind=kind,
                dedupe=dedupe_key(kind, exchange, order.order_id, str(order.filled.normalize())),
                text=text,
            )
        if queued and self.wake is not None:
            self.wake()
        return int(queued)

    @staticmethod
    async def _sending(session: AsyncSession, user_id: int, exchange: str) -> bool:
        """Is one of this user's orders on ``exchange`` between Confirm and its answer?"""
        rows = await confirmations_repo.in_states(
            session, (confirmations_repo.CONFIRMED, confirmations_repo.SENT), ("order",)
        )
        return any(r.user_id == user_id and r.payload.get("exchange") == exchange for r in rows)

    async def _on_deposits(
        self,
        user_id: int,
        exchange: str,
        deposits: Sequence[Deposit],
        *,
        baseline: bool = False,
    ) -> int:
        """New deposits (or new states of one) → messages. ``baseline``: the list is a
        full history page, and the first one ever seen is only remembered."""
        keys = [f"{d.deposit_id}:{d.status.value}" for d in deposits]
        async with self.db.session() as session:
            seen = await orders_repo.seen_deposits(session, user_id, exchange)
            await orders_repo.remember_deposits(session, user_id, exchange, keys)
        if seen is None and baseline:
            return 0
        fresh = [
            d
            for d, key in zip(deposits, keys, strict=True)
            if key not in (seen or set()) and d.status is not TransferStatus.FAILED
        ]
        if not fresh:
            return 0
        lang = await self.chats.language(user_id, None)
        queued = 0
        async with self.db.session() as session:
            for deposit in reversed(fresh):  # oldest first
                queued += await outbox.enqueue(
                    session,
                    chat_id=user_id,
                    user_id=user_id,
                    kind="deposit",
                    dedupe=dedupe_key(
                        "deposit", exchange, str(user_id), deposit.deposit_id, deposit.status.value
                    ),
                    text=self.texts.deposit_text(lang, deposit),
                )
        if queued and self.wake is not None:
            self.wake()
        return queued


def _type_of(row: TrackedOrder) -> OrderType:
    return OrderType.MARKET if row.price is None else OrderType.LIMIT
