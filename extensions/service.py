"""The service a render goes into: its recorded answers, and whether a resource
can be added to it now.

`copier copy` run in a service's folder adds a resource to it; these read what
is there (the answers files, git's state, the migrations) to decide what is
rendered and to refuse, before anything is asked, a folder that is not ready.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

# The answers file of the service itself; each resource records its own beside it.
SERVICE_ANSWERS_FILE = ".copier-answers.yml"

# The lines tasks/register_resource.py adds to; a service without them predates
# the resource generator (copier update brings them).
REGISTRIES = {
    "src/{package}/main.py": "ROUTERS = (\n",
    "alembic/env.py": "TABLES = (\n",
    "pyproject.toml": "[[tool.importlinter.contracts]]\n",
}


def read_answers(path: Path) -> dict[str, Any]:
    """The answers recorded in an answers file, or {} when there is none.

    Read directly rather than through Copier's `_external_data`, which warns on
    every `copier copy` that the file is missing.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    return parse_answers(text)


def parse_answers(text: str) -> dict[str, Any]:
    """The answers in an answers file's text ({} for anything but a mapping)."""
    answers = yaml.safe_load(text)
    return answers if isinstance(answers, dict) else {}


def recorded_answers(conf: Mapping[str, Any]) -> dict[str, Any]:
    """The answers file this render writes, as the destination has it ({} when new).

    `conf` is Copier's `_copier_conf`.
    """
    return read_answers(Path(conf["dst_path"]) / conf["answers_file"])


def recorded_service(conf: Mapping[str, Any]) -> dict[str, Any]:
    """The answers of the service a resource is added to, or {} outside a service."""
    return read_answers(Path(conf["dst_path"]) / SERVICE_ANSWERS_FILE)


def alembic_heads(project: Path) -> list[str]:
    """Revisions of alembic/versions that no other revision revises."""
    revisions: dict[str, list[str]] = {}
    for path in sorted((project / "alembic" / "versions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r'^revision(?::[^=]*)?=\s*["\']([^"\']+)["\']', source, re.M)
        if revision is None:
            continue
        down = re.search(r"^down_revision(?::[^=]*)?=\s*(.+)$", source, re.M)
        parents = re.findall(r'["\']([^"\']+)["\']', down.group(1)) if down else []
        revisions[revision.group(1)] = parents
    revised = {parent for parents in revisions.values() for parent in parents}
    return [revision for revision in revisions if revision not in revised]


def new_migration(dst_path: str | Path) -> dict[str, str | None]:
    """A new revision, chained onto the service's single head."""
    heads = alembic_heads(Path(dst_path))
    return {
        "revision": uuid.uuid4().hex[:12],
        "down_revision": heads[0] if len(heads) == 1 else None,
        "created": datetime.now(UTC).date().isoformat(),
    }


def overwriting(conf: Mapping[str, Any]) -> bool:
    """Whether Copier may write over the resource: `copier update`, or --overwrite.

    An update re-renders an existing resource, and does so first into empty
    folders (replaying the recorded answers, `_commit` among them); the checks
    that the service is ready and the resource new would only stand in its way.
    """
    return "_commit" in conf["data"] or bool(conf["overwrite"])


def what_to_render(conf: Mapping[str, Any], resource_name: str) -> str:
    """ "resource" or "service": copier.yml's `generate`, which nobody is asked.

    A resource is rendered when its name is known (given with -d, or recorded in
    the answers file Copier reads: a resource's own, on update), and when
    `copier copy` runs in a service's folder; anything else renders a service.
    `--overwrite` (an update, a recopy) keeps a service a service.
    """
    if resource_name:
        return "resource"
    if not overwriting(conf) and recorded_service(conf):
        return "resource"
    return "service"


def git_output(project: Path, *arguments: str) -> str | None:
    """What git prints, or None when the project is not in a git work tree."""
    try:
        completed = subprocess.run(
            ["git", *arguments], cwd=project, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return completed.stdout if completed.returncode == 0 else None


def service_problem(conf: Mapping[str, Any]) -> str:
    """Why no resource can be added to the destination now, or "".

    Checked before the resource's questions, so that nothing is asked, or
    written, in a folder that is not a committed service ready for one.
    """
    if overwriting(conf):
        return ""
    project = Path(conf["dst_path"]).resolve()
    service = recorded_service(conf)
    if not service:
        return (
            f"Run this in a service's folder: {project} holds no .copier-answers.yml "
            "of a service rendered from this template."
        )
    if git_output(project, "rev-parse", "--show-toplevel") is None:
        return (
            "Commit the service to git first (git init && git add --all && git commit): "
            "a resource is added, and later updated, on a clean git work tree."
        )
    changes = git_output(project, "status", "--porcelain", "--untracked-files=all", ".")
    if changes:
        first = changes.splitlines()[0][3:]
        return (
            f"Commit or stash your changes first ({first}"
            f"{' and more' if len(changes.splitlines()) > 1 else ''}): the resource's "
            "files and registrations must be reviewable on their own."
        )
    package = str(service.get("package_name", ""))
    missing = [
        path
        for path, line in REGISTRIES.items()
        if line not in _read(project / path.format(package=package))
    ]
    if missing:
        return (
            "Update the service first (copier update): it has no "
            f"{', '.join(repr(REGISTRIES[m].strip()) for m in missing)} in "
            f"{', '.join(m.format(package=package) for m in missing)}, where a "
            "resource is registered."
        )
    heads = alembic_heads(project)
    if len(heads) > 1:
        return (
            f"Merge the migrations' heads first (alembic merge heads): there are "
            f"{len(heads)} ({', '.join(heads)}), and a new migration chains onto one."
        )
    return ""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return ""
