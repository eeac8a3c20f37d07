"""Register a resource the generator just rendered, in the service's own files.

Run by Copier (see copier.yml's _tasks) in the service's folder, after the
resource's files are written:

    register_resource.py LAYOUT PACKAGE SINGULAR PLURAL

It adds, each as an explicit line that architecture contracts and type checkers
see: the router to main.py's ROUTERS, the table to alembic/env.py's TABLES, and
the feature's repository contract to pyproject.toml. Lines already there are
left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

# Copier runs this file by path; its siblings are the template's extensions.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extensions.contracts import contract_toml, repository_contract
from extensions.formatting import ruff_binary
from extensions.layout import Layout, import_line
from extensions.naming import pascal
from extensions.toolchain import RUFF_VERSION


class RegistrationError(Exception):
    """A file lacks the place a resource is registered in."""


def add_import(source: str, statement: str) -> str:
    """Add an import statement below `from __future__ import annotations` (ruff,
    run on the file afterwards, moves it where it belongs)."""
    if statement in source.splitlines():
        return source
    future = "from __future__ import annotations\n"
    if future not in source:
        msg = f"no `{future.strip()}` to add {statement!r} below"
        raise RegistrationError(msg)
    return source.replace(future, f"{future}{statement}\n", 1)


def add_to_tuple(source: str, name: str, entry: str) -> str:
    """Append `entry` to the one-per-line tuple `name = (` ... `)`."""
    match = re.search(rf"^{name} = \(\n(?P<body>(?:    .*\n)*)\)", source, re.MULTILINE)
    if match is None:
        msg = f"no `{name} = (` with one entry per line"
        raise RegistrationError(msg)
    if f"    {entry},\n" in match.group("body"):
        return source
    end = match.end("body")
    return source[:end] + f"    {entry},\n" + source[end:]


def add_contract(source: str, contract: str) -> str:
    """Append an import-linter contract after the last one."""
    if contract in source:
        return source
    header = re.compile(r"^\[\[tool\.importlinter\.contracts\]\]$", re.MULTILINE)
    headers = [match.start() for match in header.finditer(source)]
    if not headers:
        msg = "no [[tool.importlinter.contracts]] table"
        raise RegistrationError(msg)
    # The last contract ends where the next table starts, or with the file.
    body = source.index("\n", headers[-1]) + 1
    following = re.search(r"^\[", source[body:], re.M)
    end = body + following.start() if following else len(source)
    before = source[:end].rstrip("\n") + "\n\n"
    after = source[end:]
    return before + contract + ("\n" + after if after else "")


def register(project: Path, layout: Layout, singular: str, plural: str) -> None:
    package = layout.package
    edits = {
        project / "src" / package / "main.py": lambda source: add_to_tuple(
            add_import(
                source, import_line(layout.module(plural, "router"), [f"router as {plural}_router"])
            ),
            "ROUTERS",
            f"{plural}_router",
        ),
        project / "alembic" / "env.py": lambda source: add_to_tuple(
            add_import(source, import_line(layout.module(plural, "models"), [pascal(singular)])),
            "TABLES",
            pascal(singular),
        ),
        project / "pyproject.toml": lambda source: add_contract(
            source, contract_toml(repository_contract(layout, plural))
        ),
    }
    # Every file is checked before any is written.
    changed = {}
    for path, edit in edits.items():
        try:
            changed[path] = edit(path.read_text(encoding="utf-8"))
        except (OSError, RegistrationError) as error:
            msg = f"cannot register the {plural} resource in {path.relative_to(project)}: {error}"
            raise SystemExit(msg) from error
    for path, source in changed.items():
        path.write_text(source, encoding="utf-8")
        print(f"registered {plural} in {path.relative_to(project)}")
    # The imports sorted and the lines wrapped by ruff, under the service's settings;
    # no cache, so the service's tree holds only what the template wrote.
    python = [str(path.relative_to(project)) for path in changed if path.suffix == ".py"]
    ruff = ruff_binary(RUFF_VERSION)
    for command in (["check", "--select", "I", "--fix"], ["format"]):
        subprocess.run([ruff, *command, "--quiet", "--no-cache", *python], cwd=project, check=True)


def main(argv: list[str]) -> None:
    kind, package, singular, plural = argv
    layout = Layout(kind, package, resource=plural, resource_entity=singular)
    register(Path.cwd(), layout, singular, plural)


if __name__ == "__main__":
    main(sys.argv[1:])
