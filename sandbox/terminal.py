"""The demo's terminal chat: one user talking to the bot through the Telegram emulator.

It speaks only the emulator's user side (send a text, press a button, read the bot's
messages), exactly as a Telegram client would, so the demo exercises the real bot
over the real Bot API wire format. ``!press N`` presses button N of the last message
that has buttons; ``!echo REGEX`` types back what the newest bot message matching REGEX
says in its first group (a one-time code); pictures are saved to a folder and shown as
their path.

``!chat group TITLE`` moves the conversation to a group of that title (made on first
use, with the user as its creator and the bot as an administrator that may pin);
``!chat channel NAME`` shows the channel @NAME (made on first use, the user its creator,
the bot an administrator that may post and edit), where the bot posts on its own;
``!chat private`` comes back to the private chat. Each chat keeps what was shown of it.

``!upstream NAME ok|STATUS|stall|garbage [PATH]`` makes one sandbox upstream misbehave
(``sandbox.harness.switch``), so the demo shows what a user sees when an exchange fails;
it is the one directive that reaches past the user's side, through the ``upstream`` hook.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from sandbox.telegram import TelegramEmulator

_TAG = re.compile(r"<[^>]+>")
_PRESS = re.compile(r"^!press\s+(\d+)\s*$")
_WAIT = re.compile(r"^!wait\s+(\d+(?:\.\d+)?)\s*$")
_ECHO = re.compile(r"^!echo\s+(.+?)\s*$")
_CHAT = re.compile(r"^!chat\s+(private|group|channel)(?:\s+(.+?))?\s*$")
_UPSTREAM = re.compile(r"^!upstream(?:\s+(.*?))?\s*$")


def render_text(text: str) -> str:
    """What a person reads: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def buttons_of(message: dict[str, Any]) -> list[str]:
    markup = message.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or []
    return [str(b.get("text", "")) for row in rows for b in row]


class TerminalChat:
    def __init__(
        self,
        emulator: TelegramEmulator,
        user_id: int,
        *,
        out: TextIO = sys.stdout,
        files_dir: str | None = None,
        first_reply_timeout: float = 20.0,
        quiet: float = 0.7,
        handled: Callable[[str], Awaitable[None]] | None = None,
        upstream: Callable[[list[str]], str] | None = None,
    ) -> None:
        """``handled(key)`` waits until the bot has finished handling the update with that
        key (``m:<chat>:<message id>`` or ``q:<callback query id>``); without it, the
        chat waits for the first reply and then for a quiet moment. ``upstream(words)``
        carries out ``!upstream`` (the demo passes one over its sandboxes' switches)."""
        self.emu = emulator
        self.user_id = user_id
        self.chat_id = user_id
        self.out = out
        self.files_dir = Path(files_dir) if files_dir else None
        self.first_reply_timeout = first_reply_timeout
        self.quiet = quiet
        self._seen: dict[int, tuple[Any, ...]] = {}
        self._seen_in: dict[int, dict[int, tuple[Any, ...]]] = {user_id: self._seen}
        self._chats: dict[tuple[str, str], int] = {}
        self.handled = handled
        self.upstream = upstream
        self.intro: list[str] = []

    def _state(self, message: dict[str, Any]) -> tuple[Any, ...]:
        return (
            message.get("text") or message.get("caption"),
            message.get("edit_date"),
            message.get("deleted"),
            str(message.get("reply_markup")),
        )

    def _changed(self, message: dict[str, Any]) -> bool:
        return bool(message.get("from_bot")) and self._seen.get(
            message["message_id"]
        ) != self._state(message)

    def _print(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def _show(self, message: dict[str, Any]) -> None:
        mid = message["message_id"]
        edited = mid in self._seen
        self._seen[mid] = self._state(message)
        if message.get("deleted"):
            self._print(f"bot  (message {mid} deleted)")
            return
        prefix = "bot  (edited) " if edited else "bot  "
        if message.get("photo") or message.get("document"):
            self._print(prefix + self._file_line(message))
            caption = message.get("caption")
            if caption:
                self._print("     " + render_text(caption).replace("\n", "\n     "))
        else:
            body = render_text(str(message.get("text", "")))
            self._print(prefix + body.replace("\n", "\n     "))
        labels = buttons_of(message)
        if labels:
            self._print("     " + "  ".join(f"[{i}: {t}]" for i, t in enumerate(labels, 1)))

    def _file_line(self, message: dict[str, Any]) -> str:
        photo = message.get("photo")
        doc = message.get("document")
        info = photo[-1] if photo else doc
        file_id = str(info.get("file_id")) if info else ""
        data = self.emu.file_bytes(file_id) if file_id else None
        size = f"{info.get('width')}×{info.get('height')} " if photo and info else ""
        where = ""
        if data is not None and self.files_dir is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            name = Path(str(doc.get("file_name") or "")).name if doc and not photo else ""
            suffix = Path(name).suffix if name else ""
            if not suffix:
                suffix = ".png" if data[:4] == b"\x89PNG" else ".bin"
            path = self.files_dir / f"message-{message['message_id']}{suffix}"
            path.write_bytes(data)
            where = f", saved to {path}"
        kind = "picture" if photo else "file"
        name = f" {doc.get('file_name')}" if doc and not photo and doc.get("file_name") else ""
        return f"[{kind}{name} {size}{len(data or b'')} bytes{where}]"

    async def _collect(self) -> bool:
        """Print what the bot sends until it has been quiet for a moment."""
        try:
            first = await self.emu.wait_for_message(
                self.chat_id, predicate=self._changed, timeout=self.first_reply_timeout
            )
        except TimeoutError:
            self._print("bot  (no reply)")
            return False
        self._show(first)
        while True:
            try:
                more = await self.emu.wait_for_message(
                    self.chat_id, predicate=self._changed, timeout=self.quiet
                )
            except TimeoutError:
                return True
            self._show(more)

    def _flush(self) -> bool:
        """Print every bot message that is new or changed since last shown."""
        shown = False
        for message in self.emu.transcript(self.chat_id):
            if self._changed(message):
                self._show(message)
                shown = True
        return shown

    async def _after(self, key: str) -> bool:
        if self.handled is None:
            return await self._collect()
        with contextlib.suppress(TimeoutError):  # still show whatever did arrive
            await asyncio.wait_for(self.handled(key), self.first_reply_timeout)
        if not self._flush():
            self._print("bot  (no reply)")
            return False
        return True

    async def wait_for_news(self, seconds: float) -> bool:
        """``!wait N``: up to N seconds for something the bot sends on its own (an alert)."""
        try:
            message = await self.emu.wait_for_message(
                self.chat_id, predicate=self._changed, timeout=seconds
            )
        except TimeoutError:
            self._print(f"     (nothing in {seconds:g} s)")
            return False
        self._show(message)
        self._flush()
        return True

    async def _watch(self) -> None:
        """Interactive mode: show what the bot sends between commands (alerts) as it comes."""
        while True:
            try:
                message = await self.emu.wait_for_message(
                    self.chat_id, predicate=self._changed, timeout=3600
                )
            except TimeoutError:
                continue
            if self._changed(message):  # the command's own output may have shown it already
                self._show(message)

    def _last_with_buttons(self) -> dict[str, Any] | None:
        messages: list[dict[str, Any]] = self.emu.transcript(self.chat_id)
        for message in reversed(messages):
            if message.get("from_bot") and not message.get("deleted") and buttons_of(message):
                found: dict[str, Any] = dict(message)
                return found
        return None

    def _last_match(self, pattern: str) -> str | None:
        """``!echo REGEX``: what the newest bot message matching REGEX says in its first
        group (or whole match), to type back, as a person copies a one-time code."""
        regex = re.compile(pattern)
        for message in reversed(self.emu.transcript(self.chat_id)):
            if message.get("from_bot"):
                found = regex.search(str(message.get("text") or message.get("caption") or ""))
                if found:
                    return found.group(1) if found.groups() else found.group(0)
        return None

    async def say(self, line: str, *, echo: bool = True) -> bool:
        """One line of input: a message, or ``!press N``. True when the bot answered."""
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            return True
        if echo:
            self._print(f"you  {line}")
        wait = _WAIT.match(line.strip())
        if wait:
            return await self.wait_for_news(float(wait.group(1)))
        echo_back = _ECHO.match(line.strip())
        if echo_back:
            typed = self._last_match(echo_back.group(1))
            if typed is None:
                self._print("     (nothing the bot said matches)")
                return False
            self._print(f"you  {typed}")
            sent = await self.emu.send_text(self.user_id, typed, chat_id=self.chat_id)
            return await self._after(f"m:{self.chat_id}:{sent['message_id']}")
        chat = _CHAT.match(line.strip())
        if chat:
            return self.switch_chat(chat.group(1), chat.group(2))
        upstream = _UPSTREAM.match(line.strip())
        if upstream:
            if self.upstream is None:
                self._print("     (no sandbox upstreams here)")
                return False
            self._print(f"     ({self.upstream((upstream.group(1) or '').split())})")
            return True
        press = _PRESS.match(line.strip())
        if press:
            target = self._last_with_buttons()
            index = int(press.group(1))
            if target is None or not 1 <= index <= len(buttons_of(target)):
                self._print("     (there is no such button)")
                return False
            query_id = await self.emu.press_button(
                self.user_id, self.chat_id, target["message_id"], index
            )
            return await self._after(f"q:{query_id}")
        sent = await self.emu.send_text(self.user_id, line, chat_id=self.chat_id)
        return await self._after(f"m:{self.chat_id}:{sent['message_id']}")

    def switch_chat(self, kind: str, name: str | None) -> bool:
        """``!chat private|group TITLE|channel NAME``: where the next lines go and what is shown."""
        if kind == "private":
            chat_id = self.user_id
        elif not name:
            self._print(f"     (name the {kind}: !chat {kind} NAME)")
            return False
        elif (kind, name) in self._chats:
            chat_id = self._chats[(kind, name)]
        elif kind == "group":
            chat_id = self.emu.add_group(
                name,
                creator=self.user_id,
                bot_rights={"can_pin_messages": True, "can_delete_messages": True},
            ).id
        else:
            username = name.lstrip("@")
            chat_id = self.emu.add_channel(username, username, creator=self.user_id).id
        if kind != "private":
            self._chats[(kind, name or "")] = chat_id
        self.chat_id = chat_id
        self._seen = self._seen_in.setdefault(chat_id, {})
        where = "your private chat" if kind == "private" else f"{kind} {name}"
        self._print(f"     (now in {where})")
        self._flush()
        return True

    async def run_script(self, lines: list[str]) -> int:
        """Feed every line; exit status 1 if any line got no reply at all."""
        for message in self.emu.transcript(self.chat_id):
            self._seen[message["message_id"]] = self._state(message)
        silent = 0
        for line in lines:
            if not await self.say(line):
                silent += 1
        return 1 if silent else 0

    async def run_interactive(self) -> int:
        self._print(
            "Sarraf demo — you are chatting with the bot offline. /help lists the commands, "
            "!press N presses a button, !wait N waits for the bot, !upstream NAME 502 makes "
            "an exchange fail (!upstream NAME ok mends it), Ctrl-D quits."
        )
        for line in self.intro:
            self._print(line)
        loop = asyncio.get_running_loop()
        watcher = asyncio.create_task(self._watch())
        try:
            while True:
                try:
                    line = await loop.run_in_executor(None, input, "> ")
                except (EOFError, KeyboardInterrupt):
                    self._print()
                    return 0
                await self.say(line, echo=False)
        finally:
            watcher.cancel()
