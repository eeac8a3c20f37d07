"""Domain errors. Services and repositories raise these, never HTTP errors.

The HTTP layer (core/errors.py) maps each class to a status code; the `code` is
the stable, machine-readable value clients see in the error envelope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorDetail:
    message: str
    field: str | None = None


class AppError(Exception):
    code = "INTERNAL_ERROR"

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
