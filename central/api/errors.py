"""The wage side's named exceptions → HTTP statuses, installed once on the app."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from central.attendance.closing import ClosingRefused
from central.errors import CentralError, Conflict, Forbidden, InvalidInput, NotFound

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422}


def install(app: FastAPI) -> None:
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        body: dict[str, object] = {"detail": str(exc)}
        if isinstance(exc, ClosingRefused):
            body["silent_gates"] = exc.silent
        return JSONResponse(status_code=status, content=body)

    app.add_exception_handler(CentralError, handler)
