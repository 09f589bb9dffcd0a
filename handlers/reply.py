"""Sending text replies that never get lost to Telegram's 4,096-character limit."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit, ParseMode

LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Split on line boundaries (then hard-split an over-long line) so no chunk exceeds
    the limit and no HTML tag of ours, which never spans lines, is cut in half."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    return [c for c in chunks if c.strip()] or [text[:limit] or "…"]


async def reply(
    update: Update, text: str, *, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Reply in the chat of ``update``; long text goes out as several messages in order."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_text(text)
    last: Message | None = None
    for i, part in enumerate(parts):
        last = await chat.send_message(
            part,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if i == len(parts) - 1 else None,
            disable_web_page_preview=True,
        )
    return last
