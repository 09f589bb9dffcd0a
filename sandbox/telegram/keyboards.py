"""reply_markup validation and button lookup.

Telegram rejects a whole message for one bad button (callback_data over 64 bytes is the
classic), so the emulator validates the same way and keeps what it accepted verbatim.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request
from .parse_common import checked_link

CALLBACK_DATA_MAX_BYTES = 64
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def parse_reply_markup(raw: Any) -> dict[str, Any] | None:
    """The markup as Telegram keeps it, or None when absent."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        return {"inline_keyboard": _inline_rows(raw["inline_keyboard"])}
    if "keyboard" in raw:
        _reply_rows(raw["keyboard"])
        return raw
    if raw.get("remove_keyboard") is True or raw.get("force_reply") is True:
        return raw
    raise bad_request("can't parse reply keyboard markup JSON object")


def _inline_rows(rows: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    result = []
    for row in rows:
        parsed_row = []
        for button in row:
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the "
                    "inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= CALLBACK_DATA_MAX_BYTES
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or checked_link(url) is None:
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
            if not text.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            parsed_row.append(dict(button))
        result.append(parsed_row)
    return result


def _reply_rows(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            text = (
                button
                if isinstance(button, str)
                else (button.get("text") if isinstance(button, dict) else None)
            )
            if not isinstance(text, str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Buttons in reading order: left to right, top to bottom."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def find_button(markup: dict[str, Any] | None, which: int | str) -> dict[str, Any]:
    """The N-th button (1-based) or the first with that callback_data; ValueError if none."""
    buttons = inline_buttons(markup)
    if not buttons:
        raise ValueError("the message has no inline keyboard")
    if isinstance(which, bool) or not isinstance(which, (int, str)):
        raise TypeError("a button is chosen by 1-based index or by callback_data")
    if isinstance(which, int):
        if not 1 <= which <= len(buttons):
            raise ValueError(f"button {which} does not exist; the keyboard has {len(buttons)}")
        return buttons[which - 1]
    for button in buttons:
        if button.get("callback_data") == which:
            return button
    available = [b.get("callback_data") for b in buttons]
    raise ValueError(f"no button with callback_data {which!r}; buttons carry {available}")
