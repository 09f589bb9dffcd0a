"""The outbox drain: the one place outside handlers that sends to Telegram.

Whatever has something to tell a user (an alert firing, an order filled) writes an
outbox row in the same transaction as the change itself (``storage/repos/outbox.py``),
commits, then calls ``Notifier.wake()``. The notifier sends the rows and settles each:
``sent`` only once Telegram accepted it, ``failed`` with the reason, or ``blocked``.

**Wake-ups.** ``wake()`` sets an event the fetch loop waits on, so a committed row is
read within milliseconds; a slow poll (``poll_interval``, 1 s) still finds rows written
by other processes or left over from before a restart. A writer that made its rows with
``outbox.add(…, lease=notifier.birth_lease())`` hands them over with ``wake(rows)``: they
join the queue without being read back, unless a chat's older rows may still wait in
the database (a retry holding the chat, another notifier's lease, a fetch that did not
load everything, another writer's rows not read yet); then the fetch takes them in order.

**Replicas.** Every row this notifier sends is leased to it (``storage/repos/outbox.py``):
taken when fetched (or when written, see above), renewed every ``lease_seconds / 3``
while it waits, given back at stop, and lapsing ``lease_seconds`` after a crash, when
another notifier (or this one restarted) takes it. A row another notifier holds is never
fetched here, and a send never outlives the lease it started under (it is cut off and
retried, like a timeout), so two notifiers never both send a row.

**Recording.** A row becomes ``sent`` only after Telegram accepted it; the records are
written in batches by one task. Until its record is written the row stays leased and
out of this process's fetches; a crash in between sends it again after the restart
(at least once, as with a timeout).

**Limits.** Telegram allows about 30 messages a second per bot, about one a second per
chat after a short burst, and 20 a minute per group or channel; python-telegram-bot's
rate limiter knows only the first and the last. ``bot/ratelimit.py`` keeps all
three, and the notifier sends a row only when they all allow it: chats are served
oldest head row first, each chat has at most one message in flight (so a chat's
messages arrive in order), and different chats go in parallel up to the global rate.

**Failures.** ``RetryAfter`` (429): the chat waits ``retry_after`` and the same row is
sent again, before any later one; when several chats are refused at once the whole bot
waits. ``TimedOut``/``NetworkError``: retried with exponential backoff, at most
``Limits.max_attempts`` times, then failed (a timed-out request may have been delivered,
so delivery is at least once). ``Forbidden`` (blocked by the user, removed from the
group): every pending row of the chat becomes ``blocked`` and ``on_blocked(chat_id)`` is
called once, so the caller can stop producing messages for it. ``BadRequest``: the row
fails with Telegram's reason. ``ChatMigrated``: the chat's pending rows move to the new
supergroup id and are sent there.

**Why not the Application's bot as it is.** ``app.bot`` carries python-telegram-bot's
``AIORateLimiter``, which catches a 429 itself, sleeps and retries up to its
``max_retries`` while holding back *every* request of the bot, and offers no way to turn
that off per call: it reads ``rate_limit_args`` as an ``int`` and uses
``rate_limit_args or max_retries``, so ``0`` means "the default" (a dict is an error).
The notifier would then never see a 429 to pause one chat, and its own limiter would be
doubled by a second one. So when given a bot with a rate limiter, the notifier sends
through a plain ``telegram.Bot`` with the same token and URLs that shares that bot's
HTTP connection pool (same proxy and timeouts; the Application still owns it, so stop
the notifier before the Application shuts down).

**Secrets.** Message texts are never logged, at any level: only row ids, chat ids, kinds
and lengths.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.buttons import ButtonService
from bot.ratelimit import FloodTracker, Limiter, Limits, backoff
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import outbox

log = logging.getLogger(__name__)
T = TypeVar("T")

Clock = Callable[[], float]
OnBlocked = Callable[[int], Awaitable[object]]  # the result, if any, is ignored

BUTTON_REUSE_SECONDS = 60.0
"""A retried message keeps the buttons issued for its first try for this long."""

LEASE_MARGIN = 2.0
"""A send starts only with at least this many seconds left on its row's lease."""


@dataclass
class NotifierStats:
    """Counters since construction, for metrics and the benchmark."""

    fetched: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0
    """Transient failures (timeouts, network errors) retried later."""
    flood_waits: int = 0
    """429s received and waited out (every one retried, none lost)."""
    global_pauses: int = 0
    """Times several chats were refused at once and the whole bot waited."""
    blocked_chats: int = 0
    handed: int = 0
    """Rows handed over by their writer, not read back (counted in ``fetched`` too)."""
    lost_leases: int = 0
    """Rows another notifier took over before this one sent them."""


@dataclass(slots=True)
class _Item:
    id: int
    chat_id: int
    user_id: int | None
    kind: str
    text: str
    buttons: list[list[dict[str, Any]]] | None
    attempts: int
    leased_until: float = 0.0
    """When this notifier's lease on the row ends, on the notifier's clock."""
    markup: InlineKeyboardMarkup | None = None
    markup_at: float = 0.0

    @classmethod
    def of(cls, row: OutboxMessage | outbox.Queued, leased_until: float) -> _Item:
        return cls(
            id=row.id,
            chat_id=row.chat_id,
            user_id=row.user_id,
            kind=row.kind,
            text=row.text,
            buttons=[list(r) for r in row.buttons] if row.buttons else None,
            attempts=row.attempts if isinstance(row, OutboxMessage) else 0,
            leased_until=leased_until,
        )


@dataclass(slots=True)
class _Chat:
    chat_id: int
    items: list[_Item] = field(default_factory=list)
    """Loaded rows, by id; the first is the next to send (or the one in flight)."""
    busy: bool = False
    key: tuple[float, int] | None = None
    """The chat's one live entry in the ready or waiting heap (others are stale)."""


def _sending_bot(bot: Bot) -> Bot:
    """``bot`` itself, or a plain twin of it when it has a rate limiter (see above)."""
    if getattr(bot, "rate_limiter", None) is None:
        return bot
    base_url, base_file_url = bot.base_url, bot.base_file_url
    return Bot(
        bot.token,
        base_url=lambda _token: base_url,
        base_file_url=lambda _token: base_file_url,
        request=bot.request,
    )


def _retry_seconds(error: RetryAfter) -> float:
    period = getattr(error, "_retry_after", None)
    if isinstance(period, timedelta):
        return period.total_seconds()
    return float(error.retry_after if isinstance(error.retry_after, int | float) else 1)


def _owner_name() -> str:
    """Unique per process start: a restarted process never mistakes a dead one's leases
    for its own (they lapse instead)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _died_here(owner: str, me: str) -> bool:
    """Whether ``owner`` (an ``_owner_name``) was a process of this host that is gone.

    Another host's owner is never judged (its clock and processes are not ours), nor a
    process that still runs. Our own pid under another name is a previous incarnation:
    two live processes of one host never share a pid, and a restarted container is pid 1
    again.
    """
    host, _, rest = owner.partition(":")
    pid_text, _, _ = rest.partition(":")
    if host != me.partition(":")[0] or owner == me or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def _describe(error: BaseException) -> str:
    """``Kind: reason`` for the error column and logs (Telegram's reasons carry no text)."""
    kind, text = type(error).__name__, str(error)
    if not text:
        return kind
    return text if text.startswith(f"{kind}:") else f"{kind}: {text}"


class Notifier:
    """Drains the outbox into Telegram within Telegram's limits; see the module doc."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        buttons: ButtonService,
        *,
        limits: Limits | None = None,
        on_blocked: OnBlocked | None = None,
        clock: Clock = time.monotonic,
        poll_interval: float = 1.0,
        batch: int = 1000,
        per_chat: int = 20,
        lease_seconds: float = 15.0,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.bot = _sending_bot(bot)
        self.buttons = buttons
        self.limits = limits or Limits()
        self.on_blocked = on_blocked
        self.poll_interval = poll_interval
        self.batch = batch
        self.per_chat = per_chat
        self.lease_seconds = lease_seconds
        self.owner = owner or _owner_name()
        self.stats = NotifierStats()
        self._clock = clock
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._renew_now = asyncio.Event()
        self._record_now = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # Database work of the loops, shielded from their cancellation at stop: a
        # transaction cut off mid-way leaves its connection to be reset by the pool's
        # finaliser, which logs an error; stop() lets it finish instead.
        self._db_work: set[asyncio.Future[Any]] = set()
        self._sending: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._reset()

    def _reset(self) -> None:
        self._limiter = Limiter(self.limits)
        self._flood = FloodTracker(self.limits.flood_chats, self.limits.flood_window)
        self._chats: dict[int, _Chat] = {}
        self._known: set[int] = set()
        """Ids loaded and not yet settled: a fetch never loads them twice."""
        self._settled: set[int] = set()
        """Ids settled since the current fetch began: its snapshot may still show them."""
        self._refused: set[int] = set()
        """Chats blocked since the current fetch began: the same, for their later rows."""
        self._ready: list[tuple[int, int]] = []  # (head row id, chat id)
        self._waiting: list[tuple[float, int, int]] = []  # (ready at, head row id, chat id)
        self._in_flight = 0
        self._sends_since_prune = 0
        self._held: set[int] = set()
        """Chats whose older rows may wait in the database: handed rows go via a fetch."""
        self._synced = False
        """The last fetch loaded every due row there was, and no writer woke us since."""
        self._wakes = 0
        self._unrecorded: dict[int, tuple[int, datetime]] = {}
        """Sent, not yet recorded: row id → (message id, when)."""

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    def wake(self, rows: Iterable[outbox.Queued] = ()) -> None:
        """New rows were committed: send them now rather than at the next poll.

        Cheap and idempotent; call it from the event loop's thread after the commit.
        ``rows`` written with ``birth_lease()`` are queued as they are (see the module
        doc); without them the outbox is read again.
        """
        rows = list(rows)
        if not rows:
            self._wakes += 1
            self._synced = False
            self._wake.set()
            return
        if not self._tasks or self._stopping or not self._synced:
            self._wake.set()
            return
        now = self._clock()
        leased_until = now + self.lease_seconds - 1.0  # taken just before the commit
        touched: set[int] = set()
        for row in rows:
            if row.id in self._known or row.id in self._settled:
                continue
            if row.chat_id in self._held or row.chat_id in self._refused:
                self._wake.set()  # its turn comes through a fetch, behind the older rows
                continue
            self._add(_Item.of(row, leased_until))
            touched.add(row.chat_id)
        for chat_id in touched:
            self._schedule_head(self._chats[chat_id], now)
        if touched:
            handed = sum(1 for row in rows if row.chat_id in touched)
            self.stats.fetched += handed
            self.stats.handed += handed
            self._dispatch()  # now, not on the dispatch loop's next turn
            self._changed.set()  # which then recomputes its own timer

    @property
    def caught_up(self) -> bool:
        """The last fetch loaded every due row and no bare ``wake()`` came since: rows
        handed over now are queued as they are (unless their chat is held)."""
        return self._synced

    def birth_lease(self) -> outbox.Lease:
        """The lease to write new rows under when they will be handed over by ``wake(rows)``."""
        return outbox.Lease(self.owner, datetime.now(UTC) + timedelta(seconds=self.lease_seconds))

    async def start(self) -> None:
        if self._tasks:
            raise RuntimeError("the notifier is already running")
        self._stopping = False
        self._reset()
        await self._release_dead_holders()
        self._wake.set()  # read what is already waiting
        self._tasks = [
            asyncio.create_task(self._fetch_loop(), name="notifier-fetch"),
            asyncio.create_task(self._dispatch_loop(), name="notifier-dispatch"),
            asyncio.create_task(self._renew_loop(), name="notifier-leases"),
            asyncio.create_task(self._record_loop(), name="notifier-records"),
        ]
        log.info("notifier started")

    async def _release_dead_holders(self) -> None:
        """Rows a crashed process of this host held: taken back now, not when their
        lease lapses (up to ``lease_seconds`` of silence after every restart). A holder
        that may still be alive keeps its rows until its lease runs out."""
        try:
            async with self.db.session() as session:
                holders = await outbox.live_holders(session, datetime.now(UTC))
                dead = [owner for owner in holders if _died_here(owner, self.owner)]
                released = sum([await outbox.release(session, owner) for owner in dead])
        except (SQLAlchemyError, OSError) as error:
            log.warning("notifier: could not look for a dead process's rows: %s", error)
            return
        if released:
            log.info("notifier: took back %d row(s) of a process that died", released)

    async def stop(self, timeout: float = 15.0) -> None:
        """Stop taking rows; let the sends in flight finish and be recorded.

        Rows not yet sent stay ``pending`` in the database for the next start. A send
        still running after ``timeout`` seconds is cancelled (its row stays pending and
        may be sent again: at least once).
        """
        if not self._tasks:
            return
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._db_work:
            done, _ = await asyncio.wait(set(self._db_work), timeout=timeout)
            for future in done:  # their loops are gone: read failures here, not at GC
                error = None if future.cancelled() else future.exception()
                if error is not None:
                    log.warning("notifier: %s", _describe(error))
        if self._sending:
            _, late = await asyncio.wait(set(self._sending), timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
                log.warning("notifier: %d sends cancelled at stop", len(late))
        await self._record_sent()
        released = await self._write("giving back leases", lambda s: outbox.release(s, self.owner))
        if not released:
            log.warning("notifier: leases not given back; they lapse in %.0fs", self.lease_seconds)
        self._reset()
        log.info("notifier stopped")

    async def pending_count(self) -> int:
        """Rows waiting in the outbox (for metrics)."""
        async with self.db.session() as session:
            return await outbox.pending_count(session)

    # -- reading the outbox --------------------------------------------------------------------

    async def _fetch_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._shielded(self._fetch())
            except (SQLAlchemyError, OSError) as error:
                log.warning("notifier: reading the outbox failed: %s", _describe(error))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()

    async def _fetch(self) -> None:
        room = self.batch - len(self._known)
        if room <= 0:
            self._synced = False
            return
        self._settled.clear()
        self._refused.clear()
        wakes = self._wakes
        started = self._clock()
        async with self.db.session() as session:
            await outbox.serialise_leasing(session)
            now_utc = datetime.now(UTC)
            due = await outbox.due(
                session,
                now_utc,
                self.batch,
                per_chat=self.per_chat,
                skip=self._known,
                owner=self.owner,
            )
            lease = outbox.Lease(self.owner, now_utc + timedelta(seconds=self.lease_seconds))
            wanted = [
                row.id
                for row in due[:room]
                if row.id not in self._settled and row.chat_id not in self._refused
            ]
            rows = await outbox.lease(session, wanted, lease, now_utc)
            held = await outbox.held_chats(session, now_utc, self.owner)
        if self._stopping:
            return
        per_chat: dict[int, int] = {}
        for row in due:
            per_chat[row.chat_id] = per_chat.get(row.chat_id, 0) + 1
        # Chats that may have more rows than were loaded, or rows another notifier won.
        held.update(c for c, n in per_chat.items() if n >= self.per_chat)
        taken = {row.id for row in rows}
        held.update(row.chat_id for row in due if row.id not in taken)
        self._held = held
        self._synced = wakes == self._wakes and len(due) < room
        leased_until = started + self.lease_seconds
        now = self._clock()
        touched: set[int] = set()
        added = 0
        for row in rows:
            if row.id in self._known or row.id in self._settled or row.chat_id in self._refused:
                continue
            self._add(_Item.of(row, leased_until))
            touched.add(row.chat_id)
            added += 1
        for chat_id in touched:
            self._schedule_head(self._chats[chat_id], now)
        if added:
            self.stats.fetched += added
            self._changed.set()

    def _schedule_head(self, chat: _Chat, now: float) -> None:
        if not chat.busy and (chat.key is None or chat.key[1] != chat.items[0].id):
            self._schedule(chat, now)

    # -- leases and records ------------------------------------------------------------------

    async def _renew_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.lease_seconds / 3):
                    await self._renew_now.wait()
            self._renew_now.clear()
            ids = set(self._known)
            if not ids:
                continue
            started = self._clock()
            lease = self.birth_lease()
            try:
                kept = await self._shielded(self._renew(ids, lease))
            except (SQLAlchemyError, OSError) as error:
                log.warning("notifier: renewing leases failed: %s", _describe(error))
                continue
            until = started + self.lease_seconds
            for chat in list(self._chats.values()):
                lost: list[_Item] = []
                for index, item in enumerate(chat.items):
                    if item.id in kept:
                        item.leased_until = max(item.leased_until, until)
                    elif item.id in ids and not (index == 0 and chat.busy):
                        lost.append(item)
                for item in lost:
                    chat.items.remove(item)
                    self._known.discard(item.id)
                    self.stats.lost_leases += 1
                    log.warning("notifier: row %d was taken over by another notifier", item.id)
                if not chat.items and not chat.busy and self._chats.get(chat.chat_id) is chat:
                    del self._chats[chat.chat_id]
            self._changed.set()

    async def _record_loop(self) -> None:
        while True:
            await self._record_now.wait()
            self._record_now.clear()
            await self._shielded(self._record_sent())

    async def _shielded(self, work: Awaitable[T]) -> T:
        """Run ``work`` to its end even if the calling loop is cancelled (see stop())."""
        future = asyncio.ensure_future(work)
        self._db_work.add(future)
        future.add_done_callback(self._db_work.discard)
        return await asyncio.shield(future)

    async def _renew(self, ids: set[int], lease: outbox.Lease) -> set[int]:
        async with self.db.session() as session:
            return await outbox.renew(session, ids, lease)

    async def _record_sent(self) -> None:
        """Write the ``sent`` records gathered so far, in one transaction."""
        batch, self._unrecorded = self._unrecorded, {}
        if not batch:
            return
        sent = [(row_id, message_id, at) for row_id, (message_id, at) in batch.items()]
        try:
            recorded = await self._write(
                f"recording {len(sent)} rows sent", lambda s: outbox.mark_sent_many(s, sent)
            )
        except BaseException:  # cancelled (stopping): keep them for the final write
            batch.update(self._unrecorded)
            self._unrecorded = batch
            raise
        if recorded:
            for row_id in batch:
                self._known.discard(row_id)
                self._settled.add(row_id)
        else:
            # Sent but not recorded: they stay known (never fetched again here) and
            # leased; after a restart they would go again (at least once).
            log.error("notifier: rows %s sent, not recorded", sorted(batch))

    def _add(self, item: _Item) -> None:
        chat = self._chats.get(item.chat_id)
        if chat is None:
            chat = self._chats[item.chat_id] = _Chat(item.chat_id)
        self._known.add(item.id)
        items = chat.items
        if not items or items[-1].id < item.id:
            items.append(item)
            return
        # Committed out of id order (possible on PostgreSQL): keep the list sorted, but
        # never move ahead of a message already in flight.
        start = 1 if chat.busy else 0
        index = next((i for i in range(start, len(items)) if items[i].id > item.id), len(items))
        items.insert(index, item)

    def _forget(self, items: Iterable[_Item]) -> None:
        for item in items:
            self._known.discard(item.id)
            self._settled.add(item.id)

    # -- scheduling ----------------------------------------------------------------------------

    def _schedule(self, chat: _Chat, now: float) -> None:
        """Put an idle chat with rows in the ready heap, or the waiting one until its limits
        (or a pause) allow its next message."""
        if chat.busy or not chat.items:
            chat.key = None
            return
        head = chat.items[0].id
        wait = self._limiter.chat_wait(chat.chat_id, now)
        if wait > 0:
            at = now + wait
            chat.key = (at, head)
            heapq.heappush(self._waiting, (at, head, chat.chat_id))
        else:
            chat.key = (0.0, head)
            heapq.heappush(self._ready, (head, chat.chat_id))

    def _live(self, chat_id: int, key: tuple[float, int]) -> _Chat | None:
        chat = self._chats.get(chat_id)
        if chat is None or chat.busy or chat.key != key:
            return None
        return chat

    async def _dispatch_loop(self) -> None:
        while True:
            self._changed.clear()
            delay = self._dispatch()
            if delay is None:
                await self._changed.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._changed.wait()

    def _dispatch(self) -> float | None:
        """Start every send the limits allow now; seconds until the next may be allowed."""
        now = self._clock()
        waiting, ready = self._waiting, self._ready
        while waiting and waiting[0][0] <= now:
            at, head, chat_id = heapq.heappop(waiting)
            chat = self._live(chat_id, (at, head))
            if chat is not None:
                self._schedule(chat, now)
        delay: float | None = None
        while ready and not self._stopping:
            if self._in_flight >= self.limits.max_in_flight:
                break  # a finishing send sets _changed
            wait = self._limiter.global_wait(now)
            if wait > 0:
                delay = wait
                break
            head, chat_id = heapq.heappop(ready)
            chat = self._live(chat_id, (0.0, head))
            if chat is None:
                continue
            if self._limiter.chat_wait(chat_id, now) > 0:  # paused since it became ready
                self._schedule(chat, now)
                continue
            if chat.items[0].leased_until - now < LEASE_MARGIN:  # renewals are failing
                self._renew_now.set()
                chat.key = (now + LEASE_MARGIN, head)
                heapq.heappush(waiting, (now + LEASE_MARGIN, head, chat_id))
                continue
            chat.busy, chat.key = True, None
            handle = self._limiter.record(chat_id, now)
            self._in_flight += 1
            task = asyncio.create_task(
                self._send(chat, chat.items[0], handle), name=f"notify-{head}"
            )
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        if waiting:
            until = max(0.0, waiting[0][0] - now)
            delay = until if delay is None else min(delay, until)
        return delay

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, chat: _Chat, item: _Item, handle: list[float]) -> None:
        try:
            await self._attempt(chat, item, handle)
        except Exception:  # a bug, not Telegram: never let it stop the drain
            log.exception("notifier: row %d for chat %d", item.id, item.chat_id)
            item.attempts += 1
            if item.attempts >= self.limits.max_attempts and item in chat.items:
                chat.items.remove(item)  # left pending, kept out of this process's fetches
            delay = backoff(item.attempts, self.limits.backoff_base, self.limits.backoff_cap)
            self._limiter.pause_chat(chat.chat_id, self._clock() + delay)
        finally:
            self._in_flight -= 1
            chat.busy = False
            now = self._clock()
            if chat.items:
                self._schedule(chat, now)
            elif self._chats.get(chat.chat_id) is chat:
                del self._chats[chat.chat_id]
            self._sends_since_prune += 1
            if self._sends_since_prune >= 1000:
                self._sends_since_prune = 0
                self._limiter.prune(now)
            self._changed.set()

    async def _attempt(self, chat: _Chat, item: _Item, handle: list[float]) -> None:
        try:
            markup = await self._markup(item)
        except (ValueError, KeyError, TypeError) as error:
            await self._fail(chat, item, f"bad buttons: {_describe(error)}")
            return
        except (SQLAlchemyError, OSError) as error:
            await self._retry(chat, item, error)
            return
        now = self._clock()
        self._limiter.departs(handle, now)
        try:
            try:
                # Never past the lease: another notifier may take the row after it.
                async with asyncio.timeout(item.leased_until - now - LEASE_MARGIN / 2):
                    message = await self.bot.send_message(
                        chat_id=item.chat_id,
                        text=item.text,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
            finally:
                self._limiter.answered(handle, self._clock())
        except TimeoutError:
            await self._retry(chat, item, TimeoutError("the row's lease ran out mid-send"))
        except RetryAfter as error:
            self._flooded(chat, item, _retry_seconds(error))
        except Forbidden as error:
            await self._blocked(chat, error)
        except ChatMigrated as error:
            await self._migrated(chat, int(error.new_chat_id))
        except BadRequest as error:
            await self._fail(chat, item, _describe(error))
        except (NetworkError, TelegramError) as error:
            # TimedOut and NetworkError (connection failures, 5xx), and anything else
            # Telegram raises that does not say "never": bounded retries.
            await self._retry(chat, item, error)
        else:
            await self._sent(chat, item, message.message_id)

    async def _markup(self, item: _Item) -> InlineKeyboardMarkup | None:
        """One-time tokens issued now, so a late message still has fresh buttons."""
        if not item.buttons:
            return None
        now = self._clock()
        if item.markup is not None and now - item.markup_at < BUTTON_REUSE_SECONDS:
            return item.markup
        flat = [button for row in item.buttons for button in row]
        if all("callback_data" in b for b in flat):
            # Issued by the writer in the same transaction as the row: nothing to store now.
            item.markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(str(b["label"]), callback_data=str(b["callback_data"]))
                        for b in row
                    ]
                    for row in item.buttons
                ]
            )
            item.markup_at = now
            return item.markup
        tokens = await self.buttons.issue(
            item.user_id if item.user_id is not None else item.chat_id,
            item.chat_id,
            [(str(b["action"]), dict(b.get("payload") or {})) for b in flat],
        )
        keys = iter(tokens)
        item.markup = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(str(b["label"]), callback_data=next(keys)) for b in row]
                for row in item.buttons
            ]
        )
        item.markup_at = now
        return item.markup

    def _done(self, chat: _Chat, item: _Item) -> None:
        if chat.items and chat.items[0] is item:
            chat.items.pop(0)
        else:
            with contextlib.suppress(ValueError):
                chat.items.remove(item)
        self._forget([item])

    async def _write(self, what: str, action: Callable[[Any], Awaitable[object]]) -> bool:
        """One short transaction, tried a few times: a settled row must be recorded."""
        for attempt in range(3):
            try:
                async with self.db.session() as session:
                    await action(session)
                return True
            except (SQLAlchemyError, OSError) as error:
                log.warning("notifier: %s: %s (try %d)", what, _describe(error), attempt + 1)
                await asyncio.sleep(0.2 * 2**attempt)
        return False

    async def _sent(self, chat: _Chat, item: _Item, message_id: int) -> None:
        # Recorded in a batch by the record task; the row stays known until then.
        self._unrecorded[item.id] = (message_id, datetime.now(UTC))
        self._record_now.set()
        if chat.items and chat.items[0] is item:
            chat.items.pop(0)
        else:
            with contextlib.suppress(ValueError):
                chat.items.remove(item)
        self.stats.sent += 1
        log.debug("notifier: row %d (%s) sent to %d", item.id, item.kind, item.chat_id)

    async def _fail(self, chat: _Chat, item: _Item, reason: str) -> None:
        await self._write(
            f"recording row {item.id} failed",
            lambda s: outbox.mark_failed(s, item.id, error=reason, attempts=item.attempts),
        )
        self._done(chat, item)
        self.stats.failed += 1
        log.warning(
            "notifier: row %d (%s) for chat %d failed: %s", item.id, item.kind, item.chat_id, reason
        )

    async def _retry(self, chat: _Chat, item: _Item, error: BaseException) -> None:
        reason = _describe(error)
        item.attempts += 1
        if item.attempts >= self.limits.max_attempts:
            await self._fail(chat, item, f"after {item.attempts} attempts: {reason}")
            return
        delay = backoff(item.attempts, self.limits.backoff_base, self.limits.backoff_cap)
        not_before = datetime.now(UTC) + timedelta(seconds=delay)
        await self._write(
            f"recording row {item.id} retry",
            lambda s: outbox.mark_retry(s, item.id, not_before=not_before, error=reason),
        )
        self._limiter.pause_chat(chat.chat_id, self._clock() + delay)
        self.stats.retried += 1
        log.info(
            "notifier: row %d for chat %d retried in %.1fs (%s)",
            item.id,
            item.chat_id,
            delay,
            reason,
        )

    def _flooded(self, chat: _Chat, item: _Item, seconds: float) -> None:
        """429: this chat waits and sends the same row again; nothing written, nothing lost."""
        now = self._clock()
        until = now + seconds + self.limits.slack
        self._limiter.pause_chat(chat.chat_id, until)
        self.stats.flood_waits += 1
        everyone = self._flood.refused(chat.chat_id, seconds + self.limits.slack, now)
        if everyone is not None:
            self._limiter.pause_all(everyone)
            self.stats.global_pauses += 1
            log.warning("notifier: flood limit over several chats; all wait %.1fs", everyone - now)
        else:
            log.debug("notifier: row %d: chat %d waits %.1fs (429)", item.id, item.chat_id, seconds)

    async def _blocked(self, chat: _Chat, error: Forbidden) -> None:
        reason = _describe(error)
        count = 0

        async def block(session: Any) -> None:
            nonlocal count
            count = await outbox.mark_blocked(session, chat.chat_id, error=reason)

        await self._write(f"blocking chat {chat.chat_id}", block)
        dropped, chat.items = chat.items, []
        self._forget(dropped)
        self._refused.add(chat.chat_id)
        self.stats.blocked += count
        self.stats.blocked_chats += 1
        log.info(
            "notifier: chat %d refuses the bot (%s); %d rows blocked", chat.chat_id, reason, count
        )
        if self.on_blocked is not None:
            try:
                await self.on_blocked(chat.chat_id)
            except Exception:
                log.exception("notifier: on_blocked(%d) failed", chat.chat_id)

    async def _migrated(self, chat: _Chat, new_chat_id: int) -> None:
        await self._write(
            f"moving chat {chat.chat_id}",
            lambda s: outbox.retarget(s, chat.chat_id, new_chat_id),
        )
        dropped, chat.items = chat.items, []
        for item in dropped:  # pending again under the new id: the next fetch loads them
            self._known.discard(item.id)
        log.info("notifier: chat %d became %d; its rows follow", chat.chat_id, new_chat_id)
        self.wake()

    # -- calls whose answer the caller needs (issue 8: price feeds) ---------------------------

    async def call(self, chat_id: int, request: Callable[[Bot], Awaitable[Any]]) -> Any:
        """One Bot API call to ``chat_id`` made under the outbox's own limits.

        For what the outbox cannot carry: a post whose message id the caller keeps, an
        edit, a pin. The call waits until the bot-wide, per-chat and per-group budgets
        allow it and counts against them, so feeds and the outbox share one budget. A
        429 pauses the chat (or, over several chats, the bot) here as it would for a row,
        then reaches the caller, who decides when to try again. ``request`` gets the
        notifier's bot (no second rate limiter in the way).
        """
        while True:
            wait = self._limiter.chat_wait(chat_id, self._clock())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            async with self._call_turn:
                now = self._clock()
                wait = self._limiter.global_wait(now)
                while wait > 0:
                    await asyncio.sleep(wait)
                    now = self._clock()
                    wait = self._limiter.global_wait(now)
                if self._limiter.chat_wait(chat_id, now) > 0:
                    continue
                handle = self._limiter.record(chat_id, now)
            break
        self._limiter.departs(handle, now)
        try:
            return await request(self.bot)
        except RetryAfter as error:
            seconds = _retry_seconds(error)
            at = self._clock()
            self._limiter.pause_chat(chat_id, at + seconds + self.limits.slack)
            self.stats.flood_waits += 1
            everyone = self._flood.refused(chat_id, seconds + self.limits.slack, at)
            if everyone is not None:
                self._limiter.pause_all(everyone)
                self.stats.global_pauses += 1
            raise
        finally:
            self._limiter.answered(handle, self._clock())
            self._changed.set()

    @property
    def _call_turn(self) -> asyncio.Lock:
        """Callers take the bot-wide budget one at a time (a chat's own wait is outside)."""
        lock = self.__dict__.get("_call_lock")
        if not isinstance(lock, asyncio.Lock):
            lock = self.__dict__["_call_lock"] = asyncio.Lock()
        return lock
