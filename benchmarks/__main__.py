"""`uv run python -m benchmarks run`: render, serve, seed, load, report.
`uv run python -m benchmarks costs`: instructions per request under callgrind.

See README.md, "Performance of rendered services", benchmarks/run.py and
benchmarks/costs.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import costs
from benchmarks.load import ENDPOINTS, wrk_path
from benchmarks.project import DEFAULT_COMBINATION, DEFAULT_POSTGRES_URL, rendered
from benchmarks.report import markdown
from benchmarks.run import Options, compare, database, soak

POSTGRES_URL_VARIABLE = "BENCHMARK_POSTGRES_URL"
DEFAULT_OUTPUT = Path(tempfile.gettempdir()) / "fastapi-template-benchmark.md"
DEFAULT_COSTS_OUTPUT = Path(tempfile.gettempdir()) / "fastapi-template-costs.md"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="the comparison with the reference, then the soak")
    run.add_argument("--combination", default=DEFAULT_COMBINATION, help="answer combination id")
    run.add_argument("--duration", type=float, default=5, help="seconds of each wrk run")
    run.add_argument("--rounds", type=int, default=5, help="A/B rounds per endpoint")
    run.add_argument("--warmup", type=float, default=2, help="warm-up seconds per app")
    run.add_argument("--connections", type=int, default=16, help="wrk connections")
    run.add_argument(
        "--database",
        action="append",
        choices=["sqlite", "postgresql"],
        help="only this database (repeatable; default both)",
    )
    run.add_argument("--soak", type=float, default=60, help="soak seconds (0: no soak)")
    run.add_argument("--soak-connections", type=int, default=64)
    run.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_VARIABLE, DEFAULT_POSTGRES_URL),
        help=f"asyncpg URL of a server whose role may create databases (${POSTGRES_URL_VARIABLE})",
    )
    run.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown file")
    count = commands.add_parser("costs", help="instructions per request, counted by callgrind")
    count.add_argument("--combination", default=DEFAULT_COMBINATION, help="answer combination id")
    count.add_argument("--requests", type=int, default=300, help="measured requests per endpoint")
    count.add_argument(
        "--endpoint",
        action="append",
        choices=list(ENDPOINTS),
        help="only this endpoint (repeatable; default all)",
    )
    count.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    count.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_VARIABLE, DEFAULT_POSTGRES_URL),
        help=f"asyncpg URL of a server whose role may create databases (${POSTGRES_URL_VARIABLE})",
    )
    count.add_argument("--output", type=Path, default=DEFAULT_COSTS_OUTPUT, help="Markdown file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "costs":
        return count_costs(args)
    if wrk_path() is None:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    options = Options(
        seconds=args.duration,
        rounds=args.rounds,
        connections=args.connections,
        warmup_seconds=args.warmup,
        soak_seconds=args.soak,
        soak_connections=args.soak_connections,
        postgres_url=args.postgres_url,
        databases=tuple(args.database or ("sqlite", "postgresql")),
    )
    load_at_start = os.getloadavg()[0]
    print(f"rendering and installing {args.combination}...", flush=True)
    with rendered(args.combination) as project:
        logs = project.path.parent / "logs"
        measurements = compare(project, options, logs)
        soak_result = soak(project, options, logs) if options.soak_seconds > 0 else None
    report = markdown(
        args.combination, options, measurements, soak_result, (load_at_start, os.getloadavg()[0])
    )
    args.output.write_text(report, encoding="utf-8")
    print(f"\n{report}\n(written to {args.output})")
    return 0


def count_costs(args: argparse.Namespace) -> int:
    if costs.valgrind_path() is None:
        print("valgrind is not installed: apt-get install -y valgrind", file=sys.stderr)
        return 2
    endpoints = args.endpoint or list(ENDPOINTS)
    print(f"rendering and installing {args.combination}...", flush=True)
    with (
        rendered(args.combination) as project,
        database(project, args.database, args.postgres_url) as url,
    ):
        project.migrate(url)
        print("counting (a few minutes under callgrind)...", flush=True)
        workdir = project.path.parent / "costs"
        counted = costs.measure(project, url, args.requests, workdir, endpoints)
    report = costs.markdown(args.combination, counted, endpoints)
    args.output.write_text(report, encoding="utf-8")
    print(f"\n{report}\n(written to {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
