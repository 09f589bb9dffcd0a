"""The Bot API over HTTP: ``/bot<token>/<method>`` and ``/file/bot<token>/<path>``.

This layer only translates HTTP into ``dispatch`` calls and results or ApiErrors back
into Telegram's JSON envelope, with the HTTP status equal to ``error_code`` as Telegram
sends it.  Everything Telegram decides lives below, in the methods and the World.
"""

from __future__ import annotations

import json
import mimetypes
import socket
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request, not_found, unauthorized
from .faults import TelegramFaults
from .files import UPLOAD_MAX_BYTES, Upload
from .methods import Described, dispatch
from .params import Params
from .state import World

RouteInstaller = Callable[[web.Application], None]
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def envelope(result: Any, description: str | None = None) -> web.Response:
    payload: dict[str, Any] = {"ok": True, "result": result}
    if description:
        payload["description"] = description
    return web.json_response(payload, dumps=_dumps)


def failure(error: ApiError) -> web.Response:
    return web.json_response(error.to_payload(), status=error.error_code, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def read_params(request: web.Request) -> Params:
    """Parameters from the query string and a JSON, urlencoded or multipart body."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.body_exists:
        content_type = request.content_type
        try:
            if content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise bad_request("parameters must be a JSON object")
                values.update(body)
            elif content_type in _FORM_TYPES:
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = Upload(
                            value.file.read(), value.filename, value.content_type
                        )
                    else:
                        values[name] = value
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        except ValueError:
            raise bad_request("can't parse JSON object") from None
    return Params(values, uploads)


class BotApiServer:
    def __init__(self, world: World, install_extra_routes: RouteInstaller | None = None) -> None:
        self.world = world
        self._install_extra = install_extra_routes
        self.faults = TelegramFaults()
        self._runner: web.AppRunner | None = None
        self.host = ""
        self.port = 0

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=UPLOAD_MAX_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        if self._install_extra is not None:
            self._install_extra(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        site = web.SockSite(self._runner, sock)
        await site.start()
        self.host = host
        self.port = int(sock.getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _bot_method(self, request: web.Request) -> web.Response:
        bot = self.world.bots.get(request.match_info["token"])
        if bot is None:
            return failure(unauthorized())
        try:
            params = await read_params(request)
            fault = self.faults.take(request.match_info["method"], params.logged.get("chat_id"))
            if fault == "reset" and request.transport is not None:
                request.transport.abort()  # the connection drops; nothing was done
                return web.Response(status=500)
            if isinstance(fault, ApiError):
                raise fault
            result = await dispatch(self.world, bot, request.match_info["method"], params)
        except ApiError as error:
            return failure(error)
        except ConnectionResetError:
            # The bot went away mid-request (SIGKILLed in the soak): nothing was done and
            # nobody is left to answer, as on Telegram; not an error of the emulator's.
            return web.Response(status=400)
        if isinstance(result, Described):
            return envelope(result.result, result.description)
        return envelope(result)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] not in self.world.bots:
            return failure(unauthorized())
        stored = self.world.files.by_path(request.match_info["path"])
        if stored is None:
            return failure(not_found())
        content_type = stored.mime_type or mimetypes.guess_type(stored.file_path)[0]
        return web.Response(
            body=stored.data, content_type=content_type or "application/octet-stream"
        )

    async def _unknown(self, request: web.Request) -> web.Response:
        return failure(not_found())
