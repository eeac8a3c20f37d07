"""Instructions per request, counted by callgrind: a measure that machine load
does not move, for comparing one change to the service with another.

For one database: a new database, migrated and seeded through the service's API
(as `run` seeds it); then the service, the service without middleware, the
same-work reference and the ceiling each run `service_side/costs.py` under
`valgrind --tool=callgrind`,
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
from benchmarks.report import DATABASE_NAMES, REFERENCES, TARGET, TARGET_ENDPOINTS
from benchmarks.run import (
    FACTORIES,
    SAME_WORK,
    SERVICE,
    WITHOUT_MIDDLEWARE,
    apps_for,
    reference_environments,
    service_environment,
)
from benchmarks.servers import serve
from benchmarks.service_side.costs import WARMUP_REQUESTS

# callgrind dumps its counters whenever the driver calls this libc function.
MARKER = "getppid"
# callgrind runs a program some 50 times slower, and a loaded machine slows it
# again: an app's run may take many minutes.
COUNT_TIMEOUT_SECONDS = 3 * 3600
_TOTALS = re.compile(r"^totals:\s+(\d+)", re.MULTILINE)


def valgrind_path() -> str | None:
    return shutil.which("valgrind")


@dataclass(frozen=True)
class Costs:
    """Instructions per request by (endpoint, app)."""

    database: str
    requests: int
    per_request: dict[tuple[str, str], float]

    def ratio(self, endpoint: str, app: str, reference: str) -> float:
        """As a throughput ratio: above 1 would be cheaper than the reference."""
        return self.per_request[endpoint, reference] / self.per_request[endpoint, app]

    def middleware_instructions(self, endpoint: str = "health") -> float:
        without = self.per_request[endpoint, WITHOUT_MIDDLEWARE]
        return self.per_request[endpoint, SERVICE] - without

    def middleware_share(self, endpoint: str = "health") -> float:
        without = self.per_request[endpoint, WITHOUT_MIDDLEWARE]
        return self.middleware_instructions(endpoint) / without


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
    # Under callgrind, opening a connection takes far longer than the service's
    # default 5 s allows; 60 s is asyncpg's own default, which the references use.
    environment = {**environment, "DB_CONNECT_TIMEOUT_SECONDS": "60"}
    variables = {
        SERVICE: environment,
        WITHOUT_MIDDLEWARE: {**environment, "BENCHMARK_PACKAGE": PACKAGE},
        **reference_environments(database_url, environment, seeded),
    }
    # Each app counts the endpoints it is compared on (the middleware's on health).
    counted_endpoints = {
        app: [endpoint for endpoint in endpoints if app in apps_for(endpoint)] for app in FACTORIES
    }

    def count_app(app: str) -> dict[str, float]:
        return count(
            project, app, variables[app], seeded, requests, counted_endpoints[app], workdir
        )

    # Counts do not depend on timing, so the apps may share the machine's cores.
    apps = [app for app in FACTORIES if counted_endpoints[app]]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        counted = dict(zip(apps, pool.map(count_app, apps), strict=True))
    per_request = {
        (endpoint, app): per_endpoint
        for app, by_endpoint in counted.items()
        for endpoint, per_endpoint in by_endpoint.items()
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
        timeout=COUNT_TIMEOUT_SECONDS,
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
        "| endpoint | app | instructions per request | x same-work reference | x ceiling |",
        "|---|---|--:|--:|--:|",
    ]
    for endpoint in endpoints:
        for app in apps_for(endpoint):
            ratios = " | ".join(f"{costs.ratio(endpoint, app, ref):.2f}" for ref in REFERENCES)
            lines.append(
                f"| {ENDPOINTS[endpoint]} | {app} | {costs.per_request[endpoint, app]:,.0f}"
                f" | {ratios} |"
            )
    lines.append("")
    for endpoint in TARGET_ENDPOINTS:
        if endpoint in endpoints:
            ratio = costs.ratio(endpoint, SERVICE, SAME_WORK)
            verdict = "met" if ratio >= TARGET else "NOT met"
            lines.append(
                f"- {ENDPOINTS[endpoint]}: the service at {ratio:.2f}x the same-work"
                f" reference (target ≥ {TARGET}x: {verdict})"
            )
    if "health" in endpoints:
        lines.append(
            f"- The middleware: {costs.middleware_instructions():,.0f} instructions per request,"
            f" {costs.middleware_share():.1%} more instructions on GET /api/health than the"
            " same app without it."
        )
    return "\n".join(lines) + "\n"
