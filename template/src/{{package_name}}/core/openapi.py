"""The OpenAPI document: what it says of the service, its operations and errors."""

from __future__ import annotations

import sys
from email.utils import parseaddr
from importlib.metadata import metadata
from typing import TYPE_CHECKING, Any

from fastapi.routing import APIRoute

from .schemas import ErrorResponse

if TYPE_CHECKING:
    from collections.abc import Iterable

    from fastapi import APIRouter

DESCRIPTIONS = {
    401: "Missing, invalid or expired credentials",
    403: "Authenticated, but not allowed to do this",
    404: "No such resource (or not yours)",
    409: "Conflicts with the current state, for example a duplicate",
    422: "The request failed validation",
    429: "Too many attempts; wait the seconds Retry-After gives",
    503: "A dependency, such as the database, is unavailable",
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# The headers each error status always comes with.
HEADERS = {429: RETRY_AFTER, 503: RETRY_AFTER}
# Relative to where the document is served: this service, behind any proxy.
SERVERS = [{"url": "/", "description": "This service"}]


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: each status with the error envelope."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in status_codes:
        response = {"model": ErrorResponse, "description": DESCRIPTIONS[code]}
        if code in HEADERS:
            response["headers"] = HEADERS[code]
        responses[code] = response
    return responses


def operation_id(route: APIRoute) -> str:
    """The endpoint's function name (`create_project`): short, and stable as long
    as the function keeps its name. Generated clients name their methods by it."""
    return route.name


def service_info(distribution: str) -> dict[str, Any]:
    """Version, description and contact, read from the installed distribution:
    pyproject.toml's `version`, `description` and first `authors` entry."""
    about = metadata(distribution)
    name, email = parseaddr(about["Author-email"] or "")
    return {
        "version": about["Version"],
        "description": about["Summary"],
        "contact": {"name": name, "email": email},
    }


def router_tags(routers: Iterable[APIRouter]) -> list[dict[str, str]]:
    """Each router's tag, described by the first line of its module's docstring."""
    tags: dict[str, str] = {}
    for router in routers:
        endpoints = [r.endpoint for r in router.routes if isinstance(r, APIRoute)]
        docstring = sys.modules[endpoints[0].__module__].__doc__ or ""
        for tag in router.tags:
            tags.setdefault(str(tag), docstring.strip().splitlines()[0])
    return [{"name": name, "description": text} for name, text in tags.items()]
