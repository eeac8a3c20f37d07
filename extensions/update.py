"""Checks that make `copier update` refuse, rather than silently change, a project.

Copier reads a project's earlier answers from its answers file. On update it
quietly replaces a recorded answer that no longer validates (a retired choice,
say) with the question's default, and it accepts any new answer given with
`-d`, even one that moves every file of the project. The `update_problem` filter,
used in copier.yml's validators, compares the answer with the recorded one and
returns the message Copier shows, or an empty string when all is well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .service import recorded_answers

# Answers an update cannot change, and why: each moves or rewrites code under the
# service team's own modules, which Copier would leave behind, broken.
FIXED_ANSWERS = {
    "layout": (
        "every module of the service would move, and the code your team wrote in "
        "the old places would be left behind, importing modules that no longer exist"
    ),
    "orm": (
        "your models, repositories and migrations are written against it, and the "
        "template's own would change under them"
    ),
    "package_name": (
        "every module of the service would move to the new package, and the code "
        "your team wrote in the old one would be left behind"
    ),
}


def update_problem(value: Any, question: str, conf: Mapping[str, Any]) -> str:
    """Why `value` must not replace the recorded answer to `question`, or ""."""
    recorded = recorded_answers(conf)
    if question not in recorded or recorded[question] == value:
        return ""
    previous = recorded[question]
    # With --defaults, an answer nobody gave differs from the recorded one only when
    # Copier dropped the recorded one as no longer valid and fell back to the default.
    given = question in conf["data"] or not conf["defaults"]
    if not given:
        return (
            f"{question} {previous!r}, recorded in {conf['answers_file']}, is no longer "
            f"an answer this version of the template accepts, and an update does not "
            f"replace it with {value!r} unasked. The template's CHANGELOG says what "
            f"replaces it: give that with -d {question}=<answer>."
        )
    if question in FIXED_ANSWERS:
        return fixed_answer_problem(question, previous, value)
    return ""


def fixed_answer_problem(question: str, previous: Any, value: Any) -> str:
    """The recorded answer first: at 80 columns Copier's prompt shows little more."""
    return (
        f"{previous!r} as recorded: {question} cannot change on update (to {value!r}): "
        f"{FIXED_ANSWERS[question]}. To switch, render a new service with copier copy "
        f"and move your code into it."
    )


# The filter copier.yml's validators use on update.
FILTERS = {"update_problem": update_problem}
