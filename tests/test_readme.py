"""The READMEs are executable: their command blocks run word for word, in order,
as a new user and then the service's team would run them.

The template is a real git repository in a temporary directory, made from the
working tree and tagged v1.0.0 by this test (this repository's own tags play no
part); a second release, v1.1.0, is tagged when the service's update comes.
The only substitution is the template's location, `<this repository>` in
README.md. Every ```bash block of README.md's Quickstart, "Adding a resource"
and "Upgrading a service", and every one of the rendered service's README, is
run or has a `<!-- readme-test: ... -->` comment above it that says how it is
treated (see README.md, "Tests"):

- `serve`: a server. It is started with `UVICORN_PORT` set to a free port, probed
  until `/api/health` and `/docs` answer 200 (bounded), and stopped.
- `exit N`: the block's one command is expected to exit with status N.
- `ci`: its lines that `.ci/run` runs itself (the template's whole suite) are
  left to CI, which is checked; the others run.
- `skip: <reason>`: not run, for the reason given.

Each block runs under bash with stdin closed, so a command that would ask a
question fails; each of its lines must succeed (a failing line stops the block).
A block starts in the directory where the one before it ended, as in a terminal.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from extensions.toolchain import RUFF_VERSION
from tests.harness import clean_environment, free_port, run_command, stop
from tests.test_update import (
    FIRST,
    GIT_IDENTITY,
    GIT_ISOLATION,
    NEXT,
    NEXT_RELEASE,
    apply_all,
    commit_all,
    git,
    template_repository,
)

pytestmark = pytest.mark.readme

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_LOCATION = "<this repository>"
README_SECTIONS = ("Quickstart", "Adding a resource", "Upgrading a service")

FENCE = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
MARKER = re.compile(r"<!-- readme-test: (serve|ci|exit \d+|skip: \S.*?) -->\n*\Z")
ANY_MARKER = re.compile(r"<!-- readme-test:.*?-->")
# `uvx --with copier-template-extensions==X --with ruff==Y copier@Z`, as both READMEs pin them.
UVX_COPIER = re.compile(
    r"uvx --with copier-template-extensions==([\w.]+) --with ruff==([\w.]+) copier@([\w.]+)"
)
SERVE_SECONDS = 120


# -------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Block:
    readme: str
    section: str  # the nearest heading above it
    text: str
    marker: str | None

    @property
    def name(self) -> str:
        return f"{self.readme}, {self.section!r}"

    @property
    def lines(self) -> list[str]:
        """The block's command lines, each with its `\\` continuations."""
        return re.split(r"(?<!\\)\n", self.text.rstrip("\n"))


def blocks_of(readme: str, text: str) -> list[Block]:
    unknown = [marker for marker in ANY_MARKER.findall(text) if not MARKER.match(marker + "\n")]
    assert not unknown, f"{readme}: markers this test does not understand: {unknown}"
    blocks = []
    for fence in FENCE.finditer(text):
        before = text[: fence.start()]
        headings = HEADING.findall(before)
        marker = MARKER.search(before)
        blocks.append(
            Block(
                readme=readme,
                section=headings[-1] if headings else "",
                text=fence.group(1),
                marker=marker.group(1) if marker else None,
            )
        )
    return blocks


def pins(text: str) -> set[tuple[str, str, str]]:
    return set(UVX_COPIER.findall(text))


def locked_versions() -> tuple[str, str, str]:
    """The versions of copier-template-extensions, ruff and Copier in this repository's uv.lock."""
    lock = (REPO_ROOT / "uv.lock").read_text(encoding="utf-8")

    def version(package: str) -> str:
        found = re.search(rf'^name = "{package}"\nversion = "([^"]+)"', lock, re.MULTILINE)
        assert found, f"uv.lock locks no {package}"
        return found.group(1)

    return version("copier-template-extensions"), version("ruff"), version("copier")


# ------------------------------------------------------------------------- running


@dataclass
class Terminal:
    """Runs blocks as a person at a terminal would, one after the other."""

    environment: dict[str, str]
    template: Path
    cwd: Path
    state: Path  # where a block leaves the directory it ended in

    def script(self, block: Block, state: Path | None, expected: int = 0) -> str:
        """The block's lines as they are, each followed by a check of its status
        (`set -e` would let a failure go on the left of `&&`), then `pwd > state`."""
        lines = [f"cd {shlex.quote(str(self.cwd))} || exit 97"]
        for number, line in enumerate(block.lines, start=1):
            lines.append(line.replace(TEMPLATE_LOCATION, shlex.quote(str(self.template))))
            lines.append(
                f'readme_status=$?; if [ "$readme_status" -ne {expected} ]; then echo '
                f'"[line {number} exited with status $readme_status]" >&2; exit 98; fi'
            )
        if state is not None:
            lines.append(f"pwd > {shlex.quote(str(state))}")
        return "\n".join(lines) + "\n"

    def run(self, block: Block, *, lines: list[str] | None = None) -> str:
        """Run the block (or only `lines` of it); returns its output."""
        if lines is not None:
            block = Block(block.readme, block.section, "\n".join(lines) + "\n", block.marker)
        expected = 0
        if block.marker and block.marker.startswith("exit "):
            assert len(block.lines) == 1, f"{block.name}: `exit` marks a one-command block"
            expected = int(block.marker.removeprefix("exit "))
        started = time.monotonic()
        result = run_command(
            ["bash", "-c", self.script(block, self.state, expected)],
            self.cwd,
            self.environment,
        )
        seconds = time.monotonic() - started
        # What ran, for a person reading a failure: the test's tmp_path/transcript.txt.
        with (self.state.parent / "transcript.txt").open("a", encoding="utf-8") as transcript:
            transcript.write(f"{block.name}, {seconds:.0f} s:\n{block.text}{result.output}\n")
        assert result.returncode == 0, (
            f"{block.name}: a line failed\n{block.text}\n--- output ---\n{result.tail}"
        )
        self.cwd = Path(self.state.read_text(encoding="utf-8").strip())
        self.state.unlink()
        return result.output

    def serve(self, block: Block) -> None:
        """Start the server, wait for it to answer, and stop it."""
        assert len(block.lines) == 1, f"{block.name}: `serve` marks a one-command block"
        port = free_port()
        log = self.state.parent / f"serve-{port}.log"
        with log.open("w", encoding="utf-8") as output:
            process = subprocess.Popen(
                ["bash", "-c", self.script(block, state=None)],
                cwd=self.cwd,
                env={**self.environment, "UVICORN_PORT": str(port)},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                answered = wait_for(f"http://127.0.0.1:{port}", process)
            finally:
                stop(process)
        assert answered, f"{block.name}: the server did not answer:\n{log.read_text()[-4000:]}"


def wait_for(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Whether /api/health and /docs both answered 200 before the deadline."""
    deadline = time.monotonic() + SERVE_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            statuses = [
                httpx.get(f"{url}{path}", timeout=5).status_code
                for path in ("/api/health", "/docs")
            ]
        except httpx.TransportError:
            time.sleep(0.5)
            continue
        return statuses == [200, 200]
    return False


def answers(service: Path, answers_file: str = ".copier-answers.yml") -> dict[str, object]:
    loaded = yaml.safe_load((service / answers_file).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def assert_clean(service: Path) -> None:
    status = git(service, "status", "--porcelain")
    assert not status, f"the work tree is not clean:\n{status}"


# --------------------------------------------------------------------------- tests


def readme_blocks() -> list[Block]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return [block for block in blocks_of("README.md", text) if block.section in README_SECTIONS]


class Blocks:
    """A README's blocks by section, handed out in order; says which were never taken."""

    def __init__(self, blocks: list[Block]) -> None:
        self._blocks = blocks
        self._taken: set[int] = set()

    def take(self, section: str) -> Block:
        for index, block in enumerate(self._blocks):
            if block.section == section and index not in self._taken:
                self._taken.add(index)
                return block
        pytest.fail(f"no further ```bash block under {section!r}", pytrace=False)

    def untaken(self) -> list[Block]:
        return [block for index, block in enumerate(self._blocks) if index not in self._taken]


def test_readmes_pin_the_copier_the_tests_run() -> None:
    """Both READMEs run Copier, its extension loader and ruff at uv.lock's versions,
    and that ruff is the one rendered services pin (what formats them as they render)."""
    locked = locked_versions()
    assert locked[1] == RUFF_VERSION
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    rendered = (REPO_ROOT / "template" / "README.md.jinja").read_text(encoding="utf-8")
    assert pins(readme) == {locked}
    assert pins(rendered) == {locked}
    # Every uvx of either runs that pinned Copier.
    for text in (readme, rendered):
        assert text.count("uvx ") == len(UVX_COPIER.findall(text))


def test_blocks_are_found_and_markers_understood() -> None:
    text = (
        "# T\n## One\n<!-- readme-test: serve -->\n```bash\nuv run x \\\n  --y\nz\n```\n"
        "## Two\n```bash\na\n```\n<!-- readme-test: exit 1 -->\n\n```bash\nb\n```\n"
    )
    blocks = blocks_of("T", text)
    assert [(block.section, block.marker) for block in blocks] == [
        ("One", "serve"),
        ("Two", None),
        ("Two", "exit 1"),
    ]
    assert blocks[0].lines == ["uv run x \\\n  --y", "z"]
    with pytest.raises(AssertionError, match="does not understand"):
        blocks_of("T", "<!-- readme-test: sometimes -->\n```bash\na\n```\n")


def test_a_block_runs_as_in_a_terminal_and_any_failing_line_fails_it(tmp_path: Path) -> None:
    terminal = Terminal(clean_environment(), tmp_path / "template", tmp_path, tmp_path / "cwd")
    terminal.run(Block("T", "S", "mkdir service && cd service\ntouch made\n", None))
    assert terminal.cwd == tmp_path / "service"
    assert (tmp_path / "service" / "made").exists()
    with pytest.raises(AssertionError, match="line 1 exited with status 1"):
        terminal.run(Block("T", "S", "false && true\ntouch after\n", None))
    assert not (tmp_path / "service" / "after").exists()
    terminal.run(Block("T", "S", "grep -q absent made\n", "exit 1"))
    with pytest.raises(AssertionError, match="line 1 exited with status 0"):
        terminal.run(Block("T", "S", "true\n", "exit 1"))


@pytest.fixture
def terminal(template_source: Path, copier_settings: Path, tmp_path: Path) -> Terminal:
    template = template_repository(template_source, tmp_path / "service-template.git", [])
    home = tmp_path / "home"
    home.mkdir()
    environment = clean_environment(
        COPIER_SETTINGS_PATH=str(copier_settings), NO_COLOR="1", **GIT_ISOLATION, **GIT_IDENTITY
    )
    return Terminal(environment, template, home, tmp_path / "cwd")


@pytest.mark.minutes
def test_the_readmes_run_word_for_word(terminal: Terminal) -> None:
    home = terminal.cwd
    readme = Blocks(readme_blocks())

    # README.md's Quickstart: render, install, migrate, test, commit; serve.
    terminal.run(readme.take("Quickstart"))
    service = terminal.cwd
    assert service == home / "my-service"
    recorded = answers(service)
    # What makes the service updatable: the template's location, and a release.
    assert (recorded["_src_path"], recorded["_commit"]) == (str(terminal.template), FIRST)
    assert_clean(service)
    terminal.serve(readme.take("Quickstart"))

    # The rendered README, from the service the Quickstart made.
    rendered = Blocks(blocks_of("the rendered README", (service / "README.md").read_text()))
    terminal.run(rendered.take("Run it"))  # install, configure, migrate
    terminal.serve(rendered.take("Run it"))
    terminal.run(rendered.take("Run it"))  # create-admin
    for _ in range(2):  # PostgreSQL and Docker Compose
        skipped(rendered.take("With PostgreSQL"))
    terminal.serve(rendered.take("Observability"))  # the console exporter
    skipped(rendered.take("Observability"))  # OTLP: a collector
    terminal.run(rendered.take("Test and check"))
    skipped(rendered.take("Test and check"))  # TEST_DATABASE_URL
    skipped(rendered.take("Mutation testing"))  # by hand: a quarter of an hour
    skipped(rendered.take("Kubernetes"))  # a cluster; tests/test_deploy.py checks the manifests

    # Adding a resource: README.md's command is the rendered README's, word for word.
    add_resource = readme.take("Adding a resource")
    assert add_resource.text == rendered.take("Add a resource").text
    terminal.run(add_resource)
    assert answers(service, ".copier-answers.invoice.yml")["resource_plural"] == "invoices"
    terminal.run(rendered.take("Add a resource"))  # migrate, check, commit
    assert_clean(service)

    # The template's next release, then README.md's upgrade (the rendered README's).
    apply_all(terminal.template, NEXT_RELEASE)
    commit_all(terminal.template, f"Release {NEXT}")
    git(terminal.template, "tag", NEXT)
    upgrade = readme.take("Upgrading a service")
    assert upgrade.text == rendered.take("Update from the template").text
    output = terminal.run(upgrade)
    assert "New template version available" in output
    assert answers(service)["_commit"] == NEXT
    assert "skip_paths" in (service / "src" / "app" / "core" / "config.py").read_text()
    # "Then `uv lock --upgrade` ..., run the checks above, and commit": tests/test_update.py runs
    # every check of updated services; here, the commit the next update needs.
    commit_all(service, "Update from the template")
    terminal.run(rendered.take("Add a resource"))  # the resource's update
    assert answers(service, ".copier-answers.invoice.yml")["_commit"] == NEXT
    assert_clean(service)

    # A change of the invoice's fields: README.md's command is the rendered README's.
    change = readme.take("Adding a resource")
    assert change.text == rendered.take("Add a resource").text
    terminal.run(change)  # the update, the migration and the commit
    recorded = answers(service, ".copier-answers.invoice.yml")
    assert str(recorded["resource_fields"]).endswith("reference:str?")
    changes = recorded["resource_field_changes"]
    assert isinstance(changes, list)
    assert [change["previous"] for change in changes] == [
        "project:ref number:str! status:enum(draft,sent,paid)=draft amount:decimal due:date "
        "paid:bool note:text?"
    ]
    assert_clean(service)

    terminal.run(rendered.take("Conflicts"))  # no marker: exit 1
    terminal.run(rendered.take("Conflicts"))  # --conflict rej
    assert not list(service.rglob("*.rej"))
    terminal.run(rendered.take("Changing an answer"))
    assert answers(service)["logging"] == "stdlib"
    way_back = rendered.take("The way back from a broken update")
    terminal.run(way_back)
    assert answers(service)["logging"] == "structlog"
    assert_clean(service)
    terminal.run(rendered.take("The way back from a broken update"))  # recopy
    terminal.run(way_back)
    # Last, as it leaves a new migration uncommitted.
    migrations = list((service / "alembic" / "versions").glob("*.py"))
    terminal.run(rendered.take("Migrations"))
    added = set((service / "alembic" / "versions").glob("*.py")) - set(migrations)
    assert [path.name.endswith("_add_invoices.py") for path in added] == [True]

    # README.md's way to work on the template: the clone runs here, the suite in CI.
    terminal.cwd = home
    left_to_ci(terminal, readme.take("Quickstart"))

    for blocks in (readme, rendered):
        untested = blocks.untaken()
        assert not untested, "blocks this test does not run:\n" + "\n".join(
            f"{block.name}:\n{block.text}" for block in untested
        )


def skipped(block: Block) -> None:
    """A block not run: its comment must say why."""
    marker = block.marker or ""
    assert marker.startswith("skip: "), (
        f"{block.name}: expected a block marked `skip: <reason>`, got:\n{block.text}"
    )


def left_to_ci(terminal: Terminal, block: Block) -> None:
    """Run the block's lines, except those .ci/run runs itself (checked that it does)."""
    assert block.marker == "ci", f"{block.name}: expected a block marked `ci`"
    ci_commands = {
        line.strip().removeprefix("time ")
        for line in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    }
    here = [line for line in block.lines if line.split("#")[0].strip() not in ci_commands]
    assert len(here) < len(block.lines), f"{block.name}: .ci/run runs none of its lines"
    terminal.run(block, lines=here)
