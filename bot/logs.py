"""Logging set-up: text or JSON lines, and a filter that keeps secrets out.

python-telegram-bot and httpx log request URLs, and a Bot API URL contains the bot
token (``/bot<token>/method``). The filter masks any token-shaped text in every
record, whichever library wrote it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

# A token stands alone or right after "bot" in a Bot API URL (``/bot<token>/getMe``).
_TOKEN = re.compile(r"(?:(?<=bot)|(?<![A-Za-z0-9]))(\d{5,12}):[A-Za-z0-9_-]{20,}")


def redact(text: str) -> str:
    return _TOKEN.sub(r"\1:***", text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: int, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(level)


def quiet_libraries(level: int = logging.DEBUG) -> None:
    """Keep libraries that log payloads below the level where they would leak.

    httpx logs every Bot API request URL (with the token) at INFO. At DEBUG,
    python-telegram-bot logs every update and API result in full — including a message
    that carried an API secret before the bot deleted it. Sarraf's own loggers follow
    SARRAF_LOG_LEVEL; these never go below the floors set here, whoever configured
    logging (so tests capturing at DEBUG see what production would write).
    """
    floors = {
        "httpx": logging.WARNING,
        "httpcore": logging.WARNING,
        "telegram": logging.INFO,
        "alembic.runtime.plugins": logging.WARNING,
    }
    for name, floor in floors.items():
        logger = logging.getLogger(name)
        # Only ever raise a level: a quieter configuration stays as quiet.
        logger.setLevel(max(level, floor, logger.getEffectiveLevel()))
    logging.getLogger("aiohttp.access").setLevel(max(level, logging.WARNING))
    # mplfinance's styles ask for a font weight DejaVu lacks; matplotlib substitutes it.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
