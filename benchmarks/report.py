"""The results as Markdown: one table, the targets, the soak."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from benchmarks.load import ENDPOINTS, LoadResult
from benchmarks.run import (
    CEILING,
    SAME_WORK,
    SERVICE,
    WITHOUT_MIDDLEWARE,
    Measurements,
    Options,
    SoakResult,
    apps_for,
)

REFERENCES = (SAME_WORK, CEILING)  # the ratio columns, in order
DATABASE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# The service's requests/s (or instructions) on these endpoints, as a share of the
# same-work reference's.
TARGET = 0.8
TARGET_ENDPOINTS = ("me", "list", "create")
MIDDLEWARE_BUDGET = 0.10  # what the middleware may cost on the health check
RSS_GROWTH_BUDGET = 0.10


def paired_ratio(numerators: Sequence[LoadResult], denominators: Sequence[LoadResult]) -> float:
    """Median of the per-round ratios: each pair ran back to back, under the same load."""
    return statistics.median(
        a.requests_per_second / b.requests_per_second
        for a, b in zip(numerators, denominators, strict=True)
    )


def _row(
    database: str, endpoint: str, app: str, runs: Sequence[LoadResult], ratios: list[str]
) -> str:
    rates = [run.requests_per_second for run in runs]
    cells = [
        DATABASE_NAMES[database],
        ENDPOINTS[endpoint],
        app,
        f"{statistics.median(rates):,.0f}",
        f"{min(rates):,.0f} to {max(rates):,.0f}",
        f"{statistics.median(run.p50_ms for run in runs):.1f}",
        f"{statistics.median(run.p99_ms for run in runs):.1f}",
        str(sum(run.non_2xx for run in runs)),
        str(sum(run.errors for run in runs)),
        *ratios,
    ]
    return "| " + " | ".join(cells) + " |"


def table(measurements: Measurements, options: Options) -> list[str]:
    lines = [
        "| database | endpoint | app | req/s (median) | req/s (range) | p50 ms | p99 ms "
        "| non-2xx | errors | x same-work reference | x ceiling |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for database in options.databases:
        for endpoint in ENDPOINTS:
            references = [measurements.runs[(database, endpoint, app)] for app in REFERENCES]
            for app in apps_for(endpoint):
                runs = measurements.runs[(database, endpoint, app)]
                ratios = [f"{paired_ratio(runs, reference):.2f}" for reference in references]
                lines.append(_row(database, endpoint, app, runs, ratios))
    return lines


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def targets(measurements: Measurements, options: Options) -> list[str]:
    lines: list[str] = []
    for database in options.databases:
        runs = measurements.runs
        name = DATABASE_NAMES[database]
        for endpoint in TARGET_ENDPOINTS:
            ratio = paired_ratio(
                runs[(database, endpoint, SERVICE)], runs[(database, endpoint, SAME_WORK)]
            )
            lines.append(
                f"- {name}: `{ENDPOINTS[endpoint]}` at {ratio:.2f}x the same-work reference's "
                f"requests/s (target ≥ {TARGET}x: {_verdict(ratio >= TARGET)})"
            )
        with_middleware = paired_ratio(
            runs[(database, "health", SERVICE)], runs[(database, "health", WITHOUT_MIDDLEWARE)]
        )
        cost = 1 - with_middleware
        lines.append(
            f"- {name}: the middleware costs {cost:.1%} of `GET /api/health`'s requests/s "
            f"(service at {with_middleware:.2f}x itself without middleware; target ≤ "
            f"{MIDDLEWARE_BUDGET:.0%}: {_verdict(cost <= MIDDLEWARE_BUDGET)})"
        )
    return lines


def soak_lines(result: SoakResult) -> list[str]:
    load = result.load
    passed = (
        load.errors == 0
        and load.server_errors == 0
        and result.pool_exhausted_lines == 0
        and result.rss_growth < RSS_GROWTH_BUDGET
    )
    return [
        f"Soak, PostgreSQL: {result.seconds:.0f} s of mixed reads and writes (the four "
        f"endpoints in turn) at {result.connections} connections: "
        f"{load.requests:,} requests ({load.requests_per_second:,.0f}/s), "
        f"p50 {load.p50_ms:.1f} ms, p99 {load.p99_ms:.1f} ms, {load.errors} errors, "
        f"{load.server_errors} 5xx, {load.non_2xx} non-2xx, "
        f"{result.pool_exhausted_lines} pool-timeout lines in the service log; resident "
        f"memory {result.rss_first_kib / 1024:.1f} MiB (first 20 s) → "
        f"{result.rss_last_kib / 1024:.1f} MiB (last 20 s), {result.rss_growth:+.1%}. "
        f"{'Passed' if passed else 'FAILED'}.",
    ]


def markdown(
    combination: str,
    options: Options,
    measurements: Measurements | None,
    soak: SoakResult | None,
    load_averages: tuple[float, float],
) -> str:
    lines = [
        f"Combination `{combination}`, one uvicorn worker; wrk with 1 thread and "
        f"{options.connections} connections, {options.rounds} rounds of {options.seconds:.0f} s "
        "per app and endpoint, the apps alternating within each round. 1-minute load "
        f"average {load_averages[0]:.2f} at the start, {load_averages[1]:.2f} at the end.",
        "",
    ]
    if measurements is not None:
        lines += [*table(measurements, options), "", *targets(measurements, options), ""]
    if soak is not None:
        lines += [*soak_lines(soak), ""]
    return "\n".join(lines)
