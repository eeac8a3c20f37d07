"""What every template renders with: the filters and functions of copier.yml,
and the context that the modules of extensions/ build, in a fixed order.

The order matters: the resource is known before the layout places it among the
features, then a change of its fields adds its migration to the resource's
files, and all of it before the answers given with -d are checked (their
validators read them).
"""

from __future__ import annotations

from typing import Any

from copier_template_extensions import ContextHook
from jinja2 import Environment

from . import (
    answers,
    contracts,
    field_changes,
    layout,
    messages,
    resource_answers,
    toolchain,
    update,
)


class TemplateContext(ContextHook):
    """Registers the filters and functions, and builds each render's context."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            answers.FILTERS, **resource_answers.FILTERS, **field_changes.FILTERS, **update.FILTERS
        )
        environment.globals.update(messages.GLOBALS)
        self.answer_checks = answers.AnswerChecks(environment)

    def hook(self, context: dict[str, Any]) -> None:
        toolchain.add_toolchain(context)
        resource_answers.add_resource(context)
        layout.add_layout(context)
        contracts.add_contracts(context)
        field_changes.add_field_change(context)
        self.answer_checks.check(context)
