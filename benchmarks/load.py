"""Seeding a service through its API, and driving it with wrk on loopback."""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA_SCRIPT = Path(__file__).resolve().parent / "load.lua"
SEEDED_PROJECTS = 20
# Requests the benchmark makes, by the wrk script's mode.
ENDPOINTS = {
    "health": "GET /api/health",
    "me": "GET /api/v1/users/me",
    "list": "GET /api/v1/projects?limit=20",
    "create": "POST /api/v1/projects",
}
WRK_TIMEOUT = "5s"  # a slower response counts as an error


@dataclass(frozen=True)
class Seed:
    """The two users every run uses: reads are the reader's, creates the writer's."""

    reader_id: str
    reader_token: str
    writer_id: str
    writer_token: str


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    server_errors: int  # 5xx, also counted in non_2xx
    errors: int  # connect, read, write and timeout errors

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _call(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _user(base_url: str, name: str) -> tuple[str, str]:
    """Register a user; returns its id and a bearer token."""
    email = f"{name}-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    registration = {"email": email, "password": password, "full_name": name.title()}
    user = _call(
        f"{base_url}/api/v1/auth/register",
        json.dumps(registration).encode(),
        {"Content-Type": "application/json"},
    )
    form = urllib.parse.urlencode({"username": email, "password": password}).encode()
    token = _call(f"{base_url}/api/v1/auth/token", form)
    return str(user["id"]), str(token["access_token"])


def seed(base_url: str) -> Seed:
    """A reader with SEEDED_PROJECTS projects and a writer, made through the API."""
    reader_id, reader_token = _user(base_url, "reader")
    writer_id, writer_token = _user(base_url, "writer")
    headers = {"Authorization": f"Bearer {reader_token}", "Content-Type": "application/json"}
    for number in range(SEEDED_PROJECTS):
        body = {"name": f"Project {number}", "slug": f"project-{number}"}
        _call(f"{base_url}/api/v1/projects", json.dumps(body).encode(), headers)
    return Seed(reader_id, reader_token, writer_id, writer_token)


def wrk_path() -> str | None:
    return shutil.which("wrk")


def drive(base_url: str, mode: str, seed: Seed, seconds: float, connections: int) -> LoadResult:
    """`wrk` for `seconds` against one endpoint (or the mix), on one thread."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    if not base_url.startswith(("http://127.", "http://localhost")):
        raise ValueError(f"load goes to loopback only, not {base_url}")
    command = [
        wrk,
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{max(1, round(seconds))}s",
        "--timeout",
        WRK_TIMEOUT,
        "--script",
        str(LUA_SCRIPT),
        base_url,
        "--",
        mode,
        seed.reader_token,
        seed.writer_token,
        f"b{secrets.token_hex(4)}",  # slug prefix: new for every run
    ]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("BENCHMARK ")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed: {completed.stdout}\n{completed.stderr}")
    raw = json.loads(lines[-1].removeprefix("BENCHMARK "))
    return LoadResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        non_2xx=raw["non_2xx"],
        server_errors=raw["server_errors"],
        errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
    )
