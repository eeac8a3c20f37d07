"""Free-text answers of any length or character set render a project that passes.

Answers end up inside Python and TOML string literals and decide line lengths,
so a long name could change how ruff formats a line and a quote could end a
literal early. One combination is rendered with such answers and fully checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_copie.plugin import Copie

from tests.harness import Environments, RenderedProject, copied
from tests.test_service_checks import SQLITE_ONLY_CHECKS

UNUSUAL = {
    "layout": "feature-sliced",
    "orm": "sqlalchemy",
    "logging": "structlog",
    "project_name": "Ärger-free Billing Reconciliation & Settlement Platform's Service",
    "package_name": "acme_enterprise_billing_reconciliation_settlement_service",
    "description": 'Reconciles "every" ledger \\ statement, in ü and 日本語 too.',
    "author_name": 'Team "Ledger" \\ Ops',
    "author_email": "ledger-ops@billing.example.com",
}

# Not a `combination` test (it has no combination id): CI's template job runs it.
# Its dependencies are those of the sqlalchemy-structlog combinations: same worker.
pytestmark = pytest.mark.xdist_group(name="sqlalchemy-structlog")


@pytest.fixture(scope="module")
def unusual(template_source: Path, copie_session: Copie) -> RenderedProject:
    return copied(copie_session, template_source, UNUSUAL)


def test_the_slug_is_derived_from_the_name(unusual: RenderedProject) -> None:
    pyproject = (unusual.path / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "arger-free-billing-reconciliation-settlement-platform-s-service"' in pyproject


@pytest.mark.parametrize("check", SQLITE_ONLY_CHECKS)
def test_check(unusual: RenderedProject, environments: Environments, check: str) -> None:
    result = environments.run(unusual.path, SQLITE_ONLY_CHECKS[check])
    assert result.returncode == 0, f"unusual answers: {check} failed:\n{result.tail}"
