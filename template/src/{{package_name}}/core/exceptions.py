"""Domain errors. Services and repositories raise these, never HTTP errors.

The HTTP layer (core/errors.py) maps each class to a status code; the `code` is
the stable, machine-readable value clients see in the error envelope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ErrorDetail:
    message: str
    field: str | None = None


class AppError(Exception):
    code = "INTERNAL_ERROR"
    # Whether the request edge still commits what the service flushed: for an
    # error that is itself an outcome to record (a failed log-in counts).
    keeps_changes: ClassVar[bool] = False

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFoundError(AppError):
    code = "NOT_FOUND"


class ConflictError(AppError):
    code = "CONFLICT"


class ForbiddenError(AppError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "Insufficient permissions") -> None:
        super().__init__(message)


class UnauthorizedError(AppError):
    code = "UNAUTHORIZED"


class ValidationError(AppError):
    code = "VALIDATION_ERROR"


class TooManyRequestsError(AppError):
    code = "TOO_MANY_REQUESTS"

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class UnknownReferenceError(ValidationError):
    """Ids the caller may not refer to: no row of theirs, or one that is deleted.

    Every case reads the same, so whether another owner's row exists does not leak.
    """

    def __init__(self, fields: Iterable[str]) -> None:
        super().__init__(
            "A reference names nothing of yours",
            [
                ErrorDetail(
                    field=f"body.{field}", message="not one of yours, or deleted"
                )
                for field in fields
            ],
        )


class InUseError(ConflictError):
    """A delete refused: live rows of another resource still refer to the row."""

    def __init__(self, referrers: str, count: int) -> None:
        super().__init__(
            f"Still used by {count} of your {referrers}: delete them or change "
            "what they refer to first"
        )
