"""The same-work reference: the service's work per request, written by hand.

What a careful engineer would write without the standard's layers: each route
reads the bearer token and checks it with PyJWT (HS256, the service's key, "sub"
and "exp" required), loads the token's user by primary key on the request's one
connection, refuses it unless it is active, then runs the endpoint's query
through SQLAlchemy Core on the same driver and pool, and answers with Pydantic
models of the service's shape. No `Depends`, no ORM, no session, no middleware.
The service's targets are set against this app; `reference.py`, which skips the
token and the user, is the ceiling.

Configured by BENCHMARK_DATABASE_URL and SECRET_KEY (the service's).
"""

from __future__ import annotations

import os
import uuid

import jwt
from fastapi import FastAPI, HTTPException, Query, Request, status
from reference import (
    NewProject,
    Project,
    ProjectList,
    User,
    app_with_health,
    create_engine,
    new_project,
    owned_projects,
    project_page,
    projects,
    users,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection


def create_app() -> FastAPI:
    engine = create_engine(os.environ["BENCHMARK_DATABASE_URL"])
    secret_key = os.environ["SECRET_KEY"]
    unauthorized = HTTPException(status.HTTP_401_UNAUTHORIZED, "Could not validate credentials")

    def token_subject(request: Request) -> uuid.UUID:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized
        try:
            claims = jwt.decode(
                token, secret_key, algorithms=["HS256"], options={"require": ["sub", "exp"]}
            )
            return uuid.UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError) as error:
            raise unauthorized from error

    async def active_user(connection: AsyncConnection, user_id: uuid.UUID) -> dict[str, object]:
        query = select(users).where(users.c.id == user_id)
        row = (await connection.execute(query)).one_or_none()
        if row is None or not row.is_active:
            raise unauthorized
        return dict(row._mapping)

    app = app_with_health(engine)

    @app.get("/api/v1/users/me")
    async def me(request: Request) -> User:
        user_id = token_subject(request)
        async with engine.connect() as connection:
            user = await active_user(connection, user_id)
        return User.model_validate(user)

    @app.get("/api/v1/projects")
    async def list_projects(request: Request, limit: int = Query(20, ge=1, le=100)) -> ProjectList:
        user_id = token_subject(request)
        async with engine.connect() as connection:
            await active_user(connection, user_id)
            rows = (await connection.execute(owned_projects(user_id, limit))).all()
        return project_page(rows, limit)

    @app.post("/api/v1/projects", status_code=status.HTTP_201_CREATED)
    async def create_project(request: Request, data: NewProject) -> Project:
        user_id = token_subject(request)
        values = new_project(user_id, data)
        try:
            async with engine.begin() as connection:  # commits before the response
                await active_user(connection, user_id)
                await connection.execute(projects.insert().values(values))
        except IntegrityError as error:
            raise HTTPException(status.HTTP_409_CONFLICT, "Slug already in use") from error
        return Project.model_validate(values)

    return app
