"""The benchmark: the service against two references, on SQLite and PostgreSQL.

For each database: a new database, migrated; the service, the same-work
reference, the ceiling and the service without its middleware each on their own
uvicorn; one seed through the service's API; then for each endpoint, rounds of
wrk runs that alternate between the apps (service, same-work reference, ceiling,
service, ...) so drift in the machine's load falls on all of them. Medians over
the rounds are reported, and each ratio is the median of the per-round ratios.
The soak then runs on PostgreSQL.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import ENDPOINTS, LoadResult, Seed, drive, seed
from benchmarks.project import PACKAGE, Project, postgres_database, sqlite_database
from benchmarks.servers import Server, serve

SERVICE = "service"
SAME_WORK = "same-work reference"  # the service's work by hand: the targets' reference
CEILING = "ceiling"  # the endpoint's query alone: no token, no user
WITHOUT_MIDDLEWARE = "service without middleware"
FACTORIES = {  # module:function, the modules other than the service's in service_side/
    SERVICE: f"{PACKAGE}.main:create_app",
    WITHOUT_MIDDLEWARE: "without_middleware:create_app",
    SAME_WORK: "same_work:create_app",
    CEILING: "reference:create_app",
}
# Log lines that mean the connection pool ran dry (SQLAlchemy's pool TimeoutError).
POOL_EXHAUSTED_MARKERS = ("QueuePool limit", "TimeoutError", "connection timed out")


@dataclass(frozen=True)
class Options:
    seconds: float
    rounds: int
    connections: int
    warmup_seconds: float
    soak_seconds: float
    soak_connections: int
    postgres_url: str
    databases: tuple[str, ...]


@dataclass
class Measurements:
    """wrk results by (database, endpoint, app), in round order."""

    runs: dict[tuple[str, str, str], list[LoadResult]] = field(default_factory=dict)

    def add(self, database: str, endpoint: str, app: str, result: LoadResult) -> None:
        self.runs.setdefault((database, endpoint, app), []).append(result)


@dataclass(frozen=True)
class SoakResult:
    seconds: float
    connections: int
    load: LoadResult
    pool_exhausted_lines: int
    rss_first_kib: float  # mean over the first 20 s
    rss_last_kib: float  # mean over the last 20 s

    @property
    def rss_growth(self) -> float:
        return self.rss_last_kib / self.rss_first_kib - 1


@contextmanager
def database(project: Project, name: str, postgres_url: str) -> Iterator[str]:
    """A new SQLite file, or a new database on the server at `postgres_url`."""
    if name == "sqlite":
        with sqlite_database(project) as url:
            yield url
    else:
        with postgres_database(project, postgres_url) as url:
            yield url


def service_environment(database_url: str) -> dict[str, str]:
    """Production settings: JSON logs, a real secret, tokens that outlive the run."""
    return {
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "production",
        "SECRET_KEY": os.urandom(32).hex(),
        "ACCESS_TOKEN_EXPIRE_MINUTES": "600",
        "ALLOWED_HOSTS": '["127.0.0.1"]',
    }


@contextmanager
def servers(
    project: Project, database_url: str, logs: Path, with_variants: bool = True
) -> Iterator[tuple[dict[str, Server], Seed]]:
    """The service (seeded), and unless told otherwise the two references and
    the service without middleware, all on one database."""
    environment = service_environment(database_url)
    with ExitStack() as stack:
        service = stack.enter_context(
            serve(project, SERVICE, FACTORIES[SERVICE], logs / "service.log", **environment)
        )
        seeded = seed(service.url)
        started = {SERVICE: service}
        if with_variants:
            for app, variables in reference_environments(database_url, environment, seeded).items():
                started[app] = stack.enter_context(
                    serve(
                        project,
                        app,
                        FACTORIES[app],
                        logs / f"{app.replace(' ', '-')}.log",
                        **variables,
                    )
                )
            started[WITHOUT_MIDDLEWARE] = stack.enter_context(
                serve(
                    project,
                    WITHOUT_MIDDLEWARE,
                    FACTORIES[WITHOUT_MIDDLEWARE],
                    logs / "without-middleware.log",
                    BENCHMARK_PACKAGE=PACKAGE,
                    **environment,
                )
            )
        yield started, seeded


def reference_environments(
    database_url: str, service: dict[str, str], seeded: Seed
) -> dict[str, dict[str, str]]:
    """Each reference's settings: the same-work one checks the service's tokens,
    the ceiling answers for the seeded users without any."""
    return {
        SAME_WORK: {"BENCHMARK_DATABASE_URL": database_url, "SECRET_KEY": service["SECRET_KEY"]},
        CEILING: {
            "BENCHMARK_DATABASE_URL": database_url,
            "BENCHMARK_READER_ID": seeded.reader_id,
            "BENCHMARK_WRITER_ID": seeded.writer_id,
        },
    }


def apps_for(endpoint: str) -> list[str]:
    # The middleware's cost is measured where it is the largest share: the health check.
    if endpoint == "health":
        return [SERVICE, WITHOUT_MIDDLEWARE, SAME_WORK, CEILING]
    return [SERVICE, SAME_WORK, CEILING]


def compare(project: Project, options: Options, logs: Path, progress: bool = True) -> Measurements:
    measurements = Measurements()
    for name in options.databases:
        with database(project, name, options.postgres_url) as url:
            project.migrate(url)
            with servers(project, url, logs / name) as (started, seeded):
                for endpoint in ENDPOINTS:
                    measure_endpoint(
                        measurements, name, endpoint, started, seeded, options, progress
                    )
    return measurements


def measure_endpoint(
    measurements: Measurements,
    database_name: str,
    endpoint: str,
    started: dict[str, Server],
    seeded: Seed,
    options: Options,
    progress: bool,
) -> None:
    """Rounds of one wrk run per app, the apps in turn; after a warm-up of each."""
    apps = apps_for(endpoint)
    if options.warmup_seconds > 0:  # pools fill, caches and lazy imports load
        for app in apps:
            drive(started[app].url, endpoint, seeded, options.warmup_seconds, options.connections)
    for round_number in range(1, options.rounds + 1):
        for app in apps:
            result = drive(started[app].url, endpoint, seeded, options.seconds, options.connections)
            measurements.add(database_name, endpoint, app, result)
            if progress:
                print(
                    f"  {database_name} {ENDPOINTS[endpoint]} round {round_number} {app}: "
                    f"{result.requests_per_second:,.0f} req/s",
                    flush=True,
                )


def soak(project: Project, options: Options, logs: Path) -> SoakResult:
    """Mixed reads and writes on PostgreSQL at many connections, watching memory."""
    with (
        database(project, "postgresql", options.postgres_url) as url,
    ):
        project.migrate(url)
        (logs / "soak").mkdir(parents=True, exist_ok=True)
        with servers(project, url, logs / "soak", with_variants=False) as (started, seeded):
            service = started[SERVICE]
            # Warm-up outside the measured window: the pool fills, caches are built.
            drive(service.url, "mixed", seeded, 5, options.soak_connections)
            log_offset = service.log.stat().st_size
            samples: list[tuple[float, int]] = []
            stop = threading.Event()

            def sample() -> None:
                start = time.monotonic()
                while not stop.is_set():
                    samples.append((time.monotonic() - start, service.resident_kib()))
                    stop.wait(0.5)

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            try:
                load = drive(
                    service.url, "mixed", seeded, options.soak_seconds, options.soak_connections
                )
            finally:
                stop.set()
                sampler.join()
            with service.log.open(encoding="utf-8", errors="replace") as log:
                log.seek(log_offset)
                soak_log = log.read()
    window = min(20.0, options.soak_seconds / 3)
    end = samples[-1][0]
    first = [rss for at, rss in samples if at <= window]
    last = [rss for at, rss in samples if at >= end - window]
    return SoakResult(
        seconds=options.soak_seconds,
        connections=options.soak_connections,
        load=load,
        pool_exhausted_lines=sum(
            any(marker in line for marker in POOL_EXHAUSTED_MARKERS)
            for line in soak_log.splitlines()
        ),
        rss_first_kib=statistics.mean(first),
        rss_last_kib=statistics.mean(last),
    )
