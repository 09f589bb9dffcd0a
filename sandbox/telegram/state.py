"""The emulated Telegram itself: accounts, chats, permissions and update routing.

Both sides act through this object: Bot API methods (after decoding their parameters)
and the user-side facade.  It decides what Telegram decides: whether the bot may write
to a chat, which bots see a message (privacy mode included), and which membership
changes turn into ``my_chat_member`` / ``chat_member`` updates.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
from dataclasses import dataclass
from typing import Any

from .bots import BotAccount
from .clock import Clock
from .errors import bad_request, forbidden
from .files import FileStore
from .flood import FloodControl, FloodLimits
from .messages import StoredMessage
from .models import GROUP_ANONYMOUS_BOT, Chat, ChatType, Membership, Status, User
from .transcript import Dialog, MessageStore

_TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{1,100}$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_LEADING_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,64}(?:@([A-Za-z0-9_]{3,32}))?(?![A-Za-z0-9_])")
_MENTION = re.compile(r"@([A-Za-z0-9_]{2,32})")
QUERY_ERROR = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class CallbackQueryRecord:
    id: str
    bot_id: int
    user: User
    chat: Chat
    message_id: int
    data: str | None
    created: float
    answered: bool = False


class World:
    def __init__(
        self,
        clock: Clock,
        flood: FloodLimits,
        callback_timeout: float,
        webhook_retry_delays: tuple[float, ...],
    ) -> None:
        self.clock = clock
        self.webhook_retry_delays = webhook_retry_delays
        self.flood = FloodControl(flood, clock)
        self.callback_timeout = callback_timeout
        self.files = FileStore()
        self.store = MessageStore()
        self.bots: dict[str, BotAccount] = {}
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self._user_ids = itertools.count(1_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._super_ids = itertools.count(1_002_000_000_001)

    def now(self) -> int:
        return int(self.clock())

    # -- accounts and chats ---------------------------------------------------------------

    def add_bot(self, token: str, username: str, first_name: str, privacy_mode: bool) -> BotAccount:
        match = _TOKEN.match(token)
        if match is None:
            raise ValueError(f"{token!r} is not a bot token of the form '<bot id>:<secret>'")
        if token in self.bots:
            raise ValueError("a bot with this token already exists")
        bot_id = int(match.group(1))
        if bot_id in self.users:
            raise ValueError(f"id {bot_id} is already taken")
        if not username.lower().endswith("bot") or not _USERNAME.match(username):
            raise ValueError(f"{username!r} is not a bot username (must end in 'bot')")
        user = User(bot_id, first_name, username=username, is_bot=True)
        self.users[bot_id] = user
        bot = BotAccount(token=token, user=user, privacy_mode=privacy_mode)
        self.bots[token] = bot
        return bot

    def bot(self, token: str) -> BotAccount:
        try:
            return self.bots[token]
        except KeyError:
            raise ValueError(f"no bot with token {token!r}") from None

    def bot_by_id(self, bot_id: int) -> BotAccount | None:
        for bot in self.bots.values():
            if bot.id == bot_id:
                return bot
        return None

    def add_user(
        self,
        user_id: int | None,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        is_bot: bool,
    ) -> User:
        if user_id is None:
            user_id = next(self._user_ids)
            while user_id in self.users:
                user_id = next(self._user_ids)
        if user_id <= 0:
            raise ValueError("user ids are positive; negative ids belong to groups and channels")
        if user_id in self.users:
            raise ValueError(f"user {user_id} already exists")
        if username is not None:
            self._check_username_free(username)
        user = User(user_id, first_name, last_name, username, language_code, is_bot)
        self.users[user_id] = user
        self.chats[user_id] = Chat(user_id, ChatType.PRIVATE, user=user)
        return user

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise ValueError(f"no user {user_id}; add it with add_user() first") from None

    def add_chat(
        self, chat_type: ChatType, title: str, username: str | None, chat_id: int | None
    ) -> Chat:
        if chat_id is None:
            counter = self._group_ids if chat_type is ChatType.GROUP else self._super_ids
            chat_id = -next(counter)
            while chat_id in self.chats:
                chat_id = -next(counter)
        if chat_id >= 0:
            raise ValueError("group and channel ids are negative")
        if chat_id in self.chats:
            raise ValueError(f"chat {chat_id} already exists")
        if username is not None:
            self._check_username_free(username.lstrip("@"))
            username = username.lstrip("@")
        chat = Chat(chat_id, chat_type, title=title, username=username)
        self.chats[chat_id] = chat
        return chat

    def _check_username_free(self, username: str) -> None:
        if not _USERNAME.match(username):
            raise ValueError(f"{username!r} is not a valid Telegram username")
        taken = {u.username.lower() for u in self.users.values() if u.username}
        taken |= {c.username.lower() for c in self.chats.values() if c.username and c.user is None}
        if username.lower() in taken:
            raise ValueError(f"username @{username} is taken")

    def chat(self, chat_id: int) -> Chat:
        try:
            return self.chats[chat_id]
        except KeyError:
            raise ValueError(f"no chat {chat_id}") from None

    def resolve_chat(self, ref: int | str) -> Chat:
        """A chat by id or public @username; Telegram's "chat not found" otherwise."""
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            for chat in self.chats.values():
                if chat.user is None and chat.username and chat.username.lower() == name:
                    return chat
            raise bad_request("chat not found")
        found = self.chats.get(ref)
        if found is None:
            raise bad_request("chat not found")
        return found

    def bots_in(self, chat: Chat) -> list[tuple[BotAccount, Membership]]:
        found = []
        for bot in self.bots.values():
            member = chat.members.get(bot.id)
            if member is not None and member.present:
                found.append((bot, member))
        return found

    # -- permissions ------------------------------------------------------------------------

    def ensure_access(self, bot: BotAccount, chat: Chat) -> None:
        """The bot is still in the chat (or, privately, not blocked)."""
        if chat.is_private:
            if chat.peer.id in bot.blocked:
                raise forbidden("bot was blocked by the user")
            return
        member = chat.membership(bot.id)
        if member.status is Status.KICKED:
            raise forbidden(f"bot was kicked from the {chat.kind_phrase()}")
        if not member.present:
            raise forbidden(f"bot is not a member of the {chat.kind_phrase()}")

    def ensure_visible(self, bot: BotAccount, chat: Chat) -> None:
        """Reading a chat needs no membership for public chats, a past contact otherwise."""
        if chat.is_private:
            if chat.peer.id not in bot.started and chat.peer.id != bot.id:
                raise bad_request("chat not found")
            return
        if chat.username:
            return
        if bot.id not in chat.members:
            raise bad_request("chat not found")
        self.ensure_access(bot, chat)

    def ensure_can_send(self, bot: BotAccount, chat: Chat, what: str = "text messages") -> None:
        if chat.is_private:
            if chat.peer.is_bot:
                raise forbidden("bot can't send messages to bots")
            if chat.peer.id in bot.blocked:
                raise forbidden("bot was blocked by the user")
            if chat.peer.id not in bot.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        self.ensure_access(bot, chat)
        member = chat.membership(bot.id)
        if chat.type is ChatType.CHANNEL:
            if not member.has("can_post_messages"):
                raise bad_request("need administrator rights in the channel chat")
            return
        if member.status is Status.RESTRICTED and not member.can_send_messages:
            raise bad_request(f"not enough rights to send {what} to the chat")

    # -- messages ---------------------------------------------------------------------------

    def dialog(self, chat: Chat, bot: BotAccount) -> Dialog:
        return self.store.dialog(chat, bot.id)

    def new_bot_message(self, bot: BotAccount, chat: Chat) -> tuple[Dialog, StoredMessage]:
        """A message shell with the next id, to be filled in and then ``publish``-ed."""
        dialog = self.dialog(chat, bot)
        channel = chat.type is ChatType.CHANNEL
        message = StoredMessage(
            message_id=self.store.allocate_id(dialog),
            chat=chat,
            date=self.now(),
            from_bot=True,
            bot_id=bot.id,
            sender=None if channel else bot.user,
            sender_chat=chat if channel else None,
        )
        return dialog, message

    def publish(self, dialog: Dialog, message: StoredMessage) -> None:
        """Store a bot's message; bots never receive updates about their own messages."""
        self.store.add(dialog, message, message.bot_id)

    def user_message(
        self, user: User, chat: Chat, bot: BotAccount, *, anonymous: bool = False, **content: Any
    ) -> StoredMessage:
        """A user writes (or posts, in a channel they administer) and the bots hear of it.

        ``anonymous``: an administrator of a group writes as the group itself, as Telegram
        shows it: ``from`` is GroupAnonymousBot and ``sender_chat`` the group."""
        if anonymous:
            if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
                raise ValueError("only a group's administrators can write anonymously")
            if not chat.membership(user.id).is_admin:
                raise ValueError(f"user {user.id} is not an administrator of chat {chat.id}")
        if chat.is_private:
            if chat.id != user.id:
                raise ValueError(f"chat {chat.id} is the private chat of another user")
            if user.id in bot.blocked:
                self.unblock(user, bot)
            bot.started.add(user.id)
        elif chat.type is ChatType.CHANNEL:
            if not chat.membership(user.id).is_admin:
                raise ValueError(f"user {user.id} is not an administrator of channel {chat.id}")
        elif not chat.membership(user.id).present:
            raise ValueError(f"user {user.id} is not a member of chat {chat.id}")
        dialog = self.store.dialog(chat, bot.id)
        channel = chat.type is ChatType.CHANNEL
        message = StoredMessage(
            message_id=self.store.allocate_id(dialog),
            chat=chat,
            date=self.now(),
            from_bot=False,
            sender=GROUP_ANONYMOUS_BOT if anonymous else None if channel else user,
            sender_chat=chat if channel or anonymous else None,
            **content,
        )
        self.store.add(dialog, message, user.id)
        self.route(message, "message", bot)
        return message

    def route(self, message: StoredMessage, kind: str, private_bot: BotAccount | None) -> None:
        """Queue ``message``/``edited_message`` (or the channel variants) for bots that see it."""
        chat = message.chat
        if chat.is_private:
            if private_bot is not None:
                private_bot.updates.push(kind, message.to_api())
            return
        if chat.type is ChatType.CHANNEL:
            kind = "channel_post" if kind == "message" else "edited_channel_post"
            for bot, member in self.bots_in(chat):
                if member.is_admin and bot.id != message.bot_id:
                    bot.updates.push(kind, message.to_api())
            return
        for bot, member in self.bots_in(chat):
            if bot.id != message.bot_id and self._sees(bot, member, message):
                bot.updates.push(kind, message.to_api())

    @staticmethod
    def _sees(bot: BotAccount, member: Membership, message: StoredMessage) -> bool:
        """Privacy mode: commands, mentions, replies to the bot and service messages only."""
        if not bot.privacy_mode or member.is_admin or message.service:
            return True
        reply = message.reply_to
        if reply is not None and reply.bot_id == bot.id:
            return True
        text = message.text if message.text is not None else (message.caption or "")
        command = _LEADING_COMMAND.match(text)
        if command is not None:
            addressee = command.group(1)
            return addressee is None or addressee.lower() == bot.username.lower()
        mentioned = {name.lower() for name in _MENTION.findall(text)}
        return bot.username.lower() in mentioned

    def service_message(self, chat: Chat, actor: User, fields: dict[str, Any]) -> StoredMessage:
        """A group's "X joined/left" line: in the transcript and sent to the bots present."""
        dialog = self.store.dialog(chat, 0)
        message = StoredMessage(
            message_id=self.store.allocate_id(dialog),
            chat=chat,
            date=self.now(),
            from_bot=False,
            sender=actor,
            service=fields,
        )
        self.store.add(dialog, message, actor.id)
        self.route(message, "message", None)
        return message

    # -- memberships ------------------------------------------------------------------------

    def change_membership(
        self, chat: Chat, member_user: User, new: Membership, actor: User
    ) -> None:
        old = chat.membership(member_user.id)
        chat.members[member_user.id] = new
        payload = {
            "chat": chat.to_api(),
            "from": actor.to_api(),
            "date": self.now(),
            "old_chat_member": old.to_api(member_user, chat.type),
            "new_chat_member": new.to_api(member_user, chat.type),
        }
        bot = self.bot_by_id(member_user.id)
        if bot is not None:
            bot.updates.push("my_chat_member", payload)
        for other, member in self.bots_in(chat):
            if member.is_admin and other.id != member_user.id:
                other.updates.push("chat_member", payload)

    def _private_status(self, user: User, bot: BotAccount, old: Status, new: Status) -> None:
        chat = self.chats[user.id]
        payload = {
            "chat": chat.to_api(),
            "from": user.to_api(),
            "date": self.now(),
            "old_chat_member": Membership(old).to_api(bot.user, chat.type),
            "new_chat_member": Membership(new).to_api(bot.user, chat.type),
        }
        bot.updates.push("my_chat_member", payload)

    def block(self, user: User, bot: BotAccount) -> None:
        if user.id not in bot.blocked:
            bot.blocked.add(user.id)
            self._private_status(user, bot, Status.MEMBER, Status.KICKED)

    def unblock(self, user: User, bot: BotAccount) -> None:
        if user.id in bot.blocked:
            bot.blocked.discard(user.id)
            self._private_status(user, bot, Status.KICKED, Status.MEMBER)

    # -- callback queries -------------------------------------------------------------------

    @staticmethod
    def chat_instance(chat: Chat, bot: BotAccount) -> str:
        digest = hashlib.sha256(f"{chat.id}:{bot.id}".encode()).hexdigest()
        return str(int(digest[:15], 16))

    def press(
        self, user: User, bot: BotAccount, dialog: Dialog, message: StoredMessage, data: str
    ) -> str:
        query_id = str(secrets.randbelow(9 * 10**18) + 10**18)
        self.callback_queries[query_id] = CallbackQueryRecord(
            query_id, bot.id, user, message.chat, message.message_id, data, self.clock()
        )
        self.store.record(dialog, "pressed", message, user.id, by_bot=False)
        bot.updates.push(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": self.chat_instance(message.chat, bot),
                "data": data,
            },
        )
        return query_id

    def answer_callback(self, bot: BotAccount, query_id: str, answer: dict[str, Any]) -> None:
        record = self.callback_queries.get(query_id)
        expired = record is not None and self.clock() - record.created > self.callback_timeout
        if record is None or record.bot_id != bot.id or record.answered or expired:
            raise bad_request(QUERY_ERROR)
        record.answered = True
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "user_id": record.user.id,
                "chat_id": record.chat.id,
                "message_id": record.message_id,
                "data": record.data,
                **answer,
            }
        )

    async def shutdown(self) -> None:
        for bot in self.bots.values():
            bot.updates.closed = True
            bot.updates.wake_all()
            await bot.stop_webhook()
