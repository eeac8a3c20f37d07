"""Pure ASGI middleware: request id, timing, security headers, trusted hosts, body
limit, CORS, access log, last-resort 500.

Written against ASGI directly rather than BaseHTTPMiddleware, which breaks
context variables and costs far more per request. Every request pays for what
is here, so it does little: one pass over the request headers, and response
headers appended as raw bytes. Starlette's CORS middleware handles only the
requests that carry an `Origin`; it would rewrite every response's headers.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING

from fastapi import status
from fastapi.middleware.cors import CORSMiddleware
from starlette.exceptions import HTTPException

from .errors import CODE_BY_STATUS, error_response
from .logging import REQUEST_ID, get_logger

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.datastructures import Headers
    from starlette.responses import Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = get_logger("access")

REQUEST_ID_HEADER = b"x-request-id"  # ASGI header names are lower-case bytes
# A client's id is kept only if it is short and plain: it ends up in every log line.
_ACCEPTED_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Accepted whatever ALLOWED_HOSTS says: the container's own health check uses
# them, and a redirect to them leads nowhere but back to the caller.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# Browsers must not guess another content type than the one declared.
_NOSNIFF = (b"x-content-type-options", b"nosniff")
# What CORS adds to a response to a request without an Origin: a cache must not
# give it to one with an Origin, which gets other headers.
_VARY_ORIGIN = (b"vary", b"Origin")


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        allowed_hosts: Sequence[str] = ("*",),
        cors_origins: Sequence[str] = (),
        access_log: bool = True,
    ) -> None:
        self.app = app
        # One line a request, written in __call__, its place known (not looked up).
        self.access_log = (
            get_logger("access", written_in=RequestContextMiddleware.__call__)
            if access_log
            else None
        )
        self.cors = EnvelopeCORSMiddleware(
            app,
            allow_origins=cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
        self.max_body_bytes = max_body_bytes
        self.any_host = "*" in allowed_hosts
        names = [host.lower() for host in (*allowed_hosts, *LOOPBACK_HOSTS)]
        self.hosts = frozenset(names)
        # "*.example.com" allows every subdomain of example.com.
        self.host_suffixes = tuple(name[1:] for name in names if name.startswith("*."))

    def _host_allowed(self, host: bytes) -> bool:
        name = host.decode("latin-1").lower()
        if not name.endswith("]"):  # an IPv6 address keeps its brackets
            name = name.rpartition(":")[0] or name
        return name in self.hosts or name.endswith(self.host_suffixes)

    def _refusal(self, host: bytes, content_length: bytes | None) -> Response | None:
        """The answer to a request refused before the app sees it, if it is one."""
        if not self.any_host and not self._host_allowed(host):
            return error_response(
                status.HTTP_400_BAD_REQUEST,
                CODE_BY_STATUS[status.HTTP_400_BAD_REQUEST],
                "The Host header names no host this service answers to",
            )
        if content_length is not None and int(content_length) > self.max_body_bytes:
            return error_response(
                status.HTTP_413_CONTENT_TOO_LARGE,
                CODE_BY_STATUS[status.HTTP_413_CONTENT_TOO_LARGE],
                self._too_large_message,
            )
        return None

    @property
    def _too_large_message(self) -> str:
        return f"The request body is larger than {self.max_body_bytes} bytes"

    def _counted(self, receive: Receive) -> Receive:
        """`receive`, refusing a body without a length once it grows too large."""
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                # FastAPI lets it through from the body it reads: the app's
                # exception handlers answer with the envelope.
                raise HTTPException(
                    status.HTTP_413_CONTENT_TOO_LARGE, self._too_large_message
                )
            return message

        return receive_counted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = None
        host = b""
        content_length = None
        cross_origin = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"origin":
                cross_origin = True
            elif name == b"content-length":
                # The server delivers no more than it says.
                content_length = value
            elif name == REQUEST_ID_HEADER:
                candidate: str = value.decode("latin-1")
                if _ACCEPTED_REQUEST_ID.fullmatch(candidate):
                    request_id = candidate
        if request_id is None:
            request_id = secrets.token_hex(16)
        if content_length is None or not content_length.isdigit():
            content_length = None
            receive = self._counted(receive)
        app = self.cors if cross_origin else self.app
        added = [_NOSNIFF] if cross_origin else [_NOSNIFF, _VARY_ORIGIN]
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
                    *added,
                ]
            await send(message)

        # Set and reset here: `with bind_request_id()` costs more than the setting.
        request_context = REQUEST_ID.set(request_id)
        try:
            refusal = self._refusal(host, content_length)
            if refusal is None:
                await app(scope, receive, send_with_headers)
            else:
                await refusal(scope, receive, send_with_headers)
        except Exception:
            logger.exception(
                "unhandled_error",
                method=scope["method"],
                path=scope["path"],
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
            if self.access_log is not None:
                self.access_log.info(
                    "request_completed",
                    method=scope["method"],
                    path=scope["path"],
                    status_code=response_status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            REQUEST_ID.reset(request_context)


class EnvelopeCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the error envelope."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == status.HTTP_200_OK:
            return response
        # Starlette says what it refused ("Disallowed CORS origin, method") as text.
        reason = bytes(response.body).decode()
        headers = {
            name: value
            for name, value in response.headers.items()
            if name not in ("content-type", "content-length")
        }
        return error_response(
            response.status_code,
            CODE_BY_STATUS[response.status_code],  # Starlette refuses with a 400
            reason,
            headers=headers,
        )
