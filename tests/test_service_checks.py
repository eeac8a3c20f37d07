"""Every rendered combination passes its own quality gates.

Each check runs inside the rendered project, in the environment its declared
dependencies select (see `Environments` in tests/harness.py), exactly as the
rendered project's own CI runs it: `uv run <check>` after `uv sync`. Its test
suite runs twice: on a SQLite file, and on PostgreSQL with two xdist workers.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

from tests.harness import POSTGRES_URL_VARIABLE, Environments, RenderedProject

# The configuration of each tool (files, strictness, the coverage gate) is the
# rendered pyproject.toml's; these commands take none of their own but `--cov`,
# which the rendered CI passes too.
CHECKS: dict[str, tuple[str, ...]] = {
    "ruff-check": ("ruff", "check", "."),
    "ruff-format": ("ruff", "format", "--check", "."),
    "mypy": ("mypy",),
    "lint-imports": ("lint-imports",),
    "pytest-sqlite": ("pytest", "--cov"),
    # Two workers, each with its own databases: the suite is safe in parallel.
    "pytest-postgresql": ("pytest", "--cov", "--numprocesses=2"),
}

NO_SERVER = (
    f"no PostgreSQL server: set {POSTGRES_URL_VARIABLE} to an asyncpg URL whose role "
    "can create databases, e.g. after `pg_ctlcluster 15 main start` (.ci/run does both)"
)


def postgres_url_for(rendered: RenderedProject, prefix: str = "tpl_") -> str:
    """The server's URL with a database name of this project's own."""
    server = os.environ.get(POSTGRES_URL_VARIABLE)
    if not server:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{rendered.combination.id}: {NO_SERVER}", pytrace=False)
        pytest.skip(NO_SERVER)
    name = prefix + rendered.combination.id.replace("-", "_")
    return urlsplit(server)._replace(path=f"/{name}").geturl()


def assert_check_passes(
    project: RenderedProject, environments: Environments, check: str, prefix: str = "tpl_"
) -> None:
    """Run one of CHECKS in the project; `prefix` names its PostgreSQL databases."""
    variables = {}
    if check == "pytest-postgresql":
        variables["TEST_DATABASE_URL"] = postgres_url_for(project, prefix)
    result = environments.run(project.path, CHECKS[check], **variables)
    if result.returncode != 0:
        pytest.fail(
            f"{project.combination.id}: {check} failed: `{result.shown}` exited "
            f"{result.returncode} in {project.path}\n"
            f"--- last lines of its output ---\n{result.tail}",
            pytrace=False,
        )


@pytest.mark.parametrize("check", CHECKS)
def test_check(rendered: RenderedProject, environments: Environments, check: str) -> None:
    assert_check_passes(rendered, environments, check)
