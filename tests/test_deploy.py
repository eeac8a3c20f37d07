"""What a rendered service is deployed with: its Kubernetes manifests and its image's
command, checked the way a platform team's tools check them.

- The manifests (kubernetes/base and the production overlay, as `kubectl kustomize`
  renders them) pass `kubernetes-validate --strict` against the newest Kubernetes
  release it knows, and checkov's Kubernetes policies (a skip only with its reason,
  in the manifest); every variable they set is one the service or uvicorn reads,
  the service's production settings accept them, and the database connections
  they allow at their peak fit a PostgreSQL of the default `max_connections`.
- The Dockerfile passes hadolint and checkov's Dockerfile policies; its command,
  run as it is with two workers under production settings, writes nothing but
  JSON lines, uvicorn's own included.

The manifests and the Dockerfile differ between answer combinations only by the
names in them (the project's slug and package), so they are checked on one render;
the process's log lines differ by the logging choice, so that runs once per choice.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import combination_param, environment_group
from tests.harness import (
    Environments,
    PerCombination,
    RenderedProject,
    clean_environment,
    free_port,
    package_of,
    run_command,
    stop,
    wait_until_listening,
)
from tests.matrix import Combination, combinations

# Pinned here and run with `uv tool run`: checkov brings a hundred distributions of
# its own, which stay out of the template's environment.
CHECKOV = "checkov==3.3.30"

OVERLAYS = {"base": "kubernetes/base", "production": "kubernetes/overlays/production"}

# Variables uvicorn reads itself (its Config, whatever the command line says); the
# test below shows that each one reaches it.
SERVER_VARIABLES = ("WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS")

# What the service needs from its Secret, with a value of the kind each holds.
SECRET_VALUES = {
    "SECRET_KEY": secrets.token_urlsafe(48),
    "DATABASE_URL": "postgresql+asyncpg://service:password@postgresql:5432/service",
}
# Not refused by the settings, but needed all the same: the default SQLite file
# would be written to the pod's read-only filesystem.
REQUIRED_IN_KUBERNETES = ("DATABASE_URL",)

# PostgreSQL's defaults: max_connections, of which superuser_reserved_connections
# are kept for a superuser.
POSTGRES_MAX_CONNECTIONS = 100
POSTGRES_RESERVED_CONNECTIONS = 3
# The migration Job's one connection.
MIGRATION_CONNECTIONS = 1

# Run in the rendered project's environment: which variables are settings, and
# whether production settings built from these variables alone are accepted; and
# what uvicorn's Config makes of its variables.
SETTINGS_PROBE = """
import json, os, sys
from uvicorn import Config
from {package}.core.config import Settings

fields = sorted(
    (field.validation_alias if isinstance(field.validation_alias, str) else name).upper()
    for name, field in Settings.model_fields.items()
)
probes = []
for variables in json.loads(sys.argv[1]):
    for name in [*fields, *variables]:
        os.environ.pop(name, None)
    os.environ.update(variables)
    try:
        Settings()
        refusal = None
    except ValueError as error:
        refusal = str(error)
    server = Config("{package}.main:create_app", factory=True)
    probes.append({{
        "refusal": refusal,
        "server": {{"WEB_CONCURRENCY": str(server.workers),
                    "FORWARDED_ALLOW_IPS": server.forwarded_allow_ips}},
    }})
print(json.dumps({{"fields": fields, "probes": probes}}))
"""


def manifest_combination() -> Combination:
    return combinations()[0]  # the default answers


def one_per_logging_choice() -> list[Any]:
    chosen: dict[str, Combination] = {}
    for combination in combinations():
        chosen.setdefault(combination.data["logging"], combination)
    return [combination_param(combination) for combination in chosen.values()]


def template_tool(name: str) -> str:
    """A command of the template's own environment (its dev dependencies)."""
    path = Path(sys.prefix) / "bin" / name
    if not path.exists():
        pytest.fail(f"{name} is not installed: `uv sync` installs it", pytrace=False)
    return str(path)


@dataclass(frozen=True)
class Manifests:
    project: RenderedProject
    directory: Path  # one file per overlay, as `kubectl kustomize` printed it
    documents: dict[str, list[dict[str, Any]]]  # by overlay

    def of_kind(self, overlay: str, kind: str) -> list[dict[str, Any]]:
        return [document for document in self.documents[overlay] if document["kind"] == kind]

    def one(self, overlay: str, kind: str) -> dict[str, Any]:
        (document,) = self.of_kind(overlay, kind)
        return document


@pytest.fixture(scope="module")
def manifests(
    renders: PerCombination[RenderedProject], tmp_path_factory: pytest.TempPathFactory
) -> Manifests:
    project = renders.get(manifest_combination())
    directory = tmp_path_factory.mktemp("kubernetes")
    documents = {}
    for overlay, path in OVERLAYS.items():
        built = run_command(
            [template_tool("kubectl"), "kustomize", path], project.path, clean_environment()
        )
        assert built.returncode == 0, f"kubectl kustomize {path}:\n{built.tail}"
        (directory / f"{overlay}.yaml").write_text(built.output, encoding="utf-8")
        documents[overlay] = list(yaml.safe_load_all(built.output))
    return Manifests(project, directory, documents)


pytestmark = pytest.mark.combination
grouped = pytest.mark.xdist_group(name=environment_group(manifest_combination()))


def containers(manifests: Manifests, overlay: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for kind in ("Deployment", "Job"):
        for workload in manifests.of_kind(overlay, kind):
            for container in workload["spec"]["template"]["spec"]["containers"]:
                yield f"{kind} {workload['metadata']['name']}", container


def container_variables(manifests: Manifests, overlay: str, container: dict[str, Any]) -> dict:
    """The variables a container gets: its ConfigMaps' data, then its own `env`
    (the Secret's values stand in as SECRET_VALUES)."""
    config_maps = {
        document["metadata"]["name"]: document["data"]
        for document in manifests.of_kind(overlay, "ConfigMap")
    }
    variables: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"unexpected envFrom {source}"
        variables.update(config_maps[source["configMapRef"]["name"]])
    for entry in container.get("env", []):
        if "value" in entry:
            variables[entry["name"]] = entry["value"]
            continue
        key = entry["valueFrom"]["secretKeyRef"]["key"]
        assert key in SECRET_VALUES, f"{entry['name']}: no example value for Secret key {key}"
        variables[entry["name"]] = SECRET_VALUES[key]
    return variables


@grouped
def test_manifests_are_valid_kubernetes(manifests: Manifests) -> None:
    files = sorted(str(path) for path in manifests.directory.glob("*.yaml"))
    validated = run_command(
        [template_tool("kubernetes-validate"), "--strict", *files],
        manifests.directory,
        clean_environment(),
    )
    assert validated.returncode == 0, validated.output
    for overlay, documents in manifests.documents.items():
        assert validated.output.count(f"{overlay}.yaml passed") == len(documents), validated.output


@grouped
def test_manifests_and_dockerfile_pass_checkov(manifests: Manifests) -> None:
    shutil.copy(manifests.project.path / "Dockerfile", manifests.directory / "Dockerfile")
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv is not None, "uv runs checkov"
    command = [uv, "tool", "run", "--from", CHECKOV, "checkov", "--directory", "."]
    command += ["--framework", "kubernetes", "dockerfile", "--output", "json"]
    # --skip-download: no policy metadata from checkov's platform, only the built-in checks.
    command += ["--skip-download", "--compact"]
    checked = run_command(command, manifests.directory, clean_environment())
    reports = json.loads(checked.output[checked.output.index("[") :])
    by_framework = {report["check_type"]: report for report in reports}
    assert set(by_framework) == {"kubernetes", "dockerfile"}, checked.tail
    for framework, report in by_framework.items():
        results = report["results"]
        failed = [(c["check_id"], c["resource"]) for c in results.get("failed_checks", [])]
        assert not failed, f"checkov {framework}: failed {failed}"
        assert results["passed_checks"], f"checkov {framework} checked nothing"
        for check in results.get("skipped_checks", []):
            reason = check["check_result"].get("suppress_comment", "")
            assert len(reason.split()) >= 5, f"{check['check_id']} skipped without a reason"
    assert checked.returncode == 0, checked.tail


@grouped
def test_variables_are_settings_and_production_accepts_them(
    manifests: Manifests, environments: Environments
) -> None:
    project = manifests.project
    workloads = [
        (f"{overlay}: {workload}", container_variables(manifests, overlay, container))
        for overlay in OVERLAYS
        for workload, container in containers(manifests, overlay)
    ]
    script = SETTINGS_PROBE.format(package=package_of(project))
    sets = json.dumps([variables for _, variables in workloads])
    probed = environments.run(project.path, ("python", "-c", script, sets))
    assert probed.returncode == 0, probed.tail
    result = json.loads(probed.output.strip().splitlines()[-1])
    for (workload, variables), probe in zip(workloads, result["probes"], strict=True):
        unknown = sorted(set(variables) - set(result["fields"]) - set(SERVER_VARIABLES))
        assert not unknown, f"{workload}: {unknown} are read by nothing"
        assert variables["ENVIRONMENT"] == "production", workload
        assert probe["refusal"] is None, f"{workload}: {probe['refusal']}"
        for name in REQUIRED_IN_KUBERNETES:
            assert name in variables, f"{workload}: {name} is not set"
        if "Deployment" in workload:  # the web server
            assert set(SERVER_VARIABLES) <= set(variables), workload
        for name in SERVER_VARIABLES:
            if name in variables:
                assert probe["server"][name] == variables[name], f"uvicorn ignores {name}"


@grouped
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_connections_fit_a_small_postgresql(manifests: Manifests, overlay: str) -> None:
    """The README's formula, on the manifests' own figures: every pod the rollout
    may run at once, times its workers, times each worker's pool and overflow, and
    the migration, within what PostgreSQL's default configuration allows."""
    deployment = manifests.one(overlay, "Deployment")
    autoscaler = manifests.one(overlay, "HorizontalPodAutoscaler")
    assert "replicas" not in deployment["spec"], "the autoscaler sets the replicas"
    web = deployment["spec"]["template"]["spec"]["containers"][0]
    settings = container_variables(manifests, overlay, web)
    pods = (
        autoscaler["spec"]["maxReplicas"]
        + deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    )
    per_worker = int(settings["DB_POOL_SIZE"]) + int(settings["DB_MAX_OVERFLOW"])
    peak = pods * int(settings["WEB_CONCURRENCY"]) * per_worker + MIGRATION_CONNECTIONS
    assert peak <= POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED_CONNECTIONS, (
        f"{overlay}: up to {peak} connections"
    )


@grouped
def test_dockerfile_passes_hadolint(manifests: Manifests) -> None:
    """Every rule, at every severity: DL3066 among them, a USER that is a name."""
    linted = run_command(
        [template_tool("hadolint"), "--no-color", "--failure-threshold", "info", "Dockerfile"],
        manifests.project.path,
        clean_environment(),
    )
    assert linted.returncode == 0, linted.output


@grouped
def test_pods_run_as_the_images_user(manifests: Manifests) -> None:
    dockerfile = (manifests.project.path / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)$", dockerfile, flags=re.MULTILINE)
    assert users[-1] == "10001:10001", "the image's user and group, by number"
    for overlay in OVERLAYS:
        for kind in ("Deployment", "Job"):
            pod = manifests.one(overlay, kind)["spec"]["template"]["spec"]
            context = pod["securityContext"]
            assert (context["runAsUser"], context["runAsGroup"]) == (10001, 10001)
            assert context["runAsNonRoot"] is True
            assert context["seccompProfile"] == {"type": "RuntimeDefault"}
            (container,) = pod["containers"]
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }


@grouped
def test_migration_job_runs_alembic(manifests: Manifests) -> None:
    for overlay in OVERLAYS:
        job = manifests.one(overlay, "Job")
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["command"] == ["alembic", "upgrade", "head"]
        web = manifests.one(overlay, "Deployment")["spec"]["template"]["spec"]["containers"][0]
        assert container["image"] == web["image"]
        assert container_variables(manifests, overlay, container) == container_variables(
            manifests, overlay, web
        )


def image_command(project: RenderedProject, port: int) -> list[str]:
    """The Dockerfile's CMD, on a loopback port of this machine."""
    dockerfile = (project.path / "Dockerfile").read_text(encoding="utf-8")
    (command_line,) = re.findall(r"^CMD (\[.*\])$", dockerfile, flags=re.MULTILINE)
    command: list[str] = json.loads(command_line)
    command[command.index("--host") + 1] = "127.0.0.1"
    command[command.index("--port") + 1] = str(port)
    return command


def readiness_request(project: RenderedProject) -> tuple[str, dict[str, str]]:
    """The Deployment's readiness probe: its path and headers."""
    built = subprocess.run(
        [template_tool("kubectl"), "kustomize", OVERLAYS["production"]],
        cwd=project.path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (deployment,) = [d for d in yaml.safe_load_all(built) if d["kind"] == "Deployment"]
    probe = deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]
    headers = {header["name"]: header["value"] for header in probe.get("httpHeaders", [])}
    return probe["path"], headers


def wait_for_line(log: Path, text: str, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while log.read_text(encoding="utf-8").count(text) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"no {count} lines with {text!r}:\n{log.read_text()[-4000:]}")
        time.sleep(0.2)


@pytest.mark.parametrize("served", one_per_logging_choice())
def test_image_command_writes_only_json_lines(
    renders: PerCombination[RenderedProject],
    environments: Environments,
    served: Combination,
    tmp_path: Path,
) -> None:
    """Two workers under production settings, on SQLite: started, asked for the
    readiness probe and a refused host, stopped by SIGTERM to uvicorn alone (as
    Kubernetes stops a pod); every line on stdout and stderr is a JSON object."""
    project = renders.get(served)
    variables = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": '["service.example.com"]',
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        "WEB_CONCURRENCY": "2",
    }
    migrated = environments.run(project.path, ("alembic", "upgrade", "head"), **variables)
    assert migrated.returncode == 0, migrated.tail
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "service.log"
    path, headers = readiness_request(project)
    command = image_command(project, port)
    with log.open("w", encoding="utf-8") as output:
        process = environments.start(project.path, command, output, **variables)
        try:
            wait_until_listening(url, process, log)
            wait_for_line(log, "Application startup complete.", count=2)
            assert httpx.get(url + path, headers=headers).status_code == 200
            assert httpx.get(url + path, headers={"Host": "elsewhere.example"}).status_code == 400
            # To `uv run`, which passes it on to uvicorn's supervisor, and to it alone.
            os.kill(process.pid, signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            stop(process)
    lines = log.read_text(encoding="utf-8").splitlines()
    not_json = []
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            not_json.append(line)
            continue
        if not isinstance(event, dict):
            not_json.append(line)
            continue
        events.append(event)
    assert not not_json, f"{served.id}: lines that are not JSON:\n" + "\n".join(not_json)
    messages = [str(event.get("event")) for event in events]
    # The supervisor's own lines, and the two workers that WEB_CONCURRENCY asked for.
    assert any(message.startswith("Started parent process") for message in messages), messages
    assert any(message.startswith("Stopping parent process") for message in messages), messages
    assert sum(message.startswith("Started server process") for message in messages) == 2
    assert sum(message.startswith("Finished server process") for message in messages) == 2
    assert any(event.get("path") == path and event.get("status_code") == 200 for event in events)
