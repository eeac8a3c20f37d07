"""The rendered image and compose file, run for real with podman.

One render (the default answers): its Dockerfile is built unchanged, and its
docker-compose.yml brought up (PostgreSQL, the one-shot migration, the web
process); the API is driven through the published port, and the stack stopped
with SIGTERM, as `docker compose stop` does.

Base images cannot be pulled here, so local stand-ins are built under the names
the Dockerfile and the compose file use, from Debian with `debootstrap
--variant=minbase`: `python:X.Y-slim` from the Debian release whose python3 is
X.Y, `postgres:N` from Debian's postgresql-N with an entrypoint that honours
POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB as the official image does.
The host's CA bundle (`SSL_CERT_FILE`) is baked into both, so that the build
steps that download packages trust what this machine trusts. The root
filesystems are cached between runs (keyed by what goes into them) under
$TEMPLATE_TEST_CONTAINER_CACHE, or ~/.cache/service-template-tests/containers.

podman runs with a configuration of this test's own (containers.conf,
storage.conf, registries.conf, all in the session's temporary directory): runc,
no default ulimits, its own storage and networks, and no registry to pull from.
Skipped where podman, runc or debootstrap is missing or not root; failed instead
when CI is set, where .ci/run installs them.
"""

from __future__ import annotations

import hashlib
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

# Debian 12's podman-compose (1.0.3) ignores depends_on conditions and stops
# every container with a 1 s timeout: a current release, pinned, run by uv.
PODMAN_COMPOSE = "podman-compose==1.6.0"

# The Debian release whose python3 is each Python version, and whose
# postgresql-N is each PostgreSQL major version.
DEBIAN_PYTHON = {"3.11": "bookworm", "3.13": "trixie"}
DEBIAN_POSTGRESQL = {"15": "bookworm"}

# Space the stand-ins need not carry.
PRUNED = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man")

CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"

# The official image's contract, as far as a compose file uses it: on the first
# start the data directory is made with POSTGRES_USER as its superuser, whose
# password is POSTGRES_PASSWORD, and POSTGRES_DB is created; then the server runs
# as the postgres user, accepting password logins from every address.
POSTGRES_ENTRYPOINT = """\
#!/bin/sh
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    password_file="$(mktemp)"
    printf '%s\\n' "$POSTGRES_PASSWORD" >"$password_file"
    chown postgres "$password_file"
    as_postgres initdb --username="$user" --pwfile="$password_file" \\
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm "$password_file"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$database" != postgres ]; then
        echo "CREATE DATABASE \\"$database\\"" |
            as_postgres postgres --single -D "$PGDATA" postgres >/dev/null
    fi
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$@"
"""


@dataclass(frozen=True)
class StandIn:
    """A base image made from Debian: a root filesystem and its image settings."""

    suite: str
    packages: tuple[str, ...]
    files: tuple[tuple[str, bytes, int], ...]  # (path, content, mode) added to it
    removed: tuple[str, ...]  # glob patterns
    settings: tuple[str, ...]  # Dockerfile instructions, for `podman import --change`


def python_stand_in(tag: str, ca_bundle: bytes) -> tuple[StandIn, str]:
    version = re.fullmatch(r"(\d+\.\d+)(?:\.\d+)?-slim", tag)
    python = version.group(1) if version else tag
    if python not in DEBIAN_PYTHON:
        pytest.fail(
            f"python:{tag}: no Debian release here has that Python as its python3 "
            f"(stand-ins: {', '.join(f'python:{v}-slim' for v in DEBIAN_PYTHON)})",
            pytrace=False,
        )
    stand_in = StandIn(
        suite=DEBIAN_PYTHON[python],
        packages=("python3", "python3-pip", "python-is-python3", "ca-certificates"),
        files=((CA_BUNDLE, ca_bundle, 0o644),),
        # As in the official image, `pip install` as root outside a virtual
        # environment is allowed: Debian's marker would refuse it.
        removed=("usr/lib/python3*/EXTERNALLY-MANAGED",),
        settings=(
            "ENV LANG=C.UTF-8",
            f"ENV SSL_CERT_FILE=/{CA_BUNDLE}",  # uv reads it; pip uses the system store
            'CMD ["python3"]',
        ),
    )
    return stand_in, python


def postgres_stand_in(major: str, ca_bundle: bytes) -> StandIn:
    if major not in DEBIAN_POSTGRESQL:
        pytest.fail(f"postgres:{major}: no stand-in for that PostgreSQL", pytrace=False)
    return StandIn(
        suite=DEBIAN_POSTGRESQL[major],
        packages=(f"postgresql-{major}", "ca-certificates"),
        files=(
            (CA_BUNDLE, ca_bundle, 0o644),
            ("usr/local/bin/docker-entrypoint.sh", POSTGRES_ENTRYPOINT.encode(), 0o755),
        ),
        removed=(),
        settings=(
            "ENV LANG=C.UTF-8",
            "ENV PGDATA=/var/lib/postgresql/data",
            f"ENV PATH=/usr/lib/postgresql/{major}/bin:/usr/local/sbin:/usr/local/bin"
            ":/usr/sbin:/usr/bin:/sbin:/bin",
            'ENTRYPOINT ["docker-entrypoint.sh"]',
            'CMD ["postgres", "-c", "listen_addresses=*"]',
            "STOPSIGNAL SIGINT",
            "EXPOSE 5432",
        ),
    )


SERVICE_USER = "10001:10001"
READY_SECONDS = 120
STARTED_SECONDS = 120


def container_combination() -> Combination:
    return combinations()[0]  # the default answers


# No xdist group: the test needs no environment of the rendered project's, so
# the scheduler may give its minutes to whichever worker is free.
pytestmark = [pytest.mark.combination, pytest.mark.containers]


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
        "[storage]\n"
        'driver = "overlay"\n'
        f'graphroot = "{root / "storage"}"\n'
        f'runroot = "{root / "run"}"\n',
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
        shutil.rmtree(root / "storage", ignore_errors=True)


# -------------------------------------------------------------------- stand-ins


def cache_directory() -> Path:
    configured = os.environ.get("TEMPLATE_TEST_CONTAINER_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "service-template-tests" / "containers"


def root_filesystem(stand_in: StandIn) -> Path:
    """A tar of `debootstrap --variant=minbase` with the stand-in's packages and
    files, cached under a key of everything that goes into it."""
    key = hashlib.sha256(
        json.dumps([stand_in.suite, stand_in.packages, stand_in.removed, PRUNED]).encode()
    )
    for path, content, mode in stand_in.files:
        key.update(f"{path}:{mode}:".encode() + hashlib.sha256(content).digest())
    cache = cache_directory()
    archive = cache / f"{stand_in.suite}-{key.hexdigest()[:16]}.tar"
    if archive.exists():
        return archive
    cache.mkdir(parents=True, exist_ok=True)
    tree = archive.with_suffix(".building")
    shutil.rmtree(tree, ignore_errors=True)
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(stand_in.packages)}"]
    built = run_command([*command, stand_in.suite, str(tree)], cache, clean_environment())
    assert built.returncode == 0, f"debootstrap {stand_in.suite}:\n{built.tail}"
    for pattern in [f"{directory}/*" for directory in PRUNED] + list(stand_in.removed):
        for path in tree.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    for relative, content, mode in stand_in.files:
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).unlink(missing_ok=True)  # a symbolic link, perhaps
        (tree / relative).write_bytes(content)
        (tree / relative).chmod(mode)
    partial = archive.with_suffix(".partial")
    packed = run_command(["tar", "-C", str(tree), "-cf", str(partial), "."], cache, {})
    assert packed.returncode == 0, packed.tail
    partial.rename(archive)
    shutil.rmtree(tree)
    return archive


def host_ca_bundle() -> bytes:
    """What this machine trusts: downloads here pass a proxy with its own CA."""
    named = os.environ.get("SSL_CERT_FILE") or f"/{CA_BUNDLE}"
    assert Path(named).is_file(), f"no CA bundle at {named} (SSL_CERT_FILE)"
    return Path(named).read_bytes()


def build_stand_in(podman: Podman, name: str) -> None:
    """Import a local image named `name` (`python:3.13-slim`, `postgres:15`)."""
    repository, _, tag = name.partition(":")
    if repository == "python":
        stand_in, python = python_stand_in(tag, host_ca_bundle())
    elif repository == "postgres":
        stand_in = postgres_stand_in(tag, host_ca_bundle())
    else:
        pytest.fail(f"no stand-in for the base image {name}", pytrace=False)
    changes = [argument for setting in stand_in.settings for argument in ("--change", setting)]
    podman.check("import", "--quiet", *changes, str(root_filesystem(stand_in)), name)
    if repository == "python":
        reported = podman.check("run", "--rm", name, "python", "--version")
        assert reported.startswith(f"Python {python}."), f"{name} runs {reported}"


def base_images(project: Path) -> list[str]:
    """The images the Dockerfile starts from and the compose file runs."""
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    stages: set[str] = set()
    names: list[str] = []
    for image, stage in re.findall(
        r"^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", dockerfile, re.MULTILINE | re.IGNORECASE
    ):
        if image not in stages and image != "scratch":
            names.append(image)
        if stage:
            stages.add(stage)
    compose = yaml.safe_load((project / "docker-compose.yml").read_text(encoding="utf-8"))
    names += [service["image"] for service in compose["services"].values() if "image" in service]
    return sorted(set(names))


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
