"""The Bot API's error answers, and the typical ones by name for scripting faults.

Clients (python-telegram-bot) map an error to an exception by its HTTP status and by the
``parameters`` it carries (``retry_after``, ``migrate_to_chat_id``), so those follow Telegram.
"""

from __future__ import annotations

import json
from typing import Any

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
# What the proxy in front of the Bot API serves when the API behind it is down: HTML, not JSON.
BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    b"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)

# kind -> (HTTP status, default description), for the errors that carry no parameters.
_PLAIN_KINDS: dict[str, tuple[int, str]] = {
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "403": (403, "Forbidden: bot was blocked by the user"),
    "kicked": (403, "Forbidden: bot was kicked from the group chat"),
    "chat_not_found": (400, "Bad Request: chat not found"),
    "server_error": (500, "Internal Server Error"),
    "500": (500, "Internal Server Error"),
    "bad_request": (400, "Bad Request"),
    "400": (400, "Bad Request"),
    "not_modified": (400, NOT_MODIFIED),
    "cant_edit": (400, "Bad Request: message can't be edited"),
}


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": status, "description": ...}``,
    or a raw (HTML) page when ``raw`` is given."""

    def __init__(
        self, status: int, description: str, parameters: dict | None = None, *, raw: bytes | None = None
    ) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters, self.raw = status, description, parameters, raw

    @property
    def content_type(self) -> str:
        return "text/html" if self.raw is not None else "application/json"

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        payload: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return json.dumps(payload).encode()

    @classmethod
    def make(
        cls, kind: str, *, retry_after: int = 1, migrate_to: int | None = None, description: str | None = None
    ) -> ApiError:
        """A typical Telegram error by name: flood (429), blocked, kicked (403), chat_not_found,
        migrated (needs ``migrate_to``), bad_gateway (502, an HTML page), server_error (500),
        bad_request, not_modified, cant_edit (400)."""
        if kind in ("flood", "429"):
            text = description or f"Too Many Requests: retry after {retry_after}"
            return cls(429, text, {"retry_after": retry_after})
        if kind == "migrated":
            if migrate_to is None:
                raise ValueError("kind 'migrated' needs migrate_to")
            text = description or "Bad Request: group chat was upgraded to a supergroup chat"
            return cls(400, text, {"migrate_to_chat_id": migrate_to})
        if kind in ("bad_gateway", "502"):
            return cls(502, "Bad Gateway", raw=BAD_GATEWAY_PAGE)
        if kind not in _PLAIN_KINDS:
            raise ValueError(f"unknown error kind {kind!r}")
        status, text = _PLAIN_KINDS[kind]
        return cls(status, description or text)
