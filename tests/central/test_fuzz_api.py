"""The whole API under a schema-driven fuzzer (schemathesis), plus hand-picked boundary values.

In-process through the ASGI app over a real, seeded SQLite file, as an admin (who reaches
every route). For every operation in the OpenAPI document: values that fit the schema and
values that do not (schemathesis' positive and negative modes), then each parameter and each
top-level body field replaced in turn by a boundary value (2^63, 1e39, month 0000-01, the
year 9999, a 10,000-character string, NUL and other control characters). No answer may be a
5xx, and every answer must be one the schema documents (status, body).

Bounded and deterministic: ``derandomize`` fixes hypothesis' choices, a few examples per
operation and mode, about a minute in all.
"""

import contextlib
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from db_fixtures import PG_ADMIN_URL, PostgresUnavailable, postgres_database
from factories import local, registered_project, store_punches
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from central.api.app import create_app
from central.payroll import batches
from central.registry.sealing import KEY_FILE_ENV, Sealer
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from central.wages.rules import PayTerms
from central.warnings.indicators import scan
from conftest import api_headers

EXAMPLES = 4  # per operation and mode
BOUNDARY_VALUES: tuple[object, ...] = (
    2**63,  # one past what SQLite and PostgreSQL integers hold
    1e39,  # does not fit a float32
    "0000-01",
    "9999-12-31",
    "x" * 10_000,
    "a\x00b",  # PostgreSQL cannot store or even compare text with a NUL
    "\u202e",  # right-to-left override
    None,
)
# The face encoder runs in a child process for seconds per call; /healthz answers 503 by
# design here (no broker in this test).
# Logout revokes the fuzzing admin's own token: every later request would only meet a 401.
SKIP = {
    ("POST", "/api/v1/workers/{worker_id}/photos"),
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/logout"),
}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FastAPI]:
    """The app over a seeded database: a project, workers, punches, a draft batch, warnings.

    PostgreSQL refuses values SQLite takes (a NUL in text), so both engines are fuzzed.
    """
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = str(tmp / "central.db")
        else:
            try:
                url = stack.enter_context(
                    postgres_database(PG_ADMIN_URL, f"sitegate_fuzz_{os.getpid()}")
                )
            except PostgresUnavailable as exc:
                pytest.skip(f"PostgreSQL not reachable ({exc})")
        env = stack.enter_context(pytest.MonkeyPatch.context())
        env.setenv(KEY_FILE_ENV, str(tmp / "central.key"))
        db = Database(url)
        db.upgrade()
        sealer = Sealer.from_file(tmp / "central.key")
        daily = PayTerms(pay_kind="daily", rate_fen=36000)
        registered_project(db, sealer, "site-a", {"W1": daily, "W2": daily})
        store_punches(
            db,
            "site-a",
            [("W1", "in", local("2025-06-10 08:00")), ("W1", "out", local("2025-06-10 17:00"))],
        )
        batches.compute(db, "site-a", "2025-06", "boss")
        scan(db, date(2025, 7, 20))
        db.close()
        service = CentralService(CentralSettings(db=url))
        application = create_app(service, manage_service=False)
        application.state.fuzz_headers = api_headers(url, "root", "admin")
        yield application
        service.db.close()


def operations(app: FastAPI) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = []
    for result in schema.get_all_operations():
        op = result.ok()
        if (op.method.upper(), op.path) not in SKIP:
            found.append(op)
    return found


CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _call(case: Any, headers: dict[str, str], failures: list[str]) -> None:
    label = f"{case.method} {case.formatted_path}"
    try:
        response = case.call(headers=headers)
    except Exception as exc:  # the in-process server raised: a 500 over HTTP
        failures.append(f"{case.method} {case.path}: 500 {type(exc).__name__}: {str(exc)[:150]}")
        return
    if response.status_code >= 500:
        failures.append(f"{label}: {response.status_code} {response.text[:200]}")
        return
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (AssertionError, BaseExceptionGroup) as exc:  # off-schema: reported with the rest
        what = str(exc).split("\n\n")[1] if "\n\n" in str(exc) else str(exc)
        failures.append(f"{case.method} {case.path}: {response.status_code} {what[:200]}")


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)  # the boundaries cover both
def test_no_operation_answers_5xx_or_off_schema(app: FastAPI) -> None:
    headers = app.state.fuzz_headers
    failures: list[str] = []
    ran = 0
    for op in operations(app):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=op.as_strategy(generation_mode=mode))
            def fuzz(case: Any) -> None:
                nonlocal ran
                ran += 1
                _call(case, headers, failures)

            with contextlib.suppress(Unsatisfiable):  # nothing to negate (no parameters)
                fuzz()
    assert not failures, "\n".join(sorted(set(failures))[:40])
    print(f"fuzzed {ran} generated requests")


def _base_case(op: Any) -> Any:
    """One case that fits the schema (the first hypothesis finds, deterministically)."""
    found: list[Any] = []

    @settings(
        max_examples=1,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def first(case: Any) -> None:
        if not found:
            found.append(case)

    first()
    return found[0]


def _variants(op: Any, base: Any) -> Iterator[Any]:
    """The base case with one parameter or top-level body field at a time set to a boundary."""
    path = dict(base.path_parameters or {})
    query = dict(base.query or {})
    body = base.body if isinstance(base.body, dict) else None
    for value in BOUNDARY_VALUES:
        for name in path:
            if value not in (None, ""):
                yield op.Case(path_parameters=path | {name: value}, query=query, body=base.body)
        for name in {p.name for p in op.query} | set(query):
            if value is not None:
                yield op.Case(path_parameters=path, query=query | {name: value}, body=base.body)
        for name in body or ():
            yield op.Case(
                path_parameters=path,
                query=query,
                body=body | {name: value},  # type: ignore[operator]
                media_type="application/json",
            )


def test_boundary_values_in_every_parameter_and_field_answer_4xx_not_5xx(app: FastAPI) -> None:
    headers = app.state.fuzz_headers
    failures: list[str] = []
    ran = 0
    for op in operations(app):
        base = _base_case(op)
        for case in _variants(op, base):
            ran += 1
            _call(case, headers, failures)
    assert not failures, "\n".join(sorted(set(failures))[:40])
    print(f"sent {ran} boundary-value requests")
