"""Bot API parameters from any of the four encodings Telegram accepts.

In a query string or a form every value is text and nested objects arrive JSON-encoded
(python-telegram-bot sends ``reply_markup`` that way); a JSON body carries real types.
Methods read values through typed getters, which also write the decoded value back into
``logged`` so the request log shows what the method understood, not the wire encoding.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import bad_request
from .files import Upload


class Params:
    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self._values = values
        self._uploads = uploads or {}
        self.logged: dict[str, Any] = {
            name: self._loggable(value) for name, value in values.items()
        }
        for name, upload in self._uploads.items():
            self.logged[name] = upload.summary()

    @staticmethod
    def _loggable(value: Any) -> Any:
        if isinstance(value, str) and value[:1] in ("{", "["):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def _raw(self, name: str) -> Any:
        value = self._values.get(name)
        return None if value == "" else value

    def has(self, name: str) -> bool:
        return self._raw(name) is not None or name in self._uploads

    def _note(self, name: str, value: Any) -> Any:
        if name in self._values:
            self.logged[name] = value
        return value

    def get_str(self, name: str) -> str | None:
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            value = "true" if value else "false"
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            raise bad_request(f"can't parse {name}")
        return str(self._note(name, value))

    def get_text(self, name: str) -> str | None:
        """Like ``str`` but an explicitly empty value stays empty, as message text may."""
        value = self._values.get(name)
        if value == "":
            return ""
        return self.get_str(name)

    def get_int(self, name: str) -> int | None:
        value = self._raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return int(self._note(name, value))
        if isinstance(value, float) and value.is_integer():
            return int(self._note(name, int(value)))
        if isinstance(value, str):
            try:
                return int(self._note(name, int(value.strip())))
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")

    def require_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def get_float(self, name: str) -> float | None:
        value = self._raw(name)
        if value is None:
            return None
        try:
            return float(self._note(name, float(value)))
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self._raw(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(self._note(name, value != 0))
        truthy = str(value).strip().lower() in ("true", "1", "yes", "on")
        return bool(self._note(name, truthy))

    def get_json(self, name: str) -> Any:
        """A nested object; form encodings carry it as a JSON string."""
        value = self._raw(name)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return self._note(name, value) if value is not None else None

    def chat_ref(self, name: str = "chat_id") -> int | str:
        """An integer chat id or an ``@username``, as Telegram accepts for chat_id."""
        value = self._raw(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return str(self._note(name, text))
        try:
            return int(self._note(name, int(text)))
        except ValueError:
            raise bad_request("chat not found") from None

    def file(self, name: str) -> Upload | str | None:
        """An uploaded part, an ``attach://`` reference to one, or a file_id/URL string."""
        if name in self._uploads:
            return self._uploads[name]
        value = self._raw(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise bad_request(f"can't parse {name}")
        if value.startswith("attach://"):
            upload = self._uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request(f"there is no {name} in the request")
            return upload
        return value
