"""Property-based tests of every combination's HTTP API with schemathesis.

The rendered service runs under uvicorn on a SQLite file, with an admin made by
its own CLI; schemathesis reads its OpenAPI schema and sends generated requests
to every operation, the authenticated ones with the admin's token
(tests/schemathesis_hooks.py), in all of its phases, stateful included, with
every check it has (`--checks all`; tests/schemathesis.toml says which
statuses a check accepts, and why). Any 5xx, any status, header, content type
or body the schema does not declare, a schema-valid request refused, a
schema-invalid one accepted, or a 405 whose `Allow` misses a method is a failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import environment_group
from tests.harness import (
    CommandResult,
    Environments,
    PerCombination,
    RenderedProject,
    clean_environment,
    run_command,
    serving_with_admin,
)
from tests.matrix import Combination, combinations

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = REPO_ROOT / "tests" / "schemathesis.toml"
# Bounded, so that a combination takes seconds; fixed, so that CI is repeatable.
MAX_EXAMPLES = 15
SEED = 20261123
ADMIN_EMAIL = "fuzz-admin@example.com"
ADMIN_PASSWORD = "fuzzing-password-1"
# One grown service is fuzzed, the default combination's: its resources' API is
# the same in every combination, and a run costs half a minute of CPU.
GROWN = combinations()[0]


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
        "all",
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


def assert_fuzzing_finds_nothing(
    project: RenderedProject, environments: Environments, directory: Path
) -> None:
    with serving_with_admin(
        environments, project, directory, ADMIN_EMAIL, ADMIN_PASSWORD
    ) as service:
        result = fuzz(service.url)

    if result.returncode != 0:
        pytest.fail(
            f"{project.combination.id}: schemathesis found failures\n{result.tail}",
            pytrace=False,
        )
    assert '"unhandled_error"' not in (directory / "service.log").read_text(encoding="utf-8")


def test_generated_requests_find_no_failure(
    rendered: RenderedProject, environments: Environments, tmp_path: Path
) -> None:
    assert_fuzzing_finds_nothing(rendered, environments, tmp_path)


@pytest.mark.parametrize(
    "grown_combination",
    [
        pytest.param(
            GROWN,
            id=GROWN.id,
            marks=[
                pytest.mark.combination,
                pytest.mark.xdist_group(name=environment_group(GROWN)),
            ],
        )
    ],
)
def test_generated_requests_to_a_grown_service_find_no_failure(
    grown_combination: Combination,
    grown_services: PerCombination[RenderedProject],
    environments: Environments,
    tmp_path: Path,
) -> None:
    grown = grown_services.get(grown_combination)
    assert_fuzzing_finds_nothing(grown, environments, tmp_path)
