"""Hooks and fixtures: isolation, parametrisation over the answer combinations,
the render cache and the rendered projects' environments (see tests/harness.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_copie.plugin import Copie

from tests.harness import (
    Environments,
    PerCombination,
    RenderedProject,
    copy_working_tree,
    grow_cache,
    render_cache,
)
from tests.matrix import Combination, combinations
from tests.stand_ins import start_making_missing

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    # addopts asks xdist for --numprocesses/--dist. With `-p no:xdist` nobody defines
    # them and pytest would refuse its own configuration: accept them and run serially.
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist (disabled)")
        group.addoption("--numprocesses", help="ignored: pytest-xdist is disabled")
        group.addoption("--dist", help="ignored: pytest-xdist is disabled")
        group.addoption(
            "--no-loadscope-reorder",
            action="store_false",
            dest="loadscopereorder",
            help="ignored: pytest-xdist is disabled",
        )


def environment_group(combination: Combination) -> str:
    """The xdist group of a combination: its answers except the layout.

    Both layouts of one (orm, logging) pair declare the same dependencies, so they
    can share a virtual environment; keeping them on one worker lets them.
    """
    return "-".join(value for question, value in combination.answers if question != "layout")


def combination_param(combination: Combination) -> Any:
    """A combination as a test parameter, on the worker of its environment group."""
    return pytest.param(
        combination,
        id=combination.id,
        marks=[
            pytest.mark.combination,
            pytest.mark.xdist_group(name=environment_group(combination)),
        ],
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # A test that takes `combination` runs once per combination of tests/matrix.py,
    # all of a combination's tests on the worker of its environment group.
    if "combination" in metafunc.fixturenames:
        metafunc.parametrize(
            "combination", [combination_param(combination) for combination in combinations()]
        )


UNGROUPED_TESTS = pytest.StashKey[list[str]]()


def work_unit(item: pytest.Item) -> str:
    """What the scheduler hands a worker at once: an xdist group, or a lone test."""
    group = item.get_closest_marker("xdist_group")
    return str(group.kwargs.get("name") or group.args[0]) if group else item.nodeid


def longest_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests in the order the scheduler should start them (it keeps collection
    order under --no-loadscope-reorder): the lone tests marked `minutes`, then the
    xdist groups, the largest first, then the rest, each in collection order.

    A worker whose work is a lone test takes the next unit at once (xdist keeps
    two in hand), so the `minutes` tests go first, one to each worker, each
    followed by a group; started last, they would leave the other worker idle.
    """
    units: dict[str, list[pytest.Item]] = {}
    for item in items:
        units.setdefault(work_unit(item), []).append(item)

    def rank(unit: list[pytest.Item]) -> tuple[int, int]:
        if unit[0].get_closest_marker("xdist_group"):
            return (1, -len(unit))
        return (0 if unit[0].get_closest_marker("minutes") else 2, 0)

    ordered = sorted(units.values(), key=rank)  # stable: collection order within a rank
    return [item for unit in ordered for item in unit]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # An xdist worker under --dist loadgroup has, by now, suffixed the node id of every
    # grouped test with "@<group>": that suffix is all the scheduler groups by. pytest
    # 9.2 silently defeats it (pytest-xdist issue 1386); `xdist_groups_work` says so.
    if getattr(config.option, "loadgroup", False):
        items[:] = longest_first(items)
        config.stash[UNGROUPED_TESTS] = [
            item.nodeid
            for item in items
            if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.split("]")[-1]
        ]


@pytest.fixture(scope="session", autouse=True)
def xdist_groups_work(pytestconfig: pytest.Config) -> None:
    ungrouped = pytestconfig.stash.get(UNGROUPED_TESTS, [])
    if ungrouped:
        pytest.fail(
            "pytest-xdist did not tag grouped tests with their xdist_group (for example "
            f"{ungrouped[0]}), so --dist loadgroup scatters them over workers: this pytest "
            "and pytest-xdist do not work together (see the pin in pyproject.toml).",
            pytrace=False,
        )


STAND_INS = pytest.StashKey[subprocess.Popen[bytes]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    # The container test's stand-in base images take minutes of debootstrap where
    # the cache lacks them: one process of the session (the first worker) starts
    # making them now, so that they are made while the other tests run.
    config = session.config
    first = getattr(config, "workerinput", {}).get("workerid", "gw0") == "gw0"
    will_run = not config.option.collectonly
    if first and will_run and any(item.get_closest_marker("containers") for item in session.items):
        process = start_making_missing(REPO_ROOT)
        if process is not None:
            config.stash[STAND_INS] = process


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    process = session.config.stash.get(STAND_INS, None)
    if process is None:
        return
    # Interrupted, stop it (the next session starts again); otherwise let it finish,
    # for the cache, rather than leave a debootstrap behind the session.
    if exitstatus == pytest.ExitCode.INTERRUPTED and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait()


@pytest.fixture(scope="session", autouse=True)
def copier_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Point Copier at an empty settings file: no user defaults, no trusted paths."""
    settings = tmp_path_factory.mktemp("copier-settings") / "settings.yml"
    settings.write_text("{}\n", encoding="utf-8")  # an empty file is not a mapping
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPIER_SETTINGS_PATH", str(settings))
        yield settings


@pytest.fixture(scope="session")
def template_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as it is in the working tree, as a plain directory."""
    destination = tmp_path_factory.mktemp("template-source") / "template"
    copy_working_tree(REPO_ROOT, destination)
    return destination


@pytest.fixture(scope="session")
def renders(template_source: Path, copie_session: Copie) -> PerCombination[RenderedProject]:
    """Each combination rendered once per session (per worker), by pytest-copie."""
    return render_cache(copie_session, template_source)


@pytest.fixture
def rendered(renders: PerCombination[RenderedProject], combination: Combination) -> RenderedProject:
    return renders.get(combination)


@pytest.fixture(scope="session")
def grown_services(
    template_source: Path, tmp_path_factory: pytest.TempPathFactory
) -> PerCombination[RenderedProject]:
    return grow_cache(template_source, tmp_path_factory.mktemp("grown"))


@pytest.fixture
def grown(
    grown_services: PerCombination[RenderedProject], combination: Combination
) -> RenderedProject:
    return grown_services.get(combination)


@pytest.fixture(scope="session")
def environments(tmp_path_factory: pytest.TempPathFactory) -> Environments:
    # `uv run` names the uv that started this session; prefer it to whatever is on PATH.
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not installed: it creates the rendered projects' environments")
    return Environments(tmp_path_factory.getbasetemp(), uv)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many rendered suites ran on PostgreSQL, so a skip cannot hide."""
    outcomes = {
        outcome: sum(
            "pytest-postgresql" in getattr(report, "nodeid", "")
            for report in terminalreporter.stats.get(outcome, [])
        )
        for outcome in ("passed", "failed", "skipped")
    }
    if any(outcomes.values()):
        terminalreporter.write_line(
            "rendered suites on PostgreSQL: "
            + ", ".join(f"{count} {outcome}" for outcome, count in outcomes.items())
        )
