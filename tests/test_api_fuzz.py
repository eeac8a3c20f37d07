"""Property-based tests of every combination's HTTP API with schemathesis.

The rendered service runs under uvicorn, on a SQLite file and on PostgreSQL
(which refuses what SQLite stores), with an admin made by its own CLI;
schemathesis reads its OpenAPI schema and sends generated requests to every
operation, the authenticated ones with the admin's token, some with hostile text
in their strings (tests/schemathesis_hooks.py). Any 5xx, and any status, content
type or body the schema does not declare, is a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.harness import (
    CommandResult,
    Environments,
    RenderedProject,
    clean_environment,
    package_of,
    run_command,
    serving,
)
from tests.test_service_checks import postgres_url_for

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "tests" / "schemathesis.toml"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
# Bounded, so that a combination takes seconds; fixed, so that CI is repeatable.
MAX_EXAMPLES = 15
SEED = 20261123
ADMIN_EMAIL = "fuzz-admin@example.com"
ADMIN_PASSWORD = "fuzzing-password-1"


def fuzz(url: str) -> CommandResult:
    """Run schemathesis against the service at `url`."""
    schemathesis = Path(sys.executable).parent / "schemathesis"
    command = [
        str(schemathesis),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"{url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
    ]
    # The hooks module is imported by name, from this repository.
    environment = clean_environment(
        PYTHONPATH=str(REPO_ROOT),
        SERVICE_URL=url,
        FUZZ_EMAIL=ADMIN_EMAIL,
        FUZZ_PASSWORD=ADMIN_PASSWORD,
    )
    return run_command(command, REPO_ROOT, environment)


# Run in the rendered project's environment, which has its driver.
RECREATE_DATABASE = """
import asyncio, os, asyncpg
from urllib.parse import urlsplit

async def main():
    url = urlsplit(os.environ["DATABASE_URL"].replace("+asyncpg", ""))
    server = await asyncpg.connect(url._replace(path="/postgres").geturl())
    name = url.path.lstrip("/")
    await server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await server.execute(f'CREATE DATABASE "{name}"')
    await server.close()

asyncio.run(main())
"""


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_generated_requests_find_no_failure(
    rendered: RenderedProject, environments: Environments, tmp_path: Path, database: str
) -> None:
    project = rendered.path
    if database == "postgresql":
        url = postgres_url_for(rendered, prefix="fuzz_")
        created = environments.run(project, ("python", "-c", RECREATE_DATABASE), DATABASE_URL=url)
        assert created.returncode == 0, created.tail
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
    variables = {"DATABASE_URL": url, "ENVIRONMENT": "test", "LOG_FORMAT": "json"}
    migrated = environments.run(project, ("alembic", "upgrade", "head"), **variables)
    assert migrated.returncode == 0, migrated.tail
    package = package_of(rendered)
    create_admin = ("python", "-m", f"{package}.cli", "create-admin", "--email", ADMIN_EMAIL)
    admin = environments.run(project, create_admin, ADMIN_PASSWORD=ADMIN_PASSWORD, **variables)
    assert admin.returncode == 0, admin.tail

    log = tmp_path / "service.log"
    with serving(environments, rendered, log, **variables) as service:
        result = fuzz(service.url)

    if result.returncode != 0:
        pytest.fail(
            f"{rendered.combination.id}: schemathesis found failures\n{result.tail}",
            pytrace=False,
        )
    assert '"unhandled_error"' not in log.read_text(encoding="utf-8")
