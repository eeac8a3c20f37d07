"""The answer combinations the template is tested with.

This is the only place they are computed: the pytest parametrisation and the CI
matrix (`python -m tests.matrix`) both read them from here. Every question of
copier.yml that has `choices` contributes its choice values; the combinations
are their cartesian product, in question order. The `generate` question is
not among them: it chooses what to render (a service, or a resource added to
one), not a variant of the service; tests/test_resources.py covers resources.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

COPIER_YML = Path(__file__).resolve().parents[1] / "copier.yml"
MODE_QUESTION = "generate"


@dataclass(frozen=True)
class Combination:
    """One set of answers to the choice questions, e.g. layered/sqlalchemy/structlog."""

    answers: tuple[tuple[str, str], ...]  # (question, value) in question order

    @property
    def id(self) -> str:
        return "-".join(value for _, value in self.answers)

    @property
    def data(self) -> dict[str, str]:
        """The answers as Copier's `data` argument wants them."""
        return dict(self.answers)

    def as_matrix_entry(self) -> dict[str, str]:
        return {"id": self.id, **self.data}


def choice_questions(copier_yml: Path = COPIER_YML) -> dict[str, list[str]]:
    """Each question that has choices, with its choice values (not labels)."""
    questions: dict[str, Any] = yaml.safe_load(copier_yml.read_text(encoding="utf-8"))
    result: dict[str, list[str]] = {}
    for name, spec in questions.items():
        if name.startswith("_") or not isinstance(spec, dict) or "choices" not in spec:
            continue
        if name == MODE_QUESTION:
            continue
        choices = spec["choices"]
        # Copier accepts a mapping label -> value or a plain list of values.
        values = list(choices.values()) if isinstance(choices, dict) else list(choices)
        result[name] = [str(value) for value in values]
    return result


def combinations(copier_yml: Path = COPIER_YML) -> list[Combination]:
    questions = choice_questions(copier_yml)
    return [
        Combination(answers=tuple(zip(questions, values, strict=True)))
        for values in itertools.product(*questions.values())
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.matrix",
        description="Print the answer combinations as a GitHub Actions matrix.",
    )
    parser.add_argument(
        "--only", metavar="ID_SUBSTRING", help="keep only combinations whose id contains this"
    )
    parser.add_argument(
        "--github-output",
        action="store_true",
        help="also append 'matrix=<json>' to the file named by $GITHUB_OUTPUT",
    )
    args = parser.parse_args(argv)

    selected = [c for c in combinations() if args.only is None or args.only in c.id]
    if not selected:
        print(f"no combination id contains {args.only!r}", file=sys.stderr)
        return 1
    matrix = json.dumps({"include": [c.as_matrix_entry() for c in selected]})
    print(matrix)
    if args.github_output:
        output = os.environ.get("GITHUB_OUTPUT")
        if not output:
            print("--github-output: GITHUB_OUTPUT is not set", file=sys.stderr)
            return 1
        with open(output, "a", encoding="utf-8") as file:
            file.write(f"matrix={matrix}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
