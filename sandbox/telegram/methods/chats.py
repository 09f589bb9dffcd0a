"""Reading chats and members, leaving, and chat actions."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import Chat, ChatType, Membership, Status
from .base import Call, method
from .common import target_chat

CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_NO_GIFTS = {
    "unlimited_gifts": False,
    "limited_gifts": False,
    "unique_gifts": False,
    "premium_subscription": False,
    "gifts_from_channels": False,
}
_MEMBER_PERMISSIONS = {
    name: True
    for name in [
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
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
    ]
}


@method("getChat")
async def get_chat(call: Call) -> dict[str, Any]:
    chat = target_chat(call)
    call.world.ensure_visible(call.bot, chat)
    data = chat.to_api()
    data.update(
        {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": dict(_NO_GIFTS)}
    )
    if chat.description:
        data["description"] = chat.description
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        data["permissions"] = dict(_MEMBER_PERMISSIONS)
    dialog = call.world.store.find(chat, call.bot.id)
    if dialog is not None and dialog.pinned:
        pinned = dialog.get(dialog.pinned[-1])
        if pinned is not None:
            data["pinned_message"] = pinned.to_api()
    return data


def _membership(chat: Chat, user_id: int, bot_id: int) -> Membership:
    if chat.is_private:
        if user_id not in (chat.id, bot_id):
            raise bad_request("user not found")
        return Membership(Status.MEMBER)
    return chat.membership(user_id)


@method("getChatMember")
async def get_chat_member(call: Call) -> dict[str, Any]:
    chat = target_chat(call)
    call.world.ensure_visible(call.bot, chat)
    user_id = call.params.get_int("user_id")
    if user_id is None:
        raise bad_request("user_id is empty")
    user = call.world.users.get(user_id)
    if user is None:
        raise bad_request("user not found")
    return _membership(chat, user_id, call.bot.id).to_api(user, chat.type)


@method("getChatAdministrators")
async def get_chat_administrators(call: Call) -> list[dict[str, Any]]:
    chat = target_chat(call)
    call.world.ensure_visible(call.bot, chat)
    if chat.is_private:
        raise bad_request("there are no administrators in the private chat")
    admins = [(uid, member) for uid, member in chat.members.items() if member.is_admin]
    admins.sort(key=lambda pair: pair[1].status is not Status.CREATOR)
    return [member.to_api(call.world.users[uid], chat.type) for uid, member in admins]


@method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(call: Call) -> int:
    chat = target_chat(call)
    call.world.ensure_visible(call.bot, chat)
    if chat.is_private:
        return 2
    return sum(1 for member in chat.members.values() if member.present)


@method("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = target_chat(call)
    if chat.is_private:
        raise bad_request("chat member status can't be changed in private chats")
    call.world.ensure_access(call.bot, chat)
    bot_user = call.bot.user
    call.world.change_membership(chat, bot_user, Membership(Status.LEFT), bot_user)
    if chat.type is not ChatType.CHANNEL:
        call.world.service_message(chat, bot_user, {"left_chat_member": bot_user.to_api()})
    return True


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    chat = target_chat(call)
    call.world.ensure_can_send(call.bot, chat)
    action = call.params.get_str("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
