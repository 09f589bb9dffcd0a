"""Conversations that survive replicas and restarts: PTB persistence in the database.

Behind a round-robin balancer the message after ``/connect`` can reach another
replica, and a restart forgets whatever lived in memory. So the state of every
persistent ``ConversationHandler`` and the ``chat_data`` the conversations keep are
rows of ``conversation_states`` (``storage/repos/conversations.py``).

Choices, and why:

- **Read per update, write per update.** PTB loads conversations once at start and
  writes every ``update_interval`` seconds; both are wrong for replicas. Instead
  ``SharedApplication.process_update`` flushes (``update_persistence``) right after
  each update, and before any handler runs (group ``REFRESH_GROUP``) the update's own
  conversation key is re-read from the database; ``chat_data`` is re-read through
  PTB's ``refresh_chat_data`` hook, which PTB calls for every update. No replica
  trusts its memory across updates, so there is no stale cache to invalidate. The
  cost is one small read per update and one write per update that changed something.
  The reply of a step is sent before the flush (PTB writes after the callback); a
  human cannot answer within those few milliseconds.
- **Everything sealed.** ``chat_data`` of /connect holds half-typed API keys
  (``exchanges.credentials.Secret``). Every payload, states included, is JSON sealed
  by the vault (AES-GCM, a fresh data key per row) bound to the chat and the scope;
  ``Secret`` values (``HeldSecret``, which PTB can copy) survive as ``{"$secret": …}``
  inside the sealed JSON only. Values that are not JSON are not stored (logged by type,
  never by value). An update that read empty chat data and left it empty writes nothing.
- **Timeouts still hold.** ``updated_at`` is the last step. A conversation older than
  its ``conversation_timeout`` is ended on read (its TIMEOUT handlers run for that
  update, the rows go), which covers a replica that restarted and lost its timeout
  job. A replica's own timeout job first re-reads the row: if another replica moved
  the conversation on (the row is not the one this replica last wrote) or ended it
  (no row), it stands down, so the user hears "timed out" once and only when it is
  true. "Not the one it wrote" is an exact comparison of ``updated_at``, not a clock
  test: the row is written a few milliseconds after PTB starts the timer, so a clock
  test would find every conversation a hair too young when its own timer fires.
- ``bot_data``, ``user_data`` and callback data are not persisted: ``bot_data`` holds
  the live services and no conversation uses the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BasePersistence,
    ConversationHandler,
    PersistenceInput,
    TypeHandler,
)
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from exchanges.credentials import Secret
from storage.db import Database
from storage.repos import conversations as repo
from storage.secrets import SecretsError, Vault

log = logging.getLogger(__name__)

CHAT_DATA = "chat_data"
REFRESH_GROUP = -1000
"""Before the rate limit (-100) and every feature: the update sees the shared state."""


class HeldSecret(Secret):
    """A ``Secret`` a conversation holds between steps.

    PTB deep-copies ``chat_data`` before writing it; a ``Secret`` refuses to be copied
    through pickling, and this one is immutable, so a copy may simply be itself. It
    still never pickles and never shows itself.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict[int, object]) -> HeldSecret:
        return self

    def __copy__(self) -> HeldSecret:
        return self


def _scope(name: str) -> str:
    return f"conversation:{name}"


def _key_text(key: ConversationKey) -> str:
    return ":".join(str(part) for part in key)


def _key_of(text: str) -> ConversationKey:
    return tuple(int(part) if part.lstrip("-").isdigit() else part for part in text.split(":"))


def _owner(key: ConversationKey) -> int:
    return int(key[0]) if key and isinstance(key[0], int) else 0


def _encode(value: object) -> object:
    if isinstance(value, Secret):
        return {"$secret": value.reveal()}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            try:
                out[str(k)] = _encode(v)
            except TypeError:
                log.warning("not persisting a chat_data value of type %s", type(v).__name__)
        return out
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(type(value).__name__)


def _decode(value: object) -> object:
    if isinstance(value, dict):
        if set(value) == {"$secret"}:
            return HeldSecret(str(value["$secret"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB persistence over ``conversation_states``; see the module docstring."""

    def __init__(self, db: Database, vault: Vault) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=False, callback_data=False
            ),
            update_interval=60,
        )
        self.db = db
        self.vault = vault
        self._read_empty: set[int] = set()  # chats whose chat_data this update read empty
        self._wrote: dict[tuple[str, str], datetime] = {}  # conversation row -> its updated_at

    # sealing -------------------------------------------------------------------------

    def _seal(self, owner: int, scope: str, value: object) -> Any:
        return self.vault.seal(owner, scope, json.dumps(_encode(value)).encode())

    def _open(self, row: Any) -> object:
        try:
            raw = self.vault.open(row.owner, row.scope, repo.sealed_of(row))
        except SecretsError:
            log.warning("a stored conversation row does not open; ignoring it")
            return None
        return _decode(json.loads(raw))

    # conversations -------------------------------------------------------------------

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self.db.session() as session:
            rows = await repo.all_of(session, _scope(name))
            return {_key_of(r.key): self._open(r) for r in rows}

    async def read_conversation(
        self, name: str, key: ConversationKey
    ) -> tuple[object | None, datetime | None]:
        """The state of one conversation and when it last moved, as the database has it."""
        async with self.db.session() as session:
            row = await repo.get(session, _scope(name), _key_text(key))
            if row is None:
                return None, None
            at = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
            return self._open(row), at

    def wrote_at(self, name: str, key: ConversationKey) -> datetime | None:
        """When this replica last wrote the conversation, if it did since it started."""
        return self._wrote.get((_scope(name), _key_text(key)))

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        scope, text = _scope(name), _key_text(key)
        async with self.db.session() as session:
            if new_state is None:
                self._wrote.pop((scope, text), None)
                await repo.drop(session, scope, text)
            else:
                owner = _owner(key)
                at = datetime.now(UTC)
                sealed = self._seal(owner, scope, new_state)
                await repo.put(session, scope, text, owner, sealed, at=at)
                self._wrote[(scope, text)] = at

    # chat data -----------------------------------------------------------------------

    async def _read_chat_data(self, chat_id: int) -> dict[Any, Any]:
        async with self.db.session() as session:
            row = await repo.get(session, CHAT_DATA, str(chat_id))
            found = None if row is None else self._open(row)
        return found if isinstance(found, dict) else {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        async with self.db.session() as session:
            rows = await repo.all_of(session, CHAT_DATA)
            opened = {int(r.key): self._open(r) for r in rows}
        return {k: v for k, v in opened.items() if isinstance(v, dict)}

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        fresh = await self._read_chat_data(chat_id)
        if fresh:
            self._read_empty.discard(chat_id)
        else:
            self._read_empty.add(chat_id)
        chat_data.clear()
        chat_data.update(fresh)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        if not data and chat_id in self._read_empty:
            return  # read empty, still empty: most updates write nothing
        self._read_empty.discard(chat_id)
        async with self.db.session() as session:
            if not data:
                await repo.drop(session, CHAT_DATA, str(chat_id))
                return
            sealed = self._seal(chat_id, CHAT_DATA, data)
            await repo.put(session, CHAT_DATA, str(chat_id), chat_id, sealed)

    async def drop_chat_data(self, chat_id: int) -> None:
        async with self.db.session() as session:
            await repo.drop(session, CHAT_DATA, str(chat_id))

    # not persisted (see the module docstring) ----------------------------------------

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        return None

    async def flush(self) -> None:
        return None  # every update is already written


class SharedApplication(Application):  # type: ignore[type-arg]
    """An Application that writes its persistence after every update, not every minute.

    ``on_flushed`` callbacks hear each update once its state is in the database (tests
    wait on it instead of sleeping).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_flushed: list[Callable[[object, object], Awaitable[None]]] = []

    async def process_update(self, update: object) -> None:
        try:
            await super().process_update(update)
        finally:
            if self.persistence is not None:
                await self.update_persistence()
            for callback in self.on_flushed:
                await callback(update, None)


class SharedConversationHandler(ConversationHandler):  # type: ignore[type-arg]
    """A ConversationHandler whose timeout job asks the database before it fires."""

    async def _trigger_timeout(self, context: Any) -> None:
        data = getattr(context.job, "data", None)
        key = cast(ConversationKey | None, getattr(data, "conversation_key", None))
        persistence = context.application.persistence
        if key is not None and isinstance(persistence, DatabasePersistence) and self.name:
            state, at = await persistence.read_conversation(self.name, key)
            mine = persistence.wrote_at(self.name, key)
            moved_on = at != mine if mine is not None else at is not None and not _expired(self, at)
            if state is None or moved_on:
                async with self._timeout_jobs_lock:  # another replica moved it on or ended it
                    if self.timeout_jobs.get(key) is context.job:
                        del self.timeout_jobs[key]
                cast(Any, self._conversations).data.pop(key, None)  # untracked: the row stays
                return
        await super()._trigger_timeout(context)
        await context.application.update_persistence()


def _expired(handler: ConversationHandler, at: datetime) -> bool:  # type: ignore[type-arg]
    timeout = handler.conversation_timeout
    if timeout is None:
        return False
    span = timeout if isinstance(timeout, timedelta) else timedelta(seconds=float(timeout))
    return datetime.now(UTC) - at >= span


def _persistent(app: Application) -> Iterator[ConversationHandler]:  # type: ignore[type-arg]
    for group in app.handlers.values():
        for handler in group:
            if isinstance(handler, ConversationHandler) and handler.persistent and handler.name:
                yield handler


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Before every handler: load this update's conversation steps from the database."""
    persistence = app.persistence
    if not isinstance(persistence, DatabasePersistence):
        return

    async def refresh(update: Update, context: Any) -> None:
        for handler in _persistent(app):
            if update.effective_chat is None or update.effective_user is None:
                continue
            key = handler._get_key(update)
            name = cast(str, handler.name)
            state, at = await persistence.read_conversation(name, key)
            local = handler._conversations
            if state is None:
                cast(Any, local).data.pop(key, None)  # untracked: nothing to write back
                continue
            if at is not None and _expired(handler, at):
                await _time_out(app, handler, update, context, key)
                raise ApplicationHandlerStop
            local.update_no_track({key: state})  # type: ignore[attr-defined]

    app.add_handler(TypeHandler(Update, refresh), group=REFRESH_GROUP)


async def _time_out(
    app: Application,  # type: ignore[type-arg]
    handler: ConversationHandler,  # type: ignore[type-arg]
    update: Update,
    context: Any,
    key: ConversationKey,
) -> None:
    """A conversation found past its timeout (its replica's timer is gone): end it now.

    The message was meant for the conversation and may carry a secret (/connect), so it
    is deleted as the conversation itself would have.
    """
    message = update.effective_message
    if message is not None:
        try:
            await message.delete()
        except TelegramError:
            log.warning("could not delete a message sent to a timed-out conversation")
    for candidate in handler.states.get(ConversationHandler.TIMEOUT, []):
        check = candidate.check_update(update)
        if check is not None and check is not False:
            await candidate.handle_update(update, app, check, context)
            break
    handler._conversations.pop(key, None)
    persistence = app.persistence
    assert isinstance(persistence, DatabasePersistence) and handler.name
    await persistence.update_conversation(handler.name, key, None)
    assert update.effective_chat is not None
    app.drop_chat_data(update.effective_chat.id)
