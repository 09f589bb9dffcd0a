"""Sending, editing, deleting, copying, forwarding and pinning messages."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..messages import StoredMessage
from ..models import Chat, ChatType
from ..transcript import Dialog
from .base import Call, method
from .common import (
    apply_send_options,
    caption,
    commit_edit,
    edited_message,
    inline_markup,
    message_text,
    reply_markup,
    reply_target,
    target_chat,
)

DELETE_WINDOW_SECONDS = 48 * 3600


@method("sendMessage")
async def send_message(call: Call) -> dict[str, Any]:
    world, bot = call.world, call.bot
    chat = target_chat(call)
    world.ensure_can_send(bot, chat)
    text, entities = message_text(call)
    markup = reply_markup(call)
    reply_to = reply_target(call, world.dialog(chat, bot))
    world.flood.send(bot.id, chat.id, chat.is_group_like)
    dialog, message = world.new_bot_message(bot, chat)
    message.text, message.entities = text, entities
    message.reply_markup, message.reply_to = markup, reply_to
    apply_send_options(call, message)
    world.publish(dialog, message)
    return message.to_api()


@method("editMessageText")
async def edit_message_text(call: Call) -> dict[str, Any]:
    chat, dialog, message = edited_message(call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(call, too_long="MESSAGE_TOO_LONG")
    changes = {"text": text, "entities": entities, "reply_markup": inline_markup(call)}
    preview = call.params.get_json("link_preview_options")
    if isinstance(preview, dict):
        message.link_preview_options = preview
    return commit_edit(call, chat, dialog, message, changes)


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> dict[str, Any]:
    chat, dialog, message = edited_message(call)
    if not message.has_media:
        raise bad_request("there is no caption in the message to edit")
    text, entities = caption(call)
    changes = {"caption": text, "caption_entities": entities, "reply_markup": inline_markup(call)}
    return commit_edit(call, chat, dialog, message, changes)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> dict[str, Any]:
    chat, dialog, message = edited_message(call)
    return commit_edit(call, chat, dialog, message, {"reply_markup": inline_markup(call)})


def _deletable(call: Call, chat: Chat, message: StoredMessage) -> bool:
    """Telegram's deleteMessage rules, including the 48-hour window."""
    member = chat.membership(call.bot.id)
    own = message.bot_id == call.bot.id
    moderator = chat.type in (ChatType.SUPERGROUP, ChatType.CHANNEL) and member.has(
        "can_delete_messages"
    )
    if message.service.get("group_chat_created") or message.service.get("channel_chat_created"):
        return False
    if call.world.now() - message.date >= DELETE_WINDOW_SECONDS and not moderator:
        return False
    if chat.is_private:
        return True
    if chat.type is ChatType.GROUP:
        return own or member.is_admin
    if chat.type is ChatType.CHANNEL:
        return moderator or (own and member.has("can_post_messages"))
    return own or moderator


def _delete(call: Call, dialog: Dialog, message: StoredMessage) -> None:
    message.deleted = True
    message.deleted_date = call.world.now()
    if message.message_id in dialog.pinned:
        dialog.pinned.remove(message.message_id)
        message.pinned = False
    call.world.store.record(dialog, "deleted", message, call.bot.id, by_bot=True)


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    dialog = call.world.dialog(chat, call.bot)
    message = dialog.live(call.params.require_int("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    if not _deletable(call, chat, message):
        raise bad_request("message can't be deleted")
    _delete(call, dialog, message)
    return True


@method("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    ids = call.params.get_json("message_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise bad_request("message identifiers are not specified")
    if len(ids) > 100:
        raise bad_request("too many message identifiers specified")
    dialog = call.world.dialog(chat, call.bot)
    found = [m for m in (dialog.live(i) for i in ids) if m is not None]
    if any(not _deletable(call, chat, m) for m in found):
        raise bad_request("message can't be deleted")
    for message in found:
        _delete(call, dialog, message)
    return True


def _source(call: Call, verb: str) -> StoredMessage:
    source_chat = target_chat(call, "from_chat_id")
    call.world.ensure_access(call.bot, source_chat)
    source = call.world.dialog(source_chat, call.bot).live(call.params.require_int("message_id"))
    if source is None:
        raise bad_request(f"message to {verb} not found")
    if source.protect_content:
        raise bad_request("message has protected content and can't be forwarded")
    if source.service:
        raise bad_request(f"message can't be {'forwarded' if verb == 'forward' else 'copied'}")
    return source


def _copy_content(source: StoredMessage, target: StoredMessage) -> None:
    target.text, target.entities = source.text, list(source.entities)
    target.photo, target.document = source.photo, source.document
    target.caption, target.caption_entities = source.caption, list(source.caption_entities)


@method("forwardMessage")
async def forward_message(call: Call) -> dict[str, Any]:
    world, bot = call.world, call.bot
    source = _source(call, "forward")
    chat = target_chat(call)
    world.ensure_can_send(bot, chat)
    world.flood.send(bot.id, chat.id, chat.is_group_like)
    dialog, message = world.new_bot_message(bot, chat)
    _copy_content(source, message)
    if source.sender_chat is not None:
        message.forward_origin = {
            "type": "channel",
            "date": source.date,
            "chat": source.sender_chat.to_api(),
            "message_id": source.message_id,
        }
    elif source.sender is not None:
        message.forward_origin = {
            "type": "user",
            "date": source.date,
            "sender_user": source.sender.to_api(),
        }
    apply_send_options(call, message)
    world.publish(dialog, message)
    return message.to_api()


@method("copyMessage")
async def copy_message(call: Call) -> dict[str, Any]:
    world, bot = call.world, call.bot
    source = _source(call, "copy")
    chat = target_chat(call)
    world.ensure_can_send(bot, chat)
    markup = reply_markup(call)
    new_caption = caption(call) if call.params.has("caption") else None
    reply_to = reply_target(call, world.dialog(chat, bot))
    world.flood.send(bot.id, chat.id, chat.is_group_like)
    dialog, message = world.new_bot_message(bot, chat)
    _copy_content(source, message)
    if new_caption is not None and message.has_media:
        message.caption, message.caption_entities = new_caption
    message.reply_markup, message.reply_to = markup, reply_to
    apply_send_options(call, message)
    world.publish(dialog, message)
    return {"message_id": message.message_id}


@method("pinChatMessage")
async def pin_chat_message(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    dialog = call.world.dialog(chat, call.bot)
    message = dialog.live(call.params.require_int("message_id"))
    if message is None:
        raise bad_request("message to pin not found")
    _ensure_pin_rights(call, chat)
    if message.message_id in dialog.pinned:
        dialog.pinned.remove(message.message_id)
    dialog.pinned.append(message.message_id)
    message.pinned = True
    call.world.store.record(dialog, "pinned", message, call.bot.id, by_bot=True)
    return True


def _ensure_pin_rights(call: Call, chat: Chat) -> None:
    if chat.is_private:
        return
    right = "can_edit_messages" if chat.type is ChatType.CHANNEL else "can_pin_messages"
    if not chat.membership(call.bot.id).has(right):
        raise bad_request("not enough rights to manage pinned messages in the chat")


@method("unpinChatMessage")
async def unpin_chat_message(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    _ensure_pin_rights(call, chat)
    dialog = call.world.dialog(chat, call.bot)
    message_id = call.params.get_int("message_id")
    if message_id is None:
        if not dialog.pinned:
            return True
        message_id = dialog.pinned[-1]
    message = dialog.live(message_id)
    if message is None:
        raise bad_request("message to unpin not found")
    if message_id in dialog.pinned:
        dialog.pinned.remove(message_id)
        message.pinned = False
        call.world.store.record(dialog, "unpinned", message, call.bot.id, by_bot=True)
    return True


@method("unpinAllChatMessages")
async def unpin_all_chat_messages(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_access(call.bot, chat)
    _ensure_pin_rights(call, chat)
    dialog = call.world.dialog(chat, call.bot)
    for message_id in dialog.pinned:
        message = dialog.get(message_id)
        if message is not None:
            message.pinned = False
    dialog.pinned.clear()
    return True
