"""Rows in a rendered service's database, written and read as its team's data
would be, around a change of a resource's fields (tests/test_field_changes.py).

Run in the service's own environment (its SQLAlchemy and async drivers):

    python field_change_data.py create SERVER_URL NAME  # a new, empty PostgreSQL database
    python field_change_data.py insert DATABASE_URL     # a user, a project, two invoices, a payment
    python field_change_data.py read DATABASE_URL       # the invoices' columns and rows, as JSON
    python field_change_data.py refuse DATABASE_URL     # what the invoices' constraints refuse
    python field_change_data.py hold DATABASE_URL VALUE # the second invoice's status

`refuse` points the first invoice at the project, then tries to delete the project
and to give the second invoice the status `void`: it prints which of the two the
database refused, each tried in a transaction of its own, rolled back.

Values are typed by SQLAlchemy, so both databases read back the same JSON.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

OWNER = uuid.UUID("00000000-0000-4000-8000-000000000001")
PROJECT = uuid.UUID("00000000-0000-4000-8000-000000000002")
NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
STAMPS = ("created_at", "updated_at")
USERS = sa.table(
    "users",
    *(sa.column(name, sa.Uuid()) for name in ("id",)),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in ("created_at", "updated_at")),
    *(sa.column(name, sa.String()) for name in ("email", "password_hash", "full_name", "role")),
    sa.column("is_active", sa.Boolean()),
)
# The columns the change keeps, typed; the others are read by name.
KEPT = {
    "id": sa.Uuid(),
    "number": sa.String(),
    "amount": sa.Numeric(12, 2),
    "due": sa.Date(),
    "paid": sa.Boolean(),
}
# Columns read when the table has them: those the changes drop and add.
CHANGED = {"note": sa.String(), "reference": sa.String(), "status": sa.String()}
CHANGED["project_id"] = sa.Uuid()  # SQLite stores it as 32 hex digits
# Payments refer to invoices (ON DELETE CASCADE).
PAYMENTS = sa.table(
    "payments",
    *(sa.column(name, sa.Uuid()) for name in ("id", "owner_id", "invoice_id")),
    sa.column("paid_on", sa.Date()),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in STAMPS),
)
PROJECTS = sa.table(
    "projects",
    *(sa.column(name, sa.Uuid()) for name in ("id", "owner_id")),
    *(sa.column(name, sa.String()) for name in ("name", "slug")),
    *(sa.column(name, sa.DateTime(timezone=True)) for name in STAMPS),
)
ROWS = [
    {"number": "INV-1", "amount": Decimal("1234.50"), "due": date(2026, 2, 1), "paid": False},
    {"number": "INV-2", "amount": Decimal("-0.75"), "due": date(2026, 3, 1), "paid": True},
]


async def create(server_url: str, name: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        await connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()


def engine_for(url: str) -> AsyncEngine:
    """An engine that enforces foreign keys on SQLite too, as the service's does."""
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        sa.event.listen(engine.sync_engine, "connect", _foreign_keys_on)
    return engine


def _foreign_keys_on(connection: Any, _: object) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


async def columns(engine: AsyncEngine) -> dict[str, Any]:
    """The invoices' columns by name, as the database describes them."""
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: {
                column["name"]: column for column in sa.inspect(sync).get_columns("invoices")
            }
        )


async def insert(url: str) -> None:
    engine = engine_for(url)
    has_note = "note" in await columns(engine)
    invoices = sa.table(
        "invoices",
        *(sa.column(name, kind) for name, kind in KEPT.items()),
        sa.column("owner_id", sa.Uuid()),
        *([sa.column("note", sa.String())] if has_note else []),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in STAMPS),
    )
    async with engine.begin() as connection:
        await connection.execute(
            USERS.insert().values(
                id=OWNER,
                created_at=NOW,
                updated_at=NOW,
                email="team@example.com",
                password_hash="not a hash",
                full_name="Billing Team",
                role="user",
                is_active=True,
            )
        )
        await connection.execute(
            PROJECTS.insert().values(
                id=PROJECT,
                owner_id=OWNER,
                name="Ledger",
                slug="ledger",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for number, row in enumerate(ROWS, start=1):
            note = {"note": f"note {number}"} if has_note else {}
            await connection.execute(
                invoices.insert().values(
                    id=uuid.UUID(int=number),
                    owner_id=OWNER,
                    created_at=NOW,
                    updated_at=NOW,
                    **note,
                    **row,
                )
            )
        await connection.execute(
            PAYMENTS.insert().values(
                id=uuid.UUID(int=3),
                owner_id=OWNER,
                paid_on=date(2026, 2, 2),
                invoice_id=uuid.UUID(int=1),
                created_at=NOW,
                updated_at=NOW,
            )
        )
    await engine.dispose()


async def read(url: str) -> None:
    engine = engine_for(url)
    described = await columns(engine)
    nullable = {name: column["nullable"] for name, column in described.items()}
    # The status's server default, without PostgreSQL's cast: 'sent'::character varying.
    default = re.match(r"'(\w+)'", described.get("status", {}).get("default") or "")
    invoices = sa.table(
        "invoices",
        *(sa.column(name, kind) for name, kind in KEPT.items()),
        *(sa.column(name, kind) for name, kind in CHANGED.items() if name in nullable),
    )
    async with engine.connect() as connection:
        rows = (await connection.execute(sa.select(invoices).order_by(invoices.c.number))).all()
        constraints = await connection.run_sync(_constraints)
        payments = (await connection.execute(sa.select(PAYMENTS.c.invoice_id))).scalars().all()
    await engine.dispose()
    values = [{name: _json(value) for name, value in row._mapping.items()} for row in rows]
    state = {"nullable": nullable, "rows": values, "constraints": constraints}
    state["payments"] = sorted(str(invoice) for invoice in payments)
    print(json.dumps({**state, "status_default": default and default[1]}))


def _constraints(connection: sa.Connection) -> list[str]:
    """The names of the invoices' foreign keys, CHECK constraints and indexes."""
    inspector = sa.inspect(connection)
    found = [
        *inspector.get_foreign_keys("invoices"),
        *inspector.get_check_constraints("invoices"),
        *inspector.get_indexes("invoices"),
    ]
    return sorted(str(constraint["name"]) for constraint in found)


async def refuse(url: str) -> None:
    engine = engine_for(url)
    invoices = sa.table(
        "invoices", sa.column("id", sa.Uuid()), *(sa.column(n, CHANGED[n]) for n in CHANGED)
    )
    attempts = {
        "delete_a_referenced_project": PROJECTS.delete().where(PROJECTS.c.id == PROJECT),
        "set_status_void": invoices.update()
        .where(invoices.c.id == uuid.UUID(int=2))
        .values(status="void"),
    }
    async with engine.begin() as connection:
        await connection.execute(
            invoices.update().where(invoices.c.id == uuid.UUID(int=1)).values(project_id=PROJECT)
        )
    refused: dict[str, bool] = {}
    for name, statement in attempts.items():
        try:
            async with engine.connect() as connection:  # rolled back, never kept
                await connection.execute(statement)
            refused[name] = False
        except IntegrityError:
            refused[name] = True
    await engine.dispose()
    print(json.dumps(refused))


async def hold(url: str, status: str) -> None:
    engine = engine_for(url)
    invoices = sa.table("invoices", sa.column("id", sa.Uuid()), sa.column("status", sa.String()))
    async with engine.begin() as connection:
        second = invoices.c.id == uuid.UUID(int=2)
        await connection.execute(invoices.update().where(second).values(status=status))
    await engine.dispose()


def _json(value: object) -> object:
    return value if value is None or isinstance(value, (bool, str)) else str(value)


if __name__ == "__main__":
    mode, *arguments = sys.argv[1:]
    modes = {"create": create, "insert": insert, "read": read, "refuse": refuse, "hold": hold}
    asyncio.run(modes[mode](*arguments))
