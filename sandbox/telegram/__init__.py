"""A local Telegram Bot API, written from the wire format, for testing bots end to end.

Point python-telegram-bot (or any client) at ``TelegramEmulator.api_root`` and play the
users from the test; see ``TelegramEmulator`` for the user side and ``server`` for routes.
"""

from .bots import RecordedRequest
from .clock import Clock, ManualClock
from .emulator import TelegramEmulator
from .errors import ApiError
from .files import StoredFile
from .flood import FloodLimits
from .models import AdminRights, Chat, ChatType, Membership, Status, User
from .transcript import EmulatorTimeout

__all__ = [
    "AdminRights",
    "ApiError",
    "Chat",
    "ChatType",
    "Clock",
    "EmulatorTimeout",
    "FloodLimits",
    "ManualClock",
    "Membership",
    "RecordedRequest",
    "Status",
    "StoredFile",
    "TelegramEmulator",
    "User",
]
