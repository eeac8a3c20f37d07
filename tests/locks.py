"""Move the date a service's dependencies resolve as of, and check that every
combination locks: `uv run python -m tests.locks [--as-of now|<timestamp>]`.

A rendered service's pyproject.toml has `[tool.uv] exclude-newer` set to
extensions/toolchain.py's DEPENDENCIES_AS_OF, so that its uv.lock holds the
versions the template's tests ran with. Run this after a change to the rendered
pyproject.toml's dependencies: with `--as-of now` when a new bound needs a newer
release than the date allows. Each combination of the working tree is rendered;
the projects of one ORM x logging pair must declare the same dependencies (the
layout changes none), and one of them is locked by `uv lock` on the service's
Python (pyenv's). Prints what each pair locks.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from extensions import toolchain
from tests.harness import clean_environment, copy_working_tree, pyenv_python, render, run_command
from tests.matrix import Combination, combinations

REPO_ROOT = Path(__file__).resolve().parents[1]
AS_OF_LINE = re.compile(r'^DEPENDENCIES_AS_OF = "[^"]*"$', re.M)


def lock_key(combination: Combination) -> tuple[str, str]:
    return combination.data["orm"], combination.data["logging"]


def declared(project: Path) -> dict[str, Any]:
    """What pyproject.toml declares that decides the lock (the name aside)."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    metadata = pyproject["project"]
    return {
        "requires-python": metadata.get("requires-python"),
        "dependencies": metadata.get("dependencies", []),
        "optional-dependencies": metadata.get("optional-dependencies", {}),
        "dependency-groups": pyproject.get("dependency-groups", {}),
        "tool.uv": pyproject.get("tool", {}).get("uv", {}),
    }


def locked_versions(project: Path) -> dict[str, str]:
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    return {package["name"]: package["version"] for package in lock["package"]}


def set_as_of(toolchain_file: Path, timestamp: str) -> None:
    text = toolchain_file.read_text(encoding="utf-8")
    updated, count = AS_OF_LINE.subn(f'DEPENDENCIES_AS_OF = "{timestamp}"', text)
    if count != 1:
        msg = f"{toolchain_file}: no single DEPENDENCIES_AS_OF line"
        raise SystemExit(msg)
    toolchain_file.write_text(updated, encoding="utf-8")


def lock_all(root: Path, work: Path, uv: str) -> dict[str, dict[str, str]]:
    """Render every combination of the template at `root` into `work` and lock one
    project per ORM x logging pair; returns each pair's locked versions."""
    template = work / "template"
    copy_working_tree(root, template)
    python = pyenv_python(toolchain.PYTHON_VERSION)
    locked = {}
    for (orm, logging), group in itertools.groupby(
        sorted(combinations(root / "copier.yml"), key=lock_key), key=lock_key
    ):
        projects = []
        for combination in group:
            render(template, work / combination.id, combination.data)
            projects.append(work / combination.id)
        first, *others = projects
        for other in others:
            if declared(other) != declared(first):
                msg = f"{other.name} declares other dependencies than {first.name}"
                raise SystemExit(msg)
        command = [uv, "lock", "--python", str(python)]
        result = run_command(command, first, clean_environment(UV_PYTHON_DOWNLOADS="never"))
        if result.returncode != 0:
            msg = f"{orm}-{logging}: `{result.shown}` failed:\n{result.tail}"
            raise SystemExit(msg)
        locked[f"{orm}-{logging}"] = locked_versions(first)
    return locked


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.locks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--as-of",
        metavar="TIMESTAMP",
        help="move DEPENDENCIES_AS_OF first: `now`, or an RFC 3339 time such as "
        "2026-12-03T00:00:00Z",
    )
    args = parser.parse_args(argv)
    toolchain_file = REPO_ROOT / "extensions" / "toolchain.py"
    if args.as_of:
        now = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        set_as_of(toolchain_file, now if args.as_of == "now" else args.as_of)
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    with tempfile.TemporaryDirectory(prefix="template-locks-") as scratch:
        try:
            locked = lock_all(REPO_ROOT, Path(scratch), uv)
        except LookupError as error:  # the service's Python is not installed
            print(error, file=sys.stderr)
            return 1
    as_of = AS_OF_LINE.search(toolchain_file.read_text(encoding="utf-8"))
    print(as_of.group() if as_of else "DEPENDENCIES_AS_OF: not found")
    for pair, versions in locked.items():
        shown = ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
        print(f"{pair}: {len(versions)} packages: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
