"""The Bot API's error answer: HTTP 200, ``{"ok": false, "error_code": N, "description": …}``."""

from __future__ import annotations

import json


class ZaloApiError(Exception):
    """An ``ok: false`` answer; ``http_status`` stays 200 unless a test asks for another."""

    def __init__(self, code: int, description: str, *, http_status: int = 200, page: bytes | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.http_status = http_status
        self.page = page  # a body that is not JSON (a proxy's error page), if any

    def body(self) -> bytes:
        if self.page is not None:
            return self.page
        return json.dumps({"ok": False, "error_code": self.code, "description": self.description}).encode()


# The errors Zalo documents, by code, for scripting faults.
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Internal server error",
    404: "Not found",
    408: "Request timeout",
    429: "Quota exceeded",
}
