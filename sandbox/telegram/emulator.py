"""The facade tests use: start the fake Telegram, populate it, act as its users.

The bot under test talks HTTP to ``api_root`` exactly as it would to api.telegram.org;
the test plays the users through this class and asserts on what they would have seen.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from .bots import BotAccount, RecordedRequest
from .clock import Clock
from .entities import find_entities
from .faults import TelegramFaults
from .files import StoredFile, Upload
from .flood import FloodLimits
from .keyboards import find_button
from .messages import StoredMessage
from .models import AdminRights, Chat, ChatType, Membership, Status, User
from .notify import ChangeSignal
from .server import BotApiServer
from .state import World
from .transcript import Dialog, EmulatorTimeout, Predicate
from .user_api import install_user_api
from .webhook import DEFAULT_RETRY_DELAYS

Rights = AdminRights | Mapping[str, bool]
CHANNEL_BOT_RIGHTS = AdminRights(
    can_post_messages=True,
    can_edit_messages=True,
    can_delete_messages=True,
    can_invite_users=True,
)


class TelegramEmulator:
    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "sarraf_bot",
        *,
        bot_first_name: str = "Sarraf",
        flood: FloodLimits | None = None,
        clock: Clock | None = None,
        privacy_mode: bool = True,
        callback_query_timeout: float = 15.0,
        webhook_retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
    ) -> None:
        self.world = World(
            clock or time.time, flood or FloodLimits(), callback_query_timeout, webhook_retry_delays
        )
        self._default = self.world.add_bot(token, bot_username, bot_first_name, privacy_mode)
        self._server = BotApiServer(self.world, install_user_api(self))
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port``; port 0 picks a free port (see ``api_root``)."""
        if self._started:
            raise RuntimeError("the emulator is already running")
        for account in self.world.bots.values():
            account.updates.closed = False
        await self._server.start(host, port)
        self._started = True

    async def stop(self) -> None:
        """Release pending long polls, stop webhook delivery, close the server."""
        await self.world.shutdown()
        await self._server.stop()
        self._started = False

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def api_root(self) -> str:
        if not self._started:
            raise RuntimeError("start() the emulator first")
        host = f"[{self._server.host}]" if ":" in self._server.host else self._server.host
        return f"http://{host}:{self._server.port}"

    # -- bots -------------------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self._default.token

    @property
    def bot_user(self) -> User:
        return self._default.user

    def add_bot(
        self, token: str, username: str, *, first_name: str | None = None, privacy_mode: bool = True
    ) -> User:
        """Another bot account, reachable under its own token."""
        return self.world.add_bot(token, username, first_name or username, privacy_mode).user

    def _bot(self, token: str | None) -> BotAccount:
        return self._default if token is None else self.world.bot(token)

    @property
    def faults(self) -> TelegramFaults:
        """Gateway errors, connection resets and migrated chats on demand (``faults.py``)."""
        return self._server.faults

    @property
    def flood(self) -> FloodLimits:
        """The live limits: ``emu.flood.enabled = False`` takes effect on the next call."""
        return self.world.flood.limits

    @property
    def requests(self) -> list[RecordedRequest]:
        """(method, params) of every call the default bot made, in order."""
        return self._default.requests

    def on_request(self, listener: Callable[[RecordedRequest], None]) -> None:
        """Call ``listener`` with every Bot API call of the default bot as it arrives."""
        self._default.listeners.append(listener)

    def requests_of(self, token: str) -> list[RecordedRequest]:
        return self.world.bot(token).requests

    async def wait_for_request(
        self,
        method: str,
        *,
        after: int = 0,
        timeout: float = 5.0,
        bot: str | None = None,
    ) -> RecordedRequest:
        """The first call of ``method`` (any case) at or after index ``after`` of the log.

        The call is logged before it runs, and a long poll reaches its wait without
        yielding, so once this returns for getUpdates the bot is already waiting.
        """
        account = self._bot(bot)
        wanted = method.lower()
        deadline = time.monotonic() + timeout
        while True:
            change = account.request_signal.snapshot()
            for request in account.requests[after:]:
                if request.method.lower() == wanted:
                    return request
            after = max(after, len(account.requests))
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await ChangeSignal.wait(change, remaining):
                seen = sorted({r.method for r in account.requests})
                raise EmulatorTimeout(
                    f"the bot did not call {method} within {timeout}s; it called {seen}"
                )

    @property
    def callback_answers(self) -> list[dict[str, Any]]:
        return self.world.callback_answers

    @property
    def files(self) -> Mapping[str, StoredFile]:
        return self.world.files

    def file_bytes(self, file_id: str) -> bytes | None:
        """The content behind a file_id (any photo size or document), None if unknown."""
        stored = self.world.files.get(file_id)
        return None if stored is None else stored.data

    def pending_updates(self, *, bot: str | None = None) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by the bot."""
        return [copy.deepcopy(u.to_api()) for u in self._bot(bot).updates.pending]

    # -- users and chats --------------------------------------------------------------------

    def add_user(
        self,
        user_id: int | None = None,
        first_name: str = "User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        started: bool = False,
    ) -> User:
        """A Telegram user; ``started`` means they already pressed Start with the default
        bot, without which Telegram refuses to let the bot write to them first."""
        user = self.world.add_user(user_id, first_name, last_name, username, language_code, is_bot)
        if started:
            self._default.started.add(user.id)
        return user

    def user(self, user_id: int) -> User:
        return self.world.user(user_id)

    def chat(self, chat_id: int) -> Chat:
        return self.world.chat(chat_id)

    def add_group(
        self,
        title: str,
        members: Iterable[int] = (),
        admins: Iterable[int] = (),
        supergroup: bool = True,
        bot_rights: Rights | None = None,
        *,
        username: str | None = None,
        chat_id: int | None = None,
        creator: int | None = None,
        with_bot: bool = True,
        bot: str | None = None,
    ) -> Chat:
        """A group; the first admin (else member) is its creator and adds the bot, as a
        member or, with ``bot_rights``, as an administrator."""
        admin_ids, member_ids = list(admins), list(members)
        owner = self._owner(creator, admin_ids, member_ids, "group")
        chat = self.world.add_chat(
            ChatType.SUPERGROUP if supergroup else ChatType.GROUP, title, username, chat_id
        )
        self._seat_people(chat, owner, admin_ids, member_ids)
        if with_bot:
            rights = _rights(bot_rights) if bot_rights is not None else None
            self.world.change_membership(
                chat, self._bot(bot).user, _bot_membership(rights), self.world.user(owner)
            )
        return chat

    def add_channel(
        self,
        title: str,
        username: str | None = None,
        admins: Iterable[int] = (),
        bot_rights: Rights | None = None,
        *,
        subscribers: Iterable[int] = (),
        chat_id: int | None = None,
        creator: int | None = None,
        with_bot: bool = True,
        bot: str | None = None,
    ) -> Chat:
        """A channel; bots can only be channel administrators, so the bot joins with
        ``bot_rights`` or, by default, the right to post, edit and delete."""
        admin_ids, subscriber_ids = list(admins), list(subscribers)
        owner = self._owner(creator, admin_ids, [], "channel")
        chat = self.world.add_chat(ChatType.CHANNEL, title, username, chat_id)
        self._seat_people(chat, owner, admin_ids, subscriber_ids)
        if with_bot:
            rights = _rights(bot_rights) if bot_rights is not None else CHANNEL_BOT_RIGHTS
            self.world.change_membership(
                chat,
                self._bot(bot).user,
                Membership(Status.ADMINISTRATOR, rights),
                self.world.user(owner),
            )
        return chat

    def _owner(self, creator: int | None, admins: list[int], members: list[int], kind: str) -> int:
        candidates = [creator] if creator is not None else [*admins, *members]
        if not candidates:
            raise ValueError(f"a {kind} needs a creator: pass admins, members or creator")
        owner = candidates[0]
        self.world.user(owner)
        return owner

    def _seat_people(self, chat: Chat, owner: int, admins: list[int], members: list[int]) -> None:
        for user_id in [owner, *admins, *members]:
            self.world.user(user_id)
        for user_id in members:
            chat.members[user_id] = Membership(Status.MEMBER)
        for user_id in admins:
            chat.members[user_id] = Membership(Status.ADMINISTRATOR, AdminRights.full())
        chat.members[owner] = Membership(Status.CREATOR)

    def join_chat(self, user_id: int, chat_id: int) -> None:
        """A user joins: ``chat_member`` for admin bots and, in groups, a service message."""
        user, chat = self.world.user(user_id), self.world.chat(chat_id)
        if chat.is_private:
            raise ValueError("nobody joins a private chat")
        if chat.membership(user_id).present:
            raise ValueError(f"user {user_id} is already in chat {chat_id}")
        self.world.change_membership(chat, user, Membership(Status.MEMBER), user)
        if chat.type is not ChatType.CHANNEL:
            self.world.service_message(chat, user, {"new_chat_members": [user.to_api()]})

    def leave_chat(self, user_id: int, chat_id: int) -> None:
        user, chat = self.world.user(user_id), self.world.chat(chat_id)
        if not chat.membership(user_id).present or chat.is_private:
            raise ValueError(f"user {user_id} is not in chat {chat_id}")
        self.world.change_membership(chat, user, Membership(Status.LEFT), user)
        if chat.type is not ChatType.CHANNEL:
            self.world.service_message(chat, user, {"left_chat_member": user.to_api()})

    # -- the bot's place in chats -----------------------------------------------------------

    def _actor(self, chat: Chat, by_user_id: int | None) -> User:
        if by_user_id is not None:
            return self.world.user(by_user_id)
        ranked = sorted(
            (m.status is not Status.CREATOR, uid)
            for uid, m in chat.members.items()
            if m.is_admin and not self.world.users[uid].is_bot
        )
        if not ranked:
            raise ValueError(f"chat {chat.id} has no human administrator to do that")
        return self.world.users[ranked[0][1]]

    def add_bot_to(
        self,
        chat_id: int,
        *,
        rights: Rights | None = None,
        by_user_id: int | None = None,
        bot: str | None = None,
    ) -> None:
        """Add the bot back (or for the first time): ``my_chat_member`` and, in groups, the
        ``new_chat_members`` service message."""
        chat, account = self.world.chat(chat_id), self._bot(bot)
        if chat.is_private:
            raise ValueError("use unblock_bot() for private chats")
        if chat.membership(account.id).present:
            raise ValueError(f"the bot is already in chat {chat_id}")
        actor = self._actor(chat, by_user_id)
        if chat.type is ChatType.CHANNEL:
            membership = Membership(
                Status.ADMINISTRATOR, _rights(rights) if rights is not None else CHANNEL_BOT_RIGHTS
            )
        else:
            membership = _bot_membership(_rights(rights) if rights is not None else None)
        self.world.change_membership(chat, account.user, membership, actor)
        if chat.type is not ChatType.CHANNEL:
            self.world.service_message(chat, actor, {"new_chat_members": [account.user.to_api()]})

    def remove_bot(
        self,
        chat_id: int,
        *,
        by_user_id: int | None = None,
        ban: bool = False,
        bot: str | None = None,
    ) -> None:
        """Remove (or ban) the bot: it gets ``my_chat_member`` and loses access."""
        chat, account = self.world.chat(chat_id), self._bot(bot)
        if chat.is_private:
            raise ValueError("use block_bot() for private chats")
        if not chat.membership(account.id).present:
            raise ValueError(f"the bot is not in chat {chat_id}")
        actor = self._actor(chat, by_user_id)
        new = Membership(Status.KICKED) if ban else Membership(Status.LEFT)
        self.world.change_membership(chat, account.user, new, actor)
        if chat.type is not ChatType.CHANNEL:
            self.world.service_message(chat, actor, {"left_chat_member": account.user.to_api()})

    def set_bot_rights(
        self,
        chat_id: int,
        *,
        by_user_id: int | None = None,
        bot: str | None = None,
        **rights: bool,
    ) -> None:
        """Promote the bot with exactly these rights, or demote it when none are given."""
        chat, account = self.world.chat(chat_id), self._bot(bot)
        if not chat.membership(account.id).present:
            raise ValueError(f"the bot is not in chat {chat_id}; use add_bot_to()")
        actor = self._actor(chat, by_user_id)
        membership = _bot_membership(AdminRights.of(rights) if rights else None)
        self.world.change_membership(chat, account.user, membership, actor)

    def block_bot(self, user_id: int, *, bot: str | None = None) -> None:
        """The user blocks the bot: ``my_chat_member`` (member -> kicked), then 403s."""
        self.world.block(self.world.user(user_id), self._bot(bot))

    def unblock_bot(self, user_id: int, *, bot: str | None = None) -> None:
        self.world.unblock(self.world.user(user_id), self._bot(bot))

    # -- users acting -----------------------------------------------------------------------

    def _dialog(self, chat_id: int, bot: str | None) -> Dialog:
        return self.world.dialog(self.world.chat(chat_id), self._bot(bot))

    def _chat_for(self, user_id: int, chat_id: int | None) -> tuple[User, Chat]:
        return self.world.user(user_id), self.world.chat(user_id if chat_id is None else chat_id)

    def _reply_to(self, dialog: Dialog, message_id: int | None) -> StoredMessage | None:
        if message_id is None:
            return None
        found = dialog.live(message_id)
        if found is None:
            raise ValueError(f"chat {dialog.chat.id} has no message #{message_id} to reply to")
        return found

    async def send_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        reply_to_message_id: int | None = None,
        bot: str | None = None,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """The user sends ``text`` (to their private chat with the bot by default).

        Returns the stored message as in ``transcript``; the update is queued for every
        bot that may see it, with the entities (commands, mentions) Telegram would add.
        ``anonymous``: a group administrator writes as the group (GroupAnonymousBot).
        """
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if len(text) > 4096:
            raise ValueError("Telegram clients split messages over 4096 characters")
        user, chat = self._chat_for(user_id, chat_id)
        account = self._bot(bot)
        reply_to = self._reply_to(self.world.dialog(chat, account), reply_to_message_id)
        message = self.world.user_message(
            user,
            chat,
            account,
            anonymous=anonymous,
            text=text,
            entities=find_entities(text),
            reply_to=reply_to,
        )
        return message.to_transcript()

    async def send_photo(
        self,
        user_id: int,
        data: bytes,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        filename: str = "photo.jpg",
        bot: str | None = None,
    ) -> dict[str, Any]:
        user, chat = self._chat_for(user_id, chat_id)
        sizes = self.world.files.add_photo(Upload(data, filename, None))
        message = self.world.user_message(
            user,
            chat,
            self._bot(bot),
            photo=[s.to_photo_size() for s in sizes],
            caption=caption,
            caption_entities=find_entities(caption or ""),
        )
        return message.to_transcript()

    async def send_document(
        self,
        user_id: int,
        data: bytes,
        *,
        filename: str = "document.bin",
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        bot: str | None = None,
    ) -> dict[str, Any]:
        user, chat = self._chat_for(user_id, chat_id)
        stored = self.world.files.add_document(Upload(data, filename, mime_type))
        message = self.world.user_message(
            user,
            chat,
            self._bot(bot),
            document=stored.to_document(),
            caption=caption,
            caption_entities=find_entities(caption or ""),
        )
        return message.to_transcript()

    async def edit_text(
        self, user_id: int, chat_id: int, message_id: int, text: str, *, bot: str | None = None
    ) -> dict[str, Any]:
        """The user edits their own message: ``edited_message`` (or ``edited_channel_post``)."""
        account = self._bot(bot)
        dialog = self._dialog(chat_id, bot)
        message = dialog.live(message_id)
        if message is None or message.from_bot or message.text is None:
            raise ValueError(f"#{message_id} is not a text message of a user in chat {chat_id}")
        if message.sender is not None and message.sender.id != user_id:
            raise ValueError(f"#{message_id} was written by someone else")
        if message.text == text:
            raise ValueError("the text is unchanged")
        message.remember_version()
        message.text, message.entities = text, find_entities(text)
        message.edit_date = self.world.now()
        self.world.store.record(dialog, "edited", message, user_id, by_bot=False)
        self.world.route(message, "edited_message", account)
        return message.to_transcript()

    def delete_message(
        self, user_id: int, chat_id: int, message_id: int, *, bot: str | None = None
    ) -> None:
        """The user deletes a message: their own, or as an admin anyone's (a group admin
        needs ``can_delete_messages`` for others' messages; in a channel, any admin who
        may delete). Bots get no update for it, as in Telegram; the message is gone (and
        unpinned) for later edits, pins and replies."""
        dialog = self._dialog(chat_id, bot)
        message = dialog.live(message_id)
        if message is None:
            raise ValueError(f"chat {chat_id} has no message #{message_id}")
        chat = dialog.chat
        own = message.sender is not None and message.sender.id == user_id and not message.from_bot
        if (
            not own
            and not chat.is_private
            and not chat.membership(user_id).has("can_delete_messages")
        ):
            raise ValueError(f"user {user_id} may not delete #{message_id} in chat {chat_id}")
        message.deleted = True
        message.deleted_date = self.world.now()
        if message.message_id in dialog.pinned:
            dialog.pinned.remove(message.message_id)
            message.pinned = False
        self.world.store.record(dialog, "deleted", message, user_id, by_bot=False)

    async def press_button(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        button: int | str,
        *,
        bot: str | None = None,
    ) -> str:
        """Press an inline button: ``button`` is its 1-based position (left to right, top to
        bottom) or its callback_data.  Returns the callback query id the bot must answer."""
        user = self.world.user(user_id)
        dialog = self._dialog(chat_id, bot)
        message = dialog.live(message_id)
        if message is None:
            raise ValueError(f"chat {chat_id} has no message #{message_id}")
        if not dialog.chat.is_private and not dialog.chat.membership(user_id).present:
            raise ValueError(f"user {user_id} is not in chat {chat_id}")
        chosen = find_button(message.inline_markup, button)
        data = chosen.get("callback_data")
        if not isinstance(data, str):
            raise ValueError(f"button {chosen.get('text')!r} is not a callback button")
        owner = self.world.bot_by_id(message.bot_id) if message.bot_id is not None else None
        if owner is None:
            raise ValueError(f"#{message_id} was not sent by a bot")
        return self.world.press(user, owner, dialog, message, data)

    async def press_forged(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        bot: str | None = None,
    ) -> str:
        """A callback query with ``data`` the message's buttons may not carry at all: any
        client can send one (fault tests). Returns the callback query id."""
        user = self.world.user(user_id)
        dialog = self._dialog(chat_id, bot)
        message = dialog.live(message_id)
        if message is None:
            raise ValueError(f"chat {chat_id} has no message #{message_id}")
        return self.world.press(user, self._bot(bot), dialog, message, data)

    # -- observing --------------------------------------------------------------------------

    def transcript(self, chat_id: int, *, bot: str | None = None) -> list[dict[str, Any]]:
        """Every message of the chat in order, both directions, edits and deletions applied."""
        dialog = self.world.store.find(self.world.chat(chat_id), self._bot(bot).id)
        if dialog is None:
            return []
        return [m.to_transcript() for m in dialog.messages.values()]

    def last_bot_message(self, chat_id: int, *, bot: str | None = None) -> dict[str, Any] | None:
        """The newest message the bot sent that is still there."""
        dialog = self.world.store.find(self.world.chat(chat_id), self._bot(bot).id)
        if dialog is None:
            return None
        for message in reversed(dialog.messages.values()):
            if message.from_bot and not message.deleted:
                return message.to_transcript()
        return None

    async def wait_for_message(
        self,
        chat_id: int,
        *,
        after_message_id: int | None = None,
        predicate: Predicate | None = None,
        timeout: float = 5.0,
        bot: str | None = None,
    ) -> dict[str, Any]:
        """The bot's next message or edit in the chat that matches ``predicate``.

        "Next" counts from the sending of ``after_message_id`` or, by default, from the
        user's latest action in the chat (a message, an edit, a button press), so a reply
        that arrived before this call is still found.  Raises ``EmulatorTimeout`` (a
        ``TimeoutError``) with the end of the transcript when nothing comes in time.
        """
        account = self._bot(bot)
        chat = self.world.chat(chat_id)
        dialog = self.world.dialog(chat, account)
        sender = account.id if bot is not None and not chat.is_private else None
        return await self.world.store.wait_for_bot_message(
            dialog, after_message_id, predicate, timeout, sender
        )

    def visible_commands(
        self, user_id: int, chat_id: int | None = None, *, bot: str | None = None
    ) -> list[dict[str, str]]:
        """The command menu this user sees in this chat, after Telegram's scope fallbacks."""
        user, chat = self._chat_for(user_id, chat_id)
        return self._bot(bot).menus.visible(
            chat, user_id, chat.membership(user_id).is_admin, user.language_code
        )


def _rights(rights: Rights) -> AdminRights:
    return AdminRights.of(rights if isinstance(rights, AdminRights) else dict(rights))


def _bot_membership(rights: AdminRights | None) -> Membership:
    if rights is None:
        return Membership(Status.MEMBER)
    return Membership(Status.ADMINISTRATOR, rights)
