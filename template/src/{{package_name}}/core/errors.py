"""One place that turns errors into HTTP responses with the standard envelope.

Routers never catch domain errors; the handlers registered here map each
domain error class to its status code. Unexpected errors are answered by the
request middleware (core/middleware.py), which sees them first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from .exceptions import (
    AppError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
    ValidationError,
)
from .logging import get_logger
from .schemas import ErrorBody, ErrorDetailResponse, ErrorResponse

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from fastapi import FastAPI, Request

logger = get_logger(__name__)

STATUS_BY_ERROR: dict[type[AppError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ConflictError: status.HTTP_409_CONFLICT,
    ForbiddenError: status.HTTP_403_FORBIDDEN,
    UnauthorizedError: status.HTTP_401_UNAUTHORIZED,
    ValidationError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    TooManyRequestsError: status.HTTP_429_TOO_MANY_REQUESTS,
}
CODE_BY_STATUS = {
    status.HTTP_400_BAD_REQUEST: "BAD_REQUEST",
    status.HTTP_401_UNAUTHORIZED: UnauthorizedError.code,
    status.HTTP_403_FORBIDDEN: ForbiddenError.code,
    status.HTTP_404_NOT_FOUND: NotFoundError.code,
    status.HTTP_405_METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
    status.HTTP_409_CONFLICT: ConflictError.code,
    status.HTTP_413_CONTENT_TOO_LARGE: "CONTENT_TOO_LARGE",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
    status.HTTP_422_UNPROCESSABLE_CONTENT: ValidationError.code,
}
BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}
HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH"})
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
RETRY_AFTER_HEADER = "Retry-After"
# How long a client should wait before trying again while the database is away.
RETRY_AFTER = {RETRY_AFTER_HEADER: "5"}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Sequence[ErrorDetailResponse] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=ErrorBody(code=code, message=message, details=[*details])
    )
    return JSONResponse(body.model_dump(), status_code=status_code, headers=headers)


def status_for(error: AppError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def handle_app_error(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AppError)  # noqa: S101 (registered for AppError only)
    status_code = status_for(error)
    if status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        logger.error("application_error", error_code=error.code, error=error.message)
        return error_response(status_code, "INTERNAL_ERROR", "Internal server error")
    details = [
        ErrorDetailResponse(field=d.field, message=d.message) for d in error.details
    ]
    headers = None
    if isinstance(error, UnauthorizedError):
        headers = BEARER_CHALLENGE
    elif isinstance(error, TooManyRequestsError):
        headers = {RETRY_AFTER_HEADER: str(error.retry_after_seconds)}
    return error_response(status_code, error.code, error.message, details, headers)


async def handle_request_validation(
    _request: Request, error: Exception
) -> JSONResponse:
    assert isinstance(error, RequestValidationError)  # noqa: S101
    details = [
        ErrorDetailResponse(
            field=".".join(str(part) for part in problem["loc"]) or None,
            message=problem["msg"],
        )
        for problem in error.errors()
    ]
    return error_response(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        ValidationError.code,
        "Request validation failed",
        details,
    )


def allowed_methods(request: Request) -> str | None:
    """The methods of the request's path in the OpenAPI document, HEAD with GET
    as Starlette serves it; FastAPI's own 405 names those of one route only."""
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(path):
            methods = {method.upper() for method in operations} & HTTP_METHODS
            if "GET" in methods:
                methods.add("HEAD")
            return ", ".join(sorted(methods))
    return None  # not a documented path: the framework's answer stands


async def handle_http_exception(request: Request, error: Exception) -> JSONResponse:
    """Errors raised by the framework itself: unknown route, wrong method, no token."""
    assert isinstance(error, HTTPException)  # noqa: S101
    headers = error.headers
    wrong_method = error.status_code == status.HTTP_405_METHOD_NOT_ALLOWED
    allow = allowed_methods(request) if wrong_method else None
    if allow is not None:
        headers = {**(headers or {}), "Allow": allow}
    if error.status_code == status.HTTP_400_BAD_REQUEST:
        # FastAPI's answer to a body it cannot decode; to a client, that is a
        # request that failed validation like any other.
        return error_response(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            ValidationError.code,
            "The request body could not be parsed",
        )
    code = CODE_BY_STATUS.get(error.status_code, "HTTP_ERROR")
    message = error.detail if isinstance(error.detail, str) else code
    return error_response(error.status_code, code, message, headers=headers)


def is_database_unavailable(error: Exception) -> bool:
    """A lost or refused database connection, as opposed to a bad query."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(
            error, (OperationalError, InterfaceError)
        )
    # Drivers raise these from connect() without wrapping them.
    return isinstance(error, (ConnectionError, TimeoutError))


async def handle_database_error(_request: Request, error: Exception) -> JSONResponse:
    if not is_database_unavailable(error):
        raise error  # a bug, not an outage: the middleware answers 500 and logs it
    logger.warning("database_unavailable", error=f"{type(error).__name__}: {error}")
    return error_response(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        SERVICE_UNAVAILABLE,
        "The database is unavailable; try again shortly",
        headers=RETRY_AFTER,
    )


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(HTTPException, handle_http_exception)
    for unavailable in (DBAPIError, ConnectionError, TimeoutError):
        app.add_exception_handler(unavailable, handle_database_error)
