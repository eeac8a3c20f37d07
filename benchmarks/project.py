"""A rendered service to benchmark: rendered, installed, and given a database."""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness import clean_environment, copy_working_tree
from tests.harness import render as render_template
from tests.matrix import Combination, combinations

REPO_ROOT = Path(__file__).resolve().parents[1]
SERVICE_SIDE = Path(__file__).resolve().parent / "service_side"
DEFAULT_COMBINATION = "layered-sqlalchemy-structlog"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://template_tests:template_tests@127.0.0.1:5432/postgres"
PACKAGE = "app"  # the default answer; the benchmark renders with the defaults


def find_combination(combination_id: str) -> Combination:
    for combination in combinations():
        if combination.id == combination_id:
            return combination
    known = ", ".join(c.id for c in combinations())
    raise SystemExit(f"unknown combination {combination_id!r}; one of: {known}")


@dataclass(frozen=True)
class Project:
    """A rendered service with its own environment (`uv sync` in its folder)."""

    path: Path

    @property
    def python(self) -> Path:
        return self.path / ".venv" / "bin" / "python"

    def environment(self, **variables: str) -> dict[str, str]:
        """A process environment free of the caller's virtual environment."""
        return clean_environment(**variables)

    def run(self, *command: str | Path, timeout: float = 600, **variables: str) -> None:
        completed = subprocess.run(
            [str(part) for part in command],
            cwd=self.path,
            env=self.environment(**variables),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if completed.returncode != 0:
            shown = " ".join(str(part) for part in command)
            output = (completed.stdout + completed.stderr)[-4000:]
            raise RuntimeError(f"`{shown}` failed in {self.path}:\n{output}")

    def migrate(self, database_url: str) -> None:
        self.run(self.python, "-m", "alembic", "upgrade", "head", DATABASE_URL=database_url)


def render(combination: Combination, destination: Path) -> Project:
    """Render the working tree (uncommitted changes included) and `uv sync` it."""
    source = destination.parent / "template-source"
    copy_working_tree(REPO_ROOT, source)
    render_template(source, destination, combination.data)
    project = Project(destination)
    # Bytecode compiled once: every app would otherwise compile its imports from
    # source at start (where PYTHONDONTWRITEBYTECODE is set), a long wait under
    # callgrind.
    project.run(os.environ.get("UV", "uv"), "sync", "--quiet", UV_COMPILE_BYTECODE="1")
    return project


@contextmanager
def rendered(combination_id: str) -> Iterator[Project]:
    """A freshly rendered and installed project in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="benchmark-") as work:
        yield render(find_combination(combination_id), Path(work) / "service")


@contextmanager
def sqlite_database(project: Project) -> Iterator[str]:
    path = project.path / f"benchmark-{secrets.token_hex(4)}.db"
    try:
        yield f"sqlite+aiosqlite:///{path}"
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgres_database(project: Project, server_url: str) -> Iterator[str]:
    """A new database on the server (its role needs CREATEDB), dropped afterwards."""
    url = urlsplit(server_url)._replace(path=f"/benchmark_{secrets.token_hex(4)}").geturl()
    admin = SERVICE_SIDE / "postgres_admin.py"
    project.run(project.python, admin, "create", url)
    try:
        yield url
    finally:
        project.run(project.python, admin, "drop", url)
