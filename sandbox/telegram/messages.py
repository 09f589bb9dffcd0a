"""One stored message, rendered either as the Bot API Message or as a transcript entry.

The transcript entry is the Message plus what only an observer of the chat knows:
who wrote it (``from_bot``), whether it was deleted, its earlier versions, and the
send options (silent, link preview, reply keyboards) that the Message object hides.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .entities import Entity
from .models import Chat, User


@dataclass
class StoredMessage:
    message_id: int
    chat: Chat
    date: int
    from_bot: bool
    bot_id: int | None = None
    sender: User | None = None
    sender_chat: Chat | None = None
    text: str | None = None
    entities: list[Entity] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[Entity] = field(default_factory=list)
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to: StoredMessage | None = None
    forward_origin: dict[str, Any] | None = None
    service: dict[str, Any] = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False
    pinned: bool = False
    deleted_date: int | None = None
    protect_content: bool = False
    disable_notification: bool = False
    link_preview_options: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_media(self) -> bool:
        return self.photo is not None or self.document is not None

    @property
    def inline_markup(self) -> dict[str, Any] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup
        return None

    def content(self) -> dict[str, Any]:
        """What an edit can change; two equal contents make "message is not modified"."""
        return {
            "text": self.text,
            "entities": [e.to_api() for e in self.entities],
            "caption": self.caption,
            "caption_entities": [e.to_api() for e in self.caption_entities],
            "reply_markup": self.inline_markup,
        }

    def remember_version(self) -> None:
        version = copy.deepcopy(self.content())
        version["edit_date"] = self.edit_date
        self.history.append(version)

    def to_api(self, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": self.message_id}
        if self.sender is not None:
            data["from"] = self.sender.to_api()
        if self.sender_chat is not None:
            data["sender_chat"] = self.sender_chat.to_api()
        data["chat"] = self.chat.to_api()
        data["date"] = self.date
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.forward_origin is not None:
            data["forward_origin"] = copy.deepcopy(self.forward_origin)
        if self.protect_content:
            data["has_protected_content"] = True
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = [e.to_api() for e in self.entities]
        if self.photo is not None:
            data["photo"] = copy.deepcopy(self.photo)
        if self.document is not None:
            data["document"] = dict(self.document)
        if self.caption:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = [e.to_api() for e in self.caption_entities]
        data.update(copy.deepcopy(self.service))
        if self.inline_markup is not None:
            data["reply_markup"] = copy.deepcopy(self.inline_markup)
        return data

    def to_transcript(self) -> dict[str, Any]:
        data = self.to_api()
        data["from_bot"] = self.from_bot
        data["deleted"] = self.deleted
        data["pinned"] = self.pinned
        if self.deleted_date is not None:
            data["deleted_date"] = self.deleted_date
        if self.reply_markup is not None:
            data["reply_markup"] = copy.deepcopy(self.reply_markup)
        data["edit_history"] = copy.deepcopy(self.history)
        data["disable_notification"] = self.disable_notification
        if self.link_preview_options is not None:
            data["link_preview_options"] = dict(self.link_preview_options)
        return data

    def describe(self) -> str:
        """One transcript line for error messages."""
        who = "bot" if self.from_bot else (self.sender.display_name if self.sender else "channel")
        body = self.text if self.text is not None else (self.caption or "")
        if self.photo is not None:
            body = f"[photo] {body}"
        elif self.document is not None:
            body = f"[document {self.document.get('file_name')}] {body}"
        elif self.service:
            body = f"[{', '.join(self.service)}]"
        flags = "".join(
            [" (edited)" if self.edit_date else "", " (deleted)" if self.deleted else ""]
        )
        buttons = [
            b.get("text")
            for row in (self.inline_markup or {}).get("inline_keyboard", [])
            for b in row
        ]
        keyboard = f" {buttons}" if buttons else ""
        return f"#{self.message_id} {who}: {body!r}{keyboard}{flags}"
