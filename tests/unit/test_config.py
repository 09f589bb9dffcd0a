from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings


def test_defaults_follow_the_contract() -> None:
    s = Settings.from_env({})
    assert s.telegram_api_url == "https://api.telegram.org"
    assert s.database_url == "sqlite+aiosqlite:///sarraf.db"
    assert (s.http_host, s.http_port) == ("127.0.0.1", 8080)
    assert s.wallex_api_url == "https://api.wallex.ir"
    assert s.log_level == "INFO" and s.log_format == "text"
    assert s.admins == frozenset()


def test_values_are_read_and_trailing_slashes_dropped() -> None:
    s = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": "123:abc",
            "TELEGRAM_API_URL": "http://127.0.0.1:9000/",
            "SARRAF_ADMINS": "1, 2,3",
            "SARRAF_HTTP_PORT": "9090",
            "SARRAF_LOG_FORMAT": "JSON",
            "SARRAF_LOG_LEVEL": "debug",
        }
    )
    assert s.telegram_api_url == "http://127.0.0.1:9000"
    assert s.admins == frozenset({1, 2, 3})
    assert s.http_port == 9090
    assert s.log_format == "json" and s.log_level == "DEBUG"
    assert s.require_token() == "123:abc"


@pytest.mark.parametrize(
    ("env", "variable", "fragment"),
    [
        ({"SARRAF_HTTP_PORT": "http"}, "SARRAF_HTTP_PORT", "whole number"),
        ({"SARRAF_HTTP_PORT": "70000"}, "SARRAF_HTTP_PORT", "between"),
        ({"WALLEX_API_URL": "api.wallex.ir"}, "WALLEX_API_URL", "URL"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL", "URL"),
        ({"SARRAF_ADMINS": "1,alice"}, "SARRAF_ADMINS", "alice"),
        ({"SARRAF_LOG_LEVEL": "LOUD"}, "SARRAF_LOG_LEVEL", "one of"),
        ({"SARRAF_LOG_FORMAT": "xml"}, "SARRAF_LOG_FORMAT", "one of"),
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN", "bot token"),
        ({"SARRAF_UPSTREAM_TIMEOUT": "0"}, "SARRAF_UPSTREAM_TIMEOUT", "between"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], variable: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert info.value.variable == variable
    assert str(info.value).startswith(variable)
    assert fragment in str(info.value)


def test_run_requires_a_token() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env({}).require_token()


def test_the_token_is_not_in_the_repr() -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123456:SECRETSECRET"})
    assert "SECRETSECRET" not in repr(s)


def test_the_demo_user_is_the_demos_operator_unless_admins_are_set() -> None:
    from bot.cli import DEMO_USER_ID, demo_settings

    assert demo_settings({}).admins == frozenset({DEMO_USER_ID})
    assert demo_settings({"SARRAF_ADMINS": ""}).admins == frozenset()
    assert demo_settings({"SARRAF_ADMINS": "7"}).admins == frozenset({7})
    assert (demo_settings({}).http_port, demo_settings({}).upstream_timeout) == (0, 5.0)
