"""Stand-ins for the base images a rendered service's Dockerfile and compose file
name, made from Debian with `debootstrap --variant=minbase` (tests/test_containers.py),
since base images cannot be pulled here: `python:X.Y-slim` from the Debian release
whose python3 is X.Y, `postgres:N` from Debian's postgresql-N with an entrypoint that
honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB as the official image does.
The host's CA bundle (`SSL_CERT_FILE`) is baked into both, so that the build steps
that download packages trust what this machine trusts.

Their root filesystems are cached between runs (keyed by what goes into them) under
$TEMPLATE_TEST_CONTAINER_CACHE, or ~/.cache/service-template-tests/containers. A
cold cache costs minutes of two debootstraps: `python -m tests.stand_ins`, which
tests/conftest.py starts in the background when a session will run the container
test, makes the missing ones while the other tests run. Each is made under a lock,
so the test waits for one being made rather than making it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.harness import clean_environment, copy_working_tree, render, run_command
from tests.matrix import combinations

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

    image: str  # the one it stands in for, e.g. python:3.13-slim
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
        image=f"python:{tag}",
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
        image=f"postgres:{major}",
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


def cache_directory() -> Path:
    configured = os.environ.get("TEMPLATE_TEST_CONTAINER_CACHE")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "service-template-tests" / "containers"


def archive_path(stand_in: StandIn) -> Path:
    """Where the stand-in's root filesystem is cached: keyed by all that goes into it."""
    key = hashlib.sha256(
        json.dumps([stand_in.suite, stand_in.packages, stand_in.removed, PRUNED]).encode()
    )
    for path, content, mode in stand_in.files:
        key.update(f"{path}:{mode}:".encode() + hashlib.sha256(content).digest())
    return cache_directory() / f"{archive_prefix(stand_in)}{key.hexdigest()[:16]}.tar"


def archive_prefix(stand_in: StandIn) -> str:
    return f"{stand_in.image.replace(':', '-')}-{stand_in.suite}-"


def forget_older_archives(stand_in: StandIn, kept: Path) -> None:
    """Delete the image's archives made before `kept` (another CA bundle or package
    list), which no run asks for again: the cache holds one per image."""
    for archive in kept.parent.glob(f"{archive_prefix(stand_in)}*.tar"):
        if archive != kept:
            archive.unlink(missing_ok=True)
            archive.with_suffix(".lock").unlink(missing_ok=True)


@contextmanager
def locked(path: Path, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive lock on `path` for the block (False if `wait` is False and
    another process holds it); the lock goes with the process that held it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def root_filesystem(stand_in: StandIn, wait: bool = True) -> Path | None:
    """A tar of `debootstrap --variant=minbase` with the stand-in's packages and
    files, from the cache or made now; made by one process at a time, the others
    waiting for it (or, without `wait`, returning None at once)."""
    archive = archive_path(stand_in)
    with locked(archive.with_suffix(".lock"), wait) as held:
        if not held:
            return None
        if not archive.exists():
            make_root_filesystem(stand_in, archive)
            forget_older_archives(stand_in, archive)
    return archive


def make_root_filesystem(stand_in: StandIn, archive: Path) -> None:
    cache = archive.parent
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


def host_ca_bundle() -> bytes:
    """What this machine trusts: downloads here pass a proxy with its own CA."""
    named = os.environ.get("SSL_CERT_FILE") or f"/{CA_BUNDLE}"
    assert Path(named).is_file(), f"no CA bundle at {named} (SSL_CERT_FILE)"
    return Path(named).read_bytes()


def stand_in_for(name: str) -> tuple[StandIn, str | None]:
    """The stand-in for the image `name`, and the Python version it runs, if any."""
    repository, _, tag = name.partition(":")
    if repository == "python":
        return python_stand_in(tag, host_ca_bundle())
    if repository == "postgres":
        return postgres_stand_in(tag, host_ca_bundle()), None
    pytest.fail(f"no stand-in for the base image {name}", pytrace=False)


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


def make_missing(repository: Path) -> None:
    """Make the root filesystems of the stand-ins that the default combination's
    render needs and the cache lacks, at once, skipping those another process makes."""
    with tempfile.TemporaryDirectory(prefix="stand-ins-") as temporary:
        template, project = Path(temporary) / "template", Path(temporary) / "project"
        copy_working_tree(repository, template)
        render(template, project, combinations()[0].data)
        stand_ins = [stand_in_for(name)[0] for name in base_images(project)]
    missing = [stand_in for stand_in in stand_ins if not archive_path(stand_in).exists()]
    with ThreadPoolExecutor(max_workers=max(len(missing), 1)) as pool:
        for made in pool.map(lambda stand_in: root_filesystem(stand_in, wait=False), missing):
            print(made or "made by another process")


def start_making_missing(repository: Path) -> subprocess.Popen[bytes] | None:
    """`python -m tests.stand_ins` in the background, where debootstrap can run;
    its output goes to `making.log` in the cache."""
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        return None  # the container test says why it cannot run
    cache_directory().mkdir(parents=True, exist_ok=True)
    with (cache_directory() / "making.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.stand_ins", str(repository)],
            cwd=repository,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


if __name__ == "__main__":
    # A failure here only costs time: the container test makes what is missing
    # itself and reports why it could not.
    make_missing(Path(sys.argv[1]))
