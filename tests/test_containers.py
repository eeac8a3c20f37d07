"""The rendered image and compose file, run for real with podman.

One render (the default answers): its Dockerfile is built unchanged, and its
docker-compose.yml brought up (PostgreSQL, the one-shot migration, the web
process); the API is driven through the published port, and the stack stopped
with SIGTERM, as `docker compose stop` does.

Base images cannot be pulled here, so local stand-ins are imported under the
names the Dockerfile and the compose file use (tests/stand_ins.py).

podman runs with a configuration of this test's own (containers.conf,
storage.conf, registries.conf, all in the session's temporary directory): runc,
no default ulimits, its own storage and networks, and no registry to pull from.
Skipped where podman, runc or debootstrap is missing or not root; failed instead
when CI is set, where .ci/run installs them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.harness import (
    CommandResult,
    Environments,
    PerCombination,
    RenderedProject,
    clean_environment,
    free_port,
    run_command,
)
from tests.matrix import Combination, combinations
from tests.stand_ins import (
    archive_path,
    base_images,
    forget_older_archives,
    postgres_stand_in,
    python_stand_in,
    root_filesystem,
    stand_in_for,
)

# Debian 12's podman-compose (1.0.3) ignores depends_on conditions and stops
# every container with a 1 s timeout: a current release, pinned, run by uv.
PODMAN_COMPOSE = "podman-compose==1.6.0"

SERVICE_USER = "10001:10001"
STORAGE_SIZE = "8g"  # a tmpfs takes memory only for what is written to it
READY_SECONDS = 120
STARTED_SECONDS = 120


def container_combination() -> Combination:
    return combinations()[0]  # the default answers


# No xdist group: the test needs no environment of the rendered project's, so
# the scheduler may give its minutes to whichever worker is free (it starts
# them first: tests/conftest.py).
pytestmark = [pytest.mark.combination, pytest.mark.containers, pytest.mark.minutes]


def missing_tools() -> str | None:
    """Why podman cannot run here, or None."""
    missing = [tool for tool in ("podman", "runc", "debootstrap") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not installed (.ci/run installs them)"
    if os.geteuid() != 0:
        return "debootstrap and podman's own storage need root"
    return None


def unavailable(reason: str) -> None:
    """Skip, but fail in CI, where .ci/run installs what the test needs."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the container test: {reason}", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------------- podman


@dataclass(frozen=True)
class Podman:
    root: Path  # this session's configuration, storage and networks
    environment: dict[str, str]

    def run(self, *arguments: str, cwd: Path | None = None, **variables: str) -> CommandResult:
        return run_command(
            ["podman", *arguments], cwd or self.root, {**self.environment, **variables}
        )

    def check(self, *arguments: str, cwd: Path | None = None, **variables: str) -> str:
        result = self.run(*arguments, cwd=cwd, **variables)
        assert result.returncode == 0, f"{result.shown}:\n{result.tail}"
        return result.output

    def compose(self, project: Path, *arguments: str, **variables: str) -> CommandResult:
        uv = os.environ.get("UV") or shutil.which("uv")
        assert uv is not None, "uv runs podman-compose"
        command = [uv, "tool", "run", "--from", PODMAN_COMPOSE, "podman-compose", *arguments]
        return run_command(command, project, {**self.environment, **variables})


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    reason = missing_tools()
    if reason:
        unavailable(reason)
    root = tmp_path_factory.mktemp("podman")
    # Images and containers in memory: the stand-ins and the image are many small
    # files, which a disk mounted with online discard is slow to write and took
    # 90 s to delete at the end; a tmpfs is gone at once.
    storage = root / "storage"
    storage.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", f"size={STORAGE_SIZE},mode=0700", "tmpfs", str(storage)]
    in_memory = run_command(mount, root, {}).returncode == 0
    (root / "containers.conf").write_text(
        "[containers]\n"
        "default_ulimits = []\n"
        "[engine]\n"
        'runtime = "runc"\n'
        f'tmp_dir = "{root / "engine"}"\n'
        "[network]\n"
        f'network_config_dir = "{root / "networks"}"\n',
        encoding="utf-8",
    )
    (root / "storage.conf").write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{storage}"\nrunroot = "{root / "run"}"\n',
        encoding="utf-8",
    )
    # No registry at all: every image is a local stand-in or built here.
    (root / "registries.conf").write_text("unqualified-search-registries = []\n", encoding="utf-8")
    environment = clean_environment(
        CONTAINERS_CONF=str(root / "containers.conf"),
        CONTAINERS_STORAGE_CONF=str(root / "storage.conf"),
        CONTAINERS_REGISTRIES_CONF=str(root / "registries.conf"),
        # Docker's image format keeps the Dockerfile's HEALTHCHECK (OCI's has none).
        BUILDAH_FORMAT="docker",
    )
    tool = Podman(root, environment)
    info = tool.run("info")
    if info.returncode != 0:
        unavailable(f"podman cannot run here:\n{info.tail}")
    try:
        yield tool
    finally:
        tool.run("rm", "--all", "--force")
        tool.run("volume", "rm", "--all", "--force")
        if in_memory:
            # podman leaves its layers' overlay mounts inside: detach them all with it.
            run_command(["umount", "--lazy", str(storage)], root, {})
        shutil.rmtree(storage, ignore_errors=True)


def build_stand_in(podman: Podman, name: str) -> None:
    """Import a local image named `name` (`python:3.13-slim`, `postgres:15`)."""
    stand_in, python = stand_in_for(name)
    changes = [argument for setting in stand_in.settings for argument in ("--change", setting)]
    podman.check("import", "--quiet", *changes, str(root_filesystem(stand_in)), name)
    if python is not None:
        reported = podman.check("run", "--rm", name, "python", "--version")
        assert reported.startswith(f"Python {python}."), f"{name} runs {reported}"


# ------------------------------------------------------------------------ the test


def container_of(podman: Podman, project_name: str, service: str) -> str:
    names = podman.check(
        "ps", "--all", "--format", "{{.Names}}",
        "--filter", f"label=io.podman.compose.project={project_name}",
        "--filter", f"label=com.docker.compose.service={service}",
    ).split()  # fmt: skip
    assert len(names) == 1, f"{service}: containers {names}"
    return names[0]


def wait_for_condition(podman: Podman, container: str, condition: str) -> None:
    """What `depends_on` asks of a dependency before the dependent starts."""
    deadline = time.monotonic() + STARTED_SECONDS
    if condition == "service_completed_successfully":
        waited = podman.run("wait", container)
        assert waited.output.strip() == "0", f"{container} exited with {waited.output}:\n" + (
            podman.run("logs", container).tail
        )
        return
    assert condition in ("service_healthy", "service_started"), condition
    while condition == "service_healthy":
        # The compose file's own healthcheck, run as its interval would.
        if podman.run("healthcheck", "run", container).returncode == 0:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{container} never healthy:\n{podman.run('logs', container).tail}")
        time.sleep(1)


def start_order(compose: dict) -> list[str]:
    """The services, each after those it depends on."""
    ordered: list[str] = []
    services = compose["services"]

    def visit(name: str) -> None:
        for dependency in services[name].get("depends_on", {}):
            visit(dependency)
        if name not in ordered:
            ordered.append(name)

    for name in services:
        visit(name)
    return ordered


def readme_compose_command(project: Path) -> str:
    readme = (project / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^.*\bdocker compose up\b.*$", readme, re.MULTILINE)
    assert len(commands) == 1, f"README.md: compose commands {commands}"
    return commands[0]


def test_image_and_compose_file_serve_and_stop_cleanly(
    renders: PerCombination[RenderedProject], environments: Environments, podman: Podman
) -> None:
    project = renders.get(container_combination()).path
    # As a team has it after the first `uv sync`: with the uv.lock the image installs.
    failed_sync = environments.sync(project)
    assert failed_sync is None, failed_sync.tail
    for image in base_images(project):
        build_stand_in(podman, image)

    compose_file = project / "docker-compose.yml"
    compose = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    # Every variable the compose file requires is given by the README's command.
    required = re.findall(r"\$\{(\w+):\?", compose_file.read_text(encoding="utf-8"))
    command = readme_compose_command(project)
    assert command.endswith("docker compose up --build"), command
    for name in required:
        assert f"{name}=" in command, f"the README's `{command}` does not set {name}"

    project_name = f"containers-{secrets.token_hex(4)}"
    port = free_port()
    variables = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "APP_PORT": str(port),
        "COMPOSE_PROJECT_NAME": project_name,
    }
    built = podman.compose(project, "build", **variables)
    assert built.returncode == 0, built.tail
    # podman 4.3 cannot start a container whose `--requires` dependency has
    # exited (its graph omits a running dependency's own), which podman-compose
    # gives every dependent: each service is started alone, once the conditions
    # of its depends_on hold, as Compose does.
    try:
        for service in start_order(compose):
            for dependency, rule in compose["services"][service].get("depends_on", {}).items():
                dependency_container = container_of(podman, project_name, dependency)
                wait_for_condition(podman, dependency_container, rule["condition"])
            up = podman.compose(project, "up", "--detach", "--no-deps", service, **variables)
            assert up.returncode == 0, up.tail
        app = container_of(podman, project_name, "app")
        drive_the_api(podman, app, port)
        checked_user_and_filesystem(podman, app)
        # SIGTERM, then up to the service's stop_grace_period before a kill.
        stopped = podman.compose(project, "stop", **variables)
        assert stopped.returncode == 0, stopped.tail
        state = json.loads(podman.check("inspect", app))[0]["State"]
        logs = podman.check("logs", app)
        assert state["ExitCode"] == 0, f"the web process exited {state['ExitCode']}:\n{logs}"
        check_log_lines(logs)
    finally:
        podman.compose(project, "down", "--volumes", **variables)


def drive_the_api(podman: Podman, app: str, port: int) -> None:
    # ALLOWED_HOSTS in the compose file admits `localhost`.
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, headers={"Host": "localhost"}, timeout=10) as client:
        deadline = time.monotonic() + READY_SECONDS
        while True:
            try:
                ready = client.get("/api/health")
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"never ready:\n{podman.run('logs', app).tail}")
            time.sleep(0.5)
        assert ready.json()["status"] == "healthy"
        assert client.get("/api/health/live").status_code == 200
        user = {"email": "owner@example.com", "password": "a long passphrase", "full_name": "O"}
        registered = client.post("/api/v1/auth/register", json=user)
        assert registered.status_code == 201, registered.text
        token = client.post(
            "/api/v1/auth/token", data={"username": user["email"], "password": user["password"]}
        )
        assert token.status_code == 200, token.text
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        created = client.post("/api/v1/projects", json={"name": "Apollo", "slug": "apollo"})
        assert created.status_code == 201, created.text
        listed = client.get("/api/v1/projects")
        assert listed.status_code == 200, listed.text
        assert [p["slug"] for p in listed.json()["data"]] == ["apollo"]
        assert client.get("/api/v1/projects/nope").json()["error"]["code"]


def checked_user_and_filesystem(podman: Podman, app: str) -> None:
    config = json.loads(podman.check("inspect", app))[0]
    assert config["Config"]["User"] == SERVICE_USER
    assert config["HostConfig"]["ReadonlyRootfs"] is True
    assert podman.check("exec", app, "id", "-u").strip() == SERVICE_USER.split(":")[0]
    written = podman.run("exec", app, "touch", "/app/written")
    assert "Read-only file system" in written.output, written.output
    # The image's own HEALTHCHECK, as Docker would run it.
    assert podman.run("healthcheck", "run", app).returncode == 0


def check_log_lines(logs: str) -> None:
    """Every line the web process wrote is a JSON object, its stop included."""
    events = []
    for line in logs.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}\n{logs}")
        assert isinstance(event, dict), line
        events.append(event)
    messages = [str(event.get("event")) for event in events]
    assert any(message.startswith("Shutting down") for message in messages), messages
    assert any(message.startswith("Finished server process") for message in messages), messages
    assert any(event.get("path") == "/api/v1/projects" for event in events), messages


def test_the_cache_keeps_one_archive_per_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new CA bundle (a new machine) or package list makes a new archive; the
    ones it replaces are deleted, the other images' kept."""
    monkeypatch.setenv("TEMPLATE_TEST_CONTAINER_CACHE", str(tmp_path))
    python = python_stand_in("3.13-slim", b"an old CA bundle")[0]
    postgres = postgres_stand_in("15", b"an old CA bundle")
    old, other = archive_path(python), archive_path(postgres)
    new = archive_path(python_stand_in("3.13-slim", b"a new CA bundle")[0])
    for archive in (old, other, new):
        archive.write_bytes(b"")
    assert len({old, other, new}) == 3

    forget_older_archives(python, new)

    assert sorted(tmp_path.iterdir()) == sorted([other, new])
