"""Drives one app in-process for `python -m benchmarks costs`, under callgrind.

    python costs.py FACTORY REQUESTS ENDPOINT...

FACTORY is `module:function` (the service's, or one of the modules here). Each
request is one ASGI call, as uvicorn makes it; HTTP parsing and sockets, which
every app pays alike, are left out. Around each endpoint's measured requests the
script calls os.getppid(), on which the harness has callgrind dump its counters,
so that every second dump holds one endpoint's requests and nothing else. The
harness starts callgrind with instrumentation off: start-up and warm-up run at
the speed of plain valgrind, and the script switches it on only around the
measured requests. Any response that is not a 2xx ends the run with an error.

Environment: the app's own settings, BENCHMARK_READER_TOKEN and
BENCHMARK_WRITER_TOKEN.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

WARMUP_REQUESTS = 50  # pools fill, statement caches and lazy imports load

Request = tuple[str, str, bytes, list[tuple[bytes, bytes]], bytes]


def requests() -> dict[str, Callable[[], Request]]:
    reader = [(b"authorization", f"Bearer {os.environ['BENCHMARK_READER_TOKEN']}".encode())]
    writer = [
        (b"authorization", f"Bearer {os.environ['BENCHMARK_WRITER_TOKEN']}".encode()),
        (b"content-type", b"application/json"),
    ]

    def create() -> Request:
        slug = f"costs-{uuid.uuid4().hex}"
        body = f'{{"name": "Costs {slug}", "slug": "{slug}"}}'.encode()
        return ("POST", "/api/v1/projects", b"", writer, body)

    return {
        "health": lambda: ("GET", "/api/health", b"", [], b""),
        "me": lambda: ("GET", "/api/v1/users/me", b"", reader, b""),
        "list": lambda: ("GET", "/api/v1/projects", b"limit=20", reader, b""),
        "create": create,
    }


async def call(app: Any, request: Request) -> None:
    method, path, query, headers, body = request
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if not 200 <= status < 300:
        raise SystemExit(f"{method} {path} answered {status}")


def instrumentation(state: str) -> None:
    """Switch callgrind's instrumentation of this process "on" or "off".

    Through callgrind's monitor command, which valgrind polls for only while this
    process runs: so wait for vgdb by polling, never in a blocking call.
    """
    vgdb = shutil.which("vgdb") or "vgdb"
    command = [vgdb, f"--pid={os.getpid()}", "instrumentation", state]
    switch = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while switch.poll() is None:
        pass
    if switch.returncode != 0:
        assert switch.stderr is not None
        raise SystemExit(f"`{' '.join(command)}` failed: {switch.stderr.read().decode()}")


async def drive(app: Any, count: int, endpoints: list[str]) -> None:
    made = requests()
    async with app.router.lifespan_context(app):
        for endpoint in endpoints:
            for _ in range(WARMUP_REQUESTS):
                await call(app, made[endpoint]())
            instrumentation("on")
            os.getppid()  # callgrind dumps: the measured requests start
            for _ in range(count):
                await call(app, made[endpoint]())
            os.getppid()  # and end
            instrumentation("off")


def main() -> None:
    factory, count, *endpoints = sys.argv[1:]
    module, function = factory.split(":")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    app = getattr(importlib.import_module(module), function)()
    try:  # the event loop uvicorn picks when it is installed
        import uvloop

        run: Callable[..., None] = uvloop.run
    except ImportError:
        run = asyncio.run
    run(drive(app, int(count), endpoints))


if __name__ == "__main__":
    main()
