"""Alerts as a use case: create, list, pause, delete — and fire, exactly once.

The database is the source of truth; the engine is an index rebuilt from it at start.
A firing is decided in memory on a tick, then made real in one transaction: the alert
row changes state only if it is still active (a conditional UPDATE, the one place
"exactly once" is decided) and the message goes into the outbox in the same commit,
with a dedupe key per firing. The notifier then delivers it. A crash before the commit
loses nothing — the alert is still active and the restart looks back over the prices
it missed (``recover``); a crash after it loses nothing either — the outbox row waits.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Callable, MutableSequence, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from bot.alerts.engine import AlertEngine
from bot.alerts.model import AlertRule, Firing, Kind
from bot.alerts.wallexpay import NAME as WALLEXPAY
from bot.alerts.wallexpay import WallexPayRates
from bot.buttons import PREFIX as BUTTON_PREFIX
from bot.buttons import ButtonService
from bot.chats import ChatPreferences
from bot.errors import BotError
from bot.i18n import Lang
from bot.market import MarketService
from exchanges.errors import ExchangeError
from exchanges.intervals import interval_seconds
from exchanges.models import Market, Tick
from storage.db import Database
from storage.models import Alert, Chat, MarketMark
from storage.repos import buttons as button_store
from storage.repos import outbox

log = logging.getLogger(__name__)

ACTIVE = "active"
PAUSED = "paused"
FIRED = "fired"
EXPIRED = "expired"
DELETED = "deleted"
RECOVERY_CANDLES = 500
# Buttons under a fired alert stay usable for a week (one use each, as every button).
BUTTON_TTL = timedelta(days=7)


class TooManyAlerts(BotError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"at most {limit} alerts")
        self.limit = limit


class AlertNotFound(BotError):
    def __init__(self, alert_id: int) -> None:
        super().__init__(f"no alert {alert_id}")
        self.alert_id = alert_id


@dataclass(frozen=True, slots=True)
class AlertRequest:
    kind: Kind
    price: Decimal | None = None
    pct: Decimal | None = None
    window: int | None = None
    repeat_every: int | None = None
    until: datetime | None = None
    # change: "+5" (up only) as opposed to "5" (either way); Decimal drops the "+".
    signed: bool = False


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    exchange: str
    symbol: str
    pair: str
    kind: Kind
    price: Decimal | None
    pct: Decimal | None
    window: int | None
    repeat_every: int | None
    until: datetime | None
    state: str
    fire_count: int
    last_fired_at: datetime | None
    created_at: datetime
    chat_id: int
    user_id: int
    signed: bool = False


@dataclass(frozen=True, slots=True)
class Created:
    alert: AlertView
    market: Market
    current: Decimal


@dataclass(frozen=True, slots=True)
class FiredAlert:
    alert: AlertView
    firing: Firing


Renderer = Callable[[Lang, FiredAlert], tuple[str, list[list[dict[str, Any]]]]]


def pct_text(pct: Decimal | None, signed: bool) -> str | None:
    """Stored with its "+" when the user wrote one, so "up only" survives a restart."""
    if pct is None:
        return None
    return f"+{pct}" if signed and pct > 0 else str(pct)


def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def _ts(when: datetime | None) -> float | None:
    if when is None:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def view_of(row: Alert) -> AlertView:
    return AlertView(
        id=row.id,
        exchange=row.exchange,
        symbol=row.symbol,
        pair=row.pair,
        kind=Kind(row.kind),
        price=_dec(row.price),
        pct=_dec(row.pct),
        window=row.window_s,
        repeat_every=row.repeat_every_s,
        until=row.until,
        state=row.state,
        fire_count=row.fire_count,
        last_fired_at=row.last_fired_at,
        created_at=row.created_at,
        chat_id=row.chat_id,
        user_id=row.user_id,
        signed=(row.pct or "").startswith("+"),
    )


def rule_of(row: Alert) -> AlertRule:
    return AlertRule(
        id=row.id,
        exchange=row.exchange,
        symbol=row.symbol,
        kind=Kind(row.kind),
        price=_dec(row.price),
        pct=_dec(row.pct),
        window=row.window_s,
        repeat_every=row.repeat_every_s,
        until=_ts(row.until),
        reference_price=_dec(row.reference_price),
        last_fired_at=_ts(row.last_fired_at),
        signed=(row.pct or "").startswith("+"),
    )


def _fire_update() -> Executable:
    """The conditional UPDATE of a firing, built once so its compiled form is reused:
    only a still active alert changes state, and it comes back with its chat's
    language."""
    table = cast(Table, Alert.__table__)
    language = select(Chat.language).where(Chat.id == table.c.chat_id).scalar_subquery()
    return (
        update(table)
        .where(table.c.id.in_(bindparam("ids", expanding=True)), table.c.state == ACTIVE)
        .values(
            fire_count=table.c.fire_count + 1,
            last_fired_at=bindparam("at", type_=table.c.last_fired_at.type),
            state=case((table.c.repeat_every_s.is_(None), FIRED), else_=table.c.state),
        )
        .returning(*table.c, language.label("language"))
    )


_FIRE_UPDATE = _fire_update()


def _rounds(firings: Sequence[Firing]) -> list[list[Firing]]:
    """Split so that no alert appears twice in a round: its second firing must see the
    first one's state change (an ``every`` alert firing again in one batch)."""
    rounds: list[list[Firing]] = []
    seen: list[set[int]] = []
    for firing in firings:
        for batch, ids in zip(rounds, seen, strict=True):
            if firing.alert_id not in ids:
                batch.append(firing)
                ids.add(firing.alert_id)
                break
        else:
            rounds.append([firing])
            seen.append({firing.alert_id})
    return rounds


def _by_time(firings: Sequence[Firing]) -> dict[float, list[int]]:
    grouped: dict[float, list[int]] = {}
    for firing in firings:
        grouped.setdefault(firing.at, []).append(firing.alert_id)
    return grouped


def _with_tokens(
    buttons: list[list[dict[str, Any]]],
    user_id: int,
    chat_id: int,
    expires: datetime,
    into: list[dict[str, Any]],
) -> list[list[dict[str, Any]]]:
    """Give each button a one-time token (one group: pressing one spends all) and add the
    rows that make them real to ``into``, written in the firing's transaction."""
    group = secrets.token_urlsafe(12)
    issued = []
    for r in buttons:
        row = []
        for b in r:
            token = secrets.token_urlsafe(16)
            into.append(
                {
                    "token": token,
                    "user_id": user_id,
                    "chat_id": chat_id,
                    "action": str(b["action"]),
                    "payload": dict(b["payload"]),
                    "group_id": group,
                    "expires_at": expires,
                }
            )
            row.append({**b, "callback_data": BUTTON_PREFIX + token})
        issued.append(row)
    return issued


def candle_ticks(candles: Sequence[Any], since: float, until: float) -> list[tuple[float, Decimal]]:
    """The path a candle's price must have taken, as ticks: open, the extreme met first
    (low for a rising candle, high for a falling one), the other extreme, close."""
    points: list[tuple[float, Decimal]] = []
    for c in candles:
        start = c.time.timestamp()
        if start + 1 < since or start > until:
            continue
        first, second = (c.low, c.high) if c.close >= c.open else (c.high, c.low)
        for offset, price in ((0.0, c.open), (0.25, first), (0.5, second), (0.75, c.close)):
            at = max(start + offset, since)
            points.append((at, price))
    return points


class AlertService:
    def __init__(
        self,
        db: Database,
        market: MarketService,
        chats: ChatPreferences,
        render: Renderer,
        *,
        engine: AlertEngine | None = None,
        max_per_user: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.market = market
        self.chats = chats
        self.render = render
        self.engine = engine or AlertEngine()
        self.max_per_user = max_per_user
        self.clock = clock
        self.wake: Callable[[Sequence[outbox.Queued]], None] = lambda rows: None
        """Tells the notifier about committed rows (``Notifier.wake``)."""
        self.lease: Callable[[], outbox.Lease | None] = lambda: None
        """The lease new rows are born under, so they can be handed over as they are
        (``Notifier.birth_lease``); without one the notifier reads them back."""
        self.buttons: ButtonService | None = None
        self.watch: Callable[[set[tuple[str, str]]], None] = lambda markets: None
        self.rates: WallexPayRates | None = None
        """WallexPay's rates as an alert source (``bot/alerts/wallexpay.py``), if wired."""
        self._marks: dict[tuple[str, str], tuple[Decimal, float]] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._fire_lock = asyncio.Lock()
        # alert id → chat id of the active alerts, so firing needs no extra query.
        self._chats: dict[int, int] = {}
        # When each rule was armed (epoch seconds): prices from before it never fire it.
        self._armed_at: dict[int, float] = {}
        self._flusher: asyncio.Task[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._pending: list[Firing] = []
        self._pending_ready = asyncio.Event()
        self.fired_total = 0

    # --- lifetime ----------------------------------------------------------------------
    async def start(self) -> None:
        """Rebuild the index from the database, then look back over what was missed."""
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Alert).where(Alert.state == ACTIVE)))
            marks = {(m.exchange, m.symbol): m for m in await session.scalars(select(MarketMark))}
        for row in rows:
            self._add(row)
        now = self.clock()
        since_by_market: dict[tuple[str, str], float] = {}
        for row in rows:
            key = (row.exchange, row.symbol)
            mark = marks.get(key)
            since = _ts(mark.seen_at) if mark else _ts(row.created_at)
            if since is not None:
                since_by_market[key] = min(since_by_market.get(key, since), since)
            if mark is not None:
                self.engine.seed(
                    row.exchange, row.symbol, [(_ts(mark.seen_at) or now, Decimal(mark.last_price))]
                )
        for (exchange, symbol), since in since_by_market.items():
            await self._recover_market(exchange, symbol, since, now)
        self._publish_markets()
        self._flusher = asyncio.create_task(self._flush_marks_forever(), name="alert-marks")
        self._writer = asyncio.create_task(self._write_firings_forever(), name="alert-firings")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        await self._write_pending()  # what was decided is recorded before we go
        if self._flusher is not None:
            self._flusher.cancel()
            with_suppress = asyncio.gather(self._flusher, return_exceptions=True)
            await with_suppress
            self._flusher = None
        await self.flush_marks()

    def _add(self, row: Alert) -> None:
        self._chats[row.id] = row.chat_id
        # A re-arm keeps no date of its own; its last firing is the closest one known.
        self._armed_at[row.id] = max(_ts(row.created_at) or 0.0, _ts(row.last_fired_at) or 0.0)
        self.engine.add(rule_of(row))

    def _publish_markets(self) -> None:
        self.watch(self.engine.markets())

    # --- use cases -----------------------------------------------------------------------
    async def create(
        self,
        user_id: int,
        chat_id: int,
        exchange: str,
        symbol_text: str,
        request: AlertRequest,
        *,
        arm: bool = True,
    ) -> Created:
        """Store a new alert; ``arm=False`` leaves arming to ``arm()`` (after the reply is out,
        so a condition already met does not fire before the user read "alert set")."""
        market, current = await self._market_now(exchange, symbol_text)
        async with self.db.session() as session:
            count = await session.scalar(
                select(func.count(Alert.id)).where(
                    Alert.user_id == user_id, Alert.state.in_((ACTIVE, PAUSED))
                )
            )
            if (count or 0) >= self.max_per_user:
                raise TooManyAlerts(self.max_per_user)
            row = Alert(
                user_id=user_id,
                chat_id=chat_id,
                exchange=market.exchange,
                symbol=market.symbol,
                pair=market.pair,
                kind=request.kind.value,
                price=str(request.price) if request.price is not None else None,
                pct=pct_text(request.pct, request.signed),
                window_s=request.window,
                repeat_every_s=request.repeat_every,
                until=request.until,
                reference_price=str(current),
                state=ACTIVE,
                fire_count=0,
            )
            session.add(row)
            await session.flush()
            view = view_of(row)
            self._chats[row.id] = row.chat_id
            self._armed_at[row.id] = self.clock()
            rule = rule_of(row)
        if arm:
            self.engine.add(rule)
            self._publish_markets()
        log.info("alert %s created (%s %s %s)", view.id, view.exchange, view.symbol, view.kind)
        return Created(view, market, current)

    def check_exchange(self, exchange: str) -> None:
        """Raise ``UnknownExchange`` unless alerts can watch ``exchange``."""
        if exchange == WALLEXPAY and self.rates is not None:
            return
        self.market.client(exchange)

    async def _market_now(self, exchange: str, symbol_text: str) -> tuple[Market, Decimal]:
        if exchange == WALLEXPAY and self.rates is not None:
            return await self.rates.market(symbol_text)
        client, market = await self.market.market(exchange, symbol_text)
        ticker = await self.market.ticker(client.name, market.symbol)
        return market, ticker.last

    async def arm(self, alert_id: int) -> None:
        async with self.db.session() as session:
            row = await session.get(Alert, alert_id)
            if row is None or row.state != ACTIVE:
                return
            self._chats[row.id] = row.chat_id
            self._armed_at[row.id] = self.clock()
            rule = rule_of(row)
        self.engine.add(rule)
        self._publish_markets()

    async def list(self, user_id: int) -> list[AlertView]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Alert)
                .where(Alert.user_id == user_id, Alert.state.in_((ACTIVE, PAUSED, FIRED)))
                .order_by(Alert.id)
            )
            return [view_of(r) for r in rows]

    async def _owned(self, session: Any, user_id: int, alert_id: int) -> Alert:
        row = await session.get(Alert, alert_id)
        if row is None or row.user_id != user_id or row.state == DELETED:
            raise AlertNotFound(alert_id)
        return row  # type: ignore[no-any-return]

    async def _disarm(
        self, user_id: int, alert_id: int, state: str, *, from_: tuple[str, ...]
    ) -> AlertView:
        """Move the caller's alert to ``state`` (when it is in one of ``from_``) and take it
        out of the engine."""
        async with self.db.session() as session:
            row = await self._owned(session, user_id, alert_id)
            if row.state in from_:
                row.state = state
            view = view_of(row)
        self.engine.remove(alert_id)
        self._publish_markets()
        return view

    async def delete(self, user_id: int, alert_id: int) -> AlertView:
        return await self._disarm(
            user_id, alert_id, DELETED, from_=(ACTIVE, PAUSED, FIRED, EXPIRED)
        )

    async def pause(self, user_id: int, alert_id: int) -> AlertView:
        return await self._disarm(user_id, alert_id, PAUSED, from_=(ACTIVE,))

    async def resume(self, user_id: int, alert_id: int) -> AlertView:
        """Resume a paused alert, or re-arm a fired once-alert, from the current price."""
        async with self.db.session() as session:
            row = await self._owned(session, user_id, alert_id)
        ticker = await self.market.ticker(row.exchange, row.symbol)
        async with self.db.session() as session:
            row = await self._owned(session, user_id, alert_id)
            if row.state in (PAUSED, FIRED, EXPIRED):
                row.state = ACTIVE
                row.reference_price = str(ticker.last)
                if row.until is not None and (_ts(row.until) or 0) <= self.clock():
                    row.until = None
            view = view_of(row)
            rule = rule_of(row)
            self._chats[row.id] = row.chat_id
            self._armed_at[row.id] = self.clock()
        if view.state == ACTIVE:
            self.engine.add(rule)
            self._publish_markets()
        return view

    async def pause_chat(self, chat_id: int) -> int:
        """The user blocked the bot (or it left the chat): stop firing into that chat."""
        async with self.db.session() as session:
            rows = list(
                await session.scalars(
                    select(Alert).where(Alert.chat_id == chat_id, Alert.state == ACTIVE)
                )
            )
            for row in rows:
                row.state = PAUSED
        for row in rows:
            self.engine.remove(row.id)
        self._publish_markets()
        if rows:
            log.info(
                "paused %s alert(s) of chat %s: the bot cannot write there", len(rows), chat_id
            )
        return len(rows)

    # --- ticks and firing ------------------------------------------------------------------
    async def on_tick(self, tick: Tick) -> None:
        at = tick.time.timestamp()
        key = (tick.exchange, tick.symbol)
        self._marks[key] = (tick.price, at)
        self._dirty.add(key)
        firings = self.engine.on_tick(tick.exchange, tick.symbol, tick.price, at)
        if firings:
            # Recorded by the writer task, batched: a slow commit never holds up the ticks.
            self._pending.extend(firings)
            self._pending_ready.set()
        expired = self.engine.expire(at)
        if expired:
            await self._mark_expired(expired)

    async def fire(self, firings: Sequence[Firing]) -> int:
        """Persist firings and queue their messages in one transaction; wake the notifier.

        Every round trip to the database is a trip through a worker thread (SQLite) or
        the network, and the ORM's unit of work costs more than the statements, so a
        batch of firings is three Core statements whatever its size: one conditional
        UPDATE … RETURNING (the one place "exactly once" is decided: only a still active
        alert changes state, and the row comes back with its chat's language), one
        insert of the buttons and one of the outbox rows — on SQLite all in one trip
        through a thread (``Database.write_at_once``). The rows go to the notifier the
        moment the commit is done.
        """
        queued: list[outbox.Queued] = []
        fired: list[FiredAlert] = []
        async with self._fire_lock:
            lease = self.lease()
            live = [f for f in firings if f.alert_id in self._chats]

            def write(connection: Connection) -> None:
                for batch in _rounds(live):
                    fired_now, queued_now = self._fire_round(connection, batch, lease)
                    fired.extend(fired_now)
                    queued.extend(queued_now)

            if live:
                await self.db.write_at_once(write)
            if queued:
                self.wake(queued if lease is not None else [])
            self.fired_total += len(fired)
        if any(f.alert.state == FIRED for f in fired):
            self._publish_markets()
        return len(queued)

    def _fire_round(
        self, connection: Connection, firings: Sequence[Firing], lease: outbox.Lease | None
    ) -> tuple[Sequence[FiredAlert], Sequence[outbox.Queued]]:
        """Firings of distinct alerts, written by three statements (synchronous Core:
        on SQLite the whole transaction is one trip through a thread)."""
        by_id: dict[int, Firing] = {f.alert_id: f for f in firings}
        rows: dict[int, Alert] = {}
        codes: dict[int, str | None] = {}
        # One UPDATE per distinct tick time (a burst from one tick is one statement).
        for at, ids in _by_time(firings).items():
            result = connection.execute(
                _FIRE_UPDATE, {"ids": ids, "at": datetime.fromtimestamp(at, UTC)}
            )
            for mapping in result.mappings():
                values = dict(mapping)
                codes[values["id"]] = values.pop("language")
                rows[values["id"]] = Alert(**values)
        fired: list[FiredAlert] = []
        messages: list[outbox.NewMessage] = []
        button_rows: list[dict[str, Any]] = []
        expires = datetime.now(UTC) + BUTTON_TTL
        for firing in firings:  # in the engine's order, whatever order RETURNING used
            row = rows.get(firing.alert_id)
            if row is None:
                continue
            item = FiredAlert(view_of(row), by_id[firing.alert_id])
            fired.append(item)
            text, buttons = self.render(self.chats.i18n.get(codes[row.id]), item)
            if row.exchange == WALLEXPAY:  # rates only: nothing to chart
                buttons = [
                    kept
                    for r in buttons
                    if (kept := [b for b in r if b["action"] != "alert_chart"])
                ]
            if self.buttons is not None and buttons:
                buttons = _with_tokens(buttons, row.user_id, row.chat_id, expires, button_rows)
            messages.append(
                outbox.NewMessage(
                    chat_id=row.chat_id,
                    user_id=row.user_id,
                    kind="alert",
                    dedupe=f"alert:{row.id}:{row.fire_count}",
                    text=text,
                    buttons=buttons,
                )
            )
        button_store.insert_many(connection, button_rows)
        return fired, outbox.insert_many(connection, messages, lease)

    async def _write_pending(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            await self.fire(batch)
        except Exception:
            # Nothing was committed: put the rules back so a later tick retries.
            log.exception("could not record %s firing(s); they stay armed", len(batch))
            await self._reload([f.alert_id for f in batch])

    async def _write_firings_forever(self) -> None:
        while True:
            await self._pending_ready.wait()
            self._pending_ready.clear()
            await self._write_pending()

    async def _reload(self, ids: Sequence[int]) -> None:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(Alert).where(Alert.id.in_(ids), Alert.state == ACTIVE)
            )
            for row in rows:
                self._add(row)

    async def _mark_expired(self, ids: Sequence[int]) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(Alert).where(Alert.id.in_(ids), Alert.state == ACTIVE).values(state=EXPIRED)
            )
        self._publish_markets()

    # --- looking back over a gap ----------------------------------------------------------
    async def on_gap(self, exchange: str, since: float, until: float) -> None:
        """A stream of ``exchange`` was down from ``since`` to ``until``: replay its candles."""
        for ex, symbol in sorted(self.engine.markets()):
            if ex == exchange:
                await self._recover_market(ex, symbol, since, until)

    async def _recover_market(self, exchange: str, symbol: str, since: float, until: float) -> None:
        points: list[tuple[float, Decimal]] = []
        try:
            await self._look_back(points, exchange, symbol, since, until)
        except (ExchangeError, BotError) as exc:
            log.warning("could not look back over %s %s: %s", exchange, symbol, type(exc).__name__)
        firings = self._replay(exchange, symbol, sorted(points, key=lambda p: p[0]), since)
        if firings:
            log.info(
                "%s alert(s) of %s %s fired on prices seen while away",
                len(firings),
                exchange,
                symbol,
            )
            await self.fire(firings)

    def _replay(
        self, exchange: str, symbol: str, points: Sequence[tuple[float, Decimal]], since: float
    ) -> Sequence[Firing]:
        """Feed the engine prices seen while away, each only to the rules armed by then.

        An alert made (or re-armed) during the gap must not fire on a crossing that
        happened before it existed: such rules sit out the replay until its clock
        reaches their arming. No await here, so no live tick interleaves.
        """
        young = sorted(
            (armed, alert_id)
            for alert_id, armed in self._armed_at.items()
            if armed > since
            and (rule := self.engine.get(alert_id)) is not None
            and (rule.exchange, rule.symbol) == (exchange, symbol)
        )
        held = {alert_id: self.engine.remove(alert_id) for _, alert_id in young}
        firings: list[Firing] = []
        try:
            for at, price in points:
                while young and young[0][0] <= at:
                    rule = held.pop(young.pop(0)[1])
                    if rule is not None:
                        self.engine.add(rule)
                firings.extend(self.engine.on_tick(exchange, symbol, price, at))
        finally:
            for rule in held.values():
                if rule is not None:
                    self.engine.add(rule)
        return firings

    async def _look_back(
        self,
        points: MutableSequence[tuple[float, Decimal]],
        exchange: str,
        symbol: str,
        since: float,
        until: float,
    ) -> None:
        """Add to ``points`` the prices of ``symbol`` from ``since`` to ``until``: candles
        where the exchange has them, then its price now."""
        if exchange == WALLEXPAY:
            # Rates only, no history: what is true now is all there is to catch up on.
            if self.rates is not None:
                points.append((max(until, since), await self.rates.price(symbol)))
            return
        client = self.market.client(exchange)
        markets = await client.markets()
        market = markets.get(symbol)
        if market is None:
            return
        intervals = client.capabilities.candle_intervals
        sized = sorted((s, i) for i in intervals if (s := interval_seconds(i)) is not None)
        if sized and until - since > 1:
            seconds, interval = sized[0]
            count = min(RECOVERY_CANDLES, math.ceil((until - since) / seconds) + 1)
            candles = await self.market.candles(exchange, market, interval, count)
            points.extend(candle_ticks(candles, since, until))
        ticker = await self.market.ticker(exchange, symbol)
        points.append((max(until, since), ticker.last))

    # --- marks ------------------------------------------------------------------------------
    async def _upsert_mark(
        self, session: Any, key: tuple[str, str], price: Decimal, at: float
    ) -> None:
        mark = await session.get(MarketMark, key)
        when = datetime.fromtimestamp(at, UTC)
        if mark is None:
            session.add(
                MarketMark(exchange=key[0], symbol=key[1], last_price=str(price), seen_at=when)
            )
        else:
            mark.last_price = str(price)
            mark.seen_at = when

    async def flush_marks(self) -> None:
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, set()
        async with self.db.session() as session:
            for key in sorted(dirty):
                price, at = self._marks[key]
                await self._upsert_mark(session, key, price, at)

    async def _flush_marks_forever(self, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.flush_marks()
            except Exception:
                log.exception("could not save the last seen prices")
