"""Central's named exceptions as HTTP answers (statuses from central/errors.py's one map),
and one error body for all.

Every error the API sends has the shape of :class:`ErrorBody`, whether it comes from a
:class:`~central.errors.CentralError`, a request that fails validation (FastAPI's list of
problems goes into ``errors``), or Starlette (unknown route, wrong method). Routes declare the
statuses they answer with :func:`error_responses`, so the OpenAPI schema shows the body that
is really sent.
"""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from central.errors import CentralError, TooManyRequests
from central.errors import status_of as _status_of

DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid bearer token or session (missing, wrong, expired or revoked)",
    403: "The caller's role may not do this on a record it can see",
    404: "No such record, or outside the caller's scope (the two are not told apart)",
    409: "Contradicts the stored state (duplicate, or the wrong state for this step)",
    413: "Body, upload or file count above the stated limit",
    422: "A value failed validation; ``errors`` lists each problem",
    429: "Too many attempts; retry after the ``Retry-After`` header's seconds",
}


class FieldProblem(BaseModel):
    """One failed check of a request value (FastAPI's validation item, kept as it is)."""

    loc: list[str | int] = Field(description="where: body/query/path, then the field names")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    detail: str = Field(description="what went wrong, for a person")
    code: str = Field(description="stable machine-readable reason, e.g. not_found, conflict")
    errors: list[FieldProblem] | None = Field(
        None, description="for 422 from request validation: each failed value"
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: each status with the :class:`ErrorBody` it sends."""
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in statuses}


# What every authenticated route can answer, whatever it does.
AUTHENTICATED = (401, 413, 422, 429)


def _body(detail: str, code: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body = ErrorBody.model_validate({"detail": detail, "code": code, "errors": errors})
    return body.model_dump(exclude_none=True)


def status_of(exc: CentralError) -> int:
    """The status of a refusal; 400 for a CentralError of no mapped kind."""
    return _status_of(exc, 400)


def install(app: FastAPI) -> None:
    """Register the handlers: one body shape for every error the app sends."""

    async def central_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, CentralError)
        status = status_of(exc)
        body = _body(str(exc)[:300], exc.code)  # a message may quote an input: never all of it
        extra = getattr(exc, "extra", None)
        if isinstance(extra, dict):
            body.update(extra)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(status_code=status, content=body, headers=headers)

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
                "msg": str(e.get("msg", ""))[:300],  # never echo a huge input back
                "type": str(e.get("type", "")),
            }
            for e in exc.errors()[:50]
        ]
        return JSONResponse(
            status_code=422, content=_body("invalid request", "invalid_input", problems)
        )

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (bytes that are not UTF-8, a broken
            # form): a value that fails validation, answered like malformed JSON (422).
            return JSONResponse(
                status_code=422, content=_body("the request body cannot be read", "invalid_input")
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            status_code=exc.status_code,
            content=_body(str(exc.detail), code),
            headers=getattr(exc, "headers", None),
        )

    app.add_exception_handler(CentralError, central_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
