"""The benchmark's smoke test: a rendered service under a few seconds of wrk load.

Not the benchmark itself (`python -m benchmarks run`, see README.md): one
combination, on SQLite, one second per endpoint against the service, the
reference and the service without middleware, on loopback. Every response must
be a 2xx and wrk must see no socket error or timeout.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.load import wrk_path
from benchmarks.project import DEFAULT_COMBINATION, DEFAULT_POSTGRES_URL, rendered
from benchmarks.run import Options, compare

NO_WRK = "wrk is not installed: apt-get install -y wrk (.ci/run installs it)"


@pytest.mark.combination
def test_every_endpoint_answers_a_short_load_without_errors(tmp_path: Path) -> None:
    if wrk_path() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(NO_WRK, pytrace=False)
        pytest.skip(NO_WRK)
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
    with rendered(DEFAULT_COMBINATION) as project:
        measurements = compare(project, options, tmp_path / "logs", progress=False)

    assert measurements.runs, "nothing was measured"
    for (_, endpoint, app), runs in measurements.runs.items():
        for run in runs:
            assert run.requests > 0, f"{app} {endpoint}: no request completed"
            assert run.errors == 0, f"{app} {endpoint}: {run.errors} socket errors"
            assert run.non_2xx == 0, f"{app} {endpoint}: {run.non_2xx} non-2xx responses"
