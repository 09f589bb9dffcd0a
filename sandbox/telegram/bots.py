"""A bot account: identity, pending updates, webhook, menus and what it was asked to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .commands import CommandMenus
from .models import User
from .notify import ChangeSignal
from .updates import UpdateQueue
from .webhook import WebhookConfig, WebhookSender


class RecordedRequest(NamedTuple):
    """One Bot API call: canonical method name and the parameters as the method read them.

    Uploaded files appear as ``{"upload": filename, "size": n, "content_type": ...}``.
    """

    method: str
    params: dict[str, Any]


@dataclass
class BotAccount:
    token: str
    user: User
    privacy_mode: bool = True
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    webhook: WebhookConfig | None = None
    sender: WebhookSender | None = None
    menus: CommandMenus = field(default_factory=CommandMenus)
    profile: dict[str, Any] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    request_signal: ChangeSignal = field(default_factory=ChangeSignal)
    # Called with every request as it arrives (benchmarks time them).
    listeners: list[Callable[[RecordedRequest], None]] = field(default_factory=list)
    started: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def username(self) -> str:
        return self.user.username or ""

    def to_api(self) -> dict[str, Any]:
        data = self.user.to_api()
        data.update(
            {
                "can_join_groups": True,
                "can_read_all_group_messages": not self.privacy_mode,
                "supports_inline_queries": False,
                "can_connect_to_business": False,
                "has_main_web_app": False,
            }
        )
        return data

    def log_request(self, method: str, params: dict[str, Any]) -> None:
        request = RecordedRequest(method, params)
        self.requests.append(request)
        self.request_signal.notify()
        for listener in self.listeners:
            listener(request)

    async def stop_webhook(self) -> None:
        if self.sender is not None:
            await self.sender.stop()
            self.sender = None
