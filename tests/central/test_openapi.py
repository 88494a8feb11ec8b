"""The OpenAPI schema is complete, and the error bodies really sent are the ones it promises.

Consoles and third parties generate clients from ``/openapi.json``: every operation must name
a typed success answer and every error status it can send, each with :class:`ErrorBody`.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from central.api.app import create_app
from central.api.errors import AUTHENTICATED, ErrorBody
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from conftest import api_headers

ERROR_REF = "#/components/schemas/ErrorBody"
METHODS = ("get", "put", "post", "delete", "patch")
# Routes with an id in the path that never answer 404, and why.
NEVER_404 = {
    "GET /api/v1/devices/{site}/{device}/config": "an unconfigured device reads as never set",
    "PUT /api/v1/sites/{site}/gallery/{worker_id}": "writing a site's gallery creates it",
    "GET /api/v1/sites/{site}/gallery": "a site without a gallery reads as empty",
    "PUT /api/v1/divisions/{code}": "entering a division creates it",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = str(tmp_path_factory.mktemp("openapi") / "central.db")
    Database(url).upgrade()
    service = CentralService(CentralSettings(db=url))
    app = create_app(service, manage_service=False)
    app.state.test_db = url
    yield app
    service.db.close()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _typed(schema: dict[str, Any]) -> bool:
    """A named model, a list of named models, or (for files and pages) a string body."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return "$ref" in schema.get("items", {})
    return schema.get("type") == "string"


def problems_of(spec: dict[str, Any]) -> list[str]:
    problems = []
    for name, op in operations(spec):
        responses = op.get("responses", {})
        ok = [s for s in responses if s.startswith("2")]
        if not ok:
            problems.append(f"{name}: no 2xx answer")
        for status in ok:
            content = responses[status].get("content", {})
            if not content or not all(_typed(c.get("schema", {})) for c in content.values()):
                problems.append(f"{name}: {status} has no typed model")
        for status, answer in responses.items():
            if status[0] not in "45":
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if status != "503" and schema.get("$ref") != ERROR_REF:
                problems.append(f"{name}: {status} is not documented as ErrorBody")
        needed: set[str] = set()
        if op.get("security"):
            needed |= {str(s) for s in AUTHENTICATED}
        if op.get("parameters") or op.get("requestBody"):
            needed.add("422")
        has_id = any(p["in"] == "path" for p in op.get("parameters", ()))
        if op.get("security") and has_id and name not in NEVER_404:
            needed.add("404")  # out of scope or missing: the id is checked
        missing = sorted(needed - set(responses))
        if missing:
            problems.append(f"{name}: undocumented {', '.join(missing)}")
    return problems


def test_every_operation_has_a_typed_answer_and_its_error_statuses(app: FastAPI) -> None:
    spec = app.openapi()
    assert len(list(operations(spec))) > 40  # the walk really sees the routes
    assert problems_of(spec) == []


def test_the_walk_fails_for_an_untyped_route(app: FastAPI) -> None:
    """The check itself can fail: a route returning a bare dict is caught."""
    bare = FastAPI()

    @bare.get("/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, object]:
        return {"id": thing_id}

    problems = problems_of(bare.openapi())
    assert any("no typed model" in p for p in problems)
    assert any("422 is not documented as ErrorBody" in p for p in problems)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def body_of(response: Any) -> ErrorBody:
    try:
        return ErrorBody.model_validate(response.json(), strict=False)
    except ValidationError as exc:
        status = response.status_code
        raise AssertionError(f"{status} body is not ErrorBody: {response.text}") from exc


def test_a_missing_token_answers_401_with_the_error_body(client: TestClient) -> None:
    response = client.get("/api/v1/projects")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert body_of(response).code == "unauthenticated"


def test_a_wrong_password_answers_401_with_the_error_body(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12})
    assert response.status_code in (401, 429)
    assert body_of(response).code in ("unauthenticated", "too_many_requests")


def test_not_found_and_validation_errors_have_the_error_body(
    client: TestClient, app: FastAPI
) -> None:
    headers = api_headers(app.state.test_db, "openapi-admin", "admin")
    missing = client.get("/api/v1/workers/NOBODY", headers=headers)
    assert missing.status_code == 404
    assert body_of(missing).code == "not_found"

    invalid = client.get(
        "/api/v1/projects/p/attendance-days", params={"month": "June"}, headers=headers
    )
    assert invalid.status_code == 422
    body = body_of(invalid)
    assert body.code == "invalid_input" and body.errors
    assert body.errors[0].loc[:2] == ["query", "month"]

    unknown = client.get("/api/v1/no-such-route", headers=headers)
    assert unknown.status_code == 404 and body_of(unknown).code == "not_found"


def test_the_schema_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["detail", "code"]
