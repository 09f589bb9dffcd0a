"""Typed settings from the environment, validated once at start.

A wrong value stops the bot at start with a sentence naming the variable, instead of
failing later in the middle of a user's command.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse


class ConfigError(Exception):
    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


def _url(env: Mapping[str, str], name: str, default: str | None) -> str | None:
    value = env.get(name, "").strip() or default
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https", "ws", "wss") or not parsed.netloc:
        raise ConfigError(
            name, f"must be an http(s) URL such as https://example.com, got {value!r}"
        )
    return value.rstrip("/")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(name, f"must be a number of seconds, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {raw}")
    return value


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = env.get(name, "").strip()
    ids: set[int] = set()
    for part in filter(None, (p.strip() for p in raw.split(","))):
        try:
            ids.add(int(part))
        except ValueError:
            raise ConfigError(
                name, f"must be comma-separated Telegram user ids, got {part!r}"
            ) from None
    return frozenset(ids)


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip() or default
    if value.upper() in choices:
        return value.upper()
    if value.lower() in choices:
        return value.lower()
    raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///sarraf.db"
    master_key: str | None = field(default=None, repr=False)
    master_key_file: str = "sarraf.key"
    admins: frozenset[int] = frozenset()
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    public_url: str | None = None
    wallex_api_url: str = "https://api.wallex.ir"
    wallex_socket_url: str = "https://api.wallex.ir"
    narkasa_api_url: str = "https://api.narkasa.com"
    narkasa_ws_url: str = "wss://api.narkasa.com/ws"
    alp_api_url: str = "https://alp.com"
    wallexpay_api_url: str = "https://app.wllxpay.io"
    wallexpay_processing_key: str | None = field(default=None, repr=False)
    wallexpay_processing_secret: str | None = field(default=None, repr=False)
    wex_api_url: str = "https://wex.link"
    upstream_timeout: float = 8.0
    max_alerts_per_user: int = 100
    user_rate: int = 60
    stream_silence: float = 30.0
    confirm_ttl: float = 60.0
    log_level: str = "INFO"
    log_format: str = "text"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        d = cls()
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token is not None and (":" not in token or any(c.isspace() for c in token)):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN", "does not look like a bot token (123456:ABC...)"
            )
        return cls(
            telegram_bot_token=token,
            telegram_api_url=_url(env, "TELEGRAM_API_URL", d.telegram_api_url) or "",
            database_url=env.get("DATABASE_URL", "").strip() or d.database_url,
            master_key=env.get("SARRAF_MASTER_KEY", "").strip() or None,
            master_key_file=env.get("SARRAF_MASTER_KEY_FILE", "").strip() or d.master_key_file,
            admins=_ids(env, "SARRAF_ADMINS"),
            http_host=env.get("SARRAF_HTTP_HOST", "").strip() or d.http_host,
            http_port=_int(env, "SARRAF_HTTP_PORT", d.http_port, 0, 65535),
            public_url=_url(env, "SARRAF_PUBLIC_URL", None),
            wallex_api_url=_url(env, "WALLEX_API_URL", d.wallex_api_url) or "",
            wallex_socket_url=_url(env, "WALLEX_SOCKET_URL", d.wallex_socket_url) or "",
            narkasa_api_url=_url(env, "NARKASA_API_URL", d.narkasa_api_url) or "",
            narkasa_ws_url=_url(env, "NARKASA_WS_URL", d.narkasa_ws_url) or "",
            alp_api_url=_url(env, "ALP_API_URL", d.alp_api_url) or "",
            wallexpay_api_url=_url(env, "WALLEXPAY_API_URL", d.wallexpay_api_url) or "",
            wex_api_url=_url(env, "WEX_API_URL", d.wex_api_url) or "",
            wallexpay_processing_key=env.get("WALLEXPAY_PROCESSING_KEY", "").strip() or None,
            wallexpay_processing_secret=env.get("WALLEXPAY_PROCESSING_SECRET", "").strip() or None,
            upstream_timeout=_float(env, "SARRAF_UPSTREAM_TIMEOUT", d.upstream_timeout, 0.5, 120),
            max_alerts_per_user=_int(
                env, "SARRAF_MAX_ALERTS_PER_USER", d.max_alerts_per_user, 1, 100_000
            ),
            user_rate=_int(env, "SARRAF_USER_RATE", d.user_rate, 1, 100_000),
            stream_silence=_float(env, "SARRAF_STREAM_SILENCE", d.stream_silence, 1, 3600),
            confirm_ttl=_float(env, "SARRAF_CONFIRM_TTL", d.confirm_ttl, 1, 3600),
            log_level=_choice(
                env, "SARRAF_LOG_LEVEL", d.log_level, ("DEBUG", "INFO", "WARNING", "ERROR")
            ),
            log_format=_choice(env, "SARRAF_LOG_FORMAT", d.log_format, ("text", "json")),
        )

    def __post_init__(self) -> None:
        if bool(self.wallexpay_processing_key) != bool(self.wallexpay_processing_secret):
            missing = (
                "WALLEXPAY_PROCESSING_SECRET"
                if self.wallexpay_processing_key
                else "WALLEXPAY_PROCESSING_KEY"
            )
            raise ConfigError(missing, "is needed too: set both the processing key and its secret")

    def require_token(self) -> str:
        if not self.telegram_bot_token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN", "is required by `sarraf run` (get one from @BotFather)"
            )
        return self.telegram_bot_token

    def exchange_urls(self) -> dict[str, str]:
        return {
            "wallex": self.wallex_api_url,
            "narkasa": self.narkasa_api_url,
            "alp": self.alp_api_url,
            "wex": self.wex_api_url,
            "wallexpay": self.wallexpay_api_url,
        }

    def stream_urls(self) -> dict[str, str]:
        return {"wallex": self.wallex_socket_url, "narkasa": self.narkasa_ws_url}

    @property
    def log_level_number(self) -> int:
        return int(getattr(logging, self.log_level))
