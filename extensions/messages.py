"""What Copier prints when it is done: copier.yml's `_message_after_copy` and
`_message_after_update`.

After a copy, the next steps: for a service, from `cd` to a running server (with
the first commit that `copier update` and the resource generator need); for a
resource, what was added and what to run. After an update, the files it changed,
the template's CHANGELOG entries between the old release and the new one, and
what to run next; after a change of a resource's fields, its migration and how
to commit it.
"""

from __future__ import annotations

import itertools
import re
import shlex
import textwrap
from pathlib import Path
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from .service import git_output, parse_answers

# A release as Copier records it in `_commit` (`git describe --tags`): v0.4.0, or
# v0.4.0-3-gdced7d2 for a commit three past it.
DESCRIBED = re.compile(r"^v?(\d+)\.(\d+)\.(\d+)(-\d+-g[0-9a-f]+)?$")
SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\]", re.M)
SHOWN_FILES = 15
WIDTH = 78  # a message reads whole on an 80-column terminal

Version = tuple[int, int, int]


def release(commit: str | None) -> tuple[Version, bool] | None:
    """The release a commit is or follows, and whether it is past it; None for a hash."""
    match = DESCRIBED.match(commit or "")
    if match is None:
        return None
    major, minor, patch, past = match.groups()
    return (int(major), int(minor), int(patch)), past is not None


def changelog_between(changelog: str, old: str | None, new: str | None) -> str:
    """The CHANGELOG sections of what `new` has and `old` had not, newest first.

    The releases after old's up to new's; and "Unreleased" too when `new` is a
    commit past its release. "" when either is no release (a bare hash).
    """
    before, after = release(old), release(new)
    if before is None or after is None:
        return ""
    starts: list[re.Match[str] | None] = [*SECTION.finditer(changelog), None]
    sections = []
    for start, end in itertools.pairwise(starts):
        assert start is not None  # only the last is None, and it starts no pair
        name = start.group("name")
        if name == "Unreleased":
            wanted = after[1]
        else:
            version = release(name)
            wanted = version is not None and before[0] < version[0] <= after[0]
        text = changelog[start.start() : end.start() if end else None].strip()
        if wanted and len(text.splitlines()) > 1:
            sections.append(text)
    return "\n\n".join(sections)


def prose(text: str) -> str:
    return textwrap.fill(text, WIDTH, break_on_hyphens=False, break_long_words=False)


def shell_quote(value: object) -> str:
    """A path or word as a shell command line needs it."""
    return shlex.quote(str(value))


def commands(*lines: tuple[str, str]) -> str:
    """Command lines, indented, each with its comment aligned."""
    width = max(len(command) for command, comment in lines if comment)
    return "\n".join(
        f"  {command:<{width}}  # {comment}" if comment else f"  {command}"
        for command, comment in lines
    )


def changed_files(project: Path) -> list[str]:
    """What git shows as changed in the project (after an update)."""
    status = git_output(project, "status", "--porcelain", "--untracked-files=all", ".") or ""
    return [line[3:] for line in status.splitlines()]


def committed_release(project: Path, answers_file: str) -> str | None:
    """The `_commit` of the answers file as last committed: the release updated from.

    `copier update` runs on a clean work tree, so HEAD holds the answers file as
    it was before the update rewrote it.
    """
    recorded = parse_answers(git_output(project, "show", f"HEAD:./{answers_file}") or "")
    commit = recorded.get("_commit")
    return str(commit) if commit is not None else None


@pass_context
def after_copy(context: Context) -> str:
    conf = context["_copier_conf"]
    if context.get("generate") == "resource":
        resource = context["resource"]
        files = context["resource_files"](resource.plural, resource.name)
        package = context["package_name"]
        return (
            prose(
                f"Added the {resource.name} resource, {resource.url}: {len(files)} files "
                f"and the migration {context['resource_migration_file']}, registered in "
                f"src/{package}/main.py, alembic/env.py and pyproject.toml. Next steps:"
            )
            + "\n\n"
            + commands(
                ("uv run alembic upgrade head", "create its table"),
                ("uv run pytest", "its tests, and the service's"),
                ("git add --all", ""),
                (f'git commit -m "Add the {resource.name} resource"', ""),
            )
        )
    return (
        f"Rendered {context['project_name']}. Next steps:\n\n"
        + commands(
            (f"cd {shell_quote(conf['dst_path'])}", ""),
            ("uv sync", "install; writes uv.lock (commit it)"),
            ("git init && git add --all", "copier update and resources need"),
            ('git commit -m "Render the service"', "a git work tree and a commit"),
            ("uv run alembic upgrade head", "create the SQLite database"),
            ("uv run pytest", "run its tests"),
            (f"uv run uvicorn --factory {context['package_name']}.main:create_app --reload", ""),
        )
        + "\n\nIts README.md says how to test on PostgreSQL, update it and add resources;"
        + "\ncommit uv.lock with the service (CI and the image install it, --locked)."
    )


def resolve_conflicts() -> str:
    return prose(
        "Next steps: resolve conflicts (files with conflict markers, or a .rej "
        "file beside them), then:"
    )


def after_field_change(resource: Any, migration: str, changed: str) -> str:
    """After an update that changed a resource's fields and wrote their migration."""
    return (
        prose(
            f"Changed the fields of the {resource.name} resource, {resource.url}, "
            f"with the migration {migration}. Changed: {changed}."
        )
        + "\n\n"
        + resolve_conflicts()
        + "\n\n"
        + commands(
            ("git diff", "review the change"),
            ("uv run alembic upgrade head", "migrate the table to the new fields"),
            ("uv run pytest", ""),
            ("git add --all", ""),
            (f'git commit -m "Change the {resource.name} fields"', ""),
        )
    )


@pass_context
def after_update(context: Context) -> str:
    conf = context["_copier_conf"]
    project = Path(conf["dst_path"])
    old = committed_release(project, str(conf["answers_file"]))
    new = context["_copier_answers"].get("_commit")
    changed = changed_files(project)
    shown = ", ".join(changed[:SHOWN_FILES])
    more = f" and {len(changed) - SHOWN_FILES} more" if len(changed) > SHOWN_FILES else ""
    if context.get("generate") == "resource":
        resource = context["resource"]
        # Its new migration, untracked: by the time Copier prints this, the
        # answers file records the change, so the file is found where it was written.
        suffix = f"_change_{resource.plural}_fields.py"
        migration = next((path for path in changed if path.endswith(suffix)), None)
        if migration:
            return after_field_change(resource, migration, shown + more)
    changelog_path = Path(conf["src_path"]) / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.is_file() else ""
    entries = changelog_between(changelog, old, new)
    what_changed = (
        f"The template's CHANGELOG from {old} to {new}:\n\n{entries}"
        if entries
        else f"The template's CHANGELOG.md says what changed from {old} to {new}."
    )
    return (
        prose(
            f"Updated from {old} to {new}. "
            + (f"Changed: {shown}{more}." if changed else "No file changed.")
        )
        + f"\n\n{what_changed}\n\n"
        + resolve_conflicts()
        + "\n\n"
        + commands(
            ("git diff", "review what the update changed"),
            ("uv lock --upgrade", "the versions the release was tested with"),
            ("uv sync --locked", ""),
            ("uv run alembic upgrade head", "a release may add migrations"),
            ("uv run pytest", ""),
            ("git add --all", ""),
            (f'git commit -m "Update from the template to {new}"', ""),
        )
    )


# The functions copier.yml's `_message_after_copy` and `_message_after_update` call.
GLOBALS = {"after_copy": after_copy, "after_update": after_update}
