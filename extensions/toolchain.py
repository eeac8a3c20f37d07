"""The Python a service runs on, the ones it supports, and the date its
dependencies are resolved as of: each chosen here, once.

- PYTHON_VERSION: the service's `.python-version` (which uv, the service's CI and
  the template's tests read) and its Dockerfile's base images.
- SUPPORTED_PYTHONS: what the service declares (`requires-python` from the first,
  a classifier each); the template's tests run the default combination on each.
- RUFF_VERSION: the ruff a service's dev dependencies pin, and the one that
  formats the Python the template renders (extensions/formatting.py), so the
  service's own `ruff format --check` agrees with what was rendered.
- DEPENDENCIES_AS_OF: the service's `[tool.uv] exclude-newer`. uv resolves only
  distributions uploaded before it, so the lock a service's first `uv sync` writes
  (and commits) holds the versions the template's tests ran with, without the
  template shipping a lock of its own (a lock records download locations, which
  this repository keeps out of its history). Moved by `uv run python -m
  tests.locks --as-of now` when a release takes newer dependencies.
"""

from __future__ import annotations

from typing import Any

PYTHON_VERSION = "3.13"
SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
RUFF_VERSION = "0.17.6"
DEPENDENCIES_AS_OF = "2026-12-03T00:00:00Z"

# The maintainer command that moves DEPENDENCIES_AS_OF and checks every combination locks.
LOCK_COMMAND = "uv run python -m tests.locks"


def add_toolchain(context: dict[str, Any]) -> None:
    """Adds the Python versions, ruff's and the resolution date to every template's context."""
    context.update(
        python_version=PYTHON_VERSION,
        supported_pythons=SUPPORTED_PYTHONS,
        ruff_version=RUFF_VERSION,
        dependencies_as_of=DEPENDENCIES_AS_OF,
    )
