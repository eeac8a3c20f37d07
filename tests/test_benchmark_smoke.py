"""The benchmarks' smoke tests: a rendered service under a few seconds of wrk load,
and its instructions per request counted under callgrind.

Not the benchmarks themselves (`python -m benchmarks run` and `costs`, see
README.md): one combination, rendered once for both tests, on SQLite. Under wrk,
one second per endpoint against the service, both references and the service
without middleware, on loopback: every response must be a 2xx and wrk must see
no socket error or timeout. Under callgrind, a few requests of two endpoints per
app: each must answer a 2xx, and the counts must be those of real requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks import costs
from benchmarks.load import wrk_path
from benchmarks.project import (
    DEFAULT_COMBINATION,
    DEFAULT_POSTGRES_URL,
    Project,
    rendered,
    sqlite_database,
)
from benchmarks.run import (
    CEILING,
    SAME_WORK,
    SERVICE,
    WITHOUT_MIDDLEWARE,
    Options,
    apps_for,
    compare,
)

pytestmark = [pytest.mark.combination, pytest.mark.xdist_group(name="benchmark")]


def require(tool: str, found: str | None) -> None:
    if found is None:
        message = f"{tool} is not installed: apt-get install -y {tool} (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    with rendered(DEFAULT_COMBINATION) as rendered_project:
        yield rendered_project


def test_every_endpoint_answers_a_short_load_without_errors(
    project: Project, tmp_path: Path
) -> None:
    require("wrk", wrk_path())
    options = Options(
        seconds=1,
        rounds=1,
        connections=4,
        warmup_seconds=0,
        soak_seconds=0,
        soak_connections=0,
        postgres_url=DEFAULT_POSTGRES_URL,  # unused: SQLite only
        databases=("sqlite",),
    )
    measurements = compare(project, options, tmp_path / "logs", progress=False)

    assert measurements.runs, "nothing was measured"
    for (_, endpoint, app), runs in measurements.runs.items():
        for run in runs:
            assert run.requests > 0, f"{app} {endpoint}: no request completed"
            assert run.errors == 0, f"{app} {endpoint}: {run.errors} socket errors"
            assert run.non_2xx == 0, f"{app} {endpoint}: {run.non_2xx} non-2xx responses"


def test_instructions_per_request_are_counted_for_every_app(
    project: Project, tmp_path: Path
) -> None:
    require("valgrind", costs.valgrind_path())
    endpoints = ["health", "list"]
    with sqlite_database(project) as url:
        project.migrate(url)
        counted = costs.measure(project, url, 3, tmp_path, endpoints)

    assert set(counted.per_request) == {
        (endpoint, app) for endpoint in endpoints for app in apps_for(endpoint)
    }
    for (endpoint, app), instructions in counted.per_request.items():
        # A request through FastAPI and a database driver runs far more than this.
        assert instructions > 100_000, f"{app} {endpoint}: {instructions:,.0f}"
    per_request = counted.per_request
    # The token check and the user's lookup come before the ceiling's one query.
    assert per_request["list", SERVICE] > per_request["list", CEILING]
    assert per_request["list", SAME_WORK] > per_request["list", CEILING]
    assert per_request["health", SERVICE] > per_request["health", WITHOUT_MIDDLEWARE]
    assert counted.database == "sqlite"
    report = costs.markdown(DEFAULT_COMBINATION, counted, endpoints)
    assert "| GET /api/health | service without middleware |" in report
    assert f"{counted.middleware_share():.1%} more instructions" in report
