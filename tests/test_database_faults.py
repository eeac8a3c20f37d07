"""Every combination rides out a PostgreSQL outage without a restart.

The rendered service runs under uvicorn against a cluster the test owns. While
the database is stopped, the health check answers 503 `degraded` within a
bounded time and other requests get the 503 envelope; the process stays up;
once the database is back, the same process serves again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.harness import Environments, RenderedProject, serving
from tests.postgres import PrivateCluster, find_bindir

# The service's connect timeout during the test; the outage answers must come
# within a small multiple of it.
CONNECT_TIMEOUT_SECONDS = 2
ANSWER_WITHIN_SECONDS = 3 * CONNECT_TIMEOUT_SECONDS
RECOVERY_WITHIN_SECONDS = 30


@pytest.fixture(scope="session")
def cluster() -> Iterator[PrivateCluster]:
    bindir = find_bindir()
    if bindir is None:
        message = "PostgreSQL's initdb is not installed (apt-get install postgresql-15)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    cluster = PrivateCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


def timed(request: httpx.Request, client: httpx.Client) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.send(request)
    return response, time.monotonic() - started


def test_the_service_rides_out_a_database_outage(
    rendered: RenderedProject,
    environments: Environments,
    cluster: PrivateCluster,
    tmp_path: Path,
) -> None:
    database = "faults_" + rendered.combination.id.replace("-", "_")
    variables = {
        "DATABASE_URL": cluster.create_database(database),
        "DB_CONNECT_TIMEOUT_SECONDS": str(CONNECT_TIMEOUT_SECONDS),
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
    }
    migrated = environments.run(rendered.path, ("alembic", "upgrade", "head"), **variables)
    assert migrated.returncode == 0, migrated.tail

    with (
        serving(environments, rendered, tmp_path / "service.log", **variables) as service,
        httpx.Client(base_url=service.url, timeout=30) as client,
    ):
        account = {"email": "ops@example.com", "password": "outage-proof-1", "full_name": "Ops"}
        assert client.post("/api/v1/auth/register", json=account).status_code == 201
        token = client.post(
            "/api/v1/auth/token",
            data={"username": account["email"], "password": account["password"]},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        project = {"name": "Uptime", "slug": "uptime"}
        assert client.post("/api/v1/projects", json=project, headers=auth).status_code == 201

        cluster.stop()
        try:
            health, took = timed(client.build_request("GET", "/api/health"), client)
            assert health.status_code == 503
            assert health.json() == {"status": "degraded", "database": "unhealthy"}
            assert took < ANSWER_WITHIN_SECONDS

            for request in (
                client.build_request("GET", "/api/v1/projects", headers=auth),
                client.build_request("POST", "/api/v1/projects", json=project, headers=auth),
            ):
                response, took = timed(request, client)
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
                assert took < ANSWER_WITHIN_SECONDS
            assert service.running
        finally:
            cluster.start()

        deadline = time.monotonic() + RECOVERY_WITHIN_SECONDS
        while client.get("/api/health").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        listed = client.get("/api/v1/projects", headers=auth)
        assert listed.status_code == 200
        assert [p["slug"] for p in listed.json()["data"]] == ["uptime"]
        assert service.running
