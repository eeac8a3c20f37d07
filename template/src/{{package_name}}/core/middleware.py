"""Pure ASGI middleware: request id, timing, access log, last-resort 500.

Written against ASGI directly rather than BaseHTTPMiddleware, which breaks
context variables and costs far more per request. Every request pays for what
is here, so it does little: response headers are appended as raw bytes.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING

from fastapi import status

from .errors import error_response
from .logging import bind_request_id, get_logger

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = get_logger("access")

REQUEST_ID_HEADER = b"x-request-id"  # ASGI header names are lower-case bytes
# A client's id is kept only if it is short and plain: it ends up in every log line.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            if _ACCEPTED_REQUEST_ID.fullmatch(candidate):
                return candidate
    return secrets.token_hex(16)


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        response_status = status.HTTP_500_INTERNAL_SERVER_ERROR
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal response_status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                response_status = message["status"]
                elapsed_ms = (time.perf_counter() - started) * 1000
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id.encode("latin-1")),
                    (b"server-timing", b"app;dur=%.1f" % elapsed_ms),
                ]
            await send(message)

        with bind_request_id(request_id):
            try:
                await self.app(scope, receive, send_with_headers)
            except Exception:
                logger.exception(
                    "unhandled_error", method=scope["method"], path=scope["path"]
                )
                if response_started:
                    raise  # too late for an error body; the server closes the connection
                response = error_response(
                    status.HTTP_500_INTERNAL_SERVER_ERROR,
                    "INTERNAL_ERROR",
                    "Internal server error",
                )
                await response(scope, receive, send_with_headers)
            finally:
                logger.info(
                    "request_completed",
                    method=scope["method"],
                    path=scope["path"],
                    status_code=response_status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
