"""The bot's own account: getMe, session methods, command menus and profile texts."""

from __future__ import annotations

from typing import Any

from ..commands import parse_commands, parse_language, scope_key
from ..errors import bad_request
from ..models import AdminRights
from .base import Call, method


@method("getMe")
async def get_me(call: Call) -> dict[str, Any]:
    return call.bot.to_api()


@method("logOut", "close")
async def log_out(call: Call) -> bool:
    """Accepted and otherwise ignored: the emulator has no cloud session to move."""
    return True


def _scope(call: Call) -> tuple[str, str]:
    p = call.params
    return (
        scope_key(p.get_json("scope"), call.world.resolve_chat),
        parse_language(p.get_str("language_code")),
    )


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    commands = parse_commands(call.params.get_json("commands"))
    scope, language = _scope(call)
    call.bot.menus.set(scope, language, commands)
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[dict[str, str]]:
    scope, language = _scope(call)
    return call.bot.menus.get(scope, language)


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    scope, language = _scope(call)
    call.bot.menus.delete(scope, language)
    return True


_TEXTS = {"name": 64, "description": 512, "short_description": 120}


def _set_text(call: Call, field: str) -> bool:
    language = parse_language(call.params.get_str("language_code"))
    value = call.params.get_text(field) or ""
    if len(value) > _TEXTS[field]:
        raise bad_request(f"bot {field.replace('_', ' ')} is too long")
    texts: dict[str, str] = call.bot.profile.setdefault(field, {})
    if value:
        texts[language] = value
    else:
        texts.pop(language, None)
    return True


def _get_text(call: Call, field: str) -> dict[str, str]:
    language = parse_language(call.params.get_str("language_code"))
    texts: dict[str, str] = call.bot.profile.get(field, {})
    value = texts.get(language, texts.get("", ""))
    if field == "name" and not value:
        value = call.bot.user.first_name
    return {field: value}


@method("setMyName")
async def set_my_name(call: Call) -> bool:
    return _set_text(call, "name")


@method("getMyName")
async def get_my_name(call: Call) -> dict[str, str]:
    return _get_text(call, "name")


@method("setMyDescription")
async def set_my_description(call: Call) -> bool:
    return _set_text(call, "description")


@method("getMyDescription")
async def get_my_description(call: Call) -> dict[str, str]:
    return _get_text(call, "description")


@method("setMyShortDescription")
async def set_my_short_description(call: Call) -> bool:
    return _set_text(call, "short_description")


@method("getMyShortDescription")
async def get_my_short_description(call: Call) -> dict[str, str]:
    return _get_text(call, "short_description")


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    button = call.params.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("commands", "web_app", "default"):
        raise bad_request("can't parse menu button JSON object")
    chat_id = call.params.get_int("chat_id")
    if chat_id is not None:
        call.world.resolve_chat(chat_id)
    buttons: dict[int | None, dict[str, Any]] = call.bot.profile.setdefault("menu_buttons", {})
    buttons[chat_id] = button
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> dict[str, Any]:
    buttons: dict[int | None, dict[str, Any]] = call.bot.profile.get("menu_buttons", {})
    chat_id = call.params.get_int("chat_id")
    button = buttons.get(chat_id) or buttons.get(None) or {"type": "commands"}
    return {"type": "commands"} if button.get("type") == "default" else dict(button)


@method("setMyDefaultAdministratorRights")
async def set_default_rights(call: Call) -> bool:
    raw = call.params.get_json("rights") or {}
    if not isinstance(raw, dict):
        raise bad_request("can't parse ChatAdministratorRights JSON object")
    rights = AdminRights.of({k: bool(v) for k, v in raw.items() if hasattr(AdminRights, k)})
    key = "channel_rights" if call.params.get_bool("for_channels") else "group_rights"
    call.bot.profile[key] = rights
    return True


@method("getMyDefaultAdministratorRights")
async def get_default_rights(call: Call) -> dict[str, Any]:
    channels = call.params.get_bool("for_channels")
    rights = call.bot.profile.get("channel_rights" if channels else "group_rights")
    current = rights if isinstance(rights, AdminRights) else AdminRights(can_manage_chat=False)
    data = {name: getattr(current, name) for name in vars(current)}
    return data
