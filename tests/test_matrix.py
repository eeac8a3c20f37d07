"""`python -m tests.matrix`: the combinations of copier.yml's choices as CI's matrix."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.matrix import choice_questions, combinations, main


def printed_matrix(capsys: pytest.CaptureFixture[str], *arguments: str) -> object:
    assert main(list(arguments)) == 0
    return json.loads(capsys.readouterr().out)


def test_the_matrix_holds_every_combination(capsys: pytest.CaptureFixture[str]) -> None:
    questions = choice_questions()
    assert questions == {
        "layout": ["layered", "feature-sliced"],
        "orm": ["sqlalchemy", "sqlmodel"],
        "logging": ["structlog", "stdlib"],
    }
    expected = [
        {"id": "-".join(values), **dict(zip(questions, values, strict=True))}
        for values in itertools.product(*questions.values())
    ]
    assert printed_matrix(capsys) == {"include": expected}


def test_only_selects_the_combinations_whose_id_contains_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    matrix = printed_matrix(capsys, "--only", "sqlmodel-stdlib")
    assert matrix == {
        "include": [c.as_matrix_entry() for c in combinations() if c.id.endswith("sqlmodel-stdlib")]
    }


def test_only_refuses_a_selection_of_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "mongodb"]) == 1
    assert "no combination id contains 'mongodb'" in capsys.readouterr().err


def test_github_output_appends_the_matrix(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    printed = json.dumps(printed_matrix(capsys, "--github-output", "--only", "layered"))
    assert output.read_text(encoding="utf-8") == f"earlier=1\nmatrix={printed}\n"


def test_github_output_needs_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    assert main(["--github-output"]) == 1
    assert "GITHUB_OUTPUT is not set" in capsys.readouterr().err


def test_an_id_selects_its_own_combination_alone() -> None:
    """CI runs one combination with `pytest -k <id>`, which matches substrings."""
    ids = [c.id for c in combinations()]
    assert len(set(ids)) == len(ids)
    overlaps = [(a, b) for a in ids for b in ids if a != b and a in b]
    assert not overlaps
