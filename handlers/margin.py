"""Placeholder while issue 11's /margin is being built; replaced by its owner."""

from __future__ import annotations

from telegram.ext import Application


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Registers the module's handlers."""
