"""Bot API failures as values, so every layer can fail with Telegram's exact wording.

Telegram answers errors with the HTTP status equal to ``error_code`` and a JSON body
``{"ok": false, "error_code": N, "description": "..."}``; python-telegram-bot turns the
status and the description into its own exception types, so both must be exact.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API error reply; raised anywhere below the HTTP layer, rendered by it."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            payload["parameters"] = self.parameters
        return payload


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def conflict(reason: str) -> ApiError:
    return ApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        f"Too Many Requests: retry after {retry_after}",
        {"retry_after": retry_after},
    )


def entity_error(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")
