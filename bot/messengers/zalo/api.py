"""The Zalo Bot API over aiohttp: POST JSON to ``<base_url><token>/<method>``, read ``ok``.

Zalo answers HTTP 200 with ``{"ok": false, "error_code": N, "description": …}`` for most
errors, so the answer's ``ok`` decides, not the HTTP status. The token travels only in the URL
path; every error text is scrubbed of it before it leaves this module, and errors are raised
``from None`` so no chained exception carries the request URL into a log.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot import __version__

# Error codes Zalo documents; 403 is its internal server error, not "the user blocked the bot".
BAD_REQUEST, UNAUTHORIZED, SERVER_ERROR, NOT_FOUND, NOTHING_CAME, QUOTA = 400, 401, 403, 404, 408, 429
CALL_TIMEOUT_SECONDS = 15.0  # a send or getMe; a long poll adds its own wait to this
MAX_DESCRIPTION_CHARS = 300


class ZaloError(Exception):
    """A call failed; the message never holds the token."""


class ZaloApiError(ZaloError):
    """The Bot API answered ``ok: false`` (``code`` is its ``error_code``)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}".strip())
        self.code = code
        self.description = description


class ZaloUnreachable(ZaloError):
    """No Bot API answer: connection refused or dropped, timed out, or a body that is not its JSON."""


class ZaloBotApi:
    """One bot's client: ``await call("sendMessage", {...})`` → the answer's ``result``."""

    def __init__(self, token: str, base_url: str, *, connections: int = 16) -> None:
        if not token:
            raise ValueError("a Zalo bot token is required (ZALO_BOT_TOKEN)")
        self._token = token
        self.base_url = base_url
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def scrub(self, text: str) -> str:
        """``text`` with the token replaced (aiohttp's errors may quote the request URL)."""
        return text.replace(self._token, "<token>")

    def _new_session(self, connections: int) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                     headers={"User-Agent": f"diemtin/{__version__}"})

    async def open(self) -> None:
        """Keep connections open for the calls to come (until ``close``)."""
        if self._session is None or self._session.closed:
            self._session = self._new_session(self._connections)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(self, method: str, params: dict[str, Any] | None = None, *, wait: float = 0.0) -> Any:
        """One method call; ``wait`` is how long the server may hold it (a long poll)."""
        if self._session is None or self._session.closed:
            # Not open, or closed by a stop: the delivery worker's last replies still leave.
            async with self._new_session(1) as session:
                return await self._call(session, method, params, wait)
        return await self._call(self._session, method, params, wait)

    async def _call(self, session: aiohttp.ClientSession, method: str, params: dict[str, Any] | None,
                    wait: float) -> Any:
        url = f"{self.base_url}{self._token}/{method}"
        timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_SECONDS + wait)
        try:
            async with session.post(url, json=params or {}, timeout=timeout) as response:
                status, body = response.status, await response.read()
        except TimeoutError:
            raise ZaloUnreachable(f"{method}: timed out") from None
        except aiohttp.ClientError as exc:
            raise ZaloUnreachable(f"{method}: {self.scrub(str(exc) or type(exc).__name__)}") from None
        return self._result(method, status, body)

    def _result(self, method: str, status: int, body: bytes) -> Any:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "ok" not in answer:
            raise ZaloUnreachable(f"{method}: HTTP {status}, not a Bot API answer")
        if answer["ok"] is True:
            return answer.get("result")
        code = answer.get("error_code")
        code = code if isinstance(code, int) else status
        description = self.scrub(str(answer.get("description") or ""))[:MAX_DESCRIPTION_CHARS]
        raise ZaloApiError(code, description)

