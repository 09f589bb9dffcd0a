"""The bot's command menus per scope and language, and which one a given user sees.

getMyCommands returns exactly what was set for one scope and language; what a user sees
in the menu is decided by Telegram's documented fallback chain, which ``visible`` follows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import bad_request
from .models import Chat

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_CHAT_SCOPES = ("chat", "chat_administrators", "chat_member")
_GLOBAL_SCOPES = ("default", "all_private_chats", "all_group_chats", "all_chat_administrators")
MAX_COMMANDS = 100


def parse_commands(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise bad_request("can't parse commands JSON object")
    if len(raw) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    commands = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND.match(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        commands.append({"command": command, "description": description})
    return commands


def parse_language(raw: str | None) -> str:
    code = (raw or "").strip()
    if code and not _LANGUAGE.match(code):
        raise bad_request("invalid language code specified")
    return code


def scope_key(raw: Any, resolve_chat: Callable[[int | str], Chat]) -> str:
    """A hashable name for a BotCommandScope, with its chat resolved and checked."""
    if raw is None:
        return "default"
    if not isinstance(raw, dict) or raw.get("type") not in (*_GLOBAL_SCOPES, *_CHAT_SCOPES):
        raise bad_request("can't parse BotCommandScope JSON object")
    kind = str(raw["type"])
    if kind in _GLOBAL_SCOPES:
        return kind
    chat_ref = raw.get("chat_id")
    if not isinstance(chat_ref, (int, str)) or isinstance(chat_ref, bool):
        raise bad_request("chat_id is empty")
    if isinstance(chat_ref, str) and not chat_ref.startswith("@"):
        try:
            chat_ref = int(chat_ref)
        except ValueError:
            raise bad_request("chat not found") from None
    chat = resolve_chat(chat_ref)
    if kind == "chat_administrators" and chat.is_private:
        raise bad_request("can't use chat_administrators scope in private chats")
    if kind != "chat_member":
        return f"{kind}:{chat.id}"
    user_id = raw.get("user_id")
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise bad_request("user_id is empty")
    if chat.is_private:
        raise bad_request("can't use chat_member scope in private chats")
    return f"chat_member:{chat.id}:{user_id}"


class CommandMenus:
    def __init__(self) -> None:
        self._menus: dict[tuple[str, str], list[dict[str, str]]] = {}

    def set(self, scope: str, language: str, commands: list[dict[str, str]]) -> None:
        if commands:
            self._menus[(scope, language)] = commands
        else:
            self._menus.pop((scope, language), None)

    def get(self, scope: str, language: str) -> list[dict[str, str]]:
        return [dict(c) for c in self._menus.get((scope, language), [])]

    def delete(self, scope: str, language: str) -> None:
        self._menus.pop((scope, language), None)

    def visible(
        self, chat: Chat, user_id: int, is_admin: bool, language_code: str | None
    ) -> list[dict[str, str]]:
        language = (language_code or "")[:2].lower()
        if chat.is_private:
            chain = [f"chat:{chat.id}", "all_private_chats", "default"]
        else:
            chain = [f"chat_member:{chat.id}:{user_id}"]
            if is_admin:
                chain.append(f"chat_administrators:{chat.id}")
            chain.append(f"chat:{chat.id}")
            if is_admin:
                chain.append("all_chat_administrators")
            chain += ["all_group_chats", "default"]
        for scope in chain:
            for lang in (language, "") if language else ("",):
                if (scope, lang) in self._menus:
                    return self.get(scope, lang)
        return []
