"""Accounts, chats and memberships, each able to render itself in Bot API shape.

python-telegram-bot rebuilds these objects with their constructors, so every field that
Telegram always sends (e.g. all rights flags of an administrator) must be present.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


GROUP_ANONYMOUS_BOT = User(1087968824, "Group", username="GroupAnonymousBot", is_bot=True)
"""The ``from`` of a message an administrator sends anonymously, as the group itself."""


class ChatType(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass
class AdminRights:
    """An administrator's rights; the channel-only and group-only flags are kept apart on
    rendering, as Telegram omits the ones that make no sense for the chat type."""

    can_manage_chat: bool = True
    can_delete_messages: bool = False
    can_manage_video_chats: bool = False
    can_restrict_members: bool = False
    can_promote_members: bool = False
    can_change_info: bool = False
    can_invite_users: bool = False
    can_post_stories: bool = False
    can_edit_stories: bool = False
    can_delete_stories: bool = False
    can_post_messages: bool = False
    can_edit_messages: bool = False
    can_pin_messages: bool = False
    can_manage_topics: bool = False
    is_anonymous: bool = False

    @classmethod
    def full(cls) -> AdminRights:
        values = {f.name: True for f in fields(cls) if f.name != "is_anonymous"}
        return cls(**values)

    @classmethod
    def of(cls, rights: AdminRights | dict[str, bool]) -> AdminRights:
        if isinstance(rights, AdminRights):
            return replace(rights)
        known = {f.name for f in fields(cls)}
        unknown = set(rights) - known
        if unknown:
            raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
        return cls(**rights)

    def to_api(self, chat_type: ChatType) -> dict[str, Any]:
        data = asdict(self)
        if chat_type is ChatType.CHANNEL:
            del data["can_pin_messages"], data["can_manage_topics"]
        else:
            del data["can_post_messages"], data["can_edit_messages"]
            if chat_type is not ChatType.SUPERGROUP:
                del data["can_manage_topics"]
        return data


class Status(StrEnum):
    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    RESTRICTED = "restricted"
    LEFT = "left"
    KICKED = "kicked"


_PRESENT = frozenset({Status.CREATOR, Status.ADMINISTRATOR, Status.MEMBER, Status.RESTRICTED})


@dataclass
class Membership:
    status: Status
    rights: AdminRights | None = None
    can_send_messages: bool = True
    until_date: int = 0
    custom_title: str | None = None

    @property
    def present(self) -> bool:
        return self.status in _PRESENT

    @property
    def is_admin(self) -> bool:
        return self.status in (Status.CREATOR, Status.ADMINISTRATOR)

    def has(self, right: str) -> bool:
        if self.status is Status.CREATOR:
            return True
        return self.rights is not None and bool(getattr(self.rights, right, False))

    def to_api(self, user: User, chat_type: ChatType) -> dict[str, Any]:
        data: dict[str, Any] = {"status": self.status.value, "user": user.to_api()}
        if self.status is Status.CREATOR:
            data["is_anonymous"] = False
        elif self.status is Status.ADMINISTRATOR:
            rights = self.rights or AdminRights()
            data["can_be_edited"] = False
            data.update(rights.to_api(chat_type))
        elif self.status is Status.RESTRICTED:
            data.update(_restricted_flags(self.can_send_messages))
            data["is_member"] = True
            data["until_date"] = self.until_date
        elif self.status is Status.KICKED:
            data["until_date"] = self.until_date
        if self.custom_title and self.is_admin:
            data["custom_title"] = self.custom_title
        return data


def _restricted_flags(can_send: bool) -> dict[str, bool]:
    sending = [
        "can_send_messages",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
    ]
    other = "can_change_info can_invite_users can_pin_messages can_manage_topics can_edit_tag"
    flags = {name: can_send for name in sending}
    flags.update({name: False for name in other.split()})
    return flags


@dataclass
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    user: User | None = None
    members: dict[int, Membership] = field(default_factory=dict)
    description: str | None = None

    @property
    def is_private(self) -> bool:
        return self.type is ChatType.PRIVATE

    @property
    def peer(self) -> User:
        """The user on the other side of a private chat."""
        if self.user is None:
            raise ValueError(f"chat {self.id} is not a private chat")
        return self.user

    @property
    def is_group_like(self) -> bool:
        return not self.is_private

    def membership(self, user_id: int) -> Membership:
        return self.members.get(user_id) or Membership(Status.LEFT)

    def kind_phrase(self) -> str:
        """The noun Telegram's errors use: "group chat", "supergroup chat", "channel chat"."""
        return f"{self.type.value} chat"

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type.value}
        if self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
            return data
        data["title"] = self.title
        if self.username:
            data["username"] = self.username
        return data
