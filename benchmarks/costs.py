"""Instructions per request, counted by callgrind: a measure that machine load
does not move, for comparing one change to the service with another.

For one database: a new database, migrated and seeded through the service's API
(as `run` seeds it); then the service, the service without middleware and the
reference each run `service_side/costs.py` under `valgrind --tool=callgrind`,
which calls the app in-process for every endpoint. The count covers everything
the app's process executes for a request (the driver's threads included), and
nothing the database server does.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load import ENDPOINTS, Seed, seed
from benchmarks.project import PACKAGE, SERVICE_SIDE, Project
from benchmarks.report import DATABASE_NAMES
from benchmarks.run import REFERENCE, SERVICE, WITHOUT_MIDDLEWARE, service_environment
from benchmarks.servers import serve
from benchmarks.service_side.costs import WARMUP_REQUESTS

FACTORIES = {
    SERVICE: f"{PACKAGE}.main:create_app",
    WITHOUT_MIDDLEWARE: "without_middleware:create_app",
    REFERENCE: "reference:create_app",
}
# callgrind dumps its counters whenever the driver calls this libc function.
MARKER = "getppid"
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def valgrind_path() -> str | None:
    return shutil.which("valgrind")


@dataclass(frozen=True)
class Costs:
    """Instructions per request by (endpoint, app)."""

    database: str
    requests: int
    per_request: dict[tuple[str, str], float]

    def ratio_to_reference(self, endpoint: str, app: str) -> float:
        """As a throughput ratio: above 1 would be cheaper than the reference."""
        return self.per_request[endpoint, REFERENCE] / self.per_request[endpoint, app]

    def middleware_share(self, endpoint: str = "health") -> float:
        without = self.per_request[endpoint, WITHOUT_MIDDLEWARE]
        return self.per_request[endpoint, SERVICE] / without - 1


def measure(
    project: Project,
    database_url: str,
    requests: int,
    workdir: Path,
    endpoints: Sequence[str] = tuple(ENDPOINTS),
) -> Costs:
    environment = service_environment(database_url)
    with serve(
        project, SERVICE, FACTORIES[SERVICE], workdir / "seed.log", **environment
    ) as service:
        seeded = seed(service.url)
    variables = {
        SERVICE: environment,
        WITHOUT_MIDDLEWARE: {**environment, "BENCHMARK_PACKAGE": PACKAGE},
        REFERENCE: {
            "BENCHMARK_DATABASE_URL": database_url,
            "BENCHMARK_READER_ID": seeded.reader_id,
            "BENCHMARK_WRITER_ID": seeded.writer_id,
        },
    }

    def count_app(app: str) -> dict[str, float]:
        return count(project, app, variables[app], seeded, requests, list(endpoints), workdir)

    # Counts do not depend on timing, so the apps may share the machine's cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = dict(zip(FACTORIES, pool.map(count_app, FACTORIES), strict=True))
    per_request = {
        (endpoint, app): counted[app][endpoint] for app in FACTORIES for endpoint in endpoints
    }
    database = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    return Costs(database, requests, per_request)


def count(
    project: Project,
    app: str,
    variables: dict[str, str],
    seeded: Seed,
    requests: int,
    endpoints: list[str],
    workdir: Path,
) -> dict[str, float]:
    """Run the driver under callgrind; the dumps between markers are the endpoints'."""
    output = workdir / app.replace(" ", "-") / "callgrind.out"
    output.parent.mkdir(parents=True, exist_ok=True)
    project.run(
        "valgrind",
        "--tool=callgrind",
        # The driver switches instrumentation on around the measured requests only.
        "--instr-atstart=no",
        f"--dump-before={MARKER}",
        f"--callgrind-out-file={output}",
        project.python,
        SERVICE_SIDE / "costs.py",
        FACTORIES[app],
        str(requests),
        *endpoints,
        BENCHMARK_READER_TOKEN=seeded.reader_token,
        BENCHMARK_WRITER_TOKEN=seeded.writer_token,
        **variables,
    )
    # Dump n is written at the n-th marker: odd ones hold start-up and warm-up,
    # even ones an endpoint's measured requests.
    dumps = sorted(output.parent.glob("callgrind.out.*"), key=lambda p: int(p.suffix[1:]))
    if len(dumps) != 2 * len(endpoints):
        raise RuntimeError(
            f"{app}: expected {2 * len(endpoints)} callgrind dumps, found {len(dumps)};"
            f" did something else call {MARKER}()?"
        )
    return {
        endpoint: instructions(dumps[2 * index + 1]) / requests
        for index, endpoint in enumerate(endpoints)
    }


def instructions(dump: Path) -> int:
    match = _TOTALS.search(dump.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        raise RuntimeError(f"no totals line in {dump}")
    return int(match.group(1))


def markdown(combination: str, costs: Costs, endpoints: Sequence[str]) -> str:
    lines = [
        f"Instructions per request, {combination} on {DATABASE_NAMES[costs.database]},"
        f" {costs.requests} requests per endpoint and app after {WARMUP_REQUESTS} of warm-up"
        " (callgrind):",
        "",
        "| endpoint | app | instructions per request | x reference |",
        "|---|---|--:|--:|",
    ]
    for endpoint in endpoints:
        for app in FACTORIES:
            if app == WITHOUT_MIDDLEWARE and endpoint != "health":
                continue
            lines.append(
                f"| {ENDPOINTS[endpoint]} | {app} | {costs.per_request[endpoint, app]:,.0f}"
                f" | {costs.ratio_to_reference(endpoint, app):.2f} |"
            )
    lines.append("")
    if "health" in endpoints:
        lines.append(
            f"The middleware: {costs.middleware_share():.1%} more instructions on"
            " GET /api/health than the same app without it."
        )
    return "\n".join(lines) + "\n"
