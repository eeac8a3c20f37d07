"""FastAPI dependencies every feature shares: the request's session and resources."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from .config import Settings
from .database import AsyncSession
from .exceptions import AppError
from .security import PasswordHasher, TokenCodec
from .shutdown import Lifecycle


@dataclass(frozen=True)
class Resources:
    """Built once at startup (see main.lifespan), shared by every request."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    passwords: PasswordHasher
    tokens: TokenCodec
    lifecycle: Lifecycle


# Every provider is `async def` even when it awaits nothing: FastAPI runs a plain
# `def` provider in a worker thread, a costly trip for a constructor call.
async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One session and transaction per request, owned here at the request edge.

    Used with scope="function", the commit runs when the endpoint returns and
    before the response is sent, so a failed commit can never reach the client
    as a success. Services and repositories flush; they never commit. On an
    error the session closes without committing, which rolls back, unless the
    error keeps the changes (a failed log-in is counted, and stays counted).
    """
    async with resources.sessionmaker() as session:
        try:
            yield session
        except AppError as error:
            if error.keeps_changes:
                await session.commit()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
