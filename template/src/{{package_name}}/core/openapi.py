"""OpenAPI declarations of the error responses, so the schema tells the truth."""

from __future__ import annotations

from typing import Any

from .schemas import ErrorResponse

DESCRIPTIONS = {
    401: "Missing, invalid or expired credentials",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource (or not yours)",
    409: "Conflicts with the current state, for example a duplicate",
    422: "The request failed validation",
    503: "A dependency, such as the database, is unavailable",
}


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each status with the error envelope."""
    return {
        code: {"model": ErrorResponse, "description": DESCRIPTIONS[code]}
        for code in status_codes
    }
