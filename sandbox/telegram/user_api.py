"""The user side over HTTP, for driving the emulator from outside Python tests.

Every route under ``/_emulator/`` (a prefix no Bot API path can take, since those all
start with ``/bot`` or ``/file``) maps one-to-one onto a ``TelegramEmulator`` method;
bodies and answers are JSON, answers wrapped as ``{"ok": true, "result": ...}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .models import Chat, User
from .transcript import EmulatorTimeout

if TYPE_CHECKING:
    from .emulator import TelegramEmulator

PREFIX = "/_emulator"
Route = Callable[[web.Request], Awaitable[web.Response]]


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _fail(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _user(user: User) -> dict[str, Any]:
    return user.to_api()


def _chat(chat: Chat) -> dict[str, Any]:
    data = chat.to_api()
    data["members"] = {str(uid): m.status.value for uid, m in chat.members.items()}
    return data


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _optional_int(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name, "")
    return int(raw) if raw else None


def _int(request: web.Request, name: str) -> int:
    value = _optional_int(request, name)
    if value is None:
        raise ValueError(f"query parameter {name} is required")
    return value


def _guard(handler: Route) -> Route:
    async def guarded(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except EmulatorTimeout as exc:
            return _fail(408, str(exc))
        except (ValueError, TypeError, KeyError) as exc:
            return _fail(400, str(exc))

    return guarded


def install_user_api(emu: TelegramEmulator) -> Callable[[web.Application], None]:
    async def info(request: web.Request) -> web.Response:
        return _ok({"api_root": emu.api_root, "token": emu.token, "bot": _user(emu.bot_user)})

    async def add_user(request: web.Request) -> web.Response:
        return _ok(_user(emu.add_user(**await _body(request))))

    async def add_group(request: web.Request) -> web.Response:
        return _ok(_chat(emu.add_group(**await _body(request))))

    async def add_channel(request: web.Request) -> web.Response:
        return _ok(_chat(emu.add_channel(**await _body(request))))

    async def send_text(request: web.Request) -> web.Response:
        return _ok(await emu.send_text(**await _body(request)))

    async def edit_text(request: web.Request) -> web.Response:
        return _ok(await emu.edit_text(**await _body(request)))

    async def press_button(request: web.Request) -> web.Response:
        return _ok({"callback_query_id": await emu.press_button(**await _body(request))})

    async def join(request: web.Request) -> web.Response:
        emu.join_chat(**await _body(request))
        return _ok(True)

    async def leave(request: web.Request) -> web.Response:
        emu.leave_chat(**await _body(request))
        return _ok(True)

    async def block(request: web.Request) -> web.Response:
        emu.block_bot(**await _body(request))
        return _ok(True)

    async def unblock(request: web.Request) -> web.Response:
        emu.unblock_bot(**await _body(request))
        return _ok(True)

    async def bot_rights(request: web.Request) -> web.Response:
        body = await _body(request)
        rights = body.pop("rights", {})
        emu.set_bot_rights(**body, **rights)
        return _ok(True)

    async def bot_add(request: web.Request) -> web.Response:
        emu.add_bot_to(**await _body(request))
        return _ok(True)

    async def bot_remove(request: web.Request) -> web.Response:
        emu.remove_bot(**await _body(request))
        return _ok(True)

    async def transcript(request: web.Request) -> web.Response:
        return _ok(emu.transcript(_int(request, "chat_id"), bot=request.query.get("bot")))

    async def wait(request: web.Request) -> web.Response:
        chat_id = _int(request, "chat_id")
        contains = request.query.get("contains")

        def matches(message: dict[str, Any]) -> bool:
            body = message.get("text") or message.get("caption") or ""
            return contains is None or contains in body

        return _ok(
            await emu.wait_for_message(
                chat_id,
                after_message_id=_optional_int(request, "after_message_id"),
                predicate=matches,
                timeout=float(request.query.get("timeout", "5")),
                bot=request.query.get("bot"),
            )
        )

    async def callback_answers(request: web.Request) -> web.Response:
        return _ok(emu.callback_answers)

    async def requests(request: web.Request) -> web.Response:
        token = request.query.get("bot")
        log = emu.requests_of(token) if token else emu.requests
        return _ok([{"method": r.method, "params": r.params} for r in log])

    async def updates(request: web.Request) -> web.Response:
        return _ok(emu.pending_updates(bot=request.query.get("bot")))

    async def commands(request: web.Request) -> web.Response:
        return _ok(
            emu.visible_commands(
                _int(request, "user_id"),
                _optional_int(request, "chat_id"),
                bot=request.query.get("bot"),
            )
        )

    async def flood(request: web.Request) -> web.Response:
        if request.method == "POST":
            emu.flood.enabled = bool((await _body(request))["enabled"])
        return _ok({"enabled": emu.flood.enabled})

    routes: list[tuple[str, str, Route]] = [
        ("GET", "", info),
        ("POST", "/users", add_user),
        ("POST", "/groups", add_group),
        ("POST", "/channels", add_channel),
        ("POST", "/messages", send_text),
        ("POST", "/edits", edit_text),
        ("POST", "/buttons", press_button),
        ("POST", "/join", join),
        ("POST", "/leave", leave),
        ("POST", "/block", block),
        ("POST", "/unblock", unblock),
        ("POST", "/bot/rights", bot_rights),
        ("POST", "/bot/add", bot_add),
        ("POST", "/bot/remove", bot_remove),
        ("GET", "/transcript", transcript),
        ("GET", "/wait", wait),
        ("GET", "/callback_answers", callback_answers),
        ("GET", "/requests", requests),
        ("GET", "/updates", updates),
        ("GET", "/commands", commands),
        ("GET", "/flood", flood),
        ("POST", "/flood", flood),
    ]

    def install(app: web.Application) -> None:
        for verb, path, handler in routes:
            app.router.add_route(verb, PREFIX + path, _guard(handler))

    return install
