"""The OpenAPI contract of every combination, and of a grown service, proven
with tools no one here wrote.

- The document a service serves passes openapi-spec-validator, and is the same
  for every combination (so one generated client serves them all: it is
  generated once per distinct document and session, not assumed to be), for a
  new service and for a grown one.
- openapi-python-client generates a client from it; that client and a program
  written against it (tests/api_client_flow.py) pass `mypy --strict`, and the
  program runs the whole flow against the running grown service of each
  combination: register, log in, create, list with cursor and offset
  pagination, get, patch, delete, users/me, the admin list, and each documented
  error. A grown service serves every operation of a new one from the same
  code, so the flow runs once per combination, there.
- spectral's `oas` ruleset (tests/spectral.yaml) finds nothing in it, not even
  a hint. Without spectral-cli the test skips after all else passed, saying so;
  under CI=true (.ci/run installs it) a missing spectral fails the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

from tests.harness import (
    Environments,
    RenderedProject,
    clean_environment,
    package_of,
    run_command,
    serving_with_admin,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
FLOW = REPO_ROOT / "tests" / "api_client_flow.py"
SPECTRAL_RULESET = REPO_ROOT / "tests" / "spectral.yaml"
# Pinned, so that CI is repeatable; bump it with the other dependencies.
GENERATOR = "openapi-python-client==0.29.1"
CLIENT_PACKAGE = "service_client"
GENERATOR_CONFIG = {
    "project_name_override": "service-client",
    "package_name_override": CLIENT_PACKAGE,
}
# The generator's own static client.py (not generated from the document) passes
# `*args: object` to httpx's typed __exit__, which mypy --strict refuses; every
# module the document decides is checked.
MYPY_CONFIG = f"""\
[mypy]
strict = True

[mypy-{CLIENT_PACKAGE}.client]
ignore_errors = True
"""
SPECTRAL_MISSING = "npm install --global @stoplight/spectral-cli (or set $SPECTRAL)"
ADMIN_EMAIL = "client-admin@example.com"
ADMIN_PASSWORD = "client-admin-password"
# What `GET /openapi.json` answers, without a server: the app's own openapi().
SERVED_DOCUMENT = (
    "import json; from {package}.main import create_app; print(json.dumps(create_app().openapi()))"
)


@dataclass
class GeneratedClients:
    """Clients generated and type-checked this session, one per distinct document."""

    root: Path
    uv: str
    spectral: str | None
    checked: dict[str, Path] = field(default_factory=dict)  # digest -> directory
    linted: set[str] = field(default_factory=set)  # digests spectral found nothing in
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)  # kind -> first

    def same_as_the_others(self, kind: str, combination: str, document: dict[str, Any]) -> str:
        """The document's digest; it must equal that of every other `kind` seen."""
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
        first_combination, first_digest = self.documents.setdefault(kind, (combination, digest))
        assert digest == first_digest, (
            f"{combination} serves another OpenAPI document than {first_combination}"
        )
        return digest

    def checked_client(self, digest: str, document: dict[str, Any]) -> Path:
        """A directory holding the generated package, which passed mypy --strict
        together with the flow program."""
        if digest in self.checked:
            return self.checked[digest]
        directory = self.root / digest
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
        (directory / "config.json").write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
        (directory / "mypy.ini").write_text(MYPY_CONFIG, encoding="utf-8")
        generate = [
            self.uv,
            "tool",
            "run",
            "--from",
            GENERATOR,
            "openapi-python-client",
            "generate",
            "--path",
            "openapi.json",
            "--config",
            "config.json",
            "--meta",
            "none",
            "--output-path",
            CLIENT_PACKAGE,
        ]
        generated = run_command(generate, directory, clean_environment())
        assert generated.returncode == 0, generated.tail
        assert "Warning" not in generated.output, generated.tail
        mypy = [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--cache-dir",
            str(self.root / "mypy-cache"),
            str(FLOW),
            CLIENT_PACKAGE,
        ]
        typed = run_command(mypy, directory, clean_environment(MYPYPATH=str(directory)))
        assert typed.returncode == 0, f"mypy --strict:\n{typed.tail}"
        self.checked[digest] = directory
        return directory

    def lint(self, digest: str) -> None:
        """spectral's `oas` ruleset on a document checked_client wrote."""
        if self.spectral is None or digest in self.linted:
            return
        command = [
            self.spectral,
            "lint",
            "--ruleset",
            str(SPECTRAL_RULESET),
            "--format",
            "json",
            "--fail-severity",
            "hint",
            "--quiet",
            "openapi.json",
        ]
        linted = run_command(command, self.checked[digest], clean_environment())
        problems = json.loads(linted.output)
        found = [
            f"{p['code']} at {'.'.join(map(str, p['path']))}: {p['message']}" for p in problems
        ]
        assert found == [], "spectral:\n" + "\n".join(found)
        assert linted.returncode == 0, linted.tail
        self.linted.add(digest)


@pytest.fixture(scope="session")
def generated_clients(tmp_path_factory: pytest.TempPathFactory) -> GeneratedClients:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv is not None, "uv is not installed: it runs openapi-python-client"
    # As .ci/run installs it, or wherever $SPECTRAL says.
    spectral = os.environ.get("SPECTRAL") or shutil.which("spectral")
    if spectral is None and os.environ.get("CI") == "true":
        pytest.fail(f"spectral-cli is not installed: {SPECTRAL_MISSING}", pytrace=False)
    return GeneratedClients(tmp_path_factory.mktemp("clients"), uv, spectral)


def assert_client_flow_passes(
    project: RenderedProject,
    kind: str,
    environments: Environments,
    clients: GeneratedClients,
    directory: Path,
) -> None:
    with serving_with_admin(
        environments, project, directory, ADMIN_EMAIL, ADMIN_PASSWORD
    ) as service:
        document = httpx.get(f"{service.url}/openapi.json").raise_for_status().json()
        validate(document)
        digest = clients.same_as_the_others(kind, project.combination.id, document)
        client = clients.checked_client(digest, document)
        clients.lint(digest)
        flow = run_command(
            [sys.executable, str(FLOW), service.url, ADMIN_EMAIL, ADMIN_PASSWORD],
            REPO_ROOT,
            clean_environment(PYTHONPATH=str(client)),
        )
    assert flow.returncode == 0, f"the generated client's flow failed:\n{flow.tail}"
    assert '"unhandled_error"' not in (directory / "service.log").read_text(encoding="utf-8")
    if clients.spectral is None:
        pytest.skip(f"all but spectral passed: {SPECTRAL_MISSING}")


def test_a_new_service_documents_an_api_a_typed_client_is_generated_from(
    rendered: RenderedProject, environments: Environments, generated_clients: GeneratedClients
) -> None:
    """The document the app serves at /openapi.json, read from the app itself."""
    served = environments.run(
        rendered.path,
        ("python", "-c", SERVED_DOCUMENT.format(package=package_of(rendered))),
        ENVIRONMENT="test",
    )
    assert served.returncode == 0, served.tail
    document = json.loads(served.output)
    validate(document)
    digest = generated_clients.same_as_the_others("rendered", rendered.combination.id, document)
    generated_clients.checked_client(digest, document)
    generated_clients.lint(digest)
    if generated_clients.spectral is None:
        pytest.skip(f"all but spectral passed: {SPECTRAL_MISSING}")


def test_a_generated_client_of_a_grown_service_runs_the_whole_flow(
    grown: RenderedProject,
    environments: Environments,
    generated_clients: GeneratedClients,
    tmp_path: Path,
) -> None:
    assert_client_flow_passes(grown, "grown", environments, generated_clients, tmp_path)
