"""The questionnaire as a person uses it: the real `copier` command in a
pseudo-terminal of 80 columns, driven key by key with pexpect.

What the terminal shows is kept on a pyte screen, so a message is checked as a
person reads it: cut where an 80-column line ends. Each render is compared file
by file with the session's render of the same answers (fixture `renders`),
whose checks tests/test_service_checks.py runs; a resource with one rendered
from the same answers with `--defaults` (tests/test_resources.py checks those).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest
import yaml

from extensions.answers import PACKAGE_RULE, SLUG_RULE
from extensions.service import service_problem
from tests.harness import PerCombination, RenderedProject, copy_working_tree, render
from tests.matrix import COPIER_YML, Combination, combinations
from tests.test_resources import git

COPIER = str(Path(sys.executable).with_name("copier"))
COLUMNS, ROWS = 80, 24
TIMEOUT_SECONDS = 120  # a loaded 2-core machine renders slowly; nothing waits this long

# Keys as a terminal sends them.
ENTER = "\r"
DOWN = "\x1b[B"
BACKSPACE = "\x7f"

QUESTIONS: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in yaml.safe_load(COPIER_YML.read_text(encoding="utf-8")).items()
    if not name.startswith("_")
}
# What a new service is asked, in order: every question without a `when`.
SERVICE_QUESTIONS = [name for name, spec in QUESTIONS.items() if "when" not in spec]
RESOURCE_QUESTIONS = ["resource_name", "resource_plural", "resource_fields"]


def first_line(question: str) -> str:
    return str(QUESTIONS[question]["help"]).splitlines()[0]


def combination(identifier: str) -> Combination:
    return next(c for c in combinations() if c.id == identifier)


class Terminal:
    """A command in an 80 x 24 pseudo-terminal, and the screen it draws."""

    def __init__(self, command: list[str], cwd: Path) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self._stream = pyte.Stream(self.screen)
        self.output: list[str] = []
        environment = {
            **os.environ,
            "TERM": "xterm",
            # prompt_toolkit would otherwise ask the terminal where its cursor is.
            "PROMPT_TOOLKIT_NO_CPR": "1",
        }
        self.child = pexpect.spawn(
            command[0],
            command[1:],
            cwd=cwd,
            env=environment,
            encoding="utf-8",
            dimensions=(ROWS, COLUMNS),
            timeout=TIMEOUT_SECONDS,
        )
        self.child.logfile_read = self  # every byte read goes to the screen too

    def write(self, data: str) -> None:
        self.output.append(data)
        self._stream.feed(data)

    def flush(self) -> None:
        pass

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    @property
    def text(self) -> str:
        return "".join(self.output)

    def question(self, name: str) -> None:
        """Wait until the question is asked and ready for keys."""
        self.child.expect_exact(first_line(name))
        # Its answer line: the default of a text question, or a choice's arrow.
        self.child.expect(r"\n")

    def answer(self, name: str, *keys: str) -> None:
        self.question(name)
        for key in keys:
            self.child.send(key)
        self.child.send(ENTER)

    def retype(self, name: str, default: str, text: str) -> None:
        """Replace a text question's default with `text` (without Enter)."""
        self.question(name)
        self.child.send(BACKSPACE * len(default) + text)

    def shows(self, text: str) -> bool:
        """Whether a line of the screen shows `text` (waiting for it a little)."""
        try:
            self.child.expect_exact(text.split()[0], timeout=10)
        except pexpect.TIMEOUT:
            return False
        return any(text in line for line in self.lines)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


@pytest.fixture
def terminal() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for term in started:
        term.child.close(force=True)


def spawn(started: list[Terminal], cwd: Path, *arguments: str) -> Terminal:
    term = Terminal([COPIER, *arguments], cwd)
    started.append(term)
    return term


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root but git's own, by relative path."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


def as_written(rendered: RenderedProject) -> dict[str, bytes]:
    """The session's render as Copier wrote it, before its checks ran in it."""
    return {str(path.relative_to(rendered.path)): path.read_bytes() for path in rendered.files}


def differences(rendered: Mapping[str, bytes], expected: Mapping[str, bytes]) -> list[str]:
    missing = sorted(set(expected) - set(rendered))
    extra = sorted(set(rendered) - set(expected))
    changed = sorted(p for p in set(rendered) & set(expected) if rendered[p] != expected[p])
    return [f"missing {p}" for p in missing] + [f"extra {p}" for p in extra] + changed


def committed_copy(rendered: RenderedProject, destination: Path) -> Path:
    """The session's render, as its team has it: in git, committed."""
    # What Copier wrote, not the caches that the session's checks left beside it.
    for path in rendered.files:
        target = destination / path.relative_to(rendered.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    git(destination, "init", "--quiet")
    git(destination, "add", "--all")
    git(destination, "commit", "--quiet", "--message", "Render the service")
    return destination


# ---------------------------------------------------------------- a new service


def new_service(started: list[Terminal], template: Path, root: Path) -> Terminal:
    """`copier copy` of a new service into root/service."""
    return spawn(started, root, "copy", "--trust", str(template), "service")


def assert_rendered_as(
    term: Terminal, renders: PerCombination[RenderedProject], identifier: str, root: Path
) -> None:
    """The command succeeded, and wrote what the session's render of `identifier` has."""
    assert term.finish() == 0, term.text[-3000:]
    expected = renders.get(combination(identifier))
    assert differences(tree(root / "service"), as_written(expected)) == []


@pytest.mark.parametrize(
    ("choice_keys", "identifier"),
    [
        pytest.param((), "layered-sqlalchemy-structlog", id="enter-at-every-question"),
        # The second choice of each: feature-sliced, sqlmodel, stdlib.
        pytest.param((DOWN,), "feature-sliced-sqlmodel-stdlib", id="arrow-keys-to-each-choice"),
    ],
)
def test_a_new_service_is_asked_about_the_service_only(
    template_source: Path,
    renders: PerCombination[RenderedProject],
    terminal: list[Terminal],
    tmp_path: Path,
    choice_keys: tuple[str, ...],
    identifier: str,
) -> None:
    term = new_service(terminal, template_source, tmp_path)
    for name in SERVICE_QUESTIONS:
        term.answer(name, *(choice_keys if "choices" in QUESTIONS[name] else ()))

    assert_rendered_as(term, renders, identifier, tmp_path)
    # Nothing about resources, nor what to render: a new service is all there is.
    assert first_line("resource_name") not in term.text
    # The next steps, each on a line of its own.
    for step in ("cd service", "git init && git add --all", "uv sync", "uv run pytest"):
        assert any(line.lstrip().startswith(step) for line in term.lines), step


def test_a_wrong_answer_is_explained_on_screen_and_a_right_one_accepted(
    template_source: Path,
    renders: PerCombination[RenderedProject],
    terminal: list[Terminal],
    tmp_path: Path,
) -> None:
    term = new_service(terminal, template_source, tmp_path)
    term.answer("project_name")
    # What is allowed shows within the 80 columns, after Copier's own prefix.
    term.retype("project_slug", "my-service", "My_Service")
    term.child.send(ENTER)
    assert term.shows(f"Validation error for question 'project_slug': {SLUG_RULE}"), term.lines
    term.child.send(BACKSPACE * len("My_Service") + "my-service" + ENTER)
    term.retype("package_name", "app", "my-app")
    term.child.send(ENTER)
    assert term.shows(f"Validation error for question 'package_name': {PACKAGE_RULE}"), term.lines
    term.child.send(BACKSPACE * len("my-app") + "app" + ENTER)
    for name in SERVICE_QUESTIONS[3:]:
        term.answer(name)

    assert_rendered_as(term, renders, "layered-sqlalchemy-structlog", tmp_path)


# ------------------------------------------------------------------- an update

NEXT_RELEASE_NOTE = "- The questionnaire's test release, with nothing to render differently."


@pytest.fixture
def template_releases(template_source: Path, tmp_path: Path) -> Path:
    """The template as a git repository with two releases, v1.0.0 and v1.1.0,
    the second a CHANGELOG entry only (so an update renders what v1.0.0 did)."""
    repository = tmp_path / "template"
    copy_working_tree(template_source, repository)
    git(repository, "init", "--quiet")
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "--message", "v1.0.0")
    git(repository, "tag", "v1.0.0")
    changelog = repository / "CHANGELOG.md"
    entry = f"## [Unreleased]\n\n## [1.1.0] - 2026-12-03\n\n### Changed\n{NEXT_RELEASE_NOTE}\n"
    changelog.write_text(
        changelog.read_text(encoding="utf-8").replace("## [Unreleased]\n", entry, 1), "utf-8"
    )
    git(repository, "commit", "--quiet", "--all", "--message", "v1.1.0")
    git(repository, "tag", "v1.1.0")
    return repository


def test_an_interactive_update_asks_the_service_questions_only(
    template_releases: Path,
    renders: PerCombination[RenderedProject],
    terminal: list[Terminal],
    tmp_path: Path,
) -> None:
    default = combination("layered-sqlalchemy-structlog")
    service = tmp_path / "service"
    render(template_releases, service, default.data, vcs_ref="v1.0.0")
    git(service, "init", "--quiet")
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "Render the service")

    term = spawn(terminal, service, "update", "--trust")
    for name in SERVICE_QUESTIONS:
        term.answer(name)

    assert term.finish() == 0, term.text[-3000:]
    assert first_line("resource_name") not in term.text
    # It names what changed, and the release's CHANGELOG entry; no task's command line.
    assert "Updated from v1.0.0 to v1.1.0. Changed: .copier-answers.yml." in term.text
    assert NEXT_RELEASE_NOTE in term.text
    assert "Running task" not in term.text
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v1.1.0"
    expected = renders.get(default)
    cached = yaml.safe_load((expected.path / ".copier-answers.yml").read_text(encoding="utf-8"))
    del answers["_commit"], answers["_src_path"], cached["_src_path"]
    assert answers == cached
    changed = differences(tree(service), as_written(expected))
    assert changed == [".copier-answers.yml"]


# ------------------------------------------------------------------ a resource

INVOICE = {
    "resource_name": "invoice",
    "resource_fields": "number:str! amount:decimal due:date paid:bool note:text?",
}


def test_an_interactive_change_of_fields_names_its_migration_and_commit(
    template_releases: Path, terminal: list[Terminal], tmp_path: Path
) -> None:
    service = tmp_path / "service"
    render(template_releases, service, combination("layered-sqlalchemy-structlog").data)
    git(service, "init", "--quiet")
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "Render the service")
    render(template_releases, service, INVOICE)
    git(service, "add", "--all")
    git(service, "commit", "--quiet", "--message", "Add the invoice resource")

    answers_file = ".copier-answers.invoice.yml"
    term = spawn(terminal, service, "update", "--trust", "--answers-file", answers_file)
    term.answer("resource_name")
    term.answer("resource_plural")
    term.answer("resource_fields", " reference:str?")  # typed after the recorded fields

    assert term.finish() == 0, term.text[-3000:]
    (migration,) = service.glob("alembic/versions/*_change_invoices_fields.py")
    # What changed and how to commit it, not a release's update (there is none).
    assert "Changed the fields of the invoice resource" in term.text
    assert migration.name in term.text
    assert any(line.lstrip() == 'git commit -m "Change the invoice fields"' for line in term.lines)
    assert "Update from the template" not in term.text
    answers = yaml.safe_load((service / answers_file).read_text(encoding="utf-8"))
    assert answers["resource_fields"] == f"{INVOICE['resource_fields']} reference:str?"


def with_revision(files: Mapping[str, bytes], old: str, new: str) -> dict[str, bytes]:
    """The files with one migration revision id replaced by another, names included.

    In an answers file YAML quotes a revision of digits alone ('227061291475'),
    so the quoted form is replaced by the new id as YAML writes it first."""

    def as_yaml(revision: str) -> bytes:
        return yaml.safe_dump(revision).splitlines()[0].encode()

    def swap(content: bytes) -> bytes:
        content = content.replace(as_yaml(old), as_yaml(new))
        return content.replace(old.encode(), new.encode())

    return {path.replace(old, new): swap(content) for path, content in files.items()}


def test_a_revision_of_digits_alone_is_replaced_as_yaml_writes_it() -> None:
    old, new = "227061291475", "ffc4a2d5302b"
    files = {
        ".copier-answers.invoice.yml": f"  revision: '{old}'\n".encode(),
        f"alembic/versions/x_{old}.py": f'revision: str = "{old}"\n'.encode(),
    }
    assert with_revision(files, old, new) == {
        ".copier-answers.invoice.yml": f"  revision: {new}\n".encode(),
        f"alembic/versions/x_{new}.py": f'revision: str = "{new}"\n'.encode(),
    }


def test_an_interactive_resource_asks_about_the_resource_only(
    template_source: Path,
    renders: PerCombination[RenderedProject],
    terminal: list[Terminal],
    tmp_path: Path,
) -> None:
    default = renders.get(combination("layered-sqlalchemy-structlog"))
    service = committed_copy(default, tmp_path / "service")

    term = spawn(terminal, service, "copy", "--trust", str(template_source), ".")
    term.answer("resource_name", INVOICE["resource_name"])
    term.answer("resource_plural")  # the plural offered, invoices
    term.answer("resource_fields", INVOICE["resource_fields"])

    assert term.finish() == 0, term.text[-3000:]
    assert first_line("project_name") not in term.text
    assert "Added the invoice resource, /api/v1/invoices" in term.text
    answers_file = service / ".copier-answers.invoice.yml"
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8"))
    assert {question: answers[question] for question in RESOURCE_QUESTIONS} == {
        **INVOICE,
        "resource_plural": "invoices",
    }
    # The same resource added with every answer given, as tests/test_resources.py does.
    scripted = committed_copy(default, tmp_path / "scripted")
    render(template_source, scripted, INVOICE)
    revision = yaml.safe_load((scripted / answers_file.name).read_text(encoding="utf-8"))[
        "resource_migration"
    ]["revision"]
    expected = with_revision(tree(scripted), revision, answers["resource_migration"]["revision"])
    assert differences(tree(service), expected) == []


def test_a_resource_outside_a_service_stops_before_any_question(
    template_source: Path, terminal: list[Terminal], tmp_path: Path
) -> None:
    term = spawn(
        terminal, tmp_path, "copy", "--trust", "-d", "generate=resource", str(template_source), "x"
    )

    assert term.finish() == 1
    message = service_problem({"dst_path": tmp_path / "x", "data": {}, "overwrite": False})
    assert message.split(":")[0] in term.text
    assert first_line("resource_name") not in term.text
    assert "Traceback" not in term.text
    assert not (tmp_path / "x").exists()
