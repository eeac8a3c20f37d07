"""Every rendered combination passes its own quality gates.

Each check runs inside the rendered project, in the environment its declared
dependencies select (see `Environments` in conftest.py), exactly as the rendered
project's own CI runs it: `uv run <check>` after `uv sync`.
"""

from __future__ import annotations

import pytest

from tests.harness import Environments, RenderedProject

# The configuration of each tool (files, strictness, the coverage gate) is the
# rendered pyproject.toml's; these commands take none of their own.
CHECKS: dict[str, tuple[str, ...]] = {
    "ruff-check": ("ruff", "check", "."),
    "ruff-format": ("ruff", "format", "--check", "."),
    "mypy": ("mypy",),
    "lint-imports": ("lint-imports",),
    "pytest": ("pytest",),
}


@pytest.mark.parametrize("check", CHECKS)
def test_check(rendered: RenderedProject, environments: Environments, check: str) -> None:
    result = environments.run(rendered.path, CHECKS[check])
    if result.returncode != 0:
        pytest.fail(
            f"{rendered.combination.id}: {check} failed: `{result.shown}` exited "
            f"{result.returncode} in {rendered.path}\n"
            f"--- last lines of its output ---\n{result.tail}",
            pytrace=False,
        )
