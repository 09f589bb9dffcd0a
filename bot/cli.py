"""The ``sarraf`` command (see the README and shared/CONTRACT.md for the interface)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.config import ConfigError, Settings
from bot.logs import setup_logging

log = logging.getLogger("sarraf")


def _settings(env: dict[str, str] | None = None) -> Settings:
    try:
        return Settings.from_env(env)
    except ConfigError as exc:
        print(f"sarraf: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _run(settings: Settings, webhook: bool, webhook_secret: str | None) -> None:
    from bot.app import build_application, serve

    app = build_application(settings)
    stop = asyncio.Event()
    _install_stop(stop)
    await serve(app, stop, webhook=webhook, webhook_secret=webhook_secret)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings()
    setup_logging(settings.log_level_number, settings.log_format)
    webhook_secret = os.environ.get("SARRAF_WEBHOOK_SECRET", "").strip() or None
    try:
        token = settings.require_token()
        if args.webhook:
            from bot.webhook import WebhookSecretError, secret_for

            if not settings.public_url:
                raise ConfigError(
                    "SARRAF_PUBLIC_URL",
                    "is required by --webhook: the public https URL Telegram posts updates to",
                )
            try:
                secret_for(token, webhook_secret)
            except WebhookSecretError as exc:
                raise ConfigError("SARRAF_WEBHOOK_SECRET", str(exc)) from None
    except ConfigError as exc:
        print(f"sarraf: configuration error: {exc}", file=sys.stderr)
        return 2
    from storage.secrets import SecretsError

    try:
        asyncio.run(_run(settings, args.webhook, webhook_secret))
    except SecretsError as exc:  # a missing, malformed or exposed master key
        print(f"sarraf: master key: {exc}", file=sys.stderr)
        return 2
    return 0


DEMO_USER_ID = 1001


def demo_settings(env: dict[str, str]) -> Settings:
    """The demo's settings over ``env`` (which already points at the sandboxes): any
    port, a short upstream timeout, and the demo's one user as the operator (/stats,
    /broadcast) unless ``SARRAF_ADMINS`` is set — ``SARRAF_ADMINS=`` (empty) shows the
    demo as anyone else sees it."""
    settings = replace(_settings(env), http_port=0, upstream_timeout=5.0)
    if "SARRAF_ADMINS" not in env:
        settings = replace(settings, admins=frozenset({DEMO_USER_ID}))
    return settings


async def _demo(script: str | None, flood: bool) -> int:
    from bot.app import build_application, serve
    from bot.handled import HandledUpdates
    from sandbox.runner import SandboxStack, demo_credentials
    from sandbox.terminal import TerminalChat

    workdir = tempfile.mkdtemp(prefix="sarraf-demo-")
    async with SandboxStack(flood=flood) as stack:
        env = dict(os.environ)
        env.update(stack.env())
        # Embedded defaults: a fresh SQLite file, so every demo starts the same way.
        env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir}/demo.db"
        from storage.secrets import new_master_key

        env["SARRAF_MASTER_KEY"] = new_master_key()  # a throwaway key for a throwaway database
        app = build_application(demo_settings(env))
        user = stack.telegram.add_user(
            user_id=DEMO_USER_ID, first_name="Demo", username="demo_user", language_code="en"
        )
        stop = asyncio.Event()
        ready = asyncio.Event()

        async def on_ready(_: object) -> None:
            await _demo_callbacks(app, stack, user.id)
            ready.set()

        bot_task = asyncio.create_task(serve(app, stop, ready=on_ready))
        ready_wait = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({bot_task, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        if bot_task in done:
            ready_wait.cancel()
            await bot_task  # re-raises the start-up failure
            return 1
        handled = HandledUpdates.attach(app)
        chat = TerminalChat(
            stack.telegram,
            user.id,
            out=sys.stdout,
            files_dir=workdir,
            handled=handled.wait,
            upstream=stack.switch_upstream,
        )
        chat.intro = ["Demo accounts for /connect (type the values when asked):"] + [
            f"  {name}: " + "  ".join(values) for name, values in demo_credentials().items()
        ]
        try:
            if script is not None:
                text = await asyncio.to_thread(Path(script).read_text, encoding="utf-8")
                code = await chat.run_script(text.splitlines())
            else:
                code = await chat.run_interactive()
        finally:
            stop.set()
            await bot_task
        return code


async def _demo_callbacks(app: Any, stack: Any, user_id: int) -> None:
    """The demo merchant's WallexPay back office points its callbacks at this bot (the
    demo user's URL), and a stand-in customer pays the demo's invoices after 10 s."""
    from bot.app import services_of
    from sandbox import wallexpay

    money = services_of(app).money
    server = stack.servers.get("wallexpay")
    set_url = getattr(server, "set_callback_url", None)
    if money is None or not callable(set_url):
        return
    url, _ = await money.payments.callback_url(user_id)
    if url is not None:
        set_url(wallexpay.DEMO_KEY, url)
    payments = getattr(server, "payments", None)
    if payments is not None and hasattr(payments, "auto_pay_after"):
        payments.auto_pay_after = 10.0


def cmd_demo(args: argparse.Namespace) -> int:
    level = os.environ.get("SARRAF_LOG_LEVEL", "WARNING")
    setup_logging(getattr(logging, level.upper(), logging.WARNING), "text")
    if args.script is not None and not os.path.exists(args.script):
        print(f"sarraf demo: no such script file: {args.script}", file=sys.stderr)
        return 2
    return asyncio.run(_demo(args.script, flood=not args.no_flood))


async def _sandbox(port_file: str | None) -> None:
    from sandbox.runner import SandboxStack

    async with SandboxStack() as stack:
        lines = [f"{k}={v}" for k, v in stack.env().items()]
        print("\n".join(lines), flush=True)
        if port_file:
            await asyncio.to_thread(
                Path(port_file).write_text, "\n".join(lines) + "\n", encoding="utf-8"
            )
        user = stack.telegram.add_user(user_id=1001, first_name="Demo", username="demo_user")
        print(
            f"# Telegram emulator user {user.id}: POST {stack.telegram.api_root}/_emulator/... "
            "to chat as this user (see README)",
            flush=True,
        )
        stop = asyncio.Event()
        _install_stop(stop)
        await stop.wait()


def cmd_sandbox(args: argparse.Namespace) -> int:
    setup_logging(logging.WARNING, "text")
    asyncio.run(_sandbox(args.env_file))
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    from storage.secrets import new_master_key

    print(new_master_key())
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Re-wrap every stored secret under the first key of SARRAF_MASTER_KEY."""
    settings = _settings()
    setup_logging(settings.log_level_number, settings.log_format)
    from bot.app import build_services
    from storage.secrets import SecretsError

    async def rotate() -> int:
        services = build_services(settings)
        try:
            await services.db.upgrade()
            return await services.accounts.rotate()
        finally:
            await services.close()

    try:
        changed = asyncio.run(rotate())
    except SecretsError as exc:
        print(f"sarraf rotate-key: {exc}", file=sys.stderr)
        return 1
    print(f"re-encrypted {changed} stored secret(s) under the newest master key")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    setup_logging(settings.log_level_number, settings.log_format)
    from storage.db import upgrade_schema

    upgrade_schema(settings.database_url)
    print("database schema is up to date")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sarraf", description="Telegram chat-ops bot for crypto exchanges"
    )
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot against Telegram until SIGINT/SIGTERM")
    run.add_argument(
        "--webhook",
        action="store_true",
        help="webhook mode instead of long polling: Telegram posts updates to "
        "SARRAF_PUBLIC_URL/telegram/webhook (several replicas may serve one bot)",
    )
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser(
        "demo", help="the bot fully offline: sandboxes + local Telegram + a terminal chat"
    )
    demo.add_argument(
        "--script",
        metavar="FILE",
        help="feed the lines of FILE as messages and print the transcript",
    )
    demo.add_argument(
        "--no-flood", action="store_true", help="switch off the emulator's flood limits"
    )
    demo.set_defaults(func=cmd_demo)
    sandbox = sub.add_parser(
        "sandbox", help="start only the sandbox servers and the Telegram emulator"
    )
    sandbox.add_argument("--env-file", metavar="FILE", help="also write the URL lines to FILE")
    sandbox.set_defaults(func=cmd_sandbox)
    keygen = sub.add_parser("keygen", help="print a new master key")
    keygen.set_defaults(func=cmd_keygen)
    rotate = sub.add_parser(
        "rotate-key", help="re-encrypt every stored secret under the first SARRAF_MASTER_KEY"
    )
    rotate.set_defaults(func=cmd_rotate_key)
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="bring the schema up to date (Alembic)")
    upgrade.set_defaults(func=cmd_db_upgrade)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
