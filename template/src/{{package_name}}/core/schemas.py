"""Schemas shared by every feature: the error envelope (standard 002)."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorDetailResponse(BaseModel):
    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetailResponse] = []


class ErrorResponse(BaseModel):
    """Every error the service returns has this body."""

    error: ErrorBody
