"""Property-based tests of every combination's HTTP API with schemathesis.

What is fuzzed is each combination's grown service (tests/harness.py RESOURCES:
projects, and invoices and line items that refer to them): it serves every
operation of a new service from the same code, and resources of every field
type besides, so a new service is not fuzzed apart. It runs under uvicorn on a
SQLite file and on PostgreSQL (which refuses what SQLite stores), with an admin
made by its own CLI; schemathesis reads its OpenAPI schema and sends generated
requests to every operation, the authenticated ones with the admin's token (and
a user's, to compare: tests/schemathesis.toml), in all of its phases, stateful
included, with every check it has (`--checks all`; tests/schemathesis.toml says
which statuses a check accepts, and why). Any 5xx, any status, header, content
type or body the schema does not declare, a schema-valid request refused, a
schema-invalid one accepted, or a 405 whose `Allow` misses a method is a failure.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import zlib
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from extensions.resource import PROJECTS
from tests.harness import (
    CommandResult,
    Environments,
    RenderedProject,
    clean_environment,
    parsed_resources,
    run_command,
    serving_with_admin,
)
from tests.test_service_checks import postgres_url_for

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "tests" / "schemathesis.toml"
# Fixed, so that CI is repeatable (how many examples: tests/schemathesis.toml);
# each run adds its own (`seed_for`), so the 16 runs send 16 sets of requests.
SEED = 20261123
ADMIN_EMAIL = "fuzz-admin@example.com"
ADMIN_PASSWORD = "fuzzing-password-1"
USER_EMAIL = "fuzz-user@example.com"
USER_PASSWORD = "fuzzing-password-2"


def bearer_token(url: str, email: str, password: str) -> str:
    issued = httpx.post(f"{url}/api/v1/auth/token", data={"username": email, "password": password})
    issued.raise_for_status()
    token: str = issued.json()["access_token"]
    return token


def auth_document(url: str, path: Path) -> dict[str, str]:
    """Writes the admin's and a new user's tokens, as tests/schemathesis.toml
    reads them, and returns them. A token lives for 30 minutes; a run takes
    about one."""
    registered = httpx.post(
        f"{url}/api/v1/auth/register",
        json={"email": USER_EMAIL, "password": USER_PASSWORD, "full_name": "Peer"},
    )
    registered.raise_for_status()
    users = {"admin": (ADMIN_EMAIL, ADMIN_PASSWORD), "user": (USER_EMAIL, USER_PASSWORD)}
    tokens = {name: bearer_token(url, *login) for name, login in users.items()}
    auth = [
        {
            "name": name,
            "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {token}"}],
        }
        for name, token in tokens.items()
    ]
    path.write_text(json.dumps({"schemaVersion": "1.0.0", "auth": auth}), encoding="utf-8")
    return tokens


def fuzzed_rows(url: str, token: str) -> dict[str, str]:
    """Rows the admin makes before the run, one of the projects and of each of
    RESOURCES (tests/harness.py), with the fields a create must send: each type's
    first sample value, a `ref` the id of the row made of its target. Their ids,
    as FUZZ_<NAME>_ID: tests/schemathesis.toml puts them in the `ref` fields of
    the resources' bodies (an id schemathesis makes up never names a row of the
    caller's) and in the path of their PATCH (a made-up one is a 404, and
    schemathesis stops sending those)."""
    headers = {"Authorization": f"Bearer {token}"}
    made: dict[str, str] = {}
    for resource in (PROJECTS, *parsed_resources()):
        body = {
            field.name: made[field.target] if field.is_ref else ast.literal_eval(field.samples[0])
            for field in resource.requested
        }
        created = httpx.post(f"{url}{resource.url}", json=body, headers=headers)
        created.raise_for_status()
        made[resource.name] = created.json()["id"]
    ids = {f"FUZZ_{name.upper()}_ID": made_id for name, made_id in made.items()}
    read = set(re.findall(r"\$\{(FUZZ_\w+_ID)\}", CONFIG.read_text(encoding="utf-8")))
    assert read <= ids.keys(), f"{CONFIG.name} reads {sorted(read - ids.keys())}, not made"
    return ids


def seed_for(project: RenderedProject, database: str) -> int:
    """The run's seed: the same for a combination and database in every session."""
    return SEED + zlib.crc32(f"{project.combination.id}-{database}".encode())


def fuzz(url: str, directory: Path, seed: int) -> CommandResult:
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
        "all",
        "--seed",
        str(seed),
        "--generation-database",
        "none",
        "--workers",
        "1",
    ]
    document = directory / "auth.json"
    tokens = auth_document(url, document)
    environment = clean_environment(
        FUZZ_AUTH_DOCUMENT=str(document), **fuzzed_rows(url, tokens["admin"])
    )
    return run_command(command, REPO_ROOT, environment)


def assert_fuzzing_finds_nothing(
    project: RenderedProject,
    environments: Environments,
    directory: Path,
    database: str,
    database_url: str | None = None,
) -> None:
    run_seed = seed_for(project, database)
    with serving_with_admin(
        environments, project, directory, ADMIN_EMAIL, ADMIN_PASSWORD, database_url
    ) as service:
        result = fuzz(service.url, directory, run_seed)

    if result.returncode != 0:
        pytest.fail(
            f"{project.combination.id} on {database}, seed {run_seed}: schemathesis "
            f"found failures\n{result.tail}",
            pytrace=False,
        )
    assert '"unhandled_error"' not in (directory / "service.log").read_text(encoding="utf-8")


# Run in the rendered project's environment, which has its driver.
RECREATE_DATABASE = """
import asyncio, os, asyncpg
from urllib.parse import urlsplit

async def main():
    url = urlsplit(os.environ["DATABASE_URL"].replace("+asyncpg", ""))
    server = await asyncpg.connect(url._replace(path="/postgres").geturl())
    name = url.path.lstrip("/")
    await server.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await server.execute(f'CREATE DATABASE "{name}"')
    await server.close()

asyncio.run(main())
"""


def new_postgres_database(project: RenderedProject, environments: Environments) -> str:
    """A new, empty PostgreSQL database of this project's own, as an asyncpg URL."""
    url = postgres_url_for(project, prefix="fuzz_")
    created = environments.run(project.path, ("python", "-c", RECREATE_DATABASE), DATABASE_URL=url)
    assert created.returncode == 0, created.tail
    return url


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_generated_requests_find_no_failure(
    grown: RenderedProject, environments: Environments, tmp_path: Path, database: str
) -> None:
    url = new_postgres_database(grown, environments) if database == "postgresql" else None
    assert_fuzzing_finds_nothing(grown, environments, tmp_path, database, url)


# Which operations tests/schemathesis.toml lets answer a valid request with a
# 422, and in which phase: only the lists (a made-up cursor), and the coverage
# phase of the bodies with `ref` fields (ids it cannot be given). A filter of two
# `include-*` keys selects what either matches: one such let every POST to a
# collection answer a valid body with a 422, unnoticed.
ACCEPTS_A_422 = {
    ("GET", "/api/v1/projects"): {"coverage", "fuzzing", "stateful"},
    ("GET", "/api/v1/invoices"): {"coverage", "fuzzing", "stateful"},
    ("POST", "/api/v1/invoices"): {"coverage"},
    ("PATCH", "/api/v1/line-items/{line_item_id}"): {"coverage"},
    ("POST", "/api/v1/projects"): set(),
    ("PATCH", "/api/v1/projects/{project_id}"): set(),
    ("GET", "/api/v1/invoices/{invoice_id}"): set(),
    ("DELETE", "/api/v1/invoices/{invoice_id}"): set(),
    ("POST", "/api/v1/auth/token"): set(),
}


def configured_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BaseSchema:
    """A schema of the operations above, read with tests/schemathesis.toml."""
    document = tmp_path / "auth.json"
    header = {"name": "Authorization", "value": "Bearer unused"}
    auth = [{"name": name, "fixedHeaders": [header]} for name in ("admin", "user")]
    document.write_text(json.dumps({"schemaVersion": "1.0.0", "auth": auth}), encoding="utf-8")
    monkeypatch.setenv("FUZZ_AUTH_DOCUMENT", str(document))
    for name in re.findall(r"\$\{(FUZZ_\w+_ID)\}", CONFIG.read_text(encoding="utf-8")):
        monkeypatch.setenv(name, "00000000-0000-0000-0000-000000000000")
    paths: dict[str, dict[str, object]] = {}
    for method, path in ACCEPTS_A_422:
        paths.setdefault(path, {})[method.lower()] = {"responses": {"200": {"description": "OK"}}}
    return schemathesis.openapi.from_dict(
        {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths},
        config=SchemathesisConfig.from_path(CONFIG),
    )


def test_a_422_is_accepted_only_where_the_config_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = configured_schema(tmp_path, monkeypatch)
    for (method, path), expected in ACCEPTS_A_422.items():
        operation = schema[path][method]
        accepting = {
            phase
            for phase in ("coverage", "fuzzing", "stateful")
            if "422"
            in schema.config.checks_config_for(
                operation=operation, phase=phase
            ).positive_data_acceptance.expected_statuses
        }
        assert accepting == expected, (method, path)


def test_no_unit_phase_deletes_a_row_made_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ids responses carried are those rows' too: a DELETE does not take them.
    schema = configured_schema(tmp_path, monkeypatch)
    for (method, path), _ in ACCEPTS_A_422.items():
        phases = schema.config.phases_for(operation=schema[path][method])
        reusing = {
            name
            for name, phase in (("coverage", phases.coverage), ("fuzzing", phases.fuzzing))
            if phase.extra_data_sources.is_enabled
        }
        assert reusing == (set() if method == "DELETE" else {"coverage", "fuzzing"}), path
