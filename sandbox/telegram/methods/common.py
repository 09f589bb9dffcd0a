"""Parameter handling shared by the methods that send or change messages."""

from __future__ import annotations

from typing import Any

from ..entities import Entity, trim
from ..errors import bad_request
from ..formatting import format_text
from ..keyboards import parse_reply_markup
from ..messages import StoredMessage
from ..models import Chat
from ..transcript import Dialog
from .base import Call

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def target_chat(call: Call, field: str = "chat_id") -> Chat:
    return call.world.resolve_chat(call.params.chat_ref(field))


def message_text(call: Call, too_long: str = "message is too long") -> tuple[str, list[Entity]]:
    """Message text after parse_mode and trimming; empty or over-long text is refused."""
    p = call.params
    raw = p.get_text("text") or ""
    text, entities = trim(*format_text(raw, p.get_str("parse_mode"), p.get_json("entities")))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > TEXT_LIMIT:
        raise bad_request(too_long)
    return text, entities


def caption(call: Call) -> tuple[str | None, list[Entity]]:
    p = call.params
    raw = p.get_text("caption")
    if raw is None:
        return None, []
    text, entities = trim(
        *format_text(raw, p.get_str("parse_mode"), p.get_json("caption_entities"))
    )
    if len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return (text or None), entities


def reply_markup(call: Call) -> dict[str, Any] | None:
    return parse_reply_markup(call.params.get_json("reply_markup"))


def inline_markup(call: Call) -> dict[str, Any] | None:
    markup = reply_markup(call)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


def reply_target(call: Call, dialog: Dialog) -> StoredMessage | None:
    """The message replied to, from reply_parameters or the older reply_to_message_id."""
    p = call.params
    raw = p.get_json("reply_parameters")
    if raw is not None:
        if not isinstance(raw, dict) or not isinstance(raw.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        message_id: int | None = raw["message_id"]
        allow = bool(raw.get("allow_sending_without_reply"))
        other_chat = raw.get("chat_id")
        if isinstance(other_chat, str) and not other_chat.startswith("@"):
            other_chat = int(other_chat) if other_chat.lstrip("-").isdigit() else other_chat
        if other_chat is not None and call.world.resolve_chat(other_chat) is not dialog.chat:
            if allow:
                return None
            raise bad_request("message to be replied not found")
    else:
        message_id = p.get_int("reply_to_message_id")
        allow = p.get_bool("allow_sending_without_reply")
    if message_id is None:
        return None
    found = dialog.live(message_id)
    if found is None and not allow:
        raise bad_request("message to be replied not found")
    return found


def apply_send_options(call: Call, message: StoredMessage) -> None:
    p = call.params
    message.disable_notification = p.get_bool("disable_notification")
    message.protect_content = p.get_bool("protect_content")
    preview = p.get_json("link_preview_options")
    if isinstance(preview, dict):
        message.link_preview_options = preview
    elif p.get_bool("disable_web_page_preview"):
        message.link_preview_options = {"is_disabled": True}


def edited_message(call: Call) -> tuple[Chat, Dialog, StoredMessage]:
    """The bot's own live message named by chat_id + message_id, for the edit methods."""
    p = call.params
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    message_id = p.get_int("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    dialog = call.world.dialog(chat, call.bot)
    message = dialog.live(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    if message.bot_id != call.bot.id:
        raise bad_request("message can't be edited")
    return chat, dialog, message


def commit_edit(
    call: Call, chat: Chat, dialog: Dialog, message: StoredMessage, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply an edit unless it changes nothing; edits draw on the per-chat flood bucket."""
    before = message.content()
    candidate = dict(before)
    for name, value in changes.items():
        if name in ("entities", "caption_entities"):
            candidate[name] = [e.to_api() for e in value]
        else:
            candidate[name] = value
    if candidate == before:
        raise bad_request(NOT_MODIFIED)
    call.world.flood.edit(call.bot.id, chat.id)
    message.remember_version()
    for name, value in changes.items():
        if name == "reply_markup" and value is None and message.inline_markup is None:
            continue
        setattr(message, name, value)
    message.edit_date = call.world.now()
    call.world.store.record(dialog, "edited", message, call.bot.id, by_bot=True)
    return message.to_api()
