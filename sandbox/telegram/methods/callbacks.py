"""answerCallbackQuery."""

from __future__ import annotations

from ..errors import bad_request
from .base import Call, method

ANSWER_TEXT_LIMIT = 200


@method("answerCallbackQuery")
async def answer_callback_query(call: Call) -> bool:
    p = call.params
    query_id = p.get_str("callback_query_id")
    if not query_id:
        raise bad_request("query_id is empty")
    text = p.get_text("text")
    if text is not None and len(text) > ANSWER_TEXT_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    call.world.answer_callback(
        call.bot,
        query_id,
        {
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time") or 0,
        },
    )
    return True
