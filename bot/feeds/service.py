"""Price feeds: create and manage them, and post each board on its schedule.

**Scheduler.** The bot's own asyncio loop, not python-telegram-bot's JobQueue: the
schedule lives in the database (``feeds.next_at``), so it survives restarts and moves
with leadership between replicas (``start``/``stop`` are leader duties), and one loop
sleeping until the earliest due feed serves any number of feeds without a job object
each. ``run_due(now)`` runs every feed due at ``now`` and returns what happened: the
loop calls it with the clock, tests and the benchmark with a chosen moment. The feeds
due together are read in one query, and up to ``concurrency`` run at once, so with
hundreds due in the same minute the bot-wide send limit, not the database, sets the
pace (``bench/feeds.py``).

**Sending.** Boards go through ``Notifier.call`` rather than the outbox: a pinned board
is edited in place and must know its message id, which the outbox's fire-and-forget rows
do not return. ``call`` draws on the same limiter as the outbox (30 a second bot-wide, 20
a minute per group or channel), so feeds and alerts share one budget.

**Failures.** Telegram's 403 (the bot was removed), or a 400 saying it may not post (or,
in pin mode, pin), pauses every feed of the chat and tells each feed's creator in private
through the outbox (delivered if they ever started the bot; otherwise the notifier logs
that it could not). A 429 or a network failure moves only that run a little later; a
board is never silently dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.chats import ChatPreferences
from bot.feeds import model
from bot.feeds.model import (
    Board,
    FeedError,
    FeedNotFound,
    FeedRequest,
    FeedView,
    Market,
    Quote,
    RunResult,
)
from bot.feeds.quotes import FeedQuotes
from bot.i18n import Lang
from bot.notifier import Notifier
from storage.db import Database
from storage.models import Feed
from storage.repos import feeds as repo
from storage.repos import outbox

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0
"""A run that failed for a passing reason (network, a 429) is tried again this much later."""
RELOAD_SECONDS = 30.0
"""How often the schedule is read again from the database (other replicas' changes)."""


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A feed as the batch read it: what one run needs from the database."""

    view: FeedView
    message_id: int | None
    last_key: str | None
    last_prices: dict[str, str] | None
    language: str | None


class FeedTexts(Protocol):
    """How boards and notices read; implemented in ``handlers/feed_texts.py``."""

    def board_text(self, lang: Lang, board: Board) -> str: ...

    def paused_text(self, lang: Lang, feeds: Sequence[FeedView], reason: str) -> str: ...

    def resumed_text(self, lang: Lang, feeds: Sequence[FeedView]) -> str: ...


def _creator_chat(creator_id: int, chat_id: int, may_post_there: bool) -> int | None:
    """Where a feed's creator hears of it: in private, but an anonymous group admin has no
    private chat, so the group itself is told, when the bot may still post there."""
    if creator_id != model.ANONYMOUS_ADMIN:
        return creator_id
    return chat_id if may_post_there else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def view_of(row: Feed) -> FeedView:
    markets = model.as_markets(row.markets)
    return FeedView(
        id=row.id,
        chat_id=row.chat_id,
        chat_kind=row.chat_kind,
        chat_title=row.chat_title,
        creator_id=row.creator_id,
        markets=markets,
        pairs=tuple(str(m[2]) if len(m) > 2 else m[1] for m in row.markets),
        every=row.every_s,
        pin=row.pin,
        move_pct=Decimal(row.move_pct) if row.move_pct is not None else None,
        state=row.state,
        paused_reason=row.paused_reason,
        next_at=_aware(row.next_at),
        last_post_at=_aware(row.last_post_at) if row.last_post_at else None,
        posts=row.posts,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def classify(error: BadRequest) -> str | None:
    """The pause reason a 400 means, or None when it is not about the bot's place."""
    text = str(error).lower()
    if "chat not found" in text or "chat_id is empty" in text:
        return model.REASON_REMOVED
    if "pinned" in text or ("pin" in text and "right" in text):
        return model.REASON_NO_PIN
    if (
        "not enough rights" in text
        or "need administrator rights" in text
        or "chat_write_forbidden" in text
        or "have no rights" in text
    ):
        return model.REASON_NO_RIGHTS
    return None


class FeedService:
    def __init__(
        self,
        db: Database,
        quotes: FeedQuotes,
        chats: ChatPreferences,
        texts: FeedTexts,
        *,
        clock: Callable[[], datetime] = utcnow,
        concurrency: int = 256,
    ) -> None:
        self.db = db
        self.quotes = quotes
        self.chats = chats
        self.texts = texts
        self.clock = clock
        self.notifier: Notifier | None = None
        self.watch: Callable[[set[Market]], None] = lambda markets: None
        self.totals = RunResult()
        self._sem = asyncio.Semaphore(concurrency)
        self._due: dict[int, datetime] = {}
        self._markets: dict[int, tuple[Market, ...]] = {}
        self._running: dict[int, asyncio.Task[RunResult]] = {}
        self._changed = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._reloaded = 0.0

    # -- managing feeds -----------------------------------------------------------------------

    async def create(
        self,
        *,
        chat_id: int,
        chat_kind: str,
        chat_title: str | None,
        creator_id: int,
        request: FeedRequest,
    ) -> FeedView:
        """Resolve the markets, check the chat's budget, store it; its first board is due now."""
        resolved = [await self.quotes.resolve(ex, text) for ex, text in request.markets]
        unique = list({(m.exchange, m.symbol): m for m in resolved}.values())
        async with self.db.session() as session:
            others = [f.every_s for f in await repo.active_in_chat(session, chat_id)]
            refused = model.budget_check(request.every, others)
            if refused is not None:
                raise refused
            row = await repo.add(
                session,
                chat_id=chat_id,
                chat_kind=chat_kind,
                chat_title=chat_title,
                creator_id=creator_id,
                markets=[[m.exchange, m.symbol, m.pair] for m in unique],
                every_s=request.every,
                pin=request.pin,
                move_pct=str(request.move_pct) if request.move_pct is not None else None,
                next_at=self.clock(),
            )
            view = view_of(row)
        self._schedule(view)
        log.info("feed #%d created in chat %d (%d markets)", view.id, chat_id, len(unique))
        return view

    async def get(self, feed_id: int) -> FeedView:
        async with self.db.session() as session:
            row = await repo.get(session, feed_id)
            if row is None:
                raise FeedNotFound(feed_id)
            return view_of(row)

    async def of_chat(self, chat_id: int) -> list[FeedView]:
        async with self.db.session() as session:
            return [view_of(r) for r in await repo.of_chat(session, chat_id)]

    async def channel_feeds(self) -> list[FeedView]:
        async with self.db.session() as session:
            return [view_of(r) for r in await repo.of_kind(session, "channel")]

    async def pause(self, feed_id: int, reason: str = model.REASON_BY_ADMIN) -> FeedView:
        view = await self.get(feed_id)
        async with self.db.session() as session:
            await repo.set_state(session, feed_id, model.PAUSED, reason, view.next_at)
        self._unschedule([feed_id])
        return await self.get(feed_id)

    async def resume(self, feed_id: int) -> FeedView:
        """Active again, its next board now; the chat's budget is checked again."""
        view = await self.get(feed_id)
        if view.state != model.ACTIVE:
            async with self.db.session() as session:
                others = [f.every_s for f in await repo.active_in_chat(session, view.chat_id)]
                refused = model.budget_check(view.every, others)
                if refused is not None:
                    raise refused
                await repo.set_state(session, feed_id, model.ACTIVE, None, self.clock())
        view = await self.get(feed_id)
        self._schedule(view)
        return view

    async def delete(self, feed_id: int) -> FeedView:
        view = await self.get(feed_id)
        async with self.db.session() as session:
            await repo.delete(session, feed_id)
        self._unschedule([feed_id])
        return view

    async def chat_lost(self, chat_id: int, reason: str, only: int | None = None) -> list[FeedView]:
        """The bot may not post in the chat any more: pause its feeds (or just feed
        ``only``, when only it cannot go on: a pinned board without the right to pin),
        and tell their creators."""
        async with self.db.session() as session:
            creators = {
                f.creator_id
                for f in await repo.active_in_chat(session, chat_id)
                if only is None or f.id == only
            }
        if not creators:
            return []
        langs = {c: await self.chats.language(c, None) for c in creators}
        async with self.db.session() as session:
            paused = [
                view_of(f) for f in await repo.pause_chat(session, chat_id, reason, only=only)
            ]
            stamp = int(time.time() * 1000)
            for creator in sorted({v.creator_id for v in paused}):
                theirs = [v for v in paused if v.creator_id == creator]
                to = _creator_chat(creator, chat_id, reason == model.REASON_NO_PIN)
                if to is None:
                    continue
                await outbox.enqueue(
                    session,
                    chat_id=to,
                    user_id=creator,
                    kind="feed",
                    dedupe=f"feed-paused:{theirs[0].id}:{stamp}",
                    text=self.texts.paused_text(langs[creator], theirs, reason),
                )
        self._unschedule([v.id for v in paused])
        for v in paused:
            log.info(
                "feed #%d in chat %d paused (%s); its creator %d is told in private",
                v.id,
                chat_id,
                reason,
                v.creator_id,
            )
        if self.notifier is not None:
            self.notifier.wake()
        return paused

    async def chat_regained(self, chat_id: int, can_pin: bool) -> list[FeedView]:
        """The bot may post in the chat again: resume exactly the feeds that paused because
        it could not (never those an admin paused by hand), board due at once, and tell
        their creators. Pinned boards wait until the bot may also pin (edit, in channels)."""
        reasons = {model.REASON_REMOVED, model.REASON_NO_RIGHTS, model.REASON_NO_PIN}
        waiting = [
            v
            for v in await self.of_chat(chat_id)
            if v.state == model.PAUSED
            and v.paused_reason in reasons
            and (can_pin or not v.pin)  # a pinned board would only pause again
        ]
        resumed: list[FeedView] = []
        for v in waiting:
            try:
                resumed.append(await self.resume(v.id))
            except FeedError:  # over the chat's budget: it stays paused, /feeds tells why
                log.info("feed #%d in chat %d stays paused: over the budget", v.id, chat_id)
        if not resumed:
            return []
        langs = {c: await self.chats.language(c, None) for c in {v.creator_id for v in resumed}}
        async with self.db.session() as session:
            stamp = int(time.time() * 1000)
            for creator in sorted(langs):
                theirs = [v for v in resumed if v.creator_id == creator]
                to = _creator_chat(creator, chat_id, True)
                assert to is not None
                await outbox.enqueue(
                    session,
                    chat_id=to,
                    user_id=creator,
                    kind="feed",
                    dedupe=f"feed-resumed:{theirs[0].id}:{stamp}",
                    text=self.texts.resumed_text(langs[creator], theirs),
                )
        for v in resumed:
            log.info("feed #%d in chat %d resumed: the bot may post again", v.id, chat_id)
        if self.notifier is not None:
            self.notifier.wake()
        return resumed

    async def chat_moved(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its feeds follow it."""
        async with self.db.session() as session:
            await repo.retarget(session, old_chat_id, new_chat_id)

    # -- lifetime -----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._loop is not None

    async def start(self) -> None:
        """Load the schedule from the database and run it (a leader duty)."""
        if self._loop is not None:
            return
        count = await self._reload()
        self._loop = asyncio.create_task(self._run_loop(), name="feeds")
        log.info("feeds: %d active feeds scheduled", count)

    async def _reload(self) -> int:
        """The schedule as the database has it (feeds not being run right now).

        Also how feeds created, paused or resumed by another replica's handlers reach the
        one running the schedule: it reloads every ``RELOAD_SECONDS``.
        """
        async with self.db.session() as session:
            views = [view_of(r) for r in await repo.active(session)]
        active = {v.id for v in views}
        for feed_id in [f for f in self._due if f not in active and f not in self._running]:
            self._due.pop(feed_id, None)
            self._markets.pop(feed_id, None)
        for view in views:
            if view.id not in self._running:
                self._due[view.id] = view.next_at
            self._markets[view.id] = view.markets
        self._rewatch()
        self._reloaded = time.monotonic()
        return len(views)

    async def stop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        running = list(self._running.values())
        if running:
            await asyncio.wait(running, timeout=15)
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        self._running.clear()

    def health(self) -> dict[str, int]:
        """For ``/healthz``: feeds scheduled here, and what their runs did since start."""
        t = self.totals
        return {
            "scheduled": len(self._due),
            "posted": t.posted,
            "edited": t.edited,
            "unchanged": t.unchanged,
            "not_moved": t.not_moved,
            "paused": t.paused,
            "retried": t.retried,
            "failed": t.failed,
        }

    def due_at(self, feed_id: int) -> datetime | None:
        """When the scheduler will next run this feed (None: not scheduled)."""
        return self._due.get(feed_id)

    def _schedule(self, view: FeedView) -> None:
        if view.state != model.ACTIVE:
            return
        self._due[view.id] = view.next_at
        self._markets[view.id] = view.markets
        self._rewatch()
        self._changed.set()

    def _unschedule(self, ids: Iterable[int]) -> None:
        for feed_id in ids:
            self._due.pop(feed_id, None)
            self._markets.pop(feed_id, None)
        self._rewatch()
        self._changed.set()

    def _rewatch(self) -> None:
        self.watch({m for markets in self._markets.values() for m in markets})

    async def _run_loop(self) -> None:
        while True:
            self._changed.clear()
            if time.monotonic() - self._reloaded >= RELOAD_SECONDS:
                try:
                    await self._reload()
                except Exception:  # the database may be away for a moment: keep the plan
                    log.exception("feeds: reloading the schedule failed")
                    self._reloaded = time.monotonic()
            now = self.clock()
            self._launch(now)
            waiting = [at for fid, at in self._due.items() if fid not in self._running]
            delay = 3600.0
            if waiting:
                delay = max(0.05, (min(waiting) - now).total_seconds())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(delay, RELOAD_SECONDS)):
                    await self._changed.wait()

    def _launch(self, now: datetime) -> list[asyncio.Task[RunResult]]:
        ids = [
            feed_id
            for feed_id, at in list(self._due.items())
            if at <= now and feed_id not in self._running
        ]
        if not ids:
            return []
        # One read for the whole batch: hundreds of feeds due in the same minute must
        # not queue hundreds of reads in front of their first send.
        batch = asyncio.ensure_future(self._snapshot(ids))
        tasks = []
        for feed_id in ids:
            task = asyncio.create_task(self._run_one(feed_id, now, batch), name=f"feed-{feed_id}")
            self._running[feed_id] = task
            tasks.append(task)
        return tasks

    async def _snapshot(self, ids: list[int]) -> dict[int, _Snapshot]:
        async with self.db.session() as session:
            rows = await repo.get_many(session, ids)
            languages = await repo.languages(session, {r.chat_id for r in rows})
            return {
                r.id: _Snapshot(
                    view_of(r),
                    r.message_id,
                    r.last_key,
                    dict(r.last_prices) if r.last_prices else None,
                    languages.get(r.chat_id),
                )
                for r in rows
                if r.state == model.ACTIVE
            }

    async def run_due(self, now: datetime | None = None) -> RunResult:
        """Run every feed due at ``now`` (default: the clock) and wait for them (runs
        already under way finish first, and are not counted)."""
        moment = now or self.clock()
        total = RunResult()
        earlier = list(self._running.values())
        if earlier:  # let runs under way settle first: their feeds may be due again
            await asyncio.gather(*earlier, return_exceptions=True)
        for result in await asyncio.gather(*self._launch(moment), return_exceptions=True):
            if isinstance(result, RunResult):
                total.add(result)
        return total

    async def _run_one(
        self, feed_id: int, now: datetime, batch: asyncio.Future[dict[int, _Snapshot]]
    ) -> RunResult:
        try:
            async with self._sem:
                snapshot = (await asyncio.shield(batch)).get(feed_id)
                if snapshot is None:  # removed or paused meanwhile
                    self._unschedule([feed_id])
                    result = RunResult()
                else:
                    result = await self._run(snapshot, now)
        except Exception:
            log.exception("feeds: feed #%d failed; tried again in %.0fs", feed_id, RETRY_SECONDS)
            result = RunResult(failed=1)
            await self._reschedule(feed_id, model.retry_at(now, RETRY_SECONDS))
        finally:
            self._running.pop(feed_id, None)
            self._changed.set()
        result.feeds.append(feed_id)
        self.totals.add(RunResult(**{**result.__dict__, "feeds": []}))
        return result

    async def _reschedule(self, feed_id: int, at: datetime) -> None:
        try:
            async with self.db.session() as session:
                await repo.reschedule(session, feed_id, at)
        finally:
            if feed_id in self._due:
                self._due[feed_id] = at

    # -- one run of one feed ------------------------------------------------------------------

    async def _run(self, snapshot: _Snapshot, now: datetime) -> RunResult:
        view, message_id, last_key = snapshot.view, snapshot.message_id, snapshot.last_key
        last_prices, feed_id = snapshot.last_prices, snapshot.view.id
        next_at = model.next_due(view.every, now)
        found = await asyncio.gather(*(self.quotes.quote(ex, sym) for ex, sym in view.markets))
        quotes: dict[str, Quote] = {
            model.market_key(q.exchange, q.symbol): q for q in found if q is not None
        }
        if not quotes:
            log.warning("feeds: no price for any market of feed #%d; next run as planned", feed_id)
            await self._record(feed_id, next_at)
            return RunResult(failed=1)
        prices = {k: str(q.price) for k, q in quotes.items()}
        changes = {k: f"{q.change_pct:.2f}" for k, q in quotes.items() if q.change_pct is not None}
        moved = (
            model.largest_move(last_prices, {k: q.price for k, q in quotes.items()})
            if view.move_pct is not None
            else None
        )
        if not model.should_post(view.move_pct, moved):
            await self._record(feed_id, next_at)
            return RunResult(not_moved=1)
        shown = model.key(prices, changes)
        lang = self.chats.i18n.get(snapshot.language)
        lines = tuple(
            (ex, pair, quotes.get(model.market_key(ex, sym)))
            for (ex, sym), pair in zip(view.markets, view.pairs, strict=True)
        )
        text = self.texts.board_text(lang, Board(feed_id, lines, now, moved))
        try:
            if view.pin and message_id is not None and shown == last_key:
                if await self._board_alive(view.chat_id, message_id):
                    await self._record(feed_id, next_at)
                    return RunResult(unchanged=1)
                log.info("feeds: the board of feed #%d was deleted; posting anew", feed_id)
                message_id = None
            new_id, how = await self._deliver(view, message_id, text)
        except Forbidden as error:
            log.info("feeds: chat %d refuses the bot: %s", view.chat_id, error)
            paused = await self.chat_lost(view.chat_id, model.REASON_REMOVED)
            return RunResult(paused=len(paused))
        except ChatMigrated as error:
            await self.chat_moved(view.chat_id, int(error.new_chat_id))
            await self._reschedule(feed_id, now)
            return RunResult(retried=1)
        except RetryAfter as error:
            wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            await self._reschedule(feed_id, model.retry_at(now, seconds + 1))
            return RunResult(retried=1)
        except BadRequest as error:
            reason = classify(error)
            if reason is None:
                log.warning("feeds: feed #%d refused by Telegram: %s", feed_id, error)
                await self._record(feed_id, next_at)
                return RunResult(failed=1)
            only = feed_id if reason == model.REASON_NO_PIN else None
            paused = await self.chat_lost(view.chat_id, reason, only)
            return RunResult(paused=len(paused))
        except NetworkError as error:  # TimedOut too: tried again shortly
            log.info("feeds: feed #%d: %s; tried again shortly", feed_id, error)
            await self._reschedule(feed_id, model.retry_at(now, RETRY_SECONDS))
            return RunResult(retried=1)
        async with self.db.session() as session:
            await repo.record_post(
                session,
                feed_id,
                next_at=next_at,
                posted_at=now,
                message_id=new_id,
                last_key=shown,
                last_prices=prices,
            )
        if feed_id in self._due:
            self._due[feed_id] = next_at
        if how == "no_pin":
            paused = await self.chat_lost(view.chat_id, model.REASON_NO_PIN, feed_id)
            return RunResult(posted=1, paused=len(paused))
        if how == "edited":
            return RunResult(edited=1)
        if how == "unchanged":
            return RunResult(unchanged=1)
        return RunResult(posted=1)

    async def _record(self, feed_id: int, next_at: datetime) -> None:
        async with self.db.session() as session:
            await repo.record_post(
                session,
                feed_id,
                next_at=next_at,
                posted_at=None,
                message_id=None,
                last_key=None,
                last_prices=None,
            )
        if feed_id in self._due:
            self._due[feed_id] = next_at

    async def _call(self, chat_id: int, request: Callable[[Bot], Awaitable[Any]]) -> Any:
        if self.notifier is None:
            raise RuntimeError("feeds need the notifier to send")
        return await self.notifier.call(chat_id, request)

    async def _board_alive(self, chat_id: int, message_id: int) -> bool:
        """Whether a pinned board is still there, without changing it: Telegram tells no
        bot of deletions, but an edit to the same (empty) buttons answers "not modified"
        for a live message and "not found" for a deleted one. So a board deleted while
        prices stand still is posted again at its next tick, not only at the next move."""
        try:
            await self._call(
                chat_id,
                lambda bot: bot.edit_message_reply_markup(
                    chat_id=chat_id, message_id=message_id, reply_markup=None
                ),
            )
        except BadRequest as error:
            reason = str(error).lower()
            if "not modified" in reason:
                return True
            if "not found" in reason or "can't be edited" in reason:
                return False
            raise
        return True

    async def _deliver(self, view: FeedView, message_id: int | None, text: str) -> tuple[int, str]:
        """Post (or, pinned, edit) the board: (its message id, what was done)."""
        chat_id = view.chat_id
        if view.pin and message_id is not None:
            try:
                await self._call(
                    chat_id,
                    lambda bot: bot.edit_message_text(
                        text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
                    ),
                )
                return message_id, "edited"
            except BadRequest as error:
                reason = str(error).lower()
                if "not modified" in reason:
                    return message_id, "unchanged"
                if "not found" not in reason and "can't be edited" not in reason:
                    raise
                log.info("feeds: the board of feed #%d was deleted; posting anew", view.id)
        message: Message = await self._call(
            chat_id,
            lambda bot: bot.send_message(
                chat_id, text, parse_mode=ParseMode.HTML, disable_notification=True
            ),
        )
        if not view.pin:
            return message.message_id, "posted"
        try:
            await self._call(
                chat_id,
                lambda bot: bot.pin_chat_message(
                    chat_id, message.message_id, disable_notification=True
                ),
            )
        except BadRequest as error:
            if classify(error) != model.REASON_NO_PIN:
                raise
            return message.message_id, "no_pin"
        return message.message_id, "posted"
