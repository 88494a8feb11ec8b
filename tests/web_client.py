"""Driving the console in-process the way a browser does: read the CSRF field, sign in;
and the app itself, served in-process on a test module's database, with its accounts.

Every console test needs the same three steps (fetch a form, lift its CSRF token, post with
it); they live here once so a change to the login form or the token's shape is made in one
place. The answers are asserted, so a test that signs in wrongly fails at the sign-in, not
somewhere later with a puzzling 403.
"""

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from central.api.app import create_app
from central.auth.users import UserIn, add_user
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from conftest import TEST_PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page (the test fails if there is none)."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def without_csrf(html: str) -> str:
    """``html`` with its CSRF tokens blanked: each page masks the token afresh (BREACH), so
    two renderings of the same page differ there and only there."""
    return CSRF_FIELD.sub('name="csrf_token" value=""', html)


def csrf(client: TestClient, page: str) -> str:
    """The CSRF token ``page`` hands the signed-in ``client``."""
    found = CSRF_FIELD.search(client.get(page).text)
    assert found, page
    return found.group(1)


def sign_in(
    client: TestClient, username: str, password: str = TEST_PASSWORD, english: bool = False
) -> TestClient:
    """Sign ``client`` in at /console/login as ``username`` (a fresh session; English on
    request); the same client, for chaining."""
    client.cookies.clear()
    if english:
        client.cookies.set("sitegate_lang", "en")
    token = csrf(client, "/console/login")
    answer = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    return client


def bearer(client: TestClient, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    """API headers for ``username``, obtained through POST /api/v1/auth/login as a client would."""
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def add_users(db: Database, users: Mapping[str, Mapping[str, object]]) -> None:
    """Console accounts (username → role and scope), all with :data:`TEST_PASSWORD`."""
    for name, scope in users.items():
        add_user(db, UserIn(username=name, password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]


@contextmanager
def console_client(url: str, **settings: Any) -> Iterator[TestClient]:
    """Central's app on the database at ``url`` (its background service not started), in
    process, for one test module: pages and API answer as served, nothing listens."""
    service = CentralService(CentralSettings(db=url, **settings))
    try:
        with TestClient(create_app(service, manage_service=False)) as client:
            yield client
    finally:
        service.db.close()
