"""A program written against the client that openapi-python-client generates
from a rendered service's OpenAPI, as a team's consumer would write it.

tests/test_api_client.py generates the client (package `service_client`),
type-checks it with this program under `mypy --strict`, and runs this program
against the running service: `python api_client_flow.py URL ADMIN_EMAIL
ADMIN_PASSWORD`. Every documented error is reached once; an undocumented status
raises (`raise_on_unexpected_status`). The checks use the types the schema
gives: a field typed `| Unset` where the server always sends it would not pass
mypy here.
"""

from __future__ import annotations

import sys
import uuid
from http import HTTPStatus
from typing import Any, TypeVar

from service_client import AuthenticatedClient, Client
from service_client.api.auth import issue_token, register
from service_client.api.health import health_check, liveness_check
from service_client.api.projects import (
    create_project,
    delete_project,
    get_project,
    list_projects,
    update_project,
)
from service_client.api.users import list_users, read_current_user
from service_client.models import (
    ErrorBody,
    ErrorResponse,
    HealthResponse,
    HealthResponseStatus,
    ListProjectsSort,
    LivenessResponse,
    PasswordForm,
    ProjectCreate,
    ProjectListResponse,
    ProjectResponse,
    ProjectUpdate,
    RegisterRequest,
    Role,
    TokenResponse,
    UserListResponse,
    UserResponse,
)
from service_client.types import Response

Body = TypeVar("Body")


def parsed(response: Response[ErrorResponse | Body], status: HTTPStatus, kind: type[Body]) -> Body:
    """The body of a response that must have this status and this type."""
    assert response.status_code == status, (response.status_code, response.content)
    body = response.parsed
    assert isinstance(body, kind), body
    return body


def error(response: Response[Any], status: HTTPStatus, code: str) -> ErrorBody:
    """The envelope of an error response, with the status and code expected."""
    assert response.status_code == status, (response.status_code, response.content)
    envelope = response.parsed
    assert isinstance(envelope, ErrorResponse), envelope
    assert envelope.error.code == code, envelope.error
    return envelope.error


def log_in(base_url: str, email: str, password: str) -> AuthenticatedClient:
    client = Client(base_url=base_url, raise_on_unexpected_status=True)
    form = PasswordForm(username=email, password=password)
    token = parsed(
        issue_token.sync_detailed(client=client, body=form), HTTPStatus.OK, TokenResponse
    )
    assert token.token_type == "bearer"
    assert token.expires_in > 0
    return AuthenticatedClient(
        base_url=base_url, token=token.access_token, raise_on_unexpected_status=True
    )


def check_auth(base_url: str, email: str, password: str) -> UserResponse:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    health = health_check.sync_detailed(client=anonymous)
    assert health.status_code == HTTPStatus.OK
    assert isinstance(health.parsed, HealthResponse)
    assert health.parsed.status is HealthResponseStatus.HEALTHY
    alive = parsed(liveness_check.sync_detailed(client=anonymous), HTTPStatus.OK, LivenessResponse)
    assert alive.status == "alive"

    account = RegisterRequest(email=email, password=password, full_name="Ada Lovelace")
    user = parsed(
        register.sync_detailed(client=anonymous, body=account), HTTPStatus.CREATED, UserResponse
    )
    assert (user.email, user.role, user.is_active) == (email, Role.USER, True)
    error(register.sync_detailed(client=anonymous, body=account), HTTPStatus.CONFLICT, "CONFLICT")
    short = RegisterRequest(email=f"x{email}", password="short", full_name="Ada")
    invalid = error(
        register.sync_detailed(client=anonymous, body=short),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    # `details` is always sent, so it is typed as a list: no Unset to rule out.
    assert len(invalid.details) == 1
    assert invalid.details[0].field == "body.password"
    wrong = PasswordForm(username=email, password=f"not-{password}")
    error(
        issue_token.sync_detailed(client=anonymous, body=wrong),
        HTTPStatus.UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    forged = AuthenticatedClient(base_url=base_url, token="not-a-token")
    error(read_current_user.sync_detailed(client=forged), HTTPStatus.UNAUTHORIZED, "UNAUTHORIZED")
    return user


def check_projects(client: AuthenticatedClient) -> None:
    created = [
        parsed(
            create_project.sync_detailed(
                client=client, body=ProjectCreate(name=f"Apollo {n}", slug=f"apollo-{n}")
            ),
            HTTPStatus.CREATED,
            ProjectResponse,
        )
        for n in range(3)
    ]
    duplicate = ProjectCreate(name="Again", slug="apollo-0")
    error(
        create_project.sync_detailed(client=client, body=duplicate), HTTPStatus.CONFLICT, "CONFLICT"
    )

    # Cursor pagination, newest first, to the end.
    first = parsed(
        list_projects.sync_detailed(client=client, limit=2), HTTPStatus.OK, ProjectListResponse
    )
    assert first.pagination.has_next
    assert first.pagination.total is None
    cursor = first.pagination.next_cursor
    assert cursor is not None
    rest = parsed(
        list_projects.sync_detailed(client=client, limit=2, after=cursor),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    assert rest.pagination.next_cursor is None
    assert [p.id for p in first.data + rest.data] == [p.id for p in reversed(created)]
    # Offset pagination, with a total.
    page = parsed(
        list_projects.sync_detailed(client=client, limit=2, page=2),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    assert (page.pagination.total, [p.id for p in page.data]) == (3, [created[0].id])
    error(
        list_projects.sync_detailed(client=client, limit=0),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    # Sorted by slug, descending, to the end; a filter on the slug.
    by_slug = parsed(
        list_projects.sync_detailed(client=client, limit=2, sort=ListProjectsSort.SLUG_DESC),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    cursor = by_slug.pagination.next_cursor
    assert cursor is not None
    last = parsed(
        list_projects.sync_detailed(
            client=client, limit=2, sort=ListProjectsSort.SLUG_DESC, after=cursor
        ),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    assert [p.slug for p in by_slug.data + last.data] == ["apollo-2", "apollo-1", "apollo-0"]
    # A cursor is for the sort it was issued for.
    mismatch = error(
        list_projects.sync_detailed(client=client, sort=ListProjectsSort.SLUG, after=cursor),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )
    assert [detail.field for detail in mismatch.details] == ["query.after"]
    one = parsed(
        list_projects.sync_detailed(client=client, slug="apollo-1"),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    assert [p.id for p in one.data] == [created[1].id]
    since = parsed(
        list_projects.sync_detailed(client=client, min_created_at=created[1].created_at),
        HTTPStatus.OK,
        ProjectListResponse,
    )
    assert [p.id for p in since.data] == [created[2].id, created[1].id]

    project = created[0]
    fetched = parsed(
        get_project.sync_detailed(project.id, client=client), HTTPStatus.OK, ProjectResponse
    )
    assert fetched.to_dict() == project.to_dict()
    changes = ProjectUpdate(name="Artemis", description="To the moon")
    updated = parsed(
        update_project.sync_detailed(project.id, client=client, body=changes),
        HTTPStatus.OK,
        ProjectResponse,
    )
    assert (updated.name, updated.slug, updated.description) == (
        "Artemis",
        "apollo-0",
        "To the moon",
    )
    cleared = parsed(
        update_project.sync_detailed(
            project.id, client=client, body=ProjectUpdate(description=None)
        ),
        HTTPStatus.OK,
        ProjectResponse,
    )
    assert (cleared.name, cleared.description) == ("Artemis", None)
    error(
        update_project.sync_detailed(
            project.id, client=client, body=ProjectUpdate(slug="Not A Slug")
        ),
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "VALIDATION_ERROR",
    )

    deleted = delete_project.sync_detailed(project.id, client=client)
    assert deleted.status_code == HTTPStatus.NO_CONTENT
    error(get_project.sync_detailed(project.id, client=client), HTTPStatus.NOT_FOUND, "NOT_FOUND")
    error(
        delete_project.sync_detailed(project.id, client=client), HTTPStatus.NOT_FOUND, "NOT_FOUND"
    )
    nobody = uuid.uuid4()
    error(get_project.sync_detailed(nobody, client=client), HTTPStatus.NOT_FOUND, "NOT_FOUND")


def check_users(
    user_client: AuthenticatedClient, admin_client: AuthenticatedClient, user: UserResponse
) -> None:
    me = parsed(read_current_user.sync_detailed(client=user_client), HTTPStatus.OK, UserResponse)
    assert me.to_dict() == user.to_dict()
    error(list_users.sync_detailed(client=user_client), HTTPStatus.FORBIDDEN, "FORBIDDEN")

    admin = parsed(
        read_current_user.sync_detailed(client=admin_client), HTTPStatus.OK, UserResponse
    )
    assert admin.role is Role.ADMIN
    users = parsed(
        list_users.sync_detailed(client=admin_client, page=1, limit=100),
        HTTPStatus.OK,
        UserListResponse,
    )
    assert users.pagination.total == len(users.data)
    assert {u.id for u in users.data} >= {user.id, admin.id}
    newest = parsed(
        list_users.sync_detailed(client=admin_client, limit=1), HTTPStatus.OK, UserListResponse
    )
    assert newest.pagination.has_next
    following = parsed(
        list_users.sync_detailed(
            client=admin_client, limit=1, after=newest.pagination.next_cursor or ""
        ),
        HTTPStatus.OK,
        UserListResponse,
    )
    assert following.data[0].id != newest.data[0].id


def main(base_url: str, admin_email: str, admin_password: str) -> None:
    email = f"ada-{uuid.uuid4().hex[:12]}@example.com"
    password = "correct-horse-battery"
    user = check_auth(base_url, email, password)
    user_client = log_in(base_url, email, password)
    check_projects(user_client)
    check_users(user_client, log_in(base_url, admin_email, admin_password), user)
    sys.stdout.write("the generated client's flow passed\n")


if __name__ == "__main__":
    main(*sys.argv[1:4])
