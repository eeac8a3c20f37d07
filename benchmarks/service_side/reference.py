"""The ceiling: plain FastAPI, the service's endpoint queries, nothing else.

Each route runs the SQL the service runs for the same endpoint, through SQLAlchemy
Core on the same driver with the same pool size, and answers with a Pydantic model
of the same shape. No middleware, no authentication, no ORM, no session: the
ceiling a FastAPI app doing this database work can reach. `same_work.py` adds the
token check and the user's lookup that the service must do, and is the reference
its targets are set against.

Configured by BENCHMARK_DATABASE_URL, BENCHMARK_READER_ID (whose user and projects
the reads return) and BENCHMARK_WRITER_ID (the owner of created projects).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, status
from pydantic import BaseModel, Field
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    MetaData,
    Row,
    Select,
    String,
    Table,
    Uuid,
    event,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("email", String),
    Column("password_hash", String),
    Column("full_name", String),
    Column("role", String),
    Column("is_active", Boolean),
)
projects = Table(
    "projects",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("owner_id", Uuid),
    Column("name", String),
    Column("slug", String),
    Column("description", String),
    Column("deleted_at", DateTime(timezone=True)),
)


class Health(BaseModel):
    status: str
    database: str


class User(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: str
    is_active: bool
    created_at: datetime


class Project(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    description: str | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class Pagination(BaseModel):
    has_next: bool
    next_cursor: str | None
    limit: int
    total: int | None = None  # offset pagination only, as in the service


class ProjectList(BaseModel):
    data: list[Project]
    pagination: Pagination


class NewProject(BaseModel):
    # The service's limits on input.
    name: str = Field(min_length=1, max_length=255)
    slug: str = Field(min_length=1, max_length=255, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    description: str | None = Field(default=None, max_length=2000)


def create_engine(url: str) -> AsyncEngine:
    if not url.startswith("sqlite"):
        # The service's default pool size, so neither side opens extra connections.
        return create_async_engine(url, pool_size=10, max_overflow=10)
    engine = create_async_engine(url, connect_args={"timeout": 5})

    @event.listens_for(engine.sync_engine, "connect")
    def enable_foreign_keys(connection: object, _record: object) -> None:
        # As the service does: the insert checks its owner, the same work.
        cursor = connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def app_with_health(engine: AsyncEngine) -> FastAPI:
    """The app both references start from: its engine disposed at shutdown, and
    the health check, whose one round trip is the same in both."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/api/health")
    async def health() -> Health:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return Health(status="healthy", database="healthy")

    return app


def owned_projects(owner_id: uuid.UUID, limit: int) -> Select[Any]:
    """The service's list query: one row more than asked tells if a next page exists."""
    return (
        select(projects)
        .where(projects.c.owner_id == owner_id, projects.c.deleted_at.is_(None))
        .order_by(projects.c.created_at.desc(), projects.c.id.desc())
        .limit(limit + 1)
    )


def project_page(rows: Sequence[Row[Any]], limit: int) -> ProjectList:
    items = [Project.model_validate(row._mapping) for row in rows[:limit]]
    # The service encodes a cursor here when there is a next page; the seed
    # makes exactly `limit` projects, so neither side has one.
    page = Pagination(has_next=len(rows) > limit, next_cursor=None, limit=limit)
    return ProjectList(data=items, pagination=page)


def new_project(owner_id: uuid.UUID, data: NewProject) -> dict[str, Any]:
    """A new row's values, as the service's model defaults make them."""
    now = datetime.now(UTC)
    return {
        "id": uuid.uuid4(),
        "created_at": now,
        "updated_at": now,
        "owner_id": owner_id,
        "deleted_at": None,
        **data.model_dump(),
    }


def create_app() -> FastAPI:
    engine = create_engine(os.environ["BENCHMARK_DATABASE_URL"])
    reader_id = uuid.UUID(os.environ["BENCHMARK_READER_ID"])
    writer_id = uuid.UUID(os.environ["BENCHMARK_WRITER_ID"])
    app = app_with_health(engine)

    @app.get("/api/v1/users/me")
    async def me() -> User:
        query = select(users).where(users.c.id == reader_id).limit(1)
        async with engine.connect() as connection:
            row = (await connection.execute(query)).one()
        return User.model_validate(row._mapping)

    @app.get("/api/v1/projects")
    async def list_projects(limit: int = 20) -> ProjectList:
        async with engine.connect() as connection:
            rows = (await connection.execute(owned_projects(reader_id, limit))).all()
        return project_page(rows, limit)

    @app.post("/api/v1/projects", status_code=status.HTTP_201_CREATED)
    async def create_project(data: NewProject) -> Project:
        values = new_project(writer_id, data)
        async with engine.begin() as connection:
            await connection.execute(projects.insert().values(values))
        return Project.model_validate(values)

    return app
