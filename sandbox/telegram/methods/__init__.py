"""Bot API methods; importing the package registers every one of them."""

from . import account, callbacks, chats, media, messages, updates
from .base import Call, Described, dispatch, lookup, method_names

__all__ = [
    "Call",
    "Described",
    "account",
    "callbacks",
    "chats",
    "dispatch",
    "lookup",
    "media",
    "messages",
    "method_names",
    "updates",
]
