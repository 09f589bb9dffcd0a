"""What a test may observe and control of any sandbox server.

Every sandbox records the requests it received (so tests assert on what reached the
"upstream", not on what the client meant to send) and can be told to misbehave the
ways real upstreams do: stall without answering, answer 5xx, answer garbage that is
not JSON, or answer the real reply rewritten (``rewrite``: truncated JSON, a non-JSON
body, fields missing or extra, numbers as strings or strings as numbers). One aiohttp
middleware gives all five sandboxes the same switches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class Faults:
    """Switches a test flips; all off by default."""

    stall: bool = False
    # Handle the request (an order is accepted), then hold the answer back: a client
    # that crashes meanwhile never learns what the upstream did.
    stall_reply: bool = False
    status: int | None = None
    garbage: bool = False
    # The handler's real answer (its text body), changed on the way out.
    rewrite: Callable[[str], str] | None = None
    only_paths: tuple[str, ...] = ()
    _release: asyncio.Event = field(default_factory=asyncio.Event)

    def applies_to(self, path: str) -> bool:
        return not self.only_paths or any(path.startswith(p) for p in self.only_paths)

    def clear(self) -> None:
        self.stall = False
        self.stall_reply = False
        self.status = None
        self.garbage = False
        self.rewrite = None
        self.only_paths = ()
        self._release.set()
        self._release = asyncio.Event()


class Harness:
    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.faults = Faults()

    def last(self, path_prefix: str = "") -> RecordedRequest:
        for req in reversed(self.requests):
            if req.path.startswith(path_prefix):
                return req
        raise LookupError(f"no request to {path_prefix!r} was received")

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read() if request.can_read_body else b""
        if not request.path.startswith("/socket.io"):
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    headers=dict(request.headers),
                    body=body,
                )
            )
        faults = self.faults
        if faults.applies_to(request.path) and not request.path.startswith("/socket.io"):
            if faults.stall:
                await faults._release.wait()
            if faults.status is not None:
                return web.Response(status=faults.status, text="<html>upstream error</html>")
            if faults.garbage:
                return web.Response(status=200, text="<html>maintenance</html>")
        response: web.StreamResponse = await handler(request)
        if faults.stall_reply and faults.applies_to(request.path):
            await faults._release.wait()
        if (
            faults.rewrite is not None
            and faults.applies_to(request.path)
            and not request.path.startswith("/socket.io")
            and isinstance(response, web.Response)
            and response.text is not None
        ):
            return web.Response(
                status=response.status,
                text=faults.rewrite(response.text),
                content_type=response.content_type,
            )
        return response


def switch(faults: Faults, words: list[str]) -> str:
    """The demo's ``!upstream NAME …`` switch, after the name: ``ok`` (all off),
    ``STATUS [PATH]`` (answer that 4xx/5xx with an HTML page), ``stall [PATH]`` (no answer
    until ``ok``), ``garbage [PATH]`` (200 with an HTML page). PATH limits it to requests
    whose path starts so. Returns what now holds, or why the words were not understood."""
    if not words:
        return "say ok, a status (502), stall or garbage"
    what, paths = words[0].lower(), tuple(words[1:2])
    if what == "ok":
        faults.clear()
        return "answers normally"
    if what.isdigit() and 400 <= int(what) <= 599:
        faults.clear()
        faults.status, faults.only_paths = int(what), paths
        done = f"answers {what} with an HTML page"
    elif what in ("stall", "garbage"):
        faults.clear()
        faults.only_paths = paths
        if what == "stall":
            faults.stall = True
            done = "does not answer"
        else:
            faults.garbage = True
            done = "answers 200 with an HTML page"
    else:
        return f"“{words[0]}” is not ok, a status from 400 to 599, stall or garbage"
    return done + (f" at {paths[0]}…" if paths else "") + " until ok"
