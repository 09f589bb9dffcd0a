"""sendPhoto, sendDocument and getFile: uploads or re-sent file_ids, and downloads."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..files import DOWNLOAD_MAX_BYTES, StoredFile, Upload
from ..messages import StoredMessage
from .base import Call, method
from .common import apply_send_options, caption, reply_markup, reply_target, target_chat


async def _send_media(call: Call, kind: str) -> dict[str, Any]:
    world, bot = call.world, call.bot
    chat = target_chat(call)
    world.ensure_can_send(bot, chat, f"{kind}s")
    reference = call.params.file(kind)
    if reference is None:
        raise bad_request(f"there is no {kind} in the request")
    source: Upload | StoredFile
    if isinstance(reference, Upload):
        if kind == "photo":
            world.files.check_photo(reference)
        else:
            world.files.check_document(reference)
        source = reference
    else:
        source = world.files.resolve(reference, kind)
    text, entities = caption(call)
    markup = reply_markup(call)
    reply_to = reply_target(call, world.dialog(chat, bot))
    world.flood.send(bot.id, chat.id, chat.is_group_like)
    dialog, message = world.new_bot_message(bot, chat)
    attach(call, message, kind, source)
    message.caption, message.caption_entities = text, entities
    message.reply_markup, message.reply_to = markup, reply_to
    apply_send_options(call, message)
    world.publish(dialog, message)
    return message.to_api()


def attach(call: Call, message: StoredMessage, kind: str, source: Upload | StoredFile) -> None:
    files = call.world.files
    if kind == "photo":
        if isinstance(source, Upload):
            sizes = files.add_photo(source)
        else:
            sizes = files.photo_sizes(source.file_id) or [source]
        message.photo = [size.to_photo_size() for size in sizes]
    else:
        stored = files.add_document(source) if isinstance(source, Upload) else source
        message.document = stored.to_document()


@method("sendPhoto")
async def send_photo(call: Call) -> dict[str, Any]:
    return await _send_media(call, "photo")


@method("sendDocument")
async def send_document(call: Call) -> dict[str, Any]:
    return await _send_media(call, "document")


@method("getFile")
async def get_file(call: Call) -> dict[str, Any]:
    file_id = call.params.get_str("file_id")
    if not file_id:
        raise bad_request("file_id is empty")
    stored = call.world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > DOWNLOAD_MAX_BYTES:
        raise bad_request("file is too big")
    return stored.to_api_file()
