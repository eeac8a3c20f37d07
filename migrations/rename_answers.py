"""Move answers recorded under a question's old name to its new name.

Run by copier.yml's `_migrations` before `copier update` asks the questions again,
in the service's directory, with the Python that runs Copier:

    python rename_answers.py ANSWERS_FILE [OLD=NEW ...]

Without it, a renamed question would take its default and the service's answer
would be lost. Safe to run on every update: once the old name is gone, it does
nothing, and it never overwrites an answer already recorded under the new name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def rename_answers(answers: dict[str, object], renames: dict[str, str]) -> dict[str, object]:
    """The answers with each old name that is present moved to its new name."""
    renamed = dict(answers)
    for old, new in renames.items():
        if old in renamed and new not in renamed:
            renamed[new] = renamed.pop(old)
    return renamed


def main(argv: list[str]) -> int:
    pairs = [arg.partition("=") for arg in argv[1:]]
    if not argv or not all(old and sep and new for old, sep, new in pairs):
        print("usage: rename_answers.py ANSWERS_FILE [OLD=NEW ...]", file=sys.stderr)
        return 2
    path = Path(argv[0])
    renames = {old: new for old, _, new in pairs}
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    renamed = rename_answers(answers, renames)
    if renamed != answers:  # untouched otherwise: an update may still be refused
        path.write_text(yaml.safe_dump(renamed, sort_keys=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
